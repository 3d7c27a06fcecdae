import DarajaSimulator
import Foundation
import ReconApp
import ReconCore
import ReconPostgres
import ReconTestSupport
import Testing

/// What a person decides, through the built CLI: exceptions, unknown payments (two admins), cancelling a refund.
@Suite("CLI decisions: exceptions, payments, refund cancel")
struct DecisionCLITests {
    @Test("exceptions list fits 80 columns, show tells the finding, resolve records who and why once")
    func exceptions() async throws {
        try await DatabaseStack.with { stack in
            let (user, course) = try await stack.learnerAndCourse(price: 3000, active: false)
            _ = try await stack.seedPayment(user: user, course: course, amount: 3000)
            let cli = try RefundCLI.make(stack)
            defer { cli.cleanUp() }
            #expect(try await cli.run(["reconcile"]).status == 0)
            let id = try #require(
                try await stack.db.query("SELECT id FROM reconciliation_exceptions ORDER BY id LIMIT 1").first?
                    .decode(Int64.self, "id"))

            let list = try await cli.run(["exceptions", "list", "--status", "open"])
            #expect(list.status == 0, "\(list.stderr)")
            #expect(list.stdout.contains("paid_not_enrolled") && list.stdout.contains("EAT"), "\(list.stdout)")
            #expect(list.stdout.split(separator: "\n").allSatisfy { $0.count <= 80 }, "\(list.stdout)")
            let unknownKind = try await cli.run(["exceptions", "list", "--kind", "nonsense"])
            #expect(unknownKind.status == 2)

            let show = try await cli.run(["exceptions", "show", String(id)])
            #expect(
                show.status == 0 && show.stdout.contains("exception \(id): paid_not_enrolled, open"), "\(show.stdout)")

            let notAdmin = try await cli.run([
                "exceptions", "resolve", String(id), "--note", "x", "--by", "mallory@example.com",
            ])
            #expect(notAdmin.status == 2 && notAdmin.stderr.contains("not an admin"))
            let resolve = try await cli.run(
                [
                    "exceptions", "resolve", String(id), "--note", "learner enrolled by hand", "--by",
                    "alice@example.com", "--json",
                ])
            #expect(resolve.status == 0, "\(resolve.stderr)")
            #expect(resolve.stdout.contains(#""resolved_by" : "alice@example.com""#), "\(resolve.stdout)")
            let again = try await cli.run([
                "exceptions", "resolve", String(id), "--note", "again", "--by", "bob@example.com",
            ])
            #expect(again.status == 2 && again.stderr.contains("already resolved"))
        }
    }

    @Test(
        "payments decide: one admin proposes, the same admin cannot confirm, a second applies it via the state machine")
    func decideUnknown() async throws {
        try await DatabaseStack.with { stack in
            let (user, course) = try await stack.learnerAndCourse(price: 12500)
            let payment = try await stack.seedPayment(user: user, course: course, amount: 12500, status: "unknown")
            let cli = try RefundCLI.make(stack)
            defer { cli.cleanUp() }

            let first = try await cli.run([
                "payments", "decide", String(payment), "--paid", "QKH94M1Z77", "--by", "alice@example.com",
            ])
            #expect(first.status == 0 && first.stdout.contains("proposed"), "\(first.stdout)\(first.stderr)")
            #expect(try await stack.payment(payment)?.state.status == .unknown)
            let same = try await cli.run([
                "payments", "decide", String(payment), "--paid", "QKH94M1Z77", "--by", "alice@example.com",
            ])
            #expect(same.status == 2 && same.stderr.contains("a different admin must confirm"), "\(same.stderr)")
            // The database refuses the proposer's confirmation too, whatever code writes it.
            await #expect(throws: PostgresError.self) {
                try await stack.db.query(
                    """
                    UPDATE payment_decisions SET status = 'confirmed', confirmed_by = proposed_by,
                        confirmed_by_user_id = proposed_by_user_id, confirmed_at = now()
                    WHERE payment_id = \(payment) AND status = 'proposed'
                    """)
            }
            let second = try await cli.run(
                ["payments", "decide", String(payment), "--paid", "QKH94M1Z77", "--by", "bob@example.com", "--json"])
            #expect(second.status == 0, "\(second.stderr)")
            #expect(
                second.stdout.contains(#""outcome" : "applied""#) && second.stdout.contains(#""status" : "completed""#))

            let record = try #require(try await stack.payment(payment))
            #expect(record.state.status == .completed && record.state.settledVia == .admin)
            let audited = try await stack.count(
                """
                SELECT count(*) FROM audit_log a JOIN users u ON u.id = a.user_id
                WHERE a.subject = 'payment' AND a.subject_id = \(payment) AND a.channel = 'cli'
                  AND u.email IN ('alice@example.com', 'bob@example.com')
                """)
            #expect(audited == 2)
            #expect(record.state.receipt == "QKH94M1Z77")
            #expect(try await stack.count("SELECT count(*) FROM enrollments WHERE payment_id = \(payment)") == 1)
            #expect(
                try await stack.count(
                    "SELECT count(*) FROM payment_events WHERE payment_id = \(payment) AND source = 'admin'") == 1)
            let late = try await stack.count(
                "SELECT count(*) FROM reconciliation_exceptions WHERE payment_id = \(payment) AND kind = 'late_success'"
            )
            #expect(late == 0)

            let done = try await cli.run([
                "payments", "decide", String(payment), "--not-paid", "--by", "carol@example.com",
            ])
            #expect(done.status == 2 && done.stderr.contains("only an unknown payment"))

            let show = try await cli.run(["payments", "show", "--receipt", "QKH94M1Z77"])
            #expect(show.status == 0 && show.stdout.contains("KES 12,500.00") && show.stdout.contains("2547****4149"))
            #expect(!show.stdout.contains("254708374149"))
            let search = try await cli.run(["payments", "search", "Wanjiku"])
            #expect(search.status == 0 && search.stdout.contains("12,500.00"), "\(search.stdout)")
            #expect(search.stdout.split(separator: "\n").allSatisfy { $0.count <= 80 })
        }
    }

    @Test("refunds cancel: an approved refund not yet sent is cancelled by another admin and never sent")
    func cancelApproved() async throws {
        try await Stack.with { stack in
            let (user, course) = try await stack.learnerAndCourse(price: 3000, active: false)
            _ = try await stack.seedPayment(user: user, course: course, amount: 3000)
            let cli = try RefundCLI.make(stack)
            defer { cli.cleanUp() }
            #expect(try await cli.run(["reconcile"]).status == 0)
            let refund = try #require(try await stack.desk.list().first)
            #expect(
                try await cli.run(["refunds", "approve", String(refund.id), "--by", "alice@example.com"]).status == 0)

            let cancel = try await cli.run(
                ["refunds", "cancel", String(refund.id), "--by", "bob@example.com", "--reason", "learner re-enrolled"])
            #expect(cancel.status == 0, "\(cancel.stderr)")
            #expect(try await stack.refund(refund.id)?.state.status == .rejected)
            #expect(
                try await stack.count(
                    "SELECT count(*) FROM audit_log WHERE action = 'refund.cancel' AND subject_id = \(refund.id)") == 1)
            let twice = try await cli.run(["refunds", "cancel", String(refund.id), "--by", "bob@example.com"])
            #expect(twice.status == 2 && twice.stderr.contains("only an approved refund"))
            #expect(try await cli.run(["run", "--no-reports"]).status == 0)
            #expect(await stack.simulator.ledger().payouts.isEmpty)
        }
    }
}
