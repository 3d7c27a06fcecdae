import Foundation
import ReconCore

/// What a report column holds, which decides its spreadsheet format.
enum ReportColumnKind: Sendable {
    case text
    case integer
    case money
    case dateTime
}

/// One column of a sheet: its CSV header, its workbook header, and how it is shown.
struct ReportColumn: Sendable {
    /// The CSV header: lower-case, `_`-separated, with the unit (`amount_kes`, `paid_at_eat`).
    let name: String
    /// The workbook header, for people (`Amount (KES)`, `Paid at (EAT)`).
    let title: String
    let kind: ReportColumnKind
    /// Width in characters in the workbook.
    private(set) var width: Int
    /// Whether the workbook's totals row sums this column.
    let totalled: Bool

    /// Long text wraps inside its column instead of running into the next one or off the printed page.
    var wraps: Bool { kind == .text && width >= 16 }

    /// Widths are bounded so a sheet prints one page wide at a readable scale: headers wrap, so a number or
    /// date column needs only its values' width, and long text wraps within `maximumTextWidth` (`wide` columns,
    /// the one a reader reads — a reason, a detail — get `maximumWideTextWidth`).
    init(
        _ name: String, _ title: String, _ kind: ReportColumnKind, width: Int, totalled: Bool = false,
        wide: Bool = false
    ) {
        self.name = name
        self.title = title
        self.kind = kind
        switch kind {
        case .integer: self.width = min(width, 8)
        case .money: self.width = min(width, 13)
        case .dateTime: self.width = min(width, 17)
        case .text: self.width = min(width, wide ? Self.maximumWideTextWidth : Self.maximumTextWidth)
        }
        self.totalled = totalled
    }

    /// The same column, wider than the bound (a sheet of few columns, whose text column has the page to itself).
    func widened(to width: Int) -> ReportColumn {
        var copy = self
        copy.width = width
        return copy
    }

    // The columns several sheets share, defined once.
    static let paymentID = ReportColumn("payment_id", "Payment", .integer, width: 10)
    static let checkoutRequestID = ReportColumn("checkout_request_id", "CheckoutRequestID", .text, width: 32)
    static let learnerID = ReportColumn("learner_id", "Learner ID", .integer, width: 10)
    static let learner = ReportColumn("learner", "Learner", .text, width: 28)
    static let courseID = ReportColumn("course_id", "Course ID", .integer, width: 10)
    static let course = ReportColumn("course", "Course", .text, width: 32)
    /// The amount column each detail sheet totals (and the Summary checks).
    static let amount = ReportColumn("amount_kes", "Amount (KES)", .money, width: 14, totalled: true)
    static let phone = ReportColumn("phone", "Phone", .text, width: 15)

    static let maximumTextWidth = 18
    static let maximumWideTextWidth = 32

    /// How many lines `text` takes in this column when it wraps (a rough count of characters per line).
    func lines(_ text: String) -> Int {
        guard wraps || kind != .text else { return 1 }
        // A column's width counts "0" glyphs; ordinary text is narrower, about 5 characters to 4 zeros.
        let perLine = max(1, width + width / 4 - 1)
        return max(1, (text.count + perLine - 1) / perLine)
    }

    /// The height in points of a row whose cells take `lines` lines at most (capped, so one huge value cannot
    /// make a page of one row).
    static func rowHeight(lines: Int) -> Double? {
        lines <= 1 ? nil : Double(min(lines, 8)) * 15
    }
}

/// One typed value of a report row, written as a CSV field and as a workbook cell: the CSV field type itself, so
/// a row's values go to the CSV unchanged.
typealias ReportValue = CSVField

extension CSVField {
    /// Whether the value is text (which may wrap), as opposed to a number or a date.
    var isText: Bool {
        if case .text = self { return true }
        return false
    }

    static func text(_ value: String?) -> CSVField { value.map { .text($0) } ?? .empty }
    static func integer(_ value: Int64?) -> CSVField { value.map { .integer($0) } ?? .empty }
    static func money(_ value: Money?) -> CSVField { value.map { .money($0) } ?? .empty }
    static func dateTime(_ value: Date?) -> CSVField { value.map { .dateTime($0) } ?? .empty }

    /// The value as a CSV field: itself.
    var csvField: CSVField { self }

    /// The workbook cell; `nil` for an empty value, which is simply not written.
    var xlsxCell: XLSXCell? {
        switch self {
        case .text(let text): .text(text)
        case .integer(let value): .integer(value)
        case .money(let money): .money(money)
        case .dateTime(let date): .dateTime(date)
        case .date(let day): .date(day)
        case .empty: nil
        }
    }
}

/// The letters of a zero-based column index, as formulas name it: 0 → `A`, 27 → `AB`.
func columnLetters(_ index: Int) -> String {
    var letters: [UInt8] = []
    var rest = index + 1
    while rest > 0 {
        let remainder = (rest - 1) % 26
        letters.insert(UInt8(ascii: "A") + UInt8(remainder), at: 0)
        rest = (rest - 1) / 26
    }
    return String(decoding: letters, as: UTF8.self)
}
