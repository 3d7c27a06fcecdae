import ReconCore
public import ReconReports

/// What a report run wrote: the period, the files, rows per sheet and the totals.
public struct ReportView: Presentable {
    /// The days covered.
    public struct Period: Sendable, Encodable, Equatable {
        public var from: String
        public var to: String
        public var timeZone: String
    }

    /// One written file.
    public struct File: Sendable, Encodable, Equatable {
        /// `csv` or `xlsx`.
        public var format: String
        /// The sheet a CSV holds; `nil` for the workbook (all sheets).
        public var sheet: String?
        public var path: String
    }

    /// A count and an amount in KES.
    public struct Total: Sendable, Encodable, Equatable {
        public var count: Int64
        /// `1234.50`.
        public var amountKes: String
        /// `KES 1,234.50`, for people.
        public var amountText: String

        enum CodingKeys: String, CodingKey {
            case count, amountKes
        }
    }

    public var period: Period
    public var directory: String
    public var files: [File]
    /// Data rows per sheet name.
    public var rows: [String: Int]
    public var settled: Total
    public var refunded: Total
    /// Settled minus refunded, `1234.50`.
    public var netKes: String
    /// The same, for people.
    public var netText: String

    enum CodingKeys: String, CodingKey {
        case period, directory, files, rows, settled, refunded, netKes
    }

    /// The view of what a report run wrote.
    public init(_ outcome: ReportOutcome) {
        func total(_ value: ReportTotal) -> Total {
            Total(count: value.count, amountKes: value.amount.decimalString, amountText: value.amount.description)
        }
        period = Period(
            from: "\(outcome.period.first)", to: "\(outcome.period.last)", timeZone: "East Africa Time (UTC+3)")
        directory = outcome.directory
        files = outcome.files.map { File(format: $0.format.rawValue, sheet: $0.sheet?.rawValue, path: $0.path) }
        rows = Dictionary(outcome.rows.map { ($0.sheet.rawValue, $0.count) }, uniquingKeysWith: { first, _ in first })
        settled = total(outcome.settled)
        refunded = total(outcome.refunded)
        netKes = outcome.net.decimalString
        netText = outcome.net.description
    }

    /// The period, one line per file with its rows, and the totals.
    public var text: String {
        var lines = ["report \(period.from) to \(period.to), \(period.timeZone), in \(directory)"]
        for file in files {
            let name = file.path.split(separator: "/").last.map(String.init) ?? file.path
            let rowText = file.sheet.flatMap { rows[$0] }.map { "\($0) row(s)" } ?? "all sheets"
            lines.append("  \(Self.padded(name, to: 44)) \(rowText)")
        }
        lines.append("settled   \(settled.count) payment(s)  \(settled.amountText)")
        lines.append("refunded  \(refunded.count) refund(s)  \(refunded.amountText)")
        lines.append("net       \(netText)")
        return lines.joined(separator: "\n")
    }

    static func padded(_ text: String, to width: Int) -> String {
        text + String(repeating: " ", count: max(0, width - text.count))
    }
}
