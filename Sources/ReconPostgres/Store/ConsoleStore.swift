public import Foundation
public import ReconCore

/// A console session as stored (the cookie's id is never stored, only its SHA-256).
public struct ConsoleSession: Sendable, Equatable {
    public var account: Account
    public var csrfToken: String
    public var createdAt: Date
    public var lastSeenAt: Date
}

/// The console's home page: today and this month at a glance.
public struct Dashboard: Sendable, Equatable {
    /// Collected (completed payments, by when M-Pesa took the money) and refunded (succeeded refunds).
    public var collectedToday: Money
    public var collectedMonth: Money
    public var refundedToday: Money
    public var refundedMonth: Money
    public var pendingCount: Int
    public var oldestPending: Date?
    public var unknownCount: Int
    /// Open exceptions by kind, most first.
    public var openExceptions: [(kind: String, count: Int)]
    public var approvedRefundsWaiting: Int
    /// The last `run`: when it started and how it ended.
    public var lastRunStarted: Date?
    public var lastRunOutcome: String?

    public static func == (lhs: Dashboard, rhs: Dashboard) -> Bool {
        lhs.collectedToday == rhs.collectedToday && lhs.collectedMonth == rhs.collectedMonth
            && lhs.refundedToday == rhs.refundedToday && lhs.refundedMonth == rhs.refundedMonth
            && lhs.pendingCount == rhs.pendingCount && lhs.oldestPending == rhs.oldestPending
            && lhs.unknownCount == rhs.unknownCount
            && lhs.openExceptions.map(\.kind) == rhs.openExceptions.map(\.kind)
            && lhs.openExceptions.map(\.count) == rhs.openExceptions.map(\.count)
            && lhs.approvedRefundsWaiting == rhs.approvedRefundsWaiting && lhs.lastRunStarted == rhs.lastRunStarted
            && lhs.lastRunOutcome == rhs.lastRunOutcome
    }
}

/// One row of a payment's history (`payment_events`).
public struct PaymentEventRow: Sendable, Equatable {
    public var at: Date
    public var source: String
    public var fromStatus: String?
    public var toStatus: String
    public var detailJSON: String
}

/// One stored callback body about a payment or refund.
public struct CallbackRow: Sendable, Equatable {
    public var id: Int64
    public var kind: String
    public var receivedAt: Date
    public var outcome: String?
    /// The body as received; bytes that are not UTF-8 are shown escaped (`\ooo`).
    public var body: String
}

/// A report asked for in the console.
public struct ReportRequest: Sendable, Equatable {
    public var id: Int64
    public var requestedBy: String
    public var from: String
    public var to: String
    public var unmasked: Bool
    public var status: String
    public var folder: String?
    public var error: String?
    public var requestedAt: Date
    public var finishedAt: Date?
}

/// One line of the audit log.
public struct AuditEntry: Sendable, Equatable {
    public var id: Int64
    public var at: Date
    public var who: String?
    public var channel: String
    public var osUser: String?
    public var address: String?
    public var action: String
    public var subject: String
    public var subjectID: Int64?
    public var detailJSON: String
}

/// What the console reads and writes that no other desk does: sessions, the dashboard, a payment's history,
/// background report requests and the audit log.
public enum ConsoleStore {
    // MARK: Sessions

    /// Stores a new session under the account's current credentials version (a password change or a disable ends
    /// it, and enabling the account again does not bring it back).
    public static func createSession(
        _ db: isolated PostgresConnection, idSHA256: String, userID: Int64, csrfToken: String, address: String?,
        now: Date
    ) throws(PostgresError) {
        try db.query(
            """
            INSERT INTO console_sessions (
                id_sha256, user_id, csrf_token, address, created_at, last_seen_at, credentials_version)
            SELECT \(idSHA256), \(userID), \(csrfToken), \(address), \(now), \(now), u.credentials_version
            FROM users u WHERE u.id = \(userID)
            """)
    }

