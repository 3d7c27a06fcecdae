import Foundation
import ReconDemo
import ReconTestSupport
import Synchronization
import Testing

@Suite("The demo")
struct DemoTests {
    @Test("the demo's day ends equal to the simulator's ledger, refunds paid once, reports written")
    func demo() async throws {
        let name = "recon_demo_\(UUID().uuidString.prefix(8).lowercased())"
        let reports = FileManager.default.temporaryDirectory.appendingPathComponent("demo-reports-\(name)")
        let lines = LineCollector()
        let result = try await DemoRunner.run(
            DemoOptions(
                adminURL: TestDatabase.adminURL, database: name, migrationsDirectory: TestDatabase.migrationsDirectory,
                reportsDirectory: reports.path)
        ) { lines.append($0) }
        try await TestDatabase(settings: TestDatabase.settings(database: name), name: name).drop()
        defer { try? FileManager.default.removeItem(at: reports) }
        #expect(result.check.mismatches.isEmpty)
        #expect(result.check.payments.transactions == 16 && result.check.payments.matching == 16)
        #expect(result.check.payouts.made == 2 && result.check.payouts.refundsPaidTwice == 0)
        #expect(result.reports.contains { $0.hasSuffix(".xlsx") })
        for path in result.reports { #expect(FileManager.default.fileExists(atPath: path)) }
        #expect(lines.all.contains { $0.contains("refunds now 2 succeeded") })
        // The statement closes the loop: lost callbacks get their receipts, the period balances, nothing is off.
        #expect(result.receiptsFilledFromStatement >= 2 && result.receiptsPendingAfterStatement == 0)
        #expect(result.statementBalanceCheck == "ok" && result.statementTiesOut && result.statementFindings == 0)
        #expect(lines.all.contains { $0.contains("balance check ok") })
    }
}

/// Collects the story's lines from any thread.
final class LineCollector: Sendable {
    private let lines = Mutex<[String]>([])

    func append(_ line: String) { lines.withLock { $0.append(line) } }

    var all: [String] { lines.withLock { $0 } }
}
