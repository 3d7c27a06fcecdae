import Daraja
import DarajaSimulator
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
import Synchronization

/// What every fixture has: a fresh migrated database with the seeded admins, the application's pool (as the runtime
/// role), the retry schedule and the clock the jobs read. The seeding and reading helpers are written once, here.
protocol DatabaseFixture: Sendable {
    var database: TestDatabase { get }
    var db: PostgresConnection { get }
    var pool: ConnectionPool { get }
    var schedule: RetrySchedule { get }
    /// The jobs' clock: the wall clock unless the test passed a ``TestClock`` to move by hand.
    var clock: any ReconClock { get }
    func stop() async
}

extension DatabaseFixture {
    /// Runs `body` with the fixture and stops it afterwards, whatever happens.
    static func using<T>(_ fixture: Self, _ body: (Self) async throws -> T) async throws -> T {
        do {
            let value = try await body(fixture)
            await fixture.stop()
            return value
        } catch {
            await fixture.stop()
            throw error
        }
    }
}

/// A fresh database and the pool, and no server: for the tests of SQL, stores, desks and jobs that make no HTTP call
/// (no simulator, no callback endpoint, no curl thread to start and stop).
struct DatabaseStack: DatabaseFixture {
    let database: TestDatabase
    let db: PostgresConnection
    let pool: ConnectionPool
    let schedule: RetrySchedule
    let clock: any ReconClock

    static func start(schedule: RetrySchedule = .standard, clock: any ReconClock = .system) async throws -> Self {
        let database = try await TestDatabase.create()
        let db = try await PostgresConnection.connect(database.settings)
        // The admin accounts the refund tests act as (maker-checker is bound to accounts).
        try await db.withTransaction { db in
            for name in Stack.admins {
                let id = try UserStore.insert(db, email: "\(name)@example.com", fullName: name)
                try UserStore.grant(db, id: id, role: .admin)
            }
        }
        // The application runs as the runtime role `migrate` grants, as deployed: its grants must be enough.
        let pool = ConnectionPool(settings: database.runtimeSettings, maxConnections: 12)
        return DatabaseStack(database: database, db: db, pool: pool, schedule: schedule, clock: clock)
    }

    func stop() async {
        await pool.close()
        await db.close()
        try? await database.drop()
    }

    static func with<T>(
        schedule: RetrySchedule = .standard, clock: any ReconClock = .system, _ body: (DatabaseStack) async throws -> T
    ) async throws -> T {
        try await using(try await start(schedule: schedule, clock: clock), body)
    }
}

/// The whole product on loopback for one test: a ``DatabaseStack``, the Daraja simulator, the callback endpoint,
/// and a Daraja client whose callback URL points at the endpoint.
struct Stack: DatabaseFixture {
    static let token = "test-callback-token-0123456789"
    /// The bearer token `/metrics` asks for on every stack.
    static let metricsToken = "test-metrics-token-0123456789"
    /// The header that presents it.
    static let metricsAuthorization = HTTPHeader(name: "Authorization", value: "Bearer \(metricsToken)")
    /// Admin accounts seeded in every stack's database, as `NAME@example.com`.
    static let admins = ["alice", "bob", "carol"]
    /// The login throttle of every stack unless a test names another: production's, but each login costs 2 000
    /// PBKDF2 iterations instead of 870 000. Hundreds of logins share two cores and one hashing gate in a test run;
    /// at production cost they queue past the HTTP deadline. Tests of the cost itself pass ``LoginThrottle()``.
    static let quickLogins = LoginThrottle(passwordIterations: 2_000)

    let base: DatabaseStack
    let simulator: DarajaSimulator
    let simulatorServer: RunningServer
    let endpoint: CallbackRoutes
    let callbackServer: RunningServer
    let client: DarajaClient
    let http: HTTPClient
    let spool: URL
    /// The `api` group's token service, when the stack serves it (`start(api: true)`).
    let tokens: TokenService?

    var database: TestDatabase { base.database }
    var db: PostgresConnection { base.db }
    var pool: ConnectionPool { base.pool }
    var schedule: RetrySchedule { base.schedule }
    var clock: any ReconClock { base.clock }

    var callbackURL: String { "\(callbackServer.baseURL)/api/payments/callback/?token=\(Self.token)" }

    /// The HS256 key the API stacks share with "the LMS" (PyJWT in the tests).
    static let jwtKey = "test-lms-signing-key-0123456789abcdef"

