public import Daraja
public import Foundation
public import Logging
public import ReconCore
public import ReconPostgres

/// Anything that sends STK Pushes (the Daraja client).
public protocol StkPushing: Sendable {
    /// Sends one STK Push.
    func stkPush(phone: MSISDN, amount: Money, accountReference: String, description: String) async -> StkPushOutcome
}

extension DarajaClient: StkPushing {}

/// Why `pay` cannot start a payment.
public struct PayError: Error, CustomStringConvertible {
    /// What is wrong, for the person at the terminal.
    public var message: String
    /// Bad input rather than a failure.
    public var isUsage: Bool
    public var description: String { message }
}

/// The payment row `pay` created, for the CLI's output.
public struct StartedPayment: Sendable, Codable, Equatable {
    public var id: Int64
    public var userID: Int64
    public var courseID: Int64
    public var amount: String
    /// Masked.
    public var phone: String
    public var status: String
    public var checkoutRequestID: String?
    public var merchantRequestID: String?
    public var resultCode: String?
    public var resultDescription: String?
    public var nextCheckAt: Date?
}

/// Starts a course payment: the `pending` row first, then the STK Push, then what Daraja said (DESIGN §7 `pay`).
public struct PaymentInitiator: Sendable {
    let pool: ConnectionPool
    let client: any StkPushing
    let schedule: RetrySchedule
    let logger: Logger

    /// An initiator.
    public init(pool: ConnectionPool, client: any StkPushing, schedule: RetrySchedule, logger: Logger) {
        self.pool = pool
        self.client = client
        self.schedule = schedule
        self.logger = logger
    }

    /// Creates the payment and sends the push. `amount` defaults to the course price.
    public func start(userID: Int64, courseID: Int64, phone: MSISDN, amount: Money?) async throws -> StartedPayment {
        let created = Date()
        let (paymentID, price) = try await pool.withConnection { db in
            try await db.withTransaction { db in
                guard try db.query("SELECT 1 AS one FROM users WHERE id = \(userID)").first != nil else {
                    throw PayError(message: "no learner with id \(userID)", isUsage: true)
                }
                guard
                    let course = try db.query("SELECT price, is_active FROM courses WHERE id = \(courseID)").first
                else { throw PayError(message: "no course with id \(courseID)", isUsage: true) }
                guard try course.decode(Bool.self, "is_active") else {
                    throw PayError(message: "course \(courseID) is not active", isUsage: true)
                }
                let price = try course.decode(Money.self, "price")
                let charge = amount ?? price
                guard charge.isWholeShillings, charge >= Money(minorUnits: 100), charge <= Money(minorUnits: 25_000_000)
                else {
                    throw PayError(message: "the amount must be whole shillings from 1 to 250,000", isUsage: true)
                }
                let id =
                    try db.query(
                        """
                        INSERT INTO payments (user_id, course_id, amount, phone, status, created_at, updated_at)
                        VALUES (\(userID), \(courseID), \(charge), \(phone.digits), 'pending', \(created), \(created))
                        RETURNING id
                        """
                    ).first?.decode(Int64.self, "id") ?? 0
                try db.query(
                    """
                    INSERT INTO payment_events (payment_id, at, source, from_status, to_status, detail)
                    VALUES (\(id), \(created), 'pay', NULL, 'pending', '{"summary":"created"}'::jsonb)
                    """)
                return (id, charge)
            }
        }
        let outcome = await client.stkPush(
            phone: phone, amount: price, accountReference: "COURSE\(courseID)", description: "Course fee")
        let schedule = self.schedule
        try await pool.withConnection { db in
            try await db.withTransaction { db in
                let now = Date()
                switch outcome {
                case .accepted(let checkoutID, let merchantID):
                    try db.query(
                        """
                        UPDATE payments SET checkout_request_id = \(checkoutID), merchant_request_id = \(merchantID),
                            next_check_at = \(schedule.firstCheck(createdAt: created)), last_answer = 'push accepted',
                            updated_at = \(now)
                        WHERE id = \(paymentID)
                        """)
                case .rejected(let code, let message):
                    try Self.close(db, paymentID, status: .failed, code: code, text: message, now: now)
                case .invalid(let reason):
                    try Self.close(db, paymentID, status: .failed, code: "invalid_request", text: reason, now: now)
                case .noAnswer(let reason):
                    // A prompt may have gone out: no verdict by guess, a person looks.
                    try Self.close(db, paymentID, status: .unknown, code: nil, text: reason, now: now)
                    try ExceptionStore.record(
                        db, kind: "unresolved", key: "unresolved:payment:\(paymentID)", paymentID: paymentID,
                        detail: ["detail": "the STK Push got no usable answer: \(reason)"], now: now)
                }
            }
        }
        if case .accepted(let checkoutID, _) = outcome {
            // A callback that raced ahead of this update waits in the inbox as unmatched: apply it now.
            _ = try await pool.withConnection { db in
                try await CallbackProcessor.sweep(db, now: Date(), schedule: schedule, reference: checkoutID)
            }
        }
        return try await pool.withConnection { db in
            try await db.run { db throws(PostgresError) in
                guard let record = try PaymentStore.load(db, id: paymentID) else {
                    throw PostgresError(code: .misuse, message: "payment \(paymentID) vanished")
                }
                return StartedPayment(
                    id: record.id, userID: record.userID, courseID: record.courseID,
                    amount: record.state.amount.decimalString, phone: MSISDN.mask(record.phone),
                    status: record.state.status.rawValue, checkoutRequestID: record.checkoutRequestID,
                    merchantRequestID: record.merchantRequestID, resultCode: record.state.resultCode,
                    resultDescription: record.state.resultDescription, nextCheckAt: record.state.nextCheckAt)
            }
        }
    }

    private static func close(
        _ db: isolated PostgresConnection, _ id: Int64, status: PaymentStatus, code: String?, text: String, now: Date
    ) throws(PostgresError) {
        try db.query(
            """
            UPDATE payments SET status = \(status.rawValue), result_code = \(code), result_desc = \(text),
                last_answer = \(text), updated_at = \(now)
            WHERE id = \(id)
            """)
        try db.query(
            """
            INSERT INTO payment_events (payment_id, at, source, from_status, to_status, detail)
            VALUES (\(id), \(now), 'pay', 'pending', \(status.rawValue), \(JSONText.object(["summary": text]))::jsonb)
            """)
    }
}
