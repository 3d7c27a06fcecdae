internal import CCurl

/// Owner of a `curl_slist` of request header lines.
struct HeaderList: ~Copyable {
    private(set) var raw: UnsafeMutablePointer<curl_slist>?

    init() {
        raw = nil
    }

    mutating func append(_ line: String, _ target: TargetURL) throws(HTTPClientError) {
        // On failure curl_slist_append leaves the list as it was, so `raw` still owns everything.
        guard let longer = curl_slist_append(raw, line) else {
            throw HTTPClientError(code: .transport, origin: target.origin, curlMessage: "curl_slist_append failed")
        }
        raw = longer
    }

    deinit {
        curl_slist_free_all(raw)
    }
}

/// Owner of the `CURLOPT_ERRORBUFFER` memory, which libcurl writes until the easy handle is gone.
struct ErrorBuffer: ~Copyable {
    let raw: UnsafeMutablePointer<CChar>
    private static let size = Int(CURL_ERROR_SIZE)

    init() {
        raw = .allocate(capacity: Self.size)
        raw.initialize(repeating: 0, count: Self.size)
    }

    /// The message libcurl left, if any.
    var message: String? {
        raw[Self.size - 1] = 0
        return raw[0] == 0 ? nil : String(cString: raw)
    }

    deinit {
        raw.deallocate()
    }
}

/// Owner of one `CURL` easy handle and of the memory it points to. The header list and the error buffer are
/// fields so they are destroyed after `deinit` has run `curl_easy_cleanup`, never while curl can still read them.
struct EasyHandle: ~Copyable {
    let raw: UnsafeMutableRawPointer
    private var headers = HeaderList()
    private let errors = ErrorBuffer()

    private init(raw: UnsafeMutableRawPointer) {
        self.raw = raw
    }

    static func make(_ target: TargetURL) throws(HTTPClientError) -> EasyHandle {
        guard let raw = curl_easy_init() else {
            throw HTTPClientError(code: .transport, origin: target.origin, curlMessage: "curl_easy_init failed")
        }
        let handle = EasyHandle(raw: raw)
        try check(ccurl_setopt_ptr(raw, CURLOPT_ERRORBUFFER, handle.errors.raw), target)
        return handle
    }

    /// libcurl's detailed message for the last failure.
    var errorMessage: String? {
        errors.message
    }

    /// Hands `list` to curl; the handle keeps it alive as long as curl may send it.
    mutating func setHeaders(_ list: consuming HeaderList, _ target: TargetURL) throws(HTTPClientError) {
        headers = list
        try check(ccurl_setopt_ptr(raw, CURLOPT_HTTPHEADER, headers.raw), target)
    }

    func set(_ option: CURLoption, _ value: Int, _ target: TargetURL) throws(HTTPClientError) {
        try check(ccurl_setopt_long(raw, option, value), target)
    }

    func set(_ option: CURLoption, _ value: String, _ target: TargetURL) throws(HTTPClientError) {
        // libcurl copies string options (since 7.17), so the temporary C string may go.
        try check(value.withCString { ccurl_setopt_ptr(raw, option, $0) }, target)
    }

    func set(_ option: CURLoption, offset value: Int, _ target: TargetURL) throws(HTTPClientError) {
        try check(ccurl_setopt_off(raw, option, curl_off_t(value)), target)
    }

    deinit {
        curl_easy_cleanup(raw)
    }
}

/// Owner of the `CURLM` multi handle that runs every transfer of one client and keeps its connection cache.
/// Sendable because only the loop thread drives it; other threads call `wakeup` alone, which libcurl allows.
struct MultiHandle: ~Copyable, @unchecked Sendable {
    let raw: UnsafeMutableRawPointer

    private init(raw: UnsafeMutableRawPointer) {
        self.raw = raw
    }

    static func make(maxTransfers: Int) throws(HTTPClientError) -> MultiHandle {
        guard let raw = curl_multi_init() else {
            throw HTTPClientError(code: .transport, curlMessage: "curl_multi_init failed")
        }
        let handle = MultiHandle(raw: raw)
        // Keep one idle connection per possible transfer so bursts reuse connections instead of reconnecting.
        try check(ccurl_multi_setopt_long(raw, CURLMOPT_MAXCONNECTS, maxTransfers), nil)
        return handle
    }

    /// Interrupts `curl_multi_poll`; libcurl documents this call as safe from any thread.
    func wakeup() {
        // A failed wakeup only delays the loop until the poll timeout; there is nobody to report it to.
        _ = curl_multi_wakeup(raw)
    }

    deinit {
        // The loop removed every easy handle before letting go; the result has nowhere to go from a deinit.
        _ = curl_multi_cleanup(raw)
    }
}
