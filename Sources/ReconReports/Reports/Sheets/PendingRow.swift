import Foundation
import ReconCore
import ReconPostgres

/// A payment still pending or unknown when the report is written: one row of the Pending sheet.
struct PendingRow: ReportRowModel, Hashable {
    var paymentID: Int64
    var status: String
    var checkoutRequestID: String?
    var createdAt: Date
    var learnerID: Int64
    var learner: String
    var courseID: Int64
    var course: String
    var amount: Money
    var phone: String
    var checkAttempts: Int64
    var lastAnswer: String?
    var nextCheckAt: Date?

    static let sheet = ReportSheet.pending

    static let columns = [
        ReportColumn("payment_id", "Payment", .integer, width: 10),
        ReportColumn("status", "Status", .text, width: 9),
        ReportColumn("checkout_request_id", "CheckoutRequestID", .text, width: 32),
        ReportColumn("created_at_eat", "Created (EAT)", .dateTime, width: 20),
        ReportColumn("learner_id", "Learner ID", .integer, width: 10),
        ReportColumn("learner", "Learner", .text, width: 28),
        ReportColumn("course_id", "Course ID", .integer, width: 10),
        ReportColumn("course", "Course", .text, width: 32),
        ReportColumn("amount_kes", "Amount (KES)", .money, width: 14, totalled: true),
        ReportColumn("phone", "Phone", .text, width: 15),
        ReportColumn("check_attempts", "Attempts", .integer, width: 9),
        ReportColumn("last_answer", "Last answer", .text, width: 40),
        ReportColumn("next_check_at_eat", "Next check (EAT)", .dateTime, width: 20),
    ]

    /// Still pending or unknown now, and started before the period's end (bound as `$1`).
    static let stillOpen = "p.status IN ('pending', 'unknown') AND p.created_at < $1"

    static func query(_ scope: ReportScope) -> SQLQuery {
        SQLQuery(
            unsafeSQL: """
                SELECT p.id AS payment_id, p.status, p.checkout_request_id, p.created_at, p.user_id AS learner_id,
                       coalesce(nullif(u.full_name, ''), u.email) AS learner, p.course_id, c.title AS course,
                       p.amount, p.phone, p.check_attempts, p.last_answer, p.next_check_at
                FROM payments p
                JOIN users u ON u.id = p.user_id
                JOIN courses c ON c.id = p.course_id
                WHERE \(stillOpen)
                ORDER BY p.created_at, p.id
                """,
            binds: [scope.period.end])
    }

    init(_ reader: inout RowReader) throws(PostgresError) {
        paymentID = try reader.next("payment_id", Int64.self)
        status = try reader.next("status", String.self)
        checkoutRequestID = try reader.optional("checkout_request_id", String.self)
        createdAt = try reader.next("created_at", Date.self)
        learnerID = try reader.next("learner_id", Int64.self)
        learner = try reader.next("learner", String.self)
        courseID = try reader.next("course_id", Int64.self)
        course = try reader.next("course", String.self)
        amount = try reader.next("amount", Money.self)
        phone = try reader.next("phone", String.self)
        checkAttempts = try reader.next("check_attempts", Int64.self)
        lastAnswer = try reader.optional("last_answer", String.self)
        nextCheckAt = try reader.optional("next_check_at", Date.self)
    }

    func values(_ scope: ReportScope) -> [ReportValue] {
        [
            .integer(paymentID), .text(status), .text(checkoutRequestID), .dateTime(createdAt), .integer(learnerID),
            .text(learner), .integer(courseID), .text(course), .money(amount), scope.phone(phone),
            .integer(checkAttempts), scope.freeText(lastAnswer), .dateTime(nextCheckAt),
        ]
    }
}
