public import Foundation
public import ReconCore

/// A refund row.
public struct RefundRecord: Sendable, Equatable {
    public var id: Int64
    public var paymentID: Int64
    public var exceptionID: Int64?
    public var reason: String
    public var state: RefundState
    public var proposedAt: Date
    public var approvedAt: Date?
    public var secondApprovedAt: Date?
    public var rejectedAt: Date?
    public var sendAttempts: Int
    public var sendStartedAt: Date?
    public var sentAt: Date?
    public var completedAt: Date?
    public var statusChecks: Int
    public var statusCheckDueAt: Date?
    public var updatedAt: Date
    /// Where the refund goes: the number the payment was pushed to (what we asked), never a callback's
    /// `PhoneNumber` (callbacks carry no signature; an STK Push prompts only the number it names). Never print it.
    public var phone: String
    /// What the payment was asked to pay.
    public var paymentAmount: Money
}

/// A refund the dispatcher has just marked `sending` (committed), to send now.
public struct ClaimedRefund: Sendable, Equatable {
    public var id: Int64
    public var originatorConversationID: String
    public var amount: Money
    /// The recipient's number as stored; never print it.
    public var phone: String
    /// Whether this is a resend with the same id.
    public var isResend: Bool
}

/// A refund whose state Transaction Status is to be asked about.
public struct RefundToCheck: Sendable, Equatable {
    public var id: Int64
    public var originatorConversationID: String
    /// Whether the checks ran out: the refund was handed to a person instead.
    public var gaveUp: Bool
}

/// Reads and writes refunds. Every change after approval goes through ``RefundStateMachine``; approval and
/// rejection go through ``RefundApproval``. Call inside one transaction.
public enum RefundStore {
    /// What a B2C result did to a refund.
    public enum ResultEffect: Sendable, Equatable {
        case applied
        case duplicate
        case conflict
        case unmatched
        case ignored
    }

    static let columns: StaticString = """
        r.id, r.payment_id, r.exception_id, r.amount, r.reason, r.status, r.proposed_by, r.proposed_at, r.approved_by,
        r.approved_at, r.second_approved_by, r.second_approved_at, r.rejected_by, r.rejected_reason, r.rejected_at,
        r.originator_conversation_id, r.conversation_id, r.transaction_id, r.result_code, r.result_desc,
        r.send_attempts, r.send_started_at, r.sent_at, r.completed_at, r.updated_at, r.resend_due,
        r.status_check_due_at, r.status_checks, r.dispatch_note, p.phone AS pay_phone,
        p.amount AS payment_amount
        """

    static func record(_ row: PostgresRow) throws(PostgresError) -> RefundRecord {
        let statusText = try row.decode(String.self, "status")
        guard let status = RefundStatus(rawValue: statusText) else {
            throw PostgresError(code: .decoding, message: "refund status \(statusText) is not known")
        }
        let state = RefundState(
            status: status, amount: try row.decode(Money.self, "amount"),
            proposedBy: try row.decode(String.self, "proposed_by"),
            approvedBy: try row.decode(String?.self, "approved_by"),
            secondApprovedBy: try row.decode(String?.self, "second_approved_by"),
            rejectedBy: try row.decode(String?.self, "rejected_by"),
            rejectedReason: try row.decode(String?.self, "rejected_reason"),
            originatorConversationID: try row.decode(String?.self, "originator_conversation_id"),
            conversationID: try row.decode(String?.self, "conversation_id"),
            receipt: try row.decode(String?.self, "transaction_id"),
            resultCode: try row.decode(String?.self, "result_code"),
            resultDescription: try row.decode(String?.self, "result_desc"),
            resendDue: try row.decode(Bool.self, "resend_due"), note: try row.decode(String?.self, "dispatch_note"))
        return RefundRecord(
            id: try row.decode(Int64.self, "id"), paymentID: try row.decode(Int64.self, "payment_id"),
            exceptionID: try row.decode(Int64?.self, "exception_id"), reason: try row.decode(String.self, "reason"),
            state: state, proposedAt: try row.decode(Date.self, "proposed_at"),
            approvedAt: try row.decode(Date?.self, "approved_at"),
            secondApprovedAt: try row.decode(Date?.self, "second_approved_at"),
            rejectedAt: try row.decode(Date?.self, "rejected_at"),
            sendAttempts: try row.decode(Int.self, "send_attempts"),
            sendStartedAt: try row.decode(Date?.self, "send_started_at"), sentAt: try row.decode(Date?.self, "sent_at"),
            completedAt: try row.decode(Date?.self, "completed_at"),
            statusChecks: try row.decode(Int.self, "status_checks"),
            statusCheckDueAt: try row.decode(Date?.self, "status_check_due_at"),
            updatedAt: try row.decode(Date.self, "updated_at"), phone: try row.decode(String.self, "pay_phone"),
            paymentAmount: try row.decode(Money.self, "payment_amount"))
    }

