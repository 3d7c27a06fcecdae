public import Foundation
public import ReconCore

/// A payment as the JSON API shows it (the guide's shapes); the phone is as stored: mask it before showing.
public struct PaymentListing: Sendable, Equatable {
    public var id: Int64
    public var userID: Int64
    public var userEmail: String
    public var courseID: Int64
    public var courseTitle: String
    public var amount: Money
    public var status: PaymentStatus
    public var phone: String
    public var checkoutRequestID: String?
    public var merchantRequestID: String?
    public var receipt: String?
    public var resultDescription: String?
    public var createdAt: Date
    public var paidAt: Date?
}

/// Filters of the admin list (`GET /api/payments/admin/`).
public struct PaymentFilter: Sendable, Equatable {
    public var status: PaymentStatus?
    public var courseID: Int64?
    public var from: Date?
    public var to: Date?
    /// A receipt, a CheckoutRequestID, or the last digits of a phone.
    public var query: String?
    /// The viewer sees numbers masked: the query matches a phone by exactly its last four digits and never a
    /// CheckoutRequestID (``MaskedSearch``).
    public var maskedViewer = false

    /// A filter value.
    public init(
        status: PaymentStatus? = nil, courseID: Int64? = nil, from: Date? = nil, to: Date? = nil, query: String? = nil
    ) {
        self.status = status
        self.courseID = courseID
        self.from = from
        self.to = to
        self.query = query
    }

    /// The deepest page the admin list serves: 10 000 pages of the largest size.
    public static let maximumOffset = 2_000_000

    /// The rows to skip for a 1-based page of `size` rows, `nil` when the page is not one the list serves (below 1,
    /// or so deep that `(page - 1) * size` would pass ``maximumOffset`` or overflow).
    public static func offset(page: Int, size: Int) -> Int? {
        guard page >= 1, size >= 1 else { return nil }
        let (skipped, overflow) = (page - 1).multipliedReportingOverflow(by: size)
        guard !overflow, skipped <= maximumOffset else { return nil }
        return skipped
    }
}

/// What the payments API reads and the pending-payment guard of `initiate`.
public enum PaymentQueryStore {
    static let columns: StaticString = """
        p.id, p.user_id, u.email, p.course_id, c.title, p.amount, p.status, coalesce(p.paid_phone, p.phone) AS phone,
        p.checkout_request_id, p.merchant_request_id, p.mpesa_receipt, p.result_desc, p.created_at, p.paid_at
        """

    static func listing(_ row: PostgresRow) throws(PostgresError) -> PaymentListing {
        let status = try row.decode(String.self, "status")
        return PaymentListing(
            id: try row.decode(Int64.self, "id"), userID: try row.decode(Int64.self, "user_id"),
            userEmail: try row.decode(String.self, "email"), courseID: try row.decode(Int64.self, "course_id"),
            courseTitle: try row.decode(String.self, "title"), amount: try row.decode(Money.self, "amount"),
            status: PaymentStatus(rawValue: status) ?? .unknown, phone: try row.decode(String.self, "phone"),
            checkoutRequestID: try row.decode(String?.self, "checkout_request_id"),
            merchantRequestID: try row.decode(String?.self, "merchant_request_id"),
            receipt: try row.decode(String?.self, "mpesa_receipt"),
            resultDescription: try row.decode(String?.self, "result_desc"),
            createdAt: try row.decode(Date.self, "created_at"), paidAt: try row.decode(Date?.self, "paid_at"))
    }

    /// One payment, or `nil`.
    public static func payment(_ db: isolated PostgresConnection, id: Int64) throws(PostgresError) -> PaymentListing? {
        try db.query(
            """
            SELECT \(unescaped: columns) FROM payments p JOIN users u ON u.id = p.user_id
            JOIN courses c ON c.id = p.course_id WHERE p.id = \(id)
            """
        ).first.map(listing)
    }

    /// A learner's payments, newest first, below `beforeID` when given.
    public static func mine(
        _ db: isolated PostgresConnection, userID: Int64, limit: Int, beforeID: Int64?
    ) throws(PostgresError) -> [PaymentListing] {
        try db.query(
            """
            SELECT \(unescaped: columns) FROM payments p JOIN users u ON u.id = p.user_id
            JOIN courses c ON c.id = p.course_id
            WHERE p.user_id = \(userID) AND (\(beforeID)::bigint IS NULL OR p.id < \(beforeID)::bigint)
            ORDER BY p.id DESC LIMIT \(limit)
            """
        ).map(listing)
    }

