public import Foundation
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

/// An append-only, fsync'd file of callbacks received while PostgreSQL was unreachable (DESIGN §6).
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
        }
    }

    /// Whether anything waits to be replayed.
    public var isEmpty: Bool {
        pendingFiles().allSatisfy { (try? FileManager.default.attributesOfItem(atPath: $0)[.size] as? Int) == 0 }
    }

    private func pendingFiles() -> [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
        return names.filter { $0.hasPrefix("callbacks.spool") }.sorted().map {
            directory.appendingPathComponent($0).path
        }
    }

    /// Hands every spooled callback to `store`, oldest first; files are removed once all their callbacks are
    /// stored. `store` must be idempotent on the callback's id: after a crash mid-replay some are stored twice.
    /// Returns how many callbacks were handed over. A torn last line (a crash during `append`) is skipped.
    @discardableResult
    public func replay(_ store: (SpooledCallback) async throws -> Void) async throws -> Int {
        // Move the active file aside under the lock, so appends go to a fresh file meanwhile.
        let active = activePath
        let directoryPath = directory.path
        lock.withLock { _ in
            if FileManager.default.fileExists(atPath: active) {
                let aside = "\(directoryPath)/callbacks.spool.replay-\(UInt64(Date().timeIntervalSince1970 * 1000))"
                _ = rename(active, aside)
            }
        }
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        var count = 0
        for path in pendingFiles() where path != active {
            guard let data = FileManager.default.contents(atPath: path) else { continue }
            for line in data.split(separator: 0x0A, omittingEmptySubsequences: true) {
                guard let callback = try? decoder.decode(SpooledCallback.self, from: Data(line)) else { continue }
                try await store(callback)
                count += 1
            }
            try FileManager.default.removeItem(atPath: path)
        }
        return count
    }
}
