/// Why a report file could not be written; safe to print (it never carries cell contents).
public struct ReportError: Error, Sendable, CustomStringConvertible, CustomDebugStringConvertible {
    /// The kind of failure; new kinds may be added.
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        private enum Base: String, Sendable {
            case library = "library error"
            case io = "I/O error"
            case invalidSheetName = "invalid sheet name"
            case foreignSheet = "sheet of another workbook"
            case rowOutOfOrder = "row out of order"
            case valueOutOfRange = "value out of range"
            case invalidArgument = "invalid argument"
            case inconsistent = "inconsistent report"
            case tooManyRows = "too many rows"
        }

        private let base: Base

        private init(_ base: Base) {
            self.base = base
        }

        /// libxlsxwriter returned an error; `message` is its own text.
        public static let library = Code(.library)
        /// A file could not be opened, written, synced or closed; `message` is the system's text.
        public static let io = Code(.io)
        /// A worksheet name Excel would refuse (too long, a forbidden character, empty, or already used).
        public static let invalidSheetName = Code(.invalidSheetName)
        /// A sheet handle was used with a workbook other than the one that made it.
        public static let foreignSheet = Code(.foreignSheet)
        /// In constant-memory mode a row was written after a later row of the same sheet.
        public static let rowOutOfOrder = Code(.rowOutOfOrder)
        /// A number or date that the file format cannot hold exactly.
        public static let valueOutOfRange = Code(.valueOutOfRange)
        /// An argument that can never be valid (an embedded NUL, a column width above 255, a bad calendar day).
        public static let invalidArgument = Code(.invalidArgument)

        /// A sheet's rows disagree with the Summary read in the same snapshot: nothing is published.
        public static let inconsistent = Code(.inconsistent)
        /// A sheet has more rows than a worksheet holds (1,048,574 under the header, with the totals row).
        public static let tooManyRows = Code(.tooManyRows)

        public var description: String { base.rawValue }
    }

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
