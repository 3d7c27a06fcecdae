import Foundation
public import Logging
public import ReconCore
public import ReconPostgres
public import ReconReports

/// What each command does once its settings are resolved: open what it needs, run the job, close everything.
/// The CLI parses and renders; a web console or API calls the same functions.
public enum Operations {
    /// What `migrate` did and the tables it left.
    public struct Migrated: Sendable {
        public var report: MigrationReport
        public var tables: [TableRowCount]
        /// The dual-approval threshold the database now enforces, when `migrate` was given one.
        public var dualApprovalAbove: Money?
        /// The runtime role granted, when `migrate` was given one.
        public var appRole: String?
        /// The read-only role granted, when `migrate` was given one.
        public var readOnlyRole: String?
    }

    /// Applies the missing migrations, then, as the schema's owner, writes the dual-approval threshold the triggers
    /// read and grants the runtime role (both idempotent, so tables added by later migrations get their grants);
    /// counts every table's rows.
    ///
    /// A role to grant that does not exist and that this login may not create stops it before any change (the
    /// migrations would otherwise be applied and the grants fail after them).
    public static func migrate(
        _ settings: DatabaseSettings, migrations: [Migration], approvals: ApprovalSettings? = nil,
        appRole: String? = nil, readOnlyRole: String? = nil
    ) async throws -> Migrated {
        try await withConnectionPool(settings) { pool in
            try await pool.withConnection { db in
                try await db.run { db throws(PostgresError) in
                    for role in [appRole, readOnlyRole].compactMap(\.self) {
                        try EnforcementStore.checkRoleCanBeGranted(db, role: role)
                    }
                }
                let report = try await Migrator(migrations: migrations).migrate(db)
                try await db.run { db throws(PostgresError) in
                    if let approvals { try EnforcementStore.setDualApprovalAbove(db, approvals.dualApprovalAbove) }
                    if let appRole { try EnforcementStore.grantAppRole(db, role: appRole) }
                    if let readOnlyRole { try EnforcementStore.grantReadOnlyRole(db, role: readOnlyRole) }
                }
                let tables = try await db.run { db throws(PostgresError) in try SchemaStore.tableRowCounts(db) }
                return Migrated(
                    report: report, tables: tables, dualApprovalAbove: approvals?.dualApprovalAbove, appRole: appRole,
                    readOnlyRole: readOnlyRole)
            }
        }
    }

    /// Makes sure the database enforces the configured dual-approval threshold before anyone approves a refund.
    ///
    /// The owner (a deployment without a separate runtime role) writes it; the runtime role may only read it, so a
    /// difference means `migrate` ran with another `RECON_DUAL_APPROVAL_ABOVE`: refused, since Swift and the
    /// database would then disagree on which refunds need two approvers.
    public static func checkApprovalThreshold(_ pool: ConnectionPool, _ approvals: ApprovalSettings) async throws {
        let configured = approvals.dualApprovalAbove
        let enforced = try await pool.withConnection { db in
            try await db.run { db throws(PostgresError) -> Money? in
                guard let enforced = try EnforcementStore.dualApprovalAbove(db), enforced != configured else {
                    return nil
                }
                guard try EnforcementStore.maySetSettings(db) else { return enforced }
                try EnforcementStore.setDualApprovalAbove(db, configured)
                return nil
            }
        }
        if let enforced {
            throw ConfigurationError(
                variable: "RECON_DUAL_APPROVAL_ABOVE",
                problem: "differs from the threshold the database enforces (\(enforced.decimalString)): "
                    + "run `mpesa-recon migrate` as the schema owner with the same setting")
        }
    }

    /// Settles due pending payments, recorded as a `settle` job.
    public static func settle(
        _ settings: DatabaseSettings, client: any StkQuerying, configured: [Int64: any StkQuerying] = [:],
        options: SettleOptions, logger: Logger, progress: (@Sendable (Int, Int) -> Void)? = nil
    ) async throws -> SettleSummary {
        try await withConnectionPool(settings, maxConnections: options.concurrency + 1) { pool in
            try await JobRecorder.record("settle", pool: pool) {
                try await SettleJob(
                    pool: pool, client: client, configured: configured, options: options, logger: logger
                )
                .run(progress: progress)
            }
        }
    }

    /// Reconciles, recorded as a `reconcile` job.
    public static func reconcile(
        _ settings: DatabaseSettings, options: ReconcileOptions, logger: Logger
    ) async throws -> ReconcileSummary {
        try await withConnectionPool(settings, maxConnections: 2) { pool in
            try await JobRecorder.record("reconcile", pool: pool) {
                try await ReconcileJob(pool: pool, options: options, logger: logger).run()
            }
        }
    }

    /// Applies stored callbacks (B2C results may wait there), then sends approved refunds and resolves stuck ones,
    /// recorded as a `refunds-send` job.
    ///
    /// `afterStep` is called at the points of a send where a crash matters; only the "never twice" tests' harness
    /// passes one.
    public static func sendRefunds(
        _ settings: DatabaseSettings, gateway: any RefundGateway, schedule: RetrySchedule,
        options: RefundDispatchOptions, logger: Logger,
        afterStep: (@Sendable (RefundDispatchStep, Int64) -> Void)? = nil
    ) async throws -> RefundDispatchSummary {
        try await withConnectionPool(settings, maxConnections: 2) { pool in
            try await JobRecorder.record("refunds-send", pool: pool) {
                _ = try await pool.withConnection { db in
                    try await CallbackProcessor.sweep(db, now: Date(), schedule: schedule)
                }
                return try await RefundDispatcher(
                    pool: pool, gateway: gateway, options: options, logger: logger, afterStep: afterStep
                ).run()
            }
        }
    }

    /// What cron calls: under the run lock, the whole `run` job, recorded as a `run` job.
    ///
    /// Throws a ``ReconAppError`` coded `lockHeld` at once when another run holds the lock.
    public static func run(
        _ settings: DatabaseSettings, queries: any StkQuerying, configuredQueries: [Int64: any StkQuerying] = [:],
        gateway: (any RefundGateway)?, options: RunJob.Options, logger: Logger,
        pullClients: [String: any PullQuerying] = [:], progress: (@Sendable (Int, Int) -> Void)? = nil
    ) async throws -> RunJob.Summary {
        guard let lock = try await RunLock.acquire(settings) else {
            throw ReconAppError(.lockHeld, "another run holds the lock; nothing done")
        }
        do {
            let summary = try await withConnectionPool(settings, maxConnections: options.settle.concurrency + 1) {
                pool in
                try await JobRecorder.record("run", pool: pool) {
                    try await RunJob(
                        pool: pool, lock: lock, queries: queries, configuredQueries: configuredQueries,
                        gateway: gateway,
                        options: options, logger: logger, pullClients: pullClients
                    ).run(progress: progress)
                }
            }
            await lock.release()
            return summary
        } catch {
            await lock.release()
            throw error
        }
    }

    /// Writes a period's report.
    public static func report(
        _ settings: DatabaseSettings, options: ReportOptions, logger: Logger,
        progress: (@Sendable (ReportProgress) -> Void)? = nil
    ) async throws -> ReportOutcome {
        // Two connections: the second runs the Summary's queries in the same snapshot while the first streams rows.
        try await withConnectionPool(settings, maxConnections: 2) { pool in
            try await pool.withConnection { db in
                try await pool.withConnection { summary in
                    try await ReportJob.write(
                        options, on: db, summaryConnection: summary, logger: logger, progress: progress)
                }
            }
        }
    }
}
