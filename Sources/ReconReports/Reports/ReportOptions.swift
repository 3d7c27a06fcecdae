public import Foundation
public import ReconCore

/// The files a report can be written as.
public enum ReportFormat: String, Sendable, Hashable, CaseIterable, Comparable {
    /// One RFC 4180 CSV file per sheet.
    case csv
    /// One XLSX workbook with every sheet.
    case xlsx

    public static func < (lhs: ReportFormat, rhs: ReportFormat) -> Bool {
        allCases.firstIndex(of: lhs) ?? 0 < allCases.firstIndex(of: rhs) ?? 0
    }
}

/// The sheets of a report, in workbook order.
public enum ReportSheet: String, Sendable, Hashable, CaseIterable, Codable {
    /// Period, counts and sums by status, course, day and channel, exceptions, refunds, the net check.
    case summary
    /// One row per payment completed in the period.
    case settled
    /// Reconciliation exceptions open at some time during the period.
    case exceptions
    /// Refunds open at some time during the period.
    case refunds
    /// Payments still pending or unknown.
    case pending
    /// Every line of the M-Pesa statement completed in the period, with its class and what it matched.
    case statement

    /// The worksheet tab's name.
    public var title: String {
        switch self {
        case .summary: "Summary"
        case .settled: "Settled"
        case .exceptions: "Exceptions"
        case .refunds: "Refunds"
        case .pending: "Pending"
        case .statement: "Statement"
        }
    }

    /// The CSV file's name, e.g. `settled.csv`.
    public var csvFileName: String { "\(rawValue).csv" }
}

/// What to write and where; the defaults are those of `mpesa-recon report`.
public struct ReportOptions: Sendable {
    /// The days covered.
    public var period: ReportPeriod
    /// The files to write (default: CSV and XLSX).
    public var formats: Set<ReportFormat>
    /// The folder under which `<from>_<to>/` is created (default `reports`); unmasked reports go to
    /// `unmasked/<from>_<to>/` under it, so a masked and an unmasked report of one period never overwrite each
    /// other and the unmasked ones can be given tighter permissions.
    public var outputDirectory: String
    /// Mask phone numbers as `2547****1234`, also inside free text (default `true`).
    public var maskPhoneNumbers: Bool
    /// The instant the ages of open exceptions are measured to; `nil` means now. Either way it is capped at
    /// the period's end, so a past period always shows the same ages.
    public var asOf: Date?
    /// Where libxlsxwriter keeps its per-sheet temporary files; `nil` means `TMPDIR` or `/tmp`.
    public var temporaryDirectory: String?
    /// Start each CSV with a UTF-8 byte order mark, so Excel on Windows reads accented names right (default
    /// `true`; `false` gives plain RFC 4180 files for programs).
    public var csvByteOrderMark: Bool

    /// Options; only the period has no default.
    public init(
        period: ReportPeriod, formats: Set<ReportFormat> = Set(ReportFormat.allCases),
        outputDirectory: String = "reports", maskPhoneNumbers: Bool = true, asOf: Date? = nil,
        temporaryDirectory: String? = nil, csvByteOrderMark: Bool = true
    ) {
        self.csvByteOrderMark = csvByteOrderMark
        self.period = period
        self.formats = formats
        self.outputDirectory = outputDirectory
        self.maskPhoneNumbers = maskPhoneNumbers
        self.asOf = asOf
        self.temporaryDirectory = temporaryDirectory
    }

    /// The period's folder: `<out>/<from>_<to>`, or `<out>/unmasked/<from>_<to>` for an unmasked report.
    public var periodDirectory: String {
        let base = maskPhoneNumbers ? outputDirectory : (outputDirectory as NSString).appendingPathComponent("unmasked")
        return (base as NSString).appendingPathComponent(period.label)
    }

    /// How the report's CSVs are written: a BOM unless asked otherwise, date-times as spreadsheets read them.
    var csvOptions: CSVOptions { CSVOptions(byteOrderMark: csvByteOrderMark, dateTimeStyle: .spreadsheet) }
}

/// One file a report wrote.
public struct ReportFile: Sendable, Hashable {
    /// CSV or XLSX.
    public var format: ReportFormat
    /// The sheet of a CSV file; `nil` for the workbook, which holds them all.
    public var sheet: ReportSheet?
    /// The file's path.
    public var path: String
}

/// A count and an amount, as the Summary shows them.
public struct ReportTotal: Sendable, Hashable {
    /// How many payments or refunds.
    public var count: Int64
    /// Their amount.
    public var amount: Money
}

/// What a report run wrote: for the CLI's output, `--json`, and `run`'s job summary.
public struct ReportOutcome: Sendable {
    /// The days covered.
    public var period: ReportPeriod
    /// The folder the files are in: `<outputDirectory>/<from>_<to>`.
    public var directory: String
    /// The files written, CSVs in sheet order, then the workbook.
    public var files: [ReportFile]
    /// Data rows per sheet (headers and the workbook's totals rows not counted), in sheet order.
    public var rows: [(sheet: ReportSheet, count: Int)]
    /// Payments completed in the period (the Settled sheet).
    public var settled: ReportTotal
    /// Refunds that succeeded in the period.
    public var refunded: ReportTotal
    /// Settled minus refunded.
    public var net: Money
}

/// How far a report has got, for a progress line on a terminal.
public struct ReportProgress: Sendable, Hashable {
    /// The sheet being written.
    public var sheet: ReportSheet
    /// Data rows written to it so far.
    public var rowsWritten: Int
    /// Data rows it will have.
    public var rowsTotal: Int
}
