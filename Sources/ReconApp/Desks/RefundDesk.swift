public import Foundation
public import ReconCore
public import ReconPostgres

/// A refund as the CLI shows it (table and `--json`); the phone is masked.
public struct RefundView: Sendable, Codable, Equatable {
    public var id: Int64
    public var paymentID: Int64
    public var exceptionID: Int64?
    public var amount: String
    public var reason: String
    public var status: String
    public var proposedBy: String
    public var proposedAt: Date
    public var approvedBy: String?
    public var approvedAt: Date?
    public var secondApprovedBy: String?
    public var secondApprovedAt: Date?
    /// Whether the amount needs a second approver (above `RECON_DUAL_APPROVAL_ABOVE`).
    public var needsTwoApprovers: Bool
    public var rejectedBy: String?
    public var rejectedReason: String?
    public var rejectedAt: Date?
    public var originatorConversationID: String?
    public var conversationID: String?
    /// The M-Pesa receipt of the payout.
    public var receipt: String?
    public var resultCode: String?
    public var resultDescription: String?
    public var note: String?
    public var resendDue: Bool
    public var sendAttempts: Int
    public var statusChecks: Int
    public var sentAt: Date?
    public var completedAt: Date?
    public var updatedAt: Date
    /// Where the money goes, masked.
    public var phone: String

    /// The view of a stored refund.
    public init(_ record: RefundRecord, settings: ApprovalSettings) {
        let state = record.state
        id = record.id
        paymentID = record.paymentID
        exceptionID = record.exceptionID
        amount = state.amount.decimalString
        reason = record.reason
        status = state.status.rawValue
        proposedBy = state.proposedBy
        proposedAt = record.proposedAt
        approvedBy = state.approvedBy
        approvedAt = record.approvedAt
        secondApprovedBy = state.secondApprovedBy
        secondApprovedAt = record.secondApprovedAt
        needsTwoApprovers = RefundApproval.needsTwoApprovers(state.amount, settings: settings)
        rejectedBy = state.rejectedBy
        rejectedReason = state.rejectedReason
        rejectedAt = record.rejectedAt
        originatorConversationID = state.originatorConversationID
        conversationID = state.conversationID
        receipt = state.receipt
        resultCode = state.resultCode
        resultDescription = state.resultDescription
        note = state.note
        resendDue = state.resendDue
        sendAttempts = record.sendAttempts
        statusChecks = record.statusChecks
        sentAt = record.sentAt
        completedAt = record.completedAt
        updatedAt = record.updatedAt
        phone = MSISDN.mask(record.phone)
    }
}

/// The admin side of refunds (ARCHITECTURE.md §6.4; `refunds list|show|propose|approve|reject`): maker-checker
/// rules from ``RefundApproval``, the over-refund limit from the database.
public struct RefundDesk: Sendable {
    let pool: ConnectionPool
    let settings: ApprovalSettings
    let clock: any ReconClock

    /// A desk over a pool, with the dual-approval threshold; who may act is decided by accounts. Decisions are dated
    /// on `clock`.
    public init(pool: ConnectionPool, settings: ApprovalSettings, clock: any ReconClock = .system) {
        self.pool = pool
        self.settings = settings
        self.clock = clock
    }

    /// Refunds, newest first.
    public func list(status: RefundStatus? = nil, limit: Int = 100) async throws -> [RefundView] {
        let settings = self.settings
        return try await pool.withConnection { db in
            try await db.run { db throws(PostgresError) in
                try RefundStore.list(db, status: status, limit: limit).map { RefundView($0, settings: settings) }
            }
        }
    }

    /// One refund; throws ``RefundRefusal`` `.notFound`.
    public func show(_ id: Int64) async throws -> RefundView {
        let settings = self.settings
        let record = try await pool.withConnection { db in
            try await db.run { db throws(PostgresError) in try RefundStore.load(db, id: id) }
        }
        guard let record else { throw RefundRefusal(.notFound, "no refund with id \(id)") }
        return RefundView(record, settings: settings)
    }

    /// Who is acting (kept under this name for the API and console).
    public typealias Who = AccountRef

    /// Proposes a refund of a completed payment. The database refuses an amount that would take the payment's
    /// non-rejected, non-failed refunds past what it paid; that comes back as ``RefundRefusal`` `.overRefund`.
    public func propose(
        paymentID: Int64, amount: Money, reason: String, by email: String, via channel: DecisionChannel = .cli,
        origin: String? = nil, exceptionID: Int64? = nil
    ) async throws -> RefundView {
        try await propose(
            paymentID: paymentID, amount: amount, reason: reason, who: .email(email), via: channel, origin: origin,
            exceptionID: exceptionID)
    }

