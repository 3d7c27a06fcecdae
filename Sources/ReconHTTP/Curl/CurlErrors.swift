internal import CCurl

/// libcurl requires `curl_global_init` once per process before any other call; a static `let` is initialised
/// exactly once, on first use, safely across threads.
enum CurlRuntime {
    static let initialization: CURLcode = ccurl_global_init_default()

    static func ensureInitialized() throws(HTTPClientError) {
        try check(initialization, nil)
    }
}

/// The one place a `CURLcode` becomes an error; `CURLE_OK` passes.
func check(_ code: CURLcode, _ target: TargetURL?) throws(HTTPClientError) {
    if let error = HTTPClientError(curl: code, target: target) {
        throw error
    }
}

/// The one place a `CURLMcode` becomes an error; `CURLM_OK` passes.
func check(_ code: CURLMcode, _ target: TargetURL?) throws(HTTPClientError) {
    if let error = HTTPClientError(curlMulti: code, target: target) {
        throw error
    }
}

/// The one place a `CURLUcode` becomes an error; `CURLUE_OK` passes.
func check(_ code: CURLUcode) throws(HTTPClientError) {
    if code != CURLUE_OK {
        throw HTTPClientError(
            code: .invalidURL,
            curlCode: Int32(bitPattern: code.rawValue),
            curlMessage: String(cString: curl_url_strerror(code))
        )
    }
}

extension HTTPClientError {
    /// Maps a transfer's result; `detail` is the error buffer, `limitExceeded` tells a size-cap abort from a
    /// failing write. Returns nil for `CURLE_OK`.
    init?(curl code: CURLcode, target: TargetURL?, detail: String? = nil, limitExceeded: Bool = false) {
        guard code != CURLE_OK else { return nil }
        let message = detail.flatMap { $0.isEmpty ? nil : $0 } ?? String(cString: curl_easy_strerror(code))
        self.init(
            code: Self.classify(code, limitExceeded: limitExceeded),
            origin: target?.origin,
            curlCode: Int32(bitPattern: code.rawValue),
            curlMessage: target?.redact(message) ?? message
        )
    }

    /// Maps a multi-handle failure; returns nil for `CURLM_OK`.
    init?(curlMulti code: CURLMcode, target: TargetURL?) {
        guard code != CURLM_OK else { return nil }
        self.init(
            code: .transport,
            origin: target?.origin,
            curlCode: code.rawValue,
            curlMessage: String(cString: curl_multi_strerror(code))
        )
    }

    private static func classify(_ code: CURLcode, limitExceeded: Bool) -> Code {
        switch code {
        case CURLE_OPERATION_TIMEDOUT:
            return .timedOut
        case CURLE_COULDNT_CONNECT, CURLE_COULDNT_RESOLVE_HOST, CURLE_COULDNT_RESOLVE_PROXY:
            return .connectFailed
        case CURLE_UNSUPPORTED_PROTOCOL:
            return .unsupportedScheme
        case CURLE_URL_MALFORMAT:
            return .invalidURL
        case CURLE_FILESIZE_EXCEEDED:
            return .responseTooLarge
        case CURLE_WRITE_ERROR:
            return limitExceeded ? .responseTooLarge : .transport
        case CURLE_SSL_CONNECT_ERROR, CURLE_PEER_FAILED_VERIFICATION, CURLE_SSL_CERTPROBLEM, CURLE_SSL_CIPHER,
            CURLE_SSL_CACERT_BADFILE, CURLE_SSL_ENGINE_NOTFOUND, CURLE_SSL_ENGINE_SETFAILED,
            CURLE_SSL_ENGINE_INITFAILED, CURLE_SSL_CRL_BADFILE, CURLE_SSL_ISSUER_ERROR,
            CURLE_SSL_PINNEDPUBKEYNOTMATCH, CURLE_SSL_INVALIDCERTSTATUS, CURLE_SSL_CLIENTCERT, CURLE_USE_SSL_FAILED:
            return .tls
        default:
            return .transport
        }
    }
}
