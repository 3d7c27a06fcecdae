import DarajaSimulator
import Foundation
import HTTPServerKit
import ReconCore
import ReconPostgres
import ReconServer
import ReconTestSupport
import Testing

/// The dispatcher is killed with SIGKILL at the two points where a crash could pay twice, then restarted; the
/// simulator's ledger must show exactly one payout per refund. The killed run is the test-only `recon-crash-harness`
/// (the same `Operations.sendRefunds` as `refunds send`, with a SIGKILL at the chosen step); every restart is the
/// real `mpesa-recon` binary as a subprocess.
@Suite("Never twice: the dispatcher killed mid-send and restarted")
struct RefundCrashTests {
    /// Two approved refunds on two payments.
    func twoRefunds(_ stack: Stack) async throws -> [Int64] {
        [try await stack.approvedRefund(amount: 1000), try await stack.approvedRefund(amount: 2000)]
    }

    func expectOnePayoutEach(_ stack: Stack, _ ids: [Int64]) async throws {
        let ledger = await stack.simulator.ledger()
        #expect(ledger.payouts.count == ids.count)
        for id in ids {
            let refund = try #require(try await stack.refund(id))
            #expect(refund.state.status == .succeeded, "refund \(id) is \(refund.state.status)")
            let payouts = ledger.payouts.filter { $0.originatorConversationID == refund.state.originatorConversationID }
            #expect(payouts.count == 1 && payouts.first?.paid == true)
            #expect(payouts.first?.amount == Int(refund.state.amount.wholeShillings))
        }
    }

    @Test("killed right after the `sending` commit: Transaction Status finds nothing, the same id is sent once")
    func killedAfterSendingCommit() async throws {
        try await Stack.with { stack in
            let ids = try await twoRefunds(stack)
            let cli = try RefundCLI.make(stack)
            defer { cli.cleanUp() }
            let killed = try await cli.crash(after: "sending")
            #expect(killed.signalled && killed.status == SIGKILL)
            let first = try #require(try await stack.refund(ids[0]))
            #expect(first.state.status == .sending && first.state.originatorConversationID != nil)
            #expect(try await stack.refund(ids[1])?.state.status == .approved)
            #expect(await stack.simulator.ledger().payouts.isEmpty)

            // Restarted: the second refund is sent; the first is only asked about, never sent blind.
            let restart = try await cli.run(["refunds", "send", "--stuck-after", "0", "--json"])
            #expect(restart.status == 0, "\(restart.stderr)")
            await stack.waitForCallbacks()
            #expect(await stack.payouts(first.state.originatorConversationID).isEmpty)
            let due = try #require(try await stack.refund(ids[0]))
            #expect(due.state.status == .sending && due.state.resendDue)

            // Next run: M-Pesa did not know the id, so it is sent again with the same id.
            let resend = try await cli.run(["refunds", "send"])
            #expect(resend.status == 0, "\(resend.stderr)")
            await stack.waitForCallbacks()
            #expect(
                try await stack.refund(ids[0])?.state.originatorConversationID == first.state.originatorConversationID)
            try await expectOnePayoutEach(stack, ids)
            #expect(await stack.payouts(first.state.originatorConversationID).first?.requests == 1)
        }
    }

    @Test("killed right after the B2C call (result lost): restarts never resend; Transaction Status settles it")
    func killedAfterB2CCall() async throws {
        try await Stack.with { stack in
            await stack.simulator.enqueue([B2COutcome.paidResultLost])
            let ids = try await twoRefunds(stack)
            let cli = try RefundCLI.make(stack)
            defer { cli.cleanUp() }
            let killed = try await cli.crash(after: "b2c")
            #expect(killed.signalled && killed.status == SIGKILL)
            await stack.waitForCallbacks()
            let first = try #require(try await stack.refund(ids[0]))
            #expect(first.state.status == .sending)
            let paidOnce = await stack.payouts(first.state.originatorConversationID)
            #expect(paidOnce.count == 1 && paidOnce.first?.paid == true)

            // A restart before the stuck timeout sends the other refund and leaves this one alone.
            let restart = try await cli.run(["refunds", "send"])
            #expect(restart.status == 0, "\(restart.stderr)")
            await stack.waitForCallbacks()
            #expect(try await stack.refund(ids[0])?.state.status == .sending)
            #expect(await stack.payouts(first.state.originatorConversationID).first?.requests == 1)

            // Past the stuck timeout: Transaction Status says Completed.
            let check = try await cli.run(["refunds", "send", "--stuck-after", "0"])
            #expect(check.status == 0, "\(check.stderr)")
            await stack.waitForCallbacks()
            try await expectOnePayoutEach(stack, ids)
            #expect(await stack.payouts(first.state.originatorConversationID).first?.requests == 1)
        }
    }

    @Test("killed after the B2C call while the result still arrives: the result settles it and nothing is resent")
    func killedAfterB2CCallResultArrives() async throws {
        try await Stack.with { stack in
            let ids = try await twoRefunds(stack)
            let cli = try RefundCLI.make(stack)
            defer { cli.cleanUp() }
            let killed = try await cli.crash(after: "b2c")
            #expect(killed.signalled)
            await stack.waitForCallbacks()
            #expect(try await stack.refund(ids[0])?.state.status == .succeeded)
            for _ in 0..<2 {
                let again = try await cli.run(["refunds", "send", "--stuck-after", "0"])
                #expect(again.status == 0, "\(again.stderr)")
                await stack.waitForCallbacks()
            }
            try await expectOnePayoutEach(stack, ids)
            for payout in await stack.simulator.ledger().payouts { #expect(payout.requests == 1) }
        }
    }

    @Test("the production binary has no crash hook: the old RECON_TEST_CRASH_AFTER variable changes nothing")
    func noHookInProduction() async throws {
        try await Stack.with { stack in
            let ids = try await twoRefunds(stack)
            let cli = try RefundCLI.make(stack)
            defer { cli.cleanUp() }
            let sent = try await cli.run(["refunds", "send"], extra: ["RECON_TEST_CRASH_AFTER": "sending"])
            #expect(!sent.signalled && sent.status == 0, "\(sent.stderr)")
            await stack.waitForCallbacks()
            try await expectOnePayoutEach(stack, ids)
        }
    }
}
