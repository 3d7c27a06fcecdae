import Foundation
import HTTPTypes
import HummingbirdTesting
import Logging
import NIOCore
import ReconCore
import ReconIdentity
import ReconPostgres
import ReconServer
import ReconTestSupport
import Testing

/// The console through the application `serve` runs (router test client, no socket), over a fresh database:
/// sign-in, the CSRF and role middleware in front of its forms, and a refund proposed from a payment's page.
@Suite("Console routes through app.test(.router)")
struct ConsoleRouterTests {
    static let password = "console-pass-word-42"

    /// A signed-in browser: the session cookie and the session's CSRF token, as the pages carry it.
    struct Browser {
        let client: any TestClientProtocol
        var cookie: String
        var csrf: String

        func get(_ path: String) async throws -> TestResponse {
            try await client.execute(uri: path, method: .get, headers: [.cookie: cookie], body: nil)
        }

        func post(_ path: String, _ form: String) async throws -> TestResponse {
            try await client.execute(
                uri: path, method: .post,
                headers: [.cookie: cookie, .contentType: "application/x-www-form-urlencoded"],
                body: ByteBuffer(string: form))
        }
    }

    /// The console over a new database with an admin (`ada@`) and a finance account (`fin@`) and what `seed` adds
    /// (its answer goes to `requests`); `requests` runs against the application, then `check` reads the database.
    static func withConsole(
        seed: (PostgresConnection) async throws -> Int64 = { _ in 0 },
        _ requests: @escaping @Sendable (any TestClientProtocol, Int64) async throws -> Void,
        check: (PostgresConnection) async throws -> Void = { _ in }
    ) async throws {
        let spool = FileManager.default.temporaryDirectory.appendingPathComponent("console-spool-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: spool) }
        try await TestDatabase.with { database, db in
            for (email, role) in [("ada@example.com", Role.admin), ("fin@example.com", Role.finance)] {
                let hash = try DjangoPassword.make(password, iterations: 1_000)
                try await db.withTransaction { db in
                    let id = try UserStore.insert(db, email: email, fullName: email)
                    try UserStore.setPassword(db, id: id, hash: hash)
                    try UserStore.grant(db, id: id, role: role)
                }
            }
            let seeded = try await seed(db)
            // As deployed: the application runs as the runtime role `migrate` grants.
            let pool = ConnectionPool(settings: database.runtimeSettings, maxConnections: 4)
            var logger = Logger(label: "console-router-test")
            logger.logLevel = .critical
            let app = try buildApplication(
                ServerConfiguration(
                    port: 0, callbackToken: "console-router-token-0123456789", spoolDirectory: spool,
                    sweepIntervalSeconds: 3600, routes: [.console],
                    console: ConsoleConfiguration(
                        reportsDirectory: spool.appendingPathComponent("reports").path, approvals: Stack.approvals,
                        throttle: Stack.quickLogins)),
                pool: pool, logger: logger)
            // The application owns the pool: it closes it when the test's services stop.
            try await app.test(.router) { client in try await requests(client, seeded) }
            try await check(db)
        }
    }
    /// The value of `name="NAME" value="…"` in a page.
    static func field(_ name: String, in page: TestResponse) -> String? {
        let html = String(buffer: page.body)
        guard let start = html.range(of: #"name="\#(name)" value=""#),
            let end = html[start.upperBound...].firstIndex(of: "\"")
        else { return nil }
        return String(html[start.upperBound..<end])
    }

    /// `NAME=VALUE` of each `Set-Cookie`, without attributes.
    static func cookies(_ response: TestResponse) -> [String] {
        response.headers[values: .setCookie].compactMap { $0.split(separator: ";").first.map(String.init) }
    }

    static func formEncode(_ text: String) -> String {
        text.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? ""
    }

    /// Signs in through the sign-in page and its form; the answer, and the browser when it was let in.
    static func signIn(
        _ client: any TestClientProtocol, _ email: String, password: String = Self.password
    ) async throws -> (answer: TestResponse, browser: Browser?) {
        let page = try await client.execute(uri: "/console/login", method: .get, headers: [:], body: nil)
        let loginCookie = try #require(cookies(page).first { $0.hasPrefix("__Host-recon_login_csrf=") })
        let token = try #require(field("csrf_token", in: page))
        let answer = try await client.execute(
            uri: "/console/login", method: .post,
            headers: [.cookie: loginCookie, .contentType: "application/x-www-form-urlencoded"],
            body: ByteBuffer(
                string: "csrf_token=\(token)&next=%2Fconsole%2F&email=\(formEncode(email))"
                    + "&password=\(formEncode(password))"))
        guard
            let session = cookies(answer).first(where: { $0.hasPrefix("__Host-recon_session=") && !$0.hasSuffix("=") })
        else { return (answer, nil) }
        let overview = try await client.execute(uri: "/console/", method: .get, headers: [.cookie: session], body: nil)
        let csrf = try #require(field("csrf_token", in: overview))
        return (answer, Browser(client: client, cookie: session, csrf: csrf))
    }

    /// A learner's completed payment of KES 5,000 (paid in full, by callback); its id.
    static func completedPayment(_ db: PostgresConnection) async throws -> Int64 {
        try await db.withTransaction { db in
            let user =
                try db.query(
                    "INSERT INTO users (email, full_name) VALUES ('learner@example.com', 'Wanjiku') RETURNING id"
                ).first?.decode(Int64.self, "id") ?? 0
            let course =
                try db.query(
                    "INSERT INTO courses (title, price, is_active) VALUES ('German A1', 5000, true) RETURNING id"
                ).first?.decode(Int64.self, "id") ?? 0
            return try db.query(
                """
                INSERT INTO payments (user_id, course_id, amount, phone, status, settled_via, mpesa_receipt,
                                      paid_amount, paid_at, checkout_request_id)
                VALUES (\(user), \(course), 5000, '254712345678', 'completed', 'callback', 'TKR1ROUTE1', 5000, now(),
                        'ws_CO_ROUTER_0001')
                RETURNING id
                """
            ).first?.decode(Int64.self, "id") ?? 0
        }
    }

    static func count(_ db: PostgresConnection, _ sql: SQLQuery) async throws -> Int {
        try await db.query(sql).first?.decode(Int.self, at: 0) ?? -1
    }

    @Test("the right password signs in (a session cookie, the overview); a wrong one is refused with no session")
    func signIn() async throws {
        try await Self.withConsole { client, _ in
            let anonymous = try await client.execute(uri: "/console/", method: .get, headers: [:], body: nil)
            #expect(anonymous.status == .seeOther)
            #expect(anonymous.headers[.location] == "/console/login?next=/console/")

            let (good, browser) = try await Self.signIn(client, "ada@example.com")
            #expect(good.status == .seeOther)
            #expect(good.headers[.location] == "/console/")
            let signedIn = try #require(browser)
            let overview = try await signedIn.get("/console/")
            #expect(overview.status == .ok)
            #expect(String(buffer: overview.body).contains("ada@example.com · admin"))
            #expect(overview.headers[.contentSecurityPolicy]?.contains("default-src 'self'") == true)

            let (bad, refused) = try await Self.signIn(client, "ada@example.com", password: "not-the-password-1")
            #expect(bad.status == .unauthorized)
            #expect(refused == nil)
            #expect(String(buffer: bad.body).contains("Email or password is wrong"))
            #expect(!Self.cookies(bad).contains { $0.hasPrefix("__Host-recon_session=") })

            // The sign-in form without the sign-in page's own cookie is refused before any password is read.
            let forged = try await client.execute(
                uri: "/console/login", method: .post, headers: [.contentType: "application/x-www-form-urlencoded"],
                body: ByteBuffer(string: "csrf_token=x&email=ada%40example.com&password=\(Self.password)"))
            #expect(forged.status == .forbidden)
        } check: { (db: PostgresConnection) async throws in
            #expect(try await Self.count(db, "SELECT count(*) FROM console_sessions") == 1)
        }
    }

    @Test("a form without the session's CSRF token, or with a wrong one, gets 403 and changes nothing")
    func csrfRefusal() async throws {
        try await Self.withConsole { client, _ in
            let browser = try #require(try await Self.signIn(client, "ada@example.com").browser)
            for token in ["", "&csrf_token=wrong-token", "&csrf_token="] {
                let answer = try await browser.post(
                    "/console/refunds", "payment_id=1&amount=100&reason=forged" + token)
                #expect(answer.status == .forbidden, "token \(token)")
                #expect(String(buffer: answer.body).contains("Nothing was changed."))
            }
            let logout = try await browser.post("/console/logout", "")
            #expect(logout.status == .forbidden)
            #expect(try await browser.get("/console/").status == .ok, "the session outlives a forged logout")
        } check: { (db: PostgresConnection) async throws in
            #expect(try await Self.count(db, "SELECT count(*) FROM refunds") == 0)
        }
    }

    @Test("finance is refused the admin's forms and unmasked reports, even with a valid CSRF token")
    func roleRefusal() async throws {
        try await Self.withConsole { client, _ in
            let finance = try #require(try await Self.signIn(client, "fin@example.com").browser)
            let overview = try await finance.get("/console/")
            #expect(String(buffer: overview.body).contains("fin@example.com · finance"))
            for (path, form) in [
                ("/console/refunds", "payment_id=1&amount=100&reason=finance"),
                ("/console/refunds/1/approve", ""), ("/console/payments/1/decide", "verdict=not_paid"),
                ("/console/exceptions/1/resolve", "note=finance"),
            ] {
                let answer = try await finance.post(path, form + "&csrf_token=\(finance.csrf)")
                #expect(answer.status == .forbidden, "\(path)")
                #expect(String(buffer: answer.body).contains("Only an admin may do this."), "\(path)")
            }
            let unmasked = try await finance.get("/console/reports/unmasked/2026-01-01_2026-01-02/x.csv")
            #expect(unmasked.status == .forbidden)
            // The same token on a form finance may use goes through (the refusal above is the role, not the token).
            let report = try await finance.post(
                "/console/reports", "from=2026-01-01&to=2026-01-02&csrf_token=\(finance.csrf)")
            #expect(report.status == .seeOther)
        } check: { (db: PostgresConnection) async throws in
            #expect(try await Self.count(db, "SELECT count(*) FROM refunds") == 0)
        }
    }

    @Test("an admin proposes a refund from a completed payment's page; the next page says so, once")
    func refundProposal() async throws {
        try await Self.withConsole(seed: Self.completedPayment) { client, id in
            let admin = try #require(try await Self.signIn(client, "ada@example.com").browser)
            let page = try await admin.get("/console/payments/\(id)")
            #expect(page.status == .ok)
            #expect(Self.field("payment_id", in: page) == "\(id)")
            #expect(String(buffer: page.body).contains("Propose refund"))

            let proposed = try await admin.post(
                "/console/refunds",
                "payment_id=\(id)&amount=1%2C500&reason=course+started+late&csrf_token=\(admin.csrf)")
            #expect(proposed.status == .seeOther)
            let location = try #require(proposed.headers[.location])
            #expect(location.hasPrefix("/console/refunds/"))
            #expect(proposed.headers[.init("X-Recon-Flash-Notice") ?? .contentType] == nil)
            let refund = try await admin.get(location)
            #expect(refund.status == .ok)
            let text = String(buffer: refund.body)
            #expect(text.contains("Refund proposed; another admin must approve it."))
            #expect(text.contains("course started late") && text.contains("KES 1,500.00"))
            #expect(!String(buffer: try await admin.get(location).body).contains("Refund proposed;"))
        } check: { (db: PostgresConnection) async throws in
            let row = try #require(
                try await db.query("SELECT status, amount::text AS amount, reason FROM refunds").first)
            #expect(try row.decode(String.self, "status") == "proposed")
            #expect(try row.decode(String.self, "amount") == "1500.00")
            #expect(try row.decode(String.self, "reason") == "course started late")
        }
    }
}
