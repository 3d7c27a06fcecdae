public import Foundation

/// One payment of a learner-course pair, with what has been refunded of it.
public struct PaymentFacts: Sendable, Equatable {
    public var id: Int64
    public var status: PaymentStatus
    /// What the learner was asked to pay.
    public var amount: Money
    /// What a callback reported as paid: for findings only, never money (callbacks carry no signature).
    public var paidAmount: Money?
    /// What M-Pesa's own statement shows paid in for this payment (the line matched to it), when one does.
    public var confirmedAmount: Money?
    public var createdAt: Date
    /// Refunds of this payment that succeeded.
    public var refunded: Money
    /// Refunds of this payment that are not rejected or failed (what the database counts).
    public var committed: Money
    /// The trail shows it became completed after it was failed or unknown.
    public var lateSuccess: Bool
    /// An STK Push, or C2B money (instalments that add up).
    public var source: PaymentSource

    /// Facts about one payment.
    public init(
        id: Int64, status: PaymentStatus, amount: Money, paidAmount: Money? = nil, confirmedAmount: Money? = nil,
        createdAt: Date, refunded: Money = .zero, committed: Money = .zero, lateSuccess: Bool = false,
        source: PaymentSource = .stk
    ) {
        self.source = source
        self.id = id
        self.status = status
        self.amount = amount
        self.paidAmount = paidAmount
        self.confirmedAmount = confirmedAmount
        self.createdAt = createdAt
        self.refunded = refunded
        self.committed = committed
        self.lateSuccess = lateSuccess
    }

    /// The money confirmed to have arrived: what M-Pesa's statement shows, else what was pushed (a completed
    /// payment's success was for the amount of the request; a callback reporting another amount completes nothing).
    /// Never a callback's amount alone: every refund is bounded by this figure.
    public var received: Money { confirmedAmount ?? amount }
}

/// The enrollment of a learner-course pair.
public struct EnrollmentFacts: Sendable, Equatable {
    public var id: Int64
    /// `active` or `revoked`.
    public var active: Bool
    public var paymentID: Int64?

    /// Facts about one enrollment.
    public init(id: Int64, active: Bool, paymentID: Int64?) {
        self.id = id
        self.active = active
        self.paymentID = paymentID
    }
}

/// Everything reconcile knows about one learner and one course: the unit the rules judge.
public struct PairFacts: Sendable, Equatable {
    public var userID: Int64
    public var courseID: Int64
    public var price: Money
    public var courseActive: Bool
    public var enrollment: EnrollmentFacts?
    /// The pair's completed and unknown payments (others carry no money to reconcile).
    public var payments: [PaymentFacts]

    /// Facts about one pair.
    public init(
        userID: Int64, courseID: Int64, price: Money, courseActive: Bool, enrollment: EnrollmentFacts?,
        payments: [PaymentFacts]
    ) {
        self.userID = userID
        self.courseID = courseID
        self.price = price
        self.courseActive = courseActive
        self.enrollment = enrollment
        self.payments = payments
    }
}

/// A stored callback older than the grace period that was never applied.
public struct StaleCallbackFacts: Sendable, Equatable {
    public var id: Int64
    /// `stk`, `b2c_result` or `b2c_timeout`.
    public var kind: String
    /// `unmatched`, `conflict`, or `nil` when processing it keeps failing.
    public var outcome: String?
    /// The M-Pesa receipt the body reports (STK successes).
    public var receipt: String?
    /// The payment whose CheckoutRequestID the body names.
    public var claimedPaymentID: Int64?
    /// The payment that already holds ``receipt``.
    public var receiptOwnerPaymentID: Int64?

    /// Facts about one stale callback.
    public init(
        id: Int64, kind: String, outcome: String?, receipt: String? = nil, claimedPaymentID: Int64? = nil,
        receiptOwnerPaymentID: Int64? = nil
    ) {
        self.id = id
        self.kind = kind
        self.outcome = outcome
        self.receipt = receipt
        self.claimedPaymentID = claimedPaymentID
        self.receiptOwnerPaymentID = receiptOwnerPaymentID
    }
}

/// What reconcile does about a finding by itself.
public enum ReconcileAction: Sendable, Equatable {
    /// Nothing: a person looks.
    case none
    /// Enroll the learner on this payment (an automatic fix, recorded).
    case enroll(paymentID: Int64)
    /// Propose a refund (proposed by the system; an admin approves).
    case proposeRefund(paymentID: Int64, amount: Money, reason: String)
}

/// One finding: an exception under a stable key, and what to do about it.
public struct ReconcileFinding: Sendable, Equatable {
    /// Stable: the same fact always has the same key, so re-running never duplicates it.
    public var key: FindingKey
    /// The finding's kind (part of its key).
    public var kind: ExceptionKind { key.kind }
    public var paymentID: Int64?
    public var enrollmentID: Int64?
    public var callbackID: Int64?
    public var expected: Money?
    public var received: Money?
    /// What is wrong, for people; never a phone number.
    public var detail: String
    public var action: ReconcileAction = .none
}
