import Foundation
import ReconCore
import ReconPostgres

/// One line of the Summary sheet: a section, what is counted, how many, how much.
struct SummaryLine: Sendable, Hashable {
    var section: ReportSummary.Section
    /// Text, or a date for the per-day lines.
    var item: ReportValue
    var count: Int64?
    var amount: Money?
    /// For the net line: the workbook computes its amount as the first line's amount minus the second's
    /// (indexes into the Summary's lines).
    var difference: [Int]?

    init(_ section: ReportSummary.Section, _ item: ReportValue, count: Int64? = nil, amount: Money? = nil) {
        self.section = section
        self.item = item
        self.count = count
        self.amount = amount
    }

    /// The CSV's columns: every line names its section, so a machine can filter by it.
    static let columns = [
        ReportColumn("section", "Section", .text, width: 34),
        ReportColumn("item", "Item", .text, width: 58, wide: true),
        ReportColumn("count", "Count", .integer, width: 10),
        ReportColumn("amount_kes", "Amount (KES)", .money, width: 16),
    ]

    var values: [ReportValue] { [.text(section.rawValue), item, .integer(count), .money(amount)] }

    /// The workbook's columns: sections are headings there, so a line is its item, count and amount.
    static let workbookColumns = [
        ReportColumn("item", "Item", .text, width: 60, wide: true).widened(to: 60),
        ReportColumn("count", "Count", .integer, width: 8),
        ReportColumn("amount_kes", "Amount (KES)", .money, width: 13),
    ]

    var workbookValues: [ReportValue] { [item, .integer(count), .money(amount)] }
}

/// The Summary sheet and the figures the other sheets must agree with, read in the report's snapshot.
struct ReportSummary: Sendable {
    var lines: [SummaryLine] = []
    /// Data rows each streamed sheet will have.
    var expectedRows: [ReportSheet: Int] = [:]
    /// The amount column total of the Settled, Refunds and Pending sheets.
    var expectedAmounts: [ReportSheet: Money] = [:]
    var settled = ReportTotal.zero
    /// Where the collected line is, until the Settled sheet's figures are filled in.
    var collectedLine: Int?
    /// Where the Settled sheet's breakdowns go, until they are filled in.
    var breakdownLine: Int?
    var refunded = ReportTotal.zero
    var net = Money.zero

    static let paymentStatuses = ["pending", "completed", "failed", "unknown"]
    static let channels = ["callback", "query", "admin"]
    static let refundStatuses = [
        "proposed", "approved", "rejected", "sending", "sent", "succeeded", "failed", "unknown",
    ]

    /// Section names, in the order a finance reader meets them.
    enum Section: String, Sendable {
        case report = "Report"
        case money = "Money in the period"
        case started = "Payments started in the period, by outcome"
        case byCourse = "Collected by course"
        case byDay = "Collected by day (EAT)"
        case byChannel = "Collected by how it was confirmed"
        case receipts = "Receipts pending"
        case open = "Awaiting a verdict (Pending sheet)"
        case exceptions = "Exceptions (Exceptions sheet)"
        case refunds = "Refunds (Refunds sheet)"
        case statement = "Balance proof against the M-Pesa statement (Statement sheet)"
    }

