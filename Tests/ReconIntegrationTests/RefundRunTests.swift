import DarajaSimulator
import Foundation
import HTTPServerKit
import ReconApp
import ReconCore
import ReconPostgres
import ReconServer
import ReconTestSupport
import Testing

@Suite("run: settle, reconcile, send approved refunds, resolve stuck ones")
struct RefundRunTests {
    @Test("a paid learner of an inactive course is refunded end to end through `run` and one approval")
    func endToEnd() async throws {
        try await Stack.with { stack in
            let (user, course) = try await stack.learnerAndCourse(price: 3000, active: false)
            let payment = try await stack.seedPayment(user: user, course: course, amount: 3000)
            let cli = try RefundCLI.make(stack)
            defer { cli.cleanUp() }

            let first = try await cli.run(["run", "--json"])
            #expect(first.status == 0, "\(first.stderr)")
            #expect(first.stdout.contains(#""refunds_proposed" : 1"#) && first.stdout.contains(#""claimed" : 0"#))
            let refund = try #require(try await stack.desk.list().first)
            #expect(refund.paymentID == payment && refund.status == "proposed" && refund.proposedBy == "mpesa-recon")

            let approve = try await cli.run(["refunds", "approve", String(refund.id), "--by", "carol@example.com"])
            #expect(approve.status == 0, "\(approve.stderr)")
            let second = try await cli.run(["run", "--json"])
            #expect(second.status == 0, "\(second.stderr)")
            #expect(second.stdout.contains(#""accepted" : 1"#) && second.stdout.contains(#""refunds_proposed" : 0"#))
            await stack.waitForCallbacks()
            let paid = try #require(try await stack.refund(refund.id))
            #expect(paid.state.status == .succeeded)
            #expect(await stack.simulator.ledger().payouts.count == 1)

            // Once the refund succeeded the finding no longer holds.
            let third = try await cli.run(["run"])
            #expect(third.status == 0, "\(third.stderr)")
            #expect(try await stack.exception("paid_not_enrolled:payment:\(payment)")?.status == "resolved")
            #expect(await stack.simulator.ledger().payouts.count == 1)
        }
    }

    @Test("without any MPESA_B2C_* setting, run skips the refund steps and says so")
    func withoutB2C() async throws {
        try await Stack.with { stack in
            let cli = try RefundCLI.make(stack)
            defer { cli.cleanUp() }
            var environment = cli.environment
            for key in environment.keys where key.hasPrefix("MPESA_B2C_") || key == "MPESA_CERT_PATH" {
                environment[key] = nil
            }
            let bare = RefundCLI(environment: environment, workDirectory: cli.workDirectory)
            let result = try await bare.run(["run"])
            #expect(result.status == 0, "\(result.stderr)")
            #expect(result.stdout.contains("refunds: skipped: B2C is not configured"))
        }
    }
}
