public import Foundation
public import ReconCore

/// What Daraja answered to one registration (`daraja_registrations`).
public struct RegistrationRecord: Sendable, Equatable, Codable {
    /// `default` (the MPESA_* environment) or a stored configuration's name.
    public var configuration: String
    /// `c2b` or `pull`.
    public var api: String
    public var shortcode: String
    /// `v1` or `v2` (C2B only).
    public var version: String?
    /// `registered`, `already_registered`, `wrong_version`, `refused` or `failed`.
    public var outcome: String
    public var responseCode: String?
    public var detail: String
    public var attemptedAt: Date

    /// A record.
    public init(
        configuration: String, api: String, shortcode: String, version: String?, outcome: String,
        responseCode: String?, detail: String, attemptedAt: Date
    ) {
        self.configuration = configuration
        self.api = api
        self.shortcode = shortcode
        self.version = version
        self.outcome = outcome
        self.responseCode = responseCode
        self.detail = detail
        self.attemptedAt = attemptedAt
    }

    /// Whether the shortcode is registered (newly or already).
    public var isRegistered: Bool { outcome == "registered" || outcome == "already_registered" }
}

/// One Pull window as asked for and what came of it.
public struct PullWindowRecord: Sendable, Equatable, Codable {
    public var configuration: String
    public var shortcode: String
    public var start: Date
    public var end: Date
    /// `covered`, `no_data` or `failed`.
    public var outcome: String
    public var responseCode: String?
    public var pages: Int
    public var transactions: Int
    public var newTransactions: Int
    public var detail: String

    /// A record.
    public init(
        configuration: String, shortcode: String, start: Date, end: Date, outcome: String, responseCode: String?,
        pages: Int, transactions: Int, newTransactions: Int, detail: String
    ) {
        self.configuration = configuration
        self.shortcode = shortcode
        self.start = start
        self.end = end
        self.outcome = outcome
        self.responseCode = responseCode
        self.pages = pages
        self.transactions = transactions
        self.newTransactions = newTransactions
        self.detail = detail
    }
}

/// Registrations and Pull coverage.
public enum PullStore {
    /// Records a registration's outcome.
    public static func recordRegistration(
        _ db: isolated PostgresConnection, _ record: RegistrationRecord
    )
        throws(PostgresError)
    {
        try db.query(
            """
            INSERT INTO daraja_registrations (configuration, api, shortcode, version, outcome, response_code, detail,
                attempted_at)
            VALUES (\(record.configuration), \(record.api), \(record.shortcode), \(record.version), \(record.outcome),
                    \(record.responseCode), \(record.detail), \(record.attemptedAt))
            """)
    }

    /// The latest outcome of each configuration's registration of each API, by configuration then API.
    public static func latestRegistrations(
        _ db: isolated PostgresConnection
    ) throws(PostgresError)
        -> [RegistrationRecord]
    {
        try db.query(
            """
            SELECT DISTINCT ON (configuration, api) configuration, api, shortcode, version, outcome, response_code,
                   detail, attempted_at
            FROM daraja_registrations ORDER BY configuration, api, attempted_at DESC, id DESC
            """
        ).map { row throws(PostgresError) in
            RegistrationRecord(
                configuration: try row.decode(String.self, "configuration"), api: try row.decode(String.self, "api"),
                shortcode: try row.decode(String.self, "shortcode"), version: try row.decode(String?.self, "version"),
                outcome: try row.decode(String.self, "outcome"),
                responseCode: try row.decode(String?.self, "response_code"),
                detail: try row.decode(String.self, "detail"), attemptedAt: try row.decode(Date.self, "attempted_at"))
        }
    }

    /// Records a window.
    public static func recordWindow(
        _ db: isolated PostgresConnection, _ window: PullWindowRecord, now: Date
    ) throws(PostgresError) {
        try db.query(
            """
            INSERT INTO pull_windows (configuration, shortcode, window_start, window_end, outcome, response_code, pages,
                transactions, new_transactions, detail, pulled_at)
            VALUES (\(window.configuration), \(window.shortcode), \(window.start), \(window.end), \(window.outcome),
                    \(window.responseCode), \(window.pages), \(window.transactions), \(window.newTransactions),
                    \(window.detail), \(now))
            """)
    }

    /// Where a shortcode's covered time ends, and where its tracking began (the first covered window's start).
    public static func coverageBounds(
        _ db: isolated PostgresConnection, shortcode: String
    ) throws(PostgresError) -> (since: Date?, until: Date?) {
        guard
            let row = try db.query(
                """
                SELECT min(window_start) AS since, max(window_end) AS until FROM pull_windows
                WHERE shortcode = \(shortcode) AND outcome = 'covered'
                """
            ).first
        else { return (nil, nil) }
        return (try row.decode(Date?.self, "since"), try row.decode(Date?.self, "until"))
    }

    /// The covered windows of a shortcode that end after `after`.
    public static func coveredSpans(
        _ db: isolated PostgresConnection, shortcode: String, after: Date
    ) throws(PostgresError) -> [TimeSpan] {
        try db.query(
            """
            SELECT window_start, window_end FROM pull_windows
            WHERE shortcode = \(shortcode) AND outcome = 'covered' AND window_end > \(after)
            ORDER BY window_start
            """
        ).map { row throws(PostgresError) in
            TimeSpan(start: try row.decode(Date.self, "window_start"), end: try row.decode(Date.self, "window_end"))
        }.compactMap { $0 }
    }

    /// Every shortcode that has covered windows.
    public static func trackedShortcodes(_ db: isolated PostgresConnection) throws(PostgresError) -> [String] {
        try db.query("SELECT DISTINCT shortcode FROM pull_windows WHERE outcome = 'covered' ORDER BY shortcode").map {
            row throws(PostgresError) in try row.decode(String.self, "shortcode")
        }
    }

    /// How many seconds of the watched span each tracked shortcode has uncovered (the gauge and `doctor`).
    public static func uncoveredSeconds(
        _ db: isolated PostgresConnection, now: Date, policy: PullPolicy = PullPolicy()
    ) throws(PostgresError) -> [String: Int] {
        var out: [String: Int] = [:]
        for shortcode in try trackedShortcodes(db) {
            let bounds = try coverageBounds(db, shortcode: shortcode)
            let spans = try coveredSpans(
                db, shortcode: shortcode, after: now.addingTimeInterval(-TimeInterval(policy.watchedSeconds)))
            out[shortcode] = PullCoverage.uncoveredSeconds(
                spans, trackingSince: bounds.since, now: now, policy: policy)
        }
        return out
    }

    /// Keys of the open coverage-gap findings of a shortcode.
    public static func openGapKeys(
        _ db: isolated PostgresConnection, shortcode: String
    ) throws(PostgresError)
        -> [String]
    {
        let prefix = FindingKey.prefix(.coverageGap, .shortcode(shortcode, since: 0)) + shortcode + "@"
        return try db.query(
            """
            SELECT key FROM reconciliation_exceptions
            WHERE kind = 'coverage_gap' AND status = 'open' AND starts_with(key, \(prefix))
            """
        ).map { row throws(PostgresError) in try row.decode(String.self, "key") }
    }
}
