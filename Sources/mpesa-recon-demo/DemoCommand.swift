import ArgumentParser
import Foundation
import Logging
import ReconApp
import ReconCore
import ReconDemo

/// `make demo`: its own executable, so the production `mpesa-recon` carries neither the simulator nor its key.
@main
struct DemoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mpesa-recon-demo",
        abstract: "A day of course payments end to end on a local PostgreSQL, the Daraja simulator and the endpoint.",
        discussion: """
            Makes the demo database anew, starts the Daraja simulator and the callback endpoint on loopback, seeds \
            courses and learners, runs a day of payments through pay (paid, cancelled, unanswered; callbacks lost, \
            late and doubled; a duplicate payment, an overpayment, an enrollment with no payment), runs run, has two \
            admins approve the proposed refunds, runs run again so B2C pays them, writes the reports, checks the \
            database against the simulator's ledger, tells the story, and stops everything it started. \
            `make demo` starts the local PostgreSQL (scripts/pg.sh) and calls this. Exit codes: 0 the database \
            matches the ledger, 1 it does not or something failed, 2 bad usage.
            """
    )

    @Option(help: "The local cluster's maintenance database.")
    var adminURL = "postgresql://postgres@127.0.0.1:54329/postgres"
    @Option(help: "The demo's database (dropped and made anew).") var database = "mpesa_recon_demo"
    @Option(help: "Where the reports go.") var reportsDir = "reports"
    @Option(help: "A migrations folder to apply instead of the ones built in (also RECON_SQL_DIR).")
    var sqlDir: String?
    @Flag(
        inversion: .prefixedNo,
        help: "Afterwards serve the console with two demo logins until Ctrl-C (default: only on a terminal).")
    var console: Bool?
    @Option(help: "The console's port.") var consolePort = 8080

    /// One line of the story on stdout, written at once (no buffering), so the console's URL shows when piped.
    static func say(_ line: String) {
        FileHandle.standardOutput.write(Data((line + "\n").utf8))
    }

    func run() async throws {
        LoggingSystem.bootstrap { StreamLogHandler.standardError(label: $0) }
        let env = Environment(dotEnv: nil, process: ProcessInfo.processInfo.environment)
        let migrations = MigrationsSource.folder(flag: sqlDir, env: env)
        let options = DemoOptions(
            adminURL: adminURL, database: database, migrationsDirectory: migrations, reportsDirectory: reportsDir)
        Self.say("mpesa-recon demo: a day of course payments through M-Pesa, on this machine only.")
        let started = Date()
        let result = try await DemoRunner.run(options) { line in Self.say(line) }
        Self.say(String(format: "Done in %.0f s.", Date().timeIntervalSince(started)))
        guard result.check.mismatches.isEmpty else {
            FileHandle.standardError.write(
                Data("mpesa-recon-demo: the database does not match the simulator's ledger\n".utf8))
            throw ExitCode.failure
        }
        if console ?? (isatty(STDIN_FILENO) == 1 && isatty(STDOUT_FILENO) == 1) {
            try await DemoConsole.serve(options, port: consolePort) { line in Self.say(line) }
        } else {
            Self.say("The console: make console-demo (or mpesa-recon-demo --console) serves it with two demo logins.")
        }
    }
}
