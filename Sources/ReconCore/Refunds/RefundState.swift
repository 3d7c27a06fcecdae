/// A refund's lifecycle state (ARCHITECTURE.md §5): `proposed → approved | rejected`, then `sending → sent →
/// succeeded | failed`, with `unknown` for answers nobody understands.
public enum RefundStatus: String, Sendable, Codable, CaseIterable {
    case proposed
    case approved
    case rejected
    case sending
    case sent
    case succeeded
    case failed
    case unknown

    /// Whether the refund still counts against its payment (the database trigger's rule).
    public var commitsMoney: Bool { self != .rejected && self != .failed }

    /// Whether money may be on its way: a B2C request was (or may have been) made with its id.
    public var isInFlight: Bool { self == .sending || self == .sent || self == .unknown }

    /// Whether nothing will change it any more.
    public var isFinal: Bool { self == .rejected || self == .succeeded || self == .failed }
}

/// The fields of a refund the approval rules and the dispatch state machine read and write.
public struct RefundState: Sendable, Equatable {
    public var status: RefundStatus
    public var amount: Money
    public var proposedBy: String
    public var approvedBy: String?
    public var secondApprovedBy: String?
    public var rejectedBy: String?
    public var rejectedReason: String?
    /// Ours, fresh for each refund, committed before the first B2C call and reused for every resend.
    public var originatorConversationID: String?
    /// Daraja's id for the accepted B2C request.
    public var conversationID: String?
    /// The M-Pesa receipt of the payout.
    public var receipt: String?
    public var resultCode: String?
    public var resultDescription: String?
    /// M-Pesa is known not to have the request: send again with the same OriginatorConversationID.
    public var resendDue: Bool
    /// The latest thing learnt while resolving, for people.
    public var note: String?

    /// A state value.
    public init(
        status: RefundStatus, amount: Money, proposedBy: String, approvedBy: String? = nil,
        secondApprovedBy: String? = nil, rejectedBy: String? = nil, rejectedReason: String? = nil,
        originatorConversationID: String? = nil, conversationID: String? = nil, receipt: String? = nil,
        resultCode: String? = nil, resultDescription: String? = nil, resendDue: Bool = false, note: String? = nil
    ) {
        self.status = status
        self.amount = amount
        self.proposedBy = proposedBy
        self.approvedBy = approvedBy
        self.secondApprovedBy = secondApprovedBy
        self.rejectedBy = rejectedBy
        self.rejectedReason = rejectedReason
        self.originatorConversationID = originatorConversationID
        self.conversationID = conversationID
        self.receipt = receipt
        self.resultCode = resultCode
        self.resultDescription = resultDescription
        self.resendDue = resendDue
        self.note = note
    }
}

/// Why a refund action (or another person's decision) was refused: a value the rules return, thrown to the person
/// who asked. `description` names the rule and the subject, never a phone number or a secret.
public typealias RefundRefusal = CodedError<RefundRefusalCodes>

/// The codes of ``RefundRefusal``.
public enum RefundRefusalCodes {}

extension CodedError.Code where Domain == RefundRefusalCodes {
    /// The account is unknown, disabled, or not an admin.
    public static var notAdmin: Self { Self(raw: "not an admin") }
    /// The system's own name was given by a person.
    public static var reservedName: Self { Self(raw: "reserved name") }
    /// The proposer tried to approve or reject their own refund.
    public static var ownRefund: Self { Self(raw: "own refund") }
    /// The first approver tried to give the second approval too.
    public static var sameApprover: Self { Self(raw: "same approver") }
    /// The refund is not in a state that allows the action.
    public static var wrongStatus: Self { Self(raw: "wrong status") }
    /// The amount is not a whole number of shillings from 1 up.
    public static var invalidAmount: Self { Self(raw: "invalid amount") }
    /// A reason is required and was empty.
    public static var missingReason: Self { Self(raw: "missing reason") }
    /// The refunds of the payment would exceed what it paid (the database refused).
    public static var overRefund: Self { Self(raw: "over-refund") }
    /// Only a completed payment can be refunded.
    public static var paymentNotCompleted: Self { Self(raw: "payment not completed") }
    /// No such refund or payment.
    public static var notFound: Self { Self(raw: "not found") }
}
