public import Foundation
public import ReconCore

/// Refund rows as the B2C result callbacks move them (the refund workflow itself builds on this).
public enum RefundStore {
    /// What a B2C result did to a refund.
    public enum ResultEffect: Sendable, Equatable {
        case applied
        case duplicate
        case conflict
        case unmatched
    }

    /// Applies a B2C result (ResultCode only decides: 0 succeeded, a documented failure failed, anything else
    /// unknown for a person) to the refund whose OriginatorConversationID it names.
    public static func applyResult(
        _ db: isolated PostgresConnection, originatorConversationID: String, answer: B2CAnswer, resultCode: String,
        resultDescription: String, conversationID: String?, transactionID: String?, now: Date
    ) throws(PostgresError) -> ResultEffect {
        guard
            let row = try db.query(
                """
                SELECT id, payment_id, status, transaction_id FROM refunds
                WHERE originator_conversation_id = \(originatorConversationID) FOR UPDATE
                """
            ).first
        else { return .unmatched }
        let id = try row.decode(Int64.self, "id")
        let status = try row.decode(String.self, "status")
        let newStatus: String
        var receipt: String?
        switch answer {
        case .succeeded(let details):
            newStatus = "succeeded"
            receipt = details.receipt ?? transactionID
        case .failed: newStatus = "failed"
        case .notUnderstood: newStatus = "unknown"
        }
        switch status {
        case "succeeded", "failed":
            if status == newStatus { return .duplicate }
            try ExceptionStore.record(
                db, kind: "callback_conflict", key: "callback_conflict:refund:\(id):\(resultCode)",
                paymentID: try row.decode(Int64.self, "payment_id"),
                detail: ["detail": "B2C result \(resultCode) for refund \(id) that is already \(status)"], now: now)
            return .conflict
        case "sending", "sent", "unknown":
            try db.query(
                """
                UPDATE refunds SET status = \(newStatus), result_code = \(resultCode),
                    result_desc = \(resultDescription), conversation_id = coalesce(\(conversationID), conversation_id),
                    transaction_id = \(receipt), completed_at = \(now), updated_at = \(now)
                WHERE id = \(id)
                """)
            return .applied
        default:
            // A result for a refund never sent (proposed/approved/rejected) is a contradiction for a person.
            try ExceptionStore.record(
                db, kind: "callback_conflict", key: "callback_conflict:refund:\(id):\(resultCode)",
                paymentID: try row.decode(Int64.self, "payment_id"),
                detail: ["detail": "B2C result \(resultCode) for refund \(id) in state \(status)"], now: now)
            return .conflict
        }
    }

    /// Notes a queue timeout on the refund; not final: Transaction Status decides later.
    public static func noteTimeout(
        _ db: isolated PostgresConnection, originatorConversationID: String, now: Date
    ) throws(PostgresError) -> ResultEffect {
        let updated = try db.query(
            """
            UPDATE refunds SET result_desc = 'queue timeout: to be resolved with Transaction Status',
                updated_at = \(now)
            WHERE originator_conversation_id = \(originatorConversationID) AND status IN ('sending', 'sent')
            """)
        return updated.affected > 0 ? .applied : .unmatched
    }
}