    static func start(
        schedule: RetrySchedule = .standard, scenario: Scenario? = nil, api: Bool = false, console: Bool = false,
        addressPolicy: AddressPolicy = AddressPolicy(), throttle: LoginThrottle = Stack.quickLogins,
        clock: any ReconClock = .system
    ) async throws -> Stack {
        let base = try await DatabaseStack.start(schedule: schedule, clock: clock)
        let pool = base.pool
        let key = SimulatorKeys.privateKeyPEM
        let simulator = DarajaSimulator(
            decryptCredential: { try? SecurityCredential.decrypt(base64: $0, privateKeyPEM: key.utf8) })
        if let scenario { await simulator.setScenario(scenario) }
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        let simulatorServer = try await RunningServer.start(
            simulator.router(), serverName: "daraja-sim", logger: logger)
        let spool = FileManager.default.temporaryDirectory.appendingPathComponent("spool-\(UUID().uuidString)")
        // The API's Daraja client must point at this very server's callback route: built after it listens, so the
        // API reaches it through a box filled below.
        let box = ClientBox()
        var tokens: TokenService?
        if api { tokens = try await TokenService(settings: .hs256(secret: jwtKey)) }
        let application = try ReconApplication(
            ServerConfiguration(
                port: 0, callbackToken: token, spoolDirectory: spool, schedule: schedule, sweepIntervalSeconds: 3600,
                routes: [.callbacks] + (api ? [.api] : []) + (console ? [.console] : []), metricsToken: metricsToken,
                api: tokens.map { tokens in
                    APIConfiguration(
                        tokens: tokens,
                        initiator: PaymentInitiator(
                            pool: pool, client: box, schedule: schedule, logger: logger, clock: clock),
                        approvals: Stack.approvals, throttle: throttle, addressPolicy: addressPolicy)
                },
                console: ConsoleConfiguration(
                    reportsDirectory: spool.appendingPathComponent("reports").path, approvals: Stack.approvals,
                    throttle: throttle, addressPolicy: addressPolicy)),
            pool: pool, logger: logger, clock: clock)
        let endpoint = application.callbacks
        let callbackServer = try await application.start()
        let config = SimulatorConfiguration()
        let callbackBase = callbackServer.baseURL
        let http = HTTPClient()
        let client = DarajaClient(
            configuration: DarajaClientConfiguration(
                baseURL: simulatorServer.baseURL, consumerKey: config.consumerKey,
                consumerSecret: config.consumerSecret,
                shortcode: config.shortcode, passkey: config.passkey,
                callbackURL: "\(callbackBase)/api/payments/callback/?token=\(token)",
                b2c: B2CConfiguration(
                    shortcode: config.b2cShortcode, initiatorName: config.initiatorName,
                    securityCredential: try SecurityCredential.encrypt(
                        password: config.initiatorPassword, certificatePEM: SimulatorKeys.certificatePEM.utf8),
                    resultURL: "\(callbackBase)/api/payments/b2c/result/?token=\(token)",
                    timeoutURL: "\(callbackBase)/api/payments/b2c/timeout/?token=\(token)"),
                requestTimeout: .seconds(5)),
            http: http, logger: logger)
        box.client.withLock { $0 = client }
        return Stack(
            base: base, simulator: simulator, simulatorServer: simulatorServer, endpoint: endpoint,
            callbackServer: callbackServer, client: client, http: http, spool: spool, tokens: tokens)
    }

    func stop() async {
        await callbackServer.stop()
        await simulatorServer.stop()
        await base.stop()
        try? FileManager.default.removeItem(at: spool)
    }

    static func with<T>(
        schedule: RetrySchedule = .standard, scenario: Scenario? = nil, api: Bool = false, console: Bool = false,
        addressPolicy: AddressPolicy = AddressPolicy(), throttle: LoginThrottle = Stack.quickLogins,
        clock: any ReconClock = .system, _ body: (Stack) async throws -> T
    ) async throws -> T {
        try await using(
            try await start(
                schedule: schedule, scenario: scenario, api: api, console: console, addressPolicy: addressPolicy,
                throttle: throttle, clock: clock),
            body)
    }
}

// MARK: Seeding and reading

extension DatabaseFixture {
    /// A learner and a course at `price` KES; returns (user id, course id).
    func seedLearner(price: Int64 = 5000, active: Bool = true) async throws -> (Int64, Int64) {
        let email = "learner-\(UUID().uuidString.prefix(8))@example.com"
        return try await db.withTransaction { db in
            let user =
                try db.query("INSERT INTO users (email, full_name) VALUES (\(email), 'Wanjiku') RETURNING id")
                .first?.decode(Int64.self, "id") ?? 0
            let course =
                try db.query(
                    "INSERT INTO courses (title, price, is_active) VALUES ('German A1', \(price), \(active)) RETURNING id"
                ).first?.decode(Int64.self, "id") ?? 0
            return (user, course)
        }
    }

