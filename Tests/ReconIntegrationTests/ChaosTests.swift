import DarajaSimulator
import Foundation
import HTTPServerKit
import Logging
import ReconApp
import ReconCore
import ReconDemo
import ReconHTTP
import ReconPostgres
import ReconServer
import ReconTestSupport
import Testing

/// The product's promise: whatever Daraja and the machine do, the database ends equal to what really happened.
/// `RECON_CHAOS_N` sets the size (CI: 120; `make chaos`: 2000).
@Suite("Chaos against the simulator's ledger", .serialized)
struct ChaosTests {
    static var size: Int { ProcessInfo.processInfo.environment["RECON_CHAOS_N"].flatMap(Int.init) ?? 120 }
    // Short, so the test is quick; long enough in total (2 × 142 s before an unanswered payment is handed to a
    // person) for a thousand payments to be asked about under the rate budget while runs are being killed.
    static let schedule = RetrySchedule(delays: [1, 1, 2, 3, 5, 8, 13, 21, 34, 55])

    static var scenario: Scenario {
        var scenario = Scenario()
        scenario.stkOutcomes = [
            .paid: 70, .cancelled: 10, .noResponse: 8, .insufficientFunds: 4, .wrongPin: 4,
            .undocumentedCode: 2,
        ]
        scenario.deliveries = [.once: 55, .lost: 30, .twice: 10, .late: 5]
        scenario.processingMs = 300
        scenario.callbackDelayMs = 100
        scenario.lateDelayMs = 2_500
        return scenario
    }

    static var faults: Faults {
        var faults = Faults()
        faults.serverErrorPercent = 5
        faults.malformedPercent = 5
        faults.slowMs = 5
        faults.rateLimitPerSecond = 30
        return faults
    }

    /// Starts `count` payments through `pay`'s code path, a few at a time, before faults are switched on.
    static func startPayments(_ stack: Stack, count: Int) async throws {
        var started = 0
        while started < count {
            let batch = min(8, count - started)
            try await withThrowingTaskGroup(of: Void.self) { group in
                for _ in 0..<batch { group.addTask { _ = try await stack.pay() } }
                try await group.waitForAll()
            }
            started += batch
        }
    }

    static func pending(_ stack: Stack) async throws -> Int {
        try await stack.count("SELECT count(*) FROM payments WHERE status = 'pending'")
    }

    /// Waits for every callback, applies what is stored, and compares with the ledger.
    static func finish(_ stack: Stack) async throws -> LedgerCheck {
        await stack.waitForCallbacks()
        try await stack.endpoint.sweep()
        let check = try await LedgerCheck.compare(stack.db, ledger: stack.simulator.ledger())
        let faults = await stack.simulator.ledger().faults
        let lost = await stack.simulator.ledger().stk.filter { $0.delivery == .lost }.count
        let doubled = await stack.simulator.ledger().stk.filter { $0.delivery == .twice }.count
        print(
            "chaos: \(check.payments.transactions) payments, \(lost) callbacks lost, \(doubled) doubled; faults injected: "
                + "\(faults.spikeArrest) spike arrests, \(faults.serverErrors) 5xx, \(faults.malformed) malformed, "
                + "\(faults.invalidToken) refused tokens; mismatches found = \(check.mismatches.count), "
                + "receipts pending = \(check.payments.receiptsPending), refunds paid out = \(check.payouts.made), "
                + "refunds paid twice = \(check.payouts.refundsPaidTwice)")
        return check
    }

    /// Moves the jobs' clock to the earliest check any pending payment waits for (the retry schedule's idle stretch
    /// is skipped, not waited out); `false` when a pending payment has no next check, which the schedule never allows.
    static func skipToNextCheck(_ stack: Stack, _ clock: TestClock) async throws -> Bool {
        let row = try await stack.db.query(
            """
            SELECT min(next_check_at) AS next, count(*) FILTER (WHERE next_check_at IS NULL) AS unscheduled
            FROM payments WHERE status = 'pending'
            """
        ).first
        guard let row, try row.decode(Int.self, "unscheduled") == 0 else { return false }
        if let next = try row.decode(Date?.self, "next") { clock.advance(to: next) }
        return true
    }

