import Foundation
import ReconCore
import Testing

@Suite("Payment state machine")
struct PaymentStateMachineTests {
    static let created = Date(timeIntervalSince1970: 1_795_934_154)
    static let amount = Money(minorUnits: 500_000)

    static func pending(attempts: Int = 0) -> PaymentState {
        PaymentState(
            status: .pending, amount: amount, checkAttempts: attempts, nextCheckAt: created.addingTimeInterval(90),
            createdAt: created)
    }

    static func details(_ receipt: String, amount: Money = amount) -> StkPaymentDetails {
        StkPaymentDetails(receipt: receipt, amount: amount, phone: "254712345678", transactionDate: "20261129093554")
    }

    let now = Self.created.addingTimeInterval(120)

    @Test("a paid callback completes the payment with receipt, amount, phone and time, and enrolls")
    func paidCallback() {
        let t = PaymentStateMachine.apply(
            .paid(Self.details("QKH94M1Z11")), source: .callback, to: Self.pending(), now: now)
        #expect(t.next.status == .completed)
        #expect(t.next.receipt == "QKH94M1Z11")
        #expect(t.next.paidAmount == Self.amount)
        #expect(t.next.paidPhone == "254712345678")
        #expect(t.next.paidAt == Date(timeIntervalSince1970: 1_795_934_154))
        #expect(t.next.settledVia == .callback)
        #expect(t.next.nextCheckAt == nil)
        #expect(t.enroll && t.recordsEvent && t.finding == nil)
    }

    @Test("a paid query completes with the receipt pending; the later callback fills it in")
    func paidQueryThenCallback() {
        let first = PaymentStateMachine.apply(.paid(nil), source: .query, to: Self.pending(), now: now)
        #expect(first.next.status == .completed && first.next.receiptPending && first.next.settledVia == .query)
        #expect(first.enroll)
        let second = PaymentStateMachine.apply(
            .paid(Self.details("QKH94M1Z11")), source: .callback, to: first.next, now: now)
        #expect(second.next.receipt == "QKH94M1Z11" && second.next.settledVia == .query)
        #expect(second.recordsEvent && !second.enroll)
    }

    @Test("the same callback twice changes nothing the second time")
    func duplicate() {
        let once = PaymentStateMachine.apply(.paid(Self.details("R1")), source: .callback, to: Self.pending(), now: now)
        let twice = PaymentStateMachine.apply(.paid(Self.details("R1")), source: .callback, to: once.next, now: now)
        #expect(twice.next == once.next && !twice.recordsEvent && !twice.enroll && twice.finding == nil)
    }

    @Test("a failure after completion is a conflict, not applied")
    func failureAfterSuccess() {
        let done = PaymentStateMachine.apply(.paid(Self.details("R1")), source: .callback, to: Self.pending(), now: now)
            .next
        let t = PaymentStateMachine.apply(
            .failed(code: "1032", reason: .cancelledByUser, description: "x"), source: .callback, to: done, now: now)
        #expect(t.next == done)
        #expect(t.finding?.kind == .callbackConflict)
    }

    @Test("a success with a receipt after a failure is applied and flagged as late success")
    func successAfterFailure() {
        let failed = PaymentStateMachine.apply(
            .failed(code: "1037", reason: .noResponse, description: "x"), source: .query, to: Self.pending(), now: now
        ).next
        #expect(failed.status == .failed)
        let late = PaymentStateMachine.apply(.paid(Self.details("R9")), source: .callback, to: failed, now: now)
        #expect(late.next.status == .completed && late.next.receipt == "R9" && late.enroll)
        #expect(late.finding?.kind == .lateSuccess)
        let weak = PaymentStateMachine.apply(.paid(nil), source: .query, to: failed, now: now)
        #expect(weak.next == failed && weak.finding?.kind == .lateSuccess)
    }

    @Test("a different receipt is recorded as a receipt conflict")
    func receiptConflict() {
        let done = PaymentStateMachine.apply(.paid(Self.details("R1")), source: .callback, to: Self.pending(), now: now)
            .next
        let other = PaymentStateMachine.apply(.paid(Self.details("R2")), source: .callback, to: done, now: now)
        #expect(other.next.receipt == "R1" && other.finding?.kind == .receiptConflict)
    }

