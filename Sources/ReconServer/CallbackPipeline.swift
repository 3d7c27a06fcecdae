import Foundation
import Logging
import ReconCore
import ReconJobs
import ReconPostgres
import Synchronization

/// Stores concurrent callbacks together (group commit): every body that arrived while the previous batch was being
/// written goes into the next one, one INSERT and one commit for all of them. A request waits only for the batch
/// holding its body; at low load a batch is that one body, written at once (nothing waits to fill a batch).
final class InboxWriter: Sendable {
    typealias Waiter = CheckedContinuation<Void, any Error>

    private struct State {
        var queue: [(arrival: InboxArrival, waiter: Waiter)] = []
        var writers = 0
    }

    private let pool: ConnectionPool
    private let maxBatch: Int
    private let maxWriters: Int
    /// Called with the number of bodies of every committed batch, before their requests are answered.
    private let onStored: @Sendable (Int) -> Void
    private let state = Mutex(State())

    init(pool: ConnectionPool, maxBatch: Int, maxWriters: Int, onStored: @escaping @Sendable (Int) -> Void) {
        self.pool = pool
        self.maxBatch = max(1, maxBatch)
        self.maxWriters = max(1, maxWriters)
        self.onStored = onStored
    }

    /// Returns once the body is committed in `callback_inbox`; throws what storing it threw (the caller spools).
    func store(_ arrival: InboxArrival) async throws {
        try await withCheckedThrowingContinuation { (waiter: Waiter) in
            let startWriter = state.withLock { state in
                state.queue.append((arrival, waiter))
                guard state.writers < maxWriters else { return false }
                state.writers += 1
                return true
            }
            if startWriter { Task { await self.drain() } }
        }
    }

    private func drain() async {
        while let batch = nextBatch() {
            do {
                try await write(batch.map(\.arrival))
                onStored(batch.count)
                for item in batch { item.waiter.resume() }
            } catch let error as PostgresError
                where batch.count > 1 && !error.isConnectionLoss
                && (error.code == .server || error.code == .invalidText)
            {
                // The database refused the batch (nothing of it was stored): store each body alone, so only the
                // body it refuses fails.
                for item in batch {
                    do {
                        try await write([item.arrival])
                        onStored(1)
                        item.waiter.resume()
                    } catch {
                        item.waiter.resume(throwing: error)
                    }
                }
            } catch {
                for item in batch { item.waiter.resume(throwing: error) }
            }
        }
    }

    private func nextBatch() -> [(arrival: InboxArrival, waiter: Waiter)]? {
        state.withLock { state in
            guard !state.queue.isEmpty else {
                state.writers -= 1
                return nil
            }
            let count = min(maxBatch, state.queue.count)
            let batch = Array(state.queue.prefix(count))
            state.queue.removeFirst(count)
            return batch
        }
    }

    private func write(_ arrivals: [InboxArrival]) async throws {
        let stored = try await pool.withConnection { db in
            try await db.run { db throws(PostgresError) in try InboxStore.store(db, arrivals) }
        }
        guard stored == arrivals.count else {
            throw PostgresError(code: .misuse, message: "\(stored) of \(arrivals.count) callbacks were stored")
        }
    }
}

/// Applies stored callbacks off the request path: every committed batch wakes it, and it drains never-processed
/// callbacks in batches (``CallbackProcessor/applyNext(_:limit:now:schedule:)``) until none is left. Several
/// processes may run one each: rows another applier holds are skipped. What fails here waits for the sweep.
final class CallbackApplier: Sendable {
    private struct State {
        /// Wake-ups so far.
        var requested = 0
        /// Every wake-up up to this one was followed by a pass that found nothing more to take.
        var completed = 0
        var running = false
        var waiters: [(target: Int, continuation: CheckedContinuation<Void, Never>)] = []
    }

    private let pool: ConnectionPool
    private let batchSize: Int
    private let schedule: RetrySchedule
    private let metrics: CallbackMetrics
    private let logger: Logger
    private let state = Mutex(State())

    init(pool: ConnectionPool, batchSize: Int, schedule: RetrySchedule, metrics: CallbackMetrics, logger: Logger) {
        self.pool = pool
        self.batchSize = max(1, batchSize)
        self.schedule = schedule
        self.metrics = metrics
        self.logger = logger
    }

    /// Asks for a pass; starts one unless one is running (which then runs again).
    func wake() {
        let start = state.withLock { state in
            state.requested += 1
            guard !state.running else { return false }
            state.running = true
            return true
        }
        if start { Task { await self.drain() } }
    }

    /// Returns once every callback stored before the call went through a pass (applied, or left for the sweep
    /// after an error).
    func caughtUp() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let ready = state.withLock { state in
                guard state.completed < state.requested else { return true }
                state.waiters.append((state.requested, continuation))
                return false
            }
            if ready { continuation.resume() }
        }
    }

    private func drain() async {
        while true {
            let seen = state.withLock { $0.requested }
            await applyUntilEmpty()
            let (finished, ready) = state.withLock { state in
                state.completed = seen
                let ready = state.waiters.filter { $0.target <= seen }.map(\.continuation)
                state.waiters.removeAll { $0.target <= seen }
                guard state.requested == seen else { return (false, ready) }
                state.running = false
                return (true, ready)
            }
            for continuation in ready { continuation.resume() }
            if finished { return }
        }
    }

    private func applyUntilEmpty() async {
        let (limit, schedule) = (batchSize, schedule)
        while true {
            do {
                let report = try await pool.withConnection { db in
                    try await CallbackProcessor.applyNext(db, limit: limit, now: Date(), schedule: schedule)
                }
                if report.claimed > 0 { metrics.appliedBatch() }
                for item in report.outcomes { metrics.processed(item.outcome?.rawValue ?? "missing", route: item.kind) }
                if report.claimed < limit { return }
            } catch {
                metrics.count("callbacks_processing_errors_total")
                logger.error(
                    "callbacks stored but not applied; the sweep retries them", metadata: ["db.error": "\(error)"])
                return
            }
        }
    }
}
