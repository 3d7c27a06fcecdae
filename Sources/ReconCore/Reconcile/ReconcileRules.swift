/// The reconciliation rules (ARCHITECTURE.md §6.3): facts in, findings out. SQL only narrows the candidates;
/// every decision is made here.
///
/// For each learner and course:
/// - the *primary* payment is the completed one the enrollment points to, else the earliest; every other
///   completed payment is a `duplicate_payment`, to be refunded in full;
/// - a completed payment without an enrollment is `paid_not_enrolled`: the learner is enrolled (an automatic
///   fix) or, when the course is inactive, refunded in full; a revoked enrollment is left to a person;
/// - an active enrollment of a priced course without a completed payment is `enrolled_not_paid` (no money moves);
/// - the primary payment against the course price: the excess of an `overpaid` one is refunded, an `underpaid`
///   one is held for a decision;
/// - an `unknown` payment is `unresolved`; a callback amount different from the request is a `receipt_conflict`;
///   a success after failure in the trail is a `late_success`.
///
/// Confirmed money only: every amount judged against the price, and every refund's amount, is what M-Pesa's
/// statement shows for the payment, else what was pushed (``PaymentFacts/received``); a callback's amount alone
/// is a finding for a person and never proposes a refund. (The refund goes to the number pushed to: RefundStore.)
///
/// A money finding holds until the succeeded refunds cover it; a refund is proposed only for what the
/// non-failed, non-rejected refunds do not already cover, in whole shillings.
public enum ReconcileRules {
    /// The key prefixes reconcile owns and resolves when a finding no longer holds.
    public static let resolvablePrefixes: [String] = [
        FindingKey.prefix(.paidNotEnrolled, .payment(0)), FindingKey.prefix(.enrolledNotPaid, .enrollment(0)),
        FindingKey.prefix(.duplicatePayment, .payment(0)), FindingKey.prefix(.underpaid, .payment(0)),
        FindingKey.prefix(.overpaid, .payment(0)), FindingKey.prefix(.unresolved, .payment(0)),
        FindingKey.prefix(.unmatchedCallback, .callback(0)),
    ]

