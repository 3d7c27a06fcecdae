public import Daraja
public import Foundation
public import Logging
public import ReconCore
public import ReconPostgres

/// Asks Pull Transactions for one page; the Daraja client, or a test's stand-in.
public protocol PullQuerying: Sendable {
    /// One page of a shortcode's transactions in `[start, end]`.
    func pullTransactions(shortcode: String, start: Date, end: Date, page: Int) async -> PullPageOutcome
}

extension DarajaClient: PullQuerying {}

/// What one pull of one shortcode did.
public struct PullWindowSummary: Sendable, Codable, Equatable {
    public var configuration: String
    public var shortcode: String
    public var start: Date
    public var end: Date
    /// `covered`, `no_data` or `failed`.
    public var outcome: String
    public var pages: Int
    /// Transactions the pages listed (each receipt once).
    public var transactions: Int
    /// Of them, receipts no callback (or earlier pull) had delivered: recorded now with source `pull`.
    public var recovered: Int
    /// Why it was not covered, when it was not.
    public var detail: String
}

/// What `run`'s pull step did.
public struct PullSummary: Sendable, Codable, Equatable {
    public var windows: [PullWindowSummary] = []
    /// Configurations registered for Pull that have no client here (their secrets could not be opened).
    public var skipped: [String] = []
    /// Held C2B money linked or placed.
    public var released = 0
    /// Coverage gaps open after this run, by shortcode.
    public var gaps: [String: Int] = [:]
    /// Seconds of the last 46 hours not covered, by shortcode.
    public var uncoveredSeconds: [String: Int] = [:]

    /// An empty summary.
    public init() {}
}

/// `run`'s Pull Transactions step (C2B-PULL.md §5): for each configuration registered for Pull, one window from the
/// end of what is covered (minus an overlap) to now (minus a lag), every page, each transaction through the same
/// apply path as confirmations; the window is stored as covered only when M-Pesa answered 1000 for it. Then
/// coverage gaps about to leave Daraja's 48 hours become findings.
public struct PullJob: Sendable {
    let pool: ConnectionPool
    let clients: [String: any PullQuerying]
    let policy: PullPolicy
    let logger: Logger
    /// A window that needs more pages than this is not vouched for.
    let maxPages: Int

    /// A step over `clients` by configuration name (`default` is the MPESA_* environment's).
    public init(
        pool: ConnectionPool, clients: [String: any PullQuerying], policy: PullPolicy = PullPolicy(), logger: Logger,
        maxPages: Int = 500
    ) {
        self.pool = pool
        self.clients = clients
        self.policy = policy
        self.logger = logger
        self.maxPages = max(1, maxPages)
    }

    /// Pulls every registered configuration once.
    public func run(now: Date = Date()) async throws -> PullSummary {
        var summary = PullSummary()
        let registrations = try await pool.withConnection { db in
            try await db.run { db throws(PostgresError) in try PullStore.latestRegistrations(db) }
        }
        var pulled = Set<String>()
        for registration in registrations where registration.api == "pull" && registration.isRegistered {
            guard let client = clients[registration.configuration] else {
                summary.skipped.append(registration.configuration)
                continue
            }
            // Two configurations of one shortcode share its coverage: pull it once.
            guard pulled.insert(registration.shortcode).inserted else { continue }
            if let window = try await pull(registration, client: client, now: now) { summary.windows.append(window) }
        }
        summary.released = try await pool.withConnection { db in
            try await db.withTransaction { db in try C2BApplier.releaseHeld(db, now: now) }
        }
        let policy = self.policy
        let (gaps, uncovered) = try await pool.withConnection { db in
            try await db.withTransaction { db in try Self.recordGaps(db, now: now, policy: policy) }
        }
        summary.gaps = gaps
        summary.uncoveredSeconds = uncovered
        return summary
    }

    private func pull(
        _ registration: RegistrationRecord, client: any PullQuerying, now: Date
    ) async throws -> PullWindowSummary? {
        let shortcode = registration.shortcode
        let bounds = try await pool.withConnection { db in
            try await db.run { db throws(PostgresError) in try PullStore.coverageBounds(db, shortcode: shortcode) }
        }
        guard let window = PullCoverage.window(coveredUntil: bounds.until, now: now, policy: policy) else { return nil }
        var seen = Set<String>()
        var (page, pages, recovered) = (0, 0, 0)
        var outcome = "failed"
        var code: String?
        var detail = ""
        pages: while true {
            switch await client.pullTransactions(shortcode: shortcode, start: window.start, end: window.end, page: page)
            {
            case .page(let answer):
                pages += 1
                code = answer.code
                let fresh = answer.transactions.filter { seen.insert($0.receipt).inserted }
                let applied = try await apply(fresh, shortcode: shortcode, now: now)
                recovered += applied.recovered
                if answer.unreadable > 0 || applied.refused > 0 {
                    // Not vouched for: what could not be read or recorded is asked for again next run.
                    detail =
                        answer.unreadable > 0
                        ? "\(answer.unreadable) transaction(s) of page \(page) could not be read"
                        : "\(applied.refused) transaction(s) of page \(page) could not be recorded"
                    break pages
                }
                // The last page: empty, nothing new (an offset read as rows, or ignored), or the announced count.
                if fresh.isEmpty || answer.totalPages.map({ page + 1 >= $0 }) == true {
                    outcome = "covered"
                    break pages
                }
                page += 1
                if page >= maxPages {
                    detail = "more than \(maxPages) pages: the window is not vouched for"
                    break pages
                }
            case .noData(let message):
                code = "1001"
                if page == 0 {
                    // "No records found or Organization Name not available": no data, or not set up. Vouches for
                    // nothing (C2B-PULL.md §5).
                    outcome = "no_data"
                    detail = message
                } else {
                    // After pages of 1000, the end of the list.
                    outcome = "covered"
                }
                break pages
            case .refused(let refusedCode, let message):
                code = refusedCode
                detail = "\(refusedCode) \(message)"
                break pages
            case .failed(let reason):
                detail = reason
                break pages
            }
        }
        let record = PullWindowRecord(
            configuration: registration.configuration, shortcode: shortcode, start: window.start, end: window.end,
            outcome: outcome, responseCode: code, pages: pages, transactions: seen.count, newTransactions: recovered,
            detail: detail)
        try await pool.withConnection { db in
            try await db.run { db throws(PostgresError) in try PullStore.recordWindow(db, record, now: now) }
        }
        if outcome != "covered" {
            logger.warning(
                "pull window not covered",
                metadata: [
                    "recon.shortcode": "\(shortcode)", "recon.outcome": "\(outcome)", "daraja.code": "\(code ?? "")",
                ])
        }
        return PullWindowSummary(
            configuration: registration.configuration, shortcode: shortcode, start: window.start, end: window.end,
            outcome: outcome, pages: pages, transactions: seen.count, recovered: recovered, detail: detail)
    }

