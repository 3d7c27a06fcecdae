import ArgumentParser
import Foundation
import Logging
import ReconApp
import ReconCore
import ReconPresentation

struct RefundsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "refunds",
        abstract: "Review, approve and send refunds (maker-checker; B2C that never pays twice).",
        discussion: """
            proposed -> approved | rejected, then sending -> sent -> succeeded | failed. Every admin action takes \
            --by EMAIL, an active account with the admin role (mpesa-recon users); the approver must differ from the \
            proposer (the database refuses it too), the decision records the account and the OS user, and refunds above \
            RECON_DUAL_APPROVAL_ABOVE (default KES 10,000) need two different approvers. The database refuses refunds \
            of a payment that would exceed what it paid. A refused action exits 2 and says why.
            """,
        subcommands: [
            ListRefunds.self, ShowRefund.self, ProposeRefund.self, ApproveRefund.self, RejectRefund.self,
            CancelRefund.self, SendRefunds.self,
        ]
    )
}

/// Runs a refund action and turns a refusal into a usage error (exit 2) with its own message.
func refusing<T>(_ body: () async throws -> T) async throws -> T {
    do {
        return try await body()
    } catch let refusal as RefundRefusal {
        throw CLIError(message: refusal.message, exitCode: ExitCodes.usage)
    }
}

/// Approval settings for admin actions; who may act is decided by accounts (`mpesa-recon users`).
func adminSettings(_ env: Environment) throws -> ApprovalSettings {
    try ApprovalSettings.load(from: env)
}

/// The operating-system user running the command, recorded with every CLI decision.
func osUser() -> String? {
    let env = ProcessInfo.processInfo.environment
    return env["SUDO_USER"].map { "\($0) (sudo)" } ?? env["USER"] ?? env["LOGNAME"]
}

/// Parses `--amount` as KES.
func parseAmount(_ text: String) throws -> Money {
    do {
        return try Money.parse(text)
    } catch {
        throw CLIError(message: "--amount: \(error.description)", exitCode: ExitCodes.usage)
    }
}

/// Runs `body` with the refund desk over a one-connection pool that is closed on every path.
func withRefundDesk<T>(
    _ env: Environment, settings: ApprovalSettings, _ body: (RefundDesk) async throws -> T
) async throws -> T {
    try await withConnectionPool(try Context.database(env)) { pool in
        try await Operations.checkApprovalThreshold(pool, settings)
        return try await refusing { try await body(RefundDesk(pool: pool, settings: settings)) }
    }
}

struct ListRefunds: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "List refunds, newest first.")

    @OptionGroup var common: CommonOptions
    @Option(
        help: "Only refunds in this status (proposed, approved, rejected, sending, sent, succeeded, failed, unknown).")
    var status: String?
    @Option(help: "At most this many.") var limit = 100
    @Flag(help: "Show every cell whole instead of fitting the table into 80 columns.") var wide = false

    func run() async throws {
        let env = try Context.environment(common, needs: [.database, .approvals])
        var wanted: RefundStatus?
        if let status {
            guard let parsed = RefundStatus(rawValue: status) else {
                throw CLIError(message: "--status: '\(status)' is not a refund status", exitCode: ExitCodes.usage)
            }
            wanted = parsed
        }
        guard limit >= 1 else { throw CLIError(message: "--limit must be positive", exitCode: ExitCodes.usage) }
        let refunds = try await withRefundDesk(env, settings: try ApprovalSettings.load(from: env)) { desk in
            try await desk.list(status: wanted, limit: limit)
        }
        try Context.show(RefundListView(refunds: refunds, wide: wide), json: common.json)
    }
}

struct ShowRefund: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "show", abstract: "Show one refund.")

    @OptionGroup var common: CommonOptions
    @Argument(help: "The refund's id.") var id: Int64

    func run() async throws {
        let env = try Context.environment(common, needs: [.database, .approvals])
        let refund = try await withRefundDesk(env, settings: try ApprovalSettings.load(from: env)) { desk in
            try await desk.show(id)
        }
        try Context.show(RefundDetailView(refund: refund), json: common.json)
    }
}

struct ProposeRefund: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "propose", abstract: "Propose a refund of a completed payment (an admin other than you approves).")

    @OptionGroup var common: CommonOptions
    @Option(help: "The payment's id.") var payment: Int64
    @Option(help: "Amount in KES, whole shillings.") var amount: String
    @Option(help: "Why the learner gets money back.") var reason: String
    @Option(help: "Your email: an active account with the admin role.") var by: String

    func run() async throws {
        let env = try Context.environment(common, needs: [.database, .approvals])
        let money = try parseAmount(amount)
        let settings = try adminSettings(env)
        let refund = try await withRefundDesk(env, settings: settings) { desk in
            try await desk.propose(
                paymentID: payment, amount: money, reason: reason, by: by, via: .cli, origin: osUser())
        }
        try Context.show(RefundDetailView(refund: refund), json: common.json)
    }
}

