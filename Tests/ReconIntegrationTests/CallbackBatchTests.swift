import Foundation
import ReconApp
import ReconCore
import ReconHTTP
import ReconPostgres
import ReconServer
import Testing

@Suite("Callbacks in batches: group commit on the way in, set-based apply off the request path")
struct CallbackBatchTests {
    /// Bodies covering every STK outcome, a payment answered twice in one batch, two payments of one learner and
    /// course, a finding opened and resolved in one batch (not understood, then paid), an unknown id, an unreadable
    /// body and a B2C timeout nobody claims.
    static func bodies(_ ids: [String]) -> [(CallbackKind, String)] {
        [
            (.stk, Bodies.success(ids[0], receipt: "RBATCH0001")),
            (.stk, Bodies.success(ids[0], receipt: "RBATCH0001")),
            (.stk, Bodies.failure(ids[1], code: "1032")),
            (.stk, Bodies.success(ids[2], receipt: "RBATCH0003")),
            (.stk, Bodies.failure(ids[2], code: "2001")),
            (.stk, Bodies.failure(ids[3], code: "1037")),
            (.stk, Bodies.success(ids[3], receipt: "RBATCH0004")),
            (.stk, Bodies.failure(ids[4], code: "9999")),
            (.stk, Bodies.success(ids[5], receipt: "RBATCH0006")),
            (.stk, Bodies.success(ids[6], receipt: "RBATCH0007")),
            (.stk, Bodies.success("ws_CO_nobody")),
            (.stk, #"{"Body":{"stkCallback":"#),
            (.stk, Bodies.success(ids[4], receipt: "RBATCH0005")),
            (.b2cTimeout, #"{"Result":{"ResultType":1,"ResultCode":1,"OriginatorConversationID":"nobody"}}"#),
        ]
    }

    /// Seeds the payments the bodies name (the last two: one learner, one course; the first one's learner has a
    /// revoked enrollment in its course, which a success reactivates) and stores the bodies.
    static func seed(_ stack: some DatabaseFixture) async throws -> [Int64] {
        var payments: [Int64] = []
        for index in 0..<5 { payments.append(try await stack.seedPending(checkoutID: "ws_CO_b\(index)")) }
        let (user, course) = try await stack.seedLearner()
        for index in 5..<7 {
            let id = try await stack.db.query(
                """
                INSERT INTO payments (user_id, course_id, amount, phone, checkout_request_id, status, next_check_at)
                VALUES (\(user), \(course), 5000, '254708374149', \("ws_CO_b\(index)"), 'pending', now())
                RETURNING id
                """
            ).first?.decode(Int64.self, "id")
            payments.append(try #require(id))
        }
        try await stack.db.query(
            """
            INSERT INTO enrollments (user_id, course_id, status)
            SELECT user_id, course_id, 'revoked' FROM payments WHERE id = \(payments[0])
            """)
        let arrivals = bodies((0..<7).map { "ws_CO_b\($0)" }).map { kind, body in
            InboxArrival(
                kind: kind, receivedAt: Date(), remoteAddress: "127.0.0.1", headersJSON: "{}", body: Array(body.utf8))
        }
        let stored = try await stack.db.run { db throws(PostgresError) in try InboxStore.store(db, arrivals) }
        #expect(stored == arrivals.count)
        return payments
    }

    /// Everything the callbacks wrote, in a form two databases can be compared by.
    static func written(_ stack: some DatabaseFixture) async throws -> [String] {
        let queries: [SQLQuery] = [
            """
            SELECT concat_ws('|', id, kind, outcome, reference, processed_at IS NOT NULL) AS line
            FROM callback_inbox ORDER BY id
            """,
            """
            SELECT concat_ws('|', id, status, result_code, result_desc, mpesa_receipt, paid_amount, paid_phone, paid_at,
                             settled_via, check_attempts, last_answer) AS line
            FROM payments ORDER BY id
            """,
            """
            SELECT concat_ws('|', payment_id, source, from_status, to_status, detail::text) AS line
            FROM payment_events ORDER BY payment_id, id
            """,
            "SELECT concat_ws('|', user_id, course_id, payment_id, status) AS line FROM enrollments ORDER BY user_id, course_id",
            """
            SELECT concat_ws('|', kind, key, payment_id, callback_id, expected_amount, received_amount, status) AS line
            FROM reconciliation_exceptions ORDER BY key
            """,
        ]
        var lines: [String] = []
        for query in queries {
            for row in try await stack.db.query(query).rows { lines.append(try row.decode(String.self, "line")) }
            lines.append("--")
        }
        return lines
    }

    @Test("one batch writes exactly what applying the same callbacks one by one writes")
    func batchMatchesOneByOne() async throws {
        let now = Date(timeIntervalSince1970: 1_796_000_000)
        let oneByOne = try await DatabaseStack.with { stack in
            _ = try await Self.seed(stack)
            let ids = try await stack.db.run { db throws(PostgresError) in try InboxStore.unprocessed(db) }
            for id in ids {
                _ = try await CallbackProcessor.processIsolated(stack.db, inboxID: id, now: now, schedule: .standard)
            }
            return try await Self.written(stack)
        }
        let (batched, report, payments) = try await DatabaseStack.with { stack in
            let payments = try await Self.seed(stack)
            let report = try await CallbackProcessor.applyNext(stack.db, limit: 100, now: now, schedule: .standard)
            return (try await Self.written(stack), report, payments)
        }
        #expect(report.claimed == 14 && !report.fellBack)
        #expect(
            report.outcomes.map(\.outcome) == [
                .applied, .duplicate, .applied, .applied, .conflict, .applied, .applied, .applied, .applied, .applied,
                .unmatched, .malformed, .applied, .unmatched,
            ])
        // Both databases were fresh, so ids agree; every table the callbacks touch must hold the same rows.
        #expect(batched == oneByOne)
        #expect(payments.count == 7)
        // Completed: b0 (its revoked enrollment reactivated), b2 (a later failure is a conflict), b3 (a success after
        // a failure), b4 (paid after an answer not understood), b5 and b6 (one learner and course: one enrollment).
        #expect(batched.filter { $0.hasSuffix("|active") }.count == 5, "one enrollment per learner and course")
        #expect(!batched.contains { $0.hasSuffix("|revoked") })
        #expect(batched.contains { $0.hasPrefix("\(payments[4])|completed|") })
        #expect(batched.contains { $0.hasPrefix("unresolved|") && $0.hasSuffix("|resolved") }, "opened and resolved")
    }

    @Test("a batch the database refuses (one receipt on two payments) is applied one by one; the rest still lands")
    func refusedBatchFallsBack() async throws {
        try await DatabaseStack.with { stack in
            let first = try await stack.seedPending(checkoutID: "ws_CO_f1")
            let second = try await stack.seedPending(checkoutID: "ws_CO_f2")
            let third = try await stack.seedPending(checkoutID: "ws_CO_f3")
            let arrivals = [
                Bodies.success("ws_CO_f1", receipt: "RSAME00001"), Bodies.success("ws_CO_f2", receipt: "RSAME00001"),
                Bodies.failure("ws_CO_f3", code: "1032"),
            ].map {
                InboxArrival(
                    kind: .stk, receivedAt: Date(), remoteAddress: nil, headersJSON: "{}", body: Array($0.utf8))
            }
            try await stack.db.run { db throws(PostgresError) in try InboxStore.store(db, arrivals) }
            let report = try await CallbackProcessor.applyNext(stack.db, limit: 10, now: Date(), schedule: .standard)
            #expect(report.fellBack && report.claimed == 3)
            #expect(report.outcomes.map(\.outcome) == [.applied, .conflict, .applied])
            #expect(try await stack.payment(first)?.state.status == .completed)
            #expect(try await stack.payment(second)?.state.status == .pending)
            #expect(try await stack.payment(third)?.state.status == .failed)
            #expect(
                try await stack.count(
                    "SELECT count(*) FROM reconciliation_exceptions WHERE kind = 'callback_conflict'") == 1)
            #expect(try await stack.count("SELECT count(*) FROM callback_inbox WHERE processed_at IS NULL") == 0)
        }
    }

    @Test(
        "a payment locked elsewhere ends the pass after the lock timeout, leaving its callbacks to retry, not conflicts"
    )
    func lockedPaymentIsRetriedNotRefused() async throws {
        try await DatabaseStack.with { stack in
            let id = try await stack.seedPending(checkoutID: "ws_CO_lock")
            let arrival = InboxArrival(
                kind: .stk, receivedAt: Date(), remoteAddress: nil, headersJSON: "{}",
                body: Array(Bodies.success("ws_CO_lock").utf8))
            try await stack.db.run { db throws(PostgresError) in try InboxStore.store(db, [arrival]) }
            try await stack.pool.withConnection { other in
                try await other.run { db throws(PostgresError) in
                    try db.query("BEGIN")
                    try db.query("SELECT id FROM payments WHERE id = \(id) FOR UPDATE")
                }
                await #expect(throws: PostgresError.self) {
                    _ = try await CallbackProcessor.applyNext(stack.db, limit: 10, now: Date(), schedule: .standard)
                }
                try await other.run { db throws(PostgresError) in try db.query("ROLLBACK") }
            }
            #expect(try await stack.count("SELECT count(*) FROM callback_inbox WHERE processed_at IS NULL") == 1)
            #expect(try await stack.count("SELECT count(*) FROM reconciliation_exceptions") == 0)
            let report = try await CallbackProcessor.applyNext(stack.db, limit: 10, now: Date(), schedule: .standard)
            #expect(report.outcomes.map(\.outcome) == [.applied] && !report.fellBack)
            #expect(try await stack.payment(id)?.state.status == .completed)
        }
    }

