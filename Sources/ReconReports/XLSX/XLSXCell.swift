public import Foundation
public import ReconCore

/// One typed cell value; numbers and dates reach the sheet as real numbers, never as text.
public enum XLSXCell: Sendable, Hashable {
    /// Text, stored as a string cell (never interpreted as a formula).
    case text(String)
    /// A whole number, format `0`.
    case integer(Int64)
    /// Shillings, format `#,##0.00`.
    case money(Money)
    /// An instant shown as East Africa Time (UTC+3) wall-clock, format `yyyy-mm-dd hh:mm:ss`.
    ///
    /// Excel has no time zones: the cell holds the EAT wall-clock time, and the column header should say "EAT".
    /// Fractions of a second are dropped.
    case dateTime(Date)
    /// A calendar day, format `yyyy-mm-dd`.
    case date(CivilDate)
    /// A formula such as `SUM(C2:C9)` (a leading `=` is optional) with the value it computes.
    ///
    /// The value is stored in the file so that viewers which do not recalculate (previewers, some
    /// libraries) still show the right number.
    case formula(String, storedValue: XLSXStoredValue)
    /// Nothing; with a format override, an empty formatted cell.
    case blank
}

/// The value a formula cell shows before the spreadsheet recalculates it.
public enum XLSXStoredValue: Sendable, Hashable {
    /// Shillings; the cell defaults to the money format.
    case money(Money)
    /// A whole number; the cell defaults to the integer format.
    case integer(Int64)
}

/// The formats every workbook creates once, up front, so writing a cell never allocates one.
public enum XLSXFormat: Sendable, Hashable, CaseIterable {
    /// The library default: general numbers, plain text.
    case text
    /// Bold with a thin bottom border, for the header row.
    case header
    /// `0`.
    case integer
    /// Bold `0` with a thin top border, for a totals row.
    case integerTotal
    /// `#,##0.00`.
    case money
    /// Bold `#,##0.00` with a thin top border, for a totals row.
    case moneyTotal
    /// `yyyy-mm-dd`.
    case date
    /// `yyyy-mm-dd hh:mm:ss`.
    case dateTime
    /// Text that wraps within its column: long names, reasons, details.
    case wrappedText
}

/// How a worksheet prints: what a finance reader gets from File → Print without touching anything.
public struct XLSXPageSetup: Sendable, Equatable {
    /// Landscape pages.
    public var landscape = true
    /// A4 (Excel's paper code 9).
    public var paperA4 = true
    /// Scale so that every column fits on one page's width; rows run onto as many pages as they need.
    public var fitToOnePageWide = true
    /// How many rows at the top print again on every page (the header row).
    public var repeatedHeaderRows: UInt32 = 1
    /// Printed at the top of every page (plain text; `&` is escaped).
    public var header: String?
    /// Printed at the bottom left of every page, beside "Page N of M" on the right.
    public var footer: String?

    /// Landscape A4, one page wide, the header row repeated.
    public init(header: String? = nil, footer: String? = nil) {
        self.header = header
        self.footer = footer
    }
}

/// A worksheet of one particular workbook; using it with another workbook is an error, not a crash.
public struct XLSXSheet: Sendable, Hashable {
    let workbookIdentity: UInt64
    let index: Int
    /// The name shown on the sheet's tab.
    public let name: String
}

/// How a workbook is written.
public struct XLSXOptions: Sendable {
    /// Flush each row to a temporary file as soon as a later row is started, so memory stays flat for
    /// any number of rows (default `true`).
    ///
    /// In this mode rows of a sheet must be written in increasing order: writing a row after a later one
    /// is a `rowOutOfOrder` error. Within a row, columns may come in any order.
    public var constantMemory: Bool
    /// Where libxlsxwriter keeps its temporary files; `nil` means the system default (`TMPDIR` or `/tmp`).
    public var temporaryDirectory: String?
    /// Use ZIP64 so that a part of the package may exceed 4 GB (default `false`; some old readers refuse ZIP64).
    public var useZip64: Bool
    /// Title, author and the like, shown in the file's properties.
    public var properties: XLSXDocumentProperties

    /// Options; the defaults suit streamed reports.
    public init(
        constantMemory: Bool = true, temporaryDirectory: String? = nil, useZip64: Bool = false,
        properties: XLSXDocumentProperties = XLSXDocumentProperties()
    ) {
        self.constantMemory = constantMemory
        self.temporaryDirectory = temporaryDirectory
        self.useZip64 = useZip64
        self.properties = properties
    }
}

/// Document properties of a workbook; `nil` leaves a property unset.
public struct XLSXDocumentProperties: Sendable, Hashable {
    /// The title.
    public var title: String?
    /// The subject.
    public var subject: String?
    /// The author.
    public var author: String?
    /// The company.
    public var company: String?
    /// Free-text comments.
    public var comments: String?

    /// Properties; all unset by default.
    public init(
        title: String? = nil, subject: String? = nil, author: String? = nil, company: String? = nil,
        comments: String? = nil
    ) {
        self.title = title
        self.subject = subject
        self.author = author
        self.company = company
        self.comments = comments
    }

    var isEmpty: Bool { title == nil && subject == nil && author == nil && company == nil && comments == nil }
}
