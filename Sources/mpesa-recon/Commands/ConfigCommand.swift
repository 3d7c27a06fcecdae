import ArgumentParser
import Foundation
import ReconApp
import ReconCore
import ReconPostgres

struct ConfigCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "config",
        abstract: "M-Pesa configurations (the guide's MpesaConfiguration): several shortcodes in one installation.",
        discussion: """
            Secrets are sealed with AES-256-GCM under RECON_SECRETS_KEY (64 hex digits or base64 of 32 bytes) before \
            they are stored; they are read from stdin as NAME=VALUE lines (passkey, consumer_key, consumer_secret, \
            initiator_password), never from the command line. The MPESA_* environment stays the default configuration.
            """,
        subcommands: [ListConfigurations.self, AddConfiguration.self, DisableConfiguration.self]
    )
}

struct ListConfigurations: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "List configurations.")

    @OptionGroup var common: CommonOptions

    func run() async throws {
        let all = try await Configurations.list(try Context.database(common))
        if common.json {
            try Context.printJSON(all)
        } else if all.isEmpty {
            print("No configurations: the MPESA_* environment is the only one.")
        } else {
            for item in all {
                print(
                    "\(item.id) \(item.name) \(item.environment) \(item.partyType) \(item.shortcode) "
                        + "\(item.active ? "active" : "disabled")\(item.hasB2C ? " b2c" : "")")
            }
        }
    }
}

struct AddConfiguration: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "add", abstract: "Add a configuration; secrets come from stdin as NAME=VALUE lines.")

    @OptionGroup var common: CommonOptions
    @Argument(help: "A unique name.") var name: String
    @Option(help: "sandbox, production or simulator.") var environment: String
    @Option(help: "The Daraja host (default: the environment's).") var baseURL: String?
    @Option(help: "The STK Push shortcode (BusinessShortCode).") var shortcode: String
    @Option(help: "paybill or till.") var partyType = "paybill"
    @Option(help: "The till number (PartyB) when --party-type till.") var tillNumber: String?
    @Option(help: "The public STK callback URL (with ?token=…).") var callbackURL: String
    @Option(help: "The B2C shortcode.") var b2cShortcode: String?
    @Option(help: "The B2C initiator name.") var b2cInitiatorName: String?
    @Option(help: "The B2C result URL.") var b2cResultURL: String?
    @Option(help: "The B2C queue-timeout URL.") var b2cTimeoutURL: String?

    func run() async throws {
        let env = try Context.environment(common)
        let key = try env.required("RECON_SECRETS_KEY")
        guard ["sandbox", "production", "simulator"].contains(environment) else {
            throw CLIError(message: "--environment must be sandbox, production or simulator", exitCode: ExitCodes.usage)
        }
        guard ["paybill", "till"].contains(partyType) else {
            throw CLIError(message: "--party-type must be paybill or till", exitCode: ExitCodes.usage)
        }
        var secrets: [String: String] = [:]
        while let line = readLine(strippingNewline: true) {
            guard let equals = line.firstIndex(of: "=") else { continue }
            secrets[String(line[..<equals]).trimmingSpaces()] = String(line[line.index(after: equals)...])
        }
        let summary = try await refusingAccount {
            try await Configurations.add(
                try Context.database(env), secretsKey: key,
                MpesaConfigurationSettings(
                    name: name, environment: environment, baseURL: baseURL, shortcode: shortcode,
                    partyType: partyType, tillNumber: tillNumber, callbackURL: callbackURL, b2cShortcode: b2cShortcode,
                    b2cInitiatorName: b2cInitiatorName, b2cResultURL: b2cResultURL, b2cTimeoutURL: b2cTimeoutURL),
                secrets: secrets)
        }
        if common.json { try Context.printJSON(summary) } else { print("Configuration \(summary.id) \(name) added.") }
    }
}

struct DisableConfiguration: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "disable", abstract: "Disable a configuration.")

    @OptionGroup var common: CommonOptions
    @Argument(help: "The configuration's name.") var name: String

    func run() async throws {
        try await refusingAccount { try await Configurations.disable(try Context.database(common), name: name) }
        if common.json { try Context.printJSON(["name": name, "active": "false"]) } else { print("Disabled.") }
    }
}