    // MARK: Reading

    /// One refund by id; `forUpdate` locks the refund row until the transaction ends.
    public static func load(
        _ db: isolated PostgresConnection, id: Int64, forUpdate: Bool = false
    ) throws(PostgresError) -> RefundRecord? {
        let lock: StaticString = forUpdate ? " FOR UPDATE OF r" : ""
        return try db.query(
            """
            SELECT \(unescaped: columns) FROM refunds r JOIN payments p ON p.id = r.payment_id
            WHERE r.id = \(id)\(unescaped: lock)
            """
        ).first.map(record)
    }

    /// The refund sent with this OriginatorConversationID, locked.
    public static func load(
        _ db: isolated PostgresConnection, originatorConversationID: String
    ) throws(PostgresError) -> RefundRecord? {
        try db.query(
            """
            SELECT \(unescaped: columns) FROM refunds r JOIN payments p ON p.id = r.payment_id
            WHERE r.originator_conversation_id = \(originatorConversationID) FOR UPDATE OF r
            """
        ).first.map(record)
    }

    /// Refunds, newest first, optionally of one status.
    public static func list(
        _ db: isolated PostgresConnection, status: RefundStatus?, limit: Int
    ) throws(PostgresError) -> [RefundRecord] {
        let rows = try db.query(
            """
            SELECT \(unescaped: columns) FROM refunds r JOIN payments p ON p.id = r.payment_id
            WHERE (\(status?.rawValue)::text IS NULL OR r.status = \(status?.rawValue)) ORDER BY r.id DESC LIMIT \(limit)
            """)
        return try rows.map(record)
    }

    // MARK: Approval

    /// What a refund proposal needs to know about its payment.
    public struct PaymentForRefund: Sendable, Equatable {
        public var id: Int64
        public var status: PaymentStatus
        public var amount: Money
        /// The payment's non-rejected, non-failed refunds so far.
        public var committed: Money
    }

    /// The payment a refund would come from, with what is already committed.
    public static func paymentForRefund(
        _ db: isolated PostgresConnection, paymentID: Int64
    ) throws(PostgresError) -> PaymentForRefund? {
        guard
            let row = try db.query(
                """
                SELECT p.id, p.status, p.amount,
                    (SELECT coalesce(sum(amount), 0) FROM refunds
                      WHERE payment_id = p.id AND status NOT IN ('rejected', 'failed')) AS committed
                FROM payments p WHERE p.id = \(paymentID)
                """
            ).first
        else { return nil }
        let status = try row.decode(String.self, "status")
        return PaymentForRefund(
            id: paymentID, status: PaymentStatus(rawValue: status) ?? .unknown,
            amount: try row.decode(Money.self, "amount"), committed: try row.decode(Money.self, "committed"))
    }

