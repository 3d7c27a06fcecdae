public import Foundation
import NIOPosix
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// A callback that could not be stored in PostgreSQL, kept on disk until it can.
public struct SpooledCallback: Sendable, Codable, Equatable {
    /// Unique id; the inbox's `spool_id`, so a replay never inserts the same body twice.
    public var id: String
    /// `stk`, `b2c_result` or `b2c_timeout`.
    public var kind: String
    /// When the body arrived.
    public var receivedAt: Date
    /// The peer's address.
    public var remoteAddress: String?
    /// Request headers.
    public var headers: [String: String]
    /// The body exactly as received.
    public var body: Data

    /// A spooled callback.
    public init(
        id: String = UUID().uuidString.lowercased(), kind: String, receivedAt: Date, remoteAddress: String?,
        headers: [String: String], body: Data
    ) {
        self.id = id
        self.kind = kind
        self.receivedAt = receivedAt
        self.remoteAddress = remoteAddress
        self.headers = headers
        self.body = body
    }
}

/// A spool failure: the body could not be made durable.
public struct SpoolError: Error, CustomStringConvertible {
    /// What failed, with the OS error.
    public var message: String
    public var description: String { "callback spool: \(message)" }
}

/// An append-only, fsync'd file of callbacks received while PostgreSQL was unreachable (ARCHITECTURE.md §6.1).
///
/// One JSON object per line. A line is acknowledged to Daraja only after `fsync`, so a crash can at most
/// leave a torn last line for a request that was never answered 200. Replay moves the file aside first, so
/// new callbacks keep spooling while older ones are replayed.
public final class CallbackSpool: Sendable {
    /// The folder holding the spool files.
    public let directory: URL
    private let lock = Mutex(())

    /// A spool in `directory` (created when needed).
    public init(directory: URL) {
        self.directory = directory
    }

    private var activePath: String { directory.appendingPathComponent("callbacks.spool").path }

