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
        abstract: "What cron calls: take the run lock, retry stored callbacks, then settle pending payments.",
        discussion: """
            A second run while one holds the lock exits 75 at once and says so. Example cron line (every 5 minutes): \
            */5 * * * * cd /srv/mpesa-recon && mpesa-recon run >>/var/log/mpesa-recon.log 2>&1
            """
    )

    @OptionGroup var common: CommonOptions
    @OptionGroup var settle: SettleArguments
    @Option(help: "Where today's reports go (the run writes them last).") var reportsDir = "reports"
    @Flag(help: "Skip writing today's reports.") var noReports = false

    struct Summary: Encodable {
        var callbacksApplied: Int
        var settle: SettleSummary
        var reports: [String]
    }

    func run() async throws {
        let env = try Context.environment(common)
        let options = try settle.options(env)
        guard let lock = try await RunLock.acquire(try DatabaseSettings.load(from: env)) else {
            throw CLIError(message: "another run holds the lock; nothing done", exitCode: ExitCodes.lockHeld)
        }
        let pool = try Wiring.pool(env, connections: options.concurrency + 1)
        do {
            let client = try Wiring.darajaClient(env)
            let summary = try await JobRecorder.record("run", pool: pool) {
                let applied = try await pool.withConnection { db in
                    try await CallbackProcessor.sweep(db, now: Date(), schedule: options.schedule)
                }
                try await lock.verify()
                let settled = try await SettleJob(
                    pool: pool, client: client, options: options, logger: Logger(label: "mpesa-recon.settle")
                ).run(progress: Wiring.progressPrinter("settle"))
                var files: [String] = []
                if !noReports {
                    try await lock.verify()
                    let outcome = try await pool.withConnection { db in
                        try await ReportJob.write(
                            ReportOptions(period: try .today(), outputDirectory: reportsDir), on: db,
                            logger: Logger(label: "mpesa-recon.reports"))
                    }
                    files = outcome.files.map(\.path)
                }
                return Summary(callbacksApplied: applied, settle: settled, reports: files)
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
                if let first = summary.reports.first {
                    print(
                        "reports: \(summary.reports.count) file(s) in \(URL(fileURLWithPath: first).deletingLastPathComponent().path)"
                    )
                }
            }
        } catch {
            await pool.close()
            await lock.release()
            throw error
        }
    }
}
