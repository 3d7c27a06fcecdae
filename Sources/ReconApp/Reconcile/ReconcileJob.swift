import Daraja
public import Foundation
public import Logging
public import ReconCore
public import ReconPostgres

/// How a reconcile run behaves.
public struct ReconcileOptions: Sendable {
    /// A callback nobody claims for this long becomes an `unmatched_callback` finding.
    public var callbackGraceSeconds: Int
    /// Findings written per statement.
    public var batchSize: Int

    /// Defaults: 15 minutes of grace, batches of 5000.
    public init(callbackGraceSeconds: Int = 900, batchSize: Int = 5000) {
        self.callbackGraceSeconds = callbackGraceSeconds
        self.batchSize = batchSize
    }
}

/// What a reconcile run found and did.
public struct ReconcileSummary: Sendable, Codable, Equatable {
    /// Learner-course pairs the SQL handed to the rules.
    public var pairsJudged = 0
    /// Stale callbacks judged.
    public var callbacksJudged = 0
    /// Open findings by kind, as this run saw them (including the ones it then fixed at once).
    public var findings: [String: Int] = [:]
    /// Findings recorded for the first time by this run.
    public var opened = 0
    /// Findings that no longer hold, resolved by this run.
    public var resolved = 0
    /// Learners enrolled (automatic fixes, recorded and resolved).
    public var enrolled = 0
    /// Refunds proposed by the system, waiting for an admin.
    public var refundsProposed = 0
    /// Refund proposals the database refused (they would over-refund); left to a person.
    public var refundsRefused = 0
    public var elapsedMilliseconds = 0
    /// The statement step: M-Pesa's statement lines against our payments and refunds.
    public var statement = StatementMatchSummary()

    /// An empty summary.
    public init() {}
}

/// Reconciles completed payments against enrollments and course prices (ARCHITECTURE.md §6.3): set-based SQL
/// gathers candidates, ``ReconcileRules`` judges them, and each finding is an exception under a stable key.
///
/// One transaction (serialised against other reconcile runs) records the findings, makes the automatic fixes and
/// resolves what no longer holds; refunds are then proposed one by one, so that one the database refuses (it
/// would over-refund) costs nothing else. Re-running changes nothing but `last_seen`.
public struct ReconcileJob: Sendable {
    let pool: ConnectionPool
    let options: ReconcileOptions
    let logger: Logger
    let clock: any ReconClock

    /// A job over a connection pool; its findings are dated on `clock`.
    public init(
        pool: ConnectionPool, options: ReconcileOptions = ReconcileOptions(), logger: Logger,
        clock: any ReconClock = .system
    ) {
        self.pool = pool
        self.options = options
        self.logger = logger
        self.clock = clock
    }

    /// Runs once, as of `now` (the clock's time when `nil`).
    public func run(now: Date? = nil) async throws -> ReconcileSummary {
        let started = clock.now
        let now = now ?? started
        let options = self.options
        let (recorded, proposals) = try await pool.withConnection { db in
            try await db.withTransaction { db in try Self.judgeAndRecord(db, now: now, options: options) }
        }
        var summary = recorded
        // In batches (one transaction each); a batch the database refuses (one proposal would over-refund) is
        // retried one by one, so the refusal costs nothing else.
        var start = 0
        while start < proposals.count {
            let batch = Array(proposals[start..<min(start + options.batchSize, proposals.count)])
            start += options.batchSize
            do {
                summary.refundsProposed += try await pool.withConnection { db in
                    try await db.withTransaction { db in try ReconcileStore.proposeRefunds(db, batch, now: now) }
                }
            } catch let error as PostgresError where error.constraint == "refunds_within_payment_amount" {
                for proposal in batch { try await proposeOne(proposal, now: now, summary: &summary) }
            }
        }
        summary.elapsedMilliseconds = Int(clock.now.timeIntervalSince(started) * 1000)
        return summary
    }

