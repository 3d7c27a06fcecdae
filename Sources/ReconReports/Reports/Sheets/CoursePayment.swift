import ReconCore
import ReconPostgres

/// Who paid how much for which course, from which phone: the run of columns the Settled and Pending sheets share.
struct CoursePayment: Sendable, Hashable {
    var learnerID: Int64
    var learner: String
    var courseID: Int64
    var course: String
    var amount: Money
    var phone: String

    /// The columns, in the order a row's query selects them and `values(_:)` returns them.
    static let columns: [ReportColumn] = [.learnerID, .learner, .courseID, .course, .amount, .phone]

    init(_ reader: inout RowReader) throws(PostgresError) {
        learnerID = try reader.next("learner_id", Int64.self)
        learner = try reader.next("learner", String.self)
        courseID = try reader.next("course_id", Int64.self)
        course = try reader.next("course", String.self)
        amount = try reader.next("amount", Money.self)
        phone = try reader.next("phone", String.self)
    }

    /// Appends this run's values to a row's (one array per row, not one per part).
    func append(to values: inout [ReportValue], _ scope: ReportScope) {
        values.append(.integer(learnerID))
        values.append(.text(learner))
        values.append(.integer(courseID))
        values.append(.text(course))
        values.append(.money(amount))
        values.append(scope.phone(phone))
    }
}
