import Daraja
import Foundation
import Logging
import ReconCore
import ReconPostgres
import ReconTestSupport
import Synchronization
import Testing

@testable import ReconApp

/// Daraja as a script: every push accepted, every query and send answered the same way, and the jobs' time of each
/// question written down. The jobs' own timing is under test here, so no simulator (and no server) is started.
final class ScriptedDaraja: StkPushing, StkQuerying, RefundGateway {
    let clock: any ReconClock
    let query: StkAnswer
    let send: B2CSendVerdict
    /// When each STK Query and Transaction Status was asked, on the jobs' clock.
    let asked = Mutex<[Date]>([])

    init(
        clock: any ReconClock, query: StkAnswer = .inFlight(code: "4999"),
        send: B2CSendVerdict = .uncertain("no answer")
    ) {
        self.clock = clock
        self.query = query
        self.send = send
    }

    func stkPush(phone: MSISDN, amount: Money, accountReference: String, description: String) async -> StkPushOutcome {
        .accepted(checkoutRequestID: "ws_CO_\(UUID().uuidString)", merchantRequestID: nil)
    }

    func stkQuery(checkoutRequestID: String) async -> StkAnswer {
        asked.withLock { $0.append(clock.now) }
        return query
    }

    func b2cPayment(
        originatorConversationID: String, amount: Money, phone: MSISDN, remarks: String, occasion: String?
    ) async -> B2CSendVerdict {
        send
    }

    func transactionStatus(_ target: TransactionStatusRequest.Target, remarks: String) async -> StatusQueryOutcome {
        asked.withLock { $0.append(clock.now) }
        return .accepted(originatorConversationID: nil, conversationID: "AG_\(UUID().uuidString)")
    }
}

/// When a limiter let each start through, in milliseconds after the clock's first reading.
final class Starts: Sendable {
    let clock: TestClock
    let origin: Date
    let times = Mutex<[Double]>([])

    init(clock: TestClock) {
        self.clock = clock
        origin = clock.now
    }

    var count: Int { times.withLock { $0.count } }

    func record() {
        let at = clock.now.timeIntervalSince(origin) * 1000
        times.withLock { $0.append(at) }
    }

    func until(_ count: Int) async throws {
        while self.count < count { try await Task.sleep(for: .milliseconds(1)) }
    }

    /// Whether the starts are these, within 5 ms (the limiter rounds its waits up to the millisecond, and each move
    /// of the test goes 1 ms past the slot).
    func near(_ expected: [Double]) -> Bool {
        let got = times.withLock { $0 }.sorted()
        return got.count == expected.count && zip(got, expected).allSatisfy { abs($0 - $1) <= 5 }
    }
}

@Suite("The jobs' clock: schedules, deadlines and the rate budget pass when the test moves time")
struct JobClockTests {
    static var logger: Logger {
        var logger = Logger(label: "t")
        logger.logLevel = .critical
        return logger
    }

    @Test("settle asks exactly when the schedule says on the jobs' clock, never before, then hands the payment over")
    func scheduleOnTheClock() async throws {
        let clock = TestClock()
        let schedule = RetrySchedule(delays: [90, 180, 600, 1800])
        try await DatabaseStack.with(schedule: schedule, clock: clock) { stack in
            let daraja = ScriptedDaraja(clock: clock)
            let (user, course) = try await stack.seedLearner()
            let pushed = clock.now
            let started = try await PaymentInitiator(
                pool: stack.pool, client: daraja, schedule: schedule, logger: Self.logger, clock: clock
            ).start(userID: user, courseID: course, phone: try MSISDN(parsing: "0708374149"), amount: nil)
            #expect(started.nextCheckAt == pushed.addingTimeInterval(90))
            let settle = SettleJob(
                pool: stack.pool, client: daraja, options: SettleOptions(schedule: schedule), logger: Self.logger,
                clock: clock)
            var claimed: [Int] = []
            for delay in schedule.delays {
                clock.advance(by: .seconds(delay - 1))
                claimed.append(try await settle.run().claimed)
                clock.advance(by: .seconds(1))
                claimed.append(try await settle.run().claimed)
            }
            #expect(claimed == [0, 1, 0, 1, 0, 1, 0, 1])
            var elapsed = 0
            let expected = schedule.delays.map { delay in
                elapsed += delay
                return pushed.addingTimeInterval(TimeInterval(elapsed))
            }
            #expect(daraja.asked.withLock { $0 } == expected)
            let payment = try #require(try await stack.payment(started.id))
            #expect(payment.state.status == .unknown && payment.state.nextCheckAt == nil)
            clock.advance(by: .seconds(86_400))
            #expect(try await settle.run().claimed == 0)
        }
    }

    @Test("the rate budget spaces starts on the jobs' clock, and spike arrest pauses it and halves the rate")
    func rateBudgetOnTheClock() async throws {
        let clock = TestClock()
        let limiter = RateLimiter(perSecond: 10, clock: clock)
        let starts = Starts(clock: clock)
        @Sendable func start() async {
            await limiter.acquire()
            starts.record()
        }
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<3 { group.addTask { await start() } }
            // One start at once; the other two wait for their slots, 100 ms apart, until the test moves the clock.
            try await clock.untilSleeping(2)
            #expect(starts.near([0]))
            clock.advance(by: .milliseconds(101))
            try await starts.until(2)
            clock.advance(by: .milliseconds(101))
            try await starts.until(3)
            try await group.waitForAll()
        }
        #expect(starts.near([0, 100, 200]))

        // Throttled: nothing starts for a second, then one start every 200 ms (the rate halved) for a while.
        await limiter.throttled()
        let later = Task {
            await start()
            await start()
        }
        try await clock.untilSleeping(1)
        clock.advance(by: .milliseconds(998))
        #expect(clock.sleeping == 1 && starts.count == 3, "started before the pause ended")
        clock.advance(by: .milliseconds(3))
        try await starts.until(4)
        try await clock.untilSleeping(1)
        clock.advance(by: .milliseconds(201))
        await later.value
        #expect(starts.near([0, 100, 200, 1_200, 1_400]))
        #expect(await limiter.backoffs == 1)
    }

    @Test("a refund with no verdict is asked about on the jobs' clock: once stuck, at each re-check, then a person")
    func refundChecksOnTheClock() async throws {
        let clock = TestClock()
        try await DatabaseStack.with(clock: clock) { stack in
            let gateway = ScriptedDaraja(clock: clock)
            let id = try await stack.approvedRefund()
            let dispatcher = RefundDispatcher(
                pool: stack.pool, gateway: gateway,
                options: RefundDispatchOptions(stuckAfterSeconds: 900, recheckAfterSeconds: 600, maxStatusChecks: 2),
                logger: Self.logger, clock: clock)
            let sent = try await dispatcher.run()
            #expect(sent.claimed == 1 && sent.uncertain == 1 && sent.statusChecks == 0)
            var checks: [Int] = []
            for wait in [899, 1, 599, 1, 599] {
                clock.advance(by: .seconds(wait))
                checks.append(try await dispatcher.run().statusChecks)
            }
            #expect(checks == [0, 1, 0, 1, 0])
            clock.advance(by: .seconds(1))
            #expect(try await dispatcher.run().handedToPerson == 1)
            #expect(try await stack.refund(id)?.state.status == .unknown)
            #expect(gateway.asked.withLock { $0.count } == 2)
        }
    }
}
