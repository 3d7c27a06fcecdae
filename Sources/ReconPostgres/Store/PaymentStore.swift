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

/// An answer about the payment with a CheckoutRequestID, for ``PaymentStore/apply(_:answers:source:now:schedule:)``.
public struct CheckoutAnswer: Sendable, Equatable {
    /// The payment's CheckoutRequestID.
    public var checkoutRequestID: String
    /// The classified answer.
    public var answer: StkAnswer
    /// What the event should say besides the summary, result code and receipt.
    public var detail: [String: String]

    /// An answer.
    public init(checkoutRequestID: String, answer: StkAnswer, detail: [String: String] = [:]) {
        self.checkoutRequestID = checkoutRequestID
        self.answer = answer
        self.detail = detail
    }
}

/// One decided change of a payment: the row as it was, what the state machine made of it, and who caused it.
struct PaymentWrite {
    var payment: PaymentRecord
    var transition: PaymentTransition
    var source: PaymentEventSource
    var detail: [String: String]
    var push: (checkoutRequestID: String, merchantRequestID: String?)?

    /// The row of a payment to write: its last state, and the push ids of its last write that has any.
    struct Row {
        var paymentID: Int64
        var state: PaymentState
        var push: (checkoutRequestID: String, merchantRequestID: String?)?
    }

    /// One row per payment that changed (or got its push ids), in first-seen order.
    static func rowsToUpdate(_ writes: [PaymentWrite]) -> [Row] {
        var order: [Int64] = []
        var rows: [Int64: Row] = [:]
        var changed: Set<Int64> = []
        for write in writes {
            let id = write.payment.id
            if rows[id] == nil { order.append(id) }
            let push = write.push ?? rows[id]?.push
            rows[id] = Row(paymentID: id, state: write.transition.next, push: push)
            if write.transition.next != write.payment.state || write.push != nil { changed.insert(id) }
        }
        return order.filter(changed.contains).compactMap { rows[$0] }
    }

    /// Payments whose learner must be enrolled, one per learner and course (the first; a later one would find the
    /// enrollment active and change nothing).
    static func enrollments(_ writes: [PaymentWrite]) -> [PaymentRecord] {
        var seen: Set<[Int64]> = []
        // In key order, so two appliers inserting overlapping sets take the unique index's locks in one order.
        return writes.filter { $0.transition.enroll && seen.insert([$0.payment.userID, $0.payment.courseID]).inserted }
            .map(\.payment).sorted { ($0.userID, $0.courseID) < ($1.userID, $1.courseID) }
    }

    /// The trail row this write records, if its transition records one.
    func event(at now: Date) -> PaymentEvent? {
        guard transition.recordsEvent else { return nil }
        let next = transition.next
        var eventDetail = detail
        eventDetail["summary"] = transition.summary
        if let code = next.resultCode { eventDetail["result_code"] = code }
        if let receipt = next.receipt { eventDetail["receipt"] = receipt }
        return PaymentEvent(
            paymentID: payment.id, at: now, source: source, from: payment.state.status, to: next.status,
            detail: eventDetail)
    }
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

    /// Applies answers to the payments their CheckoutRequestIDs name, in order (a payment named twice sees the first
    /// answer's result when the second is applied), under row locks taken in id order, with one statement per table
    /// for all of them. `nil` where no payment has that CheckoutRequestID.
    public static func apply(
        _ db: isolated PostgresConnection, answers: [CheckoutAnswer], source: AnswerSource, now: Date,
        schedule: RetrySchedule
    ) throws(PostgresError) -> [AppliedAnswer?] {
        guard !answers.isEmpty else { return [] }
        let named = Array(Set(answers.map(\.checkoutRequestID)))
        var payments: [String: PaymentRecord] = [:]
        for row in try db.query(
            """
            SELECT \(unescaped: columns) FROM payments WHERE checkout_request_id = ANY(\(SQLArray(named))::text[])
            ORDER BY id FOR UPDATE
            """)
        {
            let payment = try record(row)
            if let id = payment.checkoutRequestID { payments[id] = payment }
        }
        var writes: [PaymentWrite] = []
        var applied: [AppliedAnswer?] = []
        for answer in answers {
            guard var payment = payments[answer.checkoutRequestID] else {
                applied.append(nil)
                continue
            }
            let transition = PaymentStateMachine.apply(
                answer.answer, source: source, to: payment.state, now: now, schedule: schedule)
            writes.append(
                PaymentWrite(
                    payment: payment, transition: transition, source: PaymentEventSource(source), detail: answer.detail)
            )
            applied.append(AppliedAnswer(paymentID: payment.id, from: payment.state.status, transition: transition))
            payment.state = transition.next
            payments[answer.checkoutRequestID] = payment
        }
        try write(db, writes, now: now)
        return applied
    }

    /// Writes what a transition decided: the row (with the push's ids when given), its event, the enrollment and any
    /// finding.
    static func write(
        _ db: isolated PostgresConnection, payment: PaymentRecord, transition: PaymentTransition,
        source: PaymentEventSource, now: Date, detail: [String: String] = [:],
        push: (checkoutRequestID: String, merchantRequestID: String?)? = nil
    ) throws(PostgresError) {
        try write(
            db, [PaymentWrite(payment: payment, transition: transition, source: source, detail: detail, push: push)],
            now: now)
    }

