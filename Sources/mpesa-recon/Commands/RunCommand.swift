import ArgumentParser
import Foundation
import Logging
import ReconCore
import ReconJobs
import ReconPostgres
import ReconReports

struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "What cron calls: under the run lock, settle, reconcile, send and resolve refunds, write reports.",
        discussion: """
            Order: retry stored callbacks, settle pending payments, reconcile, send approved refunds, ask Transaction \
            Status about stuck refunds, write today's reports (last). Refund steps are skipped (and the summary says \
            so) when no MPESA_B2C_* setting is present. A second run while one holds the lock exits 75 at once and \
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

    /// B2C is optional for `run`: absent entirely means "no refunds here"; present but incomplete is an error.
    static func b2cConfigured(_ env: Environment) -> Bool {
        [
            "MPESA_B2C_SHORTCODE", "MPESA_B2C_INITIATOR_NAME", "MPESA_B2C_INITIATOR_PASSWORD", "MPESA_CERT_PATH",
            "MPESA_B2C_RESULT_URL", "MPESA_B2C_TIMEOUT_URL",
        ].contains { env.optional($0) != nil }
    }

    func run() async throws {
        let env = try Context.environment(common)
        let refundsConfigured = Self.b2cConfigured(env)
        let settleOptions = try settle.options(env)
        let options = RunJob.Options(
            settle: settleOptions, reconcile: try reconcile.options(),
            dispatch: refundsConfigured ? try dispatch.options() : nil,
            reports: noReports ? nil : ReportOptions(period: try .today(), outputDirectory: reportsDir))
        let client = try Wiring.darajaClient(env, b2c: refundsConfigured)
        guard let lock = try await RunLock.acquire(try DatabaseSettings.load(from: env)) else {
            throw CLIError(message: "another run holds the lock; nothing done", exitCode: ExitCodes.lockHeld)
        }
        let pool = try Wiring.pool(env, connections: settleOptions.concurrency + 1)
        let summary: RunJob.Summary
        do {
            summary = try await JobRecorder.record("run", pool: pool) {
                try await RunJob(
                    pool: pool, lock: lock, queries: client, gateway: refundsConfigured ? client : nil,
                    options: options,
                    logger: Logger(label: "mpesa-recon.run")
                ).run(progress: Wiring.progressPrinter("settle"))
            }
            await pool.close()
            await lock.release()
        } catch {
            await pool.close()
            await lock.release()
            throw error
        }
        if Wiring.stderrIsTerminal { FileHandle.standardError.write(Data("\n".utf8)) }
        if common.json {
            try Context.printJSON(summary)
            return
        }
        let s = summary.settle
        print(
            "run: \(summary.callbacksApplied) stored callback(s) applied; settle: \(s.claimed) checked, "
                + "\(s.completed) completed, \(s.failed) failed, \(s.unknown) unknown, \(s.stillPending) pending")
        print(ReconcileCommand.describe(summary.reconcile))
        if let refunds = summary.refunds {
            print(SendRefunds.describe(refunds))
        } else {
            print("refunds: skipped: \(summary.refundsSkipped ?? "")")
        }
        if let first = summary.reports.first {
            let folder = URL(fileURLWithPath: first).deletingLastPathComponent().path
            print("reports: \(summary.reports.count) file(s) in \(folder)")
        }
    }
}
