import Dispatch
import Foundation
import ReconPostgres
import Synchronization

/// The Summary's queries running on a second connection, in the report transaction's own snapshot, while the
/// first connection streams the Settled sheet: the Summary's aggregates overlap the streaming instead of preceding
/// it. When the workbook needs the Settled sheet's row count before its first row, the second connection counts
/// first, so the first connection's query starts at once.
///
/// The report's transaction waits for it (``wait()``) on every path before it ends: the snapshot must outlive the
/// import, and the second connection must be idle again before its caller gets it back.
final class PendingSummary: Sendable {
    private let settled = Awaited<ReportTotal?>()
    private let summary = Awaited<ReportSummary>()

    private init() {}

    /// Starts loading the Summary of `scope` on `connection`, inside the exported snapshot `snapshot`; with
    /// `countSettled`, the Settled sheet's row count and amount first.
    static func start(
        _ scope: ReportScope, on connection: PostgresConnection, snapshot: String, countSettled: Bool
    ) -> PendingSummary {
        let pending = PendingSummary()
        // Awaited: the report transaction calls `wait()` on every path before it ends.
        Task {
            do {
                let loaded = try await connection.withTransaction(.repeatableRead) { db in
                    try ReportQueries.beginReadOnly(db)
                    try ReportQueries.useSnapshot(db, snapshot)
                    pending.settled.finish(.success(countSettled ? try ReportSummary.settledTotal(scope, db: db) : nil))
                    return try ReportSummary.load(scope, db: db)
                }
                pending.summary.finish(.success(loaded))
            } catch {
                pending.settled.finish(.failure(error))
                pending.summary.finish(.failure(error))
            }
        }
        return pending
    }

    /// Blocks until the Settled sheet's count is known (`nil` when it was not asked for).
    func settledTotal() throws -> ReportTotal? { try settled.wait() }

    /// Blocks until the Summary is loaded (or failed) and returns it. Called from the report connection's own
    /// serial queue, never from the cooperative pool, and the loading task needs nothing from that queue.
    func wait() throws -> ReportSummary { try summary.wait() }
}

/// A result another task delivers once; waiting blocks the calling thread until then.
private final class Awaited<Value: Sendable>: Sendable {
    private let outcome = Mutex<Result<Value, any Error>?>(nil)
    private let finished = DispatchSemaphore(value: 0)

    /// Delivers the result; only the first delivery counts.
    func finish(_ result: Result<Value, any Error>) {
        let first = outcome.withLock { outcome in
            guard outcome == nil else { return false }
            outcome = result
            return true
        }
        if first { finished.signal() }
    }

    func wait() throws -> Value {
        finished.wait()
        finished.signal()  // later waits return at once
        guard let result = outcome.withLock({ $0 }) else {
            throw ReportError(code: .inconsistent, operation: "report", message: "a Summary query never finished")
        }
        return try result.get()
    }
}
