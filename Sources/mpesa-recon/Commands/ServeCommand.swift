import ArgumentParser
import Foundation
import Logging
import ReconCore
import ReconPostgres
import ReconServer

struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Run the callback endpoint: store every callback first, apply it once, lose none.",
        discussion: """
            Routes: POST /api/payments/callback/ (STK), /api/payments/b2c/result/, /api/payments/b2c/timeout/, \
            GET /healthz, /metrics. Every callback URL must carry ?token=MPESA_CALLBACK_TOKEN. While PostgreSQL is \
            down, bodies are appended to RECON_SPOOL_DIR (fsync'd) and replayed when it is back. \
            RECON_CALLBACK_ALLOWLIST=safaricom (or a list of CIDRs) turns on the source-address allow-list; \
            RECON_TRUSTED_PROXIES names proxies whose X-Forwarded-For is believed. Stops gracefully on SIGTERM/SIGINT.
            """
    )

    @OptionGroup var common: CommonOptions
    @Option(help: "Address to listen on.") var host = "127.0.0.1"
    @Option(help: "Port to listen on.") var port = 8080

    func run() async throws {
        let env = try Context.environment(common)
        let settings = try CallbackSettings.load(from: env)
        let configuration = CallbackServerConfiguration(
            host: host, port: port, callbackToken: settings.token,
            addressPolicy: try Self.policy(settings), spoolDirectory: URL(fileURLWithPath: settings.spoolDirectory),
            schedule: try RetrySchedule.load(from: env))
        let pool = try Wiring.pool(env, connections: 16)
        let endpoint = CallbackEndpoint(configuration: configuration, pool: pool)
        try await CallbackServer.serve(endpoint) { port in
            FileHandle.standardError.write(
                Data("mpesa-recon serve listening on http://\(configuration.host):\(port)\n".utf8))
        }
        await pool.close()
    }

    static func policy(_ settings: CallbackSettings) throws -> AddressPolicy {
        func networks(_ items: [String], variable: String) throws -> [IPv4Network] {
            var result: [IPv4Network] = []
            for item in items {
                if item.lowercased() == "safaricom" {
                    result += AddressPolicy.safaricom
                } else if let network = IPv4Network(item) {
                    result.append(network)
                } else {
                    throw ConfigurationError(
                        variable: variable, problem: "has an entry that is not an IPv4 address or CIDR")
                }
            }
            return result
        }
        return AddressPolicy(
            allowed: try settings.allowList.map { try networks($0, variable: "RECON_CALLBACK_ALLOWLIST") },
            trustedProxies: try networks(settings.trustedProxies, variable: "RECON_TRUSTED_PROXIES"))
    }
}
