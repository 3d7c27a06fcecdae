import DarajaSimulator
import Foundation
import Logging
import ReconApp
import ReconCore
import ReconPostgres
import ReconTestSupport
import Testing

@Suite("Settlement against the simulator over HTTP")
struct SettleTests {
    /// Payments started through `pay` whose callbacks are lost, so only STK Query can settle them.
    func lostCallbackPayments(_ stack: Stack, _ outcomes: [StkOutcome]) async throws -> [Int64] {
        await stack.simulator.enqueue(outcomes.map { StkPlan(outcome: $0, delivery: .lost, processingMs: 0) })
        var ids: [Int64] = []
        for _ in outcomes { ids.append(try await stack.pay().id) }
        return ids
    }

    @Test("each outcome reaches the right state through STK Query alone")
    func outcomes() async throws {
        try await Stack.with { stack in
            let outcomes: [StkOutcome] = [
                .paid, .cancelled, .noResponse, .insufficientFunds, .wrongPin, .undocumentedCode,
            ]
            let ids = try await lostCallbackPayments(stack, outcomes)
            try await stack.makeDue()
            let summary = try await stack.settle()
            #expect(summary.claimed == outcomes.count)
            let expected: [PaymentStatus] = [.completed, .failed, .failed, .failed, .failed, .unknown]
            for (id, status) in zip(ids, expected) {
                let payment = try #require(try await stack.payment(id))
                #expect(payment.state.status == status)
                // A verdict uses no check of the schedule and leaves nothing to ask again.
                #expect(payment.state.checkAttempts == 0)
                #expect(payment.state.nextCheckAt == nil)
            }
            let paid = try #require(try await stack.payment(ids[0]))
            #expect(paid.state.receiptPending && paid.state.settledVia == .query)
            #expect(try await stack.count("SELECT count(*) FROM enrollments") == 1)
            #expect(try await stack.payment(ids[1])?.state.resultCode == "1032")
            #expect(summary.completed == 1 && summary.failed == 4 && summary.unknown == 1)
        }
    }

