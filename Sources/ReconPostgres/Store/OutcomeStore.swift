/// What the database says became of one STK transaction, for comparing with an outside record of the truth.
public struct PaymentOutcome: Sendable, Equatable {
    /// Daraja's CheckoutRequestID.
    public var checkoutRequestID: String
    /// The payment's status.
    public var status: String
    /// The M-Pesa receipt, once known.
    public var receipt: String?
    /// The amount the callback reported, as `numeric` text (`5000.00`).
    public var paidAmount: String?
    /// The learner.
    public var userID: Int64
    /// The course.
    public var courseID: Int64
}

/// What the database says became of one refund that went to B2C.
public struct PayoutOutcome: Sendable, Equatable {
    /// The refund's OriginatorConversationID.
    public var originatorConversationID: String
    /// The refund's status.
    public var status: String
}

/// Reads the outcomes of payments, enrollments and refunds in the shape a ledger comparison needs (the demo's
/// check against the Daraja simulator's ledger, ARCHITECTURE.md §10).
public enum OutcomeStore {
    /// Every payment that reached Daraja (it has a CheckoutRequestID).
    public static func paymentOutcomes(_ db: isolated PostgresConnection) throws(PostgresError) -> [PaymentOutcome] {
        try db.query(
            """
            SELECT checkout_request_id, status, mpesa_receipt, paid_amount::text AS paid, user_id, course_id
            FROM payments WHERE checkout_request_id IS NOT NULL ORDER BY id
            """
        ).map { row throws(PostgresError) in
            PaymentOutcome(
                checkoutRequestID: try row.decode(String.self, "checkout_request_id"),
                status: try row.decode(String.self, "status"), receipt: try row.decode(String?.self, "mpesa_receipt"),
                paidAmount: try row.decode(String?.self, "paid"), userID: try row.decode(Int64.self, "user_id"),
                courseID: try row.decode(Int64.self, "course_id"))
        }
    }

    /// The (learner, course) pairs with an active enrollment.
    public static func activeEnrollments(
        _ db: isolated PostgresConnection
    ) throws(PostgresError) -> [(userID: Int64, courseID: Int64)] {
        try db.query("SELECT user_id, course_id FROM enrollments WHERE status = 'active' ORDER BY id").map {
            row throws(PostgresError) in
            (try row.decode(Int64.self, "user_id"), try row.decode(Int64.self, "course_id"))
        }
    }

    /// Every refund that was given an OriginatorConversationID (it was marked sending at least once).
    public static func payoutOutcomes(_ db: isolated PostgresConnection) throws(PostgresError) -> [PayoutOutcome] {
        try db.query(
            """
            SELECT originator_conversation_id, status FROM refunds
            WHERE originator_conversation_id IS NOT NULL ORDER BY id
            """
        ).map { row throws(PostgresError) in
            PayoutOutcome(
                originatorConversationID: try row.decode(String.self, "originator_conversation_id"),
                status: try row.decode(String.self, "status"))
        }
    }
}
