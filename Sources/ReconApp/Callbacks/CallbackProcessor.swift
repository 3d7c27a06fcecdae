import Daraja
public import Foundation
public import ReconCore
public import ReconPostgres
import Synchronization

/// Applies stored callbacks: decode, then change the payment or refund they name, once (ARCHITECTURE.md §6.1).
///
/// Each call locks the inbox row, so concurrent processors (or a replay racing the live server) never apply
/// the same callback twice; the state machine makes a repeated callback a no-op anyway.
public enum CallbackProcessor {
    /// Processes one stored callback inside the caller's transaction and records the outcome on the inbox row.
    @discardableResult
    public static func process(
        _ db: isolated PostgresConnection, inboxID: Int64, now: Date, schedule: RetrySchedule
    ) throws(PostgresError) -> CallbackOutcome? {
        guard let entry = try InboxStore.lock(db, id: inboxID) else { return nil }
        if let done = entry.outcome, done != .unmatched { return done }
        let (outcome, reference) = try decide(db, entry: entry, now: now, schedule: schedule)
        try InboxStore.markProcessed(db, id: inboxID, outcome: outcome, reference: reference, now: now)
        return outcome
    }

    private static func decide(
        _ db: isolated PostgresConnection, entry: InboxEntry, now: Date, schedule: RetrySchedule
    ) throws(PostgresError) -> (CallbackOutcome, String?) {
        switch entry.kind {
        case .stk:
            let callback: StkCallback
            do {
                callback = try StkCallback(json: entry.body)
            } catch {
                return (.malformed, nil)
            }
            let reference = callback.checkoutRequestID
            guard let payment = try PaymentStore.load(db, checkoutRequestID: reference) else {
                return (.unmatched, reference)
            }
            guard
                let applied = try PaymentStore.apply(
                    db, paymentID: payment.id, answer: callback.answer, source: .callback, now: now,
                    schedule: schedule, detail: eventDetail(entry, callback))
            else { return (.unmatched, reference) }
            return (outcome(applied.transition), reference)

        case .b2cResult:
            // Transaction Status results arrive on the same URL and look like B2C results at the top level, where
            // they carry the status query's own ids: try them as a status answer first.
            if let status = try? TransactionStatusResult(json: entry.body) {
                let reference = status.originatorConversationID ?? status.queriedOriginatorConversationID
                let looksLikeStatus =
                    status.transactionStatus != nil || status.receiptNo != nil
                    || status.queriedOriginatorConversationID != nil
                if let target = try RefundStore.refundForStatusResult(
                    db, queryOriginatorConversationID: status.originatorConversationID,
                    queryConversationID: status.conversationID,
                    queriedOriginatorConversationID: status.queriedOriginatorConversationID)
                {
                    let verdict = TransactionStatusVerdict.classify(
                        resultCode: status.resultCode, resultDescription: status.resultDesc,
                        transactionStatus: status.transactionStatus, receipt: status.receiptNo, amount: status.amount)
                    let effect = try RefundStore.applyStatusResult(
                        db, refundID: target.refundID, checkID: target.checkID,
                        queriedOriginatorConversationID: status.queriedOriginatorConversationID, verdict: verdict,
                        now: now)
                    return (outcome(effect), reference)
                }
                if looksLikeStatus { return (.unmatched, reference) }
            }
            if let result = try? B2CResult(json: entry.body) {
                let effect = try RefundStore.applyResult(
                    db, originatorConversationID: result.originatorConversationID, answer: result.answer,
                    resultCode: result.resultCode, resultDescription: result.resultDesc,
                    conversationID: result.conversationID, transactionID: result.transactionID, now: now)
                return (outcome(effect), result.originatorConversationID)
            }
            return (.malformed, nil)

        case .b2cTimeout:
            guard let notice = try? QueueTimeoutNotice(json: entry.body) else { return (.malformed, nil) }
            guard let id = notice.originatorConversationID else { return (.unmatched, nil) }
            // Not final: Transaction Status is asked at once (about the refund, or again about a status query).
            let effect = try RefundStore.noteTimeout(db, originatorConversationID: id, now: now)
            return (effect == .unmatched ? .unmatched : .ignored, id)

        case .c2bConfirmation:
            guard let notification = try? C2BNotification(json: entry.body),
                let transaction = try? notification.transaction()
            else { return (.malformed, nil) }
            let result = try C2BApplier.apply(
                db, transaction, route: .confirmation, inboxID: entry.id, now: now)
            return (result.outcome, transaction.receipt)

        case .c2bValidation:
            // Answered when it arrived (the decision is in c2b_validations): nothing to apply.
            return (.ignored, (try? C2BNotification(json: entry.body))?.receipt)

        case .pullCallback:
            // Nothing is documented to arrive here; kept for a person, never applied.
            return (.ignored, nil)
        }
    }