    /// Judges one learner-course pair.
    public static func judge(_ pair: PairFacts) -> [ReconcileFinding] {
        var findings: [ReconcileFinding] = []
        for payment in pair.payments {
            if payment.status == .unknown {
                findings.append(
                    ReconcileFinding(
                        key: .payment(.unresolved, payment.id), paymentID: payment.id,
                        expected: payment.amount,
                        detail: "payment \(payment.id) is unknown after settlement: a person decides"))
            }
            if payment.lateSuccess {
                findings.append(
                    ReconcileFinding(
                        key: .payment(.lateSuccess, payment.id), paymentID: payment.id,
                        expected: payment.amount,
                        detail: "payment \(payment.id) succeeded after it had been marked failed or unknown"))
            }
            if payment.status == .completed, let paid = payment.paidAmount, paid != payment.amount {
                findings.append(
                    ReconcileFinding(
                        key: .payment(.receiptConflict, payment.id), paymentID: payment.id,
                        expected: payment.amount, received: paid,
                        detail: "M-Pesa reported \(paid.decimalString) paid for a request of "
                            + payment.amount.decimalString))
            }
        }

        let completed = pair.payments.filter { $0.status == .completed }
            .sorted { ($0.createdAt, $0.id) < ($1.createdAt, $1.id) }
        if completed.contains(where: \.source.isInstalment) {
            return findings + judgeInstalments(pair, completed: completed)
        }
        guard let earliest = completed.first else {
            if let enrollment = pair.enrollment, enrollment.active, pair.price > .zero {
                findings.append(
                    ReconcileFinding(
                        key: .enrollment(.enrolledNotPaid, enrollment.id),
                        paymentID: enrollment.paymentID, enrollmentID: enrollment.id, expected: pair.price,
                        detail: "learner \(pair.userID) is enrolled in course \(pair.courseID) with no completed "
                            + "payment: a person decides (no money moves)"))
            }
            return findings
        }
        let primary = completed.first { $0.id == pair.enrollment?.paymentID } ?? earliest

        findings += duplicates(of: primary, among: completed, pair: pair)

        let enrolled = pair.enrollment?.active == true
        if !enrolled {
            guard primary.refunded < primary.amount else { return findings }
            if pair.enrollment != nil {
                findings.append(
                    ReconcileFinding(
                        key: .payment(.paidNotEnrolled, primary.id), paymentID: primary.id,
                        enrollmentID: pair.enrollment?.id, expected: pair.price, received: primary.received,
                        detail: "payment \(primary.id) is completed but the enrollment was revoked: a person decides"))
                return findings
            }
            if pair.courseActive {
                findings.append(
                    ReconcileFinding(
                        key: .payment(.paidNotEnrolled, primary.id), paymentID: primary.id,
                        expected: pair.price, received: primary.received,
                        detail: "payment \(primary.id) is completed but learner \(pair.userID) was not enrolled in "
                            + "course \(pair.courseID)",
                        action: .enroll(paymentID: primary.id)))
            } else {
                findings.append(
                    ReconcileFinding(
                        key: .payment(.paidNotEnrolled, primary.id), paymentID: primary.id,
                        expected: pair.price, received: primary.received,
                        detail: "payment \(primary.id) is completed but course \(pair.courseID) is inactive: refund it",
                        action: proposal(
                            primary, upTo: primary.received,
                            reason: "course \(pair.courseID) is inactive: paid but never enrolled")))
                return findings
            }
        }

        let received = primary.received
        if received > pair.price, let excess = received.subtracting(pair.price) {
            if primary.refunded < excess {
                findings.append(
                    ReconcileFinding(
                        key: .payment(.overpaid, primary.id), paymentID: primary.id,
                        expected: pair.price, received: received,
                        detail: "payment \(primary.id) paid \(received.decimalString) for a course priced "
                            + "\(pair.price.decimalString): refund the excess of \(excess.decimalString)",
                        action: proposal(
                            primary, upTo: min(excess, primary.received),
                            reason: "overpaid by \(excess.decimalString) against the course price")))
            }
        } else if received < pair.price {
            findings.append(
                ReconcileFinding(
                    key: .payment(.underpaid, primary.id), paymentID: primary.id,
                    expected: pair.price, received: received,
                    detail: "payment \(primary.id) paid \(received.decimalString) for a course priced "
                        + "\(pair.price.decimalString): held for a decision"))
        }
        return findings
    }

