import Foundation
import ReconHTTP
import Testing

@Suite(.timeLimit(.minutes(1))) struct HTTPClientTests {
    @Test func postJSONRoundTripCarriesBodyAndHeaders() async throws {
        try await withLoopbackServer { server in
            let client = HTTPClient()
            defer { client.shutdown() }
            let payload = #"{"amount":"100.00","phone":"2547XXXXX123"}"#
            let response = try await client.send(
                .postJSON(
                    server.url("/echo"),
                    body: Array(payload.utf8),
                    headers: [HTTPHeader(name: "X-Request-Id", value: "req-42")]
                )
            )
            #expect(response.status == 200)
            #expect(response.header("CONTENT-TYPE") == "application/json")
            let echo = try Echo(response.body)
            #expect(echo.method == "POST")
            #expect(echo.body == payload)
            #expect(echo.headers["content-type"] == "application/json")
            #expect(echo.headers["accept"] == "application/json")
            #expect(echo.headers["x-request-id"] == "req-42")
            #expect(echo.headers["content-length"] == String(payload.utf8.count))
            #expect(echo.headers["expect"] == nil)
        }
    }

    @Test func postJSONKeepsTheCallersContentType() async throws {
        try await withLoopbackServer { server in
            let client = HTTPClient()
            defer { client.shutdown() }
            let request = HTTPRequest.postJSON(
                server.url("/echo"),
                body: Array("{}".utf8),
                headers: [HTTPHeader(name: "content-type", value: "application/json; charset=utf-8")]
            )
            let echo = try Echo(try await client.send(request).body)
            #expect(echo.headers["content-type"] == "application/json; charset=utf-8")
        }
    }

    @Test func getReturnsTheBody() async throws {
        try await withLoopbackServer { server in
            let client = HTTPClient()
            defer { client.shutdown() }
            let response = try await client.send(
                .get(server.url("/echo"), headers: [HTTPHeader(name: "Authorization", value: "Bearer abc")])
            )
            #expect(response.status == 200)
            let echo = try Echo(response.body)
            #expect(echo.method == "GET")
            #expect(echo.body == "")
            #expect(echo.headers["authorization"] == "Bearer abc")
            #expect(response.bodyText.contains(#""method": "GET""#))
        }
    }

    @Test(arguments: [400, 404, 500, 503])
    func nonSuccessStatusIsAResponse(status: Int) async throws {
        try await withLoopbackServer { server in
            let client = HTTPClient()
            defer { client.shutdown() }
            let response = try await client.send(.get(server.url("/status/\(status)")))
            #expect(response.status == status)
            #expect(response.bodyText == #"{"status": \#(status)}"#)
        }
    }

    @Test func noContentHasAnEmptyBody() async throws {
        try await withLoopbackServer { server in
            let client = HTTPClient()
            defer { client.shutdown() }
            let response = try await client.send(.get(server.url("/status/204")))
            #expect(response.status == 204)
            #expect(response.body.isEmpty)
        }
    }

    @Test func totalTimeoutFailsWithTimedOut() async throws {
        try await withLoopbackServer { server in
            let client = HTTPClient()
            defer { client.shutdown() }
            var request = HTTPRequest.get(server.url("/slow?ms=2000"))
            request.totalTimeout = .milliseconds(300)
            let error = await #expect(throws: HTTPClientError.self) {
                try await client.send(request)
            }
            #expect(error?.code == .timedOut)
            #expect(error?.curlCode == 28)
        }
    }

    @Test func bodyWithContentLengthOverTheCapFails() async throws {
        try await withLoopbackServer { server in
            let client = HTTPClient()
            defer { client.shutdown() }
            var request = HTTPRequest.get(server.url("/big?bytes=5000"))
            request.maxResponseBytes = 4096
            let error = await #expect(throws: HTTPClientError.self) {
                try await client.send(request)
            }
            #expect(error?.code == .responseTooLarge)
        }
    }

    @Test func chunkedBodyOverTheCapIsAbortedByTheWriteCallback() async throws {
        try await withLoopbackServer { server in
            let client = HTTPClient()
            defer { client.shutdown() }
            // Default cap (1 MiB) against 3 MiB without Content-Length: only the write callback can stop it.
            let error = await #expect(throws: HTTPClientError.self) {
                try await client.send(.get(server.url("/big?bytes=3145728&chunked=1")))
            }
            #expect(error?.code == .responseTooLarge)
            #expect(error?.curlCode == 23)
        }
    }

    @Test func bodyExactlyAtTheCapIsAccepted() async throws {
        try await withLoopbackServer { server in
            let client = HTTPClient()
            defer { client.shutdown() }
            for chunked in ["0", "1"] {
                var request = HTTPRequest.get(server.url("/big?bytes=4096&chunked=\(chunked)"))
                request.maxResponseBytes = 4096
                let response = try await client.send(request)
                #expect(response.body.count == 4096)
                #expect(response.body.allSatisfy { $0 == UInt8(ascii: "x") })
            }
        }
    }

    @Test func redirectIsReturnedNotFollowed() async throws {
        try await withLoopbackServer { server in
            let client = HTTPClient()
            defer { client.shutdown() }
            let response = try await client.send(.get(server.url("/redirect")))
            #expect(response.status == 302)
            #expect(response.header("location") == "/echo")
            #expect(response.bodyText == #"{"to": "/echo"}"#)
        }
    }

    @Test func nonHTTPSchemesAreRejectedBeforeCurl() async throws {
        try await withLoopbackServer { server in
            let client = HTTPClient()
            defer { client.shutdown() }
            for url in ["file:///etc/passwd", "ftp://127.0.0.1:\(server.port)/x", "FILE:///etc/passwd", "gopher://h/"] {
                let error = await #expect(throws: HTTPClientError.self) {
                    try await client.send(.get(url))
                }
                #expect(error?.code == .unsupportedScheme, "\(url)")
                // No curl code: libcurl never saw the URL.
                #expect(error?.curlCode == nil, "\(url)")
            }
        }
    }

    @Test func malformedURLsAreRejected() async throws {
        let client = HTTPClient()
        defer { client.shutdown() }
        for url in ["", "127.0.0.1/echo", "//127.0.0.1/echo", "http://", "http://exa mple.com/", "http://a\r\nb/"] {
            let error = await #expect(throws: HTTPClientError.self) {
                try await client.send(.get(url))
            }
            #expect(error?.code == .invalidURL, "\(url.debugDescription)")
        }
    }

    @Test func headerInjectionAndBodyOnGetAreRejected() async throws {
        try await withLoopbackServer { server in
            let client = HTTPClient()
            defer { client.shutdown() }
            let injected = HTTPRequest.get(
                server.url("/echo"),
                headers: [HTTPHeader(name: "X-A", value: "1\r\nX-Injected: 1")]
            )
            let badName = HTTPRequest.get(server.url("/echo"), headers: [HTTPHeader(name: "X A", value: "1")])
            let getWithBody = HTTPRequest(method: .GET, url: server.url("/echo"), body: [1, 2, 3])
            for request in [injected, badName, getWithBody] {
                let error = await #expect(throws: HTTPClientError.self) {
                    try await client.send(request)
                }
                #expect(error?.code == .invalidRequest)
            }
        }
    }

    @Test func closedPortFailsWithConnectFailed() async throws {
        try await withLoopbackServer { server in
            let client = HTTPClient()
            defer { client.shutdown() }
            let error = await #expect(throws: HTTPClientError.self) {
                try await client.send(.get("http://127.0.0.1:\(server.closedPort)/echo"))
            }
            #expect(error?.code == .connectFailed)
            #expect(error?.curlCode == 7)
            #expect(error?.origin == "http://127.0.0.1:\(server.closedPort)")
        }
    }

    @Test func errorTextNeverShowsPathQueryOrUserInfo() async throws {
        try await withLoopbackServer { server in
            let client = HTTPClient()
            defer { client.shutdown() }
            let url = "http://mpesa:hunter2@127.0.0.1:\(server.closedPort)/callback/PATHSECRET9?token=SECRET123#FRAG77"
            let error = await #expect(throws: HTTPClientError.self) {
                try await client.send(.postJSON(url, body: Array("{}".utf8)))
            }
            let caught = try #require(error)
            #expect(caught.code == .connectFailed)
            for text in [
                caught.description, caught.debugDescription, String(reflecting: caught), caught.curlMessage ?? "",
            ] {
                for secret in ["SECRET123", "token", "PATHSECRET9", "callback", "hunter2", "mpesa", "FRAG77"] {
                    #expect(!text.contains(secret), "\(secret) leaked")
                }
            }
            #expect(caught.description.contains("http://127.0.0.1:\(server.closedPort)"))
        }
    }

    @Test func httpsIsNotDowngradedToPlainHTTP() async throws {
        try await withLoopbackServer { server in
            let client = HTTPClient()
            defer { client.shutdown() }
            // The port speaks plain HTTP: the TLS handshake must fail rather than fall back.
            let error = await #expect(throws: HTTPClientError.self) {
                try await client.send(.get("https://127.0.0.1:\(server.port)/echo"))
            }
            #expect(error?.code == .tls)
            #expect(error?.curlCode == 35)
        }
    }

    @Test func fiftyConcurrentRequestsAllGetTheirOwnAnswer() async throws {
        try await withLoopbackServer { server in
            let client = HTTPClient()
            defer { client.shutdown() }
            let bodies = try await withThrowingTaskGroup(of: (Int, Int, String).self) { group in
                for index in 0..<50 {
                    group.addTask {
                        let body = #"{"request":\#(index)}"#
                        let response = try await client.send(.postJSON(server.url("/echo"), body: Array(body.utf8)))
                        return (index, response.status, try Echo(response.body).body)
                    }
                }
                var answers: [Int: (Int, String)] = [:]
                for try await (index, status, body) in group {
                    answers[index] = (status, body)
                }
                return answers
            }
            #expect(bodies.count == 50)
            for index in 0..<50 {
                #expect(bodies[index]?.0 == 200)
                #expect(bodies[index]?.1 == #"{"request":\#(index)}"#)
            }
        }
    }

    @Test func sequentialRequestsReuseTheConnection() async throws {
        try await withLoopbackServer { server in
            let client = HTTPClient()
            defer { client.shutdown() }
            let first = try Echo(try await client.send(.get(server.url("/echo"))).body)
            let second = try Echo(try await client.send(.get(server.url("/echo"))).body)
            #expect(first.clientPort == second.clientPort)
        }
    }

    @Test func concurrencyLimitQueuesTheRest() async throws {
        try await withLoopbackServer { server in
            let client = HTTPClient(maxConcurrentTransfers: 2)
            defer { client.shutdown() }
            let start = ContinuousClock.now
            try await withThrowingTaskGroup(of: Int.self) { group in
                for _ in 0..<6 {
                    group.addTask { try await client.send(.get(server.url("/slow?ms=200"))).status }
                }
                for try await status in group {
                    #expect(status == 200)
                }
            }
            // Two at a time, six of 200 ms each: at least three rounds.
            #expect(ContinuousClock.now - start >= .milliseconds(600))
        }
    }

    @Test func cancellingTheTaskAbortsTheTransfer() async throws {
        try await withLoopbackServer { server in
            let client = HTTPClient()
            defer { client.shutdown() }
            let task = Task {
                try await client.send(.get(server.url("/slow?ms=5000")))
            }
            try await Task.sleep(for: .milliseconds(200))
            task.cancel()
            let error = await #expect(throws: HTTPClientError.self) {
                try await task.value
            }
            #expect(error?.code == .cancelled)
            // The client still works afterwards.
            #expect(try await client.send(.get(server.url("/echo"))).status == 200)
        }
    }

    @Test func alreadyCancelledTaskDoesNotSend() async throws {
        try await withLoopbackServer { server in
            let client = HTTPClient()
            defer { client.shutdown() }
            let task = Task {
                withUnsafeCurrentTask { $0?.cancel() }
                return try await client.send(.get(server.url("/slow?ms=3000")))
            }
            let error = await #expect(throws: HTTPClientError.self) {
                try await task.value
            }
            #expect(error?.code == .cancelled)
        }
    }

    @Test func shutdownFailsRunningAndLaterRequests() async throws {
        try await withLoopbackServer { server in
            let client = HTTPClient()
            let running = Task {
                try await client.send(.get(server.url("/slow?ms=5000")))
            }
            try await Task.sleep(for: .milliseconds(200))
            client.shutdown()
            client.shutdown()
            let inFlight = await #expect(throws: HTTPClientError.self) {
                try await running.value
            }
            #expect(inFlight?.code == .shutdown)
            let later = await #expect(throws: HTTPClientError.self) {
                try await client.send(.get(server.url("/echo")))
            }
            #expect(later?.code == .shutdown)
        }
    }
}