    @Test(
        "a success for another amount than pushed holds a pending payment: not completed, nobody enrolled, asked again",
        arguments: [Money(minorUnits: 100), Money(minorUnits: 900_000)])
    func otherAmountIsHeld(reported: Money) {
        let held = PaymentStateMachine.apply(
            .paid(Self.details("R3", amount: reported)), source: .callback, to: Self.pending(), now: now)
        #expect(held.next.status == .pending && !held.enroll)
        #expect(held.next.receipt == nil && held.next.paidAmount == nil && held.next.paidPhone == nil)
        #expect(held.next.nextCheckAt == now && held.next.settledVia == nil)
        #expect(held.finding?.kind == .amountMismatch && held.finding?.reported == reported)
        #expect(held.finding?.detail.contains("254712345678") == false)
        // STK Query's "paid" is Daraja's own answer about the request as pushed: it completes at the pushed amount.
        let confirmed = PaymentStateMachine.apply(.paid(nil), source: .query, to: held.next, now: now)
        #expect(confirmed.next.status == .completed && confirmed.enroll && confirmed.next.settledVia == .query)
        #expect(confirmed.next.paidAmount == nil && confirmed.next.amount == Self.amount)
        // The same callback again is held again; a refuting query fails the payment.
        let again = PaymentStateMachine.apply(
            .paid(Self.details("R3", amount: reported)), source: .callback, to: held.next, now: now)
        #expect(again.next.status == .pending && !again.enroll)
        let refuted = PaymentStateMachine.apply(
            .failed(code: "1032", reason: .cancelledByUser, description: "x"), source: .query, to: held.next, now: now)
        #expect(refuted.next.status == .failed && !refuted.enroll)
    }

    @Test("a success for another amount than pushed changes no unknown, failed or completed payment")
    func otherAmountChangesNothingElse() {
        let other = Self.details("R4", amount: Money(minorUnits: 100))
        let unknown = PaymentStateMachine.apply(.notUnderstood("?"), source: .query, to: Self.pending(), now: now).next
        let failed = PaymentStateMachine.apply(
            .failed(code: "1037", reason: .noResponse, description: "x"), source: .query, to: Self.pending(), now: now
        ).next
        let receiptPending = PaymentStateMachine.apply(.paid(nil), source: .query, to: Self.pending(), now: now).next
        for state in [unknown, failed, receiptPending] {
            let t = PaymentStateMachine.apply(.paid(other), source: .callback, to: state, now: now)
            #expect(t.next == state && !t.enroll && !t.recordsEvent)
            #expect(t.finding?.kind == .amountMismatch)
        }
    }

    @Test("in flight walks the schedule and ends unknown with an unresolved finding, never failed")
    func walksSchedule() {
        let schedule = RetrySchedule(delays: [90, 180, 600])
        var state = Self.pending()
        var clock = now
        var transitions: [PaymentTransition] = []
        for _ in 0..<3 {
            let t = PaymentStateMachine.apply(
                .inFlight(code: "4999"), source: .query, to: state, now: clock, schedule: schedule)
            transitions.append(t)
            state = t.next
            clock = state.nextCheckAt ?? clock
        }
        #expect(transitions[0].next.nextCheckAt == now.addingTimeInterval(180))
        #expect(transitions[1].next.status == .pending)
        #expect(state.status == .unknown && state.checkAttempts == 3 && state.nextCheckAt == nil)
        #expect(transitions[2].finding?.kind == .unresolved)
    }

    @Test("throttling and transport failures reschedule without using up a check")
    func throttled() {
        let t = PaymentStateMachine.apply(
            .throttled(code: "500.003.02"), source: .query, to: Self.pending(attempts: 2), now: now)
        #expect(t.throttled && t.next.checkAttempts == 2 && t.next.status == .pending)
        #expect((t.next.nextCheckAt ?? now) > now)
        let lost = PaymentStateMachine.apply(
            .transportFailure("timeout"), source: .query, to: Self.pending(attempts: 2), now: now)
        #expect(lost.next.checkAttempts == 2 && lost.next.status == .pending && (lost.next.nextCheckAt ?? now) > now)
    }

