/// An open enrollment reference with what has been paid toward it.
public struct ReferenceFacts: Sendable, Equatable {
    /// `enrollment_references.id`.
    public var id: Int64
    public var code: String
    public var userID: Int64
    public var courseID: Int64
    /// `open`, `paid` or `closed`.
    public var status: String
    /// The course price.
    public var price: Money
    /// What completed payments of this learner and course add up to so far.
    public var paid: Money

    /// Facts about one reference.
    public init(
        id: Int64, code: String, userID: Int64, courseID: Int64, status: String, price: Money, paid: Money
    ) {
        self.id = id
        self.code = code
        self.userID = userID
        self.courseID = courseID
        self.status = status
        self.price = price
        self.paid = paid
    }

    /// Whether money may still be paid with it.
    public var isOpen: Bool { status == "open" }

    /// What is left to pay (zero once the price is reached).
    public var balance: Money { price.subtracting(paid).map { max($0, .zero) } ?? .zero }
}

/// Everything local the C2B rules look at for one transaction (SQL only gathers; ``C2BRules`` decides).
public struct C2BFacts: Sendable, Equatable {
    /// The amount paid (or asked about, for validation); `nil` when it could not be read.
    public var amount: Money?
    /// The enrollment reference the BillRefNumber names, in any state.
    public var enrollmentReference: ReferenceFacts?
    /// The learner whose learner reference the BillRefNumber is.
    public var learnerReference: Int64?
    /// Learners whose known numbers are the payer's number (a full number or its SHA-256, whole or masked).
    public var phoneLearners: Set<Int64>
    /// Learners one of whose numbers fits a masked MSISDN and whose first name is the payer's: two pieces of
    /// evidence together (a masked number alone names nobody).
    public var maskedLearners: Set<Int64>
    /// Open enrollment references of the learners above, by learner.
    public var openReferences: [Int64: [ReferenceFacts]]
    /// STK payments still waiting for their answer whose AccountReference is this BillRefNumber, for this amount.
    public var waitingStkPayments: [Int64]
    /// The highest price of an active course: what a learner reference may be paid at most without a course.
    public var highestPrice: Money

    /// Facts.
    public init(
        amount: Money?, enrollmentReference: ReferenceFacts? = nil, learnerReference: Int64? = nil,
        phoneLearners: Set<Int64> = [], maskedLearners: Set<Int64> = [],
        openReferences: [Int64: [ReferenceFacts]] = [:],
        waitingStkPayments: [Int64] = [], highestPrice: Money = .zero
    ) {
        self.amount = amount
        self.enrollmentReference = enrollmentReference
        self.learnerReference = learnerReference
        self.phoneLearners = phoneLearners
        self.maskedLearners = maskedLearners
        self.openReferences = openReferences
        self.waitingStkPayments = waitingStkPayments
        self.highestPrice = highestPrice
    }
}

/// What placed a C2B payment with a learner and course (`c2b_transactions.allocation`).
public enum C2BAllocationBasis: String, Sendable, Codable, Hashable {
    /// The BillRefNumber is the open enrollment reference.
    case enrollmentReference = "enrollment_reference"
    /// The BillRefNumber is the learner's reference and they have one open enrollment reference.
    case learnerReference = "learner_reference"
    /// The payer's number is a learner's (whole or hashed; masked together with the first name) and they have one
    /// open enrollment reference.
    case payerPhone = "payer_phone"
    /// The receipt already belongs to an STK payment.
    case stkReceipt = "stk_receipt"
    /// Two admins allocated it.
    case admin
}

/// What the rules make of a C2B transaction.
public enum C2BAllocation: Sendable, Equatable {
    /// A payment of this learner and course (the reference's), placed by `basis`.
    case enrollment(ReferenceFacts, basis: C2BAllocationBasis)
    /// It names an STK payment still waiting for its answer: wait for that receipt before placing it alone.
    case holdForStk([Int64])
    /// No rule places it: money for a person (`learner` when the evidence names one without a course).
    case unallocated(learner: Int64?, reason: String)
}

/// The answer to a C2B validation request (C2B-PULL.md §2): `0`, or a rejection code.
public struct C2BValidationDecision: Sendable, Equatable {
    /// `0` to accept; `C2B00012` unknown account, `C2B00013` amount, `C2B00016` other.
    public var resultCode: String
    /// Why, for the record (no phone number).
    public var reason: String
    /// The enrollment reference it was judged against, if any.
    public var referenceID: Int64?
    /// The learner it names, if any.
    public var learner: Int64?

    /// Whether the payment may go through.
    public var accepts: Bool { resultCode == "0" }

