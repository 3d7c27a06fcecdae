public import Foundation
public import ReconCore

/// A payment row with its state.
public struct PaymentRecord: Sendable, Equatable {
    public var id: Int64
    public var userID: Int64
    public var courseID: Int64
    public var phone: String
    public var checkoutRequestID: String?
    public var merchantRequestID: String?
    public var state: PaymentState
    public var updatedAt: Date
}

/// What applying one answer did, for callers to log and count.
public struct AppliedAnswer: Sendable, Equatable {
    public var paymentID: Int64
    public var from: PaymentStatus
    public var transition: PaymentTransition
}

/// Reads and writes payments. Every state change goes through ``apply(_:paymentID:answer:source:now:schedule:detail:)``,
/// which runs the ReconCore state machine under a row lock and writes the row, its event, the enrollment and any
/// finding together; call it inside one transaction.
public enum PaymentStore {
    static let columns: StaticString = """
        id, user_id, course_id, amount, phone, checkout_request_id, merchant_request_id, status, result_code,
        result_desc, mpesa_receipt, paid_amount, paid_phone, paid_at, settled_via, check_attempts, next_check_at,
        created_at, updated_at, last_answer
        """

    static func record(_ row: PostgresRow) throws(PostgresError) -> PaymentRecord {
        let statusText = try row.decode(String.self, "status")
        guard let status = PaymentStatus(rawValue: statusText) else {
            throw PostgresError(code: .decoding, message: "payment status \(statusText) is not known")
        }
        let settled = try row.decode(String?.self, "settled_via").flatMap(SettledVia.init(rawValue:))
        let state = PaymentState(
            status: status, amount: try row.decode(Money.self, "amount"),
            resultCode: try row.decode(String?.self, "result_code"),
            resultDescription: try row.decode(String?.self, "result_desc"),
            receipt: try row.decode(String?.self, "mpesa_receipt"),
            paidAmount: try row.decode(Money?.self, "paid_amount"),
            paidPhone: try row.decode(String?.self, "paid_phone"),
            paidAt: try row.decode(Date?.self, "paid_at"), settledVia: settled,
            checkAttempts: try row.decode(Int.self, "check_attempts"),
            nextCheckAt: try row.decode(Date?.self, "next_check_at"),
            createdAt: try row.decode(Date.self, "created_at"),
            lastAnswer: try row.decode(String?.self, "last_answer"))
        return PaymentRecord(
            id: try row.decode(Int64.self, "id"), userID: try row.decode(Int64.self, "user_id"),
            courseID: try row.decode(Int64.self, "course_id"), phone: try row.decode(String.self, "phone"),
            checkoutRequestID: try row.decode(String?.self, "checkout_request_id"),
            merchantRequestID: try row.decode(String?.self, "merchant_request_id"), state: state,
            updatedAt: try row.decode(Date.self, "updated_at"))
    }

    /// One payment by id; `forUpdate` locks the row until the transaction ends.
    public static func load(
        _ db: isolated PostgresConnection, id: Int64, forUpdate: Bool = false
    ) throws(PostgresError) -> PaymentRecord? {
        let lock: StaticString = forUpdate ? " FOR UPDATE" : ""
        let rows = try db.query("SELECT \(unescaped: columns) FROM payments WHERE id = \(id)\(unescaped: lock)")
        return try rows.first.map(record)
    }

    /// One payment by CheckoutRequestID.
    public static func load(
        _ db: isolated PostgresConnection, checkoutRequestID: String, forUpdate: Bool = false
    ) throws(PostgresError) -> PaymentRecord? {
        let lock: StaticString = forUpdate ? " FOR UPDATE" : ""
        let rows = try db.query(
            "SELECT \(unescaped: columns) FROM payments WHERE checkout_request_id = \(checkoutRequestID)\(unescaped: lock)"
        )
        return try rows.first.map(record)
    }

    /// Applies a classified answer to a payment: state machine, row, event, enrollment and finding together.
    @discardableResult
    public static func apply(
        _ db: isolated PostgresConnection, paymentID: Int64, answer: StkAnswer, source: AnswerSource, now: Date,
        schedule: RetrySchedule, detail: [String: String] = [:]
    ) throws(PostgresError) -> AppliedAnswer? {
        guard let payment = try load(db, id: paymentID, forUpdate: true) else { return nil }
        let transition = PaymentStateMachine.apply(
            answer, source: source, to: payment.state, now: now, schedule: schedule)
        try write(
            db, payment: payment, transition: transition, source: PaymentEventSource(source), now: now, detail: detail)
        return AppliedAnswer(paymentID: paymentID, from: payment.state.status, transition: transition)
    }

