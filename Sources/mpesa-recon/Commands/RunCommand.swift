import ArgumentParser
import Foundation
import Logging
import ReconCore
import ReconJobs
import ReconPostgres

struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "What cron calls: under the run lock, settle, reconcile, send approved refunds, resolve stuck ones.",
        discussion: """
            Order: retry stored callbacks, settle pending payments, reconcile, send approved refunds, ask Transaction \
            Status about stuck refunds. Refund steps are skipped (and the summary says so) when no MPESA_B2C_* \
            setting is present. A second run while one holds the lock exits 75 at once and says so. Example cron line \
            (every 5 minutes): \
            */5 * * * * cd /srv/mpesa-recon && mpesa-recon run >>/var/log/mpesa-recon.log 2>&1
            """
    )

    @OptionGroup var common: CommonOptions
    @OptionGroup var settle: SettleArguments
    @OptionGroup var reconcile: ReconcileArguments
    @OptionGroup var dispatch: DispatchArguments

    struct Summary: Encodable {
        var callbacksApplied: Int
        var settle: SettleSummary
        var reconcile: ReconcileSummary
        /// `nil` when B2C is not configured.
        var refunds: RefundDispatchSummary?
        var refundsSkipped: String?
    }

    /// B2C is optional for `run`: absent entirely means "no refunds here"; present but incomplete is an error.
    static func b2cConfigured(_ env: Environment) -> Bool {
        [
            "MPESA_B2C_SHORTCODE", "MPESA_B2C_INITIATOR_NAME", "MPESA_B2C_INITIATOR_PASSWORD", "MPESA_CERT_PATH",
            "MPESA_B2C_RESULT_URL", "MPESA_B2C_TIMEOUT_URL",
        ].contains { env.optional($0) != nil }
    }

    func run() async throws {
        let env = try Context.environment(common)
        let options = try settle.options(env)
        let reconcileOptions = try reconcile.options()
        let dispatchOptions = try dispatch.options()
        let refundsConfigured = Self.b2cConfigured(env)
        guard let lock = try await RunLock.acquire(try DatabaseSettings.load(from: env)) else {
            throw CLIError(message: "another run holds the lock; nothing done", exitCode: ExitCodes.lockHeld)
        }
        let pool = try Wiring.pool(env, connections: options.concurrency + 1)
        do {
            let client = try Wiring.darajaClient(env, b2c: refundsConfigured)
            let summary = try await JobRecorder.record("run", pool: pool) {
                let applied = try await pool.withConnection { db in
                    try await CallbackProcessor.sweep(db, now: Date(), schedule: options.schedule)
                }
                let settled = try await SettleJob(
                    pool: pool, client: client, options: options, logger: Logger(label: "mpesa-recon.settle")
                ).run(progress: Wiring.progressPrinter("settle"))
                let reconciled = try await ReconcileJob(
                    pool: pool, options: reconcileOptions, logger: Logger(label: "mpesa-recon.reconcile")
                ).run()
                guard refundsConfigured else {
                    return Summary(
                        callbacksApplied: applied, settle: settled, reconcile: reconciled, refunds: nil,
                        refundsSkipped: "B2C is not configured (no MPESA_B2C_* settings)")
                }
                let refunds = try await RefundDispatcher(
                    pool: pool, gateway: client, options: dispatchOptions, logger: Logger(label: "mpesa-recon.refunds")
                ).run()
                return Summary(
                    callbacksApplied: applied, settle: settled, reconcile: reconciled, refunds: refunds,
                    refundsSkipped: nil)
            }
            await pool.close()
            await lock.release()
            if Wiring.stderrIsTerminal { FileHandle.standardError.write(Data("\n".utf8)) }
            if common.json {
                try Context.printJSON(summary)
            } else {
                let s = summary.settle
                print(
                    "run: \(summary.callbacksApplied) stored callback(s) applied; settle: \(s.claimed) checked, "
                        + "\(s.completed) completed, \(s.failed) failed, \(s.unknown) unknown, \(s.stillPending) pending"
                )
                print(ReconcileCommand.describe(summary.reconcile))
                if let refunds = summary.refunds {
                    print(SendRefunds.describe(refunds))
                } else {
                    print("refunds: skipped: \(summary.refundsSkipped ?? "")")
                }
            }
        } catch {
            await pool.close()
            await lock.release()
            throw error
        }
    }
}