    /// `{"ResultCode":"0","ResultDesc":"Accepted"}` or `{"ResultCode":"C2B000…","ResultDesc":"Rejected"}`.
    public var body: String {
        #"{"ResultCode":"\#(resultCode)","ResultDesc":"\#(accepts ? "Accepted" : "Rejected")"}"#
    }

    /// Accepts.
    public static func accept(_ reason: String, reference: Int64? = nil, learner: Int64? = nil) -> Self {
        C2BValidationDecision(resultCode: "0", reason: reason, referenceID: reference, learner: learner)
    }

    /// Rejects with `code`.
    public static func reject(_ code: String, _ reason: String, reference: Int64? = nil, learner: Int64? = nil) -> Self
    {
        C2BValidationDecision(resultCode: code, reason: reason, referenceID: reference, learner: learner)
    }

    /// Rejection codes (C2B-PULL.md §2).
    public static let unknownAccount = "C2B00012"
    public static let invalidAmount = "C2B00013"
    public static let otherError = "C2B00016"
}

/// The C2B rules: validation answers and allocation, from local facts only (ARCHITECTURE.md §6).
public enum C2BRules {
    /// Validation: accept what an open enrollment reference, a learner reference or a waiting STK Push explains at an
    /// acceptable amount (at most what is left to pay); `C2B00012` when nothing is named, `C2B00013` for the amount.
    public static func validate(_ facts: C2BFacts) -> C2BValidationDecision {
        guard let amount = facts.amount, amount > .zero else {
            return .reject(C2BValidationDecision.invalidAmount, "the amount could not be read")
        }
        if !facts.waitingStkPayments.isEmpty {
            return .accept("the account reference of an STK Push waiting for its answer")
        }
        if let reference = facts.enrollmentReference {
            guard reference.isOpen else {
                return .reject(
                    C2BValidationDecision.unknownAccount,
                    "enrollment reference \(reference.code) is \(reference.status)",
                    reference: reference.id, learner: reference.userID)
            }
            guard amount <= reference.balance else {
                return .reject(
                    C2BValidationDecision.invalidAmount,
                    "\(amount.decimalString) is more than the \(reference.balance.decimalString) left to pay on "
                        + reference.code, reference: reference.id, learner: reference.userID)
            }
            return .accept(
                "open enrollment reference \(reference.code)", reference: reference.id, learner: reference.userID)
        }
        if let learner = facts.learnerReference {
            let open = facts.openReferences[learner] ?? []
            let ceiling = open.isEmpty ? facts.highestPrice : open.map(\.balance).max() ?? .zero
            guard amount <= ceiling else {
                return .reject(
                    C2BValidationDecision.invalidAmount,
                    "\(amount.decimalString) is more than learner \(learner) can owe (\(ceiling.decimalString))",
                    learner: learner)
            }
            return .accept("learner reference of learner \(learner)", learner: learner)
        }
        return .reject(
            C2BValidationDecision.unknownAccount, "the account names no open enrollment or learner reference")
    }

    /// Allocation of money that moved: the enrollment reference, else the learner (by reference, else by number)
    /// with exactly one open enrollment reference; an STK Push still waiting holds it while `mayHold`; else it is
    /// unallocated money for a person.
    public static func allocate(_ facts: C2BFacts, mayHold: Bool) -> C2BAllocation {
        if mayHold, !facts.waitingStkPayments.isEmpty {
            return .holdForStk(facts.waitingStkPayments)
        }
        if let reference = facts.enrollmentReference {
            guard reference.isOpen else {
                return .unallocated(
                    learner: reference.userID,
                    reason: "enrollment reference \(reference.code) is already \(reference.status)")
            }
            return .enrollment(reference, basis: .enrollmentReference)
        }
        if let learner = facts.learnerReference {
            return byLearner(learner, facts: facts, basis: .learnerReference)
        }
        let byNumber = facts.phoneLearners.isEmpty ? facts.maskedLearners : facts.phoneLearners
        if byNumber.count == 1, let learner = byNumber.first {
            return byLearner(learner, facts: facts, basis: .payerPhone)
        }
        if byNumber.count > 1 {
            return .unallocated(
                learner: nil,
                reason: "the payer's number belongs to \(byNumber.count) learners and the account names none")
        }
        return .unallocated(
            learner: nil, reason: "the account names no open enrollment or learner reference and the number no learner")
    }

    private static func byLearner(_ learner: Int64, facts: C2BFacts, basis: C2BAllocationBasis) -> C2BAllocation {
        let open = facts.openReferences[learner] ?? []
        guard open.count == 1, let only = open.first else {
            return .unallocated(
                learner: learner,
                reason: "learner \(learner) is named but has \(open.count) open enrollment references: which course "
                    + "is a person's decision")
        }
        return .enrollment(only, basis: basis)
    }
}
