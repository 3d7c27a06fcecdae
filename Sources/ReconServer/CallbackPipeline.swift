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
        var queue: [(queuedAt: ContinuousClock.Instant, arrival: InboxArrival, waiter: Waiter)] = []
        var writers = 0
        /// Whether a task is watching the queue for bodies no batch took in time.
        var watching = false
    }

    private let pool: ConnectionPool
    private let maxBatch: Int
    private let maxWriters: Int
    /// Called with the number of bodies of every committed batch, before their requests are answered.
    private let onStored: @Sendable (Int) -> Void
    /// A body still waiting for a batch after this long is given back (the caller spools it).
    private let queueDeadline: Duration
    private let state = Mutex(State())

    init(
        pool: ConnectionPool, maxBatch: Int, maxWriters: Int, queueDeadline: Duration = .seconds(5),
        onStored: @escaping @Sendable (Int) -> Void
    ) {
        self.pool = pool
        self.maxBatch = max(1, maxBatch)
        self.maxWriters = max(1, maxWriters)
        self.queueDeadline = queueDeadline
        self.onStored = onStored
    }

    /// Returns once the body is committed in `callback_inbox`; throws what storing it threw, or a timeout when the
    /// database took no batch for `queueDeadline` (the caller spools it: a stalled database delays no answer).
    func store(_ arrival: InboxArrival) async throws {
        try await withCheckedThrowingContinuation { (waiter: Waiter) in
            let (startWriter, startWatch) = state.withLock { state in
                state.queue.append((.now, arrival, waiter))
                let watch = !state.watching
                state.watching = true
                guard state.writers < maxWriters else { return (false, watch) }
                state.writers += 1
                return (true, watch)
            }
            if startWriter { Task { await self.drain() } }
            if startWatch { Task { await self.watch() } }
        }
    }

    /// While bodies wait, gives back every second those no batch took within the deadline (their requests fail
    /// and are spooled); ends when the queue is empty.
    private func watch() async {
        while true {
            try? await Task.sleep(for: .seconds(1))
            let cutoff = ContinuousClock.now - queueDeadline
            let (late, done) = state.withLock { state in
                let late = state.queue.filter { $0.queuedAt < cutoff }.map(\.waiter)
                state.queue.removeAll { $0.queuedAt < cutoff }
                if state.queue.isEmpty { state.watching = false }
                return (late, state.queue.isEmpty)
            }
            let error = PostgresError(
                code: .connectionFailed, message: "the database took no batch within \(queueDeadline)")
            for waiter in late { waiter.resume(throwing: error) }
            if done { return }
        }
    }

    private func drain() async {
        while let batch = nextBatch() {
            do {
                try await write(batch.map(\.arrival))
                onStored(batch.count)
                for item in batch { item.waiter.resume() }
            } catch let error as PostgresError where batch.count > 1 && error.isRefusal {
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

    private func nextBatch() -> [(queuedAt: ContinuousClock.Instant, arrival: InboxArrival, waiter: Waiter)]? {
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
        var waiters: [(ticket: Int, target: Int, continuation: CheckedContinuation<Void, Never>)] = []
        var tickets = 0
    }

    private let pool: ConnectionPool
    private let batchSize: Int
    private let schedule: RetrySchedule
    private let metrics: CallbackMetrics
    private let logger: Logger
    private let clock: any ReconClock
    private let state = Mutex(State())

    init(
        pool: ConnectionPool, batchSize: Int, schedule: RetrySchedule, metrics: CallbackMetrics, logger: Logger,
        clock: any ReconClock
    ) {
        self.pool = pool
        self.batchSize = max(1, batchSize)
        self.schedule = schedule
        self.metrics = metrics
        self.logger = logger
        self.clock = clock
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

    /// Returns once every callback stored before the call went through a pass (applied, or left unprocessed after
    /// an error), or after `deadline` if one is given (a pass over a large backlog can take long).
    func caughtUp(within deadline: Duration? = nil) async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let ticket = state.withLock { state -> Int? in
                guard state.completed < state.requested else { return nil }
                state.tickets += 1
                state.waiters.append((state.tickets, state.requested, continuation))
                return state.tickets
            }
            guard let ticket else { return continuation.resume() }
            guard let deadline else { return }
            Task {
                try? await Task.sleep(for: deadline)
                let waiter = self.state.withLock { state in
                    state.waiters.firstIndex { $0.ticket == ticket }.map { state.waiters.remove(at: $0).continuation }
                }
                waiter?.resume()
            }
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
        let (limit, schedule, clock) = (batchSize, schedule, clock)
        while true {
            do {
                let report = try await pool.withConnection { db in
                    try await CallbackProcessor.applyNext(db, limit: limit, now: clock.now, schedule: schedule)
                }
                if report.claimed > 0 { metrics.appliedBatch() }
                for item in report.outcomes { metrics.processed(item.outcome?.rawValue ?? "missing", route: item.kind) }
                if let failure = report.failure {
                    for _ in 0..<report.failed { metrics.processed("error", route: .stk) }
                    logger.error(
                        "callbacks stored but not applied; retried on the next pass",
                        metadata: ["recon.count": "\(report.failed)", "db.error": "\(failure)"])
                    return
                }
                if report.claimed < limit { return }
            } catch {
                metrics.processed("error", route: .stk)
                logger.error(
                    "stored callbacks not applied; retried on the next pass", metadata: ["db.error": "\(error)"])
                return
            }
        }
    }
}
