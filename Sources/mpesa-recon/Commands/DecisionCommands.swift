import ArgumentParser
import ReconApp
import ReconCore
import ReconPostgres
import ReconPresentation

/// Runs `body` with the decision desk over a small pool closed on every path; a refusal exits 2 with its message.
func withDecisionDesk<T>(
    _ env: Environment, settings: ApprovalSettings, _ body: (DecisionDesk) async throws -> T
) async throws -> T {
    let schedule = try RetrySchedule.load(from: env)
    return try await withConnectionPool(try Context.database(env)) { pool in
        try await refusing { try await body(DecisionDesk(pool: pool, settings: settings, schedule: schedule)) }
    }
}

struct ExceptionsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "exceptions",
        abstract: "Review reconciliation exceptions and resolve them with a note.",
        discussion: """
            Tables fit 80 columns (long text cut with …; --wide shows every cell whole); times in EAT. Resolving \
            takes --by EMAIL, an active account with the admin role (mpesa-recon users); reconcile never reopens what \
            a person resolved.
            """,
        subcommands: [ListExceptions.self, ShowException.self, ResolveException.self]
    )
}

struct ListExceptions: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "Exceptions, newest first.")

    @OptionGroup var common: CommonOptions
    @Option(help: "Only this kind (e.g. underpaid, unresolved, paid_not_enrolled).") var kind: String?
    @Option(help: "open or resolved.") var status: String?
    @Option(help: "At most this many.") var limit = 200
    @Flag(help: "Show every cell whole (wider than 80 columns).") var wide = false

    func run() async throws {
        let env = try Context.environment(common, needs: [.database, .approvals, .schedule])
        let records = try await withDecisionDesk(env, settings: try ApprovalSettings.load(from: env)) { desk in
            try await desk.exceptions(kind: kind, status: status, limit: limit)
        }
        try Context.show(ExceptionListView(exceptions: records.map(ExceptionView.init), wide: wide), json: common.json)
    }
}

struct ShowException: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "show", abstract: "One exception in full.")

    @OptionGroup var common: CommonOptions
    @Argument(help: "The exception's id.") var id: Int64

    func run() async throws {
        let env = try Context.environment(common, needs: [.database, .approvals, .schedule])
        let record = try await withDecisionDesk(env, settings: try ApprovalSettings.load(from: env)) { desk in
            try await desk.exception(id)
        }
        try Context.show(ExceptionDetailView(exception: ExceptionView(record)), json: common.json)
    }
}

struct ResolveException: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "resolve", abstract: "Resolve an open exception as an admin's decision, with a note.")

    @OptionGroup var common: CommonOptions
    @Argument(help: "The exception's id.") var id: Int64
    @Option(help: "What was decided and why.") var note: String
    @Option(help: "Your email: an active account with the admin role.") var by: String

    func run() async throws {
        let env = try Context.environment(common, needs: [.database, .approvals, .schedule])
        let record = try await withDecisionDesk(env, settings: try adminSettings(env)) { desk in
            try await desk.resolveException(id, note: note, who: .email(by), via: .cli, origin: osUser())
        }
        try Context.show(ExceptionDetailView(exception: ExceptionView(record)), json: common.json)
    }
}

struct PaymentsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "payments",
        abstract: "Look payments up and decide unknown ones (two admins, like refunds).",
        discussion: """
            Phones are always masked. `decide` works on an unknown payment only: the first admin proposes --paid \
            RECEIPT or --not-paid, a different admin confirms the same decision, and only then does the payment \
            change (through the payment state machine, settled via admin; a paid learner is enrolled). A different \
            decision replaces the open proposal and needs its own confirmation.
            """,
        subcommands: [ShowPayment.self, SearchPayments.self, DecidePayment.self]
    )
}

struct ShowPayment: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "show", abstract: "One payment by id, --receipt or --checkout.")

    @OptionGroup var common: CommonOptions
    @Argument(help: "The payment's id.") var id: Int64?
    @Option(help: "The M-Pesa receipt.") var receipt: String?
    @Option(help: "The CheckoutRequestID.") var checkout: String?

    func validate() throws {
        guard [id != nil, receipt != nil, checkout != nil].filter(\.self).count == 1 else {
            throw ValidationError("give exactly one of ID, --receipt or --checkout")
        }
    }

    func run() async throws {
        let env = try Context.environment(common, needs: [.database, .approvals, .schedule])
        let found = try await withDecisionDesk(env, settings: try ApprovalSettings.load(from: env)) { desk in
            try await desk.payment(id: id, receipt: receipt, checkoutRequestID: checkout)
        }
        try Context.show(PaymentDetailView(payment: PaymentView(found)), json: common.json)
    }
}

struct SearchPayments: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "search",
        abstract: "Payments whose receipt, CheckoutRequestID, learner, email or course contains Q, or whose phone "
            + "ends with Q's digits.")

    @OptionGroup var common: CommonOptions
    @Argument(help: "What to look for (at least 3 characters).") var query: String
    @Option(help: "At most this many.") var limit = 50
    @Flag(help: "Show every cell whole (wider than 80 columns).") var wide = false

    func run() async throws {
        let env = try Context.environment(common, needs: [.database, .approvals, .schedule])
        let found = try await withDecisionDesk(env, settings: try ApprovalSettings.load(from: env)) { desk in
            try await desk.searchPayments(query, limit: limit)
        }
        try Context.show(PaymentListView(payments: found.map(PaymentView.init), wide: wide), json: common.json)
    }
}

struct DecidePayment: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "decide", abstract: "Decide an unknown payment: paid (with its receipt) or not paid; two admins.")

    @OptionGroup var common: CommonOptions
    @Argument(help: "The payment's id.") var id: Int64
    @Option(help: "M-Pesa took the money: its receipt number.") var paid: String?
    @Flag(help: "M-Pesa did not take the money.") var notPaid = false
    @Option(help: "Your email: an active account with the admin role.") var by: String

    func validate() throws {
        guard (paid != nil) != notPaid else {
            throw ValidationError("give exactly one of --paid RECEIPT or --not-paid")
        }
    }

    func run() async throws {
        let env = try Context.environment(common, needs: [.database, .approvals, .schedule])
        let verdict: PaymentVerdict = paid.map { .paid(receipt: $0.trimmingSpaces().uppercased()) } ?? .notPaid
        let decided = try await withDecisionDesk(env, settings: try adminSettings(env)) { desk in
            try await desk.decide(paymentID: id, verdict: verdict, who: .email(by), via: .cli, origin: osUser())
        }
        try Context.show(PaymentDecisionView(decided: decided), json: common.json)
    }
}