    /// Inserts a proposal; the database refuses it (constraint `refunds_within_payment_amount`) when the payment's
    /// refunds would exceed its amount.
    /// `proposer` is the admin's account (`nil` for the system's own proposals); the database checks it is an active
    /// admin (trigger `refunds_decisions_need_accounts`).
    public static func insertProposal(
        _ db: isolated PostgresConnection, paymentID: Int64, exceptionID: Int64?, state: RefundState, reason: String,
        now: Date, proposer: ActingAccount? = nil
    ) throws(PostgresError) -> Int64 {
        let via = proposer?.channel.rawValue ?? "system"
        let inserted = try db.query(
            """
            INSERT INTO refunds (payment_id, exception_id, amount, reason, status, proposed_by, proposed_at, updated_at,
                                 proposed_by_user_id, proposed_via)
            VALUES (\(paymentID), \(exceptionID), \(state.amount), \(reason), \(state.status.rawValue),
                    \(state.proposedBy), \(now), \(now), \(proposer?.account.id), \(via))
            RETURNING id
            """)
        guard let id = try inserted.first?.decode(Int64.self, "id") else {
            throw PostgresError(code: .misuse, message: "the refund insert returned no id")
        }
        return id
    }

    /// Writes an approval or rejection decided by ``RefundApproval``; a rejection resolves the refund's finding as a
    /// person's decision, so reconcile never reopens it.
    /// The acting account goes into the column of the decision it made; the database refuses an account that is
    /// not an active admin, the proposer, or the first approver approving twice.
    public static func writeDecision(
        _ db: isolated PostgresConnection, refund: RefundRecord, next: RefundState, now: Date, acting: ActingAccount
    ) throws(PostgresError) {
        let old = refund.state
        let approves = old.approvedBy == nil && next.approvedBy != nil
        let approvesSecond = old.secondApprovedBy == nil && next.secondApprovedBy != nil
        let rejects = old.rejectedBy == nil && next.rejectedBy != nil
        let id = acting.account.id
        let via = acting.channel.rawValue
        try db.query(
            """
            UPDATE refunds SET status = \(next.status.rawValue),
                approved_by_user_id = CASE WHEN \(approves)::boolean THEN \(id)::bigint ELSE approved_by_user_id END,
                approved_via = CASE WHEN \(approves)::boolean THEN \(via)::text ELSE approved_via END,
                second_approved_by_user_id = CASE WHEN \(approvesSecond)::boolean THEN \(id)::bigint
                                                  ELSE second_approved_by_user_id END,
                second_approved_via = CASE WHEN \(approvesSecond)::boolean THEN \(via)::text ELSE second_approved_via END,
                rejected_by_user_id = CASE WHEN \(rejects)::boolean THEN \(id)::bigint ELSE rejected_by_user_id END,
                rejected_via = CASE WHEN \(rejects)::boolean THEN \(via)::text ELSE rejected_via END,
                approved_by = \(next.approvedBy),
                approved_at = CASE WHEN \(old.approvedBy == nil && next.approvedBy != nil)::boolean THEN \(now)::timestamptz
                                   ELSE approved_at END,
                second_approved_by = \(next.secondApprovedBy),
                second_approved_at = CASE WHEN \(old.secondApprovedBy == nil && next.secondApprovedBy != nil)::boolean
                                          THEN \(now)::timestamptz ELSE second_approved_at END,
                rejected_by = \(next.rejectedBy), rejected_reason = \(next.rejectedReason),
                rejected_at = CASE WHEN \(next.status == .rejected)::boolean THEN \(now)::timestamptz ELSE rejected_at END,
                updated_at = \(now)
            WHERE id = \(refund.id)
            """)
        if next.status == .rejected, let exceptionID = refund.exceptionID, let by = next.rejectedBy {
            try db.query(
                """
                UPDATE reconciliation_exceptions SET status = 'resolved', resolved_at = \(now), resolved_by = \(by),
                    resolved_by_user_id = \(id), resolution = \("refund \(refund.id) rejected: \(next.rejectedReason ?? "")")
                WHERE id = \(exceptionID) AND status = 'open'
                """)
        }
        let action =
            rejects
            ? (old.status == .approved ? "refund.cancel" : "refund.reject")
            : (approvesSecond ? "refund.approve_second" : "refund.approve")
        try UserStore.audit(
            db, acting: acting, action: action, subject: "refund", subjectID: refund.id,
            detail: JSONText.object(["from": old.status.rawValue, "to": next.status.rawValue]), at: now)
    }

