import DarajaSimulator
import Foundation
import HTTPServerKit
import Logging
import ReconCore
import ReconPostgres
import Testing

/// The guide's MpesaConfiguration: several shortcodes in one installation, secrets sealed at rest, each payment
/// settled with the configuration it was pushed with. A second simulator stands for the second shortcode's Daraja.
@Suite("mpesa_configurations: sealed secrets, pay --config, settle with the same configuration")
struct MpesaConfigurationTests {
    static let secretsKey = String(repeating: "ab", count: 32)

    @Test("config add seals the secrets; pay --config pushes to that Daraja; settle asks it, and only with the key")
    func payAndSettleWithAStoredConfiguration() async throws {
        try await Stack.with { stack in
            var logger = Logger(label: "second-daraja")
            logger.logLevel = .critical
            // The second Daraja: callbacks never arrive, so only an STK Query to it can settle the payment.
            let second = DarajaSimulator(decryptCredential: { _ in nil })
            var scenario = Scenario()
            scenario.deliveries = [.lost: 1]
            scenario.processingMs = 0
            await second.setScenario(scenario)
            let server = try await RunningServer.start(second.router(), serverName: "daraja-sim-2", logger: logger)
            let cli = try RefundCLI.make(stack)
            defer { cli.cleanUp() }
            let sim = SimulatorConfiguration()
            let keyed = ["RECON_SECRETS_KEY": Self.secretsKey]

            let added = try await cli.run(
                [
                    "config", "add", "second-paybill", "--environment", "simulator", "--base-url", server.baseURL,
                    "--shortcode", sim.shortcode, "--callback-url", stack.callbackURL, "--json",
                ], extra: keyed,
                stdin:
                    "passkey=\(sim.passkey)\nconsumer_key=\(sim.consumerKey)\nconsumer_secret=\(sim.consumerSecret)\n")
            #expect(added.status == 0, "\(added.stderr)")
            let row = try #require(
                try await stack.db.query(
                    "SELECT id, passkey_sealed || consumer_secret_sealed AS sealed FROM mpesa_configurations"
                ).first)
            let configuration = try row.decode(Int64.self, "id")
            let sealed = try row.decode(String.self, "sealed")
            #expect(!sealed.contains(sim.passkey) && !sealed.contains(sim.consumerSecret), "secrets are sealed")
            let list = try await cli.run(["config", "list"])
            #expect(list.status == 0 && list.stdout.contains("second-paybill"))
            #expect(!list.stdout.contains(sim.consumerSecret))

            let (user, course) = try await stack.learnerAndCourse(price: 2500)
            let withoutKey = try await cli.run([
                "pay", "--user", String(user), "--course", String(course), "--phone", "0708374149", "--config",
                "second-paybill",
            ])
            #expect(withoutKey.status == 2 && withoutKey.stderr.contains("RECON_SECRETS_KEY"), "\(withoutKey.stderr)")

            let pay = try await cli.run(
                [
                    "pay", "--user", String(user), "--course", String(course), "--phone", "0708374149", "--config",
                    "second-paybill", "--json",
                ], extra: keyed)
            #expect(pay.status == 0, "\(pay.stderr)")
            let payment = try #require(
                try await stack.db.query("SELECT id, configuration_id FROM payments ORDER BY id DESC LIMIT 1").first)
            let paymentID = try payment.decode(Int64.self, "id")
            #expect(try payment.decode(Int64?.self, "configuration_id") == configuration)
            #expect(await second.ledger().stk.count == 1, "the push went to the configuration's Daraja")
            #expect(await stack.simulator.ledger().stk.isEmpty, "not to the environment's")

            try await stack.db.query("UPDATE payments SET next_check_at = now() - interval '1 minute'")
            // Without the key the configuration cannot be opened: the payment waits, nothing is guessed.
            let blind = try await cli.run(["settle", "--json"])
            #expect(try await stack.payment(paymentID)?.state.status == .pending, "\(blind.stdout)\(blind.stderr)")
            try await stack.db.query("UPDATE payments SET next_check_at = now() - interval '1 minute'")
            let settled = try await cli.run(["settle", "--json"], extra: keyed)
            #expect(settled.status == 0, "\(settled.stderr)")
            #expect(try await stack.payment(paymentID)?.state.status == .completed, "asked the configuration's Daraja")

            #expect(try await cli.run(["config", "disable", "second-paybill"]).status == 0)
            let refused = try await cli.run(
                [
                    "pay", "--user", String(user), "--course", String(course), "--phone", "0708374149", "--config",
                    "second-paybill",
                ], extra: keyed)
            #expect(refused.status == 2 && refused.stderr.contains("no active configuration"))
            await server.stop()
        }
    }
}
