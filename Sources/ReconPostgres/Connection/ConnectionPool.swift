public import Logging
public import ReconCore

/// A small pool of connections for concurrent work (the callback server, concurrent settlement).
///
/// A connection is lent to one task at a time; a broken one is reconnected when it is next lent. When the
/// server cannot be reached, `withConnection` throws `.connectionFailed` at once (callers spool or retry).
public actor ConnectionPool {
    private let settings: DatabaseSettings
    private let logger: Logger
    private let maxConnections: Int
    private var idle: [PostgresConnection] = []
    private var lent = 0
    private var waiters: [CheckedContinuation<Void, Never>] = []
    private var closed = false

    /// A pool of at most `maxConnections` connections, opened lazily.
    public init(settings: DatabaseSettings, maxConnections: Int = 8, logger: Logger = Logger(label: "mpesa-recon.pool"))
    {
        self.settings = settings
        self.maxConnections = max(1, maxConnections)
        self.logger = logger
    }

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
        guard !closed else { throw PostgresError(code: .misuse, message: "the connection pool is closed") }
        while idle.isEmpty && lent >= maxConnections {
            await withCheckedContinuation { waiters.append($0) }
            guard !closed else { throw PostgresError(code: .misuse, message: "the connection pool is closed") }
        }
        lent += 1
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

    private func checkin(_ connection: PostgresConnection) async {
        if await connection.isHealthy && !closed {
            idle.append(connection)
        } else {
            await connection.close()
        }
        release()
    }

    private func release() {
        lent -= 1
        if !waiters.isEmpty { waiters.removeFirst().resume() }
    }

    /// Closes idle connections; lent ones are closed when they come back.
    public func close() async {
        closed = true
        for connection in idle { await connection.close() }
        idle = []
        for waiter in waiters { waiter.resume() }
        waiters = []
    }
}
