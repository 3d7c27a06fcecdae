import Foundation
import ReconCore
import ReconReports
import Testing

@Suite struct CSVWriterTests {
    private static func rows() throws -> [[CSVField]] {
        [
            [.text("Receipt"), .text("Name"), .text("Amount"), .text("Paid at (EAT)"), .text("Day"), .text("Note")],
            [
                .text("TKR1ABC001"), .text("Ng'ang'a Wanjikũ"), .money(Money(minorUnits: 123_450)),
                .dateTime(Date(timeIntervalSince1970: 1_795_934_154)),
                .date(try CivilDate(year: 2026, month: 11, day: 29)),
                .text("plain"),
            ],
            [
                .text("Kamau, John"), .text("He said \"hi\""), .money(Money(minorUnits: -5005)), .integer(-7), .empty,
                .text("line1\nline2"),
            ],
            [.text("=SUM(A1)"), .text("+254712345678"), .text("-x"), .text("@x"), .text("\tx"), .text("\rx")],
            [.text("=1,2"), .text(""), .integer(0), .money(.zero), .text("a\r\nb"), .text("-5")],
        ]
    }

    private static let expected =
        "Receipt,Name,Amount,Paid at (EAT),Day,Note\r\n"
        + "TKR1ABC001,Ng'ang'a Wanjikũ,1234.50,2026-11-29T09:35:54+03:00,2026-11-29,plain\r\n"
        + "\"Kamau, John\",\"He said \"\"hi\"\"\",-50.05,-7,,\"line1\nline2\"\r\n"
        + "'=SUM(A1),'+254712345678,'-x,'@x,'\tx,\"'\rx\"\r\n"
        + "\"'=1,2\",,0,0.00,\"a\r\nb\",'-5\r\n"

    private func write(_ rows: [[CSVField]], to path: String, options: CSVOptions = CSVOptions()) throws {
        var writer = try CSVWriter(path: path, options: options)
        for row in rows { try writer.writeRow(row) }
        #expect(writer.rowCount == rows.count)
        try writer.close()
    }

    /// The error `close()` throws, or `nil`; a closure cannot consume a writer, so this takes it.
    private func closeError(_ writer: consuming CSVWriter) -> ReportError? {
        do {
            try writer.close()
            return nil
        } catch {
            return error
        }
    }

    @Test func exactBytes() throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        try write(try Self.rows(), to: folder.path("payments.csv"))
        let bytes = try Data(contentsOf: URL(fileURLWithPath: folder.path("payments.csv")))
        // The text comparison reads well when it fails; the byte comparison is the exact one.
        #expect(String(decoding: bytes, as: UTF8.self) == Self.expected)
        #expect(Array(bytes) == Array(Self.expected.utf8))
    }

    @Test func tinyBufferGivesTheSameBytes() throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        // Fields longer than the buffer and quotes on chunk boundaries.
        let long = String(repeating: "ab\"c,", count: 200)
        let rows = try Self.rows() + [[.text(long), .money(Money(minorUnits: Int64.min))]]
        try write(rows, to: folder.path("big.csv"))
        try write(rows, to: folder.path("small.csv"), options: CSVOptions(bufferCapacity: 64))
        let big = try Data(contentsOf: URL(fileURLWithPath: folder.path("big.csv")))
        let small = try Data(contentsOf: URL(fileURLWithPath: folder.path("small.csv")))
        #expect(big == small)
        #expect(big.count > 1000)
    }

    @Test func byteOrderMarkOption() throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        try write([[.text("ũ")]], to: folder.path("bom.csv"), options: CSVOptions(byteOrderMark: true))
        let bytes = try Data(contentsOf: URL(fileURLWithPath: folder.path("bom.csv")))
        #expect(Array(bytes) == [0xEF, 0xBB, 0xBF] + Array("ũ\r\n".utf8))
    }

    @Test(arguments: [
        Int64.min, Int64.min + 1, -100_001, -100, -99, -10, -1, 0, 1, 5, 10, 99, 100, 101, 123_450, Int64.max,
    ])
    func moneyIsMoneyDecimalString(minorUnits: Int64) throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let money = Money(minorUnits: minorUnits)
        try write([[.money(money), .integer(minorUnits)]], to: folder.path("m.csv"))
        let text = try String(contentsOfFile: folder.path("m.csv"), encoding: .utf8)
        #expect(text == "\(money.decimalString),\(minorUnits)\r\n")
    }

    @Test func fullDiskIsAnErrorNotSilence() throws {
        // /dev/full accepts the open and fails every write with ENOSPC.
        var small = try CSVWriter(path: "/dev/full")
        try small.writeRow([.text("a")])
        let closing = closeError(small)
        let atClose = try #require(closing)
        #expect(atClose.code == .io)
        #expect(atClose.underlyingCode == ENOSPC)
        #expect(atClose.description.contains("No space left on device"))

        var large = try CSVWriter(path: "/dev/full", options: CSVOptions(bufferCapacity: 64))
        let midway = try #require(throws: ReportError.self) {
            for _ in 0..<100 { try large.writeRow([.text("0123456789"), .money(Money(minorUnits: 1))]) }
        }
        #expect(midway.code == .io)
        #expect(large.rowCount < 100)
        #expect(throws: ReportError.self) { try large.writeRow([.empty]) }
        let closingLarge = closeError(large)
        #expect(closingLarge?.code == .io)
    }

    @Test func missingFolderIsAClearError() throws {
        let error = try #require(throws: ReportError.self) {
            _ = try CSVWriter(path: "/nonexistent-recon-folder/report.csv")
        }
        #expect(error.code == .io)
        #expect(error.description.contains("No such file or directory"))
        #expect(error.description.contains("/nonexistent-recon-folder/report.csv"))
    }

    @Test func unwritableDateStopsTheWriter() throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        var writer = try CSVWriter(path: folder.path("d.csv"))
        let error = try #require(throws: ReportError.self) {
            try writer.writeRow([.text("x"), .dateTime(Date(timeIntervalSince1970: .infinity))])
        }
        #expect(error.code == .valueOutOfRange)
        #expect(error.column == 1)
        // A half-written row must not end up in a report that looks complete.
        let closing = closeError(writer)
        #expect(closing?.code == .valueOutOfRange)
    }

    @Test func scopedWriterClosesTheFile() throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let count = try withCSVWriter(at: folder.path("s.csv")) { writer in
            try writer.writeRow([.integer(1), .integer(2)])
            return writer.rowCount
        }
        #expect(count == 1)
        #expect(try String(contentsOfFile: folder.path("s.csv"), encoding: .utf8) == "1,2\r\n")
    }
}
