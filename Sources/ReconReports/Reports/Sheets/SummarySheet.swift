import Foundation
import ReconCore
import ReconPostgres

/// One line of the Summary sheet: a section, what is counted, how many, how much.
struct SummaryLine: Sendable, Hashable {
    var section: String
    /// Text, or a date for the per-day lines.
    var item: ReportValue
    var count: Int64?
    var amount: Money?
    /// For the net line: the workbook computes its amount as the first line's amount minus the second's
    /// (indexes into the Summary's lines).
    var difference: [Int]?

    init(_ section: String, _ item: ReportValue, count: Int64? = nil, amount: Money? = nil) {
        self.section = section
        self.item = item
        self.count = count
        self.amount = amount
    }

    static let columns = [
        ReportColumn("section", "Section", .text, width: 34),
        ReportColumn("item", "Item", .text, width: 58, wide: true),
        ReportColumn("count", "Count", .integer, width: 10),
        ReportColumn("amount_kes", "Amount (KES)", .money, width: 16),
    ]

    var values: [ReportValue] { [.text(section), item, .integer(count), .money(amount)] }
}

/// The Summary sheet and the figures the other sheets must agree with, read in the report's snapshot.
struct ReportSummary: Sendable {
    var lines: [SummaryLine] = []
    /// Data rows each streamed sheet will have.
    var expectedRows: [ReportSheet: Int] = [:]
    /// The amount column total of the Settled, Refunds and Pending sheets.
    var expectedAmounts: [ReportSheet: Money] = [:]
    var settled = ReportTotal(count: 0, amount: .zero)
    var refunded = ReportTotal(count: 0, amount: .zero)
    var net = Money.zero

    static let paymentStatuses = ["pending", "completed", "failed", "unknown"]
    static let channels = ["callback", "query", "admin"]
    static let refundStatuses = [
        "proposed", "approved", "rejected", "sending", "sent", "succeeded", "failed", "unknown",
    ]

    /// Runs the Summary's queries; they use the same conditions as the sheets' queries.
    static func load(_ scope: ReportScope, db: isolated PostgresConnection) throws -> ReportSummary {
        var summary = ReportSummary()
        let period = scope.period
        summary.add("period", .text("\(period.first) to \(period.last), both days included"))
        summary.add("time zone", .text("East Africa Time (UTC+3); every time in this report is EAT"))
        summary.add(
            "phone numbers",
            .text(scope.maskPhoneNumbers ? "masked as 2547****1234" : "NOT masked (--unmasked)"))

        // Payments started in the period, by what became of them.
        let started = try groups(
            db.query(ReportQueries.startedByStatus(period.start, period.end)))
        try summary.addFixed("payments started in period, by status", Self.paymentStatuses, started, total: true)

        try summary.loadSettled(scope, db: db)

        let allPending = try total(
            db.query(ReportQueries.receiptsPending))
        summary.add(
            "receipts pending", .text("all completed payments without a receipt, any period"),
            count: allPending.count, amount: allPending.amount)

        let open = try groups(
            db.query(ReportQueries.openByStatus(period.end)))
        let openTotal = try summary.addFixed(
            "still pending or unknown (Pending sheet)", ["pending", "unknown"], open, total: true)
        summary.expectedRows[.pending] = Int(openTotal.count)
        summary.expectedAmounts[.pending] = openTotal.amount

        let exceptions = try db.query(ReportQueries.exceptionsByKindAndStatus(period.start, period.end))
        var byKind: [String: Int64] = [:]
        var byStatus: [String: Int64] = [:]
        for row in exceptions {
            let n = try row.decode(Int64.self, "n")
            byKind[try row.decode(String.self, "kind"), default: 0] += n
            byStatus[try row.decode(String.self, "status"), default: 0] += n
        }
        let exceptionCount = byKind.values.reduce(0, +)
        for kind in byKind.keys.sorted() {
            summary.add("exceptions by kind (Exceptions sheet)", .text(kind), count: byKind[kind])
        }
        summary.add("exceptions by kind (Exceptions sheet)", .text("total"), count: exceptionCount)
        for status in ["open", "resolved"] {
            summary.add("exceptions by status (Exceptions sheet)", .text(status), count: byStatus[status] ?? 0)
        }
        summary.expectedRows[.exceptions] = Int(exceptionCount)

        let refunds = try groups(
            db.query(ReportQueries.refundsByStatus(period.start, period.end)))
        let refundTotal = try summary.addFixed(
            "refunds by status (Refunds sheet)", Self.refundStatuses, refunds, total: true)
        summary.expectedRows[.refunds] = Int(refundTotal.count)
        summary.expectedAmounts[.refunds] = refundTotal.amount

        summary.refunded = try total(
            db.query(ReportQueries.refundsSucceeded(period.start, period.end)))
        let net = try summary.settled.amount.subtractingChecked(summary.refunded.amount)
        summary.net = net
        let settledLine = summary.lines.count
        summary.add(
            "check", .text("settled in period (Settled sheet)"), count: summary.settled.count,
            amount: summary.settled.amount)
        summary.add(
            "check", .text("refunds succeeded in period"), count: summary.refunded.count,
            amount: summary.refunded.amount)
        var netLine = SummaryLine("check", .text("net = settled − refunded"), amount: net)
        netLine.difference = [settledLine, settledLine + 1]
        summary.lines.append(netLine)
        return summary
    }

