import ArgumentParser
import Foundation
import Logging
import ReconCore
import ReconJobs
import ReconPostgres

#if canImport(Glibc)
    import Glibc
#endif

struct RefundsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "refunds",
        abstract: "Review, approve and send refunds (maker-checker; B2C that never pays twice).",
        discussion: """
            proposed -> approved | rejected, then sending -> sent -> succeeded | failed. Every admin action takes \
            --by NAME, a name listed in RECON_ADMINS; the approver must differ from the proposer, and refunds above \
            RECON_DUAL_APPROVAL_ABOVE (default KES 10,000) need two different approvers. The database refuses refunds \
            of a payment that would exceed what it paid. A refused action exits 2 and says why.
            """,
        subcommands: [
            ListRefunds.self, ShowRefund.self, ProposeRefund.self, ApproveRefund.self, RejectRefund.self,
            SendRefunds.self,
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

/// Admin settings for actions that need them: an empty RECON_ADMINS is a configuration error.
func adminSettings(_ env: Environment) throws -> ApprovalSettings {
    let settings = try ApprovalSettings.load(from: env)
    guard !settings.admins.isEmpty else {
        throw ConfigurationError(variable: "RECON_ADMINS", problem: "is empty: no one may act on refunds")
    }
    return settings
}

/// Parses `--amount` as KES.
func parseAmount(_ text: String) throws -> Money {
    do {
        return try Money.parse(text)
    } catch {
        throw CLIError(message: "--amount: \(error.description)", exitCode: ExitCodes.usage)
    }
}

/// Prints refunds as a table or JSON.
enum RefundOutput {
    static func table(_ refunds: [RefundView]) -> String {
        let header = ["ID", "PAYMENT", "AMOUNT", "STATUS", "PROPOSED BY", "APPROVED BY", "PHONE", "REASON"]
        let rows = refunds.map { refund in
            [
                String(refund.id), String(refund.paymentID), refund.amount, refund.status, refund.proposedBy,
                [refund.approvedBy, refund.secondApprovedBy].compactMap(\.self).joined(separator: "+")
                    + (refund.status == "proposed" && refund.needsTwoApprovers ? " (needs 2)" : ""),
                refund.phone, String(refund.reason.prefix(48)),
            ]
        }
        var widths = header.map(\.count)
        for row in rows {
            for (index, cell) in row.enumerated() { widths[index] = max(widths[index], cell.count) }
        }
        func line(_ cells: [String]) -> String {
            cells.enumerated().map { index, cell in
                index == cells.count - 1 ? cell : cell.padding(toLength: widths[index], withPad: " ", startingAt: 0)
            }.joined(separator: "  ")
        }
        return ([line(header)] + rows.map(line)).joined(separator: "\n")
    }

    static func detail(_ refund: RefundView) -> String {
        var lines = [
            "refund \(refund.id): \(refund.status), KES \(refund.amount) of payment \(refund.paymentID) to \(refund.phone)",
            "  reason: \(refund.reason)",
            "  proposed by \(refund.proposedBy) at \(stamp(refund.proposedAt))",
        ]
        if let by = refund.approvedBy {
            lines.append("  approved by \(by) at \(refund.approvedAt.map(stamp) ?? "?")")
        }
        if let by = refund.secondApprovedBy {
            lines.append("  second approval by \(by) at \(refund.secondApprovedAt.map(stamp) ?? "?")")
        } else if refund.needsTwoApprovers && refund.status == "proposed" {
            lines.append("  needs two different approvers (above RECON_DUAL_APPROVAL_ABOVE)")
        }
        if let by = refund.rejectedBy {
            lines.append("  rejected by \(by): \(refund.rejectedReason ?? "")")
        }
        if let exception = refund.exceptionID { lines.append("  finding: reconciliation exception \(exception)") }
        if let id = refund.originatorConversationID {
            lines.append(
                "  OriginatorConversationID \(id), \(refund.sendAttempts) send(s), \(refund.statusChecks) status check(s)"
            )
        }
        if let id = refund.conversationID { lines.append("  ConversationID \(id)") }
        if let receipt = refund.receipt { lines.append("  M-Pesa receipt \(receipt)") }
        if let code = refund.resultCode { lines.append("  result \(code) \(refund.resultDescription ?? "")") }
        if let note = refund.note { lines.append("  note: \(note)") }
        return lines.joined(separator: "\n")
    }

    static func stamp(_ date: Date) -> String {
        ISO8601DateFormatter().string(from: date)
    }

    static func print(_ refund: RefundView, json: Bool) throws {
        if json {
            try Context.printJSON(refund)
        } else {
            Swift.print(detail(refund))
        }
    }
}

struct ListRefunds: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "List refunds, newest first.")

    @OptionGroup var common: CommonOptions
    @Option(
        help: "Only refunds in this status (proposed, approved, rejected, sending, sent, succeeded, failed, unknown).")
    var status: String?
    @Option(help: "At most this many.") var limit = 100

    func run() async throws {
        let env = try Context.environment(common)
        var wanted: RefundStatus?
        if let status {
            guard let parsed = RefundStatus(rawValue: status) else {
                throw CLIError(message: "--status: '\(status)' is not a refund status", exitCode: ExitCodes.usage)
            }
            wanted = parsed
        }
        guard limit >= 1 else { throw CLIError(message: "--limit must be positive", exitCode: ExitCodes.usage) }
        let pool = try Wiring.pool(env, connections: 1)
        let refunds: [RefundView]
        do {
            refunds = try await RefundDesk(pool: pool, settings: try ApprovalSettings.load(from: env))
                .list(status: wanted, limit: limit)
            await pool.close()
        } catch {
            await pool.close()
            throw error
        }
        if common.json {
            try Context.printJSON(refunds)
        } else if refunds.isEmpty {
            print("no refunds")
        } else {
            print(RefundOutput.table(refunds))
        }
    }
}

