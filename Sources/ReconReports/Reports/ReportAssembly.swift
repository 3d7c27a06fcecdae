import Foundation
import ReconCore
import ReconPostgres

/// Writes every sheet inside the report's transaction; runs synchronously on the connection's executor.
enum ReportAssembly {
    /// The streamed sheets after the Summary, in workbook order.
    static let rowModels: [any ReportRowModel.Type] = [
        SettledRow.self, ExceptionRow.self, RefundRow.self, PendingRow.self, StatementRow.self,
    ]

    /// Rows below the header that still leave room for the totals row in a worksheet.
    static let maximumWorksheetRows = 1_048_574

    /// How often a progress line is offered.
    static let progressInterval = 10_000

    /// Writes every file: the Settled sheet first, its rows also giving the Summary's collected figures
    /// (``SettledBreakdown``); then the Summary's queries (with `summaryConnection`, they run there, in this
    /// transaction's exported snapshot, while the Settled sheet streams here: ``PendingSummary``); then the other
    /// sheets, each checked against the Summary.
    static func write(
        scope: ReportScope, plan: OutputPlan, temporaryDirectory: String?,
        progress: (@Sendable (ReportProgress) -> Void)?, summaryConnection: PostgresConnection? = nil,
        db: isolated PostgresConnection
    ) throws -> WrittenReport {
        // The Settled sheet's size is needed before its first row by a workbook (its filter range, the worksheet's
        // row limit) and by progress lines; a CSV written without progress does without it.
        let countSettled = plan.workbook != nil || progress != nil
        let pending = try summaryConnection.map { connection in
            PendingSummary.start(
                scope, on: connection, snapshot: try ReportQueries.exportSnapshot(db), countSettled: countSettled)
        }
        // Whatever happens here, the second connection's work ends before this transaction does.
        defer { _ = try? pending?.wait() }
        var settledTotal: ReportTotal?
        if pending == nil, countSettled { settledTotal = try ReportSummary.settledTotal(scope, db: db) }
        var workbook: XLSXWorkbook?
        var summarySheet: XLSXSheet?
        if let paths = plan.workbook {
            let period = scope.period
            workbook = try XLSXWorkbook(
                path: paths.temporary,
                options: XLSXOptions(
                    constantMemory: true, temporaryDirectory: temporaryDirectory,
                    properties: XLSXDocumentProperties(
                        title: "M-Pesa report \(period)", subject: "Settled payments, exceptions, refunds, pending",
                        author: "mpesa-recon",
                        comments: "Period \(period), both days included. Times are East Africa Time (UTC+3). "
                            + (scope.maskPhoneNumbers ? "Phone numbers masked." : "Phone numbers NOT masked."))))
            // The Summary is the first tab; its rows are written once it is known (a worksheet in constant-memory
            // mode only has to receive its own rows in order).
            summarySheet = try startSheet(
                .summary, SummaryLine.workbookColumns, rows: 0, page: scope.pageSetup(.summary), filter: false,
                workbook: &workbook)
        }
        // The Settled sheet streams first (the Summary may still be loading on the other connection); the other
        // sheets need the Summary's row counts.
        var breakdown = SettledBreakdown()
        var results: [(sheet: ReportSheet, result: SheetResult)] = []
        results.append(
            (
                .settled,
                try writeRows(
                    SettledRow.self, scope: scope, csvPath: plan.csvTemporary(.settled), workbook: &workbook,
                    expectedRows: {
                        // On the first row: by then the second connection's count is long done.
                        if settledTotal == nil { settledTotal = try pending?.settledTotal() }
                        return settledTotal.map { Int($0.count) }
                    }, progress: progress, db: db, eachRow: { row throws(ReportError) in try breakdown.add(row) })
            ))
        let loaded = try pending?.wait() ?? ReportSummary.load(scope, db: db)
        let summary = try loaded.completing(with: breakdown, scope: scope)
        if let settledTotal, settledTotal != summary.settled {
            throw ReportError(
                code: .inconsistent, operation: "report",
                message: "the Settled sheet has \(summary.settled.count) rows but its count in the same snapshot is "
                    + "\(settledTotal.count)")
        }
        for model in rowModels where model.sheet != .settled {
            let expected = summary.expectedRows[model.sheet] ?? 0
            let written = try writeRows(
                model, scope: scope, csvPath: plan.csvTemporary(model.sheet), workbook: &workbook,
                expectedRows: { expected }, progress: progress, db: db)
            results.append((model.sheet, written))
        }
        for (sheet, result) in results { try check(result, against: summary, sheet: sheet) }
        try writeSummary(
            summary, sheet: summarySheet, csvPath: plan.csvTemporary(.summary), csvOptions: scope.csvOptions,
            workbook: &workbook)
        if let finished = workbook.take() { try finished.close() }
        return WrittenReport(
            summary: summary, rows: [(.summary, summary.lines.count)] + results.map { ($0.sheet, $0.result.rows) })
    }