    /// Writes what a transition decided: the row (with the push's ids when given), its event, the enrollment and any
    /// finding. The only place a payment's state is written.
    static func write(
        _ db: isolated PostgresConnection, payment: PaymentRecord, transition: PaymentTransition,
        source: PaymentEventSource, now: Date, detail: [String: String] = [:],
        push: (checkoutRequestID: String, merchantRequestID: String?)? = nil
    ) throws(PostgresError) {
        let paymentID = payment.id
        let next = transition.next
        if next != payment.state || push != nil {
            try db.query(
                """
                UPDATE payments SET status = \(next.status.rawValue), result_code = \(next.resultCode),
                    result_desc = \(next.resultDescription), mpesa_receipt = \(next.receipt),
                    paid_amount = \(next.paidAmount), paid_phone = \(next.paidPhone), paid_at = \(next.paidAt),
                    settled_via = \(next.settledVia?.rawValue), check_attempts = \(next.checkAttempts),
                    next_check_at = \(next.nextCheckAt), last_answer = \(next.lastAnswer), updated_at = \(now),
                    checkout_request_id = coalesce(\(push?.checkoutRequestID), checkout_request_id),
                    merchant_request_id = coalesce(\(push?.merchantRequestID), merchant_request_id)
                WHERE id = \(paymentID)
                """)
        }
        if transition.recordsEvent {
            var eventDetail = detail
            eventDetail["summary"] = transition.summary
            if let code = next.resultCode { eventDetail["result_code"] = code }
            if let receipt = next.receipt { eventDetail["receipt"] = receipt }
            try PaymentEventStore.append(
                db,
                PaymentEvent(
                    paymentID: paymentID, at: now, source: source, from: payment.state.status, to: next.status,
                    detail: eventDetail))
        }
        if transition.enroll {
            try db.query(
                """
                INSERT INTO enrollments (user_id, course_id, payment_id, created_at)
                VALUES (\(payment.userID), \(payment.courseID), \(paymentID), \(now))
                ON CONFLICT (user_id, course_id) DO UPDATE SET status = 'active', payment_id = EXCLUDED.payment_id
                WHERE enrollments.status = 'revoked'
                """)
        }
        if let finding = transition.finding {
            try ExceptionStore.record(
                db, key: .payment(finding.kind, paymentID), paymentID: paymentID,
                expected: payment.state.amount, received: next.paidAmount, detail: ["detail": finding.detail],
                now: now)
        }
        if transition.resolvesUnresolved {
            try ExceptionStore.resolve(
                db, key: .payment(.unresolved, paymentID), resolution: transition.summary, now: now)
        }
    }

    /// Creates a `pending` payment (and its first event) before its STK Push is sent; returns its id.
    public static func create(
        _ db: isolated PostgresConnection, userID: Int64, courseID: Int64, amount: Money, phone: MSISDN, now: Date,
        configurationID: Int64? = nil
    ) throws(PostgresError) -> Int64 {
        guard
            let id = try db.query(
                """
                INSERT INTO payments (user_id, course_id, amount, phone, status, created_at, updated_at,
                                      configuration_id)
                VALUES (\(userID), \(courseID), \(amount), \(phone.digits), 'pending', \(now), \(now),
                        \(configurationID))
                RETURNING id
                """
            ).first?.decode(Int64.self, "id")
        else { throw PostgresError(code: .misuse, message: "INSERT … RETURNING gave no payment id") }
        try PaymentEventStore.append(
            db,
            PaymentEvent(paymentID: id, at: now, source: .pay, from: nil, to: .pending, detail: ["summary": "created"]))
        return id
    }

    /// Applies what the STK Push of a new payment led to, through the state machine; `nil` when the payment is gone.
    @discardableResult
    public static func recordPush(
        _ db: isolated PostgresConnection, paymentID: Int64, answer: PushAnswer,
        checkoutRequestID: String? = nil, merchantRequestID: String? = nil, now: Date, schedule: RetrySchedule
    ) throws(PostgresError) -> PaymentTransition? {
        guard let payment = try load(db, id: paymentID, forUpdate: true) else { return nil }
        let transition = PaymentStateMachine.applyPush(answer, to: payment.state, now: now, schedule: schedule)
        try write(
            db, payment: payment, transition: transition, source: .pay, now: now,
            push: checkoutRequestID.map { ($0, merchantRequestID) })
        return transition
    }
}

