import ArgumentParser
import Logging
import ReconApp
import ReconCore
import ReconPresentation

/// Options of settlement, shared by `settle` and `run`.
struct SettleArguments: ParsableArguments {
    @Option(help: "Settle at most this many payments.") var limit: Int?
    @Option(help: "Queries in flight at once.") var concurrency = 8
    @Option(help: "Global budget of STK queries per second.") var rate = 20
    @Option(help: ArgumentHelp("Seconds a claimed payment stays reserved for this run.", visibility: .hidden))
    var lease = 300

    func options(_ env: Environment) throws -> SettleOptions {
        guard concurrency >= 1, rate >= 1, (limit ?? 1) >= 1, lease >= 1 else {
            throw CLIError(
                message: "--limit, --concurrency, --rate and --lease must be positive", exitCode: ExitCodes.usage)
        }
        return SettleOptions(
            limit: limit, concurrency: concurrency, ratePerSecond: rate, leaseSeconds: lease,
            schedule: try RetrySchedule.load(from: env))
    }
}

struct SettleCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "settle",
        abstract: "Ask STK Query about due pending payments and apply each answer through the state machine.",
        discussion: """
            Due payments (next_check_at passed) are claimed with FOR UPDATE SKIP LOCKED, so several workers may run \
            at once. The retry schedule (RECON_RETRY_SCHEDULE, default 90s,3m,10m,30m,2h,12h,24h) decides the next \
            check; after the last one a payment becomes unknown for a person, never failed.
            """
    )

    @OptionGroup var common: CommonOptions
    @OptionGroup var settle: SettleArguments

    func run() async throws {
        let env = try Context.environment(common, needs: [.database, .daraja, .schedule])
        let options = try settle.options(env)
        let logger = Logger(label: "mpesa-recon.settle")
        let database = try Context.database(env)
        let summary = try await Operations.settle(
            database, client: try Wiring.darajaClient(env),
            configured: try await Configurations.queryClients(
                database, secretsKey: env.optional("RECON_SECRETS_KEY"), logger: logger),
            options: options, logger: logger, progress: Wiring.progressPrinter("settle"))
        Wiring.endProgress()
        try Context.show(SettleView(summary: summary), json: common.json)
    }
}