struct ApproveRefund: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "approve", abstract: "Approve a proposed refund (not your own; large ones need two approvers).")

    @OptionGroup var common: CommonOptions
    @Argument(help: "The refund's id.") var id: Int64
    @Option(help: "Your email: an active account with the admin role.") var by: String

    func run() async throws {
        let env = try Context.environment(common, needs: [.database, .approvals])
        let settings = try adminSettings(env)
        let refund = try await withRefundDesk(env, settings: settings) { desk in
            try await desk.approve(id, by: by, via: .cli, origin: osUser())
        }
        try Context.show(RefundDetailView(refund: refund), json: common.json)
    }
}

struct RejectRefund: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reject", abstract: "Reject a proposed refund, with a reason; nothing is sent.")

    @OptionGroup var common: CommonOptions
    @Argument(help: "The refund's id.") var id: Int64
    @Option(help: "Your email: an active account with the admin role.") var by: String
    @Option(help: "Why it is rejected.") var reason: String

    func run() async throws {
        let env = try Context.environment(common, needs: [.database, .approvals])
        let settings = try adminSettings(env)
        let refund = try await withRefundDesk(env, settings: settings) { desk in
            try await desk.reject(id, by: by, reason: reason, via: .cli, origin: osUser())
        }
        try Context.show(RefundDetailView(refund: refund), json: common.json)
    }
}

struct CancelRefund: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cancel", abstract: "Cancel an approved refund that has not been sent yet; nothing is sent.")

    @OptionGroup var common: CommonOptions
    @Argument(help: "The refund's id.") var id: Int64
    @Option(help: "Your email: an active admin account (not the proposer).") var by: String
    @Option(help: "Why it is cancelled.") var reason: String?

    func run() async throws {
        let env = try Context.environment(common, needs: [.database, .approvals])
        let settings = try adminSettings(env)
        let refund = try await withRefundDesk(env, settings: settings) { desk in
            try await desk.cancel(id, by: by, reason: reason, via: .cli, origin: osUser())
        }
        try Context.show(RefundDetailView(refund: refund), json: common.json)
    }
}

/// Options of refund dispatch, shared by `refunds send` and `run`.
struct DispatchArguments: ParsableArguments {
    @Option(help: "Send at most this many refunds.") var sendLimit = 100
    @Option(help: "Seconds after a send before a refund without a result is checked with Transaction Status.")
    var stuckAfter = 900
    @Option(help: "Seconds to wait for a Transaction Status answer before asking again.") var recheckAfter = 600
    @Option(help: "Status checks without a verdict before the refund is handed to a person.") var maxStatusChecks = 6

    func options() throws -> RefundDispatchOptions {
        guard sendLimit >= 1, stuckAfter >= 0, recheckAfter >= 0, maxStatusChecks >= 1 else {
            throw CLIError(
                message: "--send-limit and --max-status-checks must be positive, --stuck-after and --recheck-after "
                    + "not negative", exitCode: ExitCodes.usage)
        }
        return RefundDispatchOptions(
            sendLimit: sendLimit, stuckAfterSeconds: stuckAfter, recheckAfterSeconds: recheckAfter,
            maxStatusChecks: maxStatusChecks)
    }
}

struct SendRefunds: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "send",
        abstract: "Send approved refunds through B2C and resolve stuck ones with Transaction Status.",
        discussion: """
            Each refund is marked sending with a fresh OriginatorConversationID, committed before the B2C call. A \
            refund left sending or sent (a crash, a lost result, a queue timeout) is never sent again blind: \
            Transaction Status is asked, and only when M-Pesa does not know the id is it sent again, with the same \
            id. Results arrive at the callback endpoint (mpesa-recon serve). Needs the MPESA_B2C_* settings.
            """
    )

    @OptionGroup var common: CommonOptions
    @OptionGroup var dispatch: DispatchArguments

    func run() async throws {
        let env = try Context.environment(common, needs: [.database, .daraja, .b2c, .schedule])
        let options = try dispatch.options()
        let client = try Wiring.darajaClient(env, b2c: true)
        let schedule = try RetrySchedule.load(from: env)
        let summary = try await Operations.sendRefunds(
            try Context.database(env), gateway: client, schedule: schedule, options: options,
            logger: Logger(label: "mpesa-recon.refunds"))
        try Context.show(RefundDispatchView(summary: summary), json: common.json)
    }
}
