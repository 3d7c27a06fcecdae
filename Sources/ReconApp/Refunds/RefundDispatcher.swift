public import Daraja
import Foundation
public import Logging
public import ReconCore
public import ReconPostgres

/// Anything that sends B2C payments and asks Transaction Status (the Daraja client).
public protocol RefundGateway: Sendable {
    /// Sends one B2C v3 payment under our OriginatorConversationID.
    func b2cPayment(
        originatorConversationID: String, amount: Money, phone: MSISDN, remarks: String, occasion: String?
    ) async -> B2CSendVerdict
    /// Asks for the state of a transaction; the answer comes to the result URL.
    func transactionStatus(_ target: TransactionStatusRequest.Target, remarks: String) async -> StatusQueryOutcome
}

extension DarajaClient: RefundGateway {}

/// How refund dispatch behaves.
public struct RefundDispatchOptions: Sendable {
    /// Refunds sent per run at most.
    public var sendLimit: Int
    /// Status checks per run at most.
    public var checkLimit: Int
    /// A refund still `sending` or `sent` this long after its send is asked about with Transaction Status.
    public var stuckAfterSeconds: Int
    /// How long to wait for one Transaction Status answer before asking again.
    public var recheckAfterSeconds: Int
    /// After this many status checks without a verdict the refund becomes `unknown` for a person.
    public var maxStatusChecks: Int

    /// Defaults: 100 sends and 100 checks a run, stuck after 15 minutes, re-ask after 10, give up after 6 checks.
    public init(
        sendLimit: Int = 100, checkLimit: Int = 100, stuckAfterSeconds: Int = 900, recheckAfterSeconds: Int = 600,
        maxStatusChecks: Int = 6
    ) {
        self.sendLimit = sendLimit
        self.checkLimit = checkLimit
        self.stuckAfterSeconds = stuckAfterSeconds
        self.recheckAfterSeconds = recheckAfterSeconds
        self.maxStatusChecks = maxStatusChecks
    }
}

/// The points of a send where a crash matters (the "never twice" tests stop the process there).
public enum RefundDispatchStep: String, Sendable {
    /// `sending` with the OriginatorConversationID is committed; the B2C call has not been made.
    case sendingCommitted = "sending"
    /// The B2C call was answered; its answer is not written yet.
    case b2cAnswered = "b2c"
}

/// What a dispatch run did.
public struct RefundDispatchSummary: Sendable, Codable, Equatable {
    /// Refunds marked `sending` (fresh or resend).
    public var claimed = 0
    /// Of those, resends with the same id after M-Pesa said it did not know it.
    public var resent = 0
    /// Accepted by Daraja (now `sent`).
    public var accepted = 0
    /// `500.002.1001`: an earlier send with the id got through (now `sent`).
    public var alreadyAccepted = 0
    /// Refused before any money moved (now `failed`).
    public var refused = 0
    /// Throttled: nothing sent, same id next time.
    public var throttled = 0
    /// No usable answer: left `sending` for Transaction Status.
    public var uncertain = 0
    /// Transaction Status queries accepted.
    public var statusChecks = 0
    /// Transaction Status queries that failed (asked again later).
    public var statusCheckFailures = 0
    /// Refunds handed to a person after the last status check.
    public var handedToPerson = 0
    public var elapsedMilliseconds = 0

    /// An empty summary.
    public init() {}
}

/// Sends approved refunds through B2C v3 and resolves stuck ones with Transaction Status (ARCHITECTURE.md §6.4).
///
/// Never twice: each refund is claimed with `FOR UPDATE SKIP LOCKED` and marked `sending` with its
/// OriginatorConversationID in a transaction committed BEFORE the B2C call. After a crash, a timeout or silence the
/// refund stays `sending`/`sent` and only Transaction Status decides; a resend happens only when M-Pesa says it does
/// not know the id (or throttled the send), and it reuses the same id, which B2C v3 refuses as a duplicate if the
/// first send got through after all.
public struct RefundDispatcher: Sendable {
    let pool: ConnectionPool
    let gateway: any RefundGateway
    let options: RefundDispatchOptions
    let logger: Logger
    let afterStep: (@Sendable (RefundDispatchStep, Int64) -> Void)?
    let clock: any ReconClock

    /// A dispatcher; `afterStep` is called at the crash-relevant points of each send (tests stop the process there).
    /// When a refund is stuck and when it is asked about again are read on `clock`.
    public init(
        pool: ConnectionPool, gateway: any RefundGateway, options: RefundDispatchOptions = RefundDispatchOptions(),
        logger: Logger, afterStep: (@Sendable (RefundDispatchStep, Int64) -> Void)? = nil,
        clock: any ReconClock = .system
    ) {
        self.pool = pool
        self.gateway = gateway
        self.options = options
        self.logger = logger
        self.afterStep = afterStep
        self.clock = clock
    }

