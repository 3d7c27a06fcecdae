import Daraja
import Foundation
import HTTPServerKit
import Hummingbird
import Logging
import NIOCore
import ReconApp
import ReconCore
import ReconHTTP
import ReconPostgres
import ReconServer
import ReconTestSupport
import Synchronization
import Testing

/// An independent sender (this test, not the simulator) posts C2B-PULL.md §9's payloads through the server as
/// Daraja would, and a stand-in Daraja answers Pull with §9's bodies.
@Suite("C2B and Pull: §9's payloads through serve, each stored and classified")
struct C2BSenderTests {
    /// A learner whose number is known from an earlier (failed) STK payment, with an open enrollment reference.
    static func learner(
        _ stack: Stack, name: String, phone: String, price: Int64
    ) async throws -> (user: Int64, course: Int64, code: String) {
        let email =
            "\(name.lowercased().replacingOccurrences(of: " ", with: "."))-\(UUID().uuidString.prefix(6))@example.com"
        return try await stack.db.withTransaction { db in
            let user = try CatalogStore.insertUser(db, email: email, fullName: name)
            let course = try CatalogStore.insertCourse(db, title: "Course of \(name)", priceShillings: price)
            try db.query(
                """
                INSERT INTO payments (user_id, course_id, amount, phone, status, result_code)
                VALUES (\(user), \(course), \(price), \(phone), 'failed', '1032')
                """)
            let codes = try References.issue(db, userID: user, courseID: course, now: Date())
            return (user, course, codes.enrollment ?? "")
        }
    }

    static func status(_ stack: Stack, _ receipt: String) async throws -> String? {
        try await stack.db.query("SELECT status FROM c2b_transactions WHERE receipt = \(receipt)").first?.decode(
            String.self, "status")
    }

    static func validate(_ stack: Stack, _ body: String) async throws -> String {
        let response = try await stack.post(C2BSettings.validationPath, body: body)
        #expect(response.status == 200)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(response.body)) as? [String: String])
        return object["ResultCode"] ?? ""
    }