    // MARK: Dispatch

    /// Claims the next refund to send (approved, or a resend that is due) with `FOR UPDATE SKIP LOCKED`, and marks it
    /// `sending` with its OriginatorConversationID. The caller commits this BEFORE the B2C call.
    public static func claimForSending(
        _ db: isolated PostgresConnection, freshID: String, now: Date
    ) throws(PostgresError) -> ClaimedRefund? {
        guard
            let row = try db.query(
                """
                SELECT id FROM refunds
                WHERE status = 'approved' OR (status = 'sending' AND resend_due)
                ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED
                """
            ).first
        else { return nil }
        let id = try row.decode(Int64.self, "id")
        guard let refund = try load(db, id: id, forUpdate: true) else { return nil }
        let transition = RefundStateMachine.apply(.claim(freshID: freshID), to: refund.state)
        guard transition.effect == .applied, let ocid = transition.next.originatorConversationID else { return nil }
        try write(db, refund: refund, transition: transition, now: now)
        return ClaimedRefund(
            id: id, originatorConversationID: ocid, amount: refund.state.amount, phone: refund.phone,
            isResend: refund.state.resendDue)
    }

    /// Applies an event to the refund `id` under a row lock and writes the result.
    @discardableResult
    public static func apply(
        _ db: isolated PostgresConnection, refundID id: Int64, event: RefundEvent, now: Date
    ) throws(PostgresError) -> RefundTransition? {
        guard let refund = try load(db, id: id, forUpdate: true) else { return nil }
        let transition = RefundStateMachine.apply(event, to: refund.state)
        try write(db, refund: refund, transition: transition, now: now)
        return transition
    }

    /// Writes a transition: the row, the status-check schedule, and any finding.
    static func write(
        _ db: isolated PostgresConnection, refund: RefundRecord, transition: RefundTransition, now: Date
    ) throws(PostgresError) {
        if let finding = transition.finding {
            let qualifier = finding.kind == .callbackConflict ? finding.detail.hashKey : nil
            try ExceptionStore.record(
                db, key: FindingKey(finding.kind, .refund(refund.id, qualifier: qualifier)),
                paymentID: refund.paymentID,
                expected: refund.state.amount, detail: ["detail": finding.detail, "refund_id": String(refund.id)],
                now: now)
        }
        guard transition.effect == .applied else { return }
        let next = transition.next
        let old = refund.state
        let due: Date?
        switch transition.statusCheck {
        case .unchanged: due = refund.statusCheckDueAt
        case .afterTimeout, .never: due = nil
        case .now: due = now
        }
        let claimed = transition.countsSendAttempt
        let sentNow = old.status != .sent && next.status == .sent
        let finished = !old.status.isFinal && next.status.isFinal
        try db.query(
            """
            UPDATE refunds SET status = \(next.status.rawValue),
                originator_conversation_id = \(next.originatorConversationID),
                conversation_id = \(next.conversationID), transaction_id = \(next.receipt),
                result_code = \(next.resultCode), result_desc = \(next.resultDescription),
                resend_due = \(next.resendDue), dispatch_note = \(next.note),
                status_check_due_at = \(due),
                send_attempts = send_attempts + \(claimed ? 1 : 0),
                send_started_at = CASE WHEN \(claimed)::boolean THEN \(now)::timestamptz ELSE send_started_at END,
                sent_at = CASE WHEN \(sentNow)::boolean THEN \(now)::timestamptz ELSE sent_at END,
                completed_at = CASE WHEN \(finished)::boolean THEN \(now)::timestamptz ELSE completed_at END,
                updated_at = \(now)
            WHERE id = \(refund.id)
            """)
    }

