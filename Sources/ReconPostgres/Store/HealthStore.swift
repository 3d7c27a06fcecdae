/// The liveness check of the store, for `/healthz`.
public enum HealthStore {
    /// Whether the server answers a trivial statement on this connection.
    public static func ping(_ db: isolated PostgresConnection) throws(PostgresError) -> Bool {
        try db.query("SELECT 1 AS one").first?.decode(Int.self, "one") == 1
    }
}

extension ConnectionPool {
    /// Whether a pooled connection answers; any failure (unreachable server, exhausted pool) is `false`.
    public func ping() async -> Bool {
        (try? await withConnection { db in
            try await db.run { db throws(PostgresError) in try HealthStore.ping(db) }
        }) ?? false
    }
}
