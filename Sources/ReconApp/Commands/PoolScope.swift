public import Logging
public import ReconCore
public import ReconPostgres

/// Opens a connection pool, lends it to `body`, and closes it when `body` returns or throws: no command has
/// pool lifetime code of its own, and no error path leaves connections open.
public func withConnectionPool<T>(
    _ settings: DatabaseSettings, maxConnections: Int = 1, logger: Logger = Logger(label: "mpesa-recon.pool"),
    _ body: (ConnectionPool) async throws -> T
) async throws -> T {
    let pool = ConnectionPool(settings: settings, maxConnections: maxConnections, logger: logger)
    do {
        let value = try await body(pool)
        await pool.close()
        return value
    } catch {
        await pool.close()
        throw error
    }
}
