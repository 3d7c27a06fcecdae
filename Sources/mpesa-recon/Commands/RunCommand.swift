import ArgumentParser
import Logging
import ReconApp
import ReconCore
import ReconPresentation
import ReconReports

struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "What cron calls: under the run lock, settle, reconcile, send and resolve refunds, write reports.",
        discussion: """
            Order: retry stored callbacks, settle pending payments, reconcile, send approved refunds, ask Transaction \
            Status about stuck refunds, write today's reports (last). Refund steps are skipped (and the summary says \
            so) when no MPESA_B2C_* setting is present. Exit codes: 0 every step did its work; 1 a step could not (Daraja \
            unreachable or refusing the token for every query, approved refunds that cannot be sent, a report that \
            failed), one stderr line per problem, the run still recorded; 2 usage or configuration; 75 lock held. \
            A second run while one holds the lock exits 75 at once and \
            says so. Example cron line (every 5 minutes): \
            */5 * * * * cd /srv/mpesa-recon && mpesa-recon run >>/var/log/mpesa-recon.log 2>&1
            """
    )

    @OptionGroup var common: CommonOptions
    @OptionGroup var settle: SettleArguments
    @OptionGroup var reconcile: ReconcileArguments
    @OptionGroup var dispatch: DispatchArguments
    @Option(help: "Where today's reports go (the run writes them last).") var reportsDir = "reports"
    @Flag(help: "Skip writing today's reports.") var noReports = false

    func run() async throws {
        let env = try Context.environment(common, needs: [.database, .daraja, .schedule])
        // B2C is optional for `run`: absent entirely means "no refunds here"; present but incomplete is an error.
        let refundsConfigured = DarajaWiring.b2cConfigured(env)
        if refundsConfigured { try Context.check(env, needs: [.b2c]) }
        // Pull's windows (RECON_PULL_OVERLAP, RECON_PULL_LAG); a shortcode is pulled once `pull register` recorded it.
        let pull: PullPolicy
        do {
            pull = try PullPolicy.load(from: env)
        } catch {
            throw ConfigurationProblems([error])
        }
        let options = RunJob.Options(
            settle: try settle.options(env), reconcile: try reconcile.options(),
            dispatch: refundsConfigured ? try dispatch.options() : nil,
            reports: noReports ? nil : ReportOptions(period: try .today(), outputDirectory: reportsDir),
            pull: pull)
        let client = try Wiring.darajaClient(env, b2c: refundsConfigured)
        let logger = Logger(label: "mpesa-recon.run")
        let database = try Context.database(env)
        let secretsKey = env.optional("RECON_SECRETS_KEY")
        let summary = try await Operations.run(
            database, queries: client,
            configuredQueries: try await Configurations.queryClients(database, secretsKey: secretsKey, logger: logger),
            gateway: refundsConfigured ? client : nil, options: options, logger: logger,
            pullClients: try await Configurations.pullClients(
                database, secretsKey: secretsKey, environment: client, logger: logger),
            progress: Wiring.progressPrinter("settle"))
        Wiring.endProgress()
        let view = RunView(summary: summary)
        try Context.show(view, json: common.json)
        // The run is recorded either way; cron learns from the exit code and one stderr line per problem.
        guard view.problemLines.isEmpty else {
            for line in view.problemLines { Diagnostics.problem(line) }
            throw ExitCode(ExitCodes.failure)
        }
    }
}
