import Foundation
import HTTPServerKit
import ReconApp
import ReconCore
import ReconHTTP
import ReconPostgres
import ReconServer
import ReconTestSupport
import Testing

@Suite("Callback endpoint: store first, apply once, lose none")
struct CallbackEndpointTests {
    @Test("a success completes the payment, enrolls the learner once, and is answered 200 Accepted")
    func success() async throws {
        try await Stack.with { stack in
            let id = try await stack.seedPending(checkoutID: "ws_CO_1")
            let response = try await stack.post(body: Bodies.success("ws_CO_1"))
            #expect(response.status == 200)
            #expect(response.bodyText == #"{"ResultCode":0,"ResultDesc":"Accepted"}"#)
            let payment = try #require(try await stack.payment(id))
            #expect(payment.state.status == .completed && payment.state.receipt == "QKH94M1Z11")
            #expect(payment.state.settledVia == .callback && payment.state.paidAmount == Money(minorUnits: 500_000))
            #expect(payment.state.paidPhone == "254708374149")
            #expect(try await stack.count("SELECT count(*) FROM enrollments WHERE payment_id = \(id)") == 1)
            #expect(
                try await stack.count(
                    "SELECT count(*) FROM payment_events WHERE payment_id = \(id) AND source = 'callback'") == 1)
            #expect(
                try await stack.count(
                    "SELECT count(*) FROM callback_inbox WHERE outcome = 'applied' AND reference = 'ws_CO_1'") == 1)
        }
    }

    @Test(
        "each failure code fails the payment with that code; number or string codes alike",
        arguments: ["1032", "1037", "1", "2001", "1019", "1036", "1031", "17", "2028"])
    func failures(code: String) async throws {
        try await Stack.with { stack in
            let a = try await stack.seedPending(checkoutID: "ws_CO_a")
            let b = try await stack.seedPending(checkoutID: "ws_CO_b")
            _ = try await stack.post(body: Bodies.failure("ws_CO_a", code: code))
            _ = try await stack.post(body: Bodies.failure("ws_CO_b", code: code, quoted: true))
            for id in [a, b] {
                let payment = try #require(try await stack.payment(id))
                #expect(payment.state.status == .failed && payment.state.resultCode == code)
            }
            #expect(try await stack.count("SELECT count(*) FROM enrollments") == 0)
        }
    }

    @Test("an undocumented result code makes the payment unknown, never failed")
    func undocumented() async throws {
        try await Stack.with { stack in
            let id = try await stack.seedPending(checkoutID: "ws_CO_u")
            _ = try await stack.post(body: Bodies.failure("ws_CO_u", code: "9999"))
            #expect(try await stack.payment(id)?.state.status == .unknown)
            #expect(
                try await stack.count("SELECT count(*) FROM reconciliation_exceptions WHERE kind = 'unresolved'") == 1)
        }
    }

    @Test("all wrapper forms are understood: Body-wrapped, stkCallback only, inner object only")
    func wrappers() async throws {
        try await Stack.with { stack in
            let inner = """
                {"MerchantRequestID":"m","CheckoutRequestID":"ws_CO_X","ResultCode":"1032","ResultDesc":"Request cancelled by user"}
                """
            let forms = [
                ("ws_CO_w1", "{\"Body\":{\"stkCallback\":\(inner)}}"), ("ws_CO_w2", "{\"stkCallback\":\(inner)}"),
                ("ws_CO_w3", inner),
            ]
            for (checkoutID, body) in forms {
                let id = try await stack.seedPending(checkoutID: checkoutID)
                _ = try await stack.post(body: body.replacingOccurrences(of: "ws_CO_X", with: checkoutID))
                #expect(try await stack.payment(id)?.state.status == .failed)
            }
        }
    }

    @Test("N copies of a success sent at once: one completion, one enrollment, N stored bodies")
    func concurrentDuplicates() async throws {
        try await Stack.with { stack in
            let id = try await stack.seedPending(checkoutID: "ws_CO_dup")
            let copies = 20
            let statuses = try await withThrowingTaskGroup(of: Int.self) { group in
                for _ in 0..<copies { group.addTask { try await stack.post(body: Bodies.success("ws_CO_dup")).status } }
                return try await group.reduce(into: [Int]()) { $0.append($1) }
            }
            #expect(statuses == Array(repeating: 200, count: copies))
            #expect(try await stack.payment(id)?.state.status == .completed)
            #expect(try await stack.count("SELECT count(*) FROM enrollments") == 1)
            #expect(try await stack.count("SELECT count(*) FROM payment_events WHERE source = 'callback'") == 1)
            #expect(try await stack.count("SELECT count(*) FROM callback_inbox") == copies)
            #expect(try await stack.count("SELECT count(*) FROM callback_inbox WHERE outcome = 'applied'") == 1)
            #expect(
                try await stack.count("SELECT count(*) FROM callback_inbox WHERE outcome = 'duplicate'") == copies - 1)
        }
    }

    @Test("a failure after a success changes nothing and is recorded as a conflict")
    func outOfOrder() async throws {
        try await Stack.with { stack in
            let id = try await stack.seedPending(checkoutID: "ws_CO_o")
            _ = try await stack.post(body: Bodies.success("ws_CO_o"))
            let late = try await stack.post(body: Bodies.failure("ws_CO_o", code: "1032"))
            #expect(late.status == 200)
            let payment = try #require(try await stack.payment(id))
            #expect(payment.state.status == .completed && payment.state.receipt == "QKH94M1Z11")
            #expect(try await stack.count("SELECT count(*) FROM callback_inbox WHERE outcome = 'conflict'") == 1)
            #expect(
                try await stack.count("SELECT count(*) FROM reconciliation_exceptions WHERE kind = 'callback_conflict'")
                    == 1)
        }
    }

    @Test("a success after a failure is applied (money moved) and flagged late_success")
    func lateSuccess() async throws {
        try await Stack.with { stack in
            let id = try await stack.seedPending(checkoutID: "ws_CO_l")
            _ = try await stack.post(body: Bodies.failure("ws_CO_l", code: "1037"))
            _ = try await stack.post(body: Bodies.success("ws_CO_l", receipt: "RLATE00001"))
            let payment = try #require(try await stack.payment(id))
            #expect(payment.state.status == .completed && payment.state.receipt == "RLATE00001")
            #expect(
                try await stack.count("SELECT count(*) FROM reconciliation_exceptions WHERE kind = 'late_success'") == 1
            )
            #expect(try await stack.count("SELECT count(*) FROM enrollments") == 1)
        }
    }

    @Test("a callback for an unknown CheckoutRequestID waits as unmatched and is applied when the payment appears")
    func unmatchedLaterMatched() async throws {
        try await Stack.with { stack in
            _ = try await stack.post(body: Bodies.success("ws_CO_early"))
            #expect(
                try await stack.count(
                    "SELECT count(*) FROM callback_inbox WHERE outcome = 'unmatched' AND reference = 'ws_CO_early'")
                    == 1)
            let id = try await stack.seedPending(checkoutID: "ws_CO_early")
            let applied = try await CallbackProcessor.sweep(stack.db, now: Date(), schedule: .standard)
            #expect(applied == 1)
            #expect(try await stack.payment(id)?.state.status == .completed)
            #expect(try await stack.count("SELECT count(*) FROM callback_inbox WHERE outcome = 'applied'") == 1)
        }
    }

    @Test("malformed JSON is stored as received, marked malformed, and still answered 200")
    func malformed() async throws {
        try await Stack.with { stack in
            let body = #"{"Body":{"stkCallback":{"CheckoutRequestID": "#
            let response = try await stack.post(body: body)
            #expect(response.status == 200)
            let stored = try await stack.db.query(
                "SELECT convert_from(body, 'UTF8') AS b, outcome FROM callback_inbox"
            ).first
            #expect(try stored?.decode(String.self, "b") == body)
            #expect(try stored?.decode(String.self, "outcome") == "malformed")
        }
    }

    @Test("a body over 64 KiB is refused with 413 and nothing is stored")
    func oversized() async throws {
        try await Stack.with { stack in
            let body = "{\"pad\":\"" + String(repeating: "x", count: 70_000) + "\"}"
            let response = try await stack.post(body: body)
            #expect(response.status == 413)
            #expect(try await stack.count("SELECT count(*) FROM callback_inbox") == 0)
            #expect(stack.endpoint.metrics["callbacks_refused_too_large_total"] == 1)
        }
    }

    @Test("a wrong or missing token is refused: nothing stored, nothing applied, counted")
    func badToken() async throws {
        try await Stack.with { stack in
            let id = try await stack.seedPending(checkoutID: "ws_CO_t")
            let wrong = try await stack.post(body: Bodies.success("ws_CO_t"), token: "guess")
            let missing = try await stack.post(body: Bodies.success("ws_CO_t"), token: nil)
            #expect(wrong.status == 401 && missing.status == 401)
            #expect(try await stack.count("SELECT count(*) FROM callback_inbox") == 0)
            #expect(try await stack.payment(id)?.state.status == .pending)
            #expect(stack.endpoint.metrics["callbacks_refused_token_total"] == 2)
        }
    }

    @Test("a callback the database refuses (its receipt is on another payment) is a conflict and blocks nothing")
    func refusedCallbackBlocksNothing() async throws {
        try await Stack.with { stack in
            let first = try await stack.seedPending(checkoutID: "ws_CO_r1")
            let second = try await stack.seedPending(checkoutID: "ws_CO_r2")
            let third = try await stack.seedPending(checkoutID: "ws_CO_r3")
            _ = try await stack.post(body: Bodies.success("ws_CO_r1", receipt: "RSAME00001"))
            let clash = try await stack.post(body: Bodies.success("ws_CO_r2", receipt: "RSAME00001"))
            #expect(clash.status == 200)
            let nul =
                #"{"Body":{"stkCallback":{"CheckoutRequestID":"ws_CO_r3","ResultCode":1032,"ResultDesc":"x\u0000y"}}}"#
            _ = try await stack.post(body: nul)
            #expect(try await stack.payment(first)?.state.status == .completed)
            #expect(try await stack.payment(second)?.state.status == .pending)
            // U+0000 in any string makes the body malformed: stored, never applied.
            #expect(try await stack.payment(third)?.state.status == .pending)
            #expect(try await stack.count("SELECT count(*) FROM callback_inbox WHERE outcome = 'malformed'") == 1)
            #expect(try await stack.count("SELECT count(*) FROM callback_inbox WHERE outcome = 'conflict'") == 1)
            #expect(
                try await stack.count(
                    "SELECT count(*) FROM reconciliation_exceptions WHERE kind = 'callback_conflict' AND callback_id IS NOT NULL"
                ) == 1)
            // A sweep has nothing left that could block it.
            #expect(try await CallbackProcessor.sweep(stack.db, now: Date(), schedule: .standard) == 0)
        }
    }

    @Test("an unreadable spool line is kept aside for a person, and the readable ones are stored")
    func unreadableSpoolLine() async throws {
        try await Stack.with { stack in
            let spool = CallbackSpool(directory: stack.spool)
            try spool.append(
                SpooledCallback(
                    kind: "stk", receivedAt: Date(), remoteAddress: nil, headers: [:],
                    body: Data(Bodies.failure("ws_CO_s", code: "1032").utf8)))
            let file = stack.spool.appendingPathComponent("callbacks.spool")
            let handle = try FileHandle(forWritingTo: file)
            handle.seekToEndOfFile()
            handle.write(Data("{\"id\":\"torn".utf8))
            try handle.close()
            #expect(try await stack.endpoint.sweep() == 1)
            #expect(try await stack.count("SELECT count(*) FROM callback_inbox") == 1)
            let kept = try String(
                contentsOf: stack.spool.appendingPathComponent("callbacks.spool.unreadable"), encoding: .utf8)
            #expect(kept.contains("torn"))
        }
    }

    @Test("/healthz answers 200 while PostgreSQL answers")
    func health() async throws {
        try await Stack.with { stack in
            let response = try await stack.http.send(.get(stack.callbackServer.baseURL + "/healthz"))
            #expect(response.status == 200)
        }
    }

    @Test(
        "PostgreSQL down: bodies are spooled and answered 200; once it is back each is stored exactly once and applied")
    func databaseDown() async throws {
        try await Stack.with { stack in
            let ids = try await (0..<5).asyncMap { try await stack.seedPending(checkoutID: "ws_CO_down\($0)") }
            // An endpoint whose database is unreachable, sharing the spool folder with the live one.
            let deadPool = ConnectionPool(
                settings: DatabaseSettings(connectionString: "postgresql://postgres@127.0.0.1:1/none?connect_timeout=1")
            )
            let deadApplication = try ReconApplication(
                ServerConfiguration(
                    port: 0, callbackToken: Stack.token, spoolDirectory: stack.spool, sweepIntervalSeconds: 3600),
                pool: deadPool)
            let dead = deadApplication.callbacks
            let server = try await deadApplication.start()
            for index in 0..<5 {
                let response = try await stack.http.send(
                    .postJSON(
                        server.baseURL + "/api/payments/callback/?token=\(Stack.token)",
                        body: Array(Bodies.success("ws_CO_down\(index)", receipt: "RDOWN0000\(index)").utf8)))
                #expect(response.status == 200)
            }
            let unhealthy = try await stack.http.send(.get(server.baseURL + "/healthz"))
            #expect(unhealthy.status == 503)
            await server.stop()
            #expect(dead.metrics["callbacks_spooled_total"] == 5)
            #expect(try await stack.count("SELECT count(*) FROM callback_inbox") == 0)

            // The database is back (the live endpoint): replay twice; the second finds nothing new.
            #expect(try await stack.endpoint.sweep() == 5)
            #expect(try await stack.endpoint.sweep() == 0)
            #expect(try await stack.count("SELECT count(*) FROM callback_inbox") == 5)
            #expect(try await stack.count("SELECT count(DISTINCT spool_id) FROM callback_inbox") == 5)
            for id in ids { #expect(try await stack.payment(id)?.state.status == .completed) }
        }
    }

    @Test("a spool replay interrupted after storing some bodies stores none of them twice")
    func replayIsIdempotent() async throws {
        try await Stack.with { stack in
            let spool = CallbackSpool(directory: stack.spool)
            let callback = SpooledCallback(
                kind: "stk", receivedAt: Date(), remoteAddress: "127.0.0.1", headers: [:],
                body: Data(Bodies.success("ws_CO_r").utf8))
            try spool.append(callback)
            // The first replay dies after storing (simulated by storing the same spooled body by hand first).
            let headers = JSONText.object([:])
            _ = try await stack.db.run { db throws(PostgresError) in
                try InboxStore.store(
                    db, kind: .stk, receivedAt: callback.receivedAt, remoteAddress: nil, headersJSON: headers,
                    body: Array(callback.body), spoolID: callback.id)
            }
            try await stack.endpoint.sweep()
            #expect(try await stack.count("SELECT count(*) FROM callback_inbox") == 1)
        }
    }
}

extension Sequence {
    func asyncMap<T>(_ transform: (Element) async throws -> T) async rethrows -> [T] {
        var result: [T] = []
        for element in self { result.append(try await transform(element)) }
        return result
    }
}
