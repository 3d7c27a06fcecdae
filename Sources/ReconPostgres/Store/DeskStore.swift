public import Foundation
public import ReconCore

/// One reconciliation exception as a person reviews it.
public struct ExceptionRecord: Sendable, Equatable {
    public var id: Int64
    public var kind: String
    public var key: String
    public var status: String
    public var paymentID: Int64?
    public var enrollmentID: Int64?
    public var callbackID: Int64?
    public var expected: Money?
    public var received: Money?
    /// The finding's detail object (stored JSON; never a full phone number).
    public var detailJSON: String
    public var resolution: String?
    public var resolvedBy: String?
    public var firstSeen: Date
    public var lastSeen: Date
    public var resolvedAt: Date?
}

/// One payment as a person reviews it (the learner's name and the course's title joined in; the phone is raw here
/// and masked by every view).
public struct PaymentOverview: Sendable, Equatable {
    public var record: PaymentRecord
    public var learnerEmail: String?
    public var learnerName: String?
    public var courseTitle: String?
    public var createdAt: Date
    public var lastAnswer: String?
}

/// The reads and writes behind the CLI's (and console's) decision commands: exceptions, payments, decisions.
public enum DeskStore {
    static let exceptionColumns: StaticString = """
        id, kind, key, status, payment_id, enrollment_id, callback_id, expected_amount, received_amount,
        detail::text AS detail, resolution, resolved_by, first_seen, last_seen, resolved_at
        """

    static func exception(_ row: PostgresRow) throws(PostgresError) -> ExceptionRecord {
        ExceptionRecord(
            id: try row.decode(Int64.self, "id"), kind: try row.decode(String.self, "kind"),
            key: try row.decode(String.self, "key"), status: try row.decode(String.self, "status"),
            paymentID: try row.decode(Int64?.self, "payment_id"),
            enrollmentID: try row.decode(Int64?.self, "enrollment_id"),
            callbackID: try row.decode(Int64?.self, "callback_id"),
            expected: try row.decode(Money?.self, "expected_amount"),
            received: try row.decode(Money?.self, "received_amount"),
            detailJSON: try row.decode(String.self, "detail"), resolution: try row.decode(String?.self, "resolution"),
            resolvedBy: try row.decode(String?.self, "resolved_by"), firstSeen: try row.decode(Date.self, "first_seen"),
            lastSeen: try row.decode(Date.self, "last_seen"), resolvedAt: try row.decode(Date?.self, "resolved_at"))
    }

    /// Exceptions, newest first, optionally of one kind and status.
    public static func exceptions(
        _ db: isolated PostgresConnection, kind: String?, status: String?, limit: Int
    ) throws(PostgresError) -> [ExceptionRecord] {
        try db.query(
            """
            SELECT \(unescaped: exceptionColumns) FROM reconciliation_exceptions
            WHERE (\(kind)::text IS NULL OR kind = \(kind)) AND (\(status)::text IS NULL OR status = \(status))
            ORDER BY id DESC LIMIT \(limit)
            """
        ).map(exception)
    }

    /// One exception; `forUpdate` locks it until the transaction ends.
    public static func exception(
        _ db: isolated PostgresConnection, id: Int64, forUpdate: Bool = false
    ) throws(PostgresError) -> ExceptionRecord? {
        let lock: StaticString = forUpdate ? " FOR UPDATE" : ""
        return try db.query(
            "SELECT \(unescaped: exceptionColumns) FROM reconciliation_exceptions WHERE id = \(id)\(unescaped: lock)"
        ).first.map(exception)
    }

    /// Resolves an open exception as a person's decision (reconcile never reopens what a person resolved).
    public static func resolveException(
        _ db: isolated PostgresConnection, id: Int64, note: String, by acting: ActingAccount, now: Date
    ) throws(PostgresError) {
        try db.query(
            """
            UPDATE reconciliation_exceptions SET status = 'resolved', resolved_at = \(now),
                resolved_by = \(acting.account.email), resolved_by_user_id = \(acting.account.id), resolution = \(note)
            WHERE id = \(id) AND status = 'open'
            """)
    }

