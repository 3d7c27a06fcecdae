import Foundation
public import ReconPostgres

/// Records each job in `job_runs`: a `running` row first, then the outcome and the summary.
public enum JobRecorder {
    /// Runs `body` between the two writes; a failure is recorded as `failed` and rethrown.
    public static func record<T: Encodable & Sendable>(
        _ job: String, pool: ConnectionPool, _ body: () async throws -> T
    ) async throws -> T {
        let id = try await pool.withConnection { db in try await db.run { db in try JobRunStore.start(db, job: job) } }
        do {
            let value = try await body()
            let encoder = JSONEncoder()
            encoder.keyEncodingStrategy = .convertToSnakeCase
            encoder.outputFormatting = [.sortedKeys]
            let summary = String(decoding: try encoder.encode(value), as: UTF8.self)
            try await pool.withConnection { db in
                try await db.run { db in try JobRunStore.finish(db, id: id, succeeded: true, summaryJSON: summary) }
            }
            return value
        } catch {
            let detail = JSONText.object(["error": "\(error)"])
            _ = try? await pool.withConnection { db in
                try await db.run { db in try JobRunStore.finish(db, id: id, succeeded: false, summaryJSON: detail) }
            }
            throw error
        }
    }
}
