import ArgumentParser
import Logging
import ReconApp
import ReconCore
import ReconPresentation

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
            unresolved, unmatched_callback. Amounts are confirmed money only: the statement's line for a payment, \
            else the amount pushed, never a callback's Amount alone; refunds go to the number pushed to. Refunds are \
            only proposed, by 'mpesa-recon': an admin approves them.
            """
    )

    @OptionGroup var common: CommonOptions
    @OptionGroup var reconcile: ReconcileArguments

    func run() async throws {
        let env = try Context.environment(common, needs: [.database])
        let summary = try await Operations.reconcile(
            try Context.database(env), options: try reconcile.options(), logger: Logger(label: "mpesa-recon.reconcile"))
        try Context.show(ReconcileView(summary: summary), json: common.json)
    }
}
