import DarajaSimulator
import Foundation
import HTTPServerKit
import ReconCore
import ReconPostgres
import ReconServer
import ReconTestSupport
import Testing

/// Runs the built `mpesa-recon` binary against a test stack, as cron or an admin would.
struct RefundCLI {
    struct Result {
        var status: Int32
        /// Killed by a signal (`status` is then the signal number).
        var signalled: Bool
        var stdout: String
        var stderr: String
    }

    let environment: [String: String]
    let workDirectory: URL

    /// The binary next to the test bundle (`swift build --build-tests` builds it), else in the checkout's `.build`.
    static func binary() throws -> URL {
        let fileManager = FileManager.default
        var candidates: [URL] = []
        if let executable = Bundle.main.executableURL {
            candidates.append(executable.deletingLastPathComponent().appendingPathComponent("mpesa-recon"))
        }
        candidates.append(
            URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
                .appendingPathComponent("mpesa-recon"))
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        candidates.append(root.appendingPathComponent(".build/debug/mpesa-recon"))
        guard let found = candidates.first(where: { fileManager.isExecutableFile(atPath: $0.path) }) else {
            throw CLIMissing(searched: candidates.map(\.path))
        }
        return found
    }

    struct CLIMissing: Error, CustomStringConvertible {
        var searched: [String]
        var description: String {
            "the mpesa-recon binary is not built (run `swift build --build-tests`); looked in \(searched)"
        }
    }

    /// Settings that point the binary at the stack's database, simulator and callback endpoint.
    static func make(_ stack: Stack) throws -> RefundCLI {
        let config = SimulatorConfiguration()
        let cli = try make(database: stack.database)
        let certificate = cli.workDirectory.appendingPathComponent("cert.pem")
        try Data(SimulatorKeys.certificatePEM.utf8).write(to: certificate)
        let base = stack.callbackServer.baseURL
        let daraja = [
            "MPESA_ENVIRONMENT": "simulator",
            "MPESA_BASE_URL": stack.simulatorServer.baseURL,
            "MPESA_CONSUMER_KEY": config.consumerKey,
            "MPESA_CONSUMER_SECRET": config.consumerSecret,
            "MPESA_SHORTCODE": config.shortcode,
            "MPESA_PASSKEY": config.passkey,
            "MPESA_CALLBACK_URL": stack.callbackURL,
            "MPESA_CALLBACK_TOKEN": Stack.token,
            "MPESA_B2C_SHORTCODE": config.b2cShortcode,
            "MPESA_B2C_INITIATOR_NAME": config.initiatorName,
            "MPESA_B2C_INITIATOR_PASSWORD": config.initiatorPassword,
            "MPESA_CERT_PATH": certificate.path,
            "MPESA_B2C_RESULT_URL": "\(base)/api/payments/b2c/result/?token=\(Stack.token)",
            "MPESA_B2C_TIMEOUT_URL": "\(base)/api/payments/b2c/timeout/?token=\(Stack.token)",
        ]
        return RefundCLI(environment: cli.environment.merging(daraja) { $1 }, workDirectory: cli.workDirectory)
    }

    /// Settings with the database only, for the commands that never call Daraja (users, refund decisions,
    /// exceptions, payments): one that needs it fails for want of `MPESA_*` settings.
    static func make(_ stack: DatabaseStack) throws -> RefundCLI {
        try make(database: stack.database)
    }

    private static func make(database: TestDatabase) throws -> RefundCLI {
        let work = FileManager.default.temporaryDirectory.appendingPathComponent("cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
        let environment = [
            "PATH": "/usr/bin:/bin",
            "DATABASE_URL": database.runtimeSettings.connectionString,
            "RECON_LOG_LEVEL": "warning",
        ]
        return RefundCLI(environment: environment, workDirectory: work)
    }

    /// Runs `mpesa-recon ARGS…` to its end (or its death) in an empty folder, so no `.env` is read.
    func run(_ arguments: [String], extra: [String: String] = [:], stdin: String? = nil) async throws -> Result {
        let output = try await ProcessRunner.run(
            try Self.binary(), arguments, environment: environment.merging(extra) { $1 },
            currentDirectory: workDirectory, stdin: stdin)
        return Result(
            status: output.status, signalled: output.signalled, stdout: output.stdout,
            stderr: output.stderr)
    }

    /// Runs the test-only `recon-crash-harness STEP`: what `refunds send` runs, killed with SIGKILL right after
    /// `STEP` (`sending` or `b2c`) of the first send. The production binary has no such hook.
    func crash(after step: String) async throws -> Result {
        let output = try await ProcessRunner.run(
            try Subprocess.binary("recon-crash-harness"), [step], environment: environment,
            currentDirectory: workDirectory)
        return Result(
            status: output.status, signalled: output.signalled, stdout: output.stdout,
            stderr: output.stderr)
    }

    func cleanUp() {
        try? FileManager.default.removeItem(at: workDirectory)
    }
}