    /// Runs the Summary's queries; they use the same conditions as the sheets' queries. The figures of the Settled
    /// sheet itself are not queried: they come from its rows (``completing(with:scope:)``), so the period's
    /// completed payments are read once, not twice.
    ///
    /// Laid out as a finance statement: what came in, what went back and the net first; then each breakdown
    /// under its own heading. A total only adds what belongs together: failed and cancelled payments are shown
    /// apart from the money collected, and refunds of different outcomes are counted, never summed.
    static func load(_ scope: ReportScope, db: isolated PostgresConnection) throws -> ReportSummary {
        var summary = ReportSummary()
        let period = scope.period
        summary.add(Section.report, .text("period: \(period.first) to \(period.last), both days included"))
        summary.add(Section.report, .text("time zone: East Africa Time (UTC+3); every time in this report is EAT"))
        summary.add(
            Section.report,
            .text(
                scope.maskPhoneNumbers
                    ? "phone numbers: masked as 2547****1234" : "phone numbers: NOT masked (--unmasked)"))

        // The statement: collected, refunded, net. Collected and net are filled in from the Settled sheet's rows.
        summary.refunded = try total(db.query(ReportQueries.refundsSucceeded(period.start, period.end)))
        let collectedLine = summary.lines.count
        summary.collectedLine = collectedLine
        summary.add(Section.money, .text("collected: payments completed in the period (Settled sheet)"))
        summary.add(
            Section.money, .text("refunded: refunds paid back in the period"), count: summary.refunded.count,
            amount: summary.refunded.amount)
        var netLine = SummaryLine(Section.money, .text("net = collected - refunded"))
        netLine.difference = [collectedLine, collectedLine + 1]
        summary.lines.append(netLine)
        try summary.loadStatementProof(scope, db: db)

        // Started in the period, by what became of them: counted together, amounts never added across outcomes.
        let started = try groups(db.query(ReportQueries.startedByStatus(period.start, period.end)))
        var startedCount: Int64 = 0
        for status in Self.paymentStatuses + started.keys.filter({ !Self.paymentStatuses.contains($0) }).sorted() {
            let value = started[status] ?? .zero
            startedCount += value.count
            summary.add(Section.started, .text(Self.outcomeLabel(status)), value)
        }
        summary.add(
            Section.started, .text("payments started (count only: outcomes are not added up)"), count: startedCount)

        // The Settled sheet's breakdowns go here (``completing(with:scope:)``).
        summary.breakdownLine = summary.lines.count

        let allPending = try total(db.query(ReportQueries.receiptsPending))
        summary.add(
            Section.receipts, .text("all completed payments without a receipt, any period"), count: allPending.count,
            amount: allPending.amount)

        let open = try groups(db.query(ReportQueries.openByStatus(period.end)))
        let openTotal = try summary.addFixed(Section.open, ["pending", "unknown"], open, total: true)
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
            summary.add(Section.exceptions, .text(kind.replacingOccurrences(of: "_", with: " ")), count: byKind[kind])
        }
        for status in ["open", "resolved"] {
            summary.add(Section.exceptions, .text("of which \(status)"), count: byStatus[status] ?? 0)
        }
        summary.add(Section.exceptions, .text("total"), count: exceptionCount)
        summary.expectedRows[.exceptions] = Int(exceptionCount)

