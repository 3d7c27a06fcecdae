import Foundation
import ReconCore
import Testing

/// Push outcomes through the state machine (an answer after a verdict changes nothing), and receipts filled from a
/// statement (only from a line no other payment also fits).
@Suite("Push answers and statement receipt fills")
struct ReviewFindingsTests {
    static let now = Date(timeIntervalSince1970: 1_795_000_000)
    static let created = now.addingTimeInterval(-5)

    static func pending() -> PaymentState {
        PaymentState(status: .pending, amount: Money(minorUnits: 500_000), createdAt: created)
    }

    @Test("accepted stays pending with its first check; refused and never-sent fail; no answer is unknown")
    func pushAnswers() {
        let accepted = PaymentStateMachine.applyPush(.accepted, to: Self.pending(), now: Self.now)
        #expect(accepted.next.status == .pending && accepted.finding == nil && !accepted.recordsEvent)
        #expect(accepted.next.nextCheckAt == RetrySchedule.standard.firstCheck(createdAt: Self.created))

        let refused = PaymentStateMachine.applyPush(
            .rejected(code: "400.002.02", description: "Bad Request - Invalid PhoneNumber"), to: Self.pending(),
            now: Self.now)
        #expect(refused.next.status == .failed && refused.next.resultCode == "400.002.02")
        #expect(refused.finding == nil && refused.recordsEvent && refused.next.nextCheckAt == nil)

        let notSent = PaymentStateMachine.applyPush(
            .notSent(reason: "connection refused"), to: Self.pending(), now: Self.now)
        #expect(notSent.next.status == .failed && notSent.next.resultCode == "not_sent")
        #expect(notSent.next.resultDescription == "not_sent: connection refused" && notSent.finding == nil)

        let silent = PaymentStateMachine.applyPush(.noAnswer(reason: "timed out"), to: Self.pending(), now: Self.now)
        #expect(silent.next.status == .unknown && silent.finding?.kind == .unresolved)
        #expect(silent.next.nextCheckAt == nil)
    }

    @Test("a push answer after a verdict changes nothing", arguments: [PaymentStatus.completed, .failed, .unknown])
    func pushAfterVerdict(status: PaymentStatus) {
        var state = Self.pending()
        state.status = status
        for answer in [PushAnswer.accepted, .notSent(reason: "x"), .noAnswer(reason: "y")] {
            let transition = PaymentStateMachine.applyPush(answer, to: state, now: Self.now)
            #expect(transition.next == state && transition.finding == nil && !transition.recordsEvent)
        }
    }

    static func payment(_ id: Int64, phone: String, at offset: TimeInterval) -> ReceiptFillRules.Payment {
        ReceiptFillRules.Payment(
            id: id, amount: Money(minorUnits: 500_000), phone: phone, accountReference: "COURSE1",
            createdAt: now.addingTimeInterval(offset))
    }

    static func line(_ receipt: String, party: String, at offset: TimeInterval) -> ReceiptFillRules.Line {
        ReceiptFillRules.Line(
            id: 1, receipt: receipt, amount: Money(minorUnits: 500_000), completedAt: now.addingTimeInterval(offset),
            party: StatementParty(parsing: party), accountNumber: "COURSE1")
    }

    @Test("a line a not-yet-completed payment also fits is ambiguous, never filled onto the completed one")
    func rivalsMakeALineAmbiguous() {
        let completed = Self.payment(1, phone: "254711111678", at: 0)
        let stillUnknown = Self.payment(2, phone: "254712222678", at: 60)
        let line = Self.line("R2", party: "25471****678 - B", at: 480)
        let alone = ReceiptFillRules.decide(payments: [completed], lines: [line])
        #expect(alone.fills[1]?.receipt == "R2")
        let contested = ReceiptFillRules.decide(payments: [completed], lines: [line], rivals: [stillUnknown])
        #expect(contested.fills.isEmpty)
        #expect(contested.ambiguousLines["R2"]?.sorted() == [1, 2])
    }
}
