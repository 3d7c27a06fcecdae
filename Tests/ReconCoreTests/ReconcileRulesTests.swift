import Foundation
import ReconCore
import Testing

@Suite("Reconcile rules")
struct ReconcileRulesTests {
    static let t0 = Date(timeIntervalSince1970: 1_795_934_154)
    static func kes(_ shillings: Int64) -> Money { Money(minorUnits: shillings * 100) }
    static func paid(_ id: Int64, _ shillings: Int64, paid: Int64? = nil, at offset: TimeInterval = 0) -> PaymentFacts {
        PaymentFacts(
            id: id, status: .completed, amount: kes(shillings), paidAmount: paid.map(kes),
            createdAt: t0.addingTimeInterval(offset))
    }
    static func pair(
        price: Int64 = 5000, active: Bool = true, enrollment: EnrollmentFacts? = nil, _ payments: [PaymentFacts]
    ) -> PairFacts {
        PairFacts(
            userID: 7, courseID: 3, price: kes(price), courseActive: active, enrollment: enrollment, payments: payments)
    }

    @Test("a correct pair has no finding")
    func clean() {
        #expect(
            ReconcileRules.judge(
                Self.pair(enrollment: EnrollmentFacts(id: 1, active: true, paymentID: 10), [Self.paid(10, 5000)])
            ).isEmpty)
    }

    @Test("paid but not enrolled: enroll on an active course, refund in full on an inactive one")
    func paidNotEnrolled() {
        let active = ReconcileRules.judge(Self.pair([Self.paid(10, 5000)]))
        #expect(active.map(\.key.rawValue) == ["paid_not_enrolled:payment:10"])
        #expect(active.first?.action == .enroll(paymentID: 10))
        let inactive = ReconcileRules.judge(Self.pair(active: false, [Self.paid(10, 5000)]))
        #expect(inactive.first?.kind == .paidNotEnrolled)
        guard case .proposeRefund(10, let amount, _) = inactive.first?.action else {
            Issue.record("expected a refund proposal")
            return
        }
        #expect(amount == Self.kes(5000))
        var refunded = Self.paid(10, 5000)
        refunded.refunded = Self.kes(5000)
        refunded.committed = Self.kes(5000)
        #expect(ReconcileRules.judge(Self.pair(active: false, [refunded])).isEmpty)
    }

    @Test("a revoked enrollment is left to a person")
    func revoked() {
        let findings = ReconcileRules.judge(
            Self.pair(enrollment: EnrollmentFacts(id: 4, active: false, paymentID: 10), [Self.paid(10, 5000)]))
        #expect(findings.map(\.kind) == [.paidNotEnrolled] && findings.first?.action == ReconcileAction.none)
    }

    @Test("enrolled but not paid, unless the course is free")
    func enrolledNotPaid() {
        let e = EnrollmentFacts(id: 4, active: true, paymentID: nil)
        #expect(
            ReconcileRules.judge(Self.pair(enrollment: e, [])).map(\.key.rawValue) == ["enrolled_not_paid:enrollment:4"]
        )
        #expect(ReconcileRules.judge(Self.pair(price: 0, enrollment: e, [])).isEmpty)
    }

    @Test("a second completed payment is a duplicate refunded in full; the enrolled one is the primary")
    func duplicate() {
        let e = EnrollmentFacts(id: 4, active: true, paymentID: 11)
        let findings = ReconcileRules.judge(
            Self.pair(enrollment: e, [Self.paid(10, 5000), Self.paid(11, 5000, at: 60)]))
        #expect(findings.map(\.key.rawValue) == ["duplicate_payment:payment:10"])
        guard case .proposeRefund(10, let amount, _) = findings.first?.action else {
            Issue.record("expected a refund proposal")
            return
        }
        #expect(amount == Self.kes(5000))
    }

    @Test("a refund already proposed is not proposed again; a covering success resolves the finding")
    func proposalsCoverOnce() {
        var dup = Self.paid(11, 5000, at: 60)
        dup.committed = Self.kes(5000)
        let e = EnrollmentFacts(id: 4, active: true, paymentID: 10)
        let pending = ReconcileRules.judge(Self.pair(enrollment: e, [Self.paid(10, 5000), dup]))
        #expect(pending.first?.kind == .duplicatePayment && pending.first?.action == ReconcileAction.none)
        dup.refunded = Self.kes(5000)
        #expect(ReconcileRules.judge(Self.pair(enrollment: e, [Self.paid(10, 5000), dup])).isEmpty)
    }

    @Test("overpaid proposes the excess (whole shillings); underpaid is held")
    func prices() {
        let e = EnrollmentFacts(id: 4, active: true, paymentID: 10)
        let over = ReconcileRules.judge(Self.pair(enrollment: e, [Self.paid(10, 6000)]))
        #expect(over.map(\.key.rawValue) == ["overpaid:payment:10"])
        #expect(over.first?.expected == Self.kes(5000) && over.first?.received == Self.kes(6000))
        guard case .proposeRefund(10, let amount, _) = over.first?.action else {
            Issue.record("expected a refund proposal")
            return
        }
        #expect(amount == Self.kes(1000))
        let cents = ReconcileRules.judge(
            PairFacts(
                userID: 1, courseID: 1, price: Money(minorUnits: 499_950), courseActive: true, enrollment: e,
                payments: [Self.paid(10, 5000)]))
        if case .proposeRefund(_, let amount, _) = cents.first?.action {
            Issue.record("a refund of less than a shilling was proposed: \(amount)")
        }
        let under = ReconcileRules.judge(Self.pair(enrollment: e, [Self.paid(10, 4000)]))
        #expect(under.map(\.kind) == [.underpaid] && under.first?.action == ReconcileAction.none)
    }

    @Test("a callback amount different from the request is a receipt conflict, never money: no refund, no underpaid")
    func amountMismatch() {
        let e = EnrollmentFacts(id: 4, active: true, paymentID: 10)
        let short = ReconcileRules.judge(Self.pair(enrollment: e, [Self.paid(10, 5000, paid: 4500)]))
        #expect(short.map(\.key.rawValue) == ["receipt_conflict:payment:10"])
        let forged = ReconcileRules.judge(Self.pair(enrollment: e, [Self.paid(10, 5000, paid: 9000)]))
        #expect(forged.map(\.key.rawValue) == ["receipt_conflict:payment:10"])
        #expect(forged.allSatisfy { $0.action == ReconcileAction.none })
        // A duplicate is refunded for what was pushed, not for what a callback claimed.
        let duplicate = ReconcileRules.judge(
            Self.pair(enrollment: e, [Self.paid(10, 5000), Self.paid(11, 5000, paid: 9000, at: 60)]))
        let proposals = duplicate.compactMap { finding -> Money? in
            guard case .proposeRefund(11, let amount, _) = finding.action else { return nil }
            return amount
        }
        #expect(proposals == [Self.kes(5000)])
    }

    @Test("an overpayment M-Pesa's statement confirms proposes the excess of the confirmed amount")
    func statementConfirmedOverpayment() {
        let e = EnrollmentFacts(id: 4, active: true, paymentID: 10)
        var payment = Self.paid(10, 5000, paid: 9000)
        payment.confirmedAmount = Self.kes(5600)
        let findings = ReconcileRules.judge(Self.pair(enrollment: e, [payment]))
        let over = findings.first { $0.kind == .overpaid }
        #expect(over?.received == Self.kes(5600))
        guard case .proposeRefund(10, let amount, _) = over?.action else {
            Issue.record("expected a refund proposal")
            return
        }
        #expect(amount == Self.kes(600))
    }

    @Test("unknown payments are unresolved; a success after failure is a late success")
    func unresolvedAndLate() {
        var late = Self.paid(10, 5000)
        late.lateSuccess = true
        let unknown = PaymentFacts(id: 11, status: .unknown, amount: Self.kes(5000), createdAt: Self.t0)
        let e = EnrollmentFacts(id: 4, active: true, paymentID: 10)
        let findings = ReconcileRules.judge(Self.pair(enrollment: e, [late, unknown]))
        #expect(Set(findings.map(\.key.rawValue)) == ["late_success:payment:10", "unresolved:payment:11"])
    }

    @Test("stale callbacks: a receipt another payment holds is a conflict; an unclaimed one is unmatched")
    func callbacks() {
        let clash = ReconcileRules.judge(
            StaleCallbackFacts(
                id: 5, kind: "stk", outcome: nil, receipt: "QKH1", claimedPaymentID: 2, receiptOwnerPaymentID: 1))
        #expect(clash.map(\.key.rawValue) == ["receipt_conflict:receipt:QKH1"] && clash.first?.paymentID == 2)
        let unmatched = ReconcileRules.judge(StaleCallbackFacts(id: 6, kind: "b2c_result", outcome: "unmatched"))
        #expect(unmatched.map(\.key.rawValue) == ["unmatched_callback:callback:6"])
        #expect(ReconcileRules.judge(StaleCallbackFacts(id: 7, kind: "stk", outcome: nil)).isEmpty)
    }

    @Test("only findings that describe current state resolve by themselves")
    func resolvable() {
        #expect(!ExceptionKind.receiptConflict.resolvesWhenGone && !ExceptionKind.lateSuccess.resolvesWhenGone)
        #expect(ExceptionKind.overpaid.resolvesWhenGone && ExceptionKind.unmatchedCallback.resolvesWhenGone)
    }
}