    static let overviewColumns: StaticString = """
        p.id, p.user_id, p.course_id, p.amount, p.phone, p.checkout_request_id, p.merchant_request_id, p.status,
        p.result_code, p.result_desc, p.mpesa_receipt, p.paid_amount, p.paid_phone, p.paid_at, p.settled_via,
        p.check_attempts, p.next_check_at, p.created_at, p.updated_at, p.last_answer,
        u.email AS learner_email, u.full_name AS learner_name, c.title AS course_title
        """

    static func overview(_ row: PostgresRow) throws(PostgresError) -> PaymentOverview {
        PaymentOverview(
            record: try PaymentStore.record(row), learnerEmail: try row.decode(String?.self, "learner_email"),
            learnerName: try row.decode(String?.self, "learner_name"),
            courseTitle: try row.decode(String?.self, "course_title"),
            createdAt: try row.decode(Date.self, "created_at"),
            lastAnswer: try row.decode(String?.self, "last_answer"))
    }

    /// One payment by id, M-Pesa receipt or CheckoutRequestID (the first given).
    public static func payment(
        _ db: isolated PostgresConnection, id: Int64?, receipt: String?, checkoutRequestID: String?
    ) throws(PostgresError) -> PaymentOverview? {
        try db.query(
            """
            SELECT \(unescaped: overviewColumns)
            FROM payments p LEFT JOIN users u ON u.id = p.user_id LEFT JOIN courses c ON c.id = p.course_id
            WHERE (\(id)::bigint IS NOT NULL AND p.id = \(id))
               OR (\(receipt)::text IS NOT NULL AND p.mpesa_receipt = \(receipt))
               OR (\(checkoutRequestID)::text IS NOT NULL AND p.checkout_request_id = \(checkoutRequestID))
            ORDER BY p.id LIMIT 1
            """
        ).first.map(overview)
    }

    /// What a search text looks like, so only the lookups that can match it run (each one an index).
    enum SearchShape: Equatable {
        /// 8–12 letters and digits with both: a receipt (or a CheckoutRequestID).
        case reference
        /// Only digits, at least 4: the end of a phone number (or a receipt-free reference).
        case phoneDigits
        /// Has an `@`: the start of a learner's email.
        case email
        /// Anything else: a learner's name or a course title, or a CheckoutRequestID (`ws_CO_…`).
        case words

