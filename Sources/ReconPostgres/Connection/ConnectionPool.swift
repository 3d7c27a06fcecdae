public import Logging
public import ReconCore

extension PostgresError.Code {
    /// No connection of the pool became free within its acquire timeout.
    public static let poolTimeout = PostgresError.Code(raw: "pool timeout")
}

/// A small pool of connections for concurrent work (the callback server, concurrent settlement).
///
/// A connection is lent to one task at a time; a broken one is reconnected when it is next lent. When the
/// server cannot be reached, `withConnection` throws `.connectionFailed` at once (callers spool or retry).
/// When every connection is lent, callers wait in line (first come, first served) for at most the acquire
/// timeout, then get `.poolTimeout`; a caller whose task is cancelled leaves the line with `CancellationError`.
public actor ConnectionPool {
    private let settings: DatabaseSettings
    private let logger: Logger
    private let maxConnections: Int
    private let acquireTimeout: Duration
    private var idle: [PostgresConnection] = []
    /// Slots taken: connections lent out or being opened. A released slot passes straight to the first waiter.
    private var lent = 0
    private var waiters: [Waiter] = []
    private var nextWaiterID: UInt64 = 0
    private var closed = false

    private struct Waiter {
        let id: UInt64
        let continuation: CheckedContinuation<Void, any Error>
        let timeout: Task<Void, Never>
    }

    /// A pool of at most `maxConnections` connections, opened lazily; a caller waits at most `acquireTimeout`
    /// (5 s by default) for one to be free.
    public init(
        settings: DatabaseSettings, maxConnections: Int = 8, acquireTimeout: Duration = .seconds(5),
        logger: Logger = Logger(label: "mpesa-recon.pool")
    ) {
        self.settings = settings
        self.maxConnections = max(1, maxConnections)
        self.acquireTimeout = acquireTimeout
        self.logger = logger
    }

    /// How many callers are waiting for a connection (for metrics and tests).
    public var waitingCount: Int { waiters.count }

    /// Lends a healthy connection to `body` and takes it back afterwards.
    public func withConnection<T: Sendable>(
        _ body: @Sendable (PostgresConnection) async throws -> T
    ) async throws -> T {
        let connection = try await checkout()
        do {
            let value = try await body(connection)
            await checkin(connection)
            return value
        } catch {
            await checkin(connection)
            throw error
        }
    }

    private func checkout() async throws -> PostgresConnection {
        guard !closed else { throw Self.closedError }
        if lent >= maxConnections {
            // On return the releasing caller has handed its slot over: `lent` already counts this caller.
            try await waitForSlot()
        } else {
            lent += 1
        }
        if let connection = idle.popLast() {
            if await connection.isHealthy { return connection }
            do {
                try await connection.reconnect()
                return connection
            } catch {
                release()
                throw error
            }
        }
        do {
            return try await PostgresConnection.connect(settings, logger: logger)
        } catch {
            release()
            throw error
        }
    }

    private func waitForSlot() async throws {
        let id = nextWaiterID
        nextWaiterID += 1
        let timeout = acquireTimeout
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                guard !Task.isCancelled else {
                    continuation.resume(throwing: CancellationError())
                    return
                }
                // Owned: the waiter keeps it and cancels it when the connection comes or the wait ends.
                let timer = Task { [weak self] in
                    try? await Task.sleep(for: timeout)
                    guard !Task.isCancelled else { return }
                    await self?.expire(id)
                }
                waiters.append(Waiter(id: id, continuation: continuation, timeout: timer))
            }
        } onCancel: {
            // A hop onto the pool actor from the synchronous cancellation handler; it ends the wait it names.
            Task { await self.leave(id, throwing: CancellationError()) }
        }
    }

    private func expire(_ id: UInt64) {
        leave(
            id,
            throwing: PostgresError(
                code: .poolTimeout,
                message: "no database connection became free within \(acquireTimeout) (all \(maxConnections) in use)"))
    }

    /// Takes a waiter out of the line (timed out or cancelled); one already served is left alone.
    private func leave(_ id: UInt64, throwing error: any Error) {
        guard let index = waiters.firstIndex(where: { $0.id == id }) else { return }
        let waiter = waiters.remove(at: index)
        waiter.timeout.cancel()
        waiter.continuation.resume(throwing: error)
    }

    private func checkin(_ connection: PostgresConnection) async {
        if await connection.isHealthy && !closed {
            idle.append(connection)
        } else {
            await connection.close()
        }
        release()
    }

    /// Gives a slot back: to the first waiter if there is one, else to the pool.
    private func release() {
        if waiters.isEmpty {
            lent -= 1
        } else {
            let waiter = waiters.removeFirst()
            waiter.timeout.cancel()
            waiter.continuation.resume()
        }
    }

    private static var closedError: PostgresError {
        PostgresError(code: .misuse, message: "the connection pool is closed")
    }

    /// Closes idle connections; lent ones are closed when they come back. Waiters fail at once.
    public func close() async {
        closed = true
        for connection in idle { await connection.close() }
        idle = []
        let waiting = waiters
        waiters = []
        for waiter in waiting {
            waiter.timeout.cancel()
            waiter.continuation.resume(throwing: Self.closedError)
        }
    }
}
