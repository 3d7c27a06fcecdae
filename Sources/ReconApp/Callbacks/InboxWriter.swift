import Foundation
import ReconCore
public import ReconPostgres
public import ServiceLifecycle
import Synchronization

/// Stores concurrent callbacks together (group commit): every body that arrived while the previous batch was being
/// written goes into the next one, one INSERT and one commit for all of them. A request waits only for the batch
/// holding its body; at low load a batch is that one body, written at once (nothing waits to fill a batch).
///
/// A service: its writers (at most `maxWriters` batches being stored at once) and the watch over bodies waiting too
/// long are child tasks of ``run()``. On graceful shutdown (after the HTTP server has answered its last request)
/// the writers store what is queued and return; a body offered after that is refused at once and spooled.
public final class InboxWriter: Service, Sendable {
    typealias Waiter = CheckedContinuation<Void, any Error>

    private struct State {
        var queue: [(queuedAt: ContinuousClock.Instant, arrival: InboxArrival, waiter: Waiter)] = []
    }

    private let pool: ConnectionPool
    private let maxBatch: Int
    private let maxWriters: Int
    /// Called with the number of bodies of every committed batch, before their requests are answered.
    private let onStored: @Sendable (Int) -> Void
    /// A body still waiting for a batch after this long is given back (the caller spools it).
    private let queueDeadline: Duration
    private let state = Mutex(State())
    private let work = WorkSignal()

    /// A writer over `pool`; `onStored` hears of every committed batch.
    public init(
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
    public func store(_ arrival: InboxArrival) async throws {
        try await withCheckedThrowingContinuation { (waiter: Waiter) in
            guard !work.ended else {
                return waiter.resume(throwing: ReconAppError(.storeTimeout, "the callback writer has stopped"))
            }
            state.withLock { $0.queue.append((.now, arrival, waiter)) }
            work.signal()
        }
    }

    /// Runs the writers and the watch until graceful shutdown, then stores what is queued and returns.
    public func run() async throws {
        await withDiscardingTaskGroup { group in
            for _ in 0..<maxWriters { group.addTask { await self.writeUntilEnded() } }
            group.addTask { await self.watchUntilEnded() }
            group.addTask {
                try? await gracefulShutdown()
                self.work.end()
            }
        }
        // Cancelled rather than shut down: nothing writes any more, so nobody waits in vain.
        failQueued(ReconAppError(.storeTimeout, "the callback writer has stopped"))
    }

    private func writeUntilEnded() async {
        while true {
            while let batch = nextBatch() { await write(batch) }
            guard await work.wait() else {
                while let batch = nextBatch() { await write(batch) }
                return
            }
        }
    }

    /// Every second, gives back the bodies no batch took within the deadline (their requests fail and are
    /// spooled).
    private func watchUntilEnded() async {
        while !work.ended {
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: .seconds(1)) }
            let cutoff = ContinuousClock.now - queueDeadline
            let late = state.withLock { state in
                let late = state.queue.filter { $0.queuedAt < cutoff }.map(\.waiter)
                state.queue.removeAll { $0.queuedAt < cutoff }
                return late
            }
            let error = ReconAppError(.storeTimeout, "the database took no batch within \(queueDeadline)")
            for waiter in late { waiter.resume(throwing: error) }
        }
    }

    private func failQueued(_ error: ReconAppError) {
        let queued = state.withLock { state in
            defer { state.queue.removeAll() }
            return state.queue.map(\.waiter)
        }
        for waiter in queued { waiter.resume(throwing: error) }
    }

    private func write(_ batch: [(queuedAt: ContinuousClock.Instant, arrival: InboxArrival, waiter: Waiter)]) async {
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

    private func nextBatch() -> [(queuedAt: ContinuousClock.Instant, arrival: InboxArrival, waiter: Waiter)]? {
        state.withLock { state in
            guard !state.queue.isEmpty else { return nil }
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
            throw ReconAppError(.inconsistent, "\(stored) of \(arrivals.count) callbacks were stored")
        }
    }
}
