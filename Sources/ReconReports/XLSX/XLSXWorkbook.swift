internal import CXLSXWriter
internal import Foundation
internal import ReconCore
internal import Synchronization

/// Distinguishes workbooks so that a sheet handle only works with the workbook that made it.
private let workbookCounter = Atomic<UInt64>(0)

/// An XLSX workbook being written with libxlsxwriter; nothing reaches the disk until `close()`.
///
/// One owner, one cleanup: `close()` writes the file and frees the workbook; a workbook dropped without
/// `close()` (an error path) is freed and no file is written. Not thread-safe: use it from one task.
public struct XLSXWorkbook: ~Copyable {
    private var handle: WorkbookHandle
    private let formats: FormatTable
    private var worksheets: [UnsafeMutablePointer<lxw_worksheet>] = []
    /// Per sheet, the lowest row that may still be written (constant-memory mode only).
    private var rowFloors: [UInt32] = []
    private let identity: UInt64
    private let constantMemory: Bool
    /// The file `close()` writes.
    public let path: String

    /// Excel's last row and column (zero-based).
    private static let lastRow: UInt32 = 1_048_575
    private static let lastColumn: UInt16 = 16_383

    /// Prepares a workbook that `close()` will write to `path`.
    public init(path: String, options: XLSXOptions = XLSXOptions()) throws(ReportError) {
        guard !path.isEmpty, !path.utf8.contains(0), !(options.temporaryDirectory?.utf8.contains(0) ?? false) else {
            throw ReportError(
                code: .invalidArgument, operation: "workbook_new", message: "the path is empty or contains NUL")
        }
        var cOptions = lxw_workbook_options()
        cOptions.constant_memory = options.constantMemory ? 1 : 0
        cOptions.use_zip64 = options.useZip64 ? 1 : 0
        let created: UnsafeMutablePointer<lxw_workbook>? = path.withCString { cPath in
            // libxlsxwriter copies tmpdir, so the pointer need only live for this call.
            guard let directory = options.temporaryDirectory else { return workbook_new_opt(cPath, &cOptions) }
            return directory.withCString { cDirectory in
                cOptions.tmpdir = UnsafeMutablePointer(mutating: cDirectory)
                return workbook_new_opt(cPath, &cOptions)
            }
        }
        guard let created else {
            throw ReportError(
                code: .library, operation: "workbook_new", message: "libxlsxwriter could not allocate a workbook",
                path: path)
        }
        let handle = WorkbookHandle(created)
        // From here every throw drops `handle`, whose deinit frees the workbook.
        let formats = try FormatTable(workbook: created, path: path)
        try Self.setProperties(options.properties, on: created, path: path)
        self.handle = handle
        self.formats = formats
        self.identity = workbookCounter.add(1, ordering: .relaxed).newValue
        self.constantMemory = options.constantMemory
        self.path = path
    }

    /// Adds a worksheet; Excel's rules apply: 1 to 31 characters, none of `[ ] : * ? / \`, no leading or
    /// trailing `'`, and not already used (case-insensitively).
    public mutating func addWorksheet(named name: String) throws(ReportError) -> XLSXSheet {
        guard !name.isEmpty, !name.utf8.contains(0) else {
            throw ReportError(
                code: .invalidSheetName, operation: "workbook_add_worksheet",
                message: "Worksheet name is empty or contains NUL.", path: path, detail: name)
        }
        let workbook = handle.pointer
        let validation = name.withCString { workbook_validate_sheet_name(workbook, $0) }
        do {
            try checkXLSX(validation, "workbook_add_worksheet", path: path)
        } catch {
            var error = error
            error.detail = name
            throw error
        }
        errno = 0
        guard let sheet = name.withCString({ workbook_add_worksheet(workbook, $0) }) else {
            // The name was valid, so the cause is memory or, in constant-memory mode, the temporary file.
            let system = errno
            throw ReportError(
                code: .io, operation: "workbook_add_worksheet",
                message: "could not add the worksheet (temporary file or memory): \(systemErrorText(system))",
                path: path, underlyingCode: system)
        }
        worksheets.append(sheet)
        rowFloors.append(0)
        return XLSXSheet(workbookIdentity: identity, index: worksheets.count - 1, name: name)
    }

