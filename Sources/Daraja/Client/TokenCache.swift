import Foundation

/// One OAuth token per process, renewed before it expires; concurrent callers share one renewal.
actor TokenCache {
    private var token: String?
    private var expiresAt = Date.distantPast
    private var renewal: Task<(String, Date), any Error>?

    /// A valid token at `now`, fetching one with `fetch` when there is none or it is about to expire.
    func token(
        now: Date, margin: TimeInterval, fetch: @escaping @Sendable () async throws -> (String, Int)
    ) async throws -> String {
        if let token, expiresAt.timeIntervalSince(now) > margin { return token }
        if let renewal { return try await renewal.value.0 }
        // Awaited below and by every caller that arrives during the renewal (one OAuth call for all of them).
        let task = Task { () async throws -> (String, Date) in
            let (value, lifetime) = try await fetch()
            // Counted from when it was asked for, on the caller's clock: renewed a little early, never late.
            return (value, now.addingTimeInterval(TimeInterval(lifetime)))
        }
        renewal = task
        defer { renewal = nil }
        let (value, expiry) = try await task.value
        token = value
        expiresAt = expiry
        return value
    }

    /// Forgets `rejected` if it is still the current token, so the next call renews.
    func invalidate(_ rejected: String) {
        if token == rejected {
            token = nil
            expiresAt = .distantPast
        }
    }
}