    private func proposeOne(
        _ proposal: ReconcileStore.RefundProposal, now: Date, summary: inout ReconcileSummary
    ) async throws {
        do {
            summary.refundsProposed += try await pool.withConnection { db in
                try await db.withTransaction { db in try ReconcileStore.proposeRefunds(db, [proposal], now: now) }
            }
        } catch let error as PostgresError where error.constraint == "refunds_within_payment_amount" {
            summary.refundsRefused += 1
            logger.warning(
                "refund proposal refused by the database: it would over-refund the payment",
                metadata: ["recon.payment_id": "\(proposal.paymentID)"])
        }
    }

    static func judgeAndRecord(
        _ db: isolated PostgresConnection, now: Date, options: ReconcileOptions
    ) throws -> (ReconcileSummary, [ReconcileStore.RefundProposal]) {
        var summary = ReconcileSummary()
        try ReconcileStore.begin(db)
        var findings: [ReconcileFinding] = []
        try ReconcileStore.candidatePairs(db) { pair in
            summary.pairsJudged += 1
            findings += ReconcileRules.judge(pair)
        }
        let stale = try staleCallbackFacts(
            db, cutoff: now.addingTimeInterval(-TimeInterval(options.callbackGraceSeconds)))
        summary.callbacksJudged = stale.count
        for callback in stale { findings += ReconcileRules.judge(callback) }

        // One row per key: two stale copies of one callback name the same receipt.
        var seen = Set<FindingKey>()
        findings = findings.filter { seen.insert($0.key).inserted }

        let rows = try ReconcileStore.upsert(db, findings: findings, stamp: now, batchSize: options.batchSize)
        summary.opened = rows.values.filter(\.inserted).count
        var enrollments: [(paymentID: Int64, exceptionID: Int64)] = []
        var proposals: [ReconcileStore.RefundProposal] = []
        for finding in findings {
            // A finding a person already decided (its refund rejected) stays closed and asks for nothing.
            guard let row = rows[finding.key.rawValue], row.isOpen else { continue }
            summary.findings[finding.kind.rawValue, default: 0] += 1
            switch finding.action {
            case .none: break
            case .enroll(let paymentID): enrollments.append((paymentID, row.id))
            case .proposeRefund(let paymentID, let amount, let reason):
                proposals.append(
                    ReconcileStore.RefundProposal(
                        paymentID: paymentID, exceptionID: row.id, amount: amount, reason: reason))
            }
        }
        summary.enrolled = try ReconcileStore.enroll(db, fixes: enrollments, now: now)
        summary.resolved = try ReconcileStore.resolveGone(db, stamp: now, now: now)
        summary.statement = try StatementMatchStep.run(db, now: now)
        return (summary, proposals)
    }

    /// Stale callbacks with what their bodies say: an STK success's receipt, the payment it names, and who holds the
    /// receipt already.
    static func staleCallbackFacts(_ db: isolated PostgresConnection, cutoff: Date) throws -> [StaleCallbackFacts] {
        let stale = try ReconcileStore.staleCallbacks(db, receivedBefore: cutoff)
        var decoded: [(StaleCallback, checkoutID: String?, receipt: String?)] = []
        for callback in stale {
            guard callback.kind == .stk, let stk = try? StkCallback(json: callback.body) else {
                decoded.append((callback, nil, nil))
                continue
            }
            var receipt: String?
            if case .paid(let details) = stk.answer { receipt = details?.receipt }
            decoded.append((callback, stk.checkoutRequestID, receipt))
        }
        let payments = try ReconcileStore.paymentIDs(db, checkoutRequestIDs: decoded.compactMap(\.checkoutID))
        let owners = try ReconcileStore.receiptOwners(db, receipts: decoded.compactMap(\.receipt))
        return decoded.map { callback, checkoutID, receipt in
            StaleCallbackFacts(
                id: callback.id, kind: callback.kind.rawValue, outcome: callback.outcome?.rawValue, receipt: receipt,
                claimedPaymentID: checkoutID.flatMap { payments[$0] },
                receiptOwnerPaymentID: receipt.flatMap { owners[$0] })
        }
    }
}