        let refunds = try groups(db.query(ReportQueries.refundsByStatus(period.start, period.end)))
        var refundTotal = ReportTotal.zero
        for status in Self.refundStatuses + refunds.keys.filter({ !Self.refundStatuses.contains($0) }).sorted() {
            let value = refunds[status] ?? .zero
            refundTotal.count += value.count
            refundTotal.amount = try refundTotal.amount.addingChecked(value.amount)
            summary.add(Section.refunds, .text(status), value)
        }
        summary.add(Section.refunds, .text("refunds (count only: outcomes are not added up)"), count: refundTotal.count)
        summary.expectedRows[.refunds] = Int(refundTotal.count)
        summary.expectedAmounts[.refunds] = refundTotal.amount
        return summary
    }

    /// A payment status as a finance reader says it.
    static func outcomeLabel(_ status: String) -> String {
        switch status {
        case "completed": "completed (collected)"
        case "failed": "failed or cancelled (nothing collected)"
        case "pending": "pending (awaiting the phone or a check)"
        case "unknown": "unknown (a person decides)"
        default: status
        }
    }

    /// The Summary with the Settled sheet's figures in place: the collected and net lines, and the breakdowns by
    /// course, day, channel and receipt, all from the rows the sheet shows.
    func completing(with settled: SettledBreakdown, scope: ReportScope) throws -> ReportSummary {
        guard let collectedLine, let breakdownLine else {
            throw ReportError(code: .inconsistent, operation: "report", message: "the Summary was completed twice")
        }
        var summary = self
        summary.collectedLine = nil
        summary.breakdownLine = nil
        summary.settled = settled.total
        summary.net = try settled.total.amount.subtractingChecked(refunded.amount)
        summary.lines[collectedLine].count = settled.total.count
        summary.lines[collectedLine].amount = settled.total.amount
        summary.lines[collectedLine + 2].amount = summary.net
        summary.expectedRows[.settled] = Int(settled.total.count)
        summary.expectedAmounts[.settled] = settled.total.amount

        var breakdown = ReportSummary()
        for (id, course) in settled.courses.sorted(by: { ($0.value.title, $0.key) < ($1.value.title, $1.key) }) {
            breakdown.add(Section.byCourse, .text("\(course.title) [course \(id)]"), course.total)
        }
        breakdown.add(Section.byCourse, .text("total collected"), settled.total)
        // Every day of the period is listed, so a day without payments stands out.
        for day in scope.period.days {
            breakdown.add(Section.byDay, .date(day), settled.days[day] ?? .zero)
        }
        try breakdown.addFixed(Section.byChannel, Self.channels, settled.channels, total: false)
        breakdown.add(
            Section.receipts, .text("collected in the period, receipt not yet received"), settled.receiptPending)
        summary.lines.insert(contentsOf: breakdown.lines, at: breakdownLine)
        return summary
    }

    /// The balance proof against the M-Pesa statement: its balances and totals for the period, ours next to them,
    /// and each difference split into the findings that account for it.
    mutating func loadStatementProof(_ scope: ReportScope, db: isolated PostgresConnection) throws {
        let section = Section.statement
        let period = scope.period
        guard let proof = try db.query(ReportQueries.statementProof(period.start, period.end)).first,
            let files = try db.query(ReportQueries.statementBalances(period.start, period.end)).first
        else { return }
        func count(_ name: String) throws(PostgresError) -> Int64 { try proof.decode(Int64.self, name) }
        func amount(_ name: String) throws(PostgresError) -> Money { try proof.decode(Money.self, name) }
        let lineCount = try count("lines")
        expectedRows[.statement] = Int(lineCount)
        let fileCount = try files.decode(Int64.self, "files")
        let filesOK = try files.decode(Int64.self, "files_ok")
        add(
            section, .text("statement files covering the period (\(filesOK) of them balance on their own)"),
            count: fileCount)
        add(section, .text("statement lines completed in the period (Statement sheet)"), count: lineCount)

        let opening = try files.decode(Money?.self, "opening")
        let closing = try files.decode(Money?.self, "closing")
        let paidIn = try amount("paid_in")
        let withdrawn = try amount("withdrawn")
        var computed: Money?
        if let opening { computed = try opening.addingChecked(paidIn).subtractingChecked(withdrawn) }
        add(section, .text("opening balance (earliest statement)"), amount: opening)
        add(section, .text("+ paid in (statement lines in the period)"), amount: paidIn)
        add(section, .text("- withdrawn (statement lines in the period)"), amount: withdrawn)
        add(section, .text("= opening + paid in - withdrawn"), amount: computed)
        add(section, .text("closing balance (latest statement)"), amount: closing)
        var balanceDifference: Money?
        if let closing, let computed { balanceDifference = try closing.subtractingChecked(computed) }
        add(
            section, .text("balance difference = closing - (opening + paid in - withdrawn); zero when it ties out"),
            amount: balanceDifference)

        let customerLine = lines.count
        let customer = try amount("customer_amount")
        let ours = try amount("ours_amount")
        add(
            section, .text("statement: customer payments (payment lines)"), count: try count("customer_n"),
            amount: customer)
        add(section, .text("ours: payments matched to those lines"), count: try count("ours_n"), amount: ours)
        let customerDifference = try customer.subtractingChecked(ours)
        var differenceLine = SummaryLine(section, .text("difference = statement - ours"), amount: customerDifference)
        differenceLine.difference = [customerLine, customerLine + 1]
        lines.append(differenceLine)
        let only = try amount("only_amount")
        let mismatch = try amount("mismatch_amount")
        add(
            section, .text("of which money on the statement only (a statement only finding each)"),
            count: try count("only_n"), amount: only)
        add(
            section, .text("of which amounts that differ, statement - ours (an amount mismatch finding each)"),
            count: try count("mismatch_n"), amount: mismatch)
        add(
            section, .text("unexplained difference (zero when every unit is a finding)"),
            amount: try customerDifference.subtractingChecked(only).subtractingChecked(mismatch))
        let missing = try Self.total(db.query(ReportQueries.settledMissingFromStatement(period.start, period.end)))
        add(
            section, .text("ours: collected in a covered period but not on the statement (a finding each)"), missing)

        let refundLine = lines.count
        let refunds = try amount("refund_amount")
        let oursRefunded = try amount("refund_ours_amount")
        add(section, .text("statement: B2C payouts (refund lines)"), count: try count("refund_n"), amount: refunds)
        add(
            section, .text("ours: refunds matched to those lines"), count: try count("refund_ours_n"),
            amount: oursRefunded)
        var refundDifference = SummaryLine(
            section, .text("difference = statement - ours"), amount: try refunds.subtractingChecked(oursRefunded))
        refundDifference.difference = [refundLine, refundLine + 1]
        lines.append(refundDifference)
        add(
            section, .text("charges (B2C fees, each tied to its refund)"), count: try count("charge_n"),
            amount: try amount("charge_amount"))
        add(
            section, .text("sweeps to the settlement account"), count: try count("sweep_n"),
            amount: try amount("sweep_amount"))
        add(
            section, .text("other lines (paid in - withdrawn)"), count: try count("other_n"),
            amount: try amount("other_amount"))
    }

    mutating func add(_ section: Section, _ item: ReportValue, count: Int64? = nil, amount: Money? = nil) {
        lines.append(SummaryLine(section, item, count: count, amount: amount))
    }

    mutating func add(_ section: Section, _ item: ReportValue, _ total: ReportTotal) {
        add(section, item, count: total.count, amount: total.amount)
    }

    /// One line per key in `keys`' order (zero when absent; unexpected keys follow, sorted), and a total
    /// line when asked; returns the total.
    @discardableResult
    mutating func addFixed(
        _ section: Section, _ keys: [String], _ values: [String: ReportTotal], total: Bool
    ) throws(ReportError) -> ReportTotal {
        var sum = ReportTotal.zero
        for key in keys + values.keys.filter({ !keys.contains($0) }).sorted() {
            let value = values[key] ?? .zero
            add(section, .text(key), value)
            sum.count += value.count
            sum.amount = try sum.amount.addingChecked(value.amount)
        }
        if total { add(section, .text("total"), sum) }
        return sum
    }

    /// `key, n, amount` rows as totals by key.
    private static func groups(_ rows: PostgresRows) throws(PostgresError) -> [String: ReportTotal] {
        var result: [String: ReportTotal] = [:]
        for row in rows {
            result[try row.decode(String.self, "key")] = try ReportTotal(row)
        }
        return result
    }

    /// The Settled sheet's row count and amount alone, read before its first row where the workbook needs it.
    static func settledTotal(_ scope: ReportScope, db: isolated PostgresConnection) throws -> ReportTotal {
        try total(db.query(ReportQueries.settledTotal(scope.period.start, scope.period.end)))
    }

    /// A single `n, amount` row.
    static func total(_ rows: PostgresRows) throws(PostgresError) -> ReportTotal {
        guard let row = rows.first else { return .zero }
        return try ReportTotal(row)
    }
}