    @Test("lost, doubled and late callbacks with Daraja faults: repeated settlement ends equal to the ledger")
    func chaos() async throws {
        // The simulator (Daraja) runs on real time; the jobs' clock runs with it, and each round jumps it to the next
        // check due instead of sleeping through the retry schedule.
        let clock = TestClock(.runningWithWallClock)
        try await Stack.with(schedule: Self.schedule, scenario: Self.scenario, clock: clock) { stack in
            try await Self.startPayments(stack, count: Self.size)
            await stack.simulator.setFaults(Self.faults)
            let deadline = ContinuousClock.now + .seconds(300)
            var round = 0
            while try await Self.pending(stack) > 0 && ContinuousClock.now < deadline {
                try #require(try await Self.skipToNextCheck(stack, clock), "a pending payment has no next check")
                // Tokens die under the run's feet every other round.
                if round % 2 == 1 { await stack.simulator.expireTokens() }
                _ = try await stack.settle(SettleOptions(concurrency: 8, ratePerSecond: 50, schedule: Self.schedule))
                round += 1
            }
            try await Self.refundSome(stack, clock)
            await stack.simulator.setFaults(Faults())
            let check = try await Self.finish(stack)
            #expect(check.mismatches == [])
            #expect(
                check.payments.stillPending == 0 && check.payments.matching == check.payments.transactions
                    && check.payments.transactions == Self.size)
            // Every refund ends paid exactly once or refused, as the ledger says.
            let refunds = try await stack.count("SELECT count(*) FROM refunds")
            let succeeded = try await stack.count("SELECT count(*) FROM refunds WHERE status = 'succeeded'")
            let failed = try await stack.count("SELECT count(*) FROM refunds WHERE status = 'failed'")
            #expect(refunds > 0 && succeeded + failed == refunds)
            #expect(check.payouts.made == succeeded && check.payouts.refundsPaidTwice == 0)
            try await Self.closeTheLoop(stack)
        }
    }

    /// Imports the simulator's statement of the run with three deliberate anomalies (a payment left off, an amount
    /// changed, a credit nobody asked for): every receipt gets filled, every line is matched or classified, each
    /// anomaly is exactly one finding, and the period's balance ties out.
    static func closeTheLoop(_ stack: Stack) async throws {
        let pendingBefore = try await stack.count(
            "SELECT count(*) FROM payments WHERE status = 'completed' AND mpesa_receipt IS NULL")
        // Two payments whose callback brought the receipt: one left off the statement, one with another amount.
        let known = try await stack.db.query(
            """
            SELECT id, mpesa_receipt, amount FROM payments WHERE status = 'completed' AND mpesa_receipt IS NOT NULL
            ORDER BY id LIMIT 2
            """
        ).map {
            (
                id: try $0.decode(Int64.self, "id"), receipt: try $0.decode(String.self, "mpesa_receipt"),
                amount: try $0.decode(Money.self, "amount")
            )
        }
        try #require(known.count == 2)
        var anomalies = StatementAnomalies()
        anomalies.omittedReceipts = [known[0].receipt]
        anomalies.amendedAmounts = [known[1].receipt: Int(known[1].amount.wholeShillings) + 7]
        anomalies.extraCredits = 1
        await stack.simulator.setStatementAnomalies(anomalies)
        // The statement of `make chaos`'s 2,000 payments is larger than the client's default 1 MiB answer cap.
        var export = HTTPRequest.get("\(stack.simulatorServer.baseURL)/sim/statement?format=xlsx")
        export.maxResponseBytes = 64 << 20
        let response = try await stack.http.send(export)
        try #require(response.status == 200)
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("\(UUID().uuidString)-chaos.xlsx")
            .path
        try Data(response.body).write(to: URL(fileURLWithPath: path))
        defer { try? FileManager.default.removeItem(atPath: path) }

        var logger = Logger(label: "chaos")
        logger.logLevel = .warning
        let started = ContinuousClock.now
        let summary = try await StatementImportJob(pool: stack.pool, logger: logger).run(paths: [path])
        print(
            "chaos statement: \(summary.lines) lines imported and matched in \(ContinuousClock.now - started); "
                + "\(pendingBefore) receipts pending before, \(summary.receiptsFilled) filled; "
                + "lines by class \(summary.linesByClass.sorted { $0.key < $1.key })")
        #expect(pendingBefore > 0)
        #expect(summary.receiptsFilled == pendingBefore)
        #expect(
            try await stack.count("SELECT count(*) FROM payments WHERE status = 'completed' AND mpesa_receipt IS NULL")
                == 0)
        // Matched or classified: the only customer line nobody claims is the injected credit; every charge belongs to
        // a refund; the rest are sweeps; nothing is "other".
        #expect(
            try await stack.count(
                """
                SELECT count(*) FROM statement_lines WHERE line_class IN ('payment', 'refund', 'charge')
                    AND payment_id IS NULL AND refund_id IS NULL
                """) == 1)
        #expect(try await stack.count("SELECT count(*) FROM statement_lines WHERE receipt = 'UX00000001'") == 1)
        #expect(try await stack.count("SELECT count(*) FROM statement_lines WHERE line_class = 'other'") == 0)
        #expect(try await stack.count("SELECT count(*) FROM statement_lines WHERE line_class = 'sweep'") >= 1)
        #expect(summary.statementOnly == 1 && summary.missingFromStatement == 1 && summary.amountMismatches == 1)
        #expect(summary.refundMissingFromStatement == 0 && summary.ambiguous == 0)
        let open = try await stack.db.query(
            """
            SELECT key FROM reconciliation_exceptions WHERE status = 'open' AND kind IN ('statement_only',
                'missing_from_statement', 'statement_amount_mismatch', 'refund_missing_from_statement',
                'ambiguous_statement_line') ORDER BY key
            """
        ).map { try $0.decode(String.self, "key") }
        #expect(
            open == [
                "missing_from_statement:payment:\(known[0].id)",
                "statement_amount_mismatch:receipt:\(known[1].receipt)",
                "statement_only:receipt:UX00000001",
            ])
        // The balance proof: opening + paid in − withdrawn = closing, and the customer lines tie out with ours.
        #expect(summary.balanceCheck == "ok" && summary.customerLinesTieOut)
    }

    /// Refunds a tenth of the completed payments through the whole workflow while faults stay on: B2C results
    /// lost, queue timeouts, refusals; dispatch repeated until every refund has a verdict.
    static func refundSome(_ stack: Stack, _ clock: TestClock) async throws {
        var plans = Self.scenario
        plans.b2cOutcomes = [.paid: 55, .failed: 10, .timeoutThenPaid: 15, .paidResultLost: 20]
        await stack.simulator.setScenario(plans)
        let payments = try await stack.db.query(
            "SELECT id FROM payments WHERE status = 'completed' ORDER BY id"
        ).map { try $0.decode(Int64.self, "id") }
        for id in payments.enumerated().filter({ $0.offset % 10 == 0 }).map(\.element) {
            let refund = try await stack.desk.propose(
                paymentID: id, amount: Money(minorUnits: 100_000), reason: "chaos refund", by: "alice@example.com")
            _ = try await stack.desk.approve(refund.id, by: "bob@example.com")
        }
        let dispatcher = RefundDispatcher(
            pool: stack.pool, gateway: stack.client,
            options: RefundDispatchOptions(stuckAfterSeconds: 1, recheckAfterSeconds: 1, maxStatusChecks: 60),
            logger: {
                var logger = Logger(label: "chaos")
                logger.logLevel = .warning
                return logger
            }(), clock: clock)
        let deadline = ContinuousClock.now + .seconds(300)
        while ContinuousClock.now < deadline {
            let open = try await stack.count(
                "SELECT count(*) FROM refunds WHERE status IN ('approved', 'sending', 'sent', 'unknown')")
            if open == 0 { break }
            _ = try await dispatcher.run()
            await stack.waitForCallbacks()
            try await stack.endpoint.sweep()
            // Past the 1-second stuck and re-check deadlines, without waiting for them.
            clock.advance(by: .milliseconds(1_100))
        }
    }

    @Test("run killed with SIGKILL at random moments and restarted; two runs at once: one exits 75")
    func killedRuns() async throws {
        var scenario = Self.scenario
        // Most callbacks lost, so the runs (not the callbacks) have the work to do when they are killed.
        scenario.deliveries = [.once: 20, .lost: 70, .twice: 10]
        try await Stack.with(schedule: Self.schedule, scenario: scenario) { stack in
            try await Self.startPayments(stack, count: max(60, Self.size / 2))
            var faults = Self.faults
            faults.slowMs = 30
            faults.rateLimitPerSecond = nil
            await stack.simulator.setFaults(faults)
            let binary = try Subprocess.binary("mpesa-recon")
            var env = Subprocess.environment(stack)
            env["RECON_RETRY_SCHEDULE"] = Self.schedule.description

            var generator = SystemRandomNumberGenerator()
            var kills = 0
            for _ in 0..<4 {
                try await stack.makeDue()
                let after = Int.random(in: 150...700, using: &generator)
                let result = try await Subprocess.run(
                    binary, ["run", "--rate", "15", "--lease", "1"], environment: env, killAfter: .milliseconds(after))
                if result.killed { kills += 1 }
            }
            #expect(kills > 0)

            // Two runs at once: the lock lets one through and sends the other away with 75.
            await stack.simulator.setFaults(Faults())
            try await Self.startPayments(stack, count: 30)
            await stack.simulator.setFaults(faults)
            try await stack.makeDue()
            async let first = Subprocess.run(binary, ["run", "--rate", "10", "--lease", "1"], environment: env)
            try await Task.sleep(for: .milliseconds(400))
            let second = try await Subprocess.run(binary, ["run", "--lease", "1"], environment: env)
            #expect(second.status == 75)
            #expect(Self.ranUnderFaults(try await first))
            let deadline = ContinuousClock.now + .seconds(300)
            while try await Self.pending(stack) > 0 && ContinuousClock.now < deadline {
                // The binary reads the wall clock: the database's schedule is moved instead (what is pending is
                // due now, as if its wait had passed), so each run asks again without sleeping through the wait.
                try await stack.makeDue()
                let result = try await Subprocess.run(
                    binary, ["run", "--rate", "50", "--lease", "1"], environment: env)
                #expect(Self.ranUnderFaults(result), "\(result.stderr)")
            }
            await stack.simulator.setFaults(Faults())
            let check = try await Self.finish(stack)
            #expect(check.mismatches == [])
            #expect(check.payments.stillPending == 0)
        }
    }

    /// Under injected 5xx and malformed answers a run with few due payments may see every STK Query fail: it then
    /// exits 1 naming that (the documented exit codes, ARCHITECTURE.md §9). Any other failure, or another exit code, is
    /// a bug.
    static func ranUnderFaults(_ result: Subprocess.Result) -> Bool {
        if result.status == 0 { return true }
        let problems = result.stderr.split(separator: "\n").filter { $0.hasPrefix("mpesa-recon: ") }
        return result.status == 1 && !problems.isEmpty
            && problems.allSatisfy { $0.hasPrefix("mpesa-recon: settle: Daraja") }
    }
}
