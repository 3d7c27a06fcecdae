import Foundation
import ReconCore
import ReconPostgres
import ReconReports
import ReconTestSupport
import Testing

/// The report workbook read back by openpyxl, an independent reader, with totals checked against SQL.
@Suite struct ReportWorkbookTests {
    private static let start = "'2026-11-27 21:00:00+00'"
    private static let end = "'2026-11-29 21:00:00+00'"

    /// Sums computed here in plain SQL, independently of the report's own queries.
    private static let sums = """
        SELECT
          (SELECT sum(coalesce(paid_amount, amount)) FROM payments WHERE status = 'completed'
             AND coalesce(paid_at, updated_at) >= \(start) AND coalesce(paid_at, updated_at) < \(end)) AS settled,
          (SELECT sum(amount) FROM refunds WHERE status = 'succeeded'
             AND completed_at >= \(start) AND completed_at < \(end)) AS refunded,
          (SELECT sum(amount) FROM refunds WHERE proposed_at < \(end)
             AND NOT (status IN ('rejected', 'succeeded', 'failed')
                      AND coalesce(CASE status WHEN 'rejected' THEN rejected_at ELSE completed_at END, updated_at)
                          < \(start))) AS register,
          (SELECT sum(expected_amount) FROM reconciliation_exceptions
             WHERE first_seen < \(end) AND (resolved_at IS NULL OR resolved_at >= \(start))) AS expected,
          (SELECT sum(received_amount) FROM reconciliation_exceptions
             WHERE first_seen < \(end) AND (resolved_at IS NULL OR resolved_at >= \(start))) AS received,
          (SELECT sum(received_amount - expected_amount) FROM reconciliation_exceptions
             WHERE first_seen < \(end) AND (resolved_at IS NULL OR resolved_at >= \(start))) AS difference,
          (SELECT sum(amount) FROM payments WHERE status IN ('pending', 'unknown') AND created_at < \(end)) AS pending
        """