extension PaymentStore {
    /// Pending payments that never got a CheckoutRequestID (the process died during the STK Push, or its
    /// answer was lost) become `unknown` with a finding after `grace`: settlement cannot ask about them.
    public static func markOrphans(
        _ db: isolated PostgresConnection, now: Date, grace: TimeInterval = 600
    ) throws(PostgresError) -> Int {
        let cutoff = now.addingTimeInterval(-grace)
        let ids = try db.query(
            """
            SELECT id FROM payments
            WHERE status = 'pending' AND checkout_request_id IS NULL AND created_at < \(cutoff)
            ORDER BY id FOR UPDATE SKIP LOCKED
            """
        ).map { row throws(PostgresError) in try row.decode(Int64.self, "id") }
        var marked = 0
        for id in ids {
            guard let payment = try load(db, id: id, forUpdate: true) else { continue }
            let transition = PaymentStateMachine.applyPush(
                .noAnswer(reason: "no CheckoutRequestID recorded; a prompt may have been sent"), to: payment.state,
                now: now)
            try write(db, payment: payment, transition: transition, source: .query, now: now)
            if transition.next.status != payment.state.status { marked += 1 }
        }
        return marked
    }
}

/// Writes `reconciliation_exceptions` rows under stable keys, so a repeated finding never duplicates.
public enum ExceptionStore {
    /// Opens (or refreshes) the finding with this key.
    public static func record(
        _ db: isolated PostgresConnection, key: FindingKey, paymentID: Int64? = nil,
        enrollmentID: Int64? = nil, callbackID: Int64? = nil, expected: Money? = nil, received: Money? = nil,
        detail: [String: String], now: Date
    ) throws(PostgresError) {
        try db.query(
            """
            INSERT INTO reconciliation_exceptions
                (kind, key, payment_id, enrollment_id, callback_id, expected_amount, received_amount, detail,
                 first_seen, last_seen)
            VALUES (\(key.kind.rawValue), \(key.rawValue), \(paymentID), \(enrollmentID), \(callbackID), \(expected), \(received),
                    \(JSONText.object(detail))::jsonb, \(now), \(now))
            ON CONFLICT (key) DO UPDATE SET last_seen = EXCLUDED.last_seen, detail = EXCLUDED.detail,
                received_amount = coalesce(EXCLUDED.received_amount, reconciliation_exceptions.received_amount),
                status = 'open', resolved_at = NULL, resolution = NULL
            WHERE reconciliation_exceptions.resolved_by IS NULL
            """)
    }

    /// Resolves the finding with this key if it is open.
    public static func resolve(
        _ db: isolated PostgresConnection, key: FindingKey, resolution: String, now: Date
    ) throws(PostgresError) {
        try db.query(
            """
            UPDATE reconciliation_exceptions SET status = 'resolved', resolved_at = \(now), resolution = \(resolution)
            WHERE key = \(key.rawValue) AND status = 'open'
            """)
    }
}

/// A pending payment that a settle run claimed: its id, CheckoutRequestID and the lease end written on it.
public struct SettleClaim: Sendable, Equatable {
    public var paymentID: Int64
    public var checkoutRequestID: String
    public var leaseEnd: Date
    /// The `mpesa_configurations` row the payment was pushed with; `nil`: the `MPESA_*` environment's.
    public var configurationID: Int64?
}

extension PaymentStore {
    /// Claims pending payments due by `dueBy` (oldest due first, skipping rows another worker holds) and pushes their
    /// next check to `leaseEnd`, so a crashed worker's claims come due again by themselves.
    public static func claimDue(
        _ db: isolated PostgresConnection, limit: Int, dueBy: Date, leaseEnd: Date
    ) throws(PostgresError) -> [SettleClaim] {
        try db.query(
            """
            WITH due AS (
                SELECT id FROM payments
                WHERE status = 'pending' AND checkout_request_id IS NOT NULL AND next_check_at <= \(dueBy)
                ORDER BY next_check_at, id
                LIMIT \(limit)
                FOR UPDATE SKIP LOCKED)
            UPDATE payments p SET next_check_at = \(leaseEnd)
            FROM due WHERE p.id = due.id
            RETURNING p.id, p.checkout_request_id, p.next_check_at, p.configuration_id
            """
        ).map { row throws(PostgresError) in
            SettleClaim(
                paymentID: try row.decode(Int64.self, "id"),
                checkoutRequestID: try row.decode(String.self, "checkout_request_id"),
                leaseEnd: try row.decode(Date.self, "next_check_at"),
                configurationID: try row.decode(Int64?.self, "configuration_id"))
        }.sorted { $0.paymentID < $1.paymentID }
    }
}
