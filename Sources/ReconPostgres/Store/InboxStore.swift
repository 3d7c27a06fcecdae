public import Foundation

/// The kind of a stored callback.
public enum CallbackKind: String, Sendable, Codable, CaseIterable {
    case stk
    case b2cResult = "b2c_result"
    case b2cTimeout = "b2c_timeout"
    /// A C2B validation request (answered at once from local data; stored for the record).
    case c2bValidation = "c2b_validation"
    /// A C2B confirmation: money that moved to the shortcode.
    case c2bConfirmation = "c2b_confirmation"
    /// Whatever Safaricom posts to the Pull registration's CallBackURL (undocumented): kept, never applied.
    case pullCallback = "pull_callback"
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

/// A body as received, before it is stored.
public struct InboxArrival: Sendable, Equatable {
    /// Which route it came on.
    public var kind: CallbackKind
    /// When it arrived.
    public var receivedAt: Date
    /// The client's address, as the address policy sees it.
    public var remoteAddress: String?
    /// The request headers as a JSON object.
    public var headersJSON: String
    /// The body, byte for byte.
    public var body: [UInt8]

    /// A received body.
    public init(kind: CallbackKind, receivedAt: Date, remoteAddress: String?, headersJSON: String, body: [UInt8]) {
        self.kind = kind
        self.receivedAt = receivedAt
        self.remoteAddress = remoteAddress
        self.headersJSON = headersJSON
        self.body = body
    }
}

/// Stores every callback body exactly as received, before anything else happens (ARCHITECTURE.md §6.1).
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

