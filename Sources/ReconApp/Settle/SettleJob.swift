public import Daraja
import Foundation
public import Logging
public import ReconCore
public import ReconPostgres

/// Anything that answers STK Query for a CheckoutRequestID (the Daraja client).
public protocol StkQuerying: Sendable {
    /// The classified answer about one payment.
    func stkQuery(checkoutRequestID: String) async -> StkAnswer
}

extension DarajaClient: StkQuerying {}

/// How a settlement run behaves.
public struct SettleOptions: Sendable {
    /// Stop after this many payments (all due ones when `nil`).
    public var limit: Int?
    /// Queries in flight at once.
    public var concurrency: Int
    /// Global budget of queries per second.
    public var ratePerSecond: Int
    /// Payments claimed per round.
    public var batchSize: Int
    /// How long a claim keeps other workers away from a payment, should this run die.
    public var leaseSeconds: Int
    /// The retry schedule.
    public var schedule: RetrySchedule

    /// Defaults: concurrency 8, 20 queries per second, batches of 100, 5-minute lease, the standard schedule.
    public init(
        limit: Int? = nil, concurrency: Int = 8, ratePerSecond: Int = 20, batchSize: Int = 100, leaseSeconds: Int = 300,
        schedule: RetrySchedule = .standard
    ) {
        self.limit = limit
        self.concurrency = concurrency
        self.ratePerSecond = ratePerSecond
        self.batchSize = batchSize
        self.leaseSeconds = leaseSeconds
        self.schedule = schedule
    }
}

/// What a settlement run did.
public struct SettleSummary: Sendable, Codable, Equatable {
    public var claimed = 0
    public var completed = 0
    public var failed = 0
    public var unknown = 0
    public var stillPending = 0
    public var throttled = 0
    /// Queries that got no answer because Daraja (or its token endpoint) could not be reached.
    public var transportFailures = 0
    /// Queries whose access token Daraja refused (after one renewal).
    public var tokenRefused = 0
    /// The last transport failure or token refusal, in words safe to print (no token, no secret).
    public var lastFailure: String?
    public var notUnderstood = 0
    public var backoffs = 0
    /// Pending payments with no CheckoutRequestID long after creation (the push's answer was lost), now unknown.
    public var orphaned = 0
    /// Claims another worker took over after this run's lease ran out (their answers were not applied twice).
    public var claimsLost = 0
    public var elapsedMilliseconds = 0

    /// An empty summary.
    public init() {}
}

/// Settles pending payments by asking STK Query on the retry schedule (ARCHITECTURE.md §6.2).
///
/// Due payments are claimed in small batches with `FOR UPDATE SKIP LOCKED` and a lease (their next check is
/// pushed past the lease), so several workers never query the same payment in one round. Each answer is
/// applied in its own transaction through the state machine; a run killed at any point leaves every payment
/// either as it was (its claim expires) or fully updated.
public struct SettleJob: Sendable {
    let pool: ConnectionPool
    let client: any StkQuerying
    let configured: [Int64: any StkQuerying]
    let options: SettleOptions
    let logger: Logger
    let clock: any ReconClock

    /// A job over a connection pool and a Daraja client; a payment pushed with a stored `mpesa_configurations` row
    /// is asked about with that configuration's client in `configured` (never with another shortcode's). What is due,
    /// the leases and the rate budget are read on `clock`.
    public init(
        pool: ConnectionPool, client: any StkQuerying, configured: [Int64: any StkQuerying] = [:],
        options: SettleOptions, logger: Logger, clock: any ReconClock = .system
    ) {
        self.pool = pool
        self.client = client
        self.configured = configured
        self.options = options
        self.logger = logger
        self.clock = clock
    }

    /// STK Query with the client of the configuration the payment was pushed with. A configuration that is not
    /// loaded (disabled, or its secrets cannot be opened) asks nobody: the payment waits, as after a lost answer.
    static func ask(
        _ claim: SettleClaim, standard: any StkQuerying, configured: [Int64: any StkQuerying]
    ) async -> StkAnswer {
        guard let id = claim.configurationID else {
            return await standard.stkQuery(checkoutRequestID: claim.checkoutRequestID)
        }
        guard let client = configured[id] else {
            return .transportFailure(
                "M-Pesa configuration \(id) is not loaded (disabled, or RECON_SECRETS_KEY missing)")
        }
        return await client.stkQuery(checkoutRequestID: claim.checkoutRequestID)
    }

