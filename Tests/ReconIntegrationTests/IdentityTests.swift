import Foundation
import ReconApp
import ReconCore
import ReconIdentity
import ReconPostgres
import ReconTestSupport
import Testing

/// Accounts and maker-checker bound to them, through the built binary and plain SQL.
@Suite("Accounts: users CLI, Django hashes, approvals bound to accounts")
struct IdentityTests {
    func userID(_ stack: some DatabaseFixture, _ email: String) async throws -> Int64 {
        try await stack.db.query("SELECT id FROM users WHERE email = \(email)").first?.decode(Int64.self, "id") ?? -1
    }

    @Test("users add / set-password (stdin, never argv) / list / roles / disable")
    func usersCLI() async throws {
        try await DatabaseStack.with { stack in
            let cli = try RefundCLI.make(stack)
            defer { cli.cleanUp() }
            let add = try await cli.run(["users", "add", "dora@example.com", "--name", "Dora", "--role", "finance"])
            #expect(add.status == 0, "\(add.stderr)")
            #expect(add.stdout.contains("dora@example.com") && add.stdout.contains("finance"))
            let again = try await cli.run(["users", "add", "DORA@example.com", "--name", "Dora"])
            #expect(again.status == 2 && again.stderr.contains("exists already"))
            let bad = try await cli.run(["users", "add", "not-an-email", "--name", "X"])
            #expect(bad.status == 2)

            let set = try await cli.run(["users", "set-password", "dora@example.com"], stdin: "Tr0ub4dor&3-long\n")
            #expect(set.status == 0, "\(set.stderr)")
            #expect(!set.stdout.contains("Tr0ub4dor") && !set.stderr.contains("Tr0ub4dor"))
            let hash = try #require(
                try await stack.db.query("SELECT password FROM users WHERE email = 'dora@example.com'").first?
                    .decode(String.self, "password"))
            #expect(hash.hasPrefix("pbkdf2_sha256$870000$"))
            #expect(DjangoPassword.verify("Tr0ub4dor&3-long", against: hash))
            #expect(!DjangoPassword.verify("Tr0ub4dor&3-lonG", against: hash))
            let short = try await cli.run(["users", "set-password", "dora@example.com"], stdin: "short\n")
            #expect(short.status == 2)
            let noFlag = try await cli.run(["users", "set-password", "dora@example.com", "--password", "x"])
            #expect(noFlag.status == 2, "there is no way to give a password in argv")

            let roles = try await cli.run([
                "users", "roles", "dora@example.com", "--add", "admin", "--remove", "finance",
            ])
            #expect(roles.status == 0 && roles.stdout.contains("roles: admin"))
            let list = try await cli.run(["users", "list", "--json"])
            #expect(list.status == 0 && list.stdout.contains(#""has_password" : true"#))
            #expect(!list.stdout.contains("pbkdf2"), "hashes never leave the store")
            let disable = try await cli.run(["users", "disable", "dora@example.com"])
            #expect(disable.status == 0 && disable.stdout.contains("disabled"))
            #expect(
                try await stack.count("SELECT count(*) FROM users WHERE email = 'dora@example.com' AND NOT is_active")
                    == 1)
            #expect(try await stack.count("SELECT count(*) FROM audit_log WHERE subject = 'user'") >= 4)
        }
    }

    @Test("--by names an active admin account: unknown, non-admin, disabled and look-alike names are refused")
    func onlyAdminAccounts() async throws {
        try await DatabaseStack.with { stack in
            let (user, course) = try await stack.learnerAndCourse()
            let payment = try await stack.seedPayment(user: user, course: course)
            let cli = try RefundCLI.make(stack)
            defer { cli.cleanUp() }
            #expect(try await cli.run(["users", "add", "eve2@example.com", "--name", "Eve"]).status == 0)
            let propose = try await cli.run([
                "refunds", "propose", "--payment", String(payment), "--amount", "10", "--reason", "x", "--by",
                "alice@example.com",
            ])
            #expect(propose.status == 0, "\(propose.stderr)")
            let refund = try #require(try await stack.desk.list().first)
            for name in ["eve2@example.com", "eve2", "alice", "nobody@example.com"] {
                let approve = try await cli.run(["refunds", "approve", String(refund.id), "--by", name])
                #expect(approve.status == 2 && approve.stderr.contains("is not an admin"), "\(name)")
            }
            #expect(try await cli.run(["users", "disable", "bob@example.com"]).status == 0)
            let disabled = try await cli.run(["refunds", "approve", String(refund.id), "--by", "bob@example.com"])
            #expect(disabled.status == 2 && disabled.stderr.contains("is not an admin"))
            #expect(try await stack.refund(refund.id)?.state.status == .proposed)
        }
    }

    @Test("the proposer cannot approve through the CLI; an approval records the account, the channel and the OS user")
    func proposerThroughCLI() async throws {
        try await DatabaseStack.with { stack in
            let (user, course) = try await stack.learnerAndCourse()
            let payment = try await stack.seedPayment(user: user, course: course)
            let cli = try RefundCLI.make(stack)
            defer { cli.cleanUp() }
            let propose = try await cli.run(
                [
                    "refunds", "propose", "--payment", String(payment), "--amount", "10", "--reason", "x", "--by",
                    "ALICE@example.com",
                ], extra: ["USER": "ops-alice"])
            #expect(propose.status == 0, "\(propose.stderr)")
            let refund = try #require(try await stack.desk.list().first)
            #expect(refund.proposedBy == "alice@example.com", "the account's email, whatever case was typed")
            let own = try await cli.run(
                ["refunds", "approve", String(refund.id), "--by", "alice@example.com"], extra: ["USER": "ops-alice"])
            #expect(own.status == 2 && own.stderr.contains("cannot approve"))
            let ok = try await cli.run(
                ["refunds", "approve", String(refund.id), "--by", "bob@example.com"], extra: ["USER": "ops-bob"])
            #expect(ok.status == 0, "\(ok.stderr)")
            let bob = try await userID(stack, "bob@example.com")
            let alice = try await userID(stack, "alice@example.com")
            let row = try #require(
                try await stack.db.query(
                    """
                    SELECT proposed_by_user_id, proposed_via, approved_by_user_id, approved_via, approved_by
                    FROM refunds WHERE id = \(refund.id)
                    """
                ).first)
            #expect(try row.decode(Int64?.self, "proposed_by_user_id") == alice)
            #expect(try row.decode(String?.self, "proposed_via") == "cli")
            #expect(try row.decode(Int64?.self, "approved_by_user_id") == bob)
            #expect(try row.decode(String?.self, "approved_via") == "cli")
            let audit = try await stack.db.query(
                "SELECT user_id, channel, os_user, action FROM audit_log WHERE subject = 'refund' ORDER BY id")
            #expect(audit.rows.count == 2)
            #expect(try audit.rows.last?.decode(Int64?.self, "user_id") == bob)
            #expect(try audit.rows.last?.decode(String.self, "channel") == "cli")
            #expect(try audit.rows.last?.decode(String?.self, "os_user") == "ops-bob")
            #expect(try audit.rows.last?.decode(String.self, "action") == "refund.approve")
            await #expect(throws: PostgresError.self) {
                try await stack.db.query("DELETE FROM audit_log")
            }
        }
    }

    @Test("the database refuses: the proposer approving, the first approver approving twice, non-admins, bare names")
    func databaseRefuses() async throws {
        try await DatabaseStack.with { stack in
            let (user, course) = try await stack.learnerAndCourse(price: 20_000)
            let payment = try await stack.seedPayment(user: user, course: course, amount: 20_000)
            let refund = try await stack.desk.propose(
                paymentID: payment, amount: Money(minorUnits: 1_500_000), reason: "cancelled",
                by: "alice@example.com")
            let alice = try await userID(stack, "alice@example.com")
            let bob = try await userID(stack, "bob@example.com")
            let learner = user
            // The proposer's own account, under any name.
            await #expect(throws: PostgresError.self) {
                try await stack.db.query(
                    """
                    UPDATE refunds SET approved_by = 'someone-else', approved_by_user_id = \(alice)
                    WHERE id = \(refund.id)
                    """)
            }
            // A name with no account, and an account that is not an admin.
            await #expect(throws: PostgresError.self) {
                try await stack.db.query("UPDATE refunds SET approved_by = 'eve2' WHERE id = \(refund.id)")
            }
            await #expect(throws: PostgresError.self) {
                try await stack.db.query(
                    "UPDATE refunds SET approved_by = 'x', approved_by_user_id = \(learner) WHERE id = \(refund.id)")
            }
            // A first approval by bob, then bob again as the second approver.
            let first = try await stack.desk.approve(refund.id, by: "bob@example.com")
            #expect(first.status == "proposed" && first.approvedBy == "bob@example.com")
            await #expect(throws: PostgresError.self) {
                try await stack.db.query(
                    """
                    UPDATE refunds SET second_approved_by = 'bob-again', second_approved_by_user_id = \(bob),
                        status = 'approved'
                    WHERE id = \(refund.id)
                    """)
            }
            let refused = try? await stack.desk.approve(refund.id, by: "bob@example.com")
            #expect(refused == nil)
            #expect(try await stack.refund(refund.id)?.state.status == .proposed)
            // Inserting a proposal under a person's name without an account is refused too.
            await #expect(throws: PostgresError.self) {
                try await stack.db.query(
                    """
                    INSERT INTO refunds (payment_id, amount, reason, proposed_by) VALUES (\(payment), 1, 'x', 'eve')
                    """)
            }
            let second = try await stack.desk.approve(refund.id, by: "carol@example.com")
            #expect(second.status == "approved" && second.secondApprovedBy == "carol@example.com")
        }
    }
}
