import Foundation
import ReconApp
import ReconCore
import ReconReports
import Testing

/// A file in a fresh temporary folder, removed afterwards.
func withTemporaryFile<T>(_ name: String, _ body: (String) throws -> T) throws -> T {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("stmt-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: folder) }
    return try body(folder.appendingPathComponent(name).path)
}

/// Reads a file's lines and summary.
func readStatement(_ path: String) throws -> (StatementFile.Summary, [StatementLine]) {
    var lines: [StatementLine] = []
    let summary = try StatementFile.read(path: path) { lines.append($0) }
    return (summary, lines)
}

/// 2024-05-03 10:15:30 EAT.
func eat(
    _ year: Int64, _ month: Int64, _ day: Int64, _ hour: Int64 = 0, _ minute: Int64 = 0, _ second: Int64 = 0
)
    -> Date
{
    let days = CivilCalendar.days(year: year, month: month, day: day)
    return Date(timeIntervalSince1970: Double(days * 86_400 + hour * 3600 + minute * 60 + second - 3 * 3600))
}

func kes(_ text: String) throws -> Money { try Money.parse(text) }

let portalCSV = """
    Account Holder:,ACME LEARNING LTD
    Short Code:,600123
    Account:,Utility Account
    "Time Period: From 01-05-2024 00:00:00 To 31-05-2024 23:59:59"
    Operator:,FINANCE1,Date of Report:,01-06-2024 08:00:00
    Opening Balance:,"10,000.00",Closing Balance:,"11,470.00",Available Balance:,"11,470.00",Total Paid In:,"2,500.00",Total Withdrawn:,"1,030.00"

    Receipt No.,Completion Time,Initiation Time,Details,Transaction Status,Paid In,Withdrawn,Balance,Balance Confirmed,Reason Type,Other Party Info,Linked Transaction ID,A/C No.
    SE31ABC001,03-05-2024 10:15:30,03-05-2024 10:15:02,Pay Bill Online from 25471****678 - JANE DOE Acc. C-12,Completed,"1,500.00",,"11,500.00",true,Pay Bill Online,25471****678 - JANE DOE,,C-12
    SE31ABC002,04-05-2024 09:00:00,04-05-2024 08:59:40,Pay Utility with OD from 254722000111 - JOHN ROE,Completed,"1,000.00",,"12,500.00",true,Pay Utility with OD via STK,254722000111 - JOHN ROE,,C-7
    SE31ABC003,05-05-2024 12:00:00,05-05-2024 12:00:00,Business Payment to Customer via API to 25471****678 - JANE DOE,Completed,,"1,000.00","11,500.00",true,Business Payment to Customer via API,25471****678 - JANE DOE,AG_20240505_0001,
    SE31ABC004,05-05-2024 12:00:00,05-05-2024 12:00:00,Business Payment Charge,Completed,,15.00,"11,485.00",true,Business Payment to Customer via API Charge,,SE31ABC003,
    SE31ABC005,31-05-2024 23:00:00,31-05-2024 23:00:00,Utility Account to Organization Settlement Account,Completed,,15.00,"11,470.00",true,Utility Account to Organization Settlement Account,600123 - ACME LEARNING LTD,,

    """

@Suite struct StatementParserTests {
    @Test func portalCSVWithHeaderBlock() throws {
        let (summary, lines) = try withTemporaryFile("statement.csv") { path in
            try Data(portalCSV.utf8).write(to: URL(fileURLWithPath: path))
            return try readStatement(path)
        }
        #expect(summary.format == .csv)
        #expect(summary.lines == 5)
        let header = summary.header
        #expect(header.accountHolder == "ACME LEARNING LTD")
        #expect(header.shortCode == "600123")
        #expect(header.account == "Utility Account")
        #expect(header.periodStart == eat(2024, 5, 1))
        #expect(header.periodEnd == eat(2024, 5, 31, 23, 59, 59))
        #expect(header.openingBalance == (try kes("10000")))
        #expect(header.closingBalance == (try kes("11470")))
        #expect(header.availableBalance == (try kes("11470")))
        #expect(header.totalPaidIn == (try kes("2500")))
        #expect(header.totalWithdrawn == (try kes("1030")))

        #expect(lines.map(\.lineClass) == [.payment, .payment, .refund, .charge, .sweep])
        #expect(lines.map(\.row) == [9, 10, 11, 12, 13])
        let first = try #require(lines.first)
        #expect(first.receipt == "SE31ABC001")
        #expect(first.completedAt == eat(2024, 5, 3, 10, 15, 30))
        #expect(first.initiatedAt == eat(2024, 5, 3, 10, 15, 2))
        #expect(first.paidIn == (try kes("1500")))
        #expect(first.withdrawn == .zero)
        #expect(first.balance == (try kes("11500")))
        #expect(first.party.identifier == "25471****678")
        #expect(first.party.name == "JANE DOE")
        #expect(first.party.isCompatible(withPhone: "254712345678"))
        #expect(!first.party.isCompatible(withPhone: "254722345678"))
        #expect(first.accountNumber == "C-12")
        #expect(first.status == "Completed")
        #expect(first.reasonType == "Pay Bill Online")
        #expect(lines[1].party.identifier == "254722000111")
        #expect(lines[1].party.maskedIdentifier == "25472****111")
        #expect(lines[2].withdrawn == (try kes("1000")))
        #expect(lines[2].linkedTransactionID == "AG_20240505_0001")
        #expect(lines[3].linkedTransactionID == "SE31ABC003")
        #expect(lines[4].party.name == "ACME LEARNING LTD")
    }

    @Test func shortCSVWithoutHeaderBlockReadsPartyAndAccountFromDetails() throws {
        let csv = """
            Receipt No.,Completion Time,Details,Transaction Status,Paid In,Withdrawn,Other Party Info,A/C No.
            SF11XYZ901,02/06/2024 08:05,Pay Bill Online from 25471****678 - JANE DOE Acc. C-12,Completed,250.00,,,
            SF11XYZ902,02/06/2024 09:00,Business Pay Bill Charge,Completed,,"1,234.50",,
            """
        let (summary, lines) = try withTemporaryFile("short.csv") { path in
            try Data(csv.utf8).write(to: URL(fileURLWithPath: path))
            return try readStatement(path)
        }
        #expect(summary.header == StatementHeader())
        #expect(lines.count == 2)
        #expect(lines[0].completedAt == eat(2024, 6, 2, 8, 5))
        #expect(lines[0].party.identifier == "25471****678")
        #expect(lines[0].accountNumber == "C-12")
        #expect(lines[0].lineClass == .payment)
        #expect(lines[1].withdrawn == (try kes("1234.50")))
        #expect(lines[1].lineClass == .charge)
    }

    @Test func rawExportLayout() throws {
        let csv = """
            RECEIPT_NUMBER,ACCOUNT_TYPE_NAME,TRANSACTION_TYPE,START_TIMESTAMP,TRANSACTION_PARTY_DETAILS,CREDIT_AMOUNT,DEBIT_AMOUNT,BALANCE,LINKED_TRANSACTION_ID,STORE_NAME\r
            SG22RAW001,Utility Account,Pay Bill Online,2024-07-01 10:00:00,254712345678 - JANE DOE,"2,000.00",0.00,"5,000.00",,ACME\r
            SG22RAW002,Utility Account,Business Payment to Customer via API,2024-07-01 11:00:00,25471****678 - JANE DOE,0.00,-500.00,"4,500.00",,ACME\r
            SG22RAW003,Utility Account,Utility Account to Organization Settlement Account,2024-07-01 23:00:00,600123 - ACME,0.00,"4,500.00",0.00,,ACME\r

            """
        let (_, lines) = try withTemporaryFile("raw.csv") { path in
            try Data(([0xEF, 0xBB, 0xBF] as [UInt8]) + Array(csv.utf8)).write(to: URL(fileURLWithPath: path))
            return try readStatement(path)
        }
        #expect(lines.map(\.receipt) == ["SG22RAW001", "SG22RAW002", "SG22RAW003"])
        #expect(lines.map(\.lineClass) == [.payment, .refund, .sweep])
        #expect(lines[0].completedAt == eat(2024, 7, 1, 10))
        #expect(lines[0].paidIn == (try kes("2000")))
        #expect(lines[1].withdrawn == (try kes("500")))
        #expect(lines[0].party.isCompatible(withPhone: "254712345678"))
        #expect(lines[2].balance == .zero)
    }

    /// The portal's XLSX: header block, shared strings, real numbers and serial dates.
    @Test(arguments: [false, true])
    func portalXLSX(constantMemory: Bool) throws {
        let (summary, lines) = try withTemporaryFile("statement.xlsx") { path in
            var options = XLSXOptions()
            options.constantMemory = constantMemory
            try withXLSXWorkbook(at: path, options: options) { book in
                let sheet = try book.addWorksheet(named: "Statement")
                try book.writeRow(sheet, 0, [.text("Account Holder:"), .text("ACME LEARNING LTD & SONS")])
                try book.writeRow(sheet, 1, [.text("Short Code:"), .text("600123")])
                try book.writeRow(
                    sheet, 2, [.text("Time Period: From 01-05-2024 00:00:00 To 31-05-2024 23:59:59")])
                try book.writeRow(
                    sheet, 4,
                    [
                        .text("Opening Balance:"), .money(try kes("10000")), .text("Closing Balance:"),
                        .money(try kes("10985.55")),
                    ])
                try book.writeRow(
                    sheet, 6,
                    [
                        "Receipt No.", "Completion Time", "Initiation Time", "Details", "Transaction Status",
                        "Paid In", "Withdrawn", "Balance", "Balance Confirmed", "Reason Type", "Other Party Info",
                        "Linked Transaction ID", "A/C No.",
                    ].map { XLSXCell.text($0) })
                try book.writeRow(
                    sheet, 7,
                    [
                        .text("SE31ABC001"), .dateTime(eat(2024, 5, 3, 10, 15, 30)), .blank,
                        .text("Pay Bill Online"), .text("Completed"), .money(try kes("1000.55")), .blank,
                        .money(try kes("11000.55")), .text("true"), .text("Pay Bill Online"),
                        .text("25471****678 - JANE DOE"), .blank, .text("C-12"),
                    ])
                // Cells left out (C, G, I, L, M) must not shift the others.
                try book.write(sheet, row: 8, column: 0, cell: .text("SE31ABC002"))
                try book.write(sheet, row: 8, column: 1, cell: .dateTime(eat(2024, 5, 4, 23, 59, 59)))
                try book.write(sheet, row: 8, column: 5, cell: .blank)
                try book.write(sheet, row: 8, column: 6, cell: .money(try kes("15")))
                try book.write(sheet, row: 8, column: 7, cell: .money(try kes("10985.55")))
                try book.write(sheet, row: 8, column: 9, cell: .text("Pay Bill Online Charge"))
            }
            return try readStatement(path)
        }
        #expect(summary.format == .xlsx)
        #expect(summary.header.accountHolder == "ACME LEARNING LTD & SONS")
        #expect(summary.header.shortCode == "600123")
        #expect(summary.header.periodEnd == eat(2024, 5, 31, 23, 59, 59))
        #expect(summary.header.openingBalance == (try kes("10000")))
        #expect(summary.header.closingBalance == (try kes("10985.55")))
        #expect(lines.count == 2)
        #expect(lines.map(\.row) == [8, 9])
        #expect(lines[0].completedAt == eat(2024, 5, 3, 10, 15, 30))
        #expect(lines[0].initiatedAt == nil)
        #expect(lines[0].paidIn == (try kes("1000.55")))
        #expect(lines[0].party.identifier == "25471****678")
        #expect(lines[0].accountNumber == "C-12")
        #expect(lines[0].lineClass == .payment)
        #expect(lines[1].completedAt == eat(2024, 5, 4, 23, 59, 59))
        #expect(lines[1].withdrawn == (try kes("15")))
        #expect(lines[1].paidIn == .zero)
        #expect(lines[1].lineClass == .charge)
    }

    /// The error reading `csv` as a statement file, or nil when it reads.
    static func csvError(_ csv: String, _ name: String) throws -> StatementError? {
        try withTemporaryFile(name) { path -> StatementError? in
            try Data(csv.utf8).write(to: URL(fileURLWithPath: path))
            do {
                _ = try readStatement(path)
                return nil
            } catch let error as StatementError {
                return error
            }
        }
    }

    @Test func aMisalignedPhoneNumberIsNeverEchoed() throws {
        // An unquoted comma in Details shifts the party into Paid In: the error names the cell, not the number.
        let csv = """
            Receipt No.,Completion Time,Details,Paid In,Withdrawn
            SE31ABC001,03-05-2024 10:15:30,Pay Bill Online,254712345678 - JANE DOE,
            """
        let error = try Self.csvError(csv, "shifted.csv")
        #expect(error?.description == "row 2, column \"Paid In\": the cell is not an amount")
        #expect(error?.description.contains("2547") == false)
    }

    @Test func outOfRangeTimesAreRefusedNotOverflowed() {
        #expect(StatementValues.textDate("01-05-2024 9999999999999999:00") == nil)
        #expect(StatementValues.textDate("01-05-2024 23:59:60") == nil)
        #expect(StatementValues.textDate("01-05-2024 23:59:59") != nil)
    }

    @Test func badAmountNamesRowAndColumn() throws {
        let csv = """
            Receipt No.,Completion Time,Details,Paid In,Withdrawn
            SE31ABC001,03-05-2024 10:15:30,Pay Bill Online,"12,5x0.00",
            """
        let error = try Self.csvError(csv, "bad.csv")
        #expect(error?.description == "row 2, column \"Paid In\": \"12,5x0.00\" is not an amount")
        #expect(error?.row == 2)
        #expect(error?.column == "Paid In")
    }

    @Test func brokenFiles() throws {
        func failure(_ bytes: [UInt8], _ name: String = "f.csv") throws -> StatementError? {
            try withTemporaryFile(name) { path -> StatementError? in
                try Data(bytes).write(to: URL(fileURLWithPath: path))
                do {
                    _ = try readStatement(path)
                    return nil
                } catch let error as StatementError {
                    return error
                }
            }
        }
        let noTable = try failure(Array("Account Holder:,ACME\nsomething,else\n".utf8))
        #expect(noTable?.code == .noTable)
        let noTime = try failure(Array("Receipt No.,Details,Paid In\nSE31ABC001,x,1.00\n".utf8))
        #expect(noTime?.code == .missingColumn)
        #expect(noTime?.column == "Completion Time")
        let badDate = try failure(
            Array("Receipt No.,Completion Time,Paid In\nSE31ABC001,31-02-2024 10:00:00,1.00\n".utf8))
        #expect(badDate?.description.hasPrefix("row 2, column \"Completion Time\": \"31-02-2024 10:00:00\"") == true)
        let third = try failure(
            Array("Receipt No.,Completion Time,Paid In\nSE31ABC001,01-02-2024 10:00:00,1.005\n".utf8))
        #expect(third?.column == "Paid In")
        let openQuote = try failure(Array("Receipt No.,Completion Time,Paid In\n\"SE31ABC001,01-02-2024".utf8))
        #expect(openQuote?.code == .unreadable)
        let noReceipt = try failure(Array("Receipt No.,Completion Time,Paid In\n,01-02-2024 10:00:00,5.00\n".utf8))
        #expect(noReceipt?.column == "Receipt No.")
        // A zip that is cut short, and one whose sheet fails its checksum.
        let truncated = try failure([0x50, 0x4B, 0x03, 0x04, 0, 0, 0, 0, 1, 2, 3], "t.xlsx")
        #expect(truncated?.code == .unreadable)
        let corrupt = try withTemporaryFile("c.xlsx") { path -> StatementError? in
            try withXLSXWorkbook(at: path) { book in
                let sheet = try book.addWorksheet(named: "S")
                for row in 0..<200 {
                    try book.writeRow(sheet, UInt32(row), [.text("Receipt No."), .integer(Int64(row))])
                }
            }
            var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
            // Flip bytes in the middle of the compressed data.
            for index in (bytes.count / 3)..<(bytes.count / 3 + 40) { bytes[index] ^= 0x5A }
            try Data(bytes).write(to: URL(fileURLWithPath: path))
            do {
                _ = try readStatement(path)
                return nil
            } catch let error as StatementError {
                return error
            }
        }
        #expect(corrupt?.code == .unreadable)
    }

    @Test func footerAndBlankRowsAreNotLines() throws {
        let csv = """
            Receipt No.,Completion Time,Paid In,Withdrawn,Reason Type

            SE31ABC001,03-05-2024 10:15:30,100.00,,Pay Bill Online
            Total,,,,
            """
        let (summary, lines) = try withTemporaryFile("footer.csv") { path in
            try Data(csv.utf8).write(to: URL(fileURLWithPath: path))
            return try readStatement(path)
        }
        #expect(summary.lines == 1)
        #expect(lines.map(\.row) == [3])
    }
}

@Suite struct StatementValueTests {
    @Test func serialDates() {
        #expect(StatementValues.date(.number("45415.4274305556")) == eat(2024, 5, 3, 10, 15, 30))
        #expect(StatementValues.date(.number("45415")) == eat(2024, 5, 3))
        #expect(StatementValues.date(.text("45415.5")) == eat(2024, 5, 3, 12))
        #expect(StatementValues.date(.number("-1")) == nil)
    }

    @Test func textDates() {
        #expect(StatementValues.date(.text("03-05-2024 10:15:30")) == eat(2024, 5, 3, 10, 15, 30))
        #expect(StatementValues.date(.text("03.05.2024 10:15")) == eat(2024, 5, 3, 10, 15))
        #expect(StatementValues.date(.text("2024-05-03 10:15:30")) == eat(2024, 5, 3, 10, 15, 30))
        #expect(StatementValues.date(.text("29-02-2023 10:00:00")) == nil)
        #expect(StatementValues.date(.text("03-05-2024 24:00:00")) == nil)
        #expect(StatementValues.date(.text("yesterday")) == nil)
    }

    @Test func amounts() throws {
        #expect(StatementValues.amount(.text("1,234,567.89")) == (try kes("1234567.89")))
        #expect(StatementValues.amount(.text("KES 1,000")) == (try kes("1000")))
        #expect(StatementValues.amount(.text("")) == .zero)
        #expect(StatementValues.amount(.number("1234.5")) == (try kes("1234.50")))
        #expect(StatementValues.amount(.number("0.30000000000000004")) == (try kes("0.30")))
        #expect(StatementValues.amount(.number("10.289999999999999")) == (try kes("10.29")))
        #expect(StatementValues.amount(.number("10.295")) == nil)
        #expect(StatementValues.amount(.text("12,34.00")) == nil)
    }

    @Test func classification() {
        func c(_ reason: String, paidIn: Int64 = 0, withdrawn: Int64 = 0) -> StatementLineClass {
            StatementClassifier.classify(
                reasonType: reason, details: "", paidIn: Money(minorUnits: paidIn),
                withdrawn: Money(minorUnits: withdrawn))
        }
        #expect(c("Pay Bill Online", paidIn: 100) == .payment)
        #expect(c("Pay Utility", paidIn: 100) == .payment)
        #expect(c("Pay Utility with OD via STK", paidIn: 100) == .payment)
        #expect(c("Business Payment to Customer via API", withdrawn: 100) == .refund)
        #expect(c("Business Payment to Customer via API Charge", withdrawn: 100) == .charge)
        #expect(c("Pay Bill Online Charge", withdrawn: 100) == .charge)
        #expect(c("Utility Account to Organization Settlement Account", withdrawn: 100) == .sweep)
        #expect(c("Pay Bill Online Reversal", withdrawn: 100) == .other)
        #expect(c("Something new", paidIn: 100) == .other)
    }

    @Test func csvSplitterIsChunkIndependent() throws {
        let bytes = Array(portalCSV.utf8)
        var whole: [StatementRow] = []
        var splitter = CSVRowSplitter()
        try splitter.feed(bytes) { whole.append($0) }
        try splitter.finish { whole.append($0) }
        var piecewise: [StatementRow] = []
        var byByte = CSVRowSplitter()
        for byte in bytes { try byByte.feed([byte]) { piecewise.append($0) } }
        try byByte.finish { piecewise.append($0) }
        #expect(whole == piecewise)
        #expect(whole.count == 13)
        #expect(whole[3].cells == [.text("Time Period: From 01-05-2024 00:00:00 To 31-05-2024 23:59:59")])
    }
}
