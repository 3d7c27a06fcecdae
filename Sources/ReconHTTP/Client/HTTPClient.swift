/// An HTTP/1.1 and HTTP/2 client on libcurl: every request has deadlines and a response-size cap, only http and
/// https are spoken, redirects are returned rather than followed, and certificates are always verified.
///
/// One multi handle, driven by one dedicated thread, runs all transfers and reuses connections; `send` may be
/// called from any number of tasks at once.
public final class HTTPClient: Sendable {
    private let engine: Result<TransferEngine, HTTPClientError>

    /// Starts the transfer thread; at most `maxConcurrentTransfers` run at once, later requests queue.
    public init(maxConcurrentTransfers: Int = 64) {
        do throws(HTTPClientError) {
            try CurlRuntime.ensureInitialized()
            let engine = try TransferEngine(limit: max(1, maxConcurrentTransfers))
            engine.start()
            self.engine = .success(engine)
        } catch {
            // `send` reports this failure; an initialiser that cannot fail keeps call sites simple.
            self.engine = .failure(error)
        }
    }

    deinit {
        shutdown()
    }

    /// Sends `request` and returns the response whatever its status; cancelling the task aborts the transfer.
    public func send(_ request: HTTPRequest) async throws(HTTPClientError) -> HTTPResponse {
        let engine = try engine.get()
        let target = try TargetURL(validating: request.url)
        try Self.validate(request, target)
        let id = engine.makeID()
        let outcome = await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                engine.submit(
                    Submission(
                        id: id,
                        request: request,
                        target: target,
                        submittedAt: .now,
                        continuation: continuation
                    )
                )
            }
        } onCancel: {
            engine.cancel(id)
        }
        engine.forget(id)
        return try outcome.get()
    }

    /// Fails queued and running requests with `.shutdown` and stops the transfer thread. Idempotent.
    public func shutdown() {
        if case .success(let engine) = engine {
            engine.shutdown()
        }
    }

    /// Rejects what would corrupt the request on the wire: header injection through line breaks, a body on GET.
    private static func validate(_ request: HTTPRequest, _ target: TargetURL) throws(HTTPClientError) {
        let invalid = HTTPClientError(code: .invalidRequest, origin: target.origin)
        if request.method == .GET, let body = request.body, !body.isEmpty {
            throw invalid
        }
        for header in request.headers {
            guard !header.name.isEmpty, header.name.utf8.allSatisfy(isTokenByte),
                header.value.utf8.allSatisfy({ $0 != 0 && $0 != 0x0A && $0 != 0x0D })
            else {
                throw invalid
            }
        }
    }

    /// RFC 9110 `tchar`.
    private static func isTokenByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
            UInt8(ascii: "0")...UInt8(ascii: "9"):
            return true
        default:
            return "!#$%&'*+-.^_`|~".utf8.contains(byte)
        }
    }
}
