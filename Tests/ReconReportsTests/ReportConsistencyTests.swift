import ReconCore
import Testing

@testable import ReconReports

/// A sheet that disagrees with the Summary of the same snapshot must stop the report before it is published.
@Suite struct ReportConsistencyTests {
    private func summary() -> ReportSummary {
        var summary = ReportSummary()
        summary.expectedRows = [.settled: 2, .exceptions: 1]
        summary.expectedAmounts = [.settled: Money(minorUnits: 1_000)]
        return summary
    }

    @Test func agreeingSheetsPass() throws {
        let amount = Money(minorUnits: 1_000)
        try ReportAssembly.check(.init(rows: 2, amount: amount), against: summary(), sheet: .settled)
        // Exceptions have no amount column; only their count is compared.
        try ReportAssembly.check(.init(rows: 1, amount: nil), against: summary(), sheet: .exceptions)
        try ReportAssembly.check(.init(rows: 0, amount: .zero), against: summary(), sheet: .pending)
    }

    @Test(arguments: [(3, 1_000), (2, 999), (1, 1_000)])
    func disagreeingSheetsStopTheReport(rows: Int, minorUnits: Int64) {
        let error = #expect(throws: ReportError.self) {
            try ReportAssembly.check(
                .init(rows: rows, amount: Money(minorUnits: minorUnits)), against: summary(), sheet: .settled)
        }
        #expect(error?.code == .inconsistent)
        #expect(error?.message.contains("Settled") == true)
    }
}
