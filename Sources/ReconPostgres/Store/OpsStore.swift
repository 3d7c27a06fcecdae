/// What an operator or an alert asks of the database: counts that tell whether the jobs keep up.
public enum OpsStore {
    /// The database-side numbers behind `/metrics`.
    public struct Snapshot: Sendable, Equatable {
        /// Payments still `pending`.
        public var paymentsPending: Int
        /// Seconds since the oldest `pending` payment was created; 0 when there is none.
        public var oldestPendingAgeSeconds: Int64
        /// Open exceptions by kind (kinds with none are absent).
        public var exceptionsOpen: [String: Int]
        /// Refunds approved and not yet sent.
        public var refundsApprovedUnsent: Int
        /// When the last `run` finished with every step done (Unix seconds); 0 when never.
        public var lastSuccessfulRun: Int64
    }

    /// Refunds approved and not yet handed to B2C.
    public static func approvedUnsentRefunds(_ db: isolated PostgresConnection) throws(PostgresError) -> Int {
        try db.query("SELECT count(*)::bigint AS n FROM refunds WHERE status = 'approved'").first?
            .decode(Int.self, "n") ?? 0
    }

    /// Reads every number of a ``Snapshot`` (a few index-backed counts).
    public static func snapshot(_ db: isolated PostgresConnection) throws(PostgresError) -> Snapshot {
        let pending = try db.query(
            """
            SELECT count(*)::bigint AS n,
                coalesce(floor(extract(epoch FROM now() - min(created_at))), 0)::bigint AS age
            FROM payments WHERE status = 'pending'
            """
        ).first
        var open: [String: Int] = [:]
        for row in try db.query(
            "SELECT kind, count(*)::bigint AS n FROM reconciliation_exceptions WHERE status = 'open' GROUP BY kind")
        {
            open[try row.decode(String.self, "kind")] = try row.decode(Int.self, "n")
        }
        let lastRun = try db.query(
            """
            SELECT coalesce(floor(extract(epoch FROM max(finished_at))), 0)::bigint AS at
            FROM job_runs WHERE job = 'run' AND outcome = 'succeeded'
            """
        ).first
        return Snapshot(
            paymentsPending: try pending?.decode(Int.self, "n") ?? 0,
            oldestPendingAgeSeconds: max(0, try pending?.decode(Int64.self, "age") ?? 0),
            exceptionsOpen: open,
            refundsApprovedUnsent: try approvedUnsentRefunds(db),
            lastSuccessfulRun: try lastRun?.decode(Int64.self, "at") ?? 0)
    }
}