    /// Sets the width of `columns` in characters (0 to 255; 0 hides the columns).
    public mutating func setColumnWidth(
        _ sheet: XLSXSheet, columns: ClosedRange<UInt16>, width: Int
    )
        throws(ReportError)
    {
        let worksheet = try self.worksheet(sheet, "worksheet_set_column")
        guard (0...255).contains(width), columns.upperBound <= Self.lastColumn else {
            throw ReportError(
                code: .invalidArgument, operation: "worksheet_set_column",
                message: "width must be 0 to 255 characters and columns at most \(Self.lastColumn)", path: path)
        }
        try checkXLSX(
            worksheet_set_column(worksheet, columns.lowerBound, columns.upperBound, Double(width), nil),
            "worksheet_set_column", path: path)
    }

    /// Sets how the worksheet prints: orientation, paper, scaling, repeated header rows, page header and footer.
    public mutating func setPageSetup(_ sheet: XLSXSheet, _ setup: XLSXPageSetup) throws(ReportError) {
        let worksheet = try self.worksheet(sheet, "worksheet_set_landscape")
        if setup.landscape { worksheet_set_landscape(worksheet) } else { worksheet_set_portrait(worksheet) }
        if setup.paperA4 { worksheet_set_paper(worksheet, 9) }
        // Narrow margins (inches) leave the columns more room at the same scale.
        worksheet_set_margins(worksheet, 0.4, 0.4, 0.6, 0.6)
        if setup.fitToOnePageWide { worksheet_fit_to_pages(worksheet, 1, 0) }
        if setup.repeatedHeaderRows > 0 {
            try checkXLSX(
                worksheet_repeat_rows(worksheet, 0, setup.repeatedHeaderRows - 1), "worksheet_repeat_rows", path: path)
        }
        if let header = setup.header {
            let text = "&C&\"Calibri,Bold\"" + Self.headerFooterText(header)
            try checkXLSX(
                text.withCString { worksheet_set_header(worksheet, $0) }, "worksheet_set_header", path: path)
        }
        let footer = (setup.footer.map { "&L" + Self.headerFooterText($0) } ?? "") + "&RPage &P of &N"
        try checkXLSX(footer.withCString { worksheet_set_footer(worksheet, $0) }, "worksheet_set_footer", path: path)
    }

    /// Header and footer text is a small language of `&` codes: a literal `&` is written `&&`. Excel caps the
    /// whole string at 255 characters, codes included.
    static func headerFooterText(_ text: String) -> String {
        String(text.replacingOccurrences(of: "&", with: "&&").prefix(180))
    }

    /// Sets a row's height in points (Excel's default is 15). Readers do not grow a row for wrapped text by
    /// themselves, so a row whose text wraps is given the height of its lines. In constant-memory mode it must be
    /// called before the row's cells are written.
    public mutating func setRowHeight(_ sheet: XLSXSheet, row: UInt32, height: Double) throws(ReportError) {
        let worksheet = try self.worksheet(sheet, "worksheet_set_row")
        guard row <= Self.lastRow, (0...409).contains(height) else {
            throw ReportError(
                code: .invalidArgument, operation: "worksheet_set_row",
                message: "row beyond Excel's or height not 0-409",
                path: path, row: row)
        }
        try checkXLSX(worksheet_set_row(worksheet, row, height, nil), "worksheet_set_row", path: path, row: row)
    }

    /// Keeps the rows above `row` and the columns left of `column` in view; `(1, 0)` freezes a header row.
    public mutating func freezePanes(_ sheet: XLSXSheet, row: UInt32, column: UInt16) throws(ReportError) {
        let worksheet = try self.worksheet(sheet, "worksheet_freeze_panes")
        guard row <= Self.lastRow, column <= Self.lastColumn else {
            throw ReportError(
                code: .invalidArgument, operation: "worksheet_freeze_panes", message: "row or column beyond Excel's",
                path: path, row: row, column: column)
        }
        worksheet_freeze_panes(worksheet, row, column)
    }

