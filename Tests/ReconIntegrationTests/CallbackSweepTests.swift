import Foundation
import ReconApp
import ReconCore
import ReconPostgres
import ReconTestSupport
import Testing

@Suite("Callback sweep: bounded batches, a back-off per unmatched callback")
struct CallbackSweepTests {
    /// `count` stored STK successes that no payment claims, marked unmatched as the endpoint leaves them.
    static func seedUnmatched(_ stack: some DatabaseFixture, count: Int, prefix: String) async throws {
        for index in 0..<count {
            let body = Array(Bodies.success("\(prefix)\(index)", receipt: "RUNM\(index)").utf8)
            let headers = JSONText.object([:])
            _ = try await stack.db.run { db throws(PostgresError) in
                let id = try InboxStore.store(
                    db, kind: .stk, receivedAt: Date(), remoteAddress: nil, headersJSON: headers, body: body)
                try InboxStore.markProcessed(
                    db, id: id, outcome: .unmatched, reference: "\(prefix)\(index)", now: Date())
            }
        }
    }

    static func attempts(_ stack: some DatabaseFixture) async throws -> [Int: Int] {
        var histogram: [Int: Int] = [:]
        for row in try await stack.db.query(
            "SELECT sweep_attempts AS a, count(*) AS n FROM callback_inbox GROUP BY sweep_attempts")
        {
            histogram[try row.decode(Int.self, "a")] = try row.decode(Int.self, "n")
        }
        return histogram
    }

    @Test("each pass retries at most the batch size, oldest due first; a retried one waits out its back-off")
    func boundedAndBackedOff() async throws {
        try await DatabaseStack.with { stack in
            try await Self.seedUnmatched(stack, count: 25, prefix: "ws_CO_nobody")
            let policy = InboxSweepPolicy(batchSize: 10, firstDelaySeconds: 5, maxDelaySeconds: 3600)
            let start = Date()
            _ = try await CallbackProcessor.sweep(stack.db, now: start, schedule: .standard, policy: policy)
            #expect(try await Self.attempts(stack) == [0: 15, 1: 10])
            _ = try await CallbackProcessor.sweep(stack.db, now: start, schedule: .standard, policy: policy)
            _ = try await CallbackProcessor.sweep(stack.db, now: start, schedule: .standard, policy: policy)
            #expect(try await Self.attempts(stack) == [1: 25])
            // Nothing is due before its back-off (5 s after its retry): a pass at once touches nothing.
            _ = try await CallbackProcessor.sweep(
                stack.db, now: start.addingTimeInterval(4), schedule: .standard, policy: policy)
            #expect(try await Self.attempts(stack) == [1: 25])
            // Once due, the oldest-due ten go first, and their next delay doubles.
            let later = start.addingTimeInterval(6)
            _ = try await CallbackProcessor.sweep(stack.db, now: later, schedule: .standard, policy: policy)
            #expect(try await Self.attempts(stack) == [1: 15, 2: 10])
            let retried = try await stack.db.query(
                """
                SELECT min(id) AS lo, max(id) AS hi, min(next_sweep_at) AS next FROM callback_inbox
                WHERE sweep_attempts = 2
                """
            ).first
            let first = try await stack.db.query("SELECT min(id) AS lo FROM callback_inbox").first?.decode(
                Int64.self, "lo")
            #expect(try retried?.decode(Int64.self, "lo") == first)
            #expect(try retried?.decode(Int64.self, "hi") == first.map { $0 + 9 })
            let next = try #require(try retried?.decode(Date.self, "next"))
            #expect(abs(next.timeIntervalSince(later) - 10) < 1)
        }
    }

    @Test("the back-off doubles from the sweep interval and stops at the cap")
    func delays() {
        let policy = InboxSweepPolicy(batchSize: 10, firstDelaySeconds: 5, maxDelaySeconds: 3600)
        #expect(
            (1...12).map { policy.delaySeconds(afterAttempts: $0) } == [
                5, 10, 20, 40, 80, 160, 320, 640, 1280, 2560, 3600, 3600,
            ])
        #expect(policy.delaySeconds(afterAttempts: 10_000) == 3600)
    }

    @Test("a backed-off callback whose payment appears is applied once its retry is due")
    func appliedWhenDue() async throws {
        try await DatabaseStack.with { stack in
            try await Self.seedUnmatched(stack, count: 1, prefix: "ws_CO_late")
            let policy = InboxSweepPolicy(batchSize: 10, firstDelaySeconds: 5, maxDelaySeconds: 3600)
            let start = Date()
            #expect(try await CallbackProcessor.sweep(stack.db, now: start, schedule: .standard, policy: policy) == 0)
            let id = try await stack.seedPending(checkoutID: "ws_CO_late0")
            // Not yet due: left alone.
            #expect(
                try await CallbackProcessor.sweep(
                    stack.db, now: start.addingTimeInterval(1), schedule: .standard, policy: policy) == 0)
            #expect(try await stack.payment(id)?.state.status == .pending)
            #expect(
                try await CallbackProcessor.sweep(
                    stack.db, now: start.addingTimeInterval(6), schedule: .standard, policy: policy) == 1)
            #expect(try await stack.payment(id)?.state.status == .completed)
        }
    }

    @Test("a callback past the retry window is not swept again")
    func windowEnds() async throws {
        try await DatabaseStack.with { stack in
            try await Self.seedUnmatched(stack, count: 1, prefix: "ws_CO_old")
            let policy = InboxSweepPolicy(
                batchSize: 10, firstDelaySeconds: 5, maxDelaySeconds: 3600, window: .init(seconds: 60))
            let start = Date()
            _ = try await CallbackProcessor.sweep(stack.db, now: start, schedule: .standard, policy: policy)
            // The next retry (after 5 s) is still inside the minute.
            #expect(try await Self.attempts(stack) == [1: 1])
            _ = try await CallbackProcessor.sweep(
                stack.db, now: start.addingTimeInterval(3600), schedule: .standard, policy: policy)
            #expect(try await Self.attempts(stack) == [2: 1])
            // That retry's next one would fall past the window: never due again.
            _ = try await CallbackProcessor.sweep(
                stack.db, now: start.addingTimeInterval(100 * 24 * 3600), schedule: .standard, policy: policy)
            #expect(try await Self.attempts(stack) == [2: 1])
            #expect(
                try await stack.count("SELECT count(*) FROM callback_inbox WHERE next_sweep_at = 'infinity'") == 1)
        }
    }
}