    /// A number as openpyxl printed it, read exactly; fails on anything but an amount with at most two decimals.
    private func money(_ text: String?) throws -> Money {
        try Money.parse(try #require(text))
    }

    @Test func openpyxlSeesSheetsTypesFormatsFiltersAndTotalsEqualToSQL() async throws {
        try await TestDatabase.with { _, db in
            try await ReportFixture.seed(db)
            let folder = try TemporaryDirectory()
            defer { folder.remove() }
            let outcome = try await ReportJob.write(
                ReportOptions(
                    period: try ReportFixture.period(), formats: [.xlsx], outputDirectory: folder.path("out"),
                    asOf: ReportFixture.asOf, temporaryDirectory: folder.url.path),
                on: db)
            #expect(outcome.files.count == 1)
            let file = try #require(outcome.files.first)
            #expect(file.format == .xlsx && file.sheet == nil)
            #expect(file.path == folder.path("out/2026-11-28_2026-11-29/mpesa-recon-2026-11-28_2026-11-29.xlsx"))

            let sql = try #require(try await db.query(SQLQuery(unsafeSQL: Self.sums)).first)
            func sum(_ column: String) throws -> Money { try sql.decode(Money.self, column) }

            let facts = try WorkbookFacts.read(file.path)
            #expect(
                facts.sheets.map(\.name) == ["Summary", "Settled", "Exceptions", "Refunds", "Pending", "Statement"])
            #expect(facts.properties["title"] == "M-Pesa report 2026-11-28 to 2026-11-29")
            #expect(facts.properties["creator"] == "mpesa-recon")
            #expect(facts.properties["description"]??.contains("East Africa Time (UTC+3)") == true)

            // Every sheet: a bold text header, frozen below it, a filter over header and data (the Summary, a
            // statement with headings, has none); it prints landscape, one page wide, the header row repeated.
            let filters = [nil, "A1:N7", "A1:Q6", "A1:X6", "A1:M3"]
            for (sheet, filter) in zip(facts.sheets, filters) {
                #expect(sheet.freezePanes == "A2", "\(sheet.name)")
                #expect(sheet.autoFilter == filter, "\(sheet.name)")
                let header = try #require(sheet.cells["A1"])
                #expect(header.bold && header.dataType == "s", "\(sheet.name)")
                #expect(!sheet.widths.isEmpty, "\(sheet.name)")
                #expect(sheet.orientation == "landscape" && sheet.fitToPage, "\(sheet.name)")
                #expect(sheet.fitToWidth == 1 && sheet.fitToHeight == 0, "\(sheet.name)")
                #expect(sheet.printTitleRows == "$1:$1", "\(sheet.name)")
                #expect(sheet.header?.contains(sheet.name) == true && sheet.footer?.contains("&P of &N") == true)
            }

            let settled = try facts.sheet("Settled")
            #expect(settled.cells["H1"]?.value == "Amount (KES)" && settled.cells["B1"]?.value == "Paid at (EAT)")
            for row in 2...7 {
                let paidAt = try #require(settled.cells["B\(row)"])
                #expect(paidAt.dataType == "d" && paidAt.pythonType == "datetime")
                #expect(paidAt.numberFormat == "yyyy-mm-dd hh:mm:ss")
                let amount = try #require(settled.cells["H\(row)"])
                #expect(amount.dataType == "n" && amount.numberFormat == "#,##0.00")
                let payment = try #require(settled.cells["C\(row)"])
                #expect(payment.pythonType == "int" && payment.numberFormat == "0")
                #expect(settled.cells["A\(row)"]?.dataType == "s")
            }
            // East Africa wall-clock time: paid at 2026-11-27T21:00:00Z.
            #expect(settled.cells["B2"]?.value == "2026-11-28T00:00:00")
            #expect(settled.cells["A6"]?.value == "pending")
            // Text that looks like a formula stays text.
            #expect(
                settled.cells["E2"]?.dataType == "s"
                    && settled.cells["E2"]?.value == "=HYPERLINK(\"http://evil.example\")")

            let settledTotal = try #require(settled.cells["H8"])
            #expect(settledTotal.dataType == "f" && settledTotal.value == "=SUBTOTAL(9,H2:H7)" && settledTotal.bold)
            #expect(try money(settledTotal.cached) == (try sum("settled")))
            #expect(settled.cells["A8"]?.value == "Total")

            let exceptions = try facts.sheet("Exceptions")
            #expect(exceptions.cells["M7"]?.value == "=SUBTOTAL(9,M2:M6)")
            #expect(try money(exceptions.cells["M7"]?.cached) == (try sum("expected")))
            #expect(try money(exceptions.cells["N7"]?.cached) == (try sum("received")))
            #expect(try money(exceptions.cells["O7"]?.cached) == (try sum("difference")))
            #expect(exceptions.cells["F2"]?.pythonType == "int")

            let refunds = try facts.sheet("Refunds")
            #expect(refunds.cells["G7"]?.value == "=SUBTOTAL(9,G2:G6)")
            #expect(try money(refunds.cells["G7"]?.cached) == (try sum("register")))
            #expect(refunds.cells["K2"]?.pythonType == "datetime")

            let pending = try facts.sheet("Pending")
            #expect(pending.cells["I4"]?.value == "=SUBTOTAL(9,I2:I3)")
            #expect(try money(pending.cells["I4"]?.cached) == (try sum("pending")))

            let summary = try facts.sheet("Summary")
            func row(_ label: String) throws -> Int {
                let cell = try #require(summary.cells.first { $0.value.value?.hasPrefix("  " + label) == true })
                return try #require(Int(cell.key.drop { $0.isLetter }))
            }
            let collected = try row("collected:")
            let refunded = try row("refunded:")
            let netRow = try row("net = collected - refunded")
            #expect(refunded == collected + 1 && netRow == collected + 2)
            #expect(try money(summary.cells["C\(collected)"]?.value) == (try sum("settled")))
            #expect(try money(summary.cells["C\(refunded)"]?.value) == (try sum("refunded")))
            let net = try #require(summary.cells["C\(netRow)"])
            #expect(net.dataType == "f" && net.value == "=C\(collected)-C\(refunded)" && net.bold)
            let expectedNet = try #require(try sum("settled").subtracting(try sum("refunded")))
            #expect(try money(net.cached) == expectedNet)
            #expect(summary.cells["B\(collected)"]?.pythonType == "int" && summary.cells["B\(collected)"]?.value == "6")
            // Sections are bold headings; failed payments are never added into a money total.
            #expect(summary.cells.values.contains { $0.value == "Money in the period" && $0.bold })
            let started = try row("payments started")
            #expect(summary.cells["C\(started)"]?.value == nil)
            // The per-day lines carry real dates.
            let day = try #require(summary.cells.values.first { $0.value == "2026-11-29T00:00:00" })
            #expect(day.pythonType == "datetime" && day.numberFormat == "yyyy-mm-dd")
        }
    }
}
