import DarajaSimulator
import Foundation
import HTTPServerKit
import Logging
import ReconApp
import ReconCore
import ReconPostgres
import ReconServer
import ReconTestSupport
import Testing

@Suite("Refund dispatch: B2C v3 once, results through the endpoint, Transaction Status when unsure")
struct RefundDispatchTests {
    @Test("an approved refund is sent once, marked sent, and succeeds when the result arrives")
    func paid() async throws {
        try await Stack.with { stack in
            let id = try await stack.approvedRefund(amount: 1000)
            let summary = try await stack.dispatcher().run()
            #expect(summary.claimed == 1 && summary.accepted == 1 && summary.statusChecks == 0)
            let sent = try #require(try await stack.refund(id))
            #expect(sent.state.status == .sent || sent.state.status == .succeeded)
            #expect(sent.state.conversationID?.hasPrefix("AG_") == true && sent.sendAttempts == 1)
            await stack.waitForCallbacks()
            let done = try #require(try await stack.refund(id))
            #expect(done.state.status == .succeeded && done.state.receipt != nil && done.completedAt != nil)
            let payouts = await stack.payouts(done.state.originatorConversationID)
            #expect(payouts.count == 1 && payouts.first?.paid == true && payouts.first?.requests == 1)
            #expect(payouts.first?.amount == 1000 && payouts.first?.partyB == "254708374149")
            #expect(payouts.first?.transactionID == done.state.receipt)
            // Nothing left to send or check.
            let again = try await stack.dispatcher(stuckAfter: 0).run()
            #expect(again.claimed == 0 && again.statusChecks == 0)
            #expect(await stack.simulator.ledger().payouts.count == 1)
        }
    }

    @Test("a failed refund ends failed, frees its amount, and can be proposed again as a new row")
    func failed() async throws {
        try await Stack.with { stack in
            await stack.simulator.enqueue([B2COutcome.failed])
            let id = try await stack.approvedRefund(amount: 5000, paid: 5000)
            _ = try await stack.dispatcher().run()
            await stack.waitForCallbacks()
            let refund = try #require(try await stack.refund(id))
            #expect(refund.state.status == .failed && refund.state.resultCode == "2040")
            let again = try await stack.desk.propose(
                paymentID: refund.paymentID, amount: Money(minorUnits: 500_000), reason: "retry",
                by: "carol@example.com")
            #expect(again.id != id && again.status == "proposed")
        }
    }

