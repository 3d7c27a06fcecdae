import Foundation
public import ReconCore
public import ReconPostgres

/// What a person decides about exceptions and `unknown` payments: the functions the CLI calls and the console will
/// call too. Refusals are ``RefundRefusal`` values (the CLI exits 2 with their message).
public struct DecisionDesk: Sendable {
    let pool: ConnectionPool
    let settings: ApprovalSettings
    let schedule: RetrySchedule
    let clock: any ReconClock

    /// A desk over a pool, with the configured admins; decisions are dated on `clock`.
    public init(
        pool: ConnectionPool, settings: ApprovalSettings, schedule: RetrySchedule = .standard,
        clock: any ReconClock = .system
    ) {
        self.pool = pool
        self.settings = settings
        self.schedule = schedule
        self.clock = clock
    }

    // MARK: Exceptions

    /// Exceptions, newest first; `kind` and `status` are checked against the known values.
    public func exceptions(kind: String?, status: String?, limit: Int = 200) async throws -> [ExceptionRecord] {
        if let kind, ExceptionKind(rawValue: kind) == nil {
            throw RefundRefusal(
                .notFound,
                "no exception kind '\(kind)'; kinds: "
                    + ExceptionKind.allCases.map(\.rawValue).joined(separator: ", "))
        }
        if let status, !["open", "resolved"].contains(status) {
            throw RefundRefusal(.wrongStatus, "--status is open or resolved")
        }
        return try await pool.withConnection { db in
            try await db.run { db throws(PostgresError) in
                try DeskStore.exceptions(db, kind: kind, status: status, limit: limit)
            }
        }
    }

    /// One exception.
    public func exception(_ id: Int64) async throws -> ExceptionRecord {
        let record = try await pool.withConnection { db in
            try await db.run { db throws(PostgresError) in try DeskStore.exception(db, id: id) }
        }
        guard let record else { throw RefundRefusal(.notFound, "no exception with id \(id)") }
        return record
    }

    /// Resolves an open exception with a note, as the decision of the admin account `who`.
    public func resolveException(
        _ id: Int64, note: String, who: AccountRef, via channel: DecisionChannel = .cli, origin: String? = nil
    ) async throws -> ExceptionRecord {
        let note = note.trimmingSpaces()
        guard !note.isEmpty else { throw RefundRefusal(.missingReason, "resolving an exception needs a --note") }
        try await pool.withConnection { db in
            try await db.withTransaction { db in
                let acting = try AccountRef.acting(db, who, via: channel, origin: origin)
                guard let record = try DeskStore.exception(db, id: id, forUpdate: true) else {
                    throw RefundRefusal(.notFound, "no exception with id \(id)")
                }
                guard record.status == "open" else {
                    throw RefundRefusal(
                        .wrongStatus, "exception \(id) is already resolved (\(record.resolution ?? "no note"))")
                }
                try DeskStore.resolveException(db, id: id, note: note, by: acting, now: clock.now)
                try UserStore.audit(
                    db, acting: acting, action: "exception.resolve", subject: "exception", subjectID: id,
                    detail: JSONText.object(["note": note]))
            }
        }
        return try await exception(id)
    }

    // MARK: Payments

    /// One payment by id, receipt or CheckoutRequestID.
    public func payment(id: Int64?, receipt: String?, checkoutRequestID: String?) async throws -> PaymentOverview {
        let found = try await pool.withConnection { db in
            try await db.run { db throws(PostgresError) in
                try DeskStore.payment(db, id: id, receipt: receipt, checkoutRequestID: checkoutRequestID)
            }
        }
        guard let found else { throw RefundRefusal(.notFound, "no such payment") }
        return found
    }

