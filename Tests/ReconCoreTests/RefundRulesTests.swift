import Foundation
import ReconCore
import Testing

@Suite("Refund approval rules (maker-checker)")
struct RefundApprovalTests {
    static let settings = ApprovalSettings(dualApprovalAbove: Money(minorUnits: 1_000_000))
    static func proposed(_ shillings: Int64, by name: String = "alice") throws -> RefundState {
        try RefundApproval.propose(
            amount: Money(minorUnits: shillings * 100), reason: "duplicate", by: name, settings: settings)
    }

    func refusal(_ body: () throws -> RefundState) -> RefundRefusal.Code? {
        do {
            _ = try body()
            return nil
        } catch {
            return (error as? RefundRefusal)?.code
        }
    }

    @Test("one approval by another admin approves a refund at or below the threshold")
    func singleApproval() throws {
        let state = try RefundApproval.approve(try Self.proposed(10_000), id: 1, by: "bob", settings: Self.settings)
        #expect(state.status == .approved && state.approvedBy == "bob" && state.secondApprovedBy == nil)
    }

    @Test("the proposer can neither approve nor reject their own refund")
    func selfApproval() throws {
        let state = try Self.proposed(500)
        #expect(
            refusal {
                try RefundApproval.approve(state, id: 1, by: "alice", settings: Self.settings)
            } == .ownRefund)
        #expect(
            refusal {
                try RefundApproval.reject(state, id: 1, by: "alice", reason: "no", settings: Self.settings)
            } == .ownRefund)
    }

    @Test("above the threshold the refund stays proposed until a second, different admin approves")
    func dualApproval() throws {
        let first = try RefundApproval.approve(try Self.proposed(10_001), id: 1, by: "bob", settings: Self.settings)
        #expect(first.status == .proposed && first.approvedBy == "bob")
        #expect(
            refusal {
                try RefundApproval.approve(first, id: 1, by: "bob", settings: Self.settings)
            } == .sameApprover)
        #expect(
            refusal {
                try RefundApproval.approve(first, id: 1, by: "alice", settings: Self.settings)
            } == .ownRefund)
        let second = try RefundApproval.approve(first, id: 1, by: "carol", settings: Self.settings)
        #expect(second.status == .approved && second.secondApprovedBy == "carol")
    }

    static func account(active: Bool = true, staff: Bool = false, roles: Set<Role> = [.admin]) -> Account {
        Account(
            id: 7, email: "bob@example.com", fullName: "Bob", isActive: active, isStaff: staff, roles: roles,
            hasPassword: true)
    }

    func adminRefusal(_ account: Account?, _ given: String) -> RefundRefusal.Code? {
        do {
            try RefundApproval.checkAdmin(account, given: given)
            return nil
        } catch {
            return error.code
        }
    }

    @Test("only an active account with the admin role may act (is_staff alone does not); the system's name is reserved")
    func adminAccounts() {
        #expect(adminRefusal(Self.account(), "bob@example.com") == nil)
        #expect(adminRefusal(Self.account(roles: []), "bob@example.com") == .notAdmin)
        #expect(adminRefusal(Self.account(staff: true, roles: []), "bob@example.com") == .notAdmin)
        #expect(adminRefusal(Self.account(roles: [.finance]), "bob@example.com") == .notAdmin)
        #expect(adminRefusal(Self.account(active: false), "bob@example.com") == .notAdmin)
        #expect(adminRefusal(nil, "mallory@example.com") == .notAdmin)
        #expect(adminRefusal(nil, "  ") == .notAdmin)
        #expect(adminRefusal(Self.account(), "mpesa-recon") == .reservedName)
    }

    @Test("a system proposal may be approved by any admin")
    func systemProposal() throws {
        let state = try RefundApproval.propose(
            amount: Money(minorUnits: 50_000), reason: "overpaid", by: RefundApproval.systemName,
            settings: Self.settings,
            bySystem: true)
        #expect(state.proposedBy == "mpesa-recon")
        #expect(try RefundApproval.approve(state, id: 1, by: "alice", settings: Self.settings).status == .approved)
    }

    @Test("amounts must be whole shillings from 1, and reasons are required")
    func validation() {
        for minor: Int64 in [0, 50, 150, -100] {
            #expect(
                refusal {
                    try RefundApproval.propose(
                        amount: Money(minorUnits: minor), reason: "x", by: "alice", settings: Self.settings)
                } == .invalidAmount)
        }
        #expect(
            refusal {
                try RefundApproval.propose(
                    amount: Money(minorUnits: 100), reason: " ", by: "alice", settings: Self.settings)
            } == .missingReason)
    }

    @Test("only proposed refunds can be approved or rejected; a rejection needs a reason")
    func wrongStatus() throws {
        let approved = try RefundApproval.approve(try Self.proposed(500), id: 1, by: "bob", settings: Self.settings)
        #expect(
            refusal {
                try RefundApproval.approve(approved, id: 1, by: "carol", settings: Self.settings)
            } == .wrongStatus)
        #expect(
            refusal {
                try RefundApproval.reject(approved, id: 1, by: "carol", reason: "no", settings: Self.settings)
            } == .wrongStatus)
        #expect(
            refusal {
                try RefundApproval.reject(try Self.proposed(500), id: 1, by: "bob", reason: "", settings: Self.settings)
            } == .missingReason)
        let rejected = try RefundApproval.reject(
            try Self.proposed(500), id: 1, by: "bob", reason: "keep", settings: Self.settings)
        #expect(rejected.status == .rejected && rejected.rejectedBy == "bob" && rejected.rejectedReason == "keep")
    }
}

