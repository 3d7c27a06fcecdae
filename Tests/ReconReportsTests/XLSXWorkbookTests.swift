import Foundation
import ReconCore
import ReconReports
import Testing

@Suite struct XLSXWorkbookTests {
    private let paidAt = [1_795_934_154, 1_795_940_000, 1_795_986_000].map { Date(timeIntervalSince1970: $0) }
    private let amounts = [Money(minorUnits: 150_000), Money(minorUnits: 123_457), Money(minorUnits: 7)]

    /// Parses a number as openpyxl printed it; fails on anything but an exact amount with at most two decimals.
    private func money(_ text: String?) throws -> Money {
        try Money.parse(try #require(text))
    }

    @Test func openpyxlSeesRealNumbersDatesFormatsAndTotals() throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let path = folder.path("report.xlsx")
        let total = try #require(amounts.reduce(Money.zero) { $0?.adding($1) })
        let days = try paidAt.map { try EastAfricaTime.civilDate(of: $0) }

        var workbook = try XLSXWorkbook(
            path: path,
            options: XLSXOptions(
                constantMemory: true, temporaryDirectory: folder.url.path,
                properties: XLSXDocumentProperties(
                    title: "Settlement report", subject: "November 2026", author: "mpesa-recon",
                    company: "Example LMS", comments: "Times are East Africa Time (UTC+3)")))
        let settled = try workbook.addWorksheet(named: "Settled payments")
        let exceptions = try workbook.addWorksheet(named: "Exceptions")
        try workbook.setColumnWidth(settled, columns: 0...0, width: 14)
        try workbook.setColumnWidth(settled, columns: 1...2, width: 16)
        try workbook.setColumnWidth(settled, columns: 3...3, width: 20)
        try workbook.freezePanes(settled, row: 1, column: 0)
        try workbook.autofilter(settled, firstRow: 0, firstColumn: 0, lastRow: 3, lastColumn: 4)
        try workbook.writeRow(
            settled, 0,
            [.text("Receipt"), .text("Attempts"), .text("Amount (KES)"), .text("Paid at (EAT)"), .text("Day")],
            format: .header)
        let receipts = ["TKR1ABC001", "=HYPERLINK(\"http://x\")", "Ng'ang'a Wanjikũ"]
        for index in 0..<3 {
            try workbook.writeRow(
                settled, UInt32(index + 1),
                [
                    .text(receipts[index]), .integer(Int64(index + 1)), .money(amounts[index]),
                    .dateTime(paidAt[index]), .date(days[index]),
                ])
        }
        try workbook.write(settled, row: 4, column: 0, cell: .text("Total"), format: .header)
        try workbook.write(
            settled, row: 4, column: 1, cell: .formula("SUM(B2:B4)", storedValue: .integer(6)), format: .integerTotal)
        try workbook.write(
            settled, row: 4, column: 2, cell: .formula("=SUM(C2:C4)", storedValue: .money(total)),
            format: .moneyTotal)
        try workbook.writeRow(exceptions, 0, [.text("Kind"), .text("Amount (KES)")], format: .header)
        try workbook.writeRow(exceptions, 1, [.text("under_payment"), .money(Money(minorUnits: -5005))])
        try workbook.writeRow(exceptions, 2, [.text("over_payment"), .money(Money(minorUnits: 9_999_999_999))])
        try workbook.writeRow(exceptions, 3, [.blank, .money(Money(minorUnits: 10))])
        try workbook.close()

        let facts = try WorkbookFacts.read(path)
        #expect(facts.sheets.map(\.name) == ["Settled payments", "Exceptions"])
        #expect(facts.properties["title"] == "Settlement report")
        #expect(facts.properties["creator"] == "mpesa-recon")
        #expect(facts.properties["subject"] == "November 2026")
        let sheet = facts.sheets[0]
        #expect(sheet.freezePanes == "A2")
        #expect(sheet.autoFilter == "A1:E4")
        #expect(sheet.widths["A"].map { Int($0) } == 14)
        #expect(sheet.widths["D"].map { Int($0) } == 20)

        let header = try #require(sheet.cells["C1"])
        #expect(header.bold && header.dataType == "s" && header.value == "Amount (KES)")
        let receipt = try #require(sheet.cells["A3"])
        // Text that looks like a formula stays text in a spreadsheet.
        #expect(receipt.dataType == "s" && receipt.value == receipts[1] && !receipt.bold)
        #expect(sheet.cells["A4"]?.value == "Ng'ang'a Wanjikũ")

        for index in 0..<3 {
            let row = index + 2
            let attempts = try #require(sheet.cells["B\(row)"])
            #expect(attempts.pythonType == "int" && attempts.value == "\(index + 1)" && attempts.numberFormat == "0")
            let amount = try #require(sheet.cells["C\(row)"])
            #expect(["int", "float"].contains(amount.pythonType) && amount.dataType == "n")
            #expect(amount.numberFormat == "#,##0.00")
            #expect(try money(amount.value) == amounts[index])
            let time = try #require(sheet.cells["D\(row)"])
            #expect(time.pythonType == "datetime" && time.dataType == "d")
            #expect(time.numberFormat == "yyyy-mm-dd hh:mm:ss")
            // Excel has no zones: the cell holds the East Africa wall-clock time.
            let expected = try EastAfricaTime.iso8601(paidAt[index]).replacingOccurrences(of: "+03:00", with: "")
            #expect(time.value == expected)
            let day = try #require(sheet.cells["E\(row)"])
            #expect(day.pythonType == "datetime" && day.numberFormat == "yyyy-mm-dd")
            #expect(day.value == "\(days[index])T00:00:00")
        }
        #expect(sheet.cells["D2"]?.value == "2026-11-29T09:35:54")
        #expect(sheet.cells["E4"]?.value == "2026-11-30T00:00:00")

        let moneyTotal = try #require(sheet.cells["C5"])
        #expect(moneyTotal.dataType == "f" && moneyTotal.value == "=SUM(C2:C4)")
        #expect(moneyTotal.numberFormat == "#,##0.00" && moneyTotal.bold)
        #expect(try money(moneyTotal.cached) == total)
        let countTotal = try #require(sheet.cells["B5"])
        #expect(countTotal.value == "=SUM(B2:B4)" && countTotal.cached == "6" && countTotal.bold)

        let second = facts.sheets[1]
        #expect(second.freezePanes == nil && second.autoFilter == nil)
        #expect(try money(second.cells["B2"]?.value) == Money(minorUnits: -5005))
        #expect(try money(second.cells["B3"]?.value) == Money(minorUnits: 9_999_999_999))
        #expect(try money(second.cells["B4"]?.value) == Money(minorUnits: 10))
        #expect(second.cells["A4"] == nil)
    }