    /// Adds filter buttons over a range whose first row is the header.
    public mutating func autofilter(
        _ sheet: XLSXSheet, firstRow: UInt32, firstColumn: UInt16, lastRow: UInt32, lastColumn: UInt16
    ) throws(ReportError) {
        let worksheet = try self.worksheet(sheet, "worksheet_autofilter")
        try checkXLSX(
            worksheet_autofilter(worksheet, firstRow, firstColumn, lastRow, lastColumn), "worksheet_autofilter",
            path: path, row: firstRow, column: firstColumn)
    }

    /// Writes one cell with the format its type implies, or with `format` when given.
    ///
    /// In constant-memory mode a row may not be written after a later row of the same sheet.
    public mutating func write(
        _ sheet: XLSXSheet, row: UInt32, column: UInt16, cell: XLSXCell, format: XLSXFormat? = nil
    ) throws(ReportError) {
        let worksheet = try self.worksheet(sheet, "write")
        if constantMemory {
            // libxlsxwriter would ignore or reject such a cell with a vaguer message; say what went wrong.
            guard row >= rowFloors[sheet.index] else {
                throw ReportError(
                    code: .rowOutOfOrder, operation: "write",
                    message: "in constant-memory mode rows must be written in increasing order (last row was "
                        + "\(rowFloors[sheet.index]))", path: path, row: row, column: column)
            }
            rowFloors[sheet.index] = row
        }
        let result: lxw_error
        switch cell {
        case .text(let text):
            let cellFormat = formats.pointer(format ?? .text)
            result = text.withCString { worksheet_write_string(worksheet, row, column, $0, cellFormat) }
        case .integer(let value):
            let number = try excelNumber(exactly: value, row: row, column: column)
            result = worksheet_write_number(worksheet, row, column, number, formats.pointer(format ?? .integer))
        case .money(let money):
            let number = try excelNumber(money, row: row, column: column)
            result = worksheet_write_number(worksheet, row, column, number, formats.pointer(format ?? .money))
        case .dateTime(let date):
            let local = try excelLocalSeconds(date, row: row, column: column)
            result = worksheet_write_unixtime(worksheet, row, column, local, formats.pointer(format ?? .dateTime))
        case .date(let day):
            let local = try excelLocalSeconds(day, row: row, column: column)
            result = worksheet_write_unixtime(worksheet, row, column, local, formats.pointer(format ?? .date))
        case .formula(let formula, let stored):
            let number: Double
            let defaultFormat: XLSXFormat
            switch stored {
            case .money(let money):
                number = try excelNumber(money, row: row, column: column)
                defaultFormat = .money
            case .integer(let value):
                number = try excelNumber(exactly: value, row: row, column: column)
                defaultFormat = .integer
            }
            let cellFormat = formats.pointer(format ?? defaultFormat)
            result = formula.withCString {
                worksheet_write_formula_num(worksheet, row, column, $0, cellFormat, number)
            }
        case .blank:
            result = worksheet_write_blank(worksheet, row, column, formats.pointer(format ?? .text))
        }
        try checkXLSX(result, "write", path: path, row: row, column: column)
    }

    /// Writes `cells` into `row` from column 0 onward, each with its type's format unless `format` is given.
    public mutating func writeRow(
        _ sheet: XLSXSheet, _ row: UInt32, _ cells: [XLSXCell], format: XLSXFormat? = nil
    )
        throws(ReportError)
    {
        guard cells.count <= Int(Self.lastColumn) + 1 else {
            throw ReportError(
                code: .invalidArgument, operation: "write", message: "more cells than Excel has columns", path: path,
                row: row, column: 0)
        }
        for (column, cell) in cells.enumerated() {
            try write(sheet, row: row, column: UInt16(truncatingIfNeeded: column), cell: cell, format: format)
        }
    }

    /// Writes the file and frees the workbook, exactly once; a failure (a missing folder, a full disk)
    /// throws with libxlsxwriter's message and the system's.
    public consuming func close() throws(ReportError) {
        let path = self.path
        let (result, systemError) = handle.close()
        try checkXLSX(result, "workbook_close", path: path, systemError: systemError)
    }

    // MARK: - The C boundary

    private func worksheet(
        _ sheet: XLSXSheet, _ operation: String
    ) throws(ReportError)
        -> UnsafeMutablePointer<lxw_worksheet>
    {
        guard sheet.workbookIdentity == identity, worksheets.indices.contains(sheet.index) else {
            throw ReportError(
                code: .foreignSheet, operation: operation, message: "the sheet belongs to another workbook",
                path: path)
        }
        return worksheets[sheet.index]
    }

