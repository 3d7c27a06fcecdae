/// The simulator's own RSA key pair, for SecurityCredential checks. A TEST key, not Safaricom's:
/// it protects nothing and must never be used outside the simulator.
public enum SimulatorKeys {
    /// Self-signed X.509 certificate (PEM) that clients encrypt the initiator password with.
    public static let certificatePEM = """
        -----BEGIN CERTIFICATE-----
        MIIDPzCCAiegAwIBAgIUHr+1wfMS3PHapgmRJKAuEaIsQuEwDQYJKoZIhvcNAQEL
        BQAwLjEsMCoGA1UEAwwjZGFyYWphLXNpbSB0ZXN0IGtleSAobm90IFNhZmFyaWNv
        bSkwIBcNMjYxMTI5MDY0MzMzWhgPMjEyNjExMDUwNjQzMzNaMC4xLDAqBgNVBAMM
        I2RhcmFqYS1zaW0gdGVzdCBrZXkgKG5vdCBTYWZhcmljb20pMIIBIjANBgkqhkiG
        9w0BAQEFAAOCAQ8AMIIBCgKCAQEAsamignnfW7x+4w0j/Y8oIeg1IVFIaqYRM7li
        EKioOa+RHFJbz7LJnsp2saQx7qpsd0cH04lnZVRO3OHcHMyOF8QSTyguWQwsOGIX
        tOUxLsKJxgdkJztMPYNieQhaVtSa8NZ93zwW0Zj+OZTTSOMK3cFH1R4ni8Qy3is0
        7xvvOsBZ5jDTfqD9mX+/DwQITVWZ6MkmdafG2hS14l8Ch7+mLsVda9eT5se7Na6S
        vSyrdGinoo4RSYLPjxINonNXQCoBcW77WB7Q2ZVk6qr6ilfnP7SdgZsJHtzHnmrF
        Dmw45O0hVAfjbEDRY40o9xYrooueM4f2kH4U5DiAteJ3ErDq9QIDAQABo1MwUTAd
        BgNVHQ4EFgQUiwIltOynbd06FAFa50B1913gIZAwHwYDVR0jBBgwFoAUiwIltOyn
        bd06FAFa50B1913gIZAwDwYDVR0TAQH/BAUwAwEB/zANBgkqhkiG9w0BAQsFAAOC
        AQEACz/Xu9VY+Put5bjEsOekuI4yrIM6VwUCeqDeEko0tHX1A3EdDGewcbAGVsiB
        3H2GOLbGRon8vkmUYEm4DabSEUqUnJFt1gL7/Y3wb8fGCQSDS64MgydSPltDxaJv
        ouTJLqLCFLglgKeQP1sr6eOSXDlxRFR6LzIUEtdL1cQTSXDifERUo0jFjkm0SuAn
        7+GdR8y0P76VkkDQevI1Zt60k88cJ3PhgofEY63r3Z+gqg7NeSBSUGeppYpfN7Zs
        SNih3Rwf3klDDAo4DkzHYlilFtTT1k2n7CX8dKIC8EaBw7u7EVjkqKZAD76hB1cS
        GcTX7ptvU1mzNFIt7eXCkod65A==
        -----END CERTIFICATE-----
        """

    /// The private key (PEM) the simulator decrypts SecurityCredentials with.
    public static let privateKeyPEM = """
        -----BEGIN PRIVATE KEY-----
        MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQCxqaKCed9bvH7j
        DSP9jygh6DUhUUhqphEzuWIQqKg5r5EcUlvPssmeynaxpDHuqmx3RwfTiWdlVE7c
        4dwczI4XxBJPKC5ZDCw4Yhe05TEuwonGB2QnO0w9g2J5CFpW1Jrw1n3fPBbRmP45
        lNNI4wrdwUfVHieLxDLeKzTvG+86wFnmMNN+oP2Zf78PBAhNVZnoySZ1p8baFLXi
        XwKHv6YuxV1r15Pmx7s1rpK9LKt0aKeijhFJgs+PEg2ic1dAKgFxbvtYHtDZlWTq
        qvqKV+c/tJ2Bmwke3MeeasUObDjk7SFUB+NsQNFjjSj3Fiuii54zh/aQfhTkOIC1
        4ncSsOr1AgMBAAECggEALBixK9ZpEIF0MxHfZX+DVAspKMheg44NhfuU8hKSkqLX
        jyKIBEDZl06kcEoTVKw7OM3KDQC1R6rJ2jw7IHDLMe3qJ3iPLG3/ic0bGjyq3PLP
        NHZALxaiQUBbkDP5DEU/4dgzLNXiygpBy3P7j0M/PrRLCoQuB5xejdNGk7Sox7lt
        eS2Ek1w7Y5IxQAobJzE5L8rRtrt03mq/OD2aPkaBWiIfSAfoW7wh/byldXuxLqcr
        OU3eJQAy+7CCvRzXrXDSh7OM8DNAN1mzgM0k8ujJWef0zfVR/mR3ZcfgITpJPFya
        ivTBJzHl9/otfdPTBFbIKb6bU9ug+sp37mk9JWhcYQKBgQDf0bKZC1KdDkph3Mcn
        G5kTjM541EENh0NRBQCm0pYt7uyeleEUWrXEIO2s55WwdAkMvKOKOFPG5ik18IIp
        rP92HOXCpXDaa/v3g/Mq+xc8FQHbLy52uXAuYGVCL2bGTag0dGfdaGNu3yDvBxA3
        Bz+Ir85IB8Ru+fcgoT85iuQMcQKBgQDLNQP4+5lfO5bc6cpyVQHF+rgXW01YUz21
        LN0ETzFEDXZYhYIIKlKKvFwP7Fgm/cFk7O8LkPhELJ6t0pLDEoBS7uZNBwADZwOr
        Cd7CEEKToLYxyWiFJkDHojRZOCNluQ2XqvQh/3EO+45cu+L5ALcV9G2EaYiOb3gn
        w7oDG/TYxQKBgHrBIBsgQqcw90rFM9UXJdW7HGLYxvUMgrck7z6PsR5wNAamXVQ0
        jAyNos16Fnc4rN33eBqO2iP0iBW1Wy5QW6wEHV+sLUEeiIswK2YfYJbrTqFQN0OW
        YRiOdfre1JdecCqUzYJ5hk+AwSdX0GTd7NKi2ZhX6jyTjB6xUWPV8U2BAoGBAL7f
        an7aHeN1Pqz9MXsZXBQSAA94ZHtdnS3sGSKuHFGW754QseZnkqbcbQFL+DWPz7O0
        Vomfv4OSAe62R8LSQxUjb9HUjG+luK1VFRdmXJL8t4amb/X5y4l5VACmGaG4JAtd
        ufmhThpLshprJbTMtiz6LlDdLDbWf5+iWrwG64MdAoGAZiAG0PPv2BacCCed82bA
        G2NzyY9bHkUwWwR7Ne7kFb6fYV69X3cJYb85OmzQaNpioKpcyXHR6qpA1/nGjfpb
        b4Jz3EgrP/OGbtXN6L32/2UrKUJosc/Jo5426UMn43KS4whe9KS1KjD2S4a1Lfg/
        7qfxlNTX+ClNMr8e5gS9D44=
        -----END PRIVATE KEY-----
        """
}
