import Foundation
public import ReconPostgres

/// A job summary that can say some of its steps could not do their work.
public protocol JobProblemReporting {
    /// Whether a step could not do its work (the job is then recorded as `failed`, with its whole summary).
    var hasProblems: Bool { get }
}

extension RunJob.Summary: JobProblemReporting {
    /// Whether any step could not do its work.
    public var hasProblems: Bool { !problems.isEmpty }
}

/// Records each job in `job_runs`: a `running` row first, then the outcome and the summary.
public enum JobRecorder {
    /// Runs `body` between the two writes; a failure is recorded as `failed` and rethrown. A summary with
    /// problems (``JobProblemReporting``) is recorded as `failed` with the summary, and returned.
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
            let succeeded = !((value as? any JobProblemReporting)?.hasProblems ?? false)
            try await pool.withConnection { db in
                try await db.run { db in try JobRunStore.finish(db, id: id, succeeded: succeeded, summaryJSON: summary)
                }
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
