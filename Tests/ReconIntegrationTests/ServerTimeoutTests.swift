import Dispatch
import Foundation
import HTTPServerKit
import Logging
import ReconCore
import ReconPostgres
import ReconServer
import Testing

#if canImport(Glibc)
    import Glibc
#endif

@Suite("Server: idle, header and body deadlines close stalled connections (loopback, real sockets)")
struct ServerTimeoutTests {
    /// The endpoint with short deadlines; its database is unreachable, which none of these requests reach.
    static func withServer(
        idle: Duration = .seconds(60), header: Duration = .seconds(60), body: Duration = .seconds(60),
        _ test: (Int) async throws -> Void
    ) async throws {
        let spool = FileManager.default.temporaryDirectory.appendingPathComponent("timeout-spool-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: spool) }
        var logger = Logger(label: "timeout-test")
        logger.logLevel = .critical
        let server = try await ReconApplication(
            ServerConfiguration(
                port: 0, callbackToken: "timeout-token", spoolDirectory: spool, sweepIntervalSeconds: 3600,
                idleTimeout: idle, headerTimeout: header, bodyTimeout: body),
            pool: ConnectionPool(
                settings: DatabaseSettings(connectionString: "postgresql://postgres@127.0.0.1:1/none?connect_timeout=1")
            ),
            logger: logger
        ).start()
        do {
            try await test(server.port)
            await server.stop()
        } catch {
            await server.stop()
            throw error
        }
    }

    @Test("half a header line, then silence: the server closes the connection after the header deadline")
    func stalledHeader() async throws {
        try await Self.withServer(header: .seconds(1)) { port in
            let result = try await RawConnection.sendThenWaitForClose(
                port: port, bytes: "POST /api/payments/callback/?token=timeout-token HTTP/1.1\r\nHost: loc",
                giveUpAfter: 8)
            #expect(result.closed)
            #expect(result.seconds >= 0.8 && result.seconds < 5, "closed after \(result.seconds) s")
        }
    }

    @Test(
        "a declared Content-Length (over and under the body cap) and a few bytes, then silence: closed after the body deadline",
        arguments: [10_000_000, 10_000])
    func stalledBody(contentLength: Int) async throws {
        try await Self.withServer(body: .seconds(1)) { port in
            let head =
                "POST /api/payments/callback/?token=timeout-token HTTP/1.1\r\nHost: localhost\r\n"
                + "Content-Type: application/json\r\nContent-Length: \(contentLength)\r\n\r\n{\"Body\":"
            let result = try await RawConnection.sendThenWaitForClose(port: port, bytes: head, giveUpAfter: 8)
            #expect(result.closed)
            #expect(result.seconds >= 0.8 && result.seconds < 5, "closed after \(result.seconds) s")
        }
    }

    @Test("a connection that sends nothing is closed after the idle timeout")
    func idle() async throws {
        try await Self.withServer(idle: .seconds(1)) { port in
            let result = try await RawConnection.sendThenWaitForClose(port: port, bytes: "", giveUpAfter: 8)
            #expect(result.closed)
            #expect(result.seconds >= 0.8 && result.seconds < 5, "closed after \(result.seconds) s")
        }
    }

    @Test("with long deadlines, a stalled header is still open after 2 s (the deadline, not something else, closes it)")
    func longDeadlineKeepsOpen() async throws {
        try await Self.withServer(header: .seconds(30)) { port in
            let result = try await RawConnection.sendThenWaitForClose(
                port: port, bytes: "POST /api/payments/callback/ HTTP/1.1\r\nHo", giveUpAfter: 2)
            #expect(!result.closed)
        }
    }
}

/// A plain TCP client on a thread of its own (blocking calls stay off Swift's cooperative pool).
enum RawConnection {
    struct Outcome: Sendable {
        /// Whether the server closed the connection (EOF or reset) before the test gave up.
        var closed: Bool
        /// Seconds from the last byte sent to the close (or to giving up).
        var seconds: Double
    }

    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    /// Connects to 127.0.0.1:`port`, sends `bytes`, then reads (discarding any answer) until the server closes
    /// the connection or `giveUpAfter` seconds pass.
    static func sendThenWaitForClose(port: Int, bytes: String, giveUpAfter: Double) async throws -> Outcome {
        try await withCheckedThrowingContinuation { continuation in
            DispatchQueue.global().async {
                continuation.resume(
                    with: Swift.Result(catching: { try run(port: port, bytes: bytes, giveUpAfter: giveUpAfter) }))
            }
        }
    }

    private static func run(port: Int, bytes: String, giveUpAfter: Double) throws -> Outcome {
        let fd = try LoopbackSocket.connect(port: port)
        defer { close(fd) }
        let payload = Array(bytes.utf8)
        if !payload.isEmpty {
            guard send(fd, payload, payload.count, Int32(MSG_NOSIGNAL)) == payload.count else {
                throw Failure(description: "send failed: errno \(errno)")
            }
        }
        var timeout = timeval(tv_sec: 0, tv_usec: 200_000)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        let started = Date()
        var buffer = [UInt8](repeating: 0, count: 4096)
        while Date().timeIntervalSince(started) < giveUpAfter {
            let n = recv(fd, &buffer, buffer.count, 0)
            if n == 0 { return Outcome(closed: true, seconds: Date().timeIntervalSince(started)) }
            if n < 0 {
                if errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR { continue }
                return Outcome(closed: true, seconds: Date().timeIntervalSince(started))
            }
        }
        return Outcome(closed: false, seconds: Date().timeIntervalSince(started))
    }
}
