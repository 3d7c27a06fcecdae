import Foundation
import ReconCore
import ReconPostgres
import ReconTestSupport
import Synchronization
import Testing

@testable import ReconReports

/// Golden files of the report's CSVs; `RECON_UPDATE_GOLDEN=1 swift test --filter ReportJobTests` rewrites them.
enum Golden {
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Golden")

    static var updating: Bool { ProcessInfo.processInfo.environment["RECON_UPDATE_GOLDEN"] == "1" }

    /// Compares `path`'s bytes with the golden file `name`, or rewrites the golden file when updating.
    static func check(_ path: String, against name: String) throws {
        let actual = try Data(contentsOf: URL(fileURLWithPath: path))
        let golden = directory.appendingPathComponent(name)
        if updating {
            try actual.write(to: golden)
            return
        }
        let expected = try Data(contentsOf: golden)
        // The text comparison reads well when it fails; the byte comparison is the exact one.
        #expect(
            String(decoding: actual, as: UTF8.self) == String(decoding: expected, as: UTF8.self),
            "\(name) differs from its golden file (RECON_UPDATE_GOLDEN=1 rewrites it after a deliberate change)")
        #expect(actual == expected)
    }
}

/// The report job against a real PostgreSQL seeded with `ReportFixture`.
@Suite struct ReportJobTests {
    /// Every payer's number as stored, and as it hides inside a production CheckoutRequestID (without `254`).
    private static let fullNumbers = [
        "254712345678", "0722000111", "254733444555", "254711222333", "712345678",
    ]

    private func options(
        _ folder: TemporaryDirectory, _ formats: Set<ReportFormat> = [.csv], masked: Bool = true,
        out: String = "out"
    ) throws -> ReportOptions {
        ReportOptions(
            period: try ReportFixture.period(), formats: formats, outputDirectory: folder.path(out),
            maskPhoneNumbers: masked, asOf: ReportFixture.asOf, temporaryDirectory: folder.url.path)
    }

    private func contents(_ path: String) throws -> String {
        String(decoding: try Data(contentsOf: URL(fileURLWithPath: path)), as: UTF8.self)
    }