extension ReportTotal {
    /// No rows, no money.
    static let zero = ReportTotal(count: 0, amount: .zero)

    /// A row's `n` and `amount` (no amount when nothing was counted).
    init(_ row: PostgresRow) throws(PostgresError) {
        self.init(count: try row.decode(Int64.self, "n"), amount: try row.decode(Money?.self, "amount") ?? .zero)
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

/// The Settled sheet's figures, gathered from its rows as they are written: the Summary's collected total and its
/// breakdowns by course, EAT day, channel and pending receipt.
struct SettledBreakdown: Sendable {
    var total = ReportTotal.zero
    var courses: [Int64: (title: String, total: ReportTotal)] = [:]
    var days: [CivilDate: ReportTotal] = [:]
    var channels: [String: ReportTotal] = [:]
    var receiptPending = ReportTotal.zero

    /// Counts one row of the Settled sheet.
    mutating func add(_ row: SettledRow) throws(ReportError) {
        let amount = row.payment.amount
        try total.add(amount)
        try courses[row.payment.courseID, default: (row.payment.course, .zero)].total.add(amount)
        try days[EastAfricaTime.civilDate(of: row.paidAt), default: .zero].add(amount)
        try channels[row.settledVia, default: .zero].add(amount)
        if row.receipt == nil { try receiptPending.add(amount) }
    }
}

extension ReportTotal {
    /// One more payment of `amount`.
    mutating func add(_ amount: Money) throws(ReportError) {
        count += 1
        self.amount = try self.amount.addingChecked(amount)
    }
}