    /// Integers beyond ±2^53 would silently lose digits in a spreadsheet's double.
    private static let exactLimit: UInt64 = 1 << 53

    /// The one place money becomes floating point: libxlsxwriter takes every number as a C `double`.
    ///
    /// `Double(minorUnits) / 100` is the correctly rounded nearest double to the exact amount, so the
    /// shortest decimal text of the result (what Excel shows and what a reader parses) is the amount
    /// itself; amounts beyond ±2^53 cents, where that stops holding, are refused.
    private func excelNumber(_ money: Money, row: UInt32, column: UInt16) throws(ReportError) -> Double {
        guard money.minorUnits.magnitude <= Self.exactLimit else { throw tooLarge(row: row, column: column) }
        return Double(money.minorUnits) / 100
    }

    private func excelNumber(exactly value: Int64, row: UInt32, column: UInt16) throws(ReportError) -> Double {
        guard value.magnitude <= Self.exactLimit else { throw tooLarge(row: row, column: column) }
        return Double(value)
    }

    private func tooLarge(row: UInt32, column: UInt16) -> ReportError {
        ReportError(
            code: .valueOutOfRange, operation: "write",
            message: "the number is too large for a spreadsheet to hold exactly", path: path, row: row,
            column: column)
    }

    /// Seconds of East Africa wall-clock time from 1900-03-01 (before it, Excel's 1900 leap-year bug
    /// shifts dates) to 9999-12-31T23:59:59, as libxlsxwriter's "unixtime" without a zone.
    private static let excelLocalSeconds: ClosedRange<Int64> = -2_203_891_200...253_402_300_799

    private func excelLocalSeconds(_ date: Date, row: UInt32, column: UInt16) throws(ReportError) -> Int64 {
        let seconds: Int64
        do {
            seconds = try EastAfricaTime.unixSeconds(date, operation: "write")
        } catch {
            throw dateOutOfRange(row: row, column: column)
        }
        let local = seconds + EastAfricaTime.secondsFromUTC
        guard Self.excelLocalSeconds.contains(local) else { throw dateOutOfRange(row: row, column: column) }
        return local
    }

    private func excelLocalSeconds(_ day: CivilDate, row: UInt32, column: UInt16) throws(ReportError) -> Int64 {
        let local = day.daysSinceUnixEpoch * 86_400
        guard Self.excelLocalSeconds.contains(local) else { throw dateOutOfRange(row: row, column: column) }
        return local
    }

    private func dateOutOfRange(row: UInt32, column: UInt16) -> ReportError {
        ReportError(
            code: .valueOutOfRange, operation: "write", message: "Excel dates run from 1900-03-01 to 9999-12-31",
            path: path, row: row, column: column)
    }

    private static func setProperties(
        _ properties: XLSXDocumentProperties, on workbook: UnsafeMutablePointer<lxw_workbook>, path: String
    ) throws(ReportError) {
        guard !properties.isEmpty else { return }
        // libxlsxwriter copies every string, so these copies live only for the call.
        var copies: [UnsafeMutablePointer<CChar>] = []
        defer { for copy in copies { free(copy) } }
        func copy(_ text: String?) -> UnsafeMutablePointer<CChar>? {
            guard let text, let copy = strdup(text) else { return nil }
            copies.append(copy)
            return copy
        }
        var cProperties = lxw_doc_properties()
        cProperties.title = copy(properties.title)
        cProperties.subject = copy(properties.subject)
        cProperties.author = copy(properties.author)
        cProperties.company = copy(properties.company)
        cProperties.comments = copy(properties.comments)
        try checkXLSX(workbook_set_properties(workbook, &cProperties), "workbook_set_properties", path: path)
    }
}

/// Runs `body` with a new workbook and closes it afterwards; if `body` throws, nothing is written.
public func withXLSXWorkbook<Result>(
    at path: String, options: XLSXOptions = XLSXOptions(), _ body: (inout XLSXWorkbook) throws -> Result
) throws -> Result {
    try withClosing(XLSXWorkbook(path: path, options: options), body)
}