    @Test("callbacks posted at once share commits, each is stored once and applied once, without the sweep")
    func concurrentPostsShareCommits() async throws {
        try await Stack.with { stack in
            let count = 64
            var payments: [Int64] = []
            for index in 0..<count { payments.append(try await stack.seedPending(checkoutID: "ws_CO_g\(index)")) }
            let statuses = try await withThrowingTaskGroup(of: Int.self) { group in
                for index in 0..<count {
                    group.addTask {
                        try await stack.post(
                            body: Bodies.success("ws_CO_g\(index)", receipt: "RGRP\(String(format: "%06d", index))")
                        ).status
                    }
                }
                return try await group.reduce(into: [Int]()) { $0.append($1) }
            }
            #expect(statuses == Array(repeating: 200, count: count))
            await stack.endpoint.caughtUp()
            for id in payments { #expect(try await stack.payment(id)?.state.status == .completed) }
            #expect(try await stack.count("SELECT count(*) FROM callback_inbox") == count)
            #expect(try await stack.count("SELECT count(*) FROM callback_inbox WHERE outcome = 'applied'") == count)
            let metrics = stack.endpoint.metrics
            #expect(metrics["callbacks_stored_total"] == count)
            let commits = metrics["callbacks_store_batches_total"]
            #expect(commits >= 1 && commits < count, "\(commits) commits for \(count) bodies")
            #expect(metrics["callbacks_apply_batches_total"] < count)
        }
    }
}