    /// Payments matching a text (receipt, CheckoutRequestID, email, name, course, or the phone's last digits).
    public func searchPayments(
        _ text: String, limit: Int = 50, maskedViewer: Bool = false
    ) async throws
        -> [PaymentOverview]
    {
        let text = text.trimmingSpaces()
        guard text.count >= 3 else { throw RefundRefusal(.missingReason, "search needs at least 3 characters") }
        if maskedViewer, !MaskedSearch.allows(text) { throw RefundRefusal(.missingReason, MaskedSearch.rule) }
        return try await pool.withConnection { db in
            try await db.run { db throws(PostgresError) in
                try DeskStore.searchPayments(db, text: text, limit: limit, maskedViewer: maskedViewer)
            }
        }
    }

    /// What a decision did.
    public struct Decided: Sendable, Equatable {
        /// `proposed` (waits for a second admin), `replaced` (a different verdict replaced the open one and waits),
        /// or `applied` (two admins agreed; the payment changed).
        public var outcome: String
        public var paymentID: Int64
        public var verdict: PaymentVerdict
        /// The payment's status afterwards.
        public var status: PaymentStatus
    }

    /// Decides an `unknown` payment: the first admin proposes, a different admin confirming the same verdict applies
    /// it through the payment state machine (source admin), which also enrolls the learner when paid.
    public func decide(
        paymentID: Int64, verdict: PaymentVerdict, who: AccountRef, via channel: DecisionChannel = .cli,
        origin: String? = nil
    ) async throws -> Decided {
        let (schedule, clock) = (self.schedule, self.clock)
        return try await pool.withConnection { db in
            try await db.withTransaction { db in
                let acting = try AccountRef.acting(db, who, via: channel, origin: origin)
                let who = acting.account.email
                guard let payment = try PaymentStore.load(db, id: paymentID, forUpdate: true) else {
                    throw RefundRefusal(.notFound, "no payment with id \(paymentID)")
                }
                let open = try DeskStore.openDecision(db, paymentID: paymentID)
                let now = clock.now
                switch try PaymentDecisionRules.step(
                    payment: paymentID, status: payment.state.status, verdict: verdict, by: who, open: open)
                {
                case .propose:
                    let decision = try DeskStore.proposeDecision(
                        db, paymentID: paymentID, verdict: verdict, by: acting, now: now)
                    try audit(db, acting, "payment.decide_propose", paymentID, decision, verdict)
                    return Decided(outcome: "proposed", paymentID: paymentID, verdict: verdict, status: .unknown)
                case .replace(let previous):
                    try DeskStore.closeDecision(db, id: previous, confirmedBy: nil, now: now)
                    let decision = try DeskStore.proposeDecision(
                        db, paymentID: paymentID, verdict: verdict, by: acting, now: now)
                    try audit(db, acting, "payment.decide_replace", paymentID, decision, verdict)
                    return Decided(outcome: "replaced", paymentID: paymentID, verdict: verdict, status: .unknown)
                case .confirm(let decision):
                    do {
                        try DeskStore.closeDecision(db, id: decision, confirmedBy: acting, now: now)
                    } catch let error as PostgresError where error.isIntegrityViolation {
                        throw RefundRefusal(
                            .sameApprover,
                            "the database refused: the decision on payment \(paymentID) needs a second, different admin"
                        )
                    }
                    try audit(db, acting, "payment.decide_confirm", paymentID, decision, verdict)
                    let applied = try PaymentStore.apply(
                        db, paymentID: paymentID, answer: verdict.answer, source: .admin, now: now,
                        schedule: schedule,
                        detail: ["decided_by": "\(open?.proposedBy ?? "?") + \(who)", "decision_id": "\(decision)"])
                    return Decided(
                        outcome: "applied", paymentID: paymentID, verdict: verdict,
                        status: applied?.transition.next.status ?? payment.state.status)
                }
            }
        }
    }

    private func audit(
        _ db: isolated PostgresConnection, _ acting: ActingAccount, _ action: String, _ paymentID: Int64,
        _ decision: Int64, _ verdict: PaymentVerdict
    ) throws {
        try UserStore.audit(
            db, acting: acting, action: action, subject: "payment", subjectID: paymentID,
            detail: JSONText.object([
                "decision_id": "\(decision)", "verdict": verdict.name, "receipt": verdict.receipt ?? "",
            ]))
    }
}
