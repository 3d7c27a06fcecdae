import Crypto
import Foundation
import HTTPServerKit
import Logging
import ReconApp
import ReconCore
import ReconHTTP
import ReconIdentity
import ReconPostgres
import ReconServer
import ReconTestSupport
import Testing

/// What an attacker holding each role's credentials tried against a real `serve` (the real PostgreSQL, loopback
/// HTTP), and what must hold: no request stops the process, masked viewers see no number, the console's words are
/// its own, and the limits hold.
@Suite("Hostile requests against serve")
struct HostileRequestTests {
    /// A production-shaped CheckoutRequestID: `ws_CO_` + DDMMYYYYHHmmss + milliseconds + the payer's number
    /// without 254 (the seeded payments' phone is 254708374149).
    static let checkoutID = "ws_CO_07122026104512345708374149"
    static let national = "708374149"

    // MARK: Arithmetic on request numbers

    @Test func aPageNumberThatWouldOverflowIsRefusedAndServeKeepsAnswering() async throws {
        try await Stack.with(api: true) { stack in
            try await stack.account("finance@example.com", roles: [.finance])
            let token = try await stack.login("finance@example.com")
            for page in [
                "9223372036854775807", "4611686018427387904", "-9223372036854775808", "99999999999999999999", "0",
                "-1", "1e9", "abc", "",
            ] {
                let answer = try await stack.call(
                    "GET", "/api/payments/admin/?page=\(page)&page_size=200", token: token)
                #expect(answer.status == 404, "page=\(page)")
            }
            for date in ["99999999999-01-01", "2026-13-01", "2026-01-99", "0-01-01"] {
                let answer = try await stack.call("GET", "/api/payments/admin/?from=\(date)", token: token)
                #expect(answer.status == 400, "from=\(date)")
            }
            #expect(try await stack.call("GET", "/healthz").status == 200)
        }
    }

    // MARK: Masking

    @Test func financeSeesCheckoutRequestIDsMaskedAndAdminsSeeThemWhole() async throws {
        try await Stack.with(api: true) { stack in
            let id = try await stack.seedPending(checkoutID: Self.checkoutID)
            try await stack.account("finance@example.com", roles: [.finance])
            try await stack.account("admin@example.com", roles: [.admin])
            let finance = try await stack.login("finance@example.com")
            let admin = try await stack.login("admin@example.com")

            let list = try await stack.call("GET", "/api/payments/admin/", token: finance)
            #expect(list.status == 200)
            #expect(!list.text.contains(Self.national), "the admin list shows finance a payer's number")
            #expect(list.text.contains("ws_CO_…4149"))
            let status = try await stack.call("GET", "/api/payments/\(id)/status/", token: finance)
            #expect(status.status == 200)
            #expect(!status.text.contains(Self.national))

            let whole = try await stack.call("GET", "/api/payments/admin/", token: admin)
            #expect(whole.text.contains(Self.checkoutID))
        }
    }