    /// A worksheet holds 1 048 576 rows: a sheet that would not fit is refused before anything is published.
    private static func checkWorksheetRows(_ rows: Int, sheet: ReportSheet) throws(ReportError) {
        guard rows <= maximumWorksheetRows else {
            throw ReportError(
                code: .tooManyRows, operation: "report",
                message: "the \(sheet.title) sheet would have \(rows) rows, more than a worksheet "
                    + "holds (\(maximumWorksheetRows)); choose a shorter period or --format csv")
        }
    }

    /// What a streamed sheet ended with.
    struct SheetResult {
        var rows = 0
        /// The `amount_kes` column's total, when the sheet has one.
        var amount: Money?
    }

    /// A sheet that disagrees with the Summary of the same snapshot is a bug; publishing it would mislead.
    static func check(_ result: SheetResult, against summary: ReportSummary, sheet: ReportSheet) throws(ReportError) {
        let expectedRows = summary.expectedRows[sheet] ?? 0
        let expectedAmount = summary.expectedAmounts[sheet]
        guard result.rows == expectedRows, expectedAmount == nil || result.amount == expectedAmount else {
            throw ReportError(
                code: .inconsistent, operation: "report",
                message: "the \(sheet.title) sheet has \(result.rows) rows and amount "
                    + "\(result.amount?.decimalString ?? "-") but the Summary says \(expectedRows) rows and amount "
                    + "\(expectedAmount?.decimalString ?? "-")")
        }
    }

    private static func writeSummary(
        _ summary: ReportSummary, sheet: XLSXSheet?, csvPath: String?, csvOptions: CSVOptions,
        workbook: inout XLSXWorkbook?
    ) throws(ReportError) {
        var csv: CSVWriter?
        if let csvPath { csv = try CSVWriter(path: csvPath, options: csvOptions) }
        try csv?.writeRow(SummaryLine.columns.map { .text($0.name) })
        for line in summary.lines { try csv?.writeRow(line.values) }
        if let finished = csv.take() { try finished.close() }

        guard workbook != nil, let sheet else { return }
        // In the workbook each section is a bold heading followed by its lines, as a finance statement reads.
        let columns = SummaryLine.workbookColumns
        var row: UInt32 = 1
        var rowOfLine: [Int: UInt32] = [:]
        var previous: ReportSummary.Section?
        for (index, line) in summary.lines.enumerated() {
            if line.section != previous {
                previous = line.section
                if row > 1 { row += 1 }  // a blank row between sections
                try workbook?.write(sheet, row: row, column: 0, cell: .text(line.section.rawValue), format: .header)
                row += 1
            }
            rowOfLine[index] = row
            var lines = 1
            if case .text(let text) = line.item { lines = columns[0].lines("  " + text) }
            if let height = ReportColumn.rowHeight(lines: lines) {
                try workbook?.setRowHeight(sheet, row: row, height: height)
            }
            for (column, value) in line.workbookValues.enumerated() {
                if column == 2, let pair = line.difference, pair.count == 2, let amount = line.amount,
                    let first = rowOfLine[pair[0]], let second = rowOfLine[pair[1]]
                {
                    // The net is a formula over the two lines above it, so a reader can see how it is made.
                    let letter = columnLetters(column)
                    let formula = "\(letter)\(first + 1)-\(letter)\(second + 1)"
                    try workbook?.write(
                        sheet, row: row, column: 2, cell: .formula(formula, storedValue: .money(amount)),
                        format: .moneyTotal)
                } else if case .text(let text) = value, column == 0 {
                    try workbook?.write(sheet, row: row, column: 0, cell: .text("  " + text), format: .wrappedText)
                } else if let cell = value.xlsxCell {
                    try workbook?.write(sheet, row: row, column: UInt16(column), cell: cell)
                }
            }
            row += 1
        }
    }

    /// Adds a worksheet with widths, a frozen bold header row, and a filter over the `rows` rows to come.
    ///
    /// In constant-memory mode libxlsxwriter refuses a filter whose range starts above rows already
    /// flushed, so the filter is set first, from the row count the Summary read in the same snapshot.
    private static func startSheet(
        _ sheet: ReportSheet, _ columns: [ReportColumn], rows: Int, page: XLSXPageSetup, filter: Bool = true,
        workbook: inout XLSXWorkbook?
    ) throws(ReportError) -> XLSXSheet {
        guard let handle = try workbook?.addWorksheet(named: sheet.title) else {
            throw ReportError(code: .invalidArgument, operation: "report", message: "no workbook is open")
        }
        for (index, column) in columns.enumerated() {
            let position = UInt16(index)
            try workbook?.setColumnWidth(handle, columns: position...position, width: column.width)
        }
        try workbook?.setPageSetup(handle, page)
        try workbook?.freezePanes(handle, row: 1, column: 0)
        if filter {
            try workbook?.autofilter(
                handle, firstRow: 0, firstColumn: 0, lastRow: UInt32(rows), lastColumn: UInt16(columns.count - 1))
        }
        // Header titles wrap in every column (numbers and dates included).
        let headerLines =
            columns.map { column in
                max(1, (column.title.count + max(1, column.width - 2) - 1) / max(1, column.width - 2))
            }.max() ?? 1
        if let height = ReportColumn.rowHeight(lines: headerLines) {
            try workbook?.setRowHeight(handle, row: 0, height: height)
        }
        try workbook?.writeRow(handle, 0, columns.map { .text($0.title) }, format: .header)
        return handle
    }