    /// Completed in the period, broken down by course, day, channel and receipt, in one pass over the rows.
    private mutating func loadSettled(_ scope: ReportScope, db: isolated PostgresConnection) throws {
        let rows = try db.query(ReportQueries.settledBreakdown(scope.period.start, scope.period.end))
        var courses: [(title: String, id: Int64, total: ReportTotal)] = []
        var days: [CivilDate: ReportTotal] = [:]
        var channels: [String: ReportTotal] = [:]
        var receiptPending = ReportTotal(count: 0, amount: .zero)
        for row in rows {
            let total = ReportTotal(
                count: try row.decode(Int64.self, "n"), amount: try row.decode(Money?.self, "amount") ?? .zero)
            switch try row.decode(String.self, "dimension") {
            case "course":
                courses.append(
                    (try row.decode(String.self, "course"), try row.decode(Int64.self, "course_id"), total))
            case "day":
                days[try CivilDate(parsing: try row.decode(String.self, "day"))] = total
            case "via":
                channels[try row.decode(String.self, "settled_via")] = total
            case "receipt":
                if try row.decode(Bool.self, "receipt_pending") { receiptPending = total }
            default:
                settled = total
            }
        }
        courses.sort { ($0.title, $0.id) < ($1.title, $1.id) }
        for course in courses {
            add(
                "settled by course", .text("\(course.title) [course \(course.id)]"), count: course.total.count,
                amount: course.total.amount)
        }
        add("settled by course", .text("total"), count: settled.count, amount: settled.amount)
        // Every day of the period is listed, so a day without payments stands out.
        for day in scope.period.days {
            let total = days[day] ?? ReportTotal(count: 0, amount: .zero)
            add("settled by day (EAT)", .date(day), count: total.count, amount: total.amount)
        }
        try addFixed("settled by channel", Self.channels, channels, total: false)
        add(
            "receipts pending", .text("settled in period, receipt not yet received"), count: receiptPending.count,
            amount: receiptPending.amount)
        expectedRows[.settled] = Int(settled.count)
        expectedAmounts[.settled] = settled.amount
    }

    private mutating func add(_ section: String, _ item: ReportValue, count: Int64? = nil, amount: Money? = nil) {
        lines.append(SummaryLine(section, item, count: count, amount: amount))
    }

    /// One line per key in `keys`' order (zero when absent; unexpected keys follow, sorted), and a total
    /// line when asked; returns the total.
    @discardableResult
    private mutating func addFixed(
        _ section: String, _ keys: [String], _ values: [String: ReportTotal], total: Bool
    ) throws(ReportError) -> ReportTotal {
        var sum = ReportTotal(count: 0, amount: .zero)
        for key in keys + values.keys.filter({ !keys.contains($0) }).sorted() {
            let value = values[key] ?? ReportTotal(count: 0, amount: .zero)
            add(section, .text(key), count: value.count, amount: value.amount)
            sum.count += value.count
            sum.amount = try sum.amount.addingChecked(value.amount)
        }
        if total { add(section, .text("total"), count: sum.count, amount: sum.amount) }
        return sum
    }

    /// `key, n, amount` rows as totals by key.
    private static func groups(_ rows: PostgresRows) throws(PostgresError) -> [String: ReportTotal] {
        var result: [String: ReportTotal] = [:]
        for row in rows {
            result[try row.decode(String.self, "key")] = ReportTotal(
                count: try row.decode(Int64.self, "n"), amount: try row.decode(Money?.self, "amount") ?? .zero)
        }
        return result
    }

    /// A single `n, amount` row.
    private static func total(_ rows: PostgresRows) throws(PostgresError) -> ReportTotal {
        guard let row = rows.first else { return ReportTotal(count: 0, amount: .zero) }
        return ReportTotal(
            count: try row.decode(Int64.self, "n"), amount: try row.decode(Money?.self, "amount") ?? .zero)
    }
}

extension Money {
    /// The sum; a total beyond 64 bits is an error, never a wrapped number.
    func addingChecked(_ other: Money) throws(ReportError) -> Money {
        guard let sum = adding(other) else { throw Self.overflow }
        return sum
    }

    /// The difference; beyond 64 bits is an error.
    func subtractingChecked(_ other: Money) throws(ReportError) -> Money {
        guard let difference = subtracting(other) else { throw Self.overflow }
        return difference
    }

    private static var overflow: ReportError {
        ReportError(code: .valueOutOfRange, operation: "total", message: "an amount total does not fit in 64 bits")
    }
}
