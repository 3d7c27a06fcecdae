import Foundation
import ReconCore
import ReconPostgres

/// A refund open at some time during the period: one row of the Refunds register.
struct RefundRow: ReportRowModel, Hashable {
    var id: Int64
    var paymentID: Int64
    var exceptionID: Int64?
    var learnerID: Int64
    var learner: String
    var phone: String
    var amount: Money
    var reason: String
    var status: String
    var proposedBy: String
    var proposedAt: Date
    var approvedBy: String?
    var approvedAt: Date?
    var secondApprovedBy: String?
    var secondApprovedAt: Date?
    var rejectedBy: String?
    var rejectedAt: Date?
    var rejectedReason: String?
    var originatorConversationID: String?
    var conversationID: String?
    var transactionID: String?
    var resultCode: String?
    var resultDescription: String?
    var completedAt: Date?

    static let sheet = ReportSheet.refunds

    static let columns: [ReportColumn] = [
        ReportColumn("refund_id", "Refund", .integer, width: 9),
        .paymentID,
        ReportColumn("exception_id", "Exception", .integer, width: 10),
        .learnerID,
        .learner,
        .phone,
        .amount,
        ReportColumn("reason", "Reason", .text, width: 32, wide: true),
        ReportColumn("status", "Status", .text, width: 10),
        ReportColumn("proposed_by", "Proposed by", .text, width: 14),
        ReportColumn("proposed_at_eat", "Proposed at (EAT)", .dateTime, width: 20),
        ReportColumn("approved_by", "Approved by", .text, width: 14),
        ReportColumn("approved_at_eat", "Approved at (EAT)", .dateTime, width: 20),
        ReportColumn("second_approved_by", "Second approver", .text, width: 15),
        ReportColumn("second_approved_at_eat", "Second approval at (EAT)", .dateTime, width: 22),
        ReportColumn("rejected_by", "Rejected by", .text, width: 14),
        ReportColumn("rejected_at_eat", "Rejected at (EAT)", .dateTime, width: 20),
        ReportColumn("rejected_reason", "Rejection reason", .text, width: 28),
        ReportColumn("originator_conversation_id", "OriginatorConversationID", .text, width: 38),
        ReportColumn("conversation_id", "ConversationID", .text, width: 30),
        ReportColumn("transaction_id", "M-Pesa transaction", .text, width: 18),
        ReportColumn("result_code", "Result code", .text, width: 11),
        ReportColumn("result_desc", "Result", .text, width: 40, wide: true),
        ReportColumn("completed_at_eat", "Completed at (EAT)", .dateTime, width: 20),
    ]

    static func query(_ scope: ReportScope) -> SQLQuery {
        ReportQueries.refundRows(scope.period.start, scope.period.end)
    }

    init(_ reader: inout RowReader) throws(PostgresError) {
        id = try reader.next("id", Int64.self)
        paymentID = try reader.next("payment_id", Int64.self)
        exceptionID = try reader.optional("exception_id", Int64.self)
        learnerID = try reader.next("learner_id", Int64.self)
        learner = try reader.next("learner", String.self)
        phone = try reader.next("phone", String.self)
        amount = try reader.next("amount", Money.self)
        reason = try reader.next("reason", String.self)
        status = try reader.next("status", String.self)
        proposedBy = try reader.next("proposed_by", String.self)
        proposedAt = try reader.next("proposed_at", Date.self)
        approvedBy = try reader.optional("approved_by", String.self)
        approvedAt = try reader.optional("approved_at", Date.self)
        secondApprovedBy = try reader.optional("second_approved_by", String.self)
        secondApprovedAt = try reader.optional("second_approved_at", Date.self)
        rejectedBy = try reader.optional("rejected_by", String.self)
        rejectedAt = try reader.optional("rejected_at", Date.self)
        rejectedReason = try reader.optional("rejected_reason", String.self)
        originatorConversationID = try reader.optional("originator_conversation_id", String.self)
        conversationID = try reader.optional("conversation_id", String.self)
        transactionID = try reader.optional("transaction_id", String.self)
        resultCode = try reader.optional("result_code", String.self)
        resultDescription = try reader.optional("result_desc", String.self)
        completedAt = try reader.optional("completed_at", Date.self)
    }

    func values(_ scope: ReportScope) -> [ReportValue] {
        [
            .integer(id), .integer(paymentID), .integer(exceptionID), .integer(learnerID), .text(learner),
            scope.phone(phone), .money(amount), scope.freeText(reason), .text(status), .text(proposedBy),
            .dateTime(proposedAt), .text(approvedBy), .dateTime(approvedAt), .text(secondApprovedBy),
            .dateTime(secondApprovedAt), .text(rejectedBy), .dateTime(rejectedAt), scope.freeText(rejectedReason),
            .text(originatorConversationID), .text(conversationID), .text(transactionID), .text(resultCode),
            scope.freeText(resultDescription), .dateTime(completedAt),
        ]
    }
}