@Suite("Refund dispatch state machine")
struct RefundStateMachineTests {
    static let amount = Money(minorUnits: 100_000)
    static let approved = RefundState(status: .approved, amount: amount, proposedBy: "mpesa-recon", approvedBy: "bob")
    static let details = B2CPaymentDetails(
        receipt: "TKR1234567", amount: amount, receiverPartyPublicName: nil, completedDateTime: nil,
        recipientIsRegisteredCustomer: true)

    static var sending: RefundState { RefundStateMachine.apply(.claim(freshID: "ocid-1"), to: approved).next }
    static var sent: RefundState {
        RefundStateMachine.apply(.sendAnswered(.accepted(conversationID: "AG_1")), to: sending).next
    }

    @Test("a claim commits sending with a fresh id; only approved refunds (or due resends) are claimable")
    func claim() {
        let t = RefundStateMachine.apply(.claim(freshID: "ocid-1"), to: Self.approved)
        #expect(t.effect == .applied && t.next.status == .sending && t.next.originatorConversationID == "ocid-1")
        #expect(t.countsSendAttempt && t.statusCheck == .afterTimeout)
        #expect(RefundStateMachine.apply(.claim(freshID: "ocid-2"), to: t.next).effect == .refused)
        var proposed = Self.approved
        proposed.status = .proposed
        #expect(RefundStateMachine.apply(.claim(freshID: "x"), to: proposed).effect == .refused)
    }

    @Test("a resend keeps the refund's id")
    func resendKeepsID() {
        let notFound = RefundStateMachine.apply(.statusAnswered(.notFound(code: "R000002")), to: Self.sending).next
        #expect(notFound.status == .sending && notFound.resendDue)
        let again = RefundStateMachine.apply(.claim(freshID: "ocid-NEW"), to: notFound)
        #expect(again.effect == .applied && again.next.originatorConversationID == "ocid-1" && !again.next.resendDue)
    }

