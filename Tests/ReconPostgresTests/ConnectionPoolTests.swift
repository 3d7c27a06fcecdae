import Foundation
import ReconPostgres
import ReconTestSupport
import Synchronization
import Testing

@Suite("Connection pool against the real server: acquire timeout and cancellation")
struct ConnectionPoolTests {
    /// Holds the pool's only connection until `release` is called.
    final class Holder: Sendable {
        private let gate = AsyncStream<Void>.makeStream()

        func release() { gate.continuation.finish() }

        func hold(_ pool: ConnectionPool, started: @escaping @Sendable () -> Void) async throws {
            try await pool.withConnection { db in
                _ = try await db.query("SELECT 1 AS one")
                started()
                for await _ in self.gate.stream {}
            }
        }
    }

    /// The order waiters were served in.
    final class Served: Sendable {
        let list = Mutex<[Int]>([])
    }

    /// Starts a task holding the pool's only connection and returns once it holds it.
    static func occupy(_ pool: ConnectionPool) async -> (Holder, Task<Void, any Error>) {
        let holder = Holder()
        let (held, signal) = AsyncStream<Void>.makeStream()
        let task = Task { try await holder.hold(pool, started: { signal.finish() }) }
        for await _ in held {}
        return (holder, task)
    }

    static func waitUntil(_ condition: @Sendable () async -> Bool) async throws {
        for _ in 0..<200 {
            if await condition() { return }
            try await Task.sleep(for: .milliseconds(10))
        }
    }

    @Test("a caller waiting longer than the acquire timeout gets a clear pool-timeout error")
    func acquireTimeout() async throws {
        try await TestDatabase.with { database, _ in
            let pool = ConnectionPool(
                settings: database.settings, maxConnections: 1, acquireTimeout: .milliseconds(300))
            let (holder, task) = await Self.occupy(pool)
            let started = ContinuousClock.now
            var caught: (any Error)?
            do {
                _ = try await pool.withConnection { db in try await db.query("SELECT 1 AS one").rows.count }
            } catch {
                caught = error
            }
            let waited = ContinuousClock.now - started
            let error = try #require(caught as? PostgresError)
            #expect(error.code == .poolTimeout)
            #expect(error.description.contains("no database connection became free"))
            #expect(waited >= .milliseconds(250) && waited < .seconds(20))
            #expect(await pool.waitingCount == 0)
            holder.release()
            try await task.value
            // The pool still lends its connection afterwards.
            #expect(try await pool.withConnection { db in try await db.query("SELECT 1 AS one").rows.count } == 1)
            await pool.close()
        }
    }

    @Test("a cancelled waiter leaves the line at once with CancellationError, and its place is not lost")
    func cancelledWaiter() async throws {
        try await TestDatabase.with { database, _ in
            let pool = ConnectionPool(settings: database.settings, maxConnections: 1, acquireTimeout: .seconds(30))
            let (holder, task) = await Self.occupy(pool)
            let waiter = Task { try await pool.withConnection { _ in 1 } }
            try await Self.waitUntil { await pool.waitingCount == 1 }
            #expect(await pool.waitingCount == 1)
            let started = ContinuousClock.now
            waiter.cancel()
            let result = await waiter.result
            // Well before the 30 s acquire timeout (no speed claim: a loaded machine may take a while).
            #expect(ContinuousClock.now - started < .seconds(20))
            #expect(throws: CancellationError.self) { try result.get() }
            #expect(await pool.waitingCount == 0)
            holder.release()
            try await task.value
            // The slot went back to the pool, not to the departed waiter: the next caller is served at once.
            #expect(try await pool.withConnection { db in try await db.query("SELECT 1 AS one").rows.count } == 1)
            await pool.close()
        }
    }

    @Test("waiters are served in arrival order when connections come back")
    func fifo() async throws {
        try await TestDatabase.with { database, _ in
            let pool = ConnectionPool(settings: database.settings, maxConnections: 1, acquireTimeout: .seconds(30))
            let (holder, task) = await Self.occupy(pool)
            let order = Served()
            var waiters: [Task<Void, any Error>] = []
            for index in 0..<3 {
                waiters.append(Task { try await pool.withConnection { _ in order.list.withLock { $0.append(index) } } })
                try await Self.waitUntil { await pool.waitingCount == index + 1 }
            }
            holder.release()
            try await task.value
            for waiter in waiters { try await waiter.value }
            #expect(order.list.withLock { $0 } == [0, 1, 2])
            await pool.close()
        }
    }
}
