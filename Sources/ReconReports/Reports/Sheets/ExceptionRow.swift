import Foundation
import ReconCore
import ReconPostgres

/// A reconciliation exception open at some time during the period: one row of the Exceptions sheet.
struct ExceptionRow: ReportRowModel, Hashable {
    var id: Int64
    var kind: String
    var status: String
    var firstSeen: Date
    var resolvedAt: Date?
    var paymentID: Int64?
    var checkoutRequestID: String?
    var learnerID: Int64?
    var learner: String?
    var courseID: Int64?
    var course: String?
    var expected: Money?
    var received: Money?
    var resolution: String?
    /// The job's JSON detail, as PostgreSQL prints `jsonb` (keys in a fixed order).
    var detail: String

    static let sheet = ReportSheet.exceptions

    static let columns: [ReportColumn] = [
        ReportColumn("exception_id", "Exception", .integer, width: 10),
        ReportColumn("kind", "Kind", .text, width: 20),
        ReportColumn("status", "Status", .text, width: 9),
        ReportColumn("first_seen_eat", "First seen (EAT)", .dateTime, width: 20),
        ReportColumn("resolved_at_eat", "Resolved at (EAT)", .dateTime, width: 20),
        ReportColumn("age_hours", "Age (hours)", .integer, width: 11),
        .paymentID,
        .checkoutRequestID,
        .learnerID,
        .learner,
        .courseID,
        .course,
        ReportColumn("expected_kes", "Expected (KES)", .money, width: 14, totalled: true),
        ReportColumn("received_kes", "Received (KES)", .money, width: 14, totalled: true),
        ReportColumn("difference_kes", "Received - expected (KES)", .money, width: 16, totalled: true),
        ReportColumn("resolution", "Resolution", .text, width: 28),
        ReportColumn("detail", "Detail", .text, width: 60, wide: true),
    ]

    static func query(_ scope: ReportScope) -> SQLQuery {
        ReportQueries.exceptionRows(scope.period.start, scope.period.end)
    }

    init(_ reader: inout RowReader) throws(PostgresError) {
        id = try reader.next("id", Int64.self)
        kind = try reader.next("kind", String.self)
        status = try reader.next("status", String.self)
        firstSeen = try reader.next("first_seen", Date.self)
        resolvedAt = try reader.optional("resolved_at", Date.self)
        paymentID = try reader.optional("payment_id", Int64.self)
        checkoutRequestID = try reader.optional("checkout_request_id", String.self)
        learnerID = try reader.optional("learner_id", Int64.self)
        learner = try reader.optional("learner", String.self)
        courseID = try reader.optional("course_id", Int64.self)
        course = try reader.optional("course", String.self)
        expected = try reader.optional("expected_amount", Money.self)
        received = try reader.optional("received_amount", Money.self)
        resolution = try reader.optional("resolution", String.self)
        detail = try reader.next("detail", String.self)
    }

    /// Whole hours from first seen to resolution, or to `asOf` while open; never negative.
    func ageHours(asOf: Date) -> Int64 {
        let seconds = (resolvedAt ?? asOf).timeIntervalSince(firstSeen)
        guard seconds.isFinite, seconds > 0 else { return 0 }
        return Int64((seconds / 3600).rounded(.down))
    }

    /// Received minus expected, when both are known.
    var difference: Money? {
        guard let expected, let received else { return nil }
        return received.subtracting(expected)
    }

    func values(_ scope: ReportScope) -> [ReportValue] {
        [
            .integer(id), .text(kind), .text(status), .dateTime(firstSeen), .dateTime(resolvedAt),
            .integer(ageHours(asOf: scope.asOf)), .integer(paymentID), scope.identifier(checkoutRequestID),
            .integer(learnerID),
            .text(learner), .integer(courseID), .text(course), .money(expected), .money(received),
            .money(difference), scope.freeText(resolution), scope.freeText(Self.sentence(detail)),
        ]
    }

    /// The detail as a reader reads it: the finding's own sentence, then any other facts as "name: value", never
    /// JSON. Text that is not a JSON object is shown as it is.
    static func sentence(_ json: String) -> String {
        guard let data = json.data(using: .utf8),
            let object = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any]
        else { return json }
        func text(_ value: Any) -> String {
            if let string = value as? String { return string }
            if let number = value as? NSNumber { return number.stringValue }
            return "\(value)"
        }
        var parts: [String] = []
        if let main = object["detail"] { parts.append(text(main)) }
        let others = object.keys.filter { $0 != "detail" }.sorted().map { key in
            "\(key.replacingOccurrences(of: "_", with: " ")): \(text(object[key] ?? ""))"
        }
        if !others.isEmpty { parts.append("(" + others.joined(separator: "; ") + ")") }
        var sentence = parts.joined(separator: " ")
        if let first = sentence.first, first.isLowercase { sentence = first.uppercased() + sentence.dropFirst() }
        return sentence
    }
}
