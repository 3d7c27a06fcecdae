/// The JSON API's `Idempotency-Key` records: claimed before the work, answered after it.
public enum IdempotencyStore {
    /// What a key holds.
    public enum Claim: Sendable, Equatable {
        /// The key is new and now ours: do the work, then ``answer(_:userID:key:status:body:)``.
        case claimed
        /// The first request with this key is still running.
        case inProgress
        /// The key was used for a different request (route or body).
        case mismatch
        /// The first answer, to repeat.
        case answered(status: Int, body: String)
    }

    /// Claims a key for one request (its route and the SHA-256 of its body), or returns what it holds.
    public static func claim(
        _ db: isolated PostgresConnection, userID: Int64, key: String, route: String, requestSHA256: String
    ) throws(PostgresError) -> Claim {
        let inserted = try db.query(
            """
            INSERT INTO api_idempotency_keys (user_id, key, route, request_sha256) VALUES
            (\(userID), \(key), \(route), \(requestSHA256)) ON CONFLICT DO NOTHING RETURNING key
            """)
        if inserted.first != nil { return .claimed }
        guard
            let row = try db.query(
                """
                SELECT route, request_sha256, status_code, response FROM api_idempotency_keys
                WHERE user_id = \(userID) AND key = \(key)
                """
            ).first
        else { return .inProgress }
        guard try row.decode(String.self, "route") == route,
            try row.decode(String.self, "request_sha256") == requestSHA256
        else { return .mismatch }
        guard let status = try row.decode(Int?.self, "status_code"), let body = try row.decode(String?.self, "response")
        else { return .inProgress }
        return .answered(status: status, body: body)
    }

    /// Stores the answer of a claimed key.
    public static func answer(
        _ db: isolated PostgresConnection, userID: Int64, key: String, status: Int, body: String
    ) throws(PostgresError) {
        try db.query(
            """
            UPDATE api_idempotency_keys SET status_code = \(status), response = \(body)
            WHERE user_id = \(userID) AND key = \(key)
            """)
    }

    /// Frees a claimed key whose request failed before it had an answer, so a retry can run.
    public static func release(_ db: isolated PostgresConnection, userID: Int64, key: String) throws(PostgresError) {
        try db.query(
            "DELETE FROM api_idempotency_keys WHERE user_id = \(userID) AND key = \(key) AND status_code IS NULL")
    }
}
