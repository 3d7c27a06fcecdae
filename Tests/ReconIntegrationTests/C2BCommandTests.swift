import DarajaSimulator
import Foundation
import ReconApp
import ReconCore
import ReconPostgres
import ReconServer
import ReconTestSupport
import Testing

/// The C2B commands of the production binary against the simulator: register, reference, run, doctor.
@Suite("mpesa-recon c2b / pull: register, reference, run's pull, doctor")
struct C2BCommandTests {
    @Test("c2b register falls back once from the wrong version; pull register; run recovers a lost confirmation")
    func commands() async throws {
        try await Stack.with { stack in
            let cli = try RefundCLI.make(stack)
            defer { cli.cleanUp() }
            let (user, course) = try await stack.seedLearner(price: 1200)
            let reference = try await cli.run([
                "c2b", "reference", "--user", "\(user)", "--course", "\(course)", "--json",
            ])
            #expect(reference.status == 0, "\(reference.stderr)")
            let codes = try #require(
                try JSONSerialization.jsonObject(with: Data(reference.stdout.utf8)) as? [String: String])
            let code = try #require(codes["enrollment_reference"])
            #expect(codes["learner_reference"]?.hasPrefix("L") == true)
            let again = try await cli.run(["c2b", "reference", "--user", "\(user)", "--course", "\(course)", "--json"])
            #expect(again.stdout == reference.stdout, "the open reference is issued once")

            // This Daraja app holds C2B v1: v2 answers 401.003.01, reported and retried once with v1.
            var settings = C2BSimSettings()
            settings.appVersion = "v1"
            await stack.simulator.setC2BSettings(settings)
            let register = try await cli.run(["c2b", "register"], extra: ["MPESA_C2B_VERSION": "v2"])
            #expect(register.status == 0, "\(register.stdout)\n\(register.stderr)")
            #expect(register.stdout.contains("wrong C2B version for this app"), "\(register.stdout)")
            #expect(register.stdout.contains("c2b v1 default shortcode 174379: registered"), "\(register.stdout)")
            #expect(!register.stdout.contains(Stack.token), "the callback token must never be printed")
            let noNumber = try await cli.run(["pull", "register"])
            #expect(noNumber.status == 2 && noNumber.stderr.contains("MPESA_PULL_NOMINATED_NUMBER"))
            let pull = try await cli.run(["pull", "register"], extra: ["MPESA_PULL_NOMINATED_NUMBER": "0722000000"])
            #expect(pull.status == 0 && pull.stdout.contains("registered [1000]"), "\(pull.stdout)\n\(pull.stderr)")

            // Paid with the reference from the SIM menu; the confirmation is lost.
            let paid = await stack.simulator.c2bPay(
                C2BPaymentRequest(
                    phone: "254711222333", amount: 1200, billRef: code, delivery: .lost,
                    at: Date().addingTimeInterval(-600)))
            let receipt = try #require(paid.receipt)
            let run = try await cli.run(["run", "--no-reports"])
            #expect(run.status == 0, "\(run.stdout)\n\(run.stderr)")
            #expect(run.stdout.contains("pull: 174379 covered (1 listed, 1 recovered)"), "\(run.stdout)")
            #expect(
                try await stack.count(
                    "SELECT count(*) FROM payments WHERE mpesa_receipt = \(receipt) AND source = 'pull' AND user_id = \(user)"
                )
                    == 1)
            #expect(try await stack.count("SELECT count(*) FROM enrollments WHERE user_id = \(user)") == 1)

            let doctor = try await cli.run(["doctor", "--json"])
            let object = try #require(
                try JSONSerialization.jsonObject(with: Data(doctor.stdout.utf8)) as? [String: Any])
            let checks = object["checks"] as? [[String: Any]] ?? []
            func status(_ area: String) -> [String] {
                checks.filter { $0["area"] as? String == area }.compactMap { $0["status"] as? String }
            }
            #expect(status("c2b-registration") == ["pass"], "\(doctor.stdout)")
            #expect(status("pull-registration") == ["pass"], "\(doctor.stdout)")
            #expect(status("pull-coverage") == ["pass"], "\(doctor.stdout)")
        }
    }

    @Test("unallocated money placed by two admins: proposed, refused to its proposer, confirmed, the learner enrolled")
    func allocation() async throws {
        try await Stack.with { stack in
            let cli = try RefundCLI.make(stack)
            defer { cli.cleanUp() }
            // Payload 6: a masked number and an account that names nobody here.
            _ = try await stack.post(C2BSettings.confirmationPath, body: C2BPayloads.body(6))
            let (user, course) = try await stack.seedLearner(price: 10)
            let list = try await cli.run(["c2b", "unallocated", "--json"])
            let lines = try #require(try JSONSerialization.jsonObject(with: Data(list.stdout.utf8)) as? [[String: Any]])
            #expect(lines.count == 1 && lines.first?["receipt"] as? String == "QER3OM0QN3", "\(list.stdout)")
            #expect(!list.stdout.contains("2547 ***** 738"), "the payer is shown in the product's own mask")
            // People cannot skip the confirmation, whatever writes the row.
            await #expect(throws: PostgresError.self) {
                try await stack.db.query(
                    "UPDATE c2b_transactions SET allocation = 'admin' WHERE receipt = 'QER3OM0QN3'")
            }
            let arguments = ["c2b", "allocate", "QER3OM0QN3", "--user", "\(user)", "--course", "\(course)"]
            let proposed = try await cli.run(arguments + ["--by", "alice@example.com", "--note", "parent paid"])
            #expect(proposed.status == 0 && proposed.stdout.contains("proposed"), "\(proposed.stderr)")
            let own = try await cli.run(arguments + ["--by", "alice@example.com"])
            #expect(own.status == 2 && own.stderr.contains("a different admin must confirm"), "\(own.stderr)")
            let confirmed = try await cli.run(arguments + ["--by", "bob@example.com", "--json"])
            #expect(confirmed.status == 0, "\(confirmed.stderr)")
            let decided = try #require(
                try JSONSerialization.jsonObject(with: Data(confirmed.stdout.utf8)) as? [String: Any])
            #expect(decided["outcome"] as? String == "applied" && decided["enrolled"] as? Bool == true)
            #expect(
                try await stack.count(
                    """
                    SELECT count(*) FROM payments WHERE user_id = \(user) AND course_id = \(course)
                      AND mpesa_receipt = 'QER3OM0QN3' AND source = 'c2b'
                    """) == 1)
            #expect(try await stack.count("SELECT count(*) FROM enrollments WHERE user_id = \(user)") == 1)
            #expect(
                try await stack.count(
                    "SELECT count(*) FROM reconciliation_exceptions WHERE kind = 'unallocated_payment' AND status = 'open'"
                )
                    == 0)
            #expect(
                try await stack.count(
                    "SELECT count(*) FROM audit_log WHERE action LIKE 'c2b.allocate_%' AND subject = 'c2b_transaction'")
                    == 2)
            let after = try await cli.run(arguments + ["--by", "carol@example.com"])
            #expect(after.status == 2 && after.stderr.contains("is allocated"), "\(after.stderr)")
        }
    }
}
