import DarajaSimulator
import Foundation
import HTTPServerKit
import Logging
import ReconApp
import ReconCore
import ReconHTTP
import ReconPostgres
import ReconServer
import Testing

/// The simulator's statement export (`GET /sim/statement`), read by the product's own parser and import.
@Suite("Simulator statement export: the ledger in both Org Portal layouts, read by our parser")
struct SimulatorStatementTests {
    /// A statement file fetched over loopback, read back line by line.
    static func fetch(
        _ stack: Stack, format: String
    ) async throws -> (path: String, summary: StatementFile.Summary, lines: [StatementLine]) {
        let response = try await stack.http.send(
            .get("\(stack.simulatorServer.baseURL)/sim/statement?format=\(format)"))
        #expect(response.status == 200)
        let path = FileManager.default.temporaryDirectory
            .appendingPathComponent("\(UUID().uuidString)-statement.\(format)").path
        try Data(response.body).write(to: URL(fileURLWithPath: path))
        var lines: [StatementLine] = []
        let summary = try StatementFile.read(path: path) { lines.append($0) }
        return (path, summary, lines)
    }

    static func unnumbered(_ line: StatementLine) -> StatementLine {
        var line = line
        line.row = 0
        return line
    }

    @Test("paid payments, a B2C payout with its charge, the daily sweep; both layouts equal; import ties out")
    func exportAndImport() async throws {
        try await Stack.with { stack in
            await stack.simulator.enqueue([
                StkPlan(outcome: .paid), StkPlan(outcome: .cancelled), StkPlan(outcome: .paid),
            ])
            var started: [StartedPayment] = []
            for _ in 0..<3 { started.append(try await stack.pay()) }
            try await Task.sleep(for: .milliseconds(400))
            await stack.waitForCallbacks()
            try await stack.endpoint.sweep()
            #expect(try await stack.count("SELECT count(*) FROM payments WHERE status = 'completed'") == 2)
            let refund = try await stack.desk.propose(
                paymentID: started[0].id, amount: Money(minorUnits: 100_000), reason: "goodwill",
                by: "alice@example.com")
            _ = try await stack.desk.approve(refund.id, by: "bob@example.com")
            _ = try await stack.dispatcher().run()
            await stack.waitForCallbacks()
            try await stack.endpoint.sweep()
            #expect(try await stack.count("SELECT count(*) FROM refunds WHERE status = 'succeeded'") == 1)

            let csv = try await Self.fetch(stack, format: "csv")
            let xlsx = try await Self.fetch(stack, format: "xlsx")
            defer {
                try? FileManager.default.removeItem(atPath: csv.path)
                try? FileManager.default.removeItem(atPath: xlsx.path)
            }
            #expect(csv.summary.format == .csv && xlsx.summary.format == .xlsx)
            // 2 payments, the payout and its charge, the sweep of the day.
            #expect(csv.lines.map(\.lineClass) == [.payment, .payment, .refund, .charge, .sweep])
            #expect(csv.summary.header.openingBalance == Money(minorUnits: 25_000_000))
            #expect(csv.summary.header.closingBalance == Money(minorUnits: 25_000_000))
            #expect(csv.summary.header.shortCode == "174379")
            #expect(csv.lines[0].party.identifier == "25470****149")
            #expect(csv.lines[0].accountNumber == "COURSE\(started[0].courseID)")
            #expect(csv.lines[3].withdrawn == Money(minorUnits: 2_240))
            #expect(csv.lines[4].withdrawn == Money(minorUnits: 1_000_000 - 100_000 - 2_240))
            let paidIn = csv.lines.reduce(Money.zero) { $0.adding($1.paidIn) ?? $0 }
            let withdrawn = csv.lines.reduce(Money.zero) { $0.adding($1.withdrawn) ?? $0 }
            #expect(StatementImportJob.balanceCheck(csv.summary.header, paidIn: paidIn, withdrawn: withdrawn) == "ok")
            // The workbook holds the same statement (dates as serial numbers, amounts as numbers).
            #expect(xlsx.summary.header == csv.summary.header)
            #expect(xlsx.lines.map(Self.unnumbered) == csv.lines.map(Self.unnumbered))

            var logger = Logger(label: "test")
            logger.logLevel = .critical
            let job = StatementImportJob(pool: stack.pool, logger: logger)
            let first = try await job.run(paths: [csv.path])
            #expect(first.lines == 5 && first.matched == 3 && first.balanceCheck == "ok")
            #expect(first.statementOnly == 0 && first.missingFromStatement == 0 && first.amountMismatches == 0)
            #expect(first.refundMissingFromStatement == 0 && first.customerLinesTieOut)
            #expect(try await stack.count("SELECT count(*) FROM refunds WHERE statement_fee = 22.40") == 1)
            let again = try await job.run(paths: [xlsx.path])
            #expect(again.skippedDuplicates == 5 && again.balanceCheck == "ok")

            let bad = try await stack.http.send(.get("\(stack.simulatorServer.baseURL)/sim/statement?format=pdf"))
            #expect(bad.status == 400)
        }
    }

    @Test("anomalies: an omitted payment, an amended amount, a statement-only credit; the statement still balances")
    func anomalies() async throws {
        try await Stack.with { stack in
            await stack.simulator.enqueue([StkPlan(outcome: .paid), StkPlan(outcome: .paid), StkPlan(outcome: .paid)])
            for _ in 0..<3 { _ = try await stack.pay() }
            try await Task.sleep(for: .milliseconds(400))
            await stack.waitForCallbacks()
            let receipts = await stack.simulator.ledger().stk.compactMap(\.receipt)
            #expect(receipts.count == 3)
            var anomalies = StatementAnomalies()
            anomalies.omittedReceipts = [receipts[0]]
            anomalies.amendedAmounts = [receipts[1]: 4_999]
            anomalies.extraCredits = 1
            await stack.simulator.setStatementAnomalies(anomalies)
            let csv = try await Self.fetch(stack, format: "csv")
            defer { try? FileManager.default.removeItem(atPath: csv.path) }
            #expect(!csv.lines.contains { $0.receipt == receipts[0] })
            #expect(csv.lines.first { $0.receipt == receipts[1] }?.paidIn == Money(minorUnits: 499_900))
            #expect(csv.lines.filter { $0.lineClass == .payment }.count == 3)
            let paidIn = csv.lines.reduce(Money.zero) { $0.adding($1.paidIn) ?? $0 }
            let withdrawn = csv.lines.reduce(Money.zero) { $0.adding($1.withdrawn) ?? $0 }
            #expect(StatementImportJob.balanceCheck(csv.summary.header, paidIn: paidIn, withdrawn: withdrawn) == "ok")
        }
    }
}