struct ShowRefund: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "show", abstract: "Show one refund.")

    @OptionGroup var common: CommonOptions
    @Argument(help: "The refund's id.") var id: Int64

    func run() async throws {
        let env = try Context.environment(common)
        let pool = try Wiring.pool(env, connections: 1)
        do {
            let refund = try await refusing {
                try await RefundDesk(pool: pool, settings: try ApprovalSettings.load(from: env)).show(id)
            }
            await pool.close()
            try RefundOutput.print(refund, json: common.json)
        } catch {
            await pool.close()
            throw error
        }
    }
}

struct ProposeRefund: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "propose", abstract: "Propose a refund of a completed payment (an admin other than you approves).")

    @OptionGroup var common: CommonOptions
    @Option(help: "The payment's id.") var payment: Int64
    @Option(help: "Amount in KES, whole shillings.") var amount: String
    @Option(help: "Why the learner gets money back.") var reason: String
    @Option(help: "Your name, as listed in RECON_ADMINS.") var by: String

    func run() async throws {
        let env = try Context.environment(common)
        let money = try parseAmount(amount)
        let settings = try adminSettings(env)
        let pool = try Wiring.pool(env, connections: 1)
        do {
            let refund = try await refusing {
                try await RefundDesk(pool: pool, settings: settings)
                    .propose(paymentID: payment, amount: money, reason: reason, by: by)
            }
            await pool.close()
            try RefundOutput.print(refund, json: common.json)
        } catch {
            await pool.close()
            throw error
        }
    }
}

struct ApproveRefund: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "approve", abstract: "Approve a proposed refund (not your own; large ones need two approvers).")

    @OptionGroup var common: CommonOptions
    @Argument(help: "The refund's id.") var id: Int64
    @Option(help: "Your name, as listed in RECON_ADMINS.") var by: String

    func run() async throws {
        let env = try Context.environment(common)
        let settings = try adminSettings(env)
        let pool = try Wiring.pool(env, connections: 1)
        do {
            let refund = try await refusing { try await RefundDesk(pool: pool, settings: settings).approve(id, by: by) }
            await pool.close()
            try RefundOutput.print(refund, json: common.json)
        } catch {
            await pool.close()
            throw error
        }
    }
}

struct RejectRefund: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reject", abstract: "Reject a proposed refund, with a reason; nothing is sent.")

    @OptionGroup var common: CommonOptions
    @Argument(help: "The refund's id.") var id: Int64
    @Option(help: "Your name, as listed in RECON_ADMINS.") var by: String
    @Option(help: "Why it is rejected.") var reason: String

    func run() async throws {
        let env = try Context.environment(common)
        let settings = try adminSettings(env)
        let pool = try Wiring.pool(env, connections: 1)
        do {
            let refund = try await refusing {
                try await RefundDesk(pool: pool, settings: settings).reject(id, by: by, reason: reason)
            }
            await pool.close()
            try RefundOutput.print(refund, json: common.json)
        } catch {
            await pool.close()
            throw error
        }
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

    /// A hidden hook for the "never twice" tests: `RECON_TEST_CRASH_AFTER=sending|b2c` kills the process (SIGKILL)
    /// right after that step of the first send. Read from the real environment only, never from `.env`.
    static func crashHook() -> (@Sendable (RefundDispatchStep, Int64) -> Void)? {
        guard let text = ProcessInfo.processInfo.environment["RECON_TEST_CRASH_AFTER"],
            let step = RefundDispatchStep(rawValue: text)
        else { return nil }
        return { reached, _ in
            if reached == step { kill(getpid(), SIGKILL) }
        }
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
        let env = try Context.environment(common)
        let options = try dispatch.options()
        let client = try Wiring.darajaClient(env, b2c: true)
        let schedule = try RetrySchedule.load(from: env)
        let pool = try Wiring.pool(env, connections: 2)
        do {
            let summary = try await JobRecorder.record("refunds-send", pool: pool) {
                _ = try await pool.withConnection { db in
                    try await CallbackProcessor.sweep(db, now: Date(), schedule: schedule)
                }
                return try await RefundDispatcher(
                    pool: pool, gateway: client, options: options, logger: Logger(label: "mpesa-recon.refunds"),
                    afterStep: DispatchArguments.crashHook()
                ).run()
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

    static func describe(_ s: RefundDispatchSummary) -> String {
        "refunds: \(s.claimed) sent (\(s.resent) resent with the same id): \(s.accepted) accepted, "
            + "\(s.alreadyAccepted) already accepted, \(s.refused) refused, \(s.throttled) throttled, "
            + "\(s.uncertain) uncertain; \(s.statusChecks) status check(s) asked, \(s.statusCheckFailures) failed, "
            + "\(s.handedToPerson) handed to a person"
    }
}