    @Test("a pending payment that never got a CheckoutRequestID becomes unknown for a person, not forgotten")
    func orphan() async throws {
        try await Stack.with { stack in
            let (user, course) = try await stack.seedLearner()
            let id =
                try await stack.db.query(
                    """
                    INSERT INTO payments (user_id, course_id, amount, phone, status, created_at)
                    VALUES (\(user), \(course), 5000, '254708374149', 'pending', now() - interval '11 minutes')
                    RETURNING id
                    """
                ).first?.decode(Int64.self, "id") ?? 0
            let summary = try await stack.settle()
            #expect(summary.orphaned == 1)
            #expect(try await stack.payment(id)?.state.status == .unknown)
            #expect(
                try await stack.count("SELECT count(*) FROM reconciliation_exceptions WHERE kind = 'unresolved'") == 1)
        }
    }

    @Test("a payment that stays in flight walks the whole schedule and ends unknown, never failed")
    func walksSchedule() async throws {
        let schedule = RetrySchedule(delays: [90, 180, 600, 1800])
        try await Stack.with(schedule: schedule) { stack in
            let ids = try await lostCallbackPayments(stack, [.neverResolves])
            var attempts: [Int] = []
            for _ in 0..<schedule.maxAttempts {
                try await stack.makeDue()
                _ = try await stack.settle()
                attempts.append(try await stack.payment(ids[0])?.state.checkAttempts ?? -1)
            }
            #expect(attempts == [1, 2, 3, 4])
            let payment = try #require(try await stack.payment(ids[0]))
            #expect(payment.state.status == .unknown && payment.state.nextCheckAt == nil)
            #expect(
                try await stack.count("SELECT count(*) FROM reconciliation_exceptions WHERE kind = 'unresolved'") == 1)
            // Nothing is due any more.
            #expect(try await stack.settle().claimed == 0)
        }
    }

    @Test("spike arrest slows the run down without using up anyone's checks")
    func spikeArrest() async throws {
        try await Stack.with { stack in
            let ids = try await lostCallbackPayments(stack, Array(repeating: .paid, count: 12))
            var faults = Faults()
            faults.rateLimitPerSecond = 4
            await stack.simulator.setFaults(faults)
            try await Task.sleep(for: .milliseconds(1100))
            var rounds = 0
            var backoffs = 0
            var throttled = 0
            while try await stack.count("SELECT count(*) FROM payments WHERE status = 'pending'") > 0 && rounds < 30 {
                if rounds > 0 { try await Task.sleep(for: .milliseconds(400)) }
                try await stack.makeDue()
                let summary = try await stack.settle(SettleOptions(concurrency: 8, ratePerSecond: 50))
                backoffs += summary.backoffs
                throttled += summary.throttled
                rounds += 1
            }
            #expect(throttled > 0 && backoffs > 0)
            for id in ids {
                let payment = try #require(try await stack.payment(id))
                #expect(payment.state.status == .completed)
                #expect(payment.state.checkAttempts == 0)
            }
            #expect(await stack.simulator.ledger().faults.spikeArrest == throttled)
        }
    }

    @Test("an access token that expires mid-run is renewed once and the run finishes")
    func tokenExpiry() async throws {
        try await Stack.with { stack in
            let ids = try await lostCallbackPayments(stack, Array(repeating: .paid, count: 30))
            try await stack.makeDue()
            let expiry = Task {
                try await Task.sleep(for: .milliseconds(150))
                await stack.simulator.expireTokens()
            }
            let summary = try await stack.settle(SettleOptions(concurrency: 2, ratePerSecond: 60, batchSize: 5))
            try await expiry.value
            #expect(summary.completed == ids.count && summary.transportFailures == 0)
            #expect(await stack.simulator.ledger().tokensIssued == 2)
        }
    }

    @Test("a callback and a query racing for the same payment end in one consistent state")
    func callbackRace() async throws {
        try await Stack.with { stack in
            let ids = try await lostCallbackPayments(stack, Array(repeating: .paid, count: 10))
            let ledger = await stack.simulator.ledger()
            try await stack.makeDue()
            async let settled = stack.settle(SettleOptions(concurrency: 8, ratePerSecond: 200))
            for transaction in ledger.stk {
                _ = try await stack.post(
                    body: Bodies.success(
                        transaction.checkoutRequestID, receipt: transaction.receipt ?? "", amount: "5000.00"))
            }
            _ = try await settled
            for (id, transaction) in zip(ids, ledger.stk) {
                let payment = try #require(try await stack.payment(id))
                #expect(payment.state.status == .completed && payment.state.receipt == transaction.receipt)
                #expect(try await stack.count("SELECT count(*) FROM enrollments WHERE payment_id = \(id)") == 1)
                // One status change, plus at most the receipt filled in later.
                let events = try await stack.count(
                    "SELECT count(*) FROM payment_events WHERE payment_id = \(id) AND source <> 'pay'")
                #expect((1...2).contains(events))
            }
            #expect(try await stack.count("SELECT count(*) FROM reconciliation_exceptions") == 0)
        }
    }

    @Test("two settle workers at once never query the same payment in one round")
    func twoWorkers() async throws {
        try await Stack.with { stack in
            let ids = try await lostCallbackPayments(stack, Array(repeating: .paid, count: 40))
            try await stack.makeDue()
            let other = ConnectionPool(settings: stack.database.settings, maxConnections: 6)
            let options = SettleOptions(concurrency: 4, ratePerSecond: 400, batchSize: 5)
            async let first = stack.settle(options)
            async let second = SettleJob(
                pool: other, client: stack.client, options: options, logger: Logger(label: "t")
            )
            .run()
            let (a, b) = try await (first, second)
            await other.close()
            #expect(a.claimed + b.claimed == ids.count)
            #expect(a.claimed > 0 && b.claimed > 0)
            let queries = await stack.simulator.ledger().stk.map(\.queries)
            #expect(queries == Array(repeating: 1, count: ids.count))
        }
    }
}