    @Test("an answer nobody understands makes the payment unknown for a person")
    func notUnderstood() {
        let t = PaymentStateMachine.apply(
            .notUnderstood("result code 7777"), source: .query, to: Self.pending(), now: now)
        #expect(t.next.status == .unknown && t.finding?.kind == .unresolved)
    }

    @Test("a verdict for an unknown payment is applied and resolves the unresolved finding")
    func unknownThenVerdict() {
        let unknown = PaymentStateMachine.apply(.notUnderstood("?"), source: .query, to: Self.pending(), now: now).next
        let failed = PaymentStateMachine.apply(
            .failed(code: "1032", reason: .cancelledByUser, description: "x"), source: .callback, to: unknown, now: now)
        #expect(failed.next.status == .failed && failed.resolvesUnresolved)
        let paid = PaymentStateMachine.apply(.paid(nil), source: .query, to: unknown, now: now)
        #expect(paid.next.status == .completed && paid.enroll && paid.finding?.kind == .lateSuccess)
    }

    // MARK: Properties over random sequences

    static func randomAnswer(_ rng: inout SeededGenerator) -> (StkAnswer, AnswerSource) {
        let source: AnswerSource = rng.next() % 2 == 0 ? .callback : .query
        switch rng.next() % 8 {
        case 0: return (.paid(source == .callback ? details("R\(rng.next() % 3)") : nil), source)
        case 1: return (.failed(code: "1032", reason: .cancelledByUser, description: "c"), source)
        case 2: return (.failed(code: "1037", reason: .noResponse, description: "t"), source)
        case 3, 4: return (.inFlight(code: "4999"), .query)
        case 5: return (.throttled(code: "500.003.02"), .query)
        case 6: return (.transportFailure("timeout"), .query)
        default: return (rng.next() % 4 == 0 ? .notUnderstood("7777") : .tokenInvalid(code: "404.001.03"), .query)
        }
    }

    @Test("every sequence of answers ends consistent with the definitive answers; completed never goes back")
    func properties() {
        var rng = SeededGenerator(seed: 20_261_129)
        let schedule = RetrySchedule(delays: [90, 180, 600, 1800])
        for _ in 0..<5_000 {
            var state = Self.pending()
            var clock = now
            var sawPaid = false
            var firstReceipt: String?
            var sawFailure = false
            var sawNotUnderstood = false
            var lastDefinitive: String?
            var enrollments = 0
            for _ in 0..<Int(rng.next() % 12) {
                let (answer, source) = Self.randomAnswer(&rng)
                let before = state
                let t = PaymentStateMachine.apply(answer, source: source, to: state, now: clock, schedule: schedule)
                state = t.next
                clock = clock.addingTimeInterval(60)
                if t.enroll { enrollments += 1 }
                switch answer {
                case .paid(let d):
                    sawPaid = true
                    lastDefinitive = "paid"
                    if firstReceipt == nil, let r = d?.receipt { firstReceipt = r }
                case .failed:
                    sawFailure = true
                    lastDefinitive = "failed"
                case .notUnderstood: sawNotUnderstood = true
                default: break
                }
                // Completed never goes back, and a receipt once set never changes.
                if before.status == .completed { #expect(state.status == .completed) }
                if let r = before.receipt { #expect(state.receipt == r) }
                #expect(state.status != .pending || before.status == .pending)
                #expect(state.checkAttempts <= schedule.maxAttempts)
            }
            if state.status == .completed { #expect(sawPaid) }
            if state.status == .failed { #expect(sawFailure && firstReceipt == nil) }
            if firstReceipt != nil { #expect(state.status == .completed && state.receipt == firstReceipt) }
            if lastDefinitive == "paid" { #expect(state.status == .completed || state.status == .failed) }
            if lastDefinitive == "failed" && !sawPaid { #expect(state.status == .failed) }
            if state.status == .unknown { #expect(!sawPaid || firstReceipt == nil) }
            if !sawPaid && !sawFailure && !sawNotUnderstood { #expect(state.status != .completed) }
            #expect(enrollments == (state.status == .completed ? 1 : 0))
        }
    }
}
