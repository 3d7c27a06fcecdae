import Dispatch
import Foundation
import ReconPostgres
import Synchronization

/// The Summary's queries running on a second connection, in the report transaction's own snapshot, while the
/// first connection streams the Settled sheet: the Summary's aggregates (a third of a large report's time when run
/// one after the other) overlap the streaming instead of preceding it.
///
/// The report's transaction waits for it (``wait()``) on every path before it ends: the snapshot must outlive the
/// import, and the second connection must be idle again before its caller gets it back.
final class PendingSummary: Sendable {
    private let outcome = Mutex<Result<ReportSummary, any Error>?>(nil)
    private let finished = DispatchSemaphore(value: 0)

    private init() {}

    /// Starts loading the Summary of `scope` on `connection`, inside the exported snapshot `snapshot`.
    static func start(_ scope: ReportScope, on connection: PostgresConnection, snapshot: String) -> PendingSummary {
        let pending = PendingSummary()
        Task {
            let result: Result<ReportSummary, any Error>
            do {
                result = .success(
                    try await connection.withTransaction(.repeatableRead) { db in
                        try ReportQueries.beginReadOnly(db)
                        try ReportQueries.useSnapshot(db, snapshot)
                        return try ReportSummary.load(scope, db: db)
                    })
            } catch {
                result = .failure(error)
            }
            pending.outcome.withLock { $0 = result }
            pending.finished.signal()
        }
        return pending
    }

    /// Blocks until the Summary is loaded (or failed) and returns it. Called from the report connection's own
    /// serial queue, never from the cooperative pool, and the loading task needs nothing from that queue.
    func wait() throws -> ReportSummary {
        finished.wait()
        finished.signal()  // later waits return at once
        guard let result = outcome.withLock({ $0 }) else {
            throw ReportError(code: .inconsistent, operation: "report", message: "the Summary was never loaded")
        }
        return try result.get()
    }
}