    /// Proposes a refund as the account `who`.
    public func propose(
        paymentID: Int64, amount: Money, reason: String, who: Who, via channel: DecisionChannel, origin: String? = nil,
        exceptionID: Int64? = nil
    ) async throws -> RefundView {
        let settings = self.settings
        let id: Int64 = try await pool.withConnection { db in
            try await db.withTransaction { db in
                let acting = try AccountRef.acting(db, who, via: channel, origin: origin)
                let state = try RefundApproval.propose(
                    amount: amount, reason: reason, by: acting.account.email, settings: settings)
                guard let payment = try RefundStore.paymentForRefund(db, paymentID: paymentID) else {
                    throw RefundRefusal(.notFound, "no payment with id \(paymentID)")
                }
                guard payment.status == .completed else {
                    throw RefundRefusal(
                        .paymentNotCompleted,
                        "payment \(paymentID) is \(payment.status.rawValue): only a completed payment can be refunded")
                }
                do {
                    let id = try RefundStore.insertProposal(
                        db, paymentID: paymentID, exceptionID: exceptionID, state: state,
                        reason: reason.trimmingSpaces(), now: clock.now, proposer: acting)
                    try UserStore.audit(db, acting: acting, action: "refund.propose", subject: "refund", subjectID: id)
                    return id
                } catch let error as PostgresError where error.constraint == "refunds_within_payment_amount" {
                    let open = payment.amount.subtracting(payment.committed) ?? .zero
                    throw RefundRefusal(
                        .overRefund,
                        "the database refused: refunds of payment \(paymentID) would exceed its amount "
                            + "(paid \(payment.amount.decimalString), already committed "
                            + "\(payment.committed.decimalString), at most \(max(open, .zero).decimalString) left)")
                }
            }
        }
        return try await show(id)
    }

    /// Approves a refund (the first or the second approval) as the admin with this email.
    public func approve(
        _ id: Int64, by email: String, via channel: DecisionChannel = .cli, origin: String? = nil
    ) async throws -> RefundView {
        try await approve(id, who: .email(email), via: channel, origin: origin)
    }

    /// Approves a refund as the account `who`.
    public func approve(
        _ id: Int64, who: Who, via channel: DecisionChannel, origin: String? = nil
    ) async throws -> RefundView {
        try await decide(id, who: who, via: channel, origin: origin) { state, name, settings throws(RefundRefusal) in
            try RefundApproval.approve(state, id: id, by: name, settings: settings)
        }
    }

    /// Rejects a proposed refund with a reason; its finding is resolved as this admin's decision.
    public func reject(
        _ id: Int64, by email: String, reason: String, via channel: DecisionChannel = .cli, origin: String? = nil
    ) async throws -> RefundView {
        try await reject(id, who: .email(email), reason: reason, via: channel, origin: origin)
    }

    /// Rejects a proposed refund as the account `who`.
    public func reject(
        _ id: Int64, who: Who, reason: String, via channel: DecisionChannel, origin: String? = nil
    ) async throws -> RefundView {
        try await decide(id, who: who, via: channel, origin: origin) { state, name, settings throws(RefundRefusal) in
            try RefundApproval.reject(state, id: id, by: name, reason: reason, settings: settings)
        }
    }

    /// Cancels an approved refund not yet sent (it becomes `rejected`; nothing is sent), as the admin with this email.
    public func cancel(
        _ id: Int64, by email: String, reason: String?, via channel: DecisionChannel = .cli, origin: String? = nil
    ) async throws -> RefundView {
        try await cancel(id, who: .email(email), reason: reason, via: channel, origin: origin)
    }

    /// Cancels an approved refund not yet sent as the account `who`.
    public func cancel(
        _ id: Int64, who: Who, reason: String?, via channel: DecisionChannel, origin: String? = nil
    ) async throws -> RefundView {
        try await decide(id, who: who, via: channel, origin: origin) { state, name, settings throws(RefundRefusal) in
            try RefundApproval.cancel(state, id: id, by: name, reason: reason, settings: settings)
        }
    }

    /// Applies `rule` (given the refund's state, the deciding admin's email and the approval settings) to the refund
    /// as the account `who`, and returns the refund as it now stands.
    private func decide(
        _ id: Int64, who: Who, via channel: DecisionChannel, origin: String?,
        _ rule: @escaping @Sendable (RefundState, String, ApprovalSettings) throws(RefundRefusal) -> RefundState
    ) async throws -> RefundView {
        let (settings, clock) = (self.settings, self.clock)
        try await pool.withConnection { db in
            try await db.withTransaction { db in
                let acting = try AccountRef.acting(db, who, via: channel, origin: origin)
                guard let refund = try RefundStore.load(db, id: id, forUpdate: true) else {
                    throw RefundRefusal(.notFound, "no refund with id \(id)")
                }
                let next = try rule(refund.state, acting.account.email, settings)
                do {
                    try RefundStore.writeDecision(db, refund: refund, next: next, now: clock.now, acting: acting)
                } catch let error as PostgresError where error.isIntegrityViolation {
                    throw RefundRefusal(
                        .ownRefund, "the database refused the decision on refund \(id): \(error.constraint ?? "a rule")"
                    )
                }
            }
        }
        return try await show(id)
    }
}