    @Test("the Summary on a second connection, in the exported snapshot, gives the very same files")
    func summaryOnASecondConnection() async throws {
        try await TestDatabase.with { database, db in
            try await ReportFixture.seed(db)
            let folder = try TemporaryDirectory()
            defer { folder.remove() }
            let second = try await PostgresConnection.connect(database.settings)
            let together: ReportOutcome
            do {
                together = try await ReportJob.write(
                    try options(folder, [.csv, .xlsx], out: "two"), on: db, summaryConnection: second)
                // The second connection is idle again: a transaction of its own can begin at once.
                let one = try await second.withTransaction { db in
                    try db.query("SELECT 1 AS one").first?.decode(Int64.self, "one")
                }
                #expect(one == 1)
                await second.close()
            } catch {
                await second.close()
                throw error
            }
            let alone = try await ReportJob.write(try options(folder, [.csv, .xlsx], out: "one"), on: db)
            #expect(together.rows.map(\.count) == alone.rows.map(\.count))
            #expect(together.rows.map(\.sheet) == ReportSheet.allCases)
            #expect(together.settled == alone.settled && together.net == alone.net)
            for sheet in ReportSheet.allCases {
                try Golden.check(
                    folder.path("two/2026-11-28_2026-11-29/\(sheet.csvFileName)"), against: sheet.csvFileName)
            }
            let workbook = "2026-11-28_2026-11-29/mpesa-recon-2026-11-28_2026-11-29.xlsx"
            let facts = try WorkbookFacts.read(folder.path("two/\(workbook)"))
            #expect(
                facts.sheets.map(\.name) == ["Summary", "Settled", "Exceptions", "Refunds", "Pending", "Statement"])
            #expect(facts.sheets == (try WorkbookFacts.read(folder.path("one/\(workbook)"))).sheets)
        }
    }

    @Test("a second connection that cannot read the snapshot fails the report and publishes nothing")
    func summaryConnectionFailure() async throws {
        try await TestDatabase.with { database, db in
            try await ReportFixture.seed(db)
            let folder = try TemporaryDirectory()
            defer { folder.remove() }
            let second = try await PostgresConnection.connect(database.settings)
            await second.close()  // closed: its transaction cannot begin
            await #expect(throws: (any Error).self) {
                _ = try await ReportJob.write(
                    try options(folder, [.csv, .xlsx], out: "x"), on: db, summaryConnection: second)
            }
            let written = (try? FileManager.default.contentsOfDirectory(atPath: folder.path("x/2026-11-28_2026-11-29")))
            #expect(written ?? [] == [])
        }
    }

    @Test func csvFilesMatchTheGoldenFiles() async throws {
        try await TestDatabase.with { _, db in
            try await ReportFixture.seed(db)
            let folder = try TemporaryDirectory()
            defer { folder.remove() }
            let seen = Mutex<[ReportProgress]>([])
            let outcome = try await ReportJob.write(try options(folder), on: db) { progress in
                seen.withLock { $0.append(progress) }
            }

            let directory = folder.path("out/2026-11-28_2026-11-29")
            #expect(outcome.directory == directory)
            #expect(outcome.files.map(\.path) == ReportSheet.allCases.map { "\(directory)/\($0.rawValue).csv" })
            #expect(outcome.files.allSatisfy { $0.format == .csv })
            for sheet in ReportSheet.allCases {
                try Golden.check("\(directory)/\(sheet.csvFileName)", against: sheet.csvFileName)
            }
            let rows = outcome.rows.map { "\($0.sheet.rawValue)=\($0.count)" }
            #expect(
                rows == ["summary=63", "settled=6", "exceptions=5", "refunds=5", "pending=2", "statement=9"])
            #expect(outcome.settled == ReportTotal(count: 6, amount: try Money.parse(ReportFixture.settledAmount)))
            #expect(outcome.refunded == ReportTotal(count: 1, amount: try Money.parse(ReportFixture.refundedAmount)))
            #expect(outcome.net == (try Money.parse(ReportFixture.netAmount)))
            // Only the finished files remain: no temporary file is left behind.
            let names = try FileManager.default.contentsOfDirectory(atPath: directory).sorted()
            #expect(names == ReportSheet.allCases.map(\.csvFileName).sorted())
            // Each streamed sheet ends with a progress call saying it is complete.
            let finals = seen.withLock { $0 }.filter { $0.rowsWritten == $0.rowsTotal }.map(\.sheet)
            #expect(finals == [.settled, .exceptions, .refunds, .pending, .statement])
        }
    }

    @Test func sameDataGivesTheSameBytesWhateverTheRowsPhysicalOrder() async throws {
        try await TestDatabase.with { _, db in
            try await ReportFixture.seed(db)
            let folder = try TemporaryDirectory()
            defer { folder.remove() }
            _ = try await ReportJob.write(try options(folder, out: "first"), on: db)
            // Rewriting every row moves it to the end of its table without changing a value.
            try await db.executeScript(
                unsafeSQL: """
                    UPDATE payments SET phone = phone WHERE id % 2 = 1;
                    UPDATE reconciliation_exceptions SET detail = detail WHERE id % 2 = 0;
                    UPDATE refunds SET reason = reason WHERE id % 2 = 1;
                    UPDATE courses SET title = title WHERE id = 1;
                    UPDATE statement_lines SET details = details WHERE id % 2 = 1;
                    """)
            _ = try await ReportJob.write(try options(folder, out: "second"), on: db)
            for sheet in ReportSheet.allCases {
                let first = try contents(folder.path("first/2026-11-28_2026-11-29/\(sheet.csvFileName)"))
                let second = try contents(folder.path("second/2026-11-28_2026-11-29/\(sheet.csvFileName)"))
                #expect(first == second, "\(sheet.csvFileName) changed with the physical row order")
            }
        }
    }

    @Test func phoneNumbersAreMaskedUnlessAskedOtherwise() async throws {
        try await TestDatabase.with { _, db in
            try await ReportFixture.seed(db)
            let folder = try TemporaryDirectory()
            defer { folder.remove() }
            let masked = try await ReportJob.write(try options(folder, [.csv, .xlsx], out: "masked"), on: db)
            for file in masked.files where file.format == .csv {
                let text = try contents(file.path)
                for number in Self.fullNumbers { #expect(!text.contains(number), "\(file.path) shows a number") }
            }
            let workbook = try #require(masked.files.first { $0.format == .xlsx })
            let cells = try WorkbookFacts.read(workbook.path).sheets.flatMap { $0.cells.values.compactMap(\.value) }
            #expect(cells.contains("2547****5678"))
            for number in Self.fullNumbers { #expect(!cells.contains { $0.contains(number) }) }

            let unmasked = try await ReportJob.write(
                try options(folder, [.csv], masked: false, out: "unmasked"), on: db)
            let directory = unmasked.directory
            let settled = try contents("\(directory)/settled.csv")
            #expect(settled.contains(",254712345678,") && settled.contains(",0722000111,"))
            #expect(try contents("\(directory)/pending.csv").contains("No response from 254712345678"))
            #expect(try contents("\(directory)/summary.csv").contains("NOT masked"))
            // Masked and unmasked reports of one period never share a folder.
            #expect(directory == folder.path("unmasked/unmasked/2026-11-28_2026-11-29"))
            #expect(masked.directory == folder.path("masked/2026-11-28_2026-11-29"))
        }
    }

    @Test func reportFilesAreForTheirOwnerOnly() async throws {
        try await TestDatabase.with { _, db in
            try await ReportFixture.seed(db)
            let folder = try TemporaryDirectory()
            defer { folder.remove() }
            // A folder left world-readable by an earlier version is tightened too.
            try FileManager.default.createDirectory(
                atPath: folder.path("reports/unmasked"), withIntermediateDirectories: true,
                attributes: [.posixPermissions: 0o755])
            let masked = try await ReportJob.write(try options(folder, [.csv, .xlsx], out: "reports"), on: db)
            let unmasked = try await ReportJob.write(
                try options(folder, [.csv, .xlsx], masked: false, out: "reports"), on: db)
            func mode(_ path: String) throws -> Int {
                let attributes = try FileManager.default.attributesOfItem(atPath: path)
                return (attributes[.posixPermissions] as? NSNumber)?.intValue ?? -1
            }
            for outcome in [masked, unmasked] {
                #expect(try mode(outcome.directory) == 0o700, "\(outcome.directory)")
                for file in outcome.files { #expect(try mode(file.path) == 0o600, "\(file.path)") }
            }
            #expect(try mode(folder.path("reports/unmasked")) == 0o700)
            #expect(try mode(folder.path("reports")) == 0o700)
        }
    }

    @Test func aFailedRunPublishesNothingAndKeepsTheEarlierReport() async throws {
        try await TestDatabase.with { _, db in
            try await ReportFixture.seed(db)
            let folder = try TemporaryDirectory()
            defer { folder.remove() }
            let earlier = try await ReportJob.write(try options(folder, [.csv, .xlsx]), on: db)
            let before = try earlier.files.map { try Data(contentsOf: URL(fileURLWithPath: $0.path)) }

            // A time no report can show, on a row of the third sheet: the run fails after the Summary and
            // Settled files have been written under their temporary names.
            try await db.query("UPDATE payments SET paid_amount = paid_amount + 1 WHERE id = 1")
            try await db.query("UPDATE reconciliation_exceptions SET first_seen = '-infinity' WHERE id = 4")
            let error = await #expect(throws: PostgresError.self) {
                _ = try await ReportJob.write(try options(folder, [.csv, .xlsx]), on: db)
            }
            #expect(error?.code == .decoding)

            let after = try earlier.files.map { try Data(contentsOf: URL(fileURLWithPath: $0.path)) }
            #expect(after == before)
            let names = try FileManager.default.contentsOfDirectory(atPath: earlier.directory)
            #expect(!names.contains { $0.hasSuffix(".partial") }, "temporary files left: \(names)")
            #expect(names.count == earlier.files.count)
            // The connection is usable afterwards: the transaction was rolled back.
            #expect(try await db.query("SELECT 1 AS one").first?.decode(Int.self, "one") == 1)
        }
    }

    @Test func anEmptyPeriodWritesHeadersAndZeroTotals() async throws {
        try await TestDatabase.with { _, db in
            try await ReportFixture.seed(db)
            let folder = try TemporaryDirectory()
            defer { folder.remove() }
            let day = try CivilDate(parsing: "2020-01-01")
            var options = try options(folder, [.csv, .xlsx])
            options.period = try ReportPeriod(first: day, last: day)
            let outcome = try await ReportJob.write(options, on: db)
            #expect(outcome.settled == .zero && outcome.net == .zero)
            let settled = try contents("\(outcome.directory)/settled.csv")
            // A BOM first, so Excel on Windows reads UTF-8; then the header and no rows.
            #expect(settled.hasPrefix("\u{FEFF}receipt,paid_at_eat,") && settled.split(separator: "\r\n").count == 1)
            let summary = try contents("\(outcome.directory)/summary.csv")
            #expect(summary.contains("Collected by day (EAT),2020-01-01,0,0.00\r\n"))

            let workbook = try #require(outcome.files.first { $0.format == .xlsx })
            let sheet = try WorkbookFacts.read(workbook.path).sheet("Settled")
            #expect(sheet.autoFilter == "A1:N1")
            #expect(sheet.cells["A2"]?.value == "Total")
            #expect(sheet.cells["H2"]?.value == "0" && sheet.cells["H2"]?.numberFormat == "#,##0.00")
        }
    }
}
