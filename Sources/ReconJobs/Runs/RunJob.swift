import Foundation
public import Logging
import ReconCore
public import ReconPostgres
public import ReconReports

/// What `run` does, in order (DESIGN §6): retry stored callbacks, settle, reconcile, send approved refunds and
/// resolve stuck ones, then write today's reports. The caller holds the ``RunLock``; it is checked between steps.
public struct RunJob: Sendable {
    /// The steps' options.
    public struct Options: Sendable {
        public var settle: SettleOptions
        public var reconcile: ReconcileOptions
        /// `nil`: refunds are not configured here, and the refund steps are skipped.
        public var dispatch: RefundDispatchOptions?
        /// `nil`: no reports.
        public var reports: ReportOptions?

        /// Options.
        public init(
            settle: SettleOptions, reconcile: ReconcileOptions, dispatch: RefundDispatchOptions?,
            reports: ReportOptions?
        ) {
            self.settle = settle
            self.reconcile = reconcile
            self.dispatch = dispatch
            self.reports = reports
        }
    }

    /// What a run did.
    public struct Summary: Sendable, Codable {
        public var callbacksApplied = 0
        public var settle = SettleSummary()
        public var reconcile = ReconcileSummary()
        public var refunds: RefundDispatchSummary?
        public var refundsSkipped: String?
        public var reports: [String] = []
    }

    let pool: ConnectionPool
    let lock: RunLock
    let queries: any StkQuerying
    let gateway: (any RefundGateway)?
    let options: Options
    let logger: Logger

    /// A run over a pool, under a lock the caller took.
    public init(
        pool: ConnectionPool, lock: RunLock, queries: any StkQuerying, gateway: (any RefundGateway)?, options: Options,
        logger: Logger
    ) {
        self.pool = pool
        self.lock = lock
        self.queries = queries
        self.gateway = gateway
        self.options = options
        self.logger = logger
    }

    /// Runs every step; `progress` gets settlement progress.
    public func run(progress: (@Sendable (Int, Int) -> Void)? = nil) async throws -> Summary {
        var summary = Summary()
        let schedule = options.settle.schedule
        summary.callbacksApplied = try await pool.withConnection { db in
            try await CallbackProcessor.sweep(db, now: Date(), schedule: schedule)
        }
        try await lock.verify()
        summary.settle = try await SettleJob(
            pool: pool, client: queries, options: options.settle, logger: logger
        ).run(progress: progress)
        try await lock.verify()
        summary.reconcile = try await ReconcileJob(pool: pool, options: options.reconcile, logger: logger).run()
        if let dispatch = options.dispatch, let gateway {
            try await lock.verify()
            summary.refunds = try await RefundDispatcher(
                pool: pool, gateway: gateway, options: dispatch, logger: logger
            ).run()
        } else {
            summary.refundsSkipped = "B2C is not configured (no MPESA_B2C_* settings)"
        }
        if let reports = options.reports {
            try await lock.verify()
            let outcome = try await pool.withConnection { db in
                try await ReportJob.write(reports, on: db, logger: logger)
            }
            summary.reports = outcome.files.map(\.path)
        }
        return summary
    }
}