    /// Stores received bodies in one statement (one commit for all, in arrival order); returns how many.
    /// The group commit of `serve`: a request is answered once the statement holding its body committed.
    @discardableResult
    public static func store(_ db: isolated PostgresConnection, _ arrivals: [InboxArrival]) throws(PostgresError) -> Int
    {
        guard !arrivals.isEmpty else { return 0 }
        return try db.query(
            """
            INSERT INTO callback_inbox (kind, received_at, remote_addr, headers, body)
            SELECT a.kind, a.received_at, a.remote_addr, a.headers::jsonb, a.body
            FROM unnest(\(SQLArray(arrivals.map(\.kind.rawValue)))::text[],
                        \(SQLArray(arrivals.map(\.receivedAt.sqlText)))::timestamptz[],
                        \(SQLArray(arrivals.map(\.remoteAddress)))::text[],
                        \(SQLArray(arrivals.map(\.headersJSON)))::text[],
                        \(SQLArray(arrivals.map { SQLBytes($0.body).sqlText }))::bytea[])
                WITH ORDINALITY AS a(kind, received_at, remote_addr, headers, body, n)
            ORDER BY a.n
            """
        ).affected
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

    /// Settings of an applier's transaction: it commits without waiting for its WAL flush (what it writes is
    /// derived from stored callbacks it marks processed in the same transaction, so a crash that loses such a
    /// commit leaves them unprocessed and they are applied again; any later durable commit flushes it first, so
    /// nothing durable can depend on it and outlive it), and it waits at most 5 s for a row lock (a payment held
    /// elsewhere ends the pass with a transient error instead of stalling every callback behind it).
    public static func beginApplying(_ db: isolated PostgresConnection) throws(PostgresError) {
        try db.query(
            "SELECT set_config('synchronous_commit', 'off', true), set_config('lock_timeout', '5s', true)")
    }

    /// Locks and loads up to `limit` never-processed entries, oldest first, skipping those another applier holds.
    public static func claimUnprocessed(
        _ db: isolated PostgresConnection, limit: Int
    ) throws(PostgresError) -> [InboxEntry] {
        try db.query(
            SQLQuery(
                unsafeSQL: select + " WHERE processed_at IS NULL ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED",
                binds: [max(0, limit)])
        ).map(entry)
    }

    /// What processing one entry led to, for ``markProcessed(_:_:now:)``.
    public struct Processed: Sendable, Equatable {
        /// The inbox id.
        public var id: Int64
        /// The outcome.
        public var outcome: CallbackOutcome
        /// The id the body names, when it could be read.
        public var reference: String?

        /// A processed entry.
        public init(id: Int64, outcome: CallbackOutcome, reference: String?) {
            self.id = id
            self.outcome = outcome
            self.reference = reference
        }
    }

    /// Records what processing several entries led to, in one statement.
    public static func markProcessed(
        _ db: isolated PostgresConnection, _ entries: [Processed], now: Date
    ) throws(PostgresError) {
        guard !entries.isEmpty else { return }
        try db.query(
            """
            UPDATE callback_inbox c SET processed_at = \(now), outcome = o.outcome,
                reference = coalesce(o.reference, c.reference)
            FROM unnest(\(SQLArray(entries.map { String($0.id) }))::bigint[],
                        \(SQLArray(entries.map(\.outcome.rawValue)))::text[],
                        \(SQLArray(entries.map(\.reference)))::text[]) AS o(id, outcome, reference)
            WHERE c.id = o.id
            """)
    }

    /// Records what processing an entry led to.
    public static func markProcessed(
        _ db: isolated PostgresConnection, id: Int64, outcome: CallbackOutcome, reference: String?, now: Date
    ) throws(PostgresError) {
        try markProcessed(db, [Processed(id: id, outcome: outcome, reference: reference)], now: now)
    }

    /// Ids of entries never processed (a crash or a database error after storing), oldest first.
    public static func unprocessed(
        _ db: isolated PostgresConnection, limit: Int = 1000
    ) throws(PostgresError) -> [Int64] {
        try db.query(
            "SELECT id FROM callback_inbox WHERE processed_at IS NULL ORDER BY id LIMIT \(limit)"
        ).map { row throws(PostgresError) in try row.decode(Int64.self, "id") }
    }

    /// Ids of unmatched entries naming `reference`, to retry at once now that a payment or refund claims it.
    public static func unmatched(
        _ db: isolated PostgresConnection, reference: String
    ) throws(PostgresError) -> [Int64] {
        try db.query(
            "SELECT id FROM callback_inbox WHERE outcome = 'unmatched' AND reference = \(reference) ORDER BY id"
        ).map { row throws(PostgresError) in try row.decode(Int64.self, "id") }
    }

    /// An unmatched entry due for a retry by the sweep.
    public struct DueEntry: Sendable, Equatable {
        /// The inbox id.
        public var id: Int64
        /// How many sweeps already retried it in vain.
        public var sweepAttempts: Int
    }

    /// At most `limit` unmatched entries whose retry is due at `now`, oldest due first (ARCHITECTURE.md §6.1).
    public static func dueUnmatched(
        _ db: isolated PostgresConnection, now: Date, limit: Int
    ) throws(PostgresError) -> [DueEntry] {
        try db.query(
            """
            SELECT id, sweep_attempts FROM callback_inbox
            WHERE outcome = 'unmatched' AND reference IS NOT NULL AND next_sweep_at <= \(now)
            ORDER BY next_sweep_at, id
            LIMIT \(max(0, limit))
            """
        ).map { row throws(PostgresError) in
            DueEntry(id: try row.decode(Int64.self, "id"), sweepAttempts: try row.decode(Int.self, "sweep_attempts"))
        }
    }

    /// Records a sweep retry that found nothing: the entry is next due at `nextAt`, or never again once that
    /// is past the retry window after it arrived.
    public static func deferSweep(
        _ db: isolated PostgresConnection, id: Int64, attempts: Int, nextAt: Date, window: InboxSweepPolicy.Window
    ) throws(PostgresError) {
        try db.query(
            """
            UPDATE callback_inbox SET sweep_attempts = \(attempts),
                next_sweep_at = CASE WHEN received_at + \(window.seconds)::int * interval '1 second' > \(nextAt)
                                     THEN \(nextAt)::timestamptz ELSE 'infinity' END
            WHERE id = \(id) AND outcome = 'unmatched'
            """)
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

/// How the sweep retries unmatched callbacks: bounded batches, and a doubling delay per callback.
public struct InboxSweepPolicy: Sendable, Equatable {
    /// How long after it arrived an unmatched callback is still retried (then a person looks at it).
    public struct Window: Sendable, Equatable {
        /// The window in seconds.
        public var seconds: Int
        /// A window of `seconds`.
        public init(seconds: Int) { self.seconds = seconds }
    }

    /// At most this many callbacks per pass (unprocessed and unmatched together).
    public var batchSize: Int
    /// Delay before the first retry of a callback that stayed unmatched, in seconds (the sweep interval).
    public var firstDelaySeconds: Int
    /// The delay doubles up to this many seconds.
    public var maxDelaySeconds: Int
    /// Retry window after arrival.
    public var window: Window

    /// 500 per pass, 5 s doubling to an hour, for a week.
    public static let standard = InboxSweepPolicy()

    /// A policy; the defaults are ``standard``.
    public init(
        batchSize: Int = 500, firstDelaySeconds: Int = 5, maxDelaySeconds: Int = 3600,
        window: Window = Window(seconds: 7 * 24 * 3600)
    ) {
        self.batchSize = max(1, batchSize)
        self.firstDelaySeconds = max(1, firstDelaySeconds)
        self.maxDelaySeconds = max(self.firstDelaySeconds, maxDelaySeconds)
        self.window = window
    }

    /// Seconds to wait after the `attempts`-th retry that found nothing (1 → the first delay, then doubling).
    public func delaySeconds(afterAttempts attempts: Int) -> Int {
        var delay = firstDelaySeconds
        var step = 1
        while step < attempts && delay < maxDelaySeconds {
            delay *= 2
            step += 1
        }
        return min(delay, maxDelaySeconds)
    }
}