    /// Every payment matching the filter, newest first: one page and the total count.
    public static func all(
        _ db: isolated PostgresConnection, filter: PaymentFilter, limit: Int, offset: Int
    ) throws(PostgresError) -> (count: Int, rows: [PaymentListing]) {
        let status = filter.status?.rawValue
        let query = filter.query?.trimmingSpaces()
        let fewest = filter.maskedViewer ? 4 : 3
        let most = filter.maskedViewer ? 4 : 12
        let digits = query.flatMap { text in
            text.allSatisfy(\.isASCIIDigit) && (fewest...most).contains(text.count) ? text : nil
        }
        // A masked viewer never matches a CheckoutRequestID: it ends with the payer's number.
        let checkout = filter.maskedViewer ? nil : query
        let condition: SQLQuery = """
            (\(status)::text IS NULL OR p.status = \(status)::text)
            AND (\(filter.courseID)::bigint IS NULL OR p.course_id = \(filter.courseID)::bigint)
            AND (\(filter.from)::timestamptz IS NULL OR p.created_at >= \(filter.from)::timestamptz)
            AND (\(filter.to)::timestamptz IS NULL OR p.created_at < \(filter.to)::timestamptz)
            AND (\(query)::text IS NULL OR p.mpesa_receipt = \(query)::text OR p.checkout_request_id = \(checkout)::text
                 OR (\(digits)::text IS NOT NULL AND (right(p.phone, length(\(digits)::text)) = \(digits)::text
                     OR right(p.paid_phone, length(\(digits)::text)) = \(digits)::text)))
            """
        let count =
            try db.query(
                """
                SELECT count(*) AS n FROM payments p WHERE \(condition)
                """
            ).first?.decode(Int.self, "n") ?? 0
        let rows = try db.query(
            """
            SELECT \(unescaped: columns) FROM payments p JOIN users u ON u.id = p.user_id
            JOIN courses c ON c.id = p.course_id
            WHERE \(condition) ORDER BY p.id DESC LIMIT \(limit) OFFSET \(offset)
            """
        ).map(listing)
        return (count, rows)
    }

    /// The learner's pending payment for a course, if any (the guard of a second initiate).
    public static func pending(
        _ db: isolated PostgresConnection, userID: Int64, courseID: Int64
    ) throws(PostgresError) -> Int64? {
        try db.query(
            """
            SELECT id FROM payments WHERE user_id = \(userID) AND course_id = \(courseID) AND status = 'pending'
            ORDER BY id DESC LIMIT 1
            """
        ).first?.decode(Int64.self, "id")
    }

    /// Payments started since `since` by the learner and to the phone (for the API's initiation limits). The phone
    /// is matched through the reversed-phone index; the caller holds the learner's lock and the phone's.
    public static func recentInitiations(
        _ db: isolated PostgresConnection, userID: Int64, phone: String, since: Date
    ) throws(PostgresError) -> (byLearner: Int, byPhone: Int) {
        let row = try db.query(
            """
            SELECT (SELECT count(*) FROM payments WHERE user_id = \(userID) AND created_at > \(since)) AS learner,
                   (SELECT count(*) FROM payments
                    WHERE reverse(phone) = reverse(\(phone)::text) AND created_at > \(since)) AS phone
            """
        ).first
        return (try row?.decode(Int.self, "learner") ?? 0, try row?.decode(Int.self, "phone") ?? 0)
    }

    /// Serializes initiations to one phone (whichever learner starts them) until the transaction ends.
    public static func lockPhone(_ db: isolated PostgresConnection, phone: String) throws(PostgresError) {
        try db.query("SELECT pg_advisory_xact_lock(hashtextextended('stk-phone:' || \(phone)::text, 0))")
    }

    /// Locks the learner's row so that two initiates of one learner run one after the other.
    public static func lockLearner(_ db: isolated PostgresConnection, userID: Int64) throws(PostgresError) -> Bool {
        try db.query("SELECT id FROM users WHERE id = \(userID) FOR UPDATE").first != nil
    }
}
