public import Foundation
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// The backups pgBackRest holds for a stanza, as `pgbackrest --stanza=S --output=json info` reports them.
public struct BackupStatus: Sendable, Equatable {
    /// When the newest good backup of each type (`full`, `diff`, `incr`) finished; types never taken are absent.
    public var lastGood: [String: Date]

    /// A status.
    public init(lastGood: [String: Date]) {
        self.lastGood = lastGood
    }

    /// When the newest good backup of any type finished; nil when there is none.
    public var newest: Date? { lastGood.values.max() }
}

/// Asks pgBackRest (Debian's `pgbackrest`, found on `PATH`) about a stanza's backups. Its own configuration applies
/// as usual (`/etc/pgbackrest/pgbackrest.conf`, `PGBACKREST_CONFIG`); this program only reads `info`.
public enum PgBackRest {
    /// Why the backups could not be read; safe to print (no secret is in pgBackRest's info output).
    public struct Failure: Error, Sendable, Equatable, CustomStringConvertible {
        public var description: String
    }

    /// Runs `pgbackrest --stanza=STANZA --output=json info` (the first `pgbackrest` in `searchPath`'s folders)
    /// with a deadline and reads its answer.
    public static func info(
        stanza: String, searchPath: String, timeout: Duration = .seconds(20)
    ) async throws(Failure) -> BackupStatus {
        guard let executable = findExecutable("pgbackrest", in: searchPath) else {
            throw Failure(description: "pgbackrest is not installed (not found on PATH)")
        }
        let result = try await run(executable, ["--stanza=\(stanza)", "--output=json", "info"], timeout: timeout)
        guard result.status == 0 else {
            let reason = result.standardError.split(separator: "\n").first.map(String.init) ?? "no message"
            throw Failure(description: "pgbackrest info exited \(result.status): \(reason)")
        }
        return try parseInfo(result.standardOutput, stanza: stanza)
    }

    /// The good backups of `stanza` in `pgbackrest info --output=json`'s answer: those without `"error": true`
    /// (pgBackRest sets it when a backup copied pages with checksum errors), newest stop time per type.
    public static func parseInfo(_ data: Data, stanza: String) throws(Failure) -> BackupStatus {
        struct Stanza: Decodable {
            struct Backup: Decodable {
                struct Timestamp: Decodable { var stop: Int64 }
                var type: String
                var timestamp: Timestamp
                var error: Bool?
            }
            struct Status: Decodable {
                var code: Int
                var message: String
            }
            var name: String
            var backup: [Backup]?
            var status: Status?
        }
        let stanzas: [Stanza]
        do {
            stanzas = try JSONDecoder().decode([Stanza].self, from: data)
        } catch {
            throw Failure(description: "pgbackrest info's answer is not the JSON expected")
        }
        guard let found = stanzas.first(where: { $0.name == stanza }) else {
            throw Failure(description: "pgbackrest info does not list the stanza \(stanza)")
        }
        // Code 2 is "no valid backups": the stanza exists and has none, which is an answer, not a failure.
        if let status = found.status, status.code != 0, status.code != 2 {
            throw Failure(description: "pgbackrest reports the stanza \(stanza): \(status.message)")
        }
        var lastGood: [String: Date] = [:]
        for backup in found.backup ?? [] where backup.error != true {
            let stop = Date(timeIntervalSince1970: TimeInterval(backup.timestamp.stop))
            lastGood[backup.type] = max(lastGood[backup.type] ?? stop, stop)
        }
        return BackupStatus(lastGood: lastGood)
    }

    /// The first executable file named `name` in the folders of `searchPath` (`PATH`'s form).
    static func findExecutable(_ name: String, in searchPath: String) -> String? {
        for folder in searchPath.split(separator: ":") where !folder.isEmpty {
            let candidate = "\(folder)/\(name)"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return nil
    }

    struct Finished {
        var status: Int32
        var standardOutput: Data
        var standardError: String
    }

    /// Runs a program whose output goes to temporary files (no pipe to fill up), killed at the deadline. Waits
    /// through the termination handler, so no thread blocks.
    static func run(_ executable: String, _ arguments: [String], timeout: Duration) async throws(Failure) -> Finished {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent(
            "mpesa-recon-\(UUID().uuidString.lowercased())")
        do {
            try FileManager.default.createDirectory(
                at: folder, withIntermediateDirectories: false, attributes: [.posixPermissions: 0o700])
        } catch {
            throw Failure(description: "cannot make a temporary folder for pgbackrest's answer")
        }
        defer { try? FileManager.default.removeItem(at: folder) }
        let outURL = folder.appendingPathComponent("out")
        let errURL = folder.appendingPathComponent("err")
        guard FileManager.default.createFile(atPath: outURL.path, contents: nil),
            FileManager.default.createFile(atPath: errURL.path, contents: nil)
        else {
            throw Failure(description: "cannot make temporary files for pgbackrest's answer")
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.standardInput = FileHandle.nullDevice
        let status: Int32
        do {
            let out = try FileHandle(forWritingTo: outURL)
            let err = try FileHandle(forWritingTo: errURL)
            defer {
                try? out.close()
                try? err.close()
            }
            process.standardOutput = out
            process.standardError = err
            let deadline = KillDeadline()
            status = try await withCheckedThrowingContinuation {
                (continuation: CheckedContinuation<Int32, any Error>) in
                process.terminationHandler = { ended in
                    deadline.finished()
                    continuation.resume(returning: ended.terminationStatus)
                }
                do {
                    try process.run()
                } catch {
                    process.terminationHandler = nil
                    continuation.resume(throwing: error)
                    return
                }
                deadline.start(pid: process.processIdentifier, after: timeout)
            }
        } catch {
            throw Failure(description: "cannot run \(executable): \(error)")
        }
        let output = (try? Data(contentsOf: outURL)) ?? Data()
        let errors = (try? Data(contentsOf: errURL)).map { String(decoding: $0, as: UTF8.self) } ?? ""
        if status == SIGKILL, process.terminationReason == .uncaughtSignal {
            throw Failure(description: "\(executable) did not answer within \(timeout)")
        }
        return Finished(status: status, standardOutput: output, standardError: errors)
    }
}

/// Kills a child at a deadline unless it finished first. Only a process not yet reaped is killed: once the
/// termination handler ran, its pid may belong to someone else.
private final class KillDeadline: Sendable {
    private let state = Mutex<(finished: Bool, timer: Task<Void, Never>?)>((false, nil))

    /// Arms the timer for `pid`.
    func start(pid: pid_t, after timeout: Duration) {
        let timer = Task { [weak self] in
            guard (try? await Task.sleep(for: timeout)) != nil else { return }
            self?.state.withLock { state in if !state.finished { kill(pid, SIGKILL) } }
        }
        let cancel = state.withLock { state in
            state.timer = timer
            return state.finished
        }
        if cancel { timer.cancel() }
    }

    /// The child ended (and was reaped): never kill it now.
    func finished() {
        state.withLock { state in
            state.finished = true
            state.timer?.cancel()
        }
    }
}