    /// The session with this id hash, still valid at `now` (idle and absolute limits, and made under the account's
    /// current credentials version), touched; expired ones go.
    public static func session(
        _ db: isolated PostgresConnection, idSHA256: String, now: Date, idleSeconds: Int, absoluteSeconds: Int
    ) throws(PostgresError) -> ConsoleSession? {
        guard
            let row = try db.query(
                """
                UPDATE console_sessions s SET last_seen_at = \(now)
                WHERE s.id_sha256 = \(idSHA256)
                  AND s.last_seen_at > \(now)::timestamptz - make_interval(secs => \(idleSeconds))
                  AND s.created_at > \(now)::timestamptz - make_interval(secs => \(absoluteSeconds))
                  AND s.credentials_version = (SELECT u.credentials_version FROM users u WHERE u.id = s.user_id)
                RETURNING s.user_id, s.csrf_token, s.created_at, s.last_seen_at
                """
            ).first
        else {
            try db.query("DELETE FROM console_sessions WHERE id_sha256 = \(idSHA256)")
            return nil
        }
        guard let account = try UserStore.account(db, id: try row.decode(Int64.self, "user_id")) else { return nil }
        return ConsoleSession(
            account: account, csrfToken: try row.decode(String.self, "csrf_token"),
            createdAt: try row.decode(Date.self, "created_at"), lastSeenAt: try row.decode(Date.self, "last_seen_at"))
    }

    /// Stores the banner the session's next page shows (replacing one not shown yet).
    public static func setFlash(
        _ db: isolated PostgresConnection, idSHA256: String, notice: String?, error: String?
    ) throws(PostgresError) {
        try db.query(
            """
            UPDATE console_sessions SET flash_notice = \(notice), flash_error = \(error)
            WHERE id_sha256 = \(idSHA256)
            """)
    }

    /// The banner stored for the session's next page, cleared as it is read (shown once).
    public static func takeFlash(
        _ db: isolated PostgresConnection, idSHA256: String
    ) throws(PostgresError) -> (notice: String?, error: String?) {
        guard
            let row = try db.query(
                """
                UPDATE console_sessions s SET flash_notice = NULL, flash_error = NULL
                FROM (SELECT id_sha256, flash_notice, flash_error FROM console_sessions
                      WHERE id_sha256 = \(idSHA256) FOR UPDATE) old
                WHERE s.id_sha256 = old.id_sha256 AND (old.flash_notice IS NOT NULL OR old.flash_error IS NOT NULL)
                RETURNING old.flash_notice, old.flash_error
                """
            ).first
        else { return (nil, nil) }
        return (try row.decode(String?.self, "flash_notice"), try row.decode(String?.self, "flash_error"))
    }

    /// Deletes a session (logout).
    public static func deleteSession(_ db: isolated PostgresConnection, idSHA256: String) throws(PostgresError) {
        try db.query("DELETE FROM console_sessions WHERE id_sha256 = \(idSHA256)")
    }

    // MARK: Dashboard

    /// The dashboard for the EAT day and month that contain `now`.
    public static func dashboard(_ db: isolated PostgresConnection, now: Date) throws(PostgresError) -> Dashboard {
        let day = EastAfricaTime.startOfDay(now)
        let month = EastAfricaTime.startOfMonth(now)
        let money = try db.query(
            """
            SELECT
              (SELECT coalesce(sum(coalesce(paid_amount, amount)), 0) FROM payments
               WHERE status = 'completed' AND coalesce(paid_at, updated_at) >= \(day)) AS collected_today,
              (SELECT coalesce(sum(coalesce(paid_amount, amount)), 0) FROM payments
               WHERE status = 'completed' AND coalesce(paid_at, updated_at) >= \(month)) AS collected_month,
              (SELECT coalesce(sum(amount), 0) FROM refunds
               WHERE status = 'succeeded' AND completed_at >= \(day)) AS refunded_today,
              (SELECT coalesce(sum(amount), 0) FROM refunds
               WHERE status = 'succeeded' AND completed_at >= \(month)) AS refunded_month,
              (SELECT count(*) FROM payments WHERE status = 'pending') AS pending_count,
              (SELECT min(created_at) FROM payments WHERE status = 'pending') AS oldest_pending,
              (SELECT count(*) FROM payments WHERE status = 'unknown') AS unknown_count,
              (SELECT count(*) FROM refunds WHERE status = 'approved') AS approved_waiting
            """
        ).first
        let kinds = try db.query(
            """
            SELECT kind, count(*) AS n FROM reconciliation_exceptions WHERE status = 'open'
            GROUP BY kind ORDER BY count(*) DESC, kind
            """
        ).map { row throws(PostgresError) in
            (kind: try row.decode(String.self, "kind"), count: try row.decode(Int.self, "n"))
        }
        let run = try db.query(
            "SELECT started_at, outcome FROM job_runs WHERE job = 'run' ORDER BY started_at DESC, id DESC LIMIT 1"
        ).first
        return Dashboard(
            collectedToday: try money?.decode(Money.self, "collected_today") ?? .zero,
            collectedMonth: try money?.decode(Money.self, "collected_month") ?? .zero,
            refundedToday: try money?.decode(Money.self, "refunded_today") ?? .zero,
            refundedMonth: try money?.decode(Money.self, "refunded_month") ?? .zero,
            pendingCount: try money?.decode(Int.self, "pending_count") ?? 0,
            oldestPending: try money?.decode(Date?.self, "oldest_pending"),
            unknownCount: try money?.decode(Int.self, "unknown_count") ?? 0,
            openExceptions: kinds,
            approvedRefundsWaiting: try money?.decode(Int.self, "approved_waiting") ?? 0,
            lastRunStarted: try run?.decode(Date.self, "started_at"),
            lastRunOutcome: try run?.decode(String?.self, "outcome"))
    }

