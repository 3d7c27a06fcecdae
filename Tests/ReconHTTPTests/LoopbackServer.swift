import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// A running `loopback_server.py`: its port and a port nothing listens on.
struct LoopbackServer: Sendable {
    let port: Int
    let closedPort: Int

    func url(_ path: String) -> String {
        "http://127.0.0.1:\(port)\(path)"
    }
}

struct LoopbackServerError: Error, CustomStringConvertible {
    var description: String
}

/// Starts the Python loopback server, runs `body`, and stops the server on every path. Nothing here blocks a
/// cooperative thread: the pool is as small as the machine and a blocked one stalls every other test.
func withLoopbackServer<T>(_ body: (LoopbackServer) async throws -> T) async throws -> T {
    let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("loopback_server.py")
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = ["python3", script.path]
    let output = Pipe()
    // The script exits when its stdin closes, so it also dies if this test process crashes.
    let input = Pipe()
    process.standardOutput = output
    process.standardInput = input
    let (exit, exited) = AsyncStream<Void>.makeStream()
    process.terminationHandler = { _ in exited.finish() }
    try process.run()

    let outcome: Result<T, any Error>
    do {
        let server = try await readFirstLine(of: output.fileHandleForReading)
        outcome = .success(try await body(server))
    } catch {
        outcome = .failure(error)
    }

    try? input.fileHandleForWriting.close()
    process.terminate()
    for await _ in exit {}
    // corelibs Process keeps itself alive through this closure otherwise (LeakSanitizer shows the cycle).
    process.terminationHandler = nil
    return try outcome.get()
}

/// Reads the port line on a thread of its own: the read blocks, and a blocked cooperative thread would stall
/// other tests.
private func readFirstLine(of handle: FileHandle) async throws -> LoopbackServer {
    let line = await withCheckedContinuation { (continuation: CheckedContinuation<[UInt8], Never>) in
        Thread {
            // A POSIX read loop: Foundation's `availableData` traps when a signal interrupts the read.
            var line: [UInt8] = []
            var buffer = [UInt8](repeating: 0, count: 256)
            while !line.contains(UInt8(ascii: "\n")) {
                let count = buffer.withUnsafeMutableBytes { read(handle.fileDescriptor, $0.baseAddress, $0.count) }
                if count < 0 && errno == EINTR { continue }
                guard count > 0 else { break }
                line.append(contentsOf: buffer[0..<count])
            }
            continuation.resume(returning: line)
        }.start()
    }
    let fields = String(decoding: line, as: UTF8.self).split(whereSeparator: \.isWhitespace)
    guard fields.count >= 2, let port = Int(fields[0]), let closedPort = Int(fields[1]) else {
        throw LoopbackServerError(description: "loopback_server.py did not print its ports")
    }
    return LoopbackServer(port: port, closedPort: closedPort)
}

/// What `/echo` answers.
struct Echo: Decodable {
    var method: String
    var body: String
    var headers: [String: String]
    var clientPort: Int

    enum CodingKeys: String, CodingKey {
        case method, body, headers
        case clientPort = "client_port"
    }

    init(_ bytes: [UInt8]) throws {
        self = try JSONDecoder().decode(Echo.self, from: Data(bytes))
    }
}