    /// Sends what is due, then asks Transaction Status about stuck refunds.
    public func run() async throws -> RefundDispatchSummary {
        let started = clock.now
        var summary = RefundDispatchSummary()
        try await send(into: &summary)
        try await resolveStuck(into: &summary)
        summary.elapsedMilliseconds = Int(clock.now.timeIntervalSince(started) * 1000)
        return summary
    }

    /// Sends approved refunds and due resends, one at a time, each claimed and committed before its B2C call.
    public func send(into summary: inout RefundDispatchSummary) async throws {
        var remaining = options.sendLimit
        let clock = self.clock
        while remaining > 0 {
            let fresh = UUID().uuidString.lowercased()
            let claim = try await pool.withConnection { db in
                try await db.withTransaction { db in
                    try RefundStore.claimForSending(db, freshID: fresh, now: clock.now)
                }
            }
            guard let claim else { break }
            remaining -= 1
            summary.claimed += 1
            if claim.isResend { summary.resent += 1 }
            afterStep?(.sendingCommitted, claim.id)
            let verdict: B2CSendVerdict
            if let phone = try? MSISDN(parsing: claim.phone) {
                verdict = await gateway.b2cPayment(
                    originatorConversationID: claim.originatorConversationID, amount: claim.amount, phone: phone,
                    remarks: "Refund \(claim.id)", occasion: "refund")
            } else {
                verdict = .notSent(code: "invalid_phone", message: "the payment's phone number is not an M-Pesa number")
            }
            afterStep?(.b2cAnswered, claim.id)
            _ = try await pool.withConnection { db in
                try await db.withTransaction { db in
                    try RefundStore.apply(db, refundID: claim.id, event: .sendAnswered(verdict), now: clock.now)
                }
            }
            var metadata: Logger.Metadata = [
                "recon.refund_id": "\(claim.id)",
                "daraja.originator_conversation_id": "\(claim.originatorConversationID)",
            ]
            switch verdict {
            case .accepted: summary.accepted += 1
            case .alreadyAccepted: summary.alreadyAccepted += 1
            case .notSent(let code, _):
                summary.refused += 1
                metadata["daraja.code"] = "\(code)"
            case .throttled: summary.throttled += 1
            case .uncertain: summary.uncertain += 1
            }
            logger.info("refund sent to B2C", metadata: metadata)
            // Daraja is slowing us down: the rest waits for the next run.
            if case .throttled = verdict { break }
        }
    }

    /// Asks Transaction Status about refunds stuck in `sending`/`sent`/`unknown` past their due time (or hit by a
    /// queue timeout). The answers arrive on the result URL and are applied by the callback processor.
    public func resolveStuck(into summary: inout RefundDispatchSummary) async throws {
        let (options, clock) = (self.options, self.clock)
        let due = try await pool.withConnection { db in
            try await db.withTransaction { db in
                try RefundStore.claimForStatusCheck(
                    db, now: clock.now, limit: options.checkLimit, stuckAfter: TimeInterval(options.stuckAfterSeconds),
                    recheckAfter: TimeInterval(options.recheckAfterSeconds), maxChecks: options.maxStatusChecks)
            }
        }
        for refund in due {
            if refund.gaveUp {
                summary.handedToPerson += 1
                logger.warning(
                    "refund has no verdict after the last status check; a person decides",
                    metadata: ["recon.refund_id": "\(refund.id)"])
                continue
            }
            let outcome = await gateway.transactionStatus(
                .originalConversationID(refund.originatorConversationID), remarks: "refund \(refund.id) check")
            switch outcome {
            case .accepted(let queryID, let conversationID):
                summary.statusChecks += 1
                try await pool.withConnection { db in
                    try await db.withTransaction { db in
                        try RefundStore.recordStatusCheck(
                            db, refundID: refund.id, originatorConversationID: queryID, conversationID: conversationID,
                            now: clock.now)
                    }
                    // An answer that raced ahead of this record waits as unmatched: apply it now.
                    for reference in [queryID, conversationID].compactMap(\.self) {
                        _ = try await CallbackProcessor.sweep(
                            db, now: clock.now, schedule: .standard, reference: reference)
                    }
                }
            case .failed(let reason):
                summary.statusCheckFailures += 1
                logger.notice(
                    "Transaction Status not accepted; asked again later",
                    metadata: ["recon.refund_id": "\(refund.id)", "daraja.reason": "\(reason)"])
            }
        }
    }
}
