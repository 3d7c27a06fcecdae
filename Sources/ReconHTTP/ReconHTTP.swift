// ReconHTTP: the libcurl wrapper.