    // MARK: A payment's history

    /// The payment's events, oldest first.
    public static func events(
        _ db: isolated PostgresConnection, paymentID: Int64
    ) throws(PostgresError)
        -> [PaymentEventRow]
    {
        try db.query(
            """
            SELECT at, source, from_status, to_status, detail::text AS detail FROM payment_events
            WHERE payment_id = \(paymentID) ORDER BY at, id
            """
        ).map { row throws(PostgresError) in
            PaymentEventRow(
                at: try row.decode(Date.self, "at"), source: try row.decode(String.self, "source"),
                fromStatus: try row.decode(String?.self, "from_status"),
                toStatus: try row.decode(String.self, "to_status"),
                detailJSON: try row.decode(String.self, "detail"))
        }
    }

    /// The STK callbacks stored for a CheckoutRequestID, oldest first.
    public static func callbacks(
        _ db: isolated PostgresConnection, reference: String
    ) throws(PostgresError)
        -> [CallbackRow]
    {
        try db.query(
            """
            SELECT id, kind, received_at, outcome, encode(body, 'escape') AS body FROM callback_inbox
            WHERE reference = \(reference) ORDER BY id
            """
        ).map(callback)
    }

    /// One stored callback.
    public static func callback(_ db: isolated PostgresConnection, id: Int64) throws(PostgresError) -> CallbackRow? {
        try db.query(
            """
            SELECT id, kind, received_at, outcome, encode(body, 'escape') AS body FROM callback_inbox WHERE id = \(id)
            """
        ).first.map(callback)
    }

    static func callback(_ row: PostgresRow) throws(PostgresError) -> CallbackRow {
        CallbackRow(
            id: try row.decode(Int64.self, "id"), kind: try row.decode(String.self, "kind"),
            receivedAt: try row.decode(Date.self, "received_at"), outcome: try row.decode(String?.self, "outcome"),
            body: try row.decode(String.self, "body"))
    }

    /// The learner's enrollment in the payment's course: its id and status, if any.
    public static func enrollment(
        _ db: isolated PostgresConnection, userID: Int64, courseID: Int64
    ) throws(PostgresError) -> (id: Int64, status: String, paymentID: Int64?)? {
        guard
            let row = try db.query(
                "SELECT id, status, payment_id FROM enrollments WHERE user_id = \(userID) AND course_id = \(courseID)"
            ).first
        else { return nil }
        return (
            try row.decode(Int64.self, "id"), try row.decode(String.self, "status"),
            try row.decode(Int64?.self, "payment_id")
        )
    }

    /// The ids of the payment's refunds, newest first.
    public static func refundIDs(_ db: isolated PostgresConnection, paymentID: Int64) throws(PostgresError) -> [Int64] {
        try db.query("SELECT id FROM refunds WHERE payment_id = \(paymentID) ORDER BY id DESC").map {
            row throws(PostgresError) in try row.decode(Int64.self, "id")
        }
    }

    // MARK: Report requests

    /// What asking for a report did.
    public enum ReportQueueing: Sendable, Equatable {
        /// Queued as this new request.
        case queued(Int64)
        /// The same period and phone policy is already queued or being written: that request.
        case alreadyQueued(Int64)
        /// The account already has as many reports waiting as it may.
        case accountBusy
        /// The worker's queue is full.
        case queueFull
    }

    /// At most this many of one account's reports wait or run at once.
    public static let reportsPerAccount = 2
    /// At most this many reports wait or run at once in all.
    public static let reportQueueLength = 10