/// Whether a failed request may have reached the server decides whether `pay` may call a payment "never sent".
@Suite("Request sent or not")
struct RequestSentTests {
    @Test("a refused connection is 'not sent' only when libcurl sent no request bytes")
    func refusedConnection() {
        var error = HTTPClientError(code: .connectFailed)
        #expect(!error.requestMayHaveBeenSent)
        error.bytesSent = 0
        #expect(!error.requestMayHaveBeenSent)
        // libcurl retried on a fresh connection after writing the request on a dead reused one.
        error.bytesSent = 312
        #expect(error.requestMayHaveBeenSent)
    }

    @Test("timeouts and broken connections may have been sent; bad URLs and handshakes were not")
    func otherCodes() {
        for code in [HTTPClientError.Code.timedOut, .transport, .responseTooLarge, .cancelled, .shutdown] {
            #expect(HTTPClientError(code: code).requestMayHaveBeenSent, "\(code)")
        }
        for code in [HTTPClientError.Code.invalidURL, .unsupportedScheme, .invalidRequest, .tls] {
            #expect(!HTTPClientError(code: code).requestMayHaveBeenSent, "\(code)")
        }
    }

    @Test("a closed port on loopback is refused before any byte is sent")
    func closedPortIsNotSent() async throws {
        let client = HTTPClient()
        do {
            _ = try await client.send(.postJSON("http://127.0.0.1:1/x", body: Array("{}".utf8)))
            Issue.record("port 1 answered")
        } catch {
            #expect(error.code == .connectFailed)
            #expect(error.bytesSent == 0)
            #expect(!error.requestMayHaveBeenSent)
        }
    }
}
