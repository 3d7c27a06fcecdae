print("mpesa-recon")