    /// Queues a report for the background worker: one request per period and phone policy (a repeat returns the
    /// waiting one), at most ``reportsPerAccount`` per account and ``reportQueueLength`` in all; a request left
    /// `running` for two hours (its worker stopped) no longer counts or blocks its period. Run inside a
    /// transaction: the queue is locked while it is counted, so concurrent requests cannot pass the caps together.
    public static func requestReport(
        _ db: isolated PostgresConnection, by userID: Int64, from: String, to: String, unmasked: Bool
    ) throws(PostgresError) -> ReportQueueing {
        try db.query("SELECT pg_advisory_xact_lock(hashtextextended('report_requests', 0))")
        let waiting = try db.query(
            """
            SELECT id, requested_by, period_from = \(from)::date AND period_to = \(to)::date
                   AND unmasked = \(unmasked) AS same
            FROM report_requests
            WHERE status = 'queued'
               OR (status = 'running' AND requested_at > now() - interval '2 hours')
            ORDER BY id
            """)
        var mine = 0
        var all = 0
        for row in waiting {
            if try row.decode(Bool.self, "same") { return .alreadyQueued(try row.decode(Int64.self, "id")) }
            if try row.decode(Int64.self, "requested_by") == userID { mine += 1 }
            all += 1
        }
        if mine >= reportsPerAccount { return .accountBusy }
        if all >= reportQueueLength { return .queueFull }
        return .queued(
            try CatalogStore.returnedID(
                db.query(
                    """
                    INSERT INTO report_requests (requested_by, period_from, period_to, unmasked)
                    VALUES (\(userID), \(from)::date, \(to)::date, \(unmasked)) RETURNING id
                    """)))
    }

    /// The newest report requests.
    public static func reportRequests(
        _ db: isolated PostgresConnection, limit: Int = 20
    ) throws(PostgresError)
        -> [ReportRequest]
    {
        try db.query(
            """
            SELECT r.id, u.email, r.period_from::text AS period_from, r.period_to::text AS period_to, r.unmasked,
                   r.status, r.folder, r.error, r.requested_at, r.finished_at
            FROM report_requests r JOIN users u ON u.id = r.requested_by
            ORDER BY r.id DESC LIMIT \(limit)
            """
        ).map { row throws(PostgresError) in
            ReportRequest(
                id: try row.decode(Int64.self, "id"), requestedBy: try row.decode(String.self, "email"),
                from: try row.decode(String.self, "period_from"), to: try row.decode(String.self, "period_to"),
                unmasked: try row.decode(Bool.self, "unmasked"), status: try row.decode(String.self, "status"),
                folder: try row.decode(String?.self, "folder"), error: try row.decode(String?.self, "error"),
                requestedAt: try row.decode(Date.self, "requested_at"),
                finishedAt: try row.decode(Date?.self, "finished_at"))
        }
    }

    /// Claims the oldest queued request (one worker at a time gets it).
    public static func claimReport(_ db: isolated PostgresConnection) throws(PostgresError) -> ReportRequest? {
        guard
            let id = try db.query(
                """
                UPDATE report_requests SET status = 'running'
                WHERE id = (SELECT id FROM report_requests WHERE status = 'queued' ORDER BY id
                            FOR UPDATE SKIP LOCKED LIMIT 1)
                RETURNING id
                """
            ).first?.decode(Int64.self, "id")
        else { return nil }
        return try reportRequests(db, limit: 1_000).first { $0.id == id }
    }

    /// Records how a request ended.
    public static func finishReport(
        _ db: isolated PostgresConnection, id: Int64, folder: String?, error: String?, now: Date
    ) throws(PostgresError) {
        try db.query(
            """
            UPDATE report_requests SET status = \(error == nil ? "done" : "failed"), folder = \(folder),
                error = \(error), finished_at = \(now)
            WHERE id = \(id)
            """)
    }

    // MARK: Audit

    /// The newest audit entries (before `beforeID` when paging).
    public static func audit(
        _ db: isolated PostgresConnection, beforeID: Int64?, limit: Int
    ) throws(PostgresError) -> [AuditEntry] {
        try db.query(
            """
            SELECT a.id, a.at, u.email, a.channel, a.os_user, a.address, a.action, a.subject, a.subject_id,
                   a.detail::text AS detail
            FROM audit_log a LEFT JOIN users u ON u.id = a.user_id
            WHERE \(beforeID)::bigint IS NULL OR a.id < \(beforeID)
            ORDER BY a.id DESC LIMIT \(limit)
            """
        ).map { row throws(PostgresError) in
            AuditEntry(
                id: try row.decode(Int64.self, "id"), at: try row.decode(Date.self, "at"),
                who: try row.decode(String?.self, "email"), channel: try row.decode(String.self, "channel"),
                osUser: try row.decode(String?.self, "os_user"), address: try row.decode(String?.self, "address"),
                action: try row.decode(String.self, "action"), subject: try row.decode(String.self, "subject"),
                subjectID: try row.decode(Int64?.self, "subject_id"), detailJSON: try row.decode(String.self, "detail"))
        }
    }
}