    /// A pending payment with a known CheckoutRequestID, due now (no STK Push).
    func seedPending(checkoutID: String, amount: Int64 = 5000) async throws -> Int64 {
        let (user, course) = try await seedLearner(price: amount)
        return try await db.query(
            """
            INSERT INTO payments (user_id, course_id, amount, phone, checkout_request_id, status, next_check_at)
            VALUES (\(user), \(course), \(amount), '254708374149', \(checkoutID), 'pending', now())
            RETURNING id
            """
        ).first?.decode(Int64.self, "id") ?? 0
    }

    func payment(_ id: Int64) async throws -> PaymentRecord? {
        try await db.run { db throws(PostgresError) in try PaymentStore.load(db, id: id) }
    }

    func count(_ sql: SQLQuery) async throws -> Int {
        try await db.query(sql).first?.decode(Int.self, at: 0) ?? -1
    }

    /// Makes every pending payment due now (instead of waiting for the schedule).
    func makeDue() async throws {
        try await db.query("UPDATE payments SET next_check_at = now() - interval '1 second' WHERE status = 'pending'")
    }
}

// MARK: Through the servers

extension Stack {
    /// Starts a payment through `pay`'s own code path.
    func pay(price: Int64 = 5000) async throws -> StartedPayment {
        let (user, course) = try await seedLearner(price: price)
        return try await PaymentInitiator(
            pool: pool, client: client, schedule: schedule, logger: Logger(label: "t"), clock: clock
        )
        .start(userID: user, courseID: course, phone: try MSISDN(parsing: "0708374149"), amount: nil)
    }

    /// Posts a raw body to one of the endpoint's routes.
    func post(
        _ path: String = "/api/payments/callback/", body: String, token: String? = Stack.token
    ) async throws
        -> HTTPResponse
    {
        let query = token.map { "?token=\($0)" } ?? ""
        let response = try await http.send(.postJSON(callbackServer.baseURL + path + query, body: Array(body.utf8)))
        // The answer means "stored"; applying follows off the request path, so wait for it before looking.
        await endpoint.caughtUp()
        return response
    }

    /// Waits until the simulator's callbacks were answered and the endpoint applied them.
    func waitForCallbacks() async {
        await simulator.waitForCallbacks()
        await endpoint.caughtUp()
    }

    func settle(_ options: SettleOptions? = nil) async throws -> SettleSummary {
        try await SettleJob(
            pool: pool, client: client, options: options ?? SettleOptions(schedule: schedule),
            logger: Logger(label: "t"), clock: clock
        ).run()
    }
}

/// The API's STK pusher, filled in once the Daraja client (which needs the server's address) exists.
final class ClientBox: StkPushing {
    let client = Mutex<DarajaClient?>(nil)

    func stkPush(phone: MSISDN, amount: Money, accountReference: String, description: String) async -> StkPushOutcome {
        guard let client = client.withLock({ $0 }) else { return .notSent("no client yet") }
        return await client.stkPush(
            phone: phone, amount: amount, accountReference: accountReference, description: description)
    }
}

/// STK callback bodies in the shapes DARAJA.md §4 records.
enum Bodies {
    static func success(_ checkoutID: String, receipt: String = "QKH94M1Z11", amount: String = "5000.00") -> String {
        """
        {"Body":{"stkCallback":{"MerchantRequestID":"29115-34620561-1","CheckoutRequestID":"\(checkoutID)",\
        "ResultCode":0,"ResultDesc":"The service request is processed successfully.","CallbackMetadata":{"Item":[\
        {"Name":"Amount","Value":\(amount)},{"Name":"MpesaReceiptNumber","Value":"\(receipt)"},{"Name":"Balance"},\
        {"Name":"TransactionDate","Value":20261129093554},{"Name":"PhoneNumber","Value":254708374149}]}}}}
        """
    }

    static func failure(_ checkoutID: String, code: String, quoted: Bool = false) -> String {
        let value = quoted ? "\"\(code)\"" : code
        return """
            {"Body":{"stkCallback":{"MerchantRequestID":"29115-34620561-1","CheckoutRequestID":"\(checkoutID)",\
            "ResultCode":\(value),"ResultDesc":"Request cancelled by user"}}}
            """
    }
}
