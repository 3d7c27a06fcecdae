public import ReconCore

/// Why a report file could not be written; safe to print (it never carries cell contents).
public struct ReportError: Error, Sendable, CustomStringConvertible, CustomDebugStringConvertible {
    /// The kind of failure; new kinds may be added.
    public typealias Code = CodedError<ReportErrorCodes>.Code

    /// The kind of failure.
    public var code: Code
    /// The operation that failed, e.g. `workbook_close` or `write`.
    public var operation: String
    /// The library's or the system's own message, or ours; never contains cell contents.
    public var message: String
    /// The file being written, when known.
    public var path: String?
    /// The zero-based row of the cell involved, when there is one.
    public var row: UInt32?
    /// The zero-based column of the cell involved, when there is one.
    public var column: UInt16?
    /// The library's error number or `errno`, when there is one.
    public var underlyingCode: Int32?
    /// Detail that may contain user data (a rejected sheet name); only in `debugDescription`.
    var detail: String?

    public var description: String {
        var text = "report \(operation) failed (\(code)): \(message)"
        if let row, let column { text += " at row \(row), column \(column) (zero-based)" }
        if let path { text += " [file \(path)]" }
        return text
    }

    public var debugDescription: String {
        var text = description
        if let underlyingCode { text += " code=\(underlyingCode)" }
        if let detail { text += " detail=\(detail)" }
        return text
    }
}

/// The codes of ``ReportError``.
public enum ReportErrorCodes {}

extension CodedError.Code where Domain == ReportErrorCodes {
    /// libxlsxwriter returned an error; `message` is its own text.
    public static var library: Self { Self(raw: "library error") }
    /// A file could not be opened, written, synced or closed; `message` is the system's text.
    public static var io: Self { Self(raw: "I/O error") }
    /// A worksheet name Excel would refuse (too long, a forbidden character, empty, or already used).
    public static var invalidSheetName: Self { Self(raw: "invalid sheet name") }
    /// A sheet handle was used with a workbook other than the one that made it.
    public static var foreignSheet: Self { Self(raw: "sheet of another workbook") }
    /// In constant-memory mode a row was written after a later row of the same sheet.
    public static var rowOutOfOrder: Self { Self(raw: "row out of order") }
    /// A number or date that the file format cannot hold exactly.
    public static var valueOutOfRange: Self { Self(raw: "value out of range") }
    /// An argument that can never be valid (an embedded NUL, a column width above 255, a bad calendar day).
    public static var invalidArgument: Self { Self(raw: "invalid argument") }
    /// A sheet's rows disagree with the Summary read in the same snapshot: nothing is published.
    public static var inconsistent: Self { Self(raw: "inconsistent report") }
    /// A sheet has more rows than a worksheet holds (1,048,574 under the header, with the totals row).
    public static var tooManyRows: Self { Self(raw: "too many rows") }
}