    /// Claims refunds in flight whose status check is due (`FOR UPDATE SKIP LOCKED`): a queue timeout or an unclear
    /// answer made it due, or `stuckAfter` passed since the send without a result. Counts the check and pushes the
    /// next one past `recheckAfter`; refunds that used up `maxChecks` become `unknown` for a person instead.
    public static func claimForStatusCheck(
        _ db: isolated PostgresConnection, now: Date, limit: Int, stuckAfter: TimeInterval, recheckAfter: TimeInterval,
        maxChecks: Int
    ) throws(PostgresError) -> [RefundToCheck] {
        let rows = try db.query(
            """
            SELECT id, originator_conversation_id, status_checks FROM refunds
            WHERE status IN ('sending', 'sent', 'unknown') AND NOT resend_due AND handed_over_at IS NULL
                AND originator_conversation_id IS NOT NULL
                AND (status_check_due_at <= \(now)
                     OR (status_check_due_at IS NULL AND send_started_at <= \(now.addingTimeInterval(-stuckAfter))))
            ORDER BY id LIMIT \(limit) FOR UPDATE SKIP LOCKED
            """)
        var claimed: [RefundToCheck] = []
        for row in rows {
            let id = try row.decode(Int64.self, "id")
            let ocid = try row.decode(String.self, "originator_conversation_id")
            let checks = try row.decode(Int.self, "status_checks")
            if checks >= maxChecks {
                try apply(db, refundID: id, event: .statusChecksExhausted(checks), now: now)
                try db.query("UPDATE refunds SET handed_over_at = \(now) WHERE id = \(id)")
                claimed.append(RefundToCheck(id: id, originatorConversationID: ocid, gaveUp: true))
                continue
            }
            try db.query(
                """
                UPDATE refunds SET status_checks = status_checks + 1,
                    status_check_due_at = \(now.addingTimeInterval(recheckAfter)), updated_at = \(now)
                WHERE id = \(id)
                """)
            claimed.append(RefundToCheck(id: id, originatorConversationID: ocid, gaveUp: false))
        }
        return claimed
    }

    /// Remembers a Transaction Status query about a refund: its result names these ids, not the refund's.
    public static func recordStatusCheck(
        _ db: isolated PostgresConnection, refundID: Int64, originatorConversationID: String?, conversationID: String?,
        now: Date
    ) throws(PostgresError) {
        try db.query(
            """
            INSERT INTO refund_status_checks (refund_id, originator_conversation_id, conversation_id, asked_at)
            VALUES (\(refundID), \(originatorConversationID), \(conversationID), \(now))
            """)
    }

    // MARK: Callbacks

    /// Applies a B2C result (ResultCode only decides: 0 succeeded, a documented failure failed, anything else
    /// unknown and Transaction Status asked) to the refund whose OriginatorConversationID it names.
    public static func applyResult(
        _ db: isolated PostgresConnection, originatorConversationID: String, answer: B2CAnswer, resultCode: String,
        resultDescription: String, conversationID: String?, transactionID: String?, now: Date
    ) throws(PostgresError) -> ResultEffect {
        guard let refund = try load(db, originatorConversationID: originatorConversationID) else { return .unmatched }
        let transition = RefundStateMachine.apply(
            .result(
                answer, code: resultCode, description: resultDescription, conversationID: conversationID,
                transactionID: transactionID), to: refund.state)
        try write(db, refund: refund, transition: transition, now: now)
        return effect(transition.effect)
    }