    @Test("send answers: accepted and already-accepted mean sent; refused means failed; uncertain stays sending")
    func sendAnswers() {
        #expect(Self.sent.status == .sent && Self.sent.conversationID == "AG_1")
        #expect(RefundStateMachine.apply(.sendAnswered(.alreadyAccepted), to: Self.sending).next.status == .sent)
        let refused = RefundStateMachine.apply(
            .sendAnswered(.notSent(code: "400.002.02", message: "x")), to: Self.sending)
        #expect(refused.next.status == .failed && refused.statusCheck == .never)
        let uncertain = RefundStateMachine.apply(.sendAnswered(.uncertain("timeout")), to: Self.sending)
        #expect(
            uncertain.next.status == .sending && !uncertain.next.resendDue && uncertain.statusCheck == .afterTimeout)
        let throttled = RefundStateMachine.apply(.sendAnswered(.throttled(code: "500.003.02")), to: Self.sending)
        #expect(throttled.next.status == .sending && throttled.next.resendDue)
    }

    @Test("a queue timeout never resends: Transaction Status is asked at once")
    func queueTimeout() {
        let t = RefundStateMachine.apply(.queueTimeout, to: Self.sent)
        #expect(t.next.status == .sent && !t.next.resendDue && t.statusCheck == .now)
    }

    @Test("results: 0 succeeds with the receipt; a failure fails; the unclear becomes unknown and is checked")
    func results() {
        let paid = RefundStateMachine.apply(
            .result(.succeeded(Self.details), code: "0", description: "ok", conversationID: "AG_1", transactionID: "X"),
            to: Self.sent)
        #expect(paid.next.status == .succeeded && paid.next.receipt == "TKR1234567")
        let failed = RefundStateMachine.apply(
            .result(
                .failed(code: "2040", reason: .recipientNotRegistered, description: "x"), code: "2040",
                description: "x",
                conversationID: nil, transactionID: nil), to: Self.sent)
        #expect(failed.next.status == .failed && failed.next.resultCode == "2040")
        let unclear = RefundStateMachine.apply(
            .result(.notUnderstood("?"), code: "9", description: "?", conversationID: nil, transactionID: nil),
            to: Self.sent)
        #expect(unclear.next.status == .unknown && unclear.statusCheck == .now)
    }

    @Test("a contradicting result is a finding and changes nothing; a repeat is a duplicate")
    func contradictions() {
        let paid = RefundStateMachine.apply(
            .result(.succeeded(Self.details), code: "0", description: "ok", conversationID: nil, transactionID: nil),
            to: Self.sent
        ).next
        let again = RefundStateMachine.apply(
            .result(.succeeded(Self.details), code: "0", description: "ok", conversationID: nil, transactionID: nil),
            to: paid)
        #expect(again.effect == .duplicate && again.next == paid)
        let contra = RefundStateMachine.apply(
            .result(
                .failed(code: "1", reason: .insufficientBalance, description: "x"), code: "1", description: "x",
                conversationID: nil, transactionID: nil), to: paid)
        #expect(contra.effect == .conflict && contra.next == paid && contra.finding?.kind == .callbackConflict)
        let statusContra = RefundStateMachine.apply(.statusAnswered(.failed(description: "x")), to: paid)
        #expect(statusContra.effect == .conflict && statusContra.next == paid)
    }

    @Test(
        "Transaction Status: Completed succeeds, Failed fails, not found resends only a send never answered, else nothing"
    )
    func statusVerdicts() {
        let done = RefundStateMachine.apply(
            .statusAnswered(.completed(receipt: "TKR9", amount: Self.amount)), to: Self.sent)
        #expect(done.next.status == .succeeded && done.next.receipt == "TKR9" && done.finding == nil)
        let off = RefundStateMachine.apply(
            .statusAnswered(.completed(receipt: "TKR9", amount: Money(minorUnits: 1))), to: Self.sent)
        #expect(off.next.status == .succeeded && off.finding?.kind == .callbackConflict)
        #expect(
            RefundStateMachine.apply(.statusAnswered(.failed(description: "x")), to: Self.sent).next.status == .failed)
        // A send that never got an answer: M-Pesa does not know the id, so it goes again with the same id.
        let notFound = RefundStateMachine.apply(.statusAnswered(.notFound(code: "R000002")), to: Self.sending)
        #expect(notFound.next.status == .sending && notFound.next.resendDue)
        #expect(notFound.next.originatorConversationID == "ocid-1")
        // Daraja had accepted it (a ConversationID): "not found" contradicts that; a person decides, nothing is sent.
        let accepted = RefundStateMachine.apply(.statusAnswered(.notFound(code: "R000002")), to: Self.sent)
        #expect(accepted.next.status == .unknown && !accepted.next.resendDue)
        #expect(accepted.finding?.kind == .unresolved)
        let none = RefundStateMachine.apply(.statusAnswered(.noVerdict(code: "2001", description: "x")), to: Self.sent)
        #expect(none.next.status == .sent && !none.next.resendDue)
    }

    @Test("status results are classified on ResultCode and TransactionStatus only")
    func classify() {
        #expect(
            TransactionStatusVerdict.classify(
                resultCode: "0", resultDescription: "", transactionStatus: "Completed", receipt: "R", amount: nil)
                == .completed(receipt: "R", amount: nil))
        #expect(
            TransactionStatusVerdict.classify(
                resultCode: "0", resultDescription: "d", transactionStatus: "Failed", receipt: "", amount: nil)
                == .failed(description: "d"))
        #expect(
            TransactionStatusVerdict.classify(
                resultCode: "R000002", resultDescription: "", transactionStatus: nil, receipt: nil, amount: nil)
                == .notFound(code: "R000002"))
        #expect(
            TransactionStatusVerdict.classify(
                resultCode: "2001", resultDescription: "bad", transactionStatus: nil, receipt: nil, amount: nil)
                == .noVerdict(code: "2001", description: "bad"))
        #expect(
            TransactionStatusVerdict.classify(
                resultCode: "0", resultDescription: "", transactionStatus: "Pending", receipt: nil, amount: nil
            ).name
                == "no_verdict")
    }

    @Test("after the last status check the refund becomes unknown for a person")
    func exhausted() {
        let t = RefundStateMachine.apply(.statusChecksExhausted(6), to: Self.sent)
        #expect(t.next.status == .unknown && t.finding?.kind == .unresolved && t.statusCheck == .never)
    }
}