    /// What a callback's payment event says besides the transition: the inbox row and Daraja's result code.
    private static func eventDetail(_ entry: InboxEntry, _ callback: StkCallback) -> [String: String] {
        ["inbox_id": String(entry.id), "result_code": callback.resultCode]
    }

    /// A callback applied to its payment: a change, a contradiction (a finding), or a repeat.
    private static func outcome(_ transition: PaymentTransition) -> CallbackOutcome {
        if transition.recordsEvent { return .applied }
        if transition.finding != nil { return .conflict }
        return .duplicate
    }

    private static func outcome(_ effect: RefundStore.ResultEffect) -> CallbackOutcome {
        switch effect {
        case .applied: .applied
        case .duplicate: .duplicate
        case .conflict: .conflict
        case .unmatched: .unmatched
        case .ignored: .ignored
        }
    }

    /// Processes one stored callback in its own transaction. A callback the database refuses to apply (its
    /// receipt is already on another payment, a value that cannot be stored) is marked `conflict` with a
    /// finding for a person, so it never blocks the callbacks after it. Lost connections are rethrown.
    public static func processIsolated(
        _ db: PostgresConnection, inboxID: Int64, now: Date, schedule: RetrySchedule
    ) async throws -> CallbackOutcome? {
        do {
            return try await db.withTransaction { db in
                try process(db, inboxID: inboxID, now: now, schedule: schedule)
            }
        } catch let error as PostgresError where error.isRefusal {
            try await db.withTransaction { db in
                try InboxStore.markProcessed(db, id: inboxID, outcome: .conflict, reference: nil, now: now)
                try ExceptionStore.record(
                    db, key: FindingKey(.callbackConflict, .inbox(inboxID)), callbackID: inboxID,
                    detail: ["detail": "the database refused to apply this callback: \(error.description)"], now: now)
            }
            return .conflict
        }
    }

    /// What one pass of ``applyNext(_:limit:now:schedule:)`` did.
    public struct BatchReport: Sendable, Equatable {
        /// How many never-processed callbacks the pass took (0: none were left that nobody else held).
        public var claimed: Int
        /// The outcome of each callback it processed, with its route.
        public var outcomes: [(kind: CallbackKind, outcome: CallbackOutcome?)]
        /// Whether the batch failed as a whole and its callbacks were processed one by one.
        public var fellBack: Bool
        /// Callbacks that could not be processed even alone (left unprocessed, with `failure`); their pass should end.
        public var failed: Int = 0
        /// What the first of them failed with.
        public var failure: String?

        public static func == (lhs: BatchReport, rhs: BatchReport) -> Bool {
            lhs.claimed == rhs.claimed && lhs.fellBack == rhs.fellBack && lhs.failed == rhs.failed
                && lhs.outcomes.elementsEqual(rhs.outcomes) { $0.kind == $1.kind && $0.outcome == $1.outcome }
        }
    }

    /// The rows a batch claimed, kept outside its transaction so a failed batch can be retried row by row.
    final class ClaimedRows: Sendable {
        let rows = Mutex<[(Int64, CallbackKind)]>([])
    }

    /// Claims up to `limit` never-processed callbacks (skipping those another applier holds) and applies the STK
    /// ones together in one transaction: one statement per table for all of them, the same rules and outcomes as
    /// ``process(_:inboxID:now:schedule:)``. B2C results and timeouts are then processed one by one. If the batch
    /// fails otherwise than by a lost connection or a transient error (a receipt already on another payment, a row
    /// that cannot be read, …), each callback it claimed is processed in its own transaction instead, so one bad
    /// callback never holds back the others; one that fails even alone stays unprocessed and is counted in
    /// `failed`. Lost connections and transient errors (deadlock, lock timeout) are rethrown: retry later.
    public static func applyNext(
        _ db: PostgresConnection, limit: Int, now: Date, schedule: RetrySchedule
    ) async throws -> BatchReport {
        let claimed = ClaimedRows()
        let batch: StkBatch
        do {
            batch = try await db.withTransaction { db in
                try applyStkBatch(db, limit: limit, now: now, schedule: schedule, claimed: claimed)
            }
        } catch let error as PostgresError where error.isConnectionLoss || error.isTransient {
            throw error
        } catch {
            var report = BatchReport(claimed: 0, outcomes: [], fellBack: true)
            for (id, kind) in claimed.rows.withLock({ $0 }) {
                report.claimed += 1
                do {
                    report.outcomes.append(
                        (kind, try await processIsolated(db, inboxID: id, now: now, schedule: schedule)))
                } catch let error as PostgresError where error.isConnectionLoss || error.isTransient {
                    throw error
                } catch {
                    report.failed += 1
                    report.failure = report.failure ?? "callback \(id): \(error)"
                }
            }
            return report
        }
        var outcomes = batch.outcomes
        for (id, kind) in batch.others {
            outcomes.append((kind, try await processIsolated(db, inboxID: id, now: now, schedule: schedule)))
        }
        return BatchReport(claimed: batch.claimed, outcomes: outcomes, fellBack: false)
    }

