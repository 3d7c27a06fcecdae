internal import CCurl

/// What `send` hands to the transfer loop: only Sendable values, so it may cross to the loop thread.
struct Submission: Sendable {
    let id: UInt64
    let request: HTTPRequest
    let target: TargetURL
    let submittedAt: ContinuousClock.Instant
    let continuation: CheckedContinuation<Result<HTTPResponse, HTTPClientError>, Never>

    func fail(_ error: HTTPClientError) {
        var error = error
        error.origin = error.origin ?? target.origin
        continuation.resume(returning: .failure(error))
    }

    func fail(_ code: HTTPClientError.Code) {
        fail(HTTPClientError(code: code, origin: target.origin))
    }
}

/// One transfer in the multi handle. It lives on the loop thread only, owned by the loop's table from
/// `curl_multi_add_handle` to `curl_multi_remove_handle`; libcurl's callbacks reach it through an unretained
/// pointer, which that ownership keeps valid, so there is no manual retain to balance.
final class Transfer {
    /// Total header bytes accepted; a server could otherwise grow memory through endless header lines.
    private static let maxHeaderBytes = 256 * 1024

    let id: UInt64
    private let target: TargetURL
    private let continuation: CheckedContinuation<Result<HTTPResponse, HTTPClientError>, Never>
    private let maxBodyBytes: Int
    private var easy: EasyHandle
    private var body: [UInt8] = []
    private var headers: [HTTPHeader] = []
    private var headerBytes = 0
    private var limitExceeded = false

    /// The easy handle, which is also this transfer's key in the loop's table.
    var handle: UnsafeMutableRawPointer {
        easy.raw
    }

    /// Builds the easy handle for `submission` with `remaining` left of its total deadline. On failure the
    /// caller still owns the submission's continuation.
    init(_ submission: Submission, remaining: Duration) throws(HTTPClientError) {
        id = submission.id
        target = submission.target
        continuation = submission.continuation
        maxBodyBytes = max(0, submission.request.maxResponseBytes)
        easy = try EasyHandle.make(submission.target)
        try configure(submission.request, remaining: remaining)
    }

    /// How a transfer leaves the multi handle.
    enum Outcome {
        /// libcurl finished it with this result.
        case finished(CURLcode)
        /// The loop stopped it (cancellation, shutdown, a broken multi handle).
        case aborted(HTTPClientError)
    }

    /// Takes the handle out of `multi` and resumes the caller exactly once.
    func end(_ outcome: Outcome, multi: UnsafeMutableRawPointer) {
        do throws(HTTPClientError) {
            try check(curl_multi_remove_handle(multi, handle), target)
        } catch {
            fail(error)
            return
        }
        switch outcome {
        case .finished(let result):
            finish(result)
        case .aborted(var error):
            error.origin = target.origin
            fail(error)
        }
    }

    private func finish(_ result: CURLcode) {
        if var error = HTTPClientError(
            curl: result,
            target: target,
            detail: easy.errorMessage,
            limitExceeded: limitExceeded
        ) {
            // A TLS shutdown failure comes after the exchange, so it is no "not sent" (CurlErrors classifies it as
            // transport); the byte count tells a refused first connection from a retry after a written request.
            var sent = 0
            if ccurl_getinfo_long(handle, CURLINFO_REQUEST_SIZE, &sent) == CURLE_OK { error.bytesSent = sent }
            fail(error)
            return
        }
        var status = 0
        do throws(HTTPClientError) {
            try check(ccurl_getinfo_long(handle, CURLINFO_RESPONSE_CODE, &status), target)
        } catch {
            fail(error)
            return
        }
        continuation.resume(returning: .success(HTTPResponse(status: status, headers: headers, body: body)))
    }

    private func fail(_ error: HTTPClientError) {
        continuation.resume(returning: .failure(error))
    }

