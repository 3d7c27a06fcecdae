public import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Runs a helper process (python3, openssl, the project's own executables) for a test.
///
/// Output goes to temporary files rather than pipes, and is read with a loop that retries `EINTR`:
/// Foundation's pipe readers trap when a signal (a child's SIGCHLD) interrupts a read.
public enum ProcessRunner {
    /// What a process did.
    public struct Output: Sendable {
        public var status: Int32
        public var stdout: String
        public var stderr: String
        /// Whether the runner killed it with SIGKILL.
        public var killed: Bool
        /// Whether it ended by a signal (its own or the runner's); `status` is then the signal number.
        public var signalled = false
    }

    /// A process wired to temporary output files, not yet started.
    private struct Launch {
        let process = Process()
        let folder: URL
        let outURL: URL
        let errURL: URL
        let out: FileHandle
        let err: FileHandle

        init(
            _ executable: URL, _ arguments: [String], environment: [String: String]?, currentDirectory: URL?,
            stdin: String? = nil
        ) throws {
            folder = FileManager.default.temporaryDirectory.appendingPathComponent("proc-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            outURL = folder.appendingPathComponent("stdout")
            errURL = folder.appendingPathComponent("stderr")
            _ = FileManager.default.createFile(atPath: outURL.path, contents: nil)
            _ = FileManager.default.createFile(atPath: errURL.path, contents: nil)
            out = try FileHandle(forWritingTo: outURL)
            err = try FileHandle(forWritingTo: errURL)
            process.executableURL = executable
            process.arguments = arguments
            if let environment { process.environment = environment }
            process.currentDirectoryURL = currentDirectory ?? FileManager.default.temporaryDirectory
            process.standardOutput = out
            process.standardError = err
            if let stdin {
                let inURL = folder.appendingPathComponent("stdin")
                _ = FileManager.default.createFile(atPath: inURL.path, contents: Data(stdin.utf8))
                process.standardInput = try FileHandle(forReadingFrom: inURL)
            } else {
                process.standardInput = FileHandle.nullDevice
            }
        }

        /// Closes the files, reads them, and removes the folder.
        func finish(killed: Bool) throws -> Output {
            defer { try? FileManager.default.removeItem(at: folder) }
            try? out.close()
            try? err.close()
            return Output(
                status: process.terminationStatus, stdout: String(decoding: try readAll(outURL.path), as: UTF8.self),
                stderr: String(decoding: try readAll(errURL.path), as: UTF8.self), killed: killed,
                signalled: process.terminationReason == .uncaughtSignal)
        }
    }

    /// Runs `executable` to its end, or kills it with SIGKILL after `killAfter`, or as soon as `killWhen`
    /// (polled every 20 ms) says so.
    public static func run(
        _ executable: URL, _ arguments: [String], environment: [String: String]? = nil,
        currentDirectory: URL? = nil, killAfter: Duration? = nil,
        killWhen: (@Sendable () async -> Bool)? = nil, stdin: String? = nil
    ) async throws -> Output {
        let launch = try Launch(
            executable, arguments, environment: environment, currentDirectory: currentDirectory, stdin: stdin)
        let process = launch.process
        let (exit, exited) = AsyncStream<Void>.makeStream()
        process.terminationHandler = { _ in exited.finish() }
        try process.run()
        var killed = false
        if killAfter != nil || killWhen != nil {
            let pid = process.processIdentifier
            let killer = Task {
                if let killAfter { try await Task.sleep(for: killAfter) }
                if let killWhen {
                    while await !killWhen() { try await Task.sleep(for: .milliseconds(20)) }
                }
                kill(pid, SIGKILL)
            }
            for await _ in exit {}
            killer.cancel()
            killed = process.terminationReason == .uncaughtSignal && process.terminationStatus == SIGKILL
        } else {
            for await _ in exit {}
        }
        process.terminationHandler = nil
        return try launch.finish(killed: killed)
    }

    /// Runs `executable` to its end, blocking the calling thread (for synchronous tests).
    public static func runBlocking(
        _ executable: URL, _ arguments: [String], currentDirectory: URL? = nil
    ) throws -> Output {
        let launch = try Launch(executable, arguments, environment: nil, currentDirectory: currentDirectory)
        try launch.process.run()
        launch.process.waitUntilExit()
        return try launch.finish(killed: false)
    }

    /// Reads a whole file, retrying reads that a signal interrupted.
    public static func readAll(_ path: String) throws -> [UInt8] {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw ProcessRunnerError(message: "cannot open \(path)") }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65_536)
        while true {
            let count = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                throw ProcessRunnerError(message: "cannot read \(path)")
            }
            if count == 0 { return bytes }
            bytes.append(contentsOf: buffer[0..<count])
        }
    }
}

/// A helper process that could not be run or read.
public struct ProcessRunnerError: Error, CustomStringConvertible {
    public var message: String
    public var description: String { message }
}