    /// The refund a Transaction Status result is about: found by the query's own ids (recorded when it was asked),
    /// else by the OriginatorConversationID the result reports for the queried transaction.
    public static func refundForStatusResult(
        _ db: isolated PostgresConnection, queryOriginatorConversationID: String?, queryConversationID: String?,
        queriedOriginatorConversationID: String?
    ) throws(PostgresError) -> (refundID: Int64, checkID: Int64?)? {
        if queryOriginatorConversationID != nil || queryConversationID != nil,
            let row = try db.query(
                """
                SELECT id, refund_id FROM refund_status_checks
                WHERE originator_conversation_id = \(queryOriginatorConversationID)
                   OR conversation_id = \(queryConversationID)
                ORDER BY id DESC LIMIT 1
                """
            ).first
        {
            return (try row.decode(Int64.self, "refund_id"), try row.decode(Int64.self, "id"))
        }
        if let queried = queriedOriginatorConversationID,
            let row = try db.query("SELECT id FROM refunds WHERE originator_conversation_id = \(queried)").first
        {
            return (try row.decode(Int64.self, "id"), nil)
        }
        return nil
    }

    /// Applies a Transaction Status verdict to a refund. A result whose queried id is not the refund's is a conflict.
    public static func applyStatusResult(
        _ db: isolated PostgresConnection, refundID: Int64, checkID: Int64?, queriedOriginatorConversationID: String?,
        verdict: TransactionStatusVerdict, now: Date
    ) throws(PostgresError) -> ResultEffect {
        guard let refund = try load(db, id: refundID, forUpdate: true) else { return .unmatched }
        if let checkID {
            try db.query(
                """
                UPDATE refund_status_checks SET answered_at = \(now), verdict = \(verdict.name)
                WHERE id = \(checkID) AND answered_at IS NULL
                """)
        }
        if let queried = queriedOriginatorConversationID, queried != refund.state.originatorConversationID {
            try ExceptionStore.record(
                db, key: FindingKey(.callbackConflict, .refund(refundID, qualifier: "status:\(queried)")),
                paymentID: refund.paymentID,
                detail: [
                    "detail": "a Transaction Status result asked for refund \(refundID) reports another transaction"
                ],
                now: now)
            return .conflict
        }
        let transition = RefundStateMachine.apply(.statusAnswered(verdict), to: refund.state)
        try write(db, refund: refund, transition: transition, now: now)
        return effect(transition.effect)
    }

    /// Notes a queue timeout: on a refund's B2C request it makes Transaction Status due at once (never a resend); on
    /// a Transaction Status query it asks again at once.
    public static func noteTimeout(
        _ db: isolated PostgresConnection, originatorConversationID: String, now: Date
    ) throws(PostgresError) -> ResultEffect {
        if let refund = try load(db, originatorConversationID: originatorConversationID) {
            let transition = RefundStateMachine.apply(.queueTimeout, to: refund.state)
            try write(db, refund: refund, transition: transition, now: now)
            return effect(transition.effect)
        }
        let checks = try db.query(
            """
            UPDATE refund_status_checks SET answered_at = \(now), verdict = 'timeout'
            WHERE originator_conversation_id = \(originatorConversationID) AND answered_at IS NULL
            RETURNING refund_id
            """)
        guard let refundID = try checks.first?.decode(Int64.self, "refund_id") else { return .unmatched }
        try db.query(
            """
            UPDATE refunds SET status_check_due_at = \(now), updated_at = \(now)
            WHERE id = \(refundID) AND status IN ('sending', 'sent', 'unknown') AND NOT resend_due
                AND handed_over_at IS NULL
            """)
        return .applied
    }

    static func effect(_ effect: RefundEffect) -> ResultEffect {
        switch effect {
        case .applied: .applied
        case .duplicate: .duplicate
        case .conflict: .conflict
        case .ignored, .refused: .ignored
        }
    }
}

extension String {
    /// A short stable digest of a text, to keep distinct findings of one refund under distinct keys.
    var hashKey: String {
        var hash: UInt32 = 0x811c_9dc5
        for byte in utf8 {
            hash ^= UInt32(byte)
            hash = hash &* 0x0100_0193
        }
        return String(hash, radix: 16)
    }
}