    /// Writes what transitions decided, one statement per table however many: the rows (a payment answered several
    /// times in `writes` gets the state of its last transition), their events, enrollments, then any findings.
    /// The only place a payment's state is written.
    static func write(_ db: isolated PostgresConnection, _ writes: [PaymentWrite], now: Date) throws(PostgresError) {
        let rows = PaymentWrite.rowsToUpdate(writes)
        if !rows.isEmpty {
            let states = rows.map(\.state)
            try db.query(
                """
                UPDATE payments p SET status = u.status, result_code = u.result_code, result_desc = u.result_desc,
                    mpesa_receipt = u.mpesa_receipt, paid_amount = u.paid_amount, paid_phone = u.paid_phone,
                    paid_at = u.paid_at, settled_via = u.settled_via, check_attempts = u.check_attempts,
                    next_check_at = u.next_check_at, last_answer = u.last_answer, updated_at = \(now),
                    checkout_request_id = coalesce(u.checkout_request_id, p.checkout_request_id),
                    merchant_request_id = coalesce(u.merchant_request_id, p.merchant_request_id)
                FROM unnest(\(SQLArray(rows.map { String($0.paymentID) }))::bigint[],
                            \(SQLArray(states.map(\.status.rawValue)))::text[],
                            \(SQLArray(states.map(\.resultCode)))::text[],
                            \(SQLArray(states.map(\.resultDescription)))::text[],
                            \(SQLArray(states.map(\.receipt)))::text[],
                            \(SQLArray(states.map { $0.paidAmount?.sqlText }))::numeric[],
                            \(SQLArray(states.map(\.paidPhone)))::text[],
                            \(SQLArray(states.map { $0.paidAt?.sqlText }))::timestamptz[],
                            \(SQLArray(states.map { $0.settledVia?.rawValue }))::text[],
                            \(SQLArray(states.map { String($0.checkAttempts) }))::integer[],
                            \(SQLArray(states.map { $0.nextCheckAt?.sqlText }))::timestamptz[],
                            \(SQLArray(states.map(\.lastAnswer)))::text[],
                            \(SQLArray(rows.map { $0.push?.checkoutRequestID }))::text[],
                            \(SQLArray(rows.map { $0.push?.merchantRequestID ?? nil }))::text[])
                    AS u(id, status, result_code, result_desc, mpesa_receipt, paid_amount, paid_phone, paid_at,
                         settled_via, check_attempts, next_check_at, last_answer, checkout_request_id,
                         merchant_request_id)
                WHERE p.id = u.id
                """)
        }
        try PaymentEventStore.append(db, writes.compactMap { $0.event(at: now) })
        let enrollments = PaymentWrite.enrollments(writes)
        if !enrollments.isEmpty {
            try db.query(
                """
                INSERT INTO enrollments (user_id, course_id, payment_id, created_at)
                SELECT e.user_id, e.course_id, e.payment_id, \(now)
                FROM unnest(\(SQLArray(enrollments.map { String($0.userID) }))::bigint[],
                            \(SQLArray(enrollments.map { String($0.courseID) }))::bigint[],
                            \(SQLArray(enrollments.map { String($0.id) }))::bigint[])
                    WITH ORDINALITY AS e(user_id, course_id, payment_id, n)
                ORDER BY e.n
                ON CONFLICT (user_id, course_id) DO UPDATE SET status = 'active', payment_id = EXCLUDED.payment_id
                WHERE enrollments.status = 'revoked'
                """)
        }
        for write in writes {
            let paymentID = write.payment.id
            if let finding = write.transition.finding {
                try ExceptionStore.record(
                    db, key: .payment(finding.kind, paymentID), paymentID: paymentID,
                    expected: write.payment.state.amount,
                    received: finding.reported ?? write.transition.next.paidAmount,
                    detail: ["detail": finding.detail], now: now)
            }
            if write.transition.resolvesUnresolved {
                try ExceptionStore.resolve(
                    db, key: .payment(.unresolved, paymentID), resolution: write.transition.summary, now: now)
            }
        }
    }

    /// Creates a `pending` payment (and its first event) before its STK Push is sent; returns its id. The
    /// `accountReference` the push shows the payer is kept: a C2B copy of the payment carries it as its BillRefNumber.
    public static func create(
        _ db: isolated PostgresConnection, userID: Int64, courseID: Int64, amount: Money, phone: MSISDN, now: Date,
        configurationID: Int64? = nil, accountReference: String? = nil
    ) throws(PostgresError) -> Int64 {
        guard
            let id = try db.query(
                """
                INSERT INTO payments (user_id, course_id, amount, phone, status, created_at, updated_at,
                                      configuration_id, account_reference)
                VALUES (\(userID), \(courseID), \(amount), \(phone.digits), 'pending', \(now), \(now),
                        \(configurationID), \(accountReference))
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
