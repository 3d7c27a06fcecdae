import ArgumentParser
import ReconCore
import ReconPostgres

/// The command line: parses arguments and hands each command to the libraries. Nothing else lives here.
@main
struct MpesaRecon: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mpesa-recon",
        abstract: "Keeps M-Pesa course payments honest: callbacks, settlement, reconciliation, refunds, reports.",
        discussion: """
            Configuration comes from the environment; a .env file in the working directory is read first and \
            real environment variables win (see .env.example). Exit codes: 0 success, 2 bad usage or \
            configuration, 75 another run holds the lock, 1 anything else (for `run`: a step could not do its \
            work). `mpesa-recon doctor` checks a configuration.
            """,
        version: versionText,
        subcommands: [
            MigrateCommand.self, ServeCommand.self, PayCommand.self, SettleCommand.self, ReconcileCommand.self,
            RefundsCommand.self, RunCommand.self, ReportCommand.self, StatementCommand.self, DoctorCommand.self,
            ExceptionsCommand.self, PaymentsCommand.self, UsersCommand.self, ConfigCommand.self, C2BCommand.self,
            PullCommand.self,
        ]
    )

    /// What `--version` prints: the program's version, then the schema it expects (its newest built-in migration;
    /// `migrate` brings a database there and refuses one that is newer).
    static var versionText: String {
        let schema = SchemaVersion.embedded
        return "mpesa-recon \(ReconVersion.current)\nschema \(schema.number) (\(schema.newest), "
            + "\(schema.migrations) migrations built in)"
    }

    static func main() async {
        await CommandRunner.run(Self.self)
    }
}
