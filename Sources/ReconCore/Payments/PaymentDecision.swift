/// What a person decides about an `unknown` payment: M-Pesa took the money (with its receipt) or it did not.
public enum PaymentVerdict: Sendable, Equatable, Codable {
    case paid(receipt: String)
    case notPaid

    /// `paid` or `not_paid`, as stored.
    public var name: String {
        switch self {
        case .paid: "paid"
        case .notPaid: "not_paid"
        }
    }

    /// The receipt of a `paid` verdict.
    public var receipt: String? {
        if case .paid(let receipt) = self { return receipt }
        return nil
    }

    /// A verdict from its stored form.
    public init?(name: String, receipt: String?) {
        switch (name, receipt) {
        case ("paid", .some(let receipt)): self = .paid(receipt: receipt)
        case ("not_paid", _): self = .notPaid
        default: return nil
        }
    }

    /// The answer the state machine applies once two admins agree (source admin).
    public var answer: StkAnswer {
        switch self {
        case .paid(let receipt):
            .paid(StkPaymentDetails(receipt: receipt, amount: nil, phone: nil, transactionDate: nil))
        case .notPaid:
            .failed(code: "admin", reason: .noResponse, description: "not paid: decided by two admins")
        }
    }
}

/// An open proposal waiting for a second admin.
public struct OpenPaymentDecision: Sendable, Equatable {
    public var id: Int64
    public var verdict: PaymentVerdict
    public var proposedBy: String

    /// A proposal.
    public init(id: Int64, verdict: PaymentVerdict, proposedBy: String) {
        self.id = id
        self.verdict = verdict
        self.proposedBy = proposedBy
    }
}

/// Maker-checker for payment decisions (as for refunds): one admin proposes, a different admin confirms the same
/// verdict, and only then is it applied. Pure, so every rule is tested without a database.
public enum PaymentDecisionRules {
    /// What a decision by `name` leads to.
    public enum Step: Sendable, Equatable {
        /// No open proposal: this one waits for a second admin.
        case propose
        /// The open proposal says the same and comes from someone else: apply it.
        case confirm(decisionID: Int64)
        /// The open proposal says something else: this one replaces it and waits for a second admin.
        case replace(decisionID: Int64)
    }

    /// Decides the step for the admin account named `name` (its email; the desk has checked the account): refuses
    /// decisions on payments that are not `unknown`, a receipt that is not an M-Pesa receipt, and the proposer
    /// confirming their own proposal.
    public static func step(
        payment id: Int64, status: PaymentStatus, verdict: PaymentVerdict, by name: String,
        open: OpenPaymentDecision?
    ) throws(RefundRefusal) -> Step {
        let name = name.trimmingSpaces()
        guard status == .unknown else {
            throw RefundRefusal(
                .wrongStatus, "payment \(id) is \(status.rawValue); only an unknown payment is decided by a person")
        }
        if let receipt = verdict.receipt {
            guard (8...12).contains(receipt.count), receipt.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber) })
            else {
                throw RefundRefusal(.invalidAmount, "--paid takes an M-Pesa receipt, 8 to 12 letters and digits")
            }
        }
        guard let open else { return .propose }
        guard open.verdict == verdict else { return .replace(decisionID: open.id) }
        guard open.proposedBy != name else {
            throw RefundRefusal(
                .sameApprover, "\(name) proposed this decision on payment \(id): a different admin must confirm it")
        }
        return .confirm(decisionID: open.id)
    }
}