    @Test("validation and confirmation payloads: stored first, answered, and placed by reference, hash or mask")
    func payloads() async throws {
        try await Stack.with { stack in
            // NICHOLAS's number is 254705912645, whose SHA-256 payloads 11 and 12 carry; his course costs 2.00.
            let nicholas = try await Self.learner(stack, name: "Nicholas Songok", phone: "254705912645", price: 2)
            // PETER's number ends 845: payload 8's masked MSISDN fits it, and its FirstName is his.
            let peter = try await Self.learner(stack, name: "Peter Kamau", phone: "254712345845", price: 1)
            // An STK payment whose receipt payload 9 brings again through the C2B URL.
            let stk = try await Self.learner(stack, name: "Salim Ruru", phone: "254722810063", price: 4)
            try await stack.db.query(
                """
                INSERT INTO payments (user_id, course_id, amount, phone, status, mpesa_receipt, paid_amount, settled_via,
                                      checkout_request_id, account_reference)
                VALUES (\(stk.user), \(stk.course), 4, '254722810063', 'completed', 'SB65A1TU7X', 4, 'callback',
                        'ws_CO_stk9', '2046332')
                """)
            let valid = try await Self.learner(stack, name: "Vera Achieng", phone: "254711000111", price: 1000)

            // Validation (1–3) names no account of ours: C2B00012. Our answers have §9's shapes (4, 5).
            for number in [1, 2, 3] {
                #expect(try await Self.validate(stack, C2BPayloads.body(number)) == "C2B00012", "payload \(number)")
            }
            let template = C2BPayloads.body(3).replacingOccurrences(
                of: #""BillRefNumber":"xyz""#, with: #""BillRefNumber":" \#(valid.code.lowercased()) ""#)
            #expect(
                try await Self.validate(
                    stack,
                    template.replacingOccurrences(of: #""TransAmount":"10.00""#, with: #""TransAmount":"400.00""#))
                    == "0")
            #expect(
                try await Self.validate(
                    stack,
                    template.replacingOccurrences(of: #""TransAmount":"10.00""#, with: #""TransAmount":"1001.00""#))
                    == "C2B00013")
            #expect(try await stack.count("SELECT count(*) FROM c2b_validations") == 5)
            #expect(try await stack.count("SELECT count(*) FROM callback_inbox WHERE kind = 'c2b_validation'") == 5)
            // A validation moves no money.
            #expect(try await stack.count("SELECT count(*) FROM c2b_transactions") == 0)

            // Confirmations (6–13), and 11 twice: each acknowledged 200, stored, applied once.
            for number in [6, 7, 8, 9, 10, 11, 12, 13, 11] {
                let response = try await stack.post(C2BSettings.confirmationPath, body: C2BPayloads.body(number))
                #expect(response.status == 200, "payload \(number)")
            }
            #expect(try await stack.count("SELECT count(*) FROM callback_inbox WHERE kind = 'c2b_confirmation'") == 9)
            #expect(
                try await stack.count(
                    "SELECT count(*) FROM callback_inbox WHERE kind = 'c2b_confirmation' AND processed_at IS NULL") == 0
            )
            #expect(try await stack.count("SELECT count(*) FROM c2b_transactions") == 8)
            for receipt in ["QER3OM0QN3", "RAJ7PFM0SH", "SGM3J225DR", "LGR219G3EY"] {
                #expect(try await Self.status(stack, receipt) == "unallocated", "\(receipt)")
                #expect(
                    try await stack.count(
                        "SELECT count(*) FROM reconciliation_exceptions WHERE key = \("unallocated_payment:receipt:" + receipt) AND status = 'open'"
                    )
                        == 1)
            }
            // Masked number and first name together: Peter's.
            #expect(try await Self.status(stack, "SB62A1SVRK") == "allocated")
            #expect(
                try await stack.count(
                    "SELECT count(*) FROM payments WHERE user_id = \(peter.user) AND source = 'c2b' AND mpesa_receipt = 'SB62A1SVRK'"
                )
                    == 1)
            #expect(try await stack.count("SELECT count(*) FROM enrollments WHERE user_id = \(peter.user)") == 1)
            // The hashed MSISDN finds Nicholas; his two instalments of 1.00 reach the price of 2.00 and enroll him.
            for receipt in ["TK60708BHZ", "RFH31QHDKL"] {
                #expect(try await Self.status(stack, receipt) == "allocated")
            }
            #expect(
                try await stack.count(
                    "SELECT count(*) FROM payments WHERE user_id = \(nicholas.user) AND source = 'c2b' AND status = 'completed'"
                )
                    == 2)
            #expect(try await stack.count("SELECT count(*) FROM enrollments WHERE user_id = \(nicholas.user)") == 1)
            #expect(
                try await stack.count(
                    "SELECT count(*) FROM enrollment_references WHERE user_id = \(nicholas.user) AND status = 'paid'")
                    == 1)
            // The STK receipt arriving as a C2B confirmation: exactly one payment, provenance from both routes.
            #expect(try await Self.status(stack, "SB65A1TU7X") == "stk")
            #expect(try await stack.count("SELECT count(*) FROM payments WHERE mpesa_receipt = 'SB65A1TU7X'") == 1)
            #expect(
                try await stack.count("SELECT count(*) FROM receipt_sightings WHERE receipt = 'SB65A1TU7X'") == 2)
            // The repeated confirmation counted once more, and applied as a duplicate.
            #expect(
                try await stack.count(
                    "SELECT times FROM receipt_sightings WHERE receipt = 'TK60708BHZ' AND route = 'c2b_confirmation'")
                    == 2)
            #expect(
                try await stack.count(
                    "SELECT count(*) FROM callback_inbox WHERE reference = 'TK60708BHZ' AND outcome = 'duplicate'") == 1
            )
            // Reconcile sees balances, not underpaid or duplicate payments.
            _ = try await ReconcileJob(pool: stack.pool, logger: Logger(label: "t")).run()
            #expect(
                try await stack.count(
                    """
                    SELECT count(*) FROM reconciliation_exceptions WHERE status = 'open'
                      AND kind IN ('underpaid', 'duplicate_payment', 'paid_not_enrolled', 'overpaid')
                    """) == 0)
        }
    }

    @Test("Account Balance and Reversal results (19–25) are stored as received and claimed by no refund")
    func results() async throws {
        try await Stack.with { stack in
            for number in 19...25 {
                let response = try await stack.post("/api/payments/b2c/result/", body: C2BPayloads.body(number))
                #expect(response.status == 200, "payload \(number)")
            }
            #expect(try await stack.count("SELECT count(*) FROM callback_inbox WHERE kind = 'b2c_result'") == 7)
            #expect(
                try await stack.count(
                    "SELECT count(*) FROM callback_inbox WHERE kind = 'b2c_result' AND outcome = 'unmatched'") == 7)
            #expect(try await stack.count("SELECT count(*) FROM refunds") == 0)
        }
    }

    /// What the stand-in saw: Pull queries' bodies and how many registrations.
    final class StandInLog: Sendable {
        let queries = Mutex<[String]>([])
        let registrations = Mutex(0)
    }

    /// A stand-in Daraja answering OAuth and Pull with §9's bodies: 15 then 16 to register, 17 then 18 to query.
    static func standIn(_ log: StandInLog) async throws -> RunningServer {
        let router = Router()
        router.get("/oauth/v1/generate") { _, _ in
            Self.json(#"{"access_token":"stand-in-token","expires_in":"3599"}"#)
        }
        router.post("/pulltransactions/v1/register") { _, _ in
            let count = log.registrations.withLock { count in
                count += 1
                return count
            }
            return Self.json(C2BPayloads.body(count == 1 ? 15 : 16))
        }
        router.post("/pulltransactions/v1/query") { request, _ in
            var request = request
            let body = String(buffer: try await request.collectBody(upTo: 1 << 16))
            log.queries.withLock { $0.append(body) }
            return Self.json(C2BPayloads.body(body.contains(#""OffSetValue":"0""#) ? 17 : 18))
        }
        var logger = Logger(label: "stand-in")
        logger.logLevel = .critical
        return try await RunningServer.start(router, serverName: "stand-in-daraja", logger: logger)
    }

    static func json(_ body: String) -> Response {
        Response(
            status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(string: body)))
    }

    @Test("Pull register (15, 16) and query (17, 18): registered, already registered, five recovered, then no data")
    func pull() async throws {
        try await Stack.with { stack in
            let log = StandInLog()
            let server = try await Self.standIn(log)
            let client = DarajaClient(
                configuration: DarajaClientConfiguration(
                    baseURL: server.baseURL, consumerKey: "k", consumerSecret: "s", shortcode: "600000",
                    passkey: "p", callbackURL: "http://127.0.0.1/api/payments/callback/"),
                http: stack.http)
            let settings = stack.database.runtimeSettings
            let number = try MSISDN(parsing: "254722000000")
            let url = "\(stack.callbackServer.baseURL)\(C2BSettings.pullCallbackPath)?token=\(Stack.token)"
            let first = try await Registration.registerPull(
                settings, configuration: "default", client: client, shortcode: "600000", nominatedNumber: number,
                callbackURL: url)
            #expect(first.outcome == "registered" && first.responseCode == "1000")
            let again = try await Registration.registerPull(
                settings, configuration: "default", client: client, shortcode: "600000", nominatedNumber: number,
                callbackURL: url)
            #expect(again.outcome == "already_registered" && again.isRegistered)
            let summary = try await PullJob(pool: stack.pool, clients: ["default": client], logger: Logger(label: "t"))
                .run()
            let window = try #require(summary.windows.first)
            #expect(
                window.outcome == "covered" && window.pages == 1 && window.transactions == 5 && window.recovered == 5)
            #expect(log.queries.withLock { $0.count } == 2)
            #expect(
                try await stack.count(
                    "SELECT count(*) FROM c2b_transactions WHERE first_source = 'pull' AND status = 'unallocated'") == 5
            )
            #expect(
                try await stack.count("SELECT sum(amount)::int FROM c2b_transactions WHERE first_source = 'pull'")
                    == 168 + 647 + 876 + 687 + 93)
            #expect(try await stack.count("SELECT count(*) FROM pull_windows WHERE outcome = 'covered'") == 1)
            #expect(try await stack.count("SELECT count(*) FROM daraja_registrations WHERE api = 'pull'") == 2)
            await server.stop()
        }
    }
}