    /// Streams one sheet's rows into its CSV and worksheet. `expectedRows` is asked once, just before the first row
    /// is written (or after the last when there is none): the worksheet's filter range and row limit need it, and
    /// progress lines show it; a sheet written without either may not know it (`nil`).
    private static func writeRows<Model: ReportRowModel>(
        _ model: Model.Type, scope: ReportScope, csvPath: String?, workbook: inout XLSXWorkbook?,
        expectedRows: () throws -> Int?, progress: (@Sendable (ReportProgress) -> Void)?,
        db: isolated PostgresConnection, eachRow: ((Model) throws(ReportError) -> Void)? = nil
    ) throws -> SheetResult {
        let columns = Model.columns
        var csv: CSVWriter?
        if let csvPath { csv = try CSVWriter(path: csvPath, options: scope.csvOptions) }
        try csv?.writeRow(columns.map { .text($0.name) })
        var started = false
        var expected: Int?
        var sheet: XLSXSheet?
        func start() throws {
            started = true
            expected = try expectedRows()
            guard workbook != nil else { return }
            guard let expected else {
                throw ReportError(
                    code: .inconsistent, operation: "report",
                    message: "the \(Model.sheet.title) sheet's size is unknown")
            }
            try checkWorksheetRows(expected, sheet: Model.sheet)
            sheet = try startSheet(
                Model.sheet, columns, rows: expected, page: scope.pageSetup(Model.sheet), workbook: &workbook)
        }
        let wrapping = columns.map(\.wraps)
        let wrapped = columns.indices.filter { wrapping[$0] }

        let totalled = columns.indices.filter { columns[$0].totalled }
        var sums = [Money](repeating: .zero, count: columns.count)
        var rows = 0
        try db.streamRows(Model.query(scope)) { result in
            if !started { try start() }
            // Column names are checked on the first row only; every row of a result has the same.
            var reader = RowReader(result, checkNames: rows == 0)
            let row = try Model(&reader)
            try eachRow?(row)
            let values = row.values(scope)
            try csv?.writeRow(values)
            if let sheet {
                let row = UInt32(rows + 1)
                var lines = 1
                for column in wrapped {
                    if case .text(let text) = values[column] { lines = max(lines, columns[column].lines(text)) }
                }
                if let height = ReportColumn.rowHeight(lines: lines) {
                    try workbook?.setRowHeight(sheet, row: row, height: height)
                }
                for (column, value) in values.enumerated() {
                    guard let cell = value.xlsxCell else { continue }
                    try workbook?.write(
                        sheet, row: row, column: UInt16(column), cell: cell,
                        format: wrapping[column] && value.isText ? .wrappedText : nil)
                }
            }
            for column in totalled {
                if case .money(let amount) = values[column] { sums[column] = try sums[column].addingChecked(amount) }
            }
            rows += 1
            // The sheet's last row is reported once, after the loop.
            if let progress, let expected, rows % progressInterval == 0, rows < expected {
                progress(ReportProgress(sheet: Model.sheet, rowsWritten: rows, rowsTotal: expected))
            }
        }
        if !started { try start() }
        if let finished = csv.take() { try finished.close() }
        if let sheet {
            try writeTotals(sheet, columns: columns, sums: sums, rows: rows, workbook: &workbook)
        }
        if let progress, let expected {
            progress(ReportProgress(sheet: Model.sheet, rowsWritten: rows, rowsTotal: expected))
        }
        let amountColumn = columns.firstIndex { $0.name == "amount_kes" }
        return SheetResult(rows: rows, amount: amountColumn.map { sums[$0] })
    }

    /// The totals row under the data, outside the filter: SUBTOTAL formulas, so a filtered view totals what
    /// it shows, with the full totals stored for readers that do not recalculate.
    private static func writeTotals(
        _ sheet: XLSXSheet, columns: [ReportColumn], sums: [Money], rows: Int, workbook: inout XLSXWorkbook?
    ) throws(ReportError) {
        let totalRow = UInt32(rows + 1)
        try workbook?.write(sheet, row: totalRow, column: 0, cell: .text("Total"), format: .header)
        for (index, column) in columns.enumerated() where column.totalled {
            let cell: XLSXCell
            if rows == 0 {
                cell = .money(.zero)
            } else {
                let letter = columnLetters(index)
                cell = .formula("SUBTOTAL(9,\(letter)2:\(letter)\(rows + 1))", storedValue: .money(sums[index]))
            }
            try workbook?.write(sheet, row: totalRow, column: UInt16(index), cell: cell, format: .moneyTotal)
        }
    }
}