    private func configure(_ request: HTTPRequest, remaining: Duration) throws(HTTPClientError) {
        let target = self.target
        try easy.set(CURLOPT_URL, target.text, target)
        try easy.set(CURLOPT_PROTOCOLS_STR, "http,https", target)
        try easy.set(CURLOPT_REDIR_PROTOCOLS_STR, "http,https", target)
        try easy.set(CURLOPT_FOLLOWLOCATION, 0, target)
        try easy.set(CURLOPT_SSL_VERIFYPEER, 1, target)
        try easy.set(CURLOPT_SSL_VERIFYHOST, 2, target)
        // Without NOSIGNAL libcurl uses SIGALRM for DNS timeouts, which is unsafe with threads.
        try easy.set(CURLOPT_NOSIGNAL, 1, target)
        let total = Self.milliseconds(remaining)
        try easy.set(CURLOPT_TIMEOUT_MS, total, target)
        try easy.set(CURLOPT_CONNECTTIMEOUT_MS, min(total, Self.milliseconds(request.connectTimeout)), target)
        // Rejects a too-long Content-Length before any byte arrives; the write callback catches the rest.
        try easy.set(CURLOPT_MAXFILESIZE_LARGE, offset: maxBodyBytes, target)

        let context = Unmanaged.passUnretained(self).toOpaque()
        try check(
            ccurl_setopt_write(handle) { data, size, count, context in
                Transfer.deliver(data, size, count, context) { $0.receiveBody($1) }
            }, target)
        try check(ccurl_setopt_ptr(handle, CURLOPT_WRITEDATA, context), target)
        try check(
            ccurl_setopt_header(handle) { data, size, count, context in
                Transfer.deliver(data, size, count, context) { $0.receiveHeader($1) }
            }, target)
        try check(ccurl_setopt_ptr(handle, CURLOPT_HEADERDATA, context), target)

        var list = HeaderList()
        for header in request.headers {
            // curl drops a header given as "Name:" and sends an empty one given as "Name;".
            try list.append(header.value.isEmpty ? "\(header.name);" : "\(header.name): \(header.value)", target)
        }
        // curl would otherwise wait up to a second for "100 Continue" before sending larger bodies.
        try list.append("Expect:", target)
        try easy.setHeaders(list, target)

        switch request.method {
        case .GET:
            try easy.set(CURLOPT_HTTPGET, 1, target)
        case .POST:
            let body = request.body ?? []
            // The size goes first so COPYPOSTFIELDS copies exactly these bytes instead of stopping at a zero.
            try easy.set(CURLOPT_POSTFIELDSIZE_LARGE, offset: body.count, target)
            if body.isEmpty {
                // A null pointer would make curl read the body from stdin.
                try easy.set(CURLOPT_COPYPOSTFIELDS, "", target)
            } else {
                try check(
                    body.withUnsafeBytes { ccurl_setopt_ptr(handle, CURLOPT_COPYPOSTFIELDS, $0.baseAddress) }, target)
            }
        }
    }

    /// Hands the bytes of a libcurl write or header callback to `receive` on the transfer in `context`, and
    /// returns what it answers; 0 (which aborts the transfer) when a pointer is missing or the size overflows.
    private static func deliver(
        _ data: UnsafeMutablePointer<CChar>?, _ size: Int, _ count: Int, _ context: UnsafeMutableRawPointer?,
        to receive: (Transfer, UnsafeRawBufferPointer) -> Int
    ) -> Int {
        guard let data, let context else { return 0 }
        let (length, overflow) = size.multipliedReportingOverflow(by: count)
        guard !overflow else { return 0 }
        let transfer = Unmanaged<Transfer>.fromOpaque(context).takeUnretainedValue()
        return receive(transfer, UnsafeRawBufferPointer(start: data, count: length))
    }

    private func receiveBody(_ chunk: UnsafeRawBufferPointer) -> Int {
        let (total, overflow) = body.count.addingReportingOverflow(chunk.count)
        guard !overflow, total <= maxBodyBytes else {
            limitExceeded = true
            return 0
        }
        body.append(contentsOf: chunk)
        return chunk.count
    }

    private func receiveHeader(_ chunk: UnsafeRawBufferPointer) -> Int {
        headerBytes += chunk.count
        guard headerBytes <= Self.maxHeaderBytes else {
            limitExceeded = true
            return 0
        }
        let line = Self.trimmed(Substring(String(decoding: chunk, as: UTF8.self)))
        if line.hasPrefix("HTTP/") {
            // A new status line starts a new response (after a 1xx); only the final one's headers count.
            headers = []
        } else if let colon = line.firstIndex(of: ":") {
            let name = Self.trimmed(line[..<colon])
            let value = Self.trimmed(line[line.index(after: colon)...])
            headers.append(HTTPHeader(name: String(name), value: String(value)))
        }
        return chunk.count
    }

    private static func trimmed(_ text: Substring) -> Substring {
        let blank: Set<Character> = [" ", "\t", "\r", "\n", "\r\n"]
        guard let first = text.firstIndex(where: { !blank.contains($0) }),
            let last = text.lastIndex(where: { !blank.contains($0) })
        else { return "" }
        return text[first...last]
    }

    /// Whole milliseconds, at least 1: libcurl reads 0 as "no deadline".
    static func milliseconds(_ duration: Duration) -> Int {
        let (seconds, attoseconds) = duration.components
        guard seconds >= 0 else { return 1 }
        let (millis, overflow) = seconds.multipliedReportingOverflow(by: 1000)
        let (total, tooLong) = millis.addingReportingOverflow(attoseconds / 1_000_000_000_000_000)
        guard !overflow, !tooLong else { return Int.max }
        return max(1, Int(total))
    }
}