    /// Applies a page's new receipts, one transaction for the page; returns how many were new to us.
    /// Applies a page's new receipts in one transaction; if the database refuses it (a receipt an STK payment took
    /// meanwhile), each in its own, so only the refused ones are lost to this window. Returns how many receipts were
    /// new to us and how many could not be recorded.
    private func apply(
        _ transactions: [PullTransaction], shortcode: String, now: Date
    ) async throws -> (recovered: Int, refused: Int) {
        guard !transactions.isEmpty else { return (0, 0) }
        do {
            return (try await applyTogether(transactions, shortcode: shortcode, now: now), 0)
        } catch let error as PostgresError where error.isRefusal {
            var (recovered, refused) = (0, 0)
            for item in transactions {
                do {
                    recovered += try await applyTogether([item], shortcode: shortcode, now: now)
                } catch let error as PostgresError where error.isRefusal {
                    refused += 1
                    logger.error(
                        "a pulled transaction could not be recorded",
                        metadata: ["daraja.receipt": "\(item.receipt)", "db.error": "\(error)"])
                }
            }
            return (recovered, refused)
        }
    }

    private func applyTogether(_ transactions: [PullTransaction], shortcode: String, now: Date) async throws -> Int {
        try await pool.withConnection { db in
            try await db.withTransaction { db in
                var recovered = 0
                for item in transactions {
                    let result = try C2BApplier.apply(
                        db, item.transaction(shortcode: shortcode), route: .pull, inboxID: nil, now: now)
                    switch result {
                    case .allocated, .unallocated, .held: recovered += 1
                    case .stkCopy, .duplicate: break
                    }
                }
                return recovered
            }
        }
    }

    /// Opens a `coverage_gap` for each uncovered stretch about to leave (or out of) Daraja's 48 hours, resolves the
    /// ones covered since, and returns the open gaps and uncovered seconds by shortcode.
    static func recordGaps(
        _ db: isolated PostgresConnection, now: Date, policy: PullPolicy
    ) throws(PostgresError) -> ([String: Int], [String: Int]) {
        var gapsByShortcode: [String: Int] = [:]
        var uncovered: [String: Int] = [:]
        // Gaps are looked for in the last three days (older ones keep their findings).
        let horizon = now.addingTimeInterval(-3 * 86_400)
        for shortcode in try PullStore.trackedShortcodes(db) {
            let bounds = try PullStore.coverageBounds(db, shortcode: shortcode)
            let spans = try PullStore.coveredSpans(db, shortcode: shortcode, after: horizon)
            uncovered[shortcode] = PullCoverage.uncoveredSeconds(
                spans, trackingSince: bounds.since, now: now, policy: policy)
            let since = bounds.since.map { max($0, horizon) }
            let gaps = PullCoverage.gaps(
                shortcode: shortcode, covered: spans, trackingSince: since, now: now, policy: policy)
            var current = Set<String>()
            for gap in gaps {
                let key = FindingKey(
                    .coverageGap, .shortcode(shortcode, since: Int64(gap.span.start.timeIntervalSince1970)))
                current.insert(key.rawValue)
                let hours = (Double(gap.span.seconds) / 3600 * 10).rounded() / 10
                let from = EastAfricaTime.pullText(gap.span.start)
                let to = EastAfricaTime.pullText(gap.span.end)
                let state =
                    gap.lost
                    ? "it is out of Daraja's 48 hours: only the Org Portal statement can account for it now"
                    : "it leaves Daraja's 48 hours soon: run Pull (mpesa-recon run) before it does"
                try ExceptionStore.record(
                    db, key: key,
                    detail: [
                        "detail": "shortcode \(shortcode): \(hours) h from \(from) to \(to) EAT is covered by no Pull; "
                            + state,
                        "shortcode": shortcode, "from": from, "to": to, "lost": gap.lost ? "true" : "false",
                    ], now: now)
            }
            for key in try PullStore.openGapKeys(db, shortcode: shortcode) where !current.contains(key) {
                // Only a stretch Pull can still reach is resolved by a later pull; a lost one waits for a person.
                if let since = Int64(key.split(separator: "@").last ?? ""),
                    Date(timeIntervalSince1970: TimeInterval(since))
                        >= now.addingTimeInterval(
                            -TimeInterval(PullPolicy.darajaReachSeconds))
                {
                    try ExceptionStore.resolve(
                        db, key: FindingKey(.coverageGap, .shortcode(shortcode, since: since)),
                        resolution: "covered by a later pull", now: now)
                }
            }
            gapsByShortcode[shortcode] = current.count
        }
        return (gapsByShortcode, uncovered)
    }
}
