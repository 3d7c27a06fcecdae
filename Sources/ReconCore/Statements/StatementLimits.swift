/// How much of a statement file the importer will inflate, hold or read: every size an outside file controls is
/// bounded, so a zip bomb, an XML bomb or a CSV of endless cells ends in an error naming the limit
/// (``StatementError/Code/limitExceeded``), never in a trap or in memory that grows with the file.
///
/// ``standard`` is sized for a month of a busy paybill with room to spare: `Benchmarks/statement` imports
/// 500 000 lines (a 105 MB CSV, 13 cells and about 210 bytes a row); the caps allow about twice that. A file past
/// them is not a statement finance should import as one.
public struct StatementLimits: Sendable, Equatable {
    /// Rows in one file, blank and header rows included (for XLSX also the highest row number).
    public var rowsPerFile: Int
    /// Cells in one row (a statement has 13 columns).
    public var cellsPerRow: Int
    /// UTF-8 bytes of one cell's text, a shared string's included.
    public var bytesPerCell: Int
    /// UTF-8 bytes of all the cells of one row.
    public var bytesPerRow: Int
    /// Entries in an XLSX's shared-string table.
    public var sharedStrings: Int
    /// UTF-8 bytes of all the shared strings together (they are held for the whole sheet).
    public var sharedStringBytes: Int
    /// Inflated bytes of one zip part (the sheet is the largest; parts stream, this bounds the work).
    public var bytesPerPart: UInt64
    /// Inflated bytes per compressed byte of one zip part, checked once ``ratioGraceBytes`` are out.
    public var compressionRatio: UInt64
    /// Inflated bytes of a part before ``compressionRatio`` applies (small parts compress unevenly).
    public var ratioGraceBytes: UInt64
    /// Bytes of one XML tag, comment or CDATA section (the scanner holds one whole).
    public var xmlTokenBytes: Int
    /// Entries in a zip's central directory (an XLSX statement has about ten).
    public var zipEntries: Int
    /// Bytes of a zip's central directory (read whole).
    public var zipDirectoryBytes: Int

    /// The importer's limits.
    ///
    /// - `rowsPerFile` 1 048 576: Excel's own rows per sheet, twice the benchmark's busy month.
    /// - `cellsPerRow` 1 024 and `bytesPerRow` 1 MiB: a statement row has 13 cells and about 210 bytes.
    /// - `bytesPerCell` 96 KiB: Excel's 32 767 characters per cell at three UTF-8 bytes each.
    /// - `sharedStrings` 4 Mi and `sharedStringBytes` 64 MiB: four distinct strings a row for a full sheet; a
    ///   500 000-line workbook shares about 25 MB (receipts and times are the distinct ones).
    /// - `bytesPerPart` 1 GiB: a sheet of 1 048 576 statement rows with inline strings is about 900 MB of XML.
    /// - `compressionRatio` 200 after 1 MiB: worksheet XML deflates 10 to 30 times; deflate's ceiling is 1 032,
    ///   which only a bomb approaches (Apache POI refuses past 100).
    /// - `xmlTokenBytes` 1 MiB, `zipEntries` 4 096, `zipDirectoryBytes` 4 MiB: far past any real workbook.
    public static let standard = StatementLimits(
        rowsPerFile: 1 << 20, cellsPerRow: 1 << 10, bytesPerCell: 96 << 10, bytesPerRow: 1 << 20,
        sharedStrings: 4 << 20, sharedStringBytes: 64 << 20, bytesPerPart: 1 << 30, compressionRatio: 200,
        ratioGraceBytes: 1 << 20, xmlTokenBytes: 1 << 20, zipEntries: 4096, zipDirectoryBytes: 4 << 20)

    /// Limits as given; ``standard`` is what the importer uses.
    public init(
        rowsPerFile: Int, cellsPerRow: Int, bytesPerCell: Int, bytesPerRow: Int, sharedStrings: Int,
        sharedStringBytes: Int, bytesPerPart: UInt64, compressionRatio: UInt64, ratioGraceBytes: UInt64,
        xmlTokenBytes: Int, zipEntries: Int, zipDirectoryBytes: Int
    ) {
        self.rowsPerFile = rowsPerFile
        self.cellsPerRow = cellsPerRow
        self.bytesPerCell = bytesPerCell
        self.bytesPerRow = bytesPerRow
        self.sharedStrings = sharedStrings
        self.sharedStringBytes = sharedStringBytes
        self.bytesPerPart = bytesPerPart
        self.compressionRatio = compressionRatio
        self.ratioGraceBytes = ratioGraceBytes
        self.xmlTokenBytes = xmlTokenBytes
        self.zipEntries = zipEntries
        self.zipDirectoryBytes = zipDirectoryBytes
    }

    /// The error for an exceeded limit: `what` says what went past it, e.g. "the statement's sheet inflates past".
    public static func exceeded(_ what: String, _ limit: String, row: Int? = nil) -> StatementError {
        StatementError(code: .limitExceeded, message: "\(what) \(limit) (limit)", row: row)
    }

    /// `1 GiB`, `96 KiB`, `1 536 bytes`: a size as a limit's message names it.
    public static func size<T: BinaryInteger>(_ bytes: T) -> String {
        for (shift, unit) in [(30, "GiB"), (20, "MiB"), (10, "KiB")] where bytes >= (T(1) << shift) {
            if bytes % (T(1) << shift) == 0 { return "\(count(bytes >> shift)) \(unit)" }
        }
        return "\(count(bytes)) bytes"
    }

    /// `1 048 576`: a count with its thousands set apart.
    public static func count<T: BinaryInteger>(_ value: T) -> String {
        let digits = Array(String(value))
        var out = ""
        for (index, digit) in digits.enumerated() {
            if index > 0, (digits.count - index) % 3 == 0 { out.append(" ") }
            out.append(digit)
        }
        return out
    }
}
