import Foundation
public import Logging
public import ReconCore
public import ReconPostgres
public import ReconReports

/// What `run` does, in order (ARCHITECTURE.md §6.6): retry stored callbacks, settle, reconcile, send approved refunds
/// and resolve stuck ones, then write today's reports. The caller holds the ``RunLock``; it is checked between steps.
public struct RunJob: Sendable {
    /// The steps' options.
    public struct Options: Sendable {
        public var settle: SettleOptions
        public var reconcile: ReconcileOptions
        /// `nil`: refunds are not configured here, and the refund steps are skipped.
        public var dispatch: RefundDispatchOptions?
        /// `nil`: no reports.
        public var reports: ReportOptions?
        /// Pull Transactions' windows; `nil`: no pull step (no configuration is registered for Pull here).
        public var pull: PullPolicy?

        /// Options.
        public init(
            settle: SettleOptions, reconcile: ReconcileOptions, dispatch: RefundDispatchOptions?,
            reports: ReportOptions?, pull: PullPolicy? = nil
        ) {
            self.settle = settle
            self.reconcile = reconcile
            self.dispatch = dispatch
            self.reports = reports
            self.pull = pull
        }
    }

    /// What a run did.
    public struct Summary: Sendable, Codable {
        public var callbacksApplied = 0
        public var settle = SettleSummary()
        /// C2B money held for an STK Push's receipt that this run linked or placed.
        public var c2bReleased = 0
        /// The Pull Transactions step, when it ran.
        public var pull: PullSummary?
        public var reconcile = ReconcileSummary()
        public var refunds: RefundDispatchSummary?
        public var refundsSkipped: String?
        public var reports: [String] = []
        /// Steps that could not do their work; the run exits 1 and is recorded as failed when there are any.
        public var problems: [RunProblem] = []
    }

    let pool: ConnectionPool
    let lock: RunLock
    let queries: any StkQuerying
    let configuredQueries: [Int64: any StkQuerying]
    let gateway: (any RefundGateway)?
    let options: Options
    let logger: Logger
    let clock: any ReconClock
    let pullClients: [String: any PullQuerying]

    /// A run over a pool, under a lock the caller took; every step reads the time on `clock`; `pullClients` by
    /// configuration name (`default`: MPESA_*).
    public init(
        pool: ConnectionPool, lock: RunLock, queries: any StkQuerying,
        configuredQueries: [Int64: any StkQuerying] = [:], gateway: (any RefundGateway)?, options: Options,
        logger: Logger, clock: any ReconClock = .system, pullClients: [String: any PullQuerying] = [:]
    ) {
        self.pool = pool
        self.lock = lock
        self.queries = queries
        self.configuredQueries = configuredQueries
        self.gateway = gateway
        self.options = options
        self.logger = logger
        self.clock = clock
        self.pullClients = pullClients
    }

    /// Runs every step; `progress` gets settlement progress.
    public func run(progress: (@Sendable (Int, Int) -> Void)? = nil) async throws -> Summary {
        var summary = Summary()
        let (schedule, clock) = (options.settle.schedule, clock)
        summary.callbacksApplied = try await pool.withConnection { db in
            try await CallbackProcessor.sweep(db, now: clock.now, schedule: schedule)
        }
        try await lock.verify()
        summary.settle = try await SettleJob(
            pool: pool, client: queries, configured: configuredQueries, options: options.settle, logger: logger,
            clock: clock
        ).run(progress: progress)
        if let problem = RunProblem.settle(summary.settle) { summary.problems.append(problem) }
        try await lock.verify()
        summary.c2bReleased = try await pool.withConnection { db in
            try await db.withTransaction { db in try C2BApplier.releaseHeld(db, now: clock.now) }
        }
        if let policy = options.pull {
            // After settle (STK receipts known), before reconcile (pulled payments judged in the same run).
            let pull = try await PullJob(pool: pool, clients: pullClients, policy: policy, logger: logger).run()
            summary.pull = pull
            for window in pull.windows where window.outcome == "failed" {
                summary.problems.append(
                    RunProblem(step: .pull, message: "shortcode \(window.shortcode): \(window.detail)"))
            }
            for name in pull.skipped {
                summary.problems.append(
                    RunProblem(step: .pull, message: "configuration \(name) is registered for Pull but has no client"))
            }
            try await lock.verify()
        }
        summary.reconcile = try await ReconcileJob(
            pool: pool, options: options.reconcile, logger: logger, clock: clock
        ).run()
        if let dispatch = options.dispatch, let gateway {
            try await lock.verify()
            summary.refunds = try await RefundDispatcher(
                pool: pool, gateway: gateway, options: dispatch, logger: logger, clock: clock
            ).run()
        } else {
            summary.refundsSkipped = "B2C is not configured (no MPESA_B2C_* settings)"
            let waiting = try await pool.withConnection { db in
                try await db.run { db throws(PostgresError) in try OpsStore.approvedUnsentRefunds(db) }
            }
            if waiting > 0 {
                summary.problems.append(
                    RunProblem(
                        step: .refunds,
                        message: "\(waiting) approved refund(s) cannot be sent: B2C is not configured "
                            + "(no MPESA_B2C_* settings)"))
            }
        }
        if var settings = options.reports {
            try await lock.verify()
            // Payments are reported as they stand at this moment of the run's clock.
            settings.asOf = settings.asOf ?? clock.now
            let reports = settings
            do {
                let outcome = try await pool.withConnection { db in
                    try await ReportJob.write(reports, on: db, logger: logger)
                }
                summary.reports = outcome.files.map(\.path)
            } catch {
                // The other steps' work stands; the report's failure is this run's problem, not its end.
                summary.problems.append(RunProblem(step: .reports, message: "could not be written: \(error)"))
            }
        }
        return summary
    }
}

/// A step of `run` that could not do its work: one line on stderr, exit code 1, the run recorded as failed.
public struct RunProblem: Sendable, Codable, Equatable, CustomStringConvertible {
    /// The steps of a run.
    public enum Step: String, Sendable, Codable {
        case settle
        case pull
        case refunds
        case reports
    }

    /// The step concerned.
    public var step: Step
    /// What went wrong, safe to print (no token, secret or phone number).
    public var message: String

    public var description: String { "\(step.rawValue): \(message)" }

    /// Daraja unreachable or refusing the token for every query of the run (a partial outage is retried quietly).
    public static func settle(_ summary: SettleSummary) -> RunProblem? {
        let asked = summary.claimed - summary.claimsLost
        guard asked > 0, summary.transportFailures + summary.tokenRefused == asked else { return nil }
        let last = summary.lastFailure.map { " (last: \($0))" } ?? ""
        if summary.tokenRefused == 0 {
            return RunProblem(
                step: .settle,
                message: "Daraja unreachable: transport failure on all \(asked) STK Query call(s)\(last)")
        }
        if summary.transportFailures == 0 {
            return RunProblem(
                step: .settle, message: "Daraja refused the access token for all \(asked) STK Query call(s)\(last)")
        }
        return RunProblem(
            step: .settle,
            message: "Daraja gave no answer to any of \(asked) STK Query call(s): \(summary.transportFailures) "
                + "transport failure(s), \(summary.tokenRefused) token refusal(s)\(last)")
    }
}
