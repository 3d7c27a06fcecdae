import ArgumentParser
import Foundation
import Logging
import ReconCore
import ReconJobs
import ReconPostgres

/// Options of reconciliation, shared by `reconcile` and `run`.
struct ReconcileArguments: ParsableArguments {
    @Option(help: "Seconds a callback may stay unclaimed before it becomes an unmatched_callback finding.")
    var callbackGrace = 900

    func options() throws -> ReconcileOptions {
        guard callbackGrace >= 0 else {
            throw CLIError(message: "--callback-grace must not be negative", exitCode: ExitCodes.usage)
        }
        return ReconcileOptions(callbackGraceSeconds: callbackGrace)
    }
}

struct ReconcileCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reconcile",
        abstract: "Match completed payments against enrollments and course prices; record every mismatch.",
        discussion: """
            Each finding is a reconciliation_exceptions row under a stable key: re-running never duplicates it, and a \
            finding that no longer holds is resolved with a time. Kinds: paid_not_enrolled (the learner is enrolled, \
            or refunded in full when the course is inactive), enrolled_not_paid, duplicate_payment (refunded), \
            overpaid (the excess refunded), underpaid (held for a decision), receipt_conflict, late_success, \
            unresolved, unmatched_callback. Refunds are only proposed, by 'mpesa-recon': an admin approves them.
            """
    )

    @OptionGroup var common: CommonOptions
    @OptionGroup var reconcile: ReconcileArguments

    func run() async throws {
        let env = try Context.environment(common)
        let options = try reconcile.options()
        let pool = try Wiring.pool(env, connections: 2)
        do {
            let summary = try await JobRecorder.record("reconcile", pool: pool) {
                try await ReconcileJob(pool: pool, options: options, logger: Logger(label: "mpesa-recon.reconcile"))
                    .run()
            }
            await pool.close()
            if common.json {
                try Context.printJSON(summary)
            } else {
                print(Self.describe(summary))
            }
        } catch {
            await pool.close()
            throw error
        }
    }

    static func describe(_ s: ReconcileSummary) -> String {
        let kinds = s.findings.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
        return "reconcile: \(s.pairsJudged) pair(s) and \(s.callbacksJudged) callback(s) judged; "
            + "findings: \(kinds.isEmpty ? "none" : kinds); \(s.opened) new, \(s.resolved) resolved, "
            + "\(s.enrolled) enrolled, \(s.refundsProposed) refund(s) proposed in \(s.elapsedMilliseconds) ms"
    }
}
