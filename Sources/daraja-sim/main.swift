import ArgumentParser
import Daraja
import DarajaSimulator
import Foundation
import HTTPServerKit
import Logging
import ReconCore

/// Runs the Daraja simulator in the foreground until SIGTERM or SIGINT.
@main
struct DarajaSim: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "daraja-sim",
        abstract: "A local Daraja (OAuth, STK Push/Query, B2C v3, Transaction Status) with a ledger of the truth.",
        discussion: """
            Control API: GET /sim/ledger, POST /sim/scenario, /sim/faults, /sim/plans/stk, /sim/plans/b2c, \
            /sim/expire-tokens, /sim/reset; GET /sim/certificate serves the test certificate that \
            SecurityCredentials must be encrypted with. Credentials default to the values of \
            SimulatorConfiguration (consumer key sim-consumer-key, secret sim-consumer-secret, shortcode 174379, \
            the public sandbox passkey, B2C shortcode 600999, initiator testapi).
            """,
        version: ReconVersion.current
    )

    @Option(help: "Address to listen on.") var host = "127.0.0.1"
    @Option(help: "Port to listen on (0-65535; 0 picks a free one).") var port = 8089
    @Option(help: "Seed of every random choice.") var seed: UInt64 = 42
    @Option(help: "OAuth consumer key to accept.") var consumerKey: String?
    @Option(help: "OAuth consumer secret to accept.") var consumerSecret: String?
    @Option(help: "STK shortcode.") var shortcode: String?
    @Option(help: "STK passkey.") var passkey: String?
    @Option(help: "Write the chosen port to this file once listening (for scripts).") var portFile: String?

    func validate() throws {
        guard (0...65535).contains(port) else {
            throw ValidationError("--port must be between 0 and 65535, not \(port).")
        }
    }

    /// Exit codes as mpesa-recon's: 2 for bad usage (ArgumentParser's own default is 64).
    static func main() async {
        do {
            var command = try parseAsRoot()
            if var command = command as? any AsyncParsableCommand {
                try await command.run()
            } else {
                try command.run()
            }
        } catch {
            if exitCode(for: error) == .validationFailure {
                FileHandle.standardError.write(Data((fullMessage(for: error) + "\n").utf8))
                Foundation.exit(2)
            }
            exit(withError: error)
        }
    }

    func run() async throws {
        LoggingSystem.bootstrap { StreamLogHandler.standardError(label: $0) }
        var configuration = SimulatorConfiguration()
        configuration.seed = seed
        if let consumerKey { configuration.consumerKey = consumerKey }
        if let consumerSecret { configuration.consumerSecret = consumerSecret }
        if let shortcode { configuration.shortcode = shortcode }
        if let passkey { configuration.passkey = passkey }
        let key = SimulatorKeys.privateKeyPEM
        let simulator = DarajaSimulator(
            configuration: configuration,
            decryptCredential: { try? SecurityCredential.decrypt(base64: $0, privateKeyPEM: key.utf8) })
        let portFile = self.portFile
        let host = self.host
        try await RunningServer.serve(
            simulator.router(), host: host, port: port, serverName: "daraja-sim", logger: Logger(label: "daraja-sim")
        ) { bound in
            FileHandle.standardError.write(Data("daraja-sim listening on http://\(host):\(bound)\n".utf8))
            if let portFile { try? Data("\(bound)\n".utf8).write(to: URL(fileURLWithPath: portFile)) }
        }
    }
}
