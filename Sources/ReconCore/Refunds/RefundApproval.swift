/// Maker-checker rules for refunds (ARCHITECTURE.md §6.4): pure, so every rule is tested without a database.
///
/// - every person acting is an active account with the admin role (`is_staff` only where
///   `RECON_STAFF_IS_ADMIN=true`), named by its email; the system's own name is reserved for the proposals reconcile makes, so any admin may approve those; the database
///   checks the same on the account ids (`sql/007_identity.sql`);
/// - an approver differs from the proposer; above `RECON_DUAL_APPROVAL_ABOVE` two different approvers are
///   needed and the refund stays `proposed` until the second (the database holds the same rule, reading the
///   threshold `migrate` writes to `recon_settings`, `sql/011_enforce.sql`);
/// - amounts are whole shillings (B2C sends no cents), and a reason is always given.
public enum RefundApproval {
    /// The name reconcile proposes under; no person may act under it.
    public static let systemName = "mpesa-recon"

    /// Checks that the account found for `given` (an email) may act as an admin now.
    public static func checkAdmin(_ account: Account?, given: String) throws(RefundRefusal) {
        let given = given.trimmingSpaces()
        guard given != systemName else {
            throw RefundRefusal(.reservedName, "'\(systemName)' is the system's own name; give your own with --by")
        }
        guard !given.isEmpty else {
            throw RefundRefusal(.notAdmin, "--by is required: the email of an active admin account")
        }
        guard let account, account.isAdmin else {
            throw RefundRefusal(
                .notAdmin, "'\(given)' is not an admin: only an active account with the admin role may act on refunds")
        }
    }

    /// A new proposal by an admin (or by the system when `bySystem`).
    public static func propose(
        amount: Money, reason: String, by name: String, settings: ApprovalSettings, bySystem: Bool = false
    ) throws(RefundRefusal) -> RefundState {
        guard amount.minorUnits >= 100, amount.isWholeShillings else {
            throw RefundRefusal(
                .invalidAmount, "a refund must be a whole number of shillings, at least 1 (B2C sends no cents)")
        }
        guard !reason.trimmingSpaces().isEmpty else {
            throw RefundRefusal(.missingReason, "a refund needs a reason")
        }
        return RefundState(status: .proposed, amount: amount, proposedBy: bySystem ? systemName : name.trimmingSpaces())
    }

    /// Whether a refund of this amount needs two different approvers.
    public static func needsTwoApprovers(_ amount: Money, settings: ApprovalSettings) -> Bool {
        amount > settings.dualApprovalAbove
    }

    /// Records one approval; the refund becomes `approved` once it has the approvals it needs.
    public static func approve(
        _ state: RefundState, id: Int64, by name: String, settings: ApprovalSettings
    ) throws(RefundRefusal) -> RefundState {
        let name = name.trimmingSpaces()
        guard state.status == .proposed else {
            throw RefundRefusal(
                .wrongStatus, "refund \(id) is \(state.status.rawValue); only a proposed refund can be approved")
        }
        guard name != state.proposedBy else {
            throw RefundRefusal(.ownRefund, "\(name) proposed refund \(id) and cannot approve it: another admin must")
        }
        var next = state
        guard let first = state.approvedBy else {
            next.approvedBy = name
            if !needsTwoApprovers(state.amount, settings: settings) { next.status = .approved }
            return next
        }
        guard name != first else {
            throw RefundRefusal(
                .sameApprover,
                "\(name) already approved refund \(id); above \(settings.dualApprovalAbove) a second, different admin must approve"
            )
        }
        next.secondApprovedBy = name
        next.status = .approved
        return next
    }

    /// Rejects a proposed refund, with a reason; nothing is sent.
    public static func reject(
        _ state: RefundState, id: Int64, by name: String, reason: String, settings: ApprovalSettings
    ) throws(RefundRefusal) -> RefundState {
        let name = name.trimmingSpaces()
        guard state.status == .proposed else {
            throw RefundRefusal(
                .wrongStatus, "refund \(id) is \(state.status.rawValue); only a proposed refund can be rejected")
        }
        guard name != state.proposedBy else {
            throw RefundRefusal(.ownRefund, "\(name) proposed refund \(id) and cannot reject it: another admin must")
        }
        guard !reason.trimmingSpaces().isEmpty else {
            throw RefundRefusal(.missingReason, "rejecting a refund needs a reason (--reason)")
        }
        var next = state
        next.status = .rejected
        next.rejectedBy = name
        next.rejectedReason = reason.trimmingSpaces()
        return next
    }

    /// Cancels an approved refund that has not been sent yet: it becomes `rejected` (nothing is sent) with the reason.
    /// Another admin than the proposer cancels, as for a rejection; once `sending`, Transaction Status decides.
    public static func cancel(
        _ state: RefundState, id: Int64, by name: String, reason: String?, settings: ApprovalSettings
    ) throws(RefundRefusal) -> RefundState {
        let name = name.trimmingSpaces()
        guard state.status == .approved else {
            throw RefundRefusal(
                .wrongStatus,
                "refund \(id) is \(state.status.rawValue); only an approved refund not yet sent can be cancelled")
        }
        guard name != state.proposedBy else {
            throw RefundRefusal(.ownRefund, "\(name) proposed refund \(id) and cannot cancel it: another admin must")
        }
        var next = state
        next.status = .rejected
        next.rejectedBy = name
        let why = reason?.trimmingSpaces() ?? ""
        next.rejectedReason = "cancelled after approval" + (why.isEmpty ? "" : ": \(why)")
        return next
    }
}
