import DarajaSimulator
import Foundation
import HTTPServerKit
import ReconCore
import ReconTestSupport

/// Runs the project's own executables (built next to the test bundle) as real processes.
enum Subprocess {
    struct Result {
        var status: Int32
        var stdout: String
        var stderr: String
        var killed: Bool
    }

    /// `.build/<triple>/debug/NAME`, beside the test bundle.
    static func binary(_ name: String) throws -> URL {
        var folder = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        if folder.lastPathComponent.hasSuffix(".xctest") { folder.deleteLastPathComponent() }
        for candidate in [folder, folder.deletingLastPathComponent()] {
            let url = candidate.appendingPathComponent(name)
            if FileManager.default.isExecutableFile(atPath: url.path) { return url }
        }
        throw SubprocessError(message: "\(name) is not built next to the tests; run `swift build --build-tests` first")
    }

    /// The environment `mpesa-recon` needs to reach a stack's database and simulator.
    static func environment(_ stack: Stack) -> [String: String] {
        let config = SimulatorConfiguration()
        var env = ProcessInfo.processInfo.environment
        env["DATABASE_URL"] = stack.database.runtimeSettings.connectionString
        env["MPESA_ENVIRONMENT"] = "simulator"
        env["MPESA_BASE_URL"] = stack.simulatorServer.baseURL
        env["MPESA_CONSUMER_KEY"] = config.consumerKey
        env["MPESA_CONSUMER_SECRET"] = config.consumerSecret
        env["MPESA_SHORTCODE"] = config.shortcode
        env["MPESA_PASSKEY"] = config.passkey
        env["MPESA_CALLBACK_URL"] = stack.callbackURL
        env["RECON_LOG_LEVEL"] = "error"
        return env
    }

    /// Runs `binary arguments`, optionally sending SIGKILL after `killAfter`.
    static func run(
        _ binary: URL, _ arguments: [String], environment: [String: String], killAfter: Duration? = nil,
        killWhen: (@Sendable () async -> Bool)? = nil
    ) async throws -> Result {
        let output = try await ProcessRunner.run(
            binary, arguments, environment: environment, killAfter: killAfter, killWhen: killWhen)
        return Result(status: output.status, stdout: output.stdout, stderr: output.stderr, killed: output.killed)
    }
}

struct SubprocessError: Error, CustomStringConvertible {
    var message: String
    var description: String { message }
}
