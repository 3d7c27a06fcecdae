import Foundation
import ReconCore
import ReconPostgres

/// A payment still pending or unknown when the report is written: one row of the Pending sheet.
struct PendingRow: ReportRowModel, Hashable {
    var paymentID: Int64
    var status: String
    var checkoutRequestID: String?
    var createdAt: Date
    /// Who paid how much for which course.
    var payment: CoursePayment
    var checkAttempts: Int64
    var lastAnswer: String?
    var nextCheckAt: Date?

    static let sheet = ReportSheet.pending

    static let columns: [ReportColumn] =
        [
            .paymentID,
            ReportColumn("status", "Status", .text, width: 9),
            .checkoutRequestID,
            ReportColumn("created_at_eat", "Created (EAT)", .dateTime, width: 20),
        ] + CoursePayment.columns + [
            ReportColumn("check_attempts", "Attempts", .integer, width: 9),
            ReportColumn("last_answer", "Last answer", .text, width: 40, wide: true),
            ReportColumn("next_check_at_eat", "Next check (EAT)", .dateTime, width: 20),
        ]

    static func query(_ scope: ReportScope) -> SQLQuery {
        ReportQueries.pendingRows(scope.period.end)
    }

    init(_ reader: inout RowReader) throws(PostgresError) {
        paymentID = try reader.next("payment_id", Int64.self)
        status = try reader.next("status", String.self)
        checkoutRequestID = try reader.optional("checkout_request_id", String.self)
        createdAt = try reader.next("created_at", Date.self)
        payment = try CoursePayment(&reader)
        checkAttempts = try reader.next("check_attempts", Int64.self)
        lastAnswer = try reader.optional("last_answer", String.self)
        nextCheckAt = try reader.optional("next_check_at", Date.self)
    }

    func values(_ scope: ReportScope) -> [ReportValue] {
        var values: [ReportValue] = []
        values.reserveCapacity(Self.columns.count)
        values.append(.integer(paymentID))
        values.append(.text(status))
        values.append(scope.identifier(checkoutRequestID))
        values.append(.dateTime(createdAt))
        payment.append(to: &values, scope)
        values.append(.integer(checkAttempts))
        values.append(scope.freeText(lastAnswer))
        values.append(.dateTime(nextCheckAt))
        return values
    }
}
