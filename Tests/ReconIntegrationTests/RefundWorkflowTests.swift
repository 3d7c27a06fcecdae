import Foundation
import HTTPServerKit
import ReconApp
import ReconCore
import ReconPostgres
import ReconServer
import ReconTestSupport
import Testing

@Suite("Refund approval: maker-checker in code, the money limits in the database")
struct RefundWorkflowTests {
    func refusal(_ body: () async throws -> RefundView) async -> RefundRefusal? {
        do {
            _ = try await body()
            return nil
        } catch {
            return error as? RefundRefusal
        }
    }

    @Test("self-approval is refused and changes nothing")
    func selfApproval() async throws {
        try await DatabaseStack.with { stack in
            let (user, course) = try await stack.learnerAndCourse()
            let payment = try await stack.seedPayment(user: user, course: course)
            let refund = try await stack.desk.propose(
                paymentID: payment, amount: Money(minorUnits: 100_000), reason: "goodwill", by: "alice@example.com")
            let refused = await refusal { try await stack.desk.approve(refund.id, by: "alice@example.com") }
            #expect(refused?.code == .ownRefund)
            let again = await refusal {
                try await stack.desk.reject(refund.id, by: "alice@example.com", reason: "oops")
            }
            #expect(again?.code == .ownRefund)
            let stored = try #require(try await stack.refund(refund.id))
            #expect(stored.state.status == .proposed && stored.state.approvedBy == nil)
            // The database holds the rule too, whatever code writes the row.
            await #expect(throws: PostgresError.self) {
                try await stack.db.query("UPDATE refunds SET approved_by = proposed_by WHERE id = \(refund.id)")
            }
        }
    }

    @Test("above the threshold two different approvers are needed; the refund stays proposed until the second")
    func dualApproval() async throws {
        try await Stack.with { stack in
            let (user, course) = try await stack.learnerAndCourse(price: 25_000)
            let payment = try await stack.seedPayment(user: user, course: course, amount: 25_000)
            let refund = try await stack.desk.propose(
                paymentID: payment, amount: Money(minorUnits: 1_000_100), reason: "course cancelled",
                by: "alice@example.com")
            #expect(refund.needsTwoApprovers)
            let first = try await stack.desk.approve(refund.id, by: "bob@example.com")
            #expect(first.status == "proposed" && first.approvedBy == "bob@example.com")
            #expect(
                await refusal { try await stack.desk.approve(refund.id, by: "bob@example.com") }?.code == .sameApprover)
            #expect(try await stack.dispatcher().run().claimed == 0)
            let second = try await stack.desk.approve(refund.id, by: "carol@example.com")
            #expect(second.status == "approved" && second.secondApprovedBy == "carol@example.com")
            // At the threshold itself one approval is enough.
            let small = try await stack.desk.propose(
                paymentID: payment, amount: Money(minorUnits: 1_000_000), reason: "rest", by: "bob@example.com")
            #expect(try await stack.desk.approve(small.id, by: "alice@example.com").status == "approved")
        }
    }

    @Test("an unknown admin is refused with exit 2 and a clear message, through the command line")
    func unknownAdmin() async throws {
        try await DatabaseStack.with { stack in
            let (user, course) = try await stack.learnerAndCourse()
            let payment = try await stack.seedPayment(user: user, course: course)
            let refund = try await stack.desk.propose(
                paymentID: payment, amount: Money(minorUnits: 100_000), reason: "goodwill", by: "alice@example.com")
            let cli = try RefundCLI.make(stack)
            defer { cli.cleanUp() }
            let approve = try await cli.run(["refunds", "approve", String(refund.id), "--by", "mallory"])
            #expect(approve.status == 2 && !approve.signalled)
            #expect(approve.stderr.contains("'mallory' is not an admin"))
            let propose = try await cli.run([
                "refunds", "propose", "--payment", String(payment), "--amount", "10", "--reason", "x", "--by", "eve",
            ])
            #expect(propose.status == 2 && propose.stderr.contains("'eve' is not an admin"))
            #expect(try await stack.refund(refund.id)?.state.status == .proposed)
            let ok = try await cli.run(["refunds", "approve", String(refund.id), "--by", "bob@example.com", "--json"])
            #expect(ok.status == 0 && ok.stdout.contains(#""status" : "approved""#))
        }
    }

    @Test("over-refund is refused by the database: through the desk with a clear message, and by plain SQL")
    func overRefund() async throws {
        try await DatabaseStack.with { stack in
            let (user, course) = try await stack.learnerAndCourse()
            let payment = try await stack.seedPayment(user: user, course: course, amount: 5000)
            _ = try await stack.desk.propose(
                paymentID: payment, amount: Money(minorUnits: 300_000), reason: "part", by: "alice@example.com")
            let refused = await refusal {
                try await stack.desk.propose(
                    paymentID: payment, amount: Money(minorUnits: 300_000), reason: "more", by: "bob@example.com")
            }
            #expect(refused?.code == .overRefund)
            #expect(refused?.message.contains("at most 2000.00 left") == true)
            do {
                try await stack.db.query(
                    """
                    INSERT INTO refunds (payment_id, amount, reason, proposed_by)
                    VALUES (\(payment), 2500, 'bypassing the code', 'mpesa-recon')
                    """)
                Issue.record("the database accepted an over-refund")
            } catch let error as PostgresError {
                #expect(error.constraint == "refunds_within_payment_amount" && error.sqlState == "23514")
            }
            // What is left fits exactly; a rejected refund frees its amount again.
            let rest = try await stack.desk.propose(
                paymentID: payment, amount: Money(minorUnits: 200_000), reason: "rest", by: "bob@example.com")
            _ = try await stack.desk.reject(rest.id, by: "carol@example.com", reason: "no")
            _ = try await stack.desk.propose(
                paymentID: payment, amount: Money(minorUnits: 200_000), reason: "rest again", by: "bob@example.com")
            #expect(try await stack.count("SELECT count(*) FROM refunds WHERE payment_id = \(payment)") == 3)
        }
    }

    @Test("only completed payments are refunded, in whole shillings; unknown ids are refused")
    func proposalRules() async throws {
        try await DatabaseStack.with { stack in
            let (user, course) = try await stack.learnerAndCourse()
            let pending = try await stack.seedPayment(user: user, course: course, status: "pending")
            #expect(
                await refusal {
                    try await stack.desk.propose(
                        paymentID: pending, amount: Money(minorUnits: 100), reason: "x", by: "alice@example.com")
                }?.code == .paymentNotCompleted)
            #expect(
                await refusal {
                    try await stack.desk.propose(
                        paymentID: 999_999, amount: Money(minorUnits: 100), reason: "x", by: "alice@example.com")
                }?.code == .notFound)
            #expect(await refusal { try await stack.desk.approve(999_999, by: "bob@example.com") }?.code == .notFound)
        }
    }
}
