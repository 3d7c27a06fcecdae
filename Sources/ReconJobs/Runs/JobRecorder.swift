public import Foundation
public import ReconPostgres

/// Records each job in `job_runs`: a `running` row first, then the outcome and the summary.
public enum JobRecorder {
    /// Runs `body` between the two writes; a failure is recorded as `failed` and rethrown.
    public static func record<T: Encodable & Sendable>(
        _ job: String, pool: ConnectionPool, _ body: () async throws -> T
    ) async throws -> T {
        let id = try await pool.withConnection { db in
            try await db.query("INSERT INTO job_runs (job, outcome) VALUES (\(job), 'running') RETURNING id").first?
                .decode(Int64.self, "id") ?? 0
        }
        do {
            let value = try await body()
            let encoder = JSONEncoder()
            encoder.keyEncodingStrategy = .convertToSnakeCase
            encoder.outputFormatting = [.sortedKeys]
            let summary = String(decoding: try encoder.encode(value), as: UTF8.self)
            try await pool.withConnection { db in
                try await db.query(
                    """
                    UPDATE job_runs SET finished_at = now(), outcome = 'succeeded', summary = \(summary)::jsonb
                    WHERE id = \(id)
                    """)
            }
            return value
        } catch {
            let detail = JSONText.object(["error": "\(error)"])
            _ = try? await pool.withConnection { db in
                try await db.query(
                    "UPDATE job_runs SET finished_at = now(), outcome = 'failed', summary = \(detail)::jsonb WHERE id = \(id)"
                )
            }
            throw error
        }
    }
}
