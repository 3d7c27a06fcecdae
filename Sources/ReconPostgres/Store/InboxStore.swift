public import Foundation

/// The kind of a stored callback.
public enum CallbackKind: String, Sendable, Codable, CaseIterable {
    case stk
    case b2cResult = "b2c_result"
    case b2cTimeout = "b2c_timeout"
}

/// What processing a stored callback led to.
public enum CallbackOutcome: String, Sendable, Codable, CaseIterable {
    /// The callback changed a payment or refund.
    case applied
    /// It repeated what was already known.
    case duplicate
    /// It contradicted a settled state: recorded as an exception.
    case conflict
    /// No payment or refund claims it (yet); retried when one appears.
    case unmatched
    /// The body could not be parsed; kept for a person.
    case malformed
    /// Understood, but nothing to do (e.g. a queue timeout, which is not final).
    case ignored
}

/// A callback as stored in `callback_inbox`.
public struct InboxEntry: Sendable, Equatable {
    public var id: Int64
    public var kind: CallbackKind
    public var receivedAt: Date
    public var body: [UInt8]
    public var reference: String?
    public var outcome: CallbackOutcome?
}

/// Stores every callback body exactly as received, before anything else happens (DESIGN §6).
public enum InboxStore {
    /// Inserts a received body in its own statement (autocommit) and returns its id. With a `spoolID` the
    /// insert is idempotent: replaying the same spooled body returns the id stored the first time.
    public static func store(
        _ db: isolated PostgresConnection, kind: CallbackKind, receivedAt: Date, remoteAddress: String?,
        headersJSON: String, body: [UInt8], spoolID: String? = nil
    ) throws(PostgresError) -> Int64 {
        let inserted = try db.query(
            """
            INSERT INTO callback_inbox (kind, received_at, remote_addr, headers, body, spool_id)
            VALUES (\(kind.rawValue), \(receivedAt), \(remoteAddress), \(headersJSON)::jsonb, \(SQLBytes(body)), \(spoolID))
            ON CONFLICT (spool_id) DO NOTHING
            RETURNING id
            """)
        if let id = try inserted.first?.decode(Int64.self, "id") { return id }
        guard let spoolID,
            let existing = try db.query("SELECT id FROM callback_inbox WHERE spool_id = \(spoolID)").first
        else {
            throw PostgresError(code: .misuse, message: "the callback was neither stored nor found")
        }
        return try existing.decode(Int64.self, "id")
    }

    static func entry(_ row: PostgresRow) throws(PostgresError) -> InboxEntry {
        let kindText = try row.decode(String.self, "kind")
        guard let kind = CallbackKind(rawValue: kindText) else {
            throw PostgresError(code: .decoding, message: "callback kind \(kindText) is not known")
        }
        let hex = try row.decode(String.self, "body_hex")
        return InboxEntry(
            id: try row.decode(Int64.self, "id"), kind: kind, receivedAt: try row.decode(Date.self, "received_at"),
            body: bytes(fromHex: hex), reference: try row.decode(String?.self, "reference"),
            outcome: try row.decode(String?.self, "outcome").flatMap(CallbackOutcome.init(rawValue:)))
    }

    static let select =
        "SELECT id, kind, received_at, encode(body, 'hex') AS body_hex, reference, outcome FROM callback_inbox"

    /// Loads one entry and locks it, so two processors never apply the same callback at once.
    public static func lock(_ db: isolated PostgresConnection, id: Int64) throws(PostgresError) -> InboxEntry? {
        try db.query(SQLQuery(unsafeSQL: select + " WHERE id = $1 FOR UPDATE", binds: [id])).first.map(entry)
    }

    /// Records what processing an entry led to.
    public static func markProcessed(
        _ db: isolated PostgresConnection, id: Int64, outcome: CallbackOutcome, reference: String?, now: Date
    ) throws(PostgresError) {
        try db.query(
            """
            UPDATE callback_inbox SET processed_at = \(now), outcome = \(outcome.rawValue),
                reference = coalesce(\(reference), reference)
            WHERE id = \(id)
            """)
    }

    /// Ids of entries never processed (a crash or a database error after storing), oldest first.
    public static func unprocessed(
        _ db: isolated PostgresConnection, limit: Int = 1000
    ) throws(PostgresError) -> [Int64] {
        try db.query(
            "SELECT id FROM callback_inbox WHERE processed_at IS NULL ORDER BY id LIMIT \(limit)"
        ).map { row throws(PostgresError) in try row.decode(Int64.self, "id") }
    }

    /// Ids of unmatched entries naming `reference` (or all unmatched ones), to retry once a payment appears.
    public static func unmatched(
        _ db: isolated PostgresConnection, reference: String? = nil
    ) throws(PostgresError) -> [Int64] {
        let rows: PostgresRows
        if let reference {
            rows = try db.query(
                "SELECT id FROM callback_inbox WHERE outcome = 'unmatched' AND reference = \(reference) ORDER BY id")
        } else {
            // A week is ample for a payment to appear; older ones wait for a person (unmatched_callback).
            rows = try db.query(
                """
                SELECT id FROM callback_inbox
                WHERE outcome = 'unmatched' AND reference IS NOT NULL AND received_at > now() - interval '7 days'
                ORDER BY id
                """)
        }
        return try rows.map { row throws(PostgresError) in try row.decode(Int64.self, "id") }
    }

    static func bytes(fromHex hex: String) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(hex.utf8.count / 2)
        var high: UInt8?
        for char in hex.utf8 {
            let value: UInt8
            switch char {
            case 0x30...0x39: value = char - 0x30
            case 0x61...0x66: value = char - 0x61 + 10
            default: continue
            }
            if let h = high {
                out.append(h << 4 | value)
                high = nil
            } else {
                high = value
            }
        }
        return out
    }
}