    @Test("a lost B2C result is resolved through Transaction Status, never by sending again")
    func lostResult() async throws {
        try await Stack.with { stack in
            await stack.simulator.enqueue([B2COutcome.paidResultLost])
            let id = try await stack.approvedRefund(amount: 1200)
            _ = try await stack.dispatcher().run()
            await stack.waitForCallbacks()
            #expect(try await stack.refund(id)?.state.status == .sent)
            // Before the stuck timeout nothing happens.
            let early = try await stack.dispatcher().run()
            #expect(early.claimed == 0 && early.statusChecks == 0)
            let check = try await stack.dispatcher(stuckAfter: 0).run()
            #expect(check.claimed == 0 && check.statusChecks == 1)
            await stack.waitForCallbacks()
            let refund = try #require(try await stack.refund(id))
            #expect(
                refund.state.status == .succeeded && refund.state.resultDescription == "Transaction Status: Completed")
            let payouts = await stack.payouts(refund.state.originatorConversationID)
            #expect(payouts.count == 1 && payouts.first?.requests == 1)
            #expect(refund.state.receipt == payouts.first?.transactionID)
            #expect(
                try await stack.count(
                    "SELECT count(*) FROM refund_status_checks WHERE refund_id = \(id) AND verdict = 'completed'") == 1)
        }
    }

    @Test("a queue timeout makes Transaction Status due at once; it resolves the refund, never a resend")
    func queueTimeout() async throws {
        try await Stack.with { stack in
            await stack.simulator.enqueue([B2COutcome.timeoutThenPaid])
            let id = try await stack.approvedRefund(amount: 800)
            var sent = RefundDispatchSummary()
            try await stack.dispatcher().send(into: &sent)
            await stack.waitForCallbacks()
            let noted = try #require(try await stack.refund(id))
            #expect(noted.state.status == .sent && noted.state.note?.contains("queue timeout") == true)
            #expect(try #require(noted.statusCheckDueAt) <= Date())
            // The default stuck timeout (15 minutes) has not passed: the timeout alone makes the check due.
            let check = try await stack.dispatcher().run()
            #expect(check.statusChecks == 1 && check.claimed == 0)
            await stack.waitForCallbacks()
            let refund = try #require(try await stack.refund(id))
            #expect(refund.state.status == .succeeded)
            let payouts = await stack.payouts(refund.state.originatorConversationID)
            #expect(payouts.count == 1 && payouts.first?.requests == 1 && payouts.first?.paid == true)
        }
    }

    @Test("a refund claimed but never sent (a crash): Transaction Status says unknown, resent with the SAME id, once")
    func crashBeforeSend() async throws {
        try await Stack.with { stack in
            let id = try await stack.approvedRefund(amount: 700)
            // What a crash right after the `sending` commit leaves behind.
            let claim = try await stack.db.withTransaction { db in
                try RefundStore.claimForSending(db, freshID: "crash-test-ocid-1", now: Date())
            }
            #expect(claim?.id == id)
            let check = try await stack.dispatcher(stuckAfter: 0).run()
            #expect(check.claimed == 0 && check.statusChecks == 1)
            await stack.waitForCallbacks()
            let due = try #require(try await stack.refund(id))
            #expect(due.state.status == .sending && due.state.resendDue)
            let resend = try await stack.dispatcher().run()
            #expect(resend.claimed == 1 && resend.resent == 1 && resend.accepted == 1)
            await stack.waitForCallbacks()
            let refund = try #require(try await stack.refund(id))
            #expect(refund.state.status == .succeeded && refund.state.originatorConversationID == "crash-test-ocid-1")
            #expect(refund.sendAttempts == 2)
            let payouts = await stack.simulator.ledger().payouts
            #expect(payouts.count == 1 && payouts.first?.originatorConversationID == "crash-test-ocid-1")
            #expect(payouts.first?.requests == 1 && payouts.first?.paid == true)
        }
    }

    @Test("a resend of an id M-Pesa already has is refused as a duplicate (500.002.1001) and pays nothing more")
    func duplicateIDMeansSent() async throws {
        try await Stack.with { stack in
            await stack.simulator.enqueue([B2COutcome.paidResultLost])
            let id = try await stack.approvedRefund(amount: 900)
            _ = try await stack.dispatcher().run()
            // Force a resend with the same id, as if Transaction Status had not found it. The state machine never
            // sends a refund Daraja accepted again, and the database refuses that edge: the owner lifts the check.
            try await stack.db.query("ALTER TABLE refunds DISABLE TRIGGER refunds_follow_state_machine")
            try await stack.db.query("UPDATE refunds SET status = 'sending', resend_due = true WHERE id = \(id)")
            try await stack.db.query("ALTER TABLE refunds ENABLE TRIGGER refunds_follow_state_machine")
            let resend = try await stack.dispatcher().run()
            #expect(resend.claimed == 1 && resend.alreadyAccepted == 1)
            let refund = try #require(try await stack.refund(id))
            #expect(refund.state.status == .sent)
            let payouts = await stack.payouts(refund.state.originatorConversationID)
            #expect(payouts.count == 1 && payouts.first?.requests == 2)
            #expect(await stack.simulator.ledger().payouts.filter(\.paid).count == 1)
        }
    }

    @Test("a Transaction Status answer that never comes is asked again, then handed to a person")
    func exhausted() async throws {
        try await Stack.with { stack in
            await stack.simulator.enqueue([B2COutcome.paidResultLost])
            let id = try await stack.approvedRefund(amount: 600)
            _ = try await stack.dispatcher().run()
            // Give up after one unanswered check.
            let dispatcher = RefundDispatcher(
                pool: stack.pool, gateway: stack.client,
                options: RefundDispatchOptions(stuckAfterSeconds: 0, recheckAfterSeconds: 0, maxStatusChecks: 1),
                logger: .init(label: "t"))
            try await stack.db.query(
                "UPDATE refunds SET status_checks = 1, status_check_due_at = now() WHERE id = \(id)")
            let summary = try await dispatcher.run()
            #expect(summary.handedToPerson == 1 && summary.statusChecks == 0)
            let refund = try #require(try await stack.refund(id))
            #expect(refund.state.status == .unknown && refund.statusCheckDueAt == nil)
            #expect(try await stack.exception("unresolved:refund:\(id)")?.status == "open")
        }
    }
}