    /// The error `close()` throws, or `nil`; a closure cannot consume a workbook, so this takes it.
    private func closeError(_ workbook: consuming XLSXWorkbook) -> ReportError? {
        do {
            try workbook.close()
            return nil
        } catch {
            return error
        }
    }

    @Test func closingIntoAMissingFolderIsAClearError() throws {
        let path = "/nonexistent-recon-folder/sub/report.xlsx"
        var workbook = try XLSXWorkbook(path: path)
        let sheet = try workbook.addWorksheet(named: "Summary")
        try workbook.writeRow(sheet, 0, [.text("x"), .money(Money(minorUnits: 100))])
        let closing = closeError(workbook)
        let error = try #require(closing)
        #expect(error.code == .io)
        #expect(error.operation == "workbook_close")
        #expect(error.description.contains(path))
        #expect(error.description.contains("Error creating output xlsx file"))
        #expect(error.description.contains("No such file or directory"))
    }

    @Test(arguments: [
        String(repeating: "x", count: 32), "a[b", "a]b", "a:b", "a*b", "a?b", "a/b", "a\\b", "'quoted'", "",
        "Settled payments", "SETTLED PAYMENTS",
    ])
    func invalidSheetNamesAreClearErrors(name: String) throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        var workbook = try XLSXWorkbook(path: folder.path("names.xlsx"))
        _ = try workbook.addWorksheet(named: "Settled payments")
        let error = try #require(throws: ReportError.self) { _ = try workbook.addWorksheet(named: name) }
        #expect(error.code == .invalidSheetName)
        #expect(error.message.contains("name"))
        // The name may carry user data: only the debug text shows it.
        #expect(error.debugDescription.contains("detail="))
        _ = try workbook.addWorksheet(named: String(repeating: "y", count: 31))
        try workbook.close()
    }

    @Test func aSheetWorksOnlyWithItsOwnWorkbook() throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        var first = try XLSXWorkbook(path: folder.path("first.xlsx"))
        var second = try XLSXWorkbook(path: folder.path("second.xlsx"))
        let sheet = try first.addWorksheet(named: "Summary")
        _ = try second.addWorksheet(named: "Summary")
        let error = try #require(throws: ReportError.self) {
            try second.write(sheet, row: 0, column: 0, cell: .integer(1))
        }
        #expect(error.code == .foreignSheet)
        try first.close()
        try second.close()
    }

    @Test func constantMemoryRowsMustAscend() throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        var workbook = try XLSXWorkbook(path: folder.path("order.xlsx"))
        let sheet = try workbook.addWorksheet(named: "Summary")
        try workbook.write(sheet, row: 5, column: 1, cell: .integer(1))
        try workbook.write(sheet, row: 5, column: 0, cell: .integer(2))
        let error = try #require(throws: ReportError.self) {
            try workbook.write(sheet, row: 4, column: 0, cell: .integer(3))
        }
        #expect(error.code == .rowOutOfOrder && error.row == 4)
        try workbook.close()

        var inMemory = try XLSXWorkbook(
            path: folder.path("any-order.xlsx"), options: XLSXOptions(constantMemory: false))
        let other = try inMemory.addWorksheet(named: "Summary")
        try inMemory.write(other, row: 5, column: 0, cell: .integer(1))
        try inMemory.write(other, row: 4, column: 0, cell: .integer(2))
        try inMemory.close()
        let facts = try WorkbookFacts.read(folder.path("any-order.xlsx"))
        #expect(facts.sheets[0].cells["A5"]?.value == "2" && facts.sheets[0].cells["A6"]?.value == "1")
    }

    @Test func valuesASpreadsheetCannotHoldExactlyAreRefused() throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        var workbook = try XLSXWorkbook(path: folder.path("range.xlsx"))
        let sheet = try workbook.addWorksheet(named: "Summary")
        let refused: [XLSXCell] = [
            .money(Money(minorUnits: (1 << 53) + 1)), .integer(-(1 << 53) - 1),
            .formula("SUM(A1)", storedValue: .money(Money(minorUnits: .max))),
            .dateTime(Date(timeIntervalSince1970: -2_203_891_200 - 10_801)),
            .date(try CivilDate(year: 1900, month: 2, day: 28)),
        ]
        for (column, cell) in refused.enumerated() {
            let error = try #require(throws: ReportError.self) {
                try workbook.write(sheet, row: 0, column: UInt16(column), cell: cell)
            }
            #expect(error.code == .valueOutOfRange && error.column == UInt16(column))
        }
        try workbook.write(sheet, row: 1, column: 0, cell: .money(Money(minorUnits: 1 << 53)))
        try workbook.write(sheet, row: 1, column: 1, cell: .date(try CivilDate(year: 1900, month: 3, day: 1)))
        try workbook.close()
    }

    /// Descriptors that point into `folder` (libxlsxwriter's unlinked temporary files).
    private func openFiles(in folder: TemporaryDirectory) throws -> Int {
        let descriptors = try FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd")
        return descriptors.filter {
            let target = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/fd/\($0)")
            return target?.hasPrefix(folder.url.path) ?? false
        }.count
    }

    @Test func aDroppedWorkbookWritesNothingAndLeaksNothing() throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let path = folder.path("dropped.xlsx")
        do {
            var workbook = try XLSXWorkbook(path: path, options: XLSXOptions(temporaryDirectory: folder.url.path))
            let first = try workbook.addWorksheet(named: "One")
            let second = try workbook.addWorksheet(named: "Two")
            try workbook.writeRow(first, 0, [.text("a"), .integer(1)])
            try workbook.writeRow(second, 0, [.text("b"), .integer(2)])
            // Each constant-memory sheet holds a temporary file until the workbook is closed or dropped.
            #expect(try openFiles(in: folder) == 2)
        }
        #expect(try openFiles(in: folder) == 0)
        #expect(!FileManager.default.fileExists(atPath: path))
    }

    @Test func scopedWorkbookWritesOnlyOnSuccess() throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        struct Abort: Error {}
        #expect(throws: Abort.self) {
            try withXLSXWorkbook(at: folder.path("failed.xlsx")) { workbook in
                let sheet = try workbook.addWorksheet(named: "Summary")
                try workbook.writeRow(sheet, 0, [.integer(1)])
                throw Abort()
            }
        }
        #expect(!FileManager.default.fileExists(atPath: folder.path("failed.xlsx")))
        try withXLSXWorkbook(at: folder.path("done.xlsx")) { workbook in
            let sheet = try workbook.addWorksheet(named: "Summary")
            try workbook.writeRow(sheet, 0, [.integer(1)])
        }
        #expect(FileManager.default.fileExists(atPath: folder.path("done.xlsx")))
    }
}