        init(_ text: String) {
            if text.contains("@") {
                self = .email
            } else if text.count >= 4, text.allSatisfy(\.isASCIIDigit) {
                self = .phoneDigits
            } else if (8...12).contains(text.count), text.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber) }),
                text.contains(where: \.isNumber), text.contains(where: \.isLetter)
            {
                self = .reference
            } else {
                self = .words
            }
        }
    }

    /// Payments whose receipt or CheckoutRequestID is `text` (whole, any case), whose learner's email starts with it
    /// or name contains it, whose course title contains it, or whose phone ends with it (digits only, at least 4);
    /// newest first. Only the lookups the text's shape allows run, each through an index (sql/008_console.sql), so a
    /// million payments answer in milliseconds.
    public static func searchPayments(
        _ db: isolated PostgresConnection, text: String, limit: Int, maskedViewer: Bool = false
    ) throws(PostgresError) -> [PaymentOverview] {
        var ids: Set<Int64> = []
        func collect(_ rows: PostgresRows) throws(PostgresError) {
            for row in rows { ids.insert(try row.decode(Int64.self, "id")) }
        }
        // A receipt or a CheckoutRequestID, whatever the shape: two unique indexes. A masked viewer never matches a
        // CheckoutRequestID (it ends with the payer's number); the caller has checked the text (MaskedSearch).
        let checkout = maskedViewer ? nil : text
        try collect(
            db.query(
                """
                SELECT id FROM payments WHERE mpesa_receipt = upper(\(text)) OR checkout_request_id = \(checkout)::text
                """))
        switch SearchShape(text) {
        case .reference:
            break
        case .phoneDigits:
            try collect(
                db.query(
                    """
                    SELECT id FROM payments WHERE reverse(phone) LIKE reverse(\(text)::text) || '%'
                    ORDER BY id DESC LIMIT \(limit)
                    """))
        case .email:
            try collect(
                db.query(
                    """
                    SELECT p.id FROM users u CROSS JOIN LATERAL (
                        SELECT id FROM payments WHERE user_id = u.id ORDER BY id DESC LIMIT \(limit)) p
                    WHERE lower(u.email) LIKE replace(replace(replace(lower(\(text)), '\\', '\\\\'), '%', '\\%'),
                                                      '_', '\\_') || '%'
                    """))
        case .words:
            try collect(
                db.query(
                    """
                    SELECT p.id FROM users u CROSS JOIN LATERAL (
                        SELECT id FROM payments WHERE user_id = u.id ORDER BY id DESC LIMIT \(limit)) p
                    WHERE strpos(lower(u.full_name), lower(\(text))) > 0
                    UNION
                    SELECT p.id FROM courses c CROSS JOIN LATERAL (
                        SELECT id FROM payments WHERE course_id = c.id ORDER BY id DESC LIMIT \(limit)) p
                    WHERE strpos(lower(c.title), lower(\(text))) > 0
                    """))
        }
        guard !ids.isEmpty else { return [] }
        let newest = ids.sorted(by: >).prefix(limit).map(String.init)
        return try db.query(
            """
            SELECT \(unescaped: overviewColumns)
            FROM payments p LEFT JOIN users u ON u.id = p.user_id LEFT JOIN courses c ON c.id = p.course_id
            WHERE p.id = ANY(\(SQLArray(Array(newest)))::bigint[])
            ORDER BY p.id DESC
            """
        ).map(overview)
    }

    /// The open decision on a payment, locked.
    public static func openDecision(
        _ db: isolated PostgresConnection, paymentID: Int64
    ) throws(PostgresError) -> OpenPaymentDecision? {
        guard
            let row = try db.query(
                """
                SELECT id, verdict, receipt, proposed_by FROM payment_decisions
                WHERE payment_id = \(paymentID) AND status = 'proposed' FOR UPDATE
                """
            ).first,
            let verdict = PaymentVerdict(
                name: try row.decode(String.self, "verdict"), receipt: try row.decode(String?.self, "receipt"))
        else { return nil }
        return OpenPaymentDecision(
            id: try row.decode(Int64.self, "id"), verdict: verdict,
            proposedBy: try row.decode(String.self, "proposed_by"))
    }

    /// Records a proposal; returns its id.
    public static func proposeDecision(
        _ db: isolated PostgresConnection, paymentID: Int64, verdict: PaymentVerdict, by acting: ActingAccount,
        now: Date
    ) throws(PostgresError) -> Int64 {
        guard
            let id = try db.query(
                """
                INSERT INTO payment_decisions (payment_id, verdict, receipt, proposed_by, proposed_by_user_id, proposed_at)
                VALUES (\(paymentID), \(verdict.name), \(verdict.receipt), \(acting.account.email), \(acting.account.id),
                        \(now))
                RETURNING id
                """
            ).first?.decode(Int64.self, "id")
        else { throw PostgresError(code: .misuse, message: "the decision insert returned no id") }
        return id
    }

    /// Marks a proposal confirmed (by a second admin) or superseded (by a different verdict).
    public static func closeDecision(
        _ db: isolated PostgresConnection, id: Int64, confirmedBy acting: ActingAccount?, now: Date
    ) throws(PostgresError) {
        let email = acting?.account.email
        try db.query(
            """
            UPDATE payment_decisions SET status = \(acting == nil ? "superseded" : "confirmed"),
                confirmed_by = \(email), confirmed_by_user_id = \(acting?.account.id),
                confirmed_at = CASE WHEN \(email)::text IS NULL THEN NULL ELSE \(now)::timestamptz END
            WHERE id = \(id) AND status = 'proposed'
            """)
    }
}
