import Foundation
import ReconCore
import ReconPostgres

/// A payment completed in the period: one row of the Settled sheet.
struct SettledRow: ReportRowModel, Hashable {
    var receipt: String?
    /// When M-Pesa says it was paid, or for a payment settled by query (no time given) when it was settled.
    var paidAt: Date
    var paymentID: Int64
    /// Who paid how much for which course; the amount is what M-Pesa reported as paid, or the amount asked
    /// when it reported none (settled by query).
    var payment: CoursePayment
    var checkoutRequestID: String?
    var settledVia: String
    /// `stk`, `c2b` (a confirmation) or `pull` (Pull Transactions, when no callback delivered it).
    var source: String
    var enrollmentID: Int64?
    var enrollmentStatus: String?

    static let sheet = ReportSheet.settled

    static let columns: [ReportColumn] =
        [
            ReportColumn("receipt", "M-Pesa receipt", .text, width: 14),
            ReportColumn("paid_at_eat", "Paid at (EAT)", .dateTime, width: 20),
            .paymentID,
        ] + CoursePayment.columns + [
            .checkoutRequestID,
            ReportColumn("settled_via", "Settled via", .text, width: 11),
            ReportColumn("source", "Source", .text, width: 7),
            ReportColumn("enrollment_id", "Enrollment", .integer, width: 11),
            ReportColumn("enrollment_status", "Enrollment status", .text, width: 17),
        ]

    static func query(_ scope: ReportScope) -> SQLQuery {
        ReportQueries.settledRows(scope.period.start, scope.period.end)
    }

    init(_ reader: inout RowReader) throws(PostgresError) {
        receipt = try reader.optional("receipt", String.self)
        paidAt = try reader.next("paid_at", Date.self)
        paymentID = try reader.next("payment_id", Int64.self)
        payment = try CoursePayment(&reader)
        checkoutRequestID = try reader.optional("checkout_request_id", String.self)
        settledVia = try reader.next("settled_via", String.self)
        source = try reader.next("source", String.self)
        enrollmentID = try reader.optional("enrollment_id", Int64.self)
        enrollmentStatus = try reader.optional("enrollment_status", String.self)
    }

    func values(_ scope: ReportScope) -> [ReportValue] {
        var values: [ReportValue] = []
        values.reserveCapacity(Self.columns.count)
        values.append(.text(receipt ?? "pending"))
        values.append(.dateTime(paidAt))
        values.append(.integer(paymentID))
        payment.append(to: &values, scope)
        values.append(scope.identifier(checkoutRequestID))
        values.append(.text(settledVia))
        values.append(.text(source))
        values.append(.integer(enrollmentID))
        values.append(.text(enrollmentStatus ?? "none"))
        return values
    }
}