    /// Runs until nothing is due (or `limit` is reached); `progress` gets (done, claimed so far).
    public func run(progress: (@Sendable (Int, Int) -> Void)? = nil) async throws -> SettleSummary {
        let started = clock.now
        let limiter = RateLimiter(perSecond: options.ratePerSecond, clock: clock)
        var summary = SettleSummary()
        summary.orphaned = try await pool.withConnection { db in
            try await db.withTransaction { db in try PaymentStore.markOrphans(db, now: started) }
        }
        try await settleAll(dueBy: started, limiter: limiter, summary: &summary, progress: progress)
        summary.backoffs = await limiter.backoffs
        summary.elapsedMilliseconds = Int(clock.now.timeIntervalSince(started) * 1000)
        return summary
    }

    typealias Claim = SettleClaim

    /// Claims pending payments due by `dueBy`, pushing their next check past the lease.
    func claim(limit: Int, dueBy: Date) async throws -> [Claim] {
        let leaseEnd = clock.now.addingTimeInterval(TimeInterval(options.leaseSeconds))
        return try await pool.withConnection { db in
            try await db.withTransaction { db in
                try PaymentStore.claimDue(db, limit: limit, dueBy: dueBy, leaseEnd: leaseEnd)
            }
        }
    }

    /// Queries every claimed payment with `concurrency` requests in flight, claiming the next batch while the
    /// current one drains, so the rate budget is never idle between batches. Only what was due at `dueBy` (the
    /// run's start) is claimed: payments this run rescheduled wait for the next run.
    private func settleAll(
        dueBy: Date, limiter: RateLimiter, summary: inout SettleSummary, progress: (@Sendable (Int, Int) -> Void)?
    ) async throws {
        let concurrency = max(1, options.concurrency)
        var remaining = options.limit ?? Int.max
        var queue: [Claim] = []
        var queueStart = 0
        var exhausted = false
        var inFlight = 0
        var done = 0
        try await withThrowingTaskGroup(of: (Applied, StkAnswer).self) { group in
            func refill() async throws {
                // Claim ahead once fewer than `concurrency` claimed payments wait to be started.
                guard !exhausted, remaining > 0, queue.count - queueStart < concurrency else { return }
                let batch = try await claim(limit: min(options.batchSize, remaining), dueBy: dueBy)
                if batch.isEmpty { exhausted = true }
                summary.claimed += batch.count
                remaining -= batch.count
                queue.removeFirst(queueStart)
                queueStart = 0
                queue += batch
            }
            func startWhatFits() {
                while inFlight < concurrency, queueStart < queue.count {
                    let claim = queue[queueStart]
                    queueStart += 1
                    inFlight += 1
                    group.addTask {
                        await limiter.acquire()
                        let answer = await Self.ask(claim, standard: client, configured: configured)
                        if case .throttled = answer { await limiter.throttled() }
                        return (try await apply(answer, claim: claim), answer)
                    }
                }
            }
            try await refill()
            startWhatFits()
            while let (applied, answer) = try await group.next() {
                inFlight -= 1
                done += 1
                switch applied {
                case .status(let status): count(answer, status: status, into: &summary)
                case .claimLost: summary.claimsLost += 1
                }
                progress?(done, summary.claimed)
                startWhatFits()
                try await refill()
                startWhatFits()
            }
        }
    }

    enum Applied: Sendable {
        case status(PaymentStatus?)
        case claimLost
    }

    /// Applies an answer unless another worker re-claimed the payment after this run's lease ran out.
    private func apply(_ answer: StkAnswer, claim: Claim) async throws -> Applied {
        let (schedule, clock) = (options.schedule, clock)
        return try await pool.withConnection { db in
            try await db.withTransaction { db in
                guard let payment = try PaymentStore.load(db, id: claim.paymentID, forUpdate: true) else {
                    return .status(nil)
                }
                if payment.state.status == .pending,
                    abs((payment.state.nextCheckAt ?? .distantPast).timeIntervalSince(claim.leaseEnd)) > 0.001
                {
                    return .claimLost
                }
                return .status(
                    try PaymentStore.apply(
                        db, paymentID: claim.paymentID, answer: answer, source: .query, now: clock.now,
                        schedule: schedule)?
                        .transition.next.status)
            }
        }
    }

    private func count(_ answer: StkAnswer, status: PaymentStatus?, into summary: inout SettleSummary) {
        switch answer {
        case .throttled: summary.throttled += 1
        case .transportFailure(let reason):
            summary.transportFailures += 1
            summary.lastFailure = reason
        case .tokenInvalid(let code):
            summary.tokenRefused += 1
            summary.lastFailure = "token refused (\(code))"
        case .notUnderstood: summary.notUnderstood += 1
        default: break
        }
        switch status {
        case .completed: summary.completed += 1
        case .failed: summary.failed += 1
        case .unknown: summary.unknown += 1
        case .pending: summary.stillPending += 1
        case nil: break
        }
    }
}