    /// Appends one callback durably (write + fsync) before returning.
    public func append(_ callback: SpooledCallback) throws(SpoolError) {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        encoder.outputFormatting = [.sortedKeys]
        var line: Data
        do {
            line = try encoder.encode(callback)
        } catch {
            throw SpoolError(message: "cannot encode a callback: \(error)")
        }
        // A leading newline ends any torn line a crash left behind, so this record always parses alone.
        line.insert(0x0A, at: 0)
        line.append(0x0A)
        let path = activePath
        let directoryPath = directory.path
        try lock.withLock { _ throws(SpoolError) in
            do {
                try FileManager.default.createDirectory(atPath: directoryPath, withIntermediateDirectories: true)
            } catch {
                throw SpoolError(message: "cannot create \(directoryPath): \(error)")
            }
            let fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o600)
            guard fd >= 0 else { throw SpoolError(message: "cannot open \(path): \(String(cString: strerror(errno)))") }
            defer { close(fd) }
            // Another process (a `serve` overlapping a restart) may replay the same folder: lock it.
            let folder = Self.lockFolder(directoryPath)
            defer { Self.unlockFolder(folder) }
            let written = line.withUnsafeBytes { buffer -> Int in
                guard let base = buffer.baseAddress else { return 0 }
                var offset = 0
                while offset < buffer.count {
                    let n = write(fd, base + offset, buffer.count - offset)
                    if n < 0 {
                        if errno == EINTR { continue }
                        return -1
                    }
                    offset += n
                }
                return offset
            }
            guard written == line.count else {
                throw SpoolError(message: "cannot write \(path): \(String(cString: strerror(errno)))")
            }
            guard fsync(fd) == 0 else {
                throw SpoolError(message: "cannot fsync \(path): \(String(cString: strerror(errno)))")
            }
            Self.syncFolder(directoryPath)
        }
    }

    /// ``append(_:)`` on NIO's blocking-I/O thread pool: the write and fsync never hold an event loop or a thread
    /// of Swift's cooperative pool. Returns only once the callback is durable, so a 200 follows the fsync.
    public func appendOffEventLoop(_ callback: SpooledCallback) async throws {
        try await NIOThreadPool.singleton.runIfActive { try self.append(callback) }
    }

    /// An exclusive `flock` on the folder's lock file, shared by every process using this spool; -1 if none.
    static func lockFolder(_ directoryPath: String) -> Int32 {
        let fd = open(directoryPath + "/.lock", O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        if fd >= 0 { _ = flock(fd, LOCK_EX) }
        return fd
    }

    static func unlockFolder(_ fd: Int32) {
        guard fd >= 0 else { return }
        _ = flock(fd, LOCK_UN)
        close(fd)
    }

    /// fsyncs the folder, so a new or renamed spool file survives a crash too.
    static func syncFolder(_ directoryPath: String) {
        let fd = open(directoryPath, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return }
        _ = fsync(fd)
        close(fd)
    }

    /// Whether anything waits to be replayed.
    public var isEmpty: Bool {
        pendingFiles().allSatisfy { (try? FileManager.default.attributesOfItem(atPath: $0)[.size] as? Int) == 0 }
    }

    private func pendingFiles() -> [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
        return names.filter { $0.hasPrefix("callbacks.spool") && !$0.hasSuffix(".unreadable") }.sorted().map {
            directory.appendingPathComponent($0).path
        }
    }

    /// Hands every spooled callback to `store`, oldest first; files are removed once all their callbacks are
    /// stored. `store` must be idempotent on the callback's id: after a crash mid-replay some are stored twice.
    /// Returns how many callbacks were handed over. A torn last line (a crash during `append`) is skipped.
    @discardableResult
    public func replay(_ store: (SpooledCallback) async throws -> Void) async throws -> Int {
        let files = try await NIOThreadPool.singleton.runIfActive { self.moveActiveAside() }
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        var count = 0
        for path in files {
            guard
                let data = try await NIOThreadPool.singleton.runIfActive({ FileManager.default.contents(atPath: path) })
            else { continue }
            var unreadable = Data()
            for line in data.split(separator: 0x0A, omittingEmptySubsequences: true) {
                guard let callback = try? decoder.decode(SpooledCallback.self, from: Data(line)) else {
                    // Never dropped: kept aside for a person (a torn line from a crash, or a format change).
                    unreadable.append(contentsOf: line)
                    unreadable.append(0x0A)
                    continue
                }
                try await store(callback)
                count += 1
            }
            let kept = unreadable
            try await NIOThreadPool.singleton.runIfActive { try self.finishReplayed(path, unreadable: kept) }
        }
        return count
    }

    /// Moves the active file aside under the locks, so appends go to a fresh file meanwhile; returns every file
    /// waiting for replay. The locks are held only for the rename, never across the replay's awaits: an append
    /// waiting on them must not block a thread the replay needs. Two processes replaying the same file store
    /// nothing twice (the store is idempotent on the callback's id).
    private func moveActiveAside() -> [String] {
        let active = activePath
        let directoryPath = directory.path
        guard FileManager.default.fileExists(atPath: directoryPath) else { return [] }
        lock.withLock { _ in
            let folder = Self.lockFolder(directoryPath)
            defer { Self.unlockFolder(folder) }
            if FileManager.default.fileExists(atPath: active) {
                let aside = "\(directoryPath)/callbacks.spool.replay-\(UInt64(Date().timeIntervalSince1970 * 1000))"
                _ = rename(active, aside)
                Self.syncFolder(directoryPath)
            }
        }
        return pendingFiles().filter { $0 != active && !$0.hasSuffix(".unreadable") }
    }

    /// Keeps a replayed file's unreadable lines aside for a person, then removes the file.
    private func finishReplayed(_ path: String, unreadable: Data) throws {
        if !unreadable.isEmpty {
            let quarantine = directory.appendingPathComponent("callbacks.spool.unreadable")
            if let handle = FileHandle(forWritingAtPath: quarantine.path) {
                handle.seekToEndOfFile()
                handle.write(unreadable)
                try? handle.synchronize()
                try? handle.close()
            } else {
                try unreadable.write(to: quarantine, options: .atomic)
            }
        }
        try FileManager.default.removeItem(atPath: path)
    }
}