    @Test func financeMaySearchByTheLastFourDigitsOnly() async throws {
        try await Stack.with(api: true) { stack in
            _ = try await stack.seedPending(checkoutID: Self.checkoutID)
            try await stack.account("finance@example.com", roles: [.finance])
            try await stack.account("admin@example.com", roles: [.admin])
            let finance = try await stack.login("finance@example.com")
            let admin = try await stack.login("admin@example.com")
            // Five digits or more would confirm hidden digits one query at a time; a CheckoutRequestID ends with
            // the number.
            for probe in ["74149", "8374149", "254708374149", Self.checkoutID, "0708374149"] {
                let answer = try await stack.call(
                    "GET", "/api/payments/admin/?q=\(probe)", token: finance)
                #expect(answer.status == 400, "q=\(probe) answered \(answer.status)")
            }
            let four = try await stack.call("GET", "/api/payments/admin/?q=4149", token: finance)
            #expect(four.status == 200)
            #expect(four.object["count"] as? Int == 1)
            // An admin sees whole numbers anyway, and may search by them.
            let whole = try await stack.call("GET", "/api/payments/admin/?q=\(Self.checkoutID)", token: admin)
            #expect(whole.object["count"] as? Int == 1)
            #expect(
                MaskedSearch.allows("TKR1AAA001") && MaskedSearch.allows("Wanjiku") && !MaskedSearch.allows("12345"))
        }
    }

    @Test func aRefundIsCappedByConfirmedMoneyNotByWhatACallbackReported() async throws {
        try await DatabaseStack.with { stack in
            // A payment recorded before callbacks stopped counting as money: KES 5 000 pushed, 9 000 "reported".
            let id = try await stack.seedPending(checkoutID: Self.checkoutID)
            try await stack.db.query(
                """
                UPDATE payments SET status = 'completed', paid_amount = 9000, mpesa_receipt = 'QKH94M1Z99',
                    settled_via = 'callback', paid_at = now() WHERE id = \(id)
                """)
            let desk = RefundDesk(pool: stack.pool, settings: Stack.approvals)
            await #expect(throws: (any Error).self) {
                _ = try await desk.propose(
                    paymentID: id, amount: Money(minorUnits: 600_000), reason: "excess", by: "alice@example.com")
            }
            #expect(try await stack.count("SELECT count(*) FROM refunds") == 0)
            // Up to the amount pushed is still refundable.
            let refund = try await desk.propose(
                paymentID: id, amount: Money(minorUnits: 500_000), reason: "course cancelled", by: "alice@example.com")
            #expect(refund.amount == "5000.00")
        }
    }

    // MARK: Strict JSON

    @Test func jsonBooleansAreNeverNumbers() async throws {
        try await Stack.with(api: true) { stack in
            let (user, course) = try await stack.seedLearner()
            _ = user
            try await stack.account("admin@example.com", roles: [.admin])
            let admin = try await stack.login("admin@example.com")
            let refund = try await stack.call(
                "POST", "/api/payments/b2c/", token: admin,
                json: #"{"payment_id": 1, "amount": true, "reason": "x"}"#)
            #expect(refund.status == 400)
            let payment = try await stack.call(
                "POST", "/api/payments/b2c/", token: admin,
                json: #"{"payment_id": true, "amount": 1, "reason": "x"}"#)
            #expect(payment.status == 400)
            let reason = try await stack.call(
                "POST", "/api/payments/b2c/", token: admin, json: #"{"payment_id": 1, "amount": 1, "reason": 5}"#)
            #expect(reason.status == 400)
            try await stack.account("learner@example.com")
            let learner = try await stack.login("learner@example.com")
            let initiate = try await stack.call(
                "POST", "/api/payments/initiate/", token: learner,
                json: #"{"course_id": true, "phone": "254708374149"}"#)
            #expect(initiate.status == 400)
            let numericPhone = try await stack.call(
                "POST", "/api/payments/initiate/", token: learner,
                json: #"{"course_id": \#(course), "phone": 254708374149}"#)
            #expect(numericPhone.status == 400)
            #expect(try await stack.count("SELECT count(*) FROM refunds") == 0)
            #expect(try await stack.count("SELECT count(*) FROM payments") == 0)
        }
    }

    // MARK: Rate limits

    @Test func oneLearnerCannotPushPromptsToAPhoneAgainAndAgain() async throws {
        try await Stack.with(api: true) { stack in
            try await stack.account("learner@example.com")
            let learner = try await stack.login("learner@example.com")
            var statuses: [Int] = []
            for _ in 0..<6 {
                // A new course each time: the pending guard alone would stop a second push for one course.
                let (_, course) = try await stack.seedLearner(price: 10)
                let answer = try await stack.call(
                    "POST", "/api/payments/initiate/", token: learner,
                    json: #"{"course_id": \#(course), "phone": "254708374149"}"#)
                statuses.append(answer.status)
            }
            let limits = InitiationLimits()
            #expect(statuses.prefix(limits.perLearner).allSatisfy { $0 != 429 }, "\(statuses)")
            #expect(statuses.dropFirst(limits.perLearner).allSatisfy { $0 == 429 }, "\(statuses)")
            // The phone is limited whoever starts the push.
            try await stack.account("other@example.com")
            let other = try await stack.login("other@example.com")
            let (_, course) = try await stack.seedLearner(price: 10)
            let answer = try await stack.call(
                "POST", "/api/payments/initiate/", token: other,
                json: #"{"course_id": \#(course), "phone": "0708374149"}"#)
            #expect(answer.status == 429)
            #expect(
                try await stack.count("SELECT count(*) FROM payments WHERE phone = '254708374149'")
                    == limits.perLearner)
        }
    }

    @Test func reportRequestsAreDeduplicatedAndCappedPerAccountAndInAll() async throws {
        try await TestDatabase.with { _, db in
            let users = try await db.withTransaction { db in
                try (0..<8).map { try UserStore.insert(db, email: "f\($0)@example.com", fullName: "f\($0)") }
            }
            func ask(_ user: Int64, _ year: Int, _ month: Int = 1) async throws -> ConsoleStore.ReportQueueing {
                let from = String(format: "%04d-%02d-01", year, month)
                let to = String(format: "%04d-%02d-28", year, month)
                return try await db.withTransaction { db in
                    try ConsoleStore.requestReport(db, by: user, from: from, to: to, unmasked: false)
                }
            }
            guard case .queued(let id) = try await ask(users[0], 2026) else {
                Issue.record("the first request was not queued")
                return
            }
            // The same report asked again, by anyone, is the one already waiting.
            #expect(try await ask(users[0], 2026) == .alreadyQueued(id))
            #expect(try await ask(users[1], 2026) == .alreadyQueued(id))
            guard case .queued = try await ask(users[0], 2025) else {
                Issue.record("a second period was not queued")
                return
            }
            #expect(try await ask(users[0], 2024) == .accountBusy)
            // Other accounts fill the queue up to its length; then nobody can add one.
            var queued = 2
            var month = 1
            for user in users.dropFirst() where queued < ConsoleStore.reportQueueLength {
                for _ in 0..<ConsoleStore.reportsPerAccount where queued < ConsoleStore.reportQueueLength {
                    guard case .queued = try await ask(user, 2020, month) else {
                        Issue.record("request \(queued + 1) was not queued")
                        return
                    }
                    queued += 1
                    month += 1
                }
            }
            #expect(try await ask(users[7], 2019) == .queueFull)
            let waiting = try await db.query("SELECT count(*) AS n FROM report_requests").first?.decode(Int.self, "n")
            #expect(waiting == ConsoleStore.reportQueueLength)
        }
    }

    // MARK: Metrics

    @Test func metricsNeedTheirTokenAndAreNotServedWithoutOne() async throws {
        try await Self.withServer(metricsToken: nil) { (base: String, http: HTTPClient) async throws in
            #expect(try await http.send(.get(base + "/metrics")).status == 404)
            #expect(try await http.send(.get(base + "/healthz")).status == 200)
        }
        try await Self.withServer(metricsToken: "metrics-secret-0123456789") {
            (base: String, http: HTTPClient) async throws in
            #expect(try await http.send(.get(base + "/metrics")).status == 401)
            let wrong = [HTTPHeader(name: "Authorization", value: "Bearer metrics-secret-0123456789-and-more")]
            #expect(try await http.send(.get(base + "/metrics", headers: wrong)).status == 401)
            let right = [HTTPHeader(name: "Authorization", value: "Bearer metrics-secret-0123456789")]
            let answer = try await http.send(.get(base + "/metrics", headers: right))
            #expect(answer.status == 200)
            #expect(answer.bodyText.contains("mpesa_recon_"))
        }
    }

    // MARK: Connections

    @Test func oneAddressCannotHoldMoreConnectionsThanItsCap() async throws {
        try await Self.withServer(limits: ConnectionLimits(perAddress: 3, total: 100)) {
            (base: String, http: HTTPClient) async throws in
            let port = try #require(Int(base.split(separator: ":").last.map(String.init) ?? ""))
            var sockets: [Int32] = []
            defer { for socket in sockets { close(socket) } }
            for _ in 0..<3 { sockets.append(try LoopbackSocket.connect(port: port)) }
            // Let the server count them.
            try await Task.sleep(for: .milliseconds(200))
            let refused = try? await http.send(.get(base + "/healthz"))
            #expect(refused == nil || refused?.status != 200, "a fourth connection from one address was served")
            close(sockets.removeLast())
            try await Task.sleep(for: .milliseconds(200))
            #expect(try await http.send(.get(base + "/healthz")).status == 200)
        }
        let limiter = ConnectionLimiter(limits: ConnectionLimits(perAddress: 2, total: 3)) { $0 == "10.0.0.9" }
        #expect(limiter.acquire("a") && limiter.acquire("a") && !limiter.acquire("a"))
        #expect(limiter.acquire("10.0.0.9") && !limiter.acquire("10.0.0.9"))
        limiter.release("a")
        #expect(limiter.acquire("10.0.0.9") && limiter.open == 3)
    }

    /// A callbacks-only `serve` on loopback over a fresh database, with the given metrics token and limits.
    static func withServer(
        metricsToken: String? = nil, limits: ConnectionLimits = ConnectionLimits(),
        _ body: (String, HTTPClient) async throws -> Void
    ) async throws {
        try await TestDatabase.with { database, _ in
            let pool = ConnectionPool(settings: database.settings, maxConnections: 4)
            let spool = FileManager.default.temporaryDirectory.appendingPathComponent("hostile-\(UUID().uuidString)")
            var logger = Logger(label: "hostile")
            logger.logLevel = .critical
            let server = try await ReconApplication(
                ServerConfiguration(
                    port: 0, callbackToken: Stack.token, spoolDirectory: spool, sweepIntervalSeconds: 3600,
                    metricsToken: metricsToken, connectionLimits: limits),
                pool: pool, logger: logger
            ).start()
            do {
                try await body(server.baseURL, HTTPClient())
                await server.stop()
                await pool.close()
            } catch {
                await server.stop()
                await pool.close()
                throw error
            }
        }
    }

    // MARK: Surface

    @Test func serveWithoutRoutesServesCallbacksOnly() throws {
        #expect(try RouteGroup.parse(nil) == [.callbacks])
        #expect(try RouteGroup.parse("callbacks,api") == [.callbacks, .api])
        #expect(throws: RouteGroupError.self) { try RouteGroup.parse("callbacks,admin") }
        #expect(throws: RouteGroupError.self) { try RouteGroup.parse(" , ") }
    }

    // MARK: Constant-time comparison

    @Test func aTokenFollowedByNULBytesIsNotTheToken() {
        let token = "callback-token-0123456789"
        #expect(constantTimeEqual(token, token))
        #expect(!constantTimeEqual(token + String(repeating: "\u{0}", count: 256), token))
        #expect(!constantTimeEqual(token, token + String(repeating: "\u{0}", count: 256)))
        #expect(!constantTimeEqual(token, String(token.dropLast())))
    }
}
