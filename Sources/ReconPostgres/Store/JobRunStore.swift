import Foundation

/// `job_runs`: one row per job, written `running` first and finished with its outcome and summary.
public enum JobRunStore {
    /// Opens a `running` row; returns its id.
    public static func start(_ db: isolated PostgresConnection, job: String) throws(PostgresError) -> Int64 {
        guard
            let id = try db.query("INSERT INTO job_runs (job, outcome) VALUES (\(job), 'running') RETURNING id").first?
                .decode(Int64.self, "id")
        else { throw PostgresError(code: .misuse, message: "INSERT … RETURNING gave no job run id") }
        return id
    }

    /// Finishes a row: `succeeded` or `failed`, with a JSON summary.
    public static func finish(
        _ db: isolated PostgresConnection, id: Int64, succeeded: Bool, summaryJSON: String
    ) throws(PostgresError) {
        try db.query(
            """
            UPDATE job_runs SET finished_at = now(), outcome = \(succeeded ? "succeeded" : "failed"),
                summary = \(summaryJSON)::jsonb
            WHERE id = \(id)
            """)
    }
}

/// Session advisory locks: held by one connection until it unlocks or closes (also when its process dies).
public enum AdvisoryLockStore {
    /// Takes the lock at once, or returns false when another session holds it.
    public static func tryLock(_ db: isolated PostgresConnection, key: Int64) throws(PostgresError) -> Bool {
        try db.query("SELECT pg_try_advisory_lock(\(key)) AS held").first?.decode(Bool.self, "held") == true
    }

    /// Whether this session still holds an advisory lock (false once its connection was lost).
    public static func holdsAny(_ db: isolated PostgresConnection) throws(PostgresError) -> Bool {
        try db.query(
            "SELECT count(*) > 0 AS held FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid()"
        ).first?.decode(Bool.self, "held") == true
    }

    /// Releases the lock.
    public static func unlock(_ db: isolated PostgresConnection, key: Int64) throws(PostgresError) {
        try db.query("SELECT pg_advisory_unlock(\(key))")
    }
}