    struct StkBatch: Sendable {
        var claimed: Int
        var outcomes: [(kind: CallbackKind, outcome: CallbackOutcome?)]
        /// B2C callbacks claimed but left for one-by-one processing (id, route).
        var others: [(Int64, CallbackKind)]
    }

    private static func applyStkBatch(
        _ db: isolated PostgresConnection, limit: Int, now: Date, schedule: RetrySchedule, claimed: ClaimedRows
    ) throws(PostgresError) -> StkBatch {
        try InboxStore.beginApplying(db)
        let entries = try InboxStore.claimUnprocessed(db, limit: limit)
        claimed.rows.withLock { $0 = entries.map { ($0.id, $0.kind) } }
        var processed: [InboxStore.Processed] = []
        var answered: [(entry: InboxEntry, reference: String)] = []
        var answers: [CheckoutAnswer] = []
        var others: [(Int64, CallbackKind)] = []
        for entry in entries {
            guard entry.kind == .stk else {
                others.append((entry.id, entry.kind))
                continue
            }
            guard let callback = try? StkCallback(json: entry.body) else {
                processed.append(.init(id: entry.id, outcome: .malformed, reference: nil))
                continue
            }
            answered.append((entry, callback.checkoutRequestID))
            answers.append(
                CheckoutAnswer(
                    checkoutRequestID: callback.checkoutRequestID, answer: callback.answer,
                    detail: eventDetail(entry, callback)))
        }
        let applied = try PaymentStore.apply(db, answers: answers, source: .callback, now: now, schedule: schedule)
        for (index, item) in answered.enumerated() {
            let result = applied[index].map { outcome($0.transition) } ?? CallbackOutcome.unmatched
            processed.append(.init(id: item.entry.id, outcome: result, reference: item.reference))
        }
        processed.sort { $0.id < $1.id }
        try InboxStore.markProcessed(db, processed, now: now)
        return StkBatch(
            claimed: entries.count, outcomes: processed.map { (CallbackKind.stk, $0.outcome) }, others: others)
    }

    /// Processes stored callbacks that were never processed and unmatched ones whose retry is due (a payment
    /// may have appeared since), at most `policy.batchSize` per call, oldest due first; one that stays
    /// unmatched is retried after a doubling delay. With a `reference`, every unmatched callback naming it is
    /// retried at once. Each in its own transaction; returns how many changed something. Without
    /// `unprocessed`, only the unmatched ones (a running applier takes the never-processed ones in batches).
    public static func sweep(
        _ db: PostgresConnection, now: Date, schedule: RetrySchedule, reference: String? = nil,
        policy: InboxSweepPolicy = .standard, unprocessed includeUnprocessed: Bool = true
    ) async throws -> Int {
        if let reference {
            let ids = try await db.run { db throws(PostgresError) in
                try InboxStore.unmatched(db, reference: reference)
            }
            var applied = 0
            for id in ids {
                let outcome = try await processIsolated(db, inboxID: id, now: now, schedule: schedule)
                if outcome == .applied { applied += 1 }
            }
            return applied
        }
        let (unprocessed, due) = try await db.run { db throws(PostgresError) in
            let unprocessed = includeUnprocessed ? try InboxStore.unprocessed(db, limit: policy.batchSize) : []
            let due = try InboxStore.dueUnmatched(db, now: now, limit: policy.batchSize - unprocessed.count)
            return (unprocessed, due)
        }
        var applied = 0
        for id in unprocessed {
            let outcome = try await processIsolated(db, inboxID: id, now: now, schedule: schedule)
            if outcome == .applied { applied += 1 }
        }
        for entry in due {
            let outcome = try await processIsolated(db, inboxID: entry.id, now: now, schedule: schedule)
            if outcome == .applied { applied += 1 }
            guard outcome == .unmatched else { continue }
            let attempts = entry.sweepAttempts + 1
            let nextAt = now.addingTimeInterval(TimeInterval(policy.delaySeconds(afterAttempts: attempts)))
            try await db.run { db throws(PostgresError) in
                try InboxStore.deferSweep(db, id: entry.id, attempts: attempts, nextAt: nextAt, window: policy.window)
            }
        }
        return applied
    }
}
