/// How many rows of a table share one value of a column.
public struct Tally: Sendable, Equatable, Codable {
    /// The value (`none` for NULL).
    public var value: String
    /// How many rows carry it.
    public var count: Int

    /// A value and its count.
    public init(value: String, count: Int) {
        self.value = value
        self.count = count
    }
}

/// Counts for overviews (the demo's story, a console's dashboard), each sorted by value.
public enum TallyStore {
    /// Payments by status.
    public static func paymentsByStatus(_ db: isolated PostgresConnection) throws(PostgresError) -> [Tally] {
        try tallies(db.query("SELECT status AS k, count(*) AS n FROM payments GROUP BY status"))
    }

    /// Refunds by status.
    public static func refundsByStatus(_ db: isolated PostgresConnection) throws(PostgresError) -> [Tally] {
        try tallies(db.query("SELECT status AS k, count(*) AS n FROM refunds GROUP BY status"))
    }

    /// Stored callbacks by outcome (`none` while unprocessed).
    public static func callbacksByOutcome(_ db: isolated PostgresConnection) throws(PostgresError) -> [Tally] {
        try tallies(db.query("SELECT outcome AS k, count(*) AS n FROM callback_inbox GROUP BY outcome"))
    }

    /// Open reconciliation exceptions by kind.
    public static func openExceptionsByKind(_ db: isolated PostgresConnection) throws(PostgresError) -> [Tally] {
        try tallies(
            db.query(
                "SELECT kind AS k, count(*) AS n FROM reconciliation_exceptions WHERE status = 'open' GROUP BY kind"))
    }

    static func tallies(_ rows: PostgresRows) throws(PostgresError) -> [Tally] {
        try rows.map { row throws(PostgresError) in
            Tally(value: try row.decode(String?.self, "k") ?? "none", count: try row.decode(Int.self, "n"))
        }.sorted { $0.value < $1.value }
    }
}
