import Daraja
public import Foundation
public import ReconCore
public import ReconPostgres

/// Applies stored callbacks: decode, then change the payment or refund they name, once (DESIGN §6).
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
                    schedule: schedule, detail: ["inbox_id": String(entry.id), "result_code": callback.resultCode])
            else { return (.unmatched, reference) }
            let transition = applied.transition
            if transition.recordsEvent { return (.applied, reference) }
            if transition.finding != nil { return (.conflict, reference) }
            return (.duplicate, reference)

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
        }
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
        } catch let error as PostgresError
            where !error.isConnectionLoss && (error.code == .server || error.code == .invalidText)
        {
            try await db.withTransaction { db in
                try InboxStore.markProcessed(db, id: inboxID, outcome: .conflict, reference: nil, now: now)
                try ExceptionStore.record(
                    db, key: FindingKey(.callbackConflict, .inbox(inboxID)), callbackID: inboxID,
                    detail: ["detail": "the database refused to apply this callback: \(error.description)"], now: now)
            }
            return .conflict
        }
    }

    /// Processes stored callbacks that were never processed and unmatched ones whose retry is due (a payment
    /// may have appeared since), at most `policy.batchSize` per call, oldest due first; one that stays
    /// unmatched is retried after a doubling delay. With a `reference`, every unmatched callback naming it is
    /// retried at once. Each in its own transaction; returns how many changed something.
    public static func sweep(
        _ db: PostgresConnection, now: Date, schedule: RetrySchedule, reference: String? = nil,
        policy: InboxSweepPolicy = .standard
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
            let unprocessed = try InboxStore.unprocessed(db, limit: policy.batchSize)
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