    /// A pair paid (at least partly) by C2B money: the payments add up. Partial payments are a balance, not an
    /// `underpaid` error; the learner is enrolled once the total reaches the price; what goes beyond it is refunded
    /// from the payment that went beyond. Two STK Pushes completed for the pair are still a duplicate.
    static func judgeInstalments(_ pair: PairFacts, completed: [PaymentFacts]) -> [ReconcileFinding] {
        var findings: [ReconcileFinding] = []
        let pushes = completed.filter { !$0.source.isInstalment }
        let primaryPush = pushes.first { $0.id == pair.enrollment?.paymentID } ?? pushes.first
        if let primaryPush { findings += duplicates(of: primaryPush, among: pushes, pair: pair) }
        let counted = completed.filter { $0.source.isInstalment || $0.id == primaryPush?.id }
        var total = Money.zero
        var reachedBy: PaymentFacts?
        for payment in counted {
            let net = payment.received.subtracting(payment.refunded) ?? .zero
            total = total.adding(max(net, .zero)) ?? total
            if reachedBy == nil, total >= pair.price { reachedBy = payment }
        }
        guard let reachedBy, let last = counted.last else { return findings }
        let enrolled = pair.enrollment?.active == true
        if !enrolled {
            let action: ReconcileAction =
                pair.enrollment == nil && pair.courseActive ? .enroll(paymentID: reachedBy.id) : .none
            let why =
                pair.enrollment != nil
                ? "the enrollment was revoked: a person decides"
                : pair.courseActive
                    ? "learner \(pair.userID) was not enrolled in course \(pair.courseID)"
                    : "course \(pair.courseID) is inactive: a person decides about the payments"
            findings.append(
                ReconcileFinding(
                    key: .payment(.paidNotEnrolled, reachedBy.id), paymentID: reachedBy.id,
                    enrollmentID: pair.enrollment?.id, expected: pair.price, received: total,
                    detail: "payments of learner \(pair.userID) for course \(pair.courseID) add up to "
                        + "\(total.decimalString) of \(pair.price.decimalString) but \(why)",
                    action: action))
            if action == .none { return findings }
        }
        if total > pair.price, let excess = total.subtracting(pair.price) {
            findings.append(
                ReconcileFinding(
                    key: .payment(.overpaid, last.id), paymentID: last.id, expected: pair.price, received: total,
                    detail: "payments of learner \(pair.userID) for course \(pair.courseID) add up to "
                        + "\(total.decimalString) for a course priced \(pair.price.decimalString): refund the excess "
                        + "of \(excess.decimalString) from payment \(last.id)",
                    action: proposal(
                        last, upTo: min(excess, last.received),
                        reason: "paid \(excess.decimalString) more than the course price in instalments")))
        }
        return findings
    }

    /// Every payment of `payments` other than `primary` not yet refunded in full: a `duplicate_payment` to refund.
    static func duplicates(
        of primary: PaymentFacts, among payments: [PaymentFacts], pair: PairFacts
    )
        -> [ReconcileFinding]
    {
        payments.filter { $0.id != primary.id && $0.refunded < $0.amount }.map { duplicate in
            ReconcileFinding(
                key: .payment(.duplicatePayment, duplicate.id),
                paymentID: duplicate.id, expected: .zero, received: duplicate.received,
                detail: "payment \(duplicate.id) is a second completed payment for learner \(pair.userID) and "
                    + "course \(pair.courseID) (first: payment \(primary.id)): refund it",
                action: proposal(
                    duplicate, upTo: duplicate.received,
                    reason: "duplicate payment: learner \(pair.userID) already paid for course \(pair.courseID) "
                        + "with payment \(primary.id)"))
        }
    }

    /// Judges a stored callback that was never applied within the grace period.
    public static func judge(_ callback: StaleCallbackFacts) -> [ReconcileFinding] {
        if let receipt = callback.receipt, let owner = callback.receiptOwnerPaymentID,
            owner != callback.claimedPaymentID
        {
            return [
                ReconcileFinding(
                    key: .receipt(.receiptConflict, receipt),
                    paymentID: callback.claimedPaymentID, callbackID: callback.id,
                    detail: "receipt \(receipt) of payment \(owner) is also reported for "
                        + (callback.claimedPaymentID.map { "payment \($0)" } ?? "an unknown payment")
                        + " by callback \(callback.id)")
            ]
        }
        guard callback.outcome == "unmatched" else { return [] }
        return [
            ReconcileFinding(
                key: .callback(.unmatchedCallback, callback.id), callbackID: callback.id,
                detail: "\(callback.kind) callback \(callback.id) is claimed by no payment or refund")
        ]
    }

    /// The refund to propose for what is not yet covered, whole shillings down; `.none` when covered.
    static func proposal(_ payment: PaymentFacts, upTo target: Money, reason: String) -> ReconcileAction {
        // The confirmed amount bounds a refund: never more than the statement or the request says arrived.
        let capped = min(target, payment.received)
        guard let open = capped.subtracting(payment.committed) else { return .none }
        let whole = Money(minorUnits: open.minorUnits - open.minorUnits % 100)
        guard whole.minorUnits >= 100 else { return .none }
        return .proposeRefund(paymentID: payment.id, amount: whole, reason: reason)
    }
}
