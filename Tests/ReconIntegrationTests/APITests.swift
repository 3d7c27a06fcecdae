import DarajaSimulator
import Foundation
import HTTPServerKit
import ReconCore
import ReconHTTP
import ReconIdentity
import ReconPostgres
import ReconServer
import ReconTestSupport
import Testing

extension DatabaseFixture {
    /// An account with a password (fewer PBKDF2 iterations than production, to keep tests quick) and roles.
    @discardableResult
    func account(
        _ email: String, password: String = "pass-word-123", roles: [Role] = [], iterations: Int = 1_000
    ) async throws -> Int64 {
        let hash = try DjangoPassword.make(password, iterations: iterations)
        return try await db.withTransaction { db in
            let id = try UserStore.insert(db, email: email, fullName: email)
            try UserStore.setPassword(db, id: id, hash: hash)
            for role in roles { try UserStore.grant(db, id: id, role: role) }
            return id
        }
    }
}

/// The `api` route group over loopback HTTP: the real PostgreSQL, the simulator, tokens as the LMS makes them.
extension Stack {
    struct Answer {
        var status: Int
        var text: String
        var object: [String: Any] {
            (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any] ?? [:]
        }
        var array: [[String: Any]] {
            (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [[String: Any]] ?? []
        }
    }

    func call(
        _ method: String, _ path: String, token: String? = nil, json: String? = nil, headers: [HTTPHeader] = []
    ) async throws -> Answer {
        var all = headers
        if let token { all.append(HTTPHeader(name: "Authorization", value: "Bearer \(token)")) }
        let url = callbackServer.baseURL + path
        let request: HTTPRequest =
            method == "GET" ? .get(url, headers: all) : .postJSON(url, body: Array((json ?? "{}").utf8), headers: all)
        let response = try await http.send(request)
        return Answer(status: response.status, text: response.bodyText)
    }

    func login(_ email: String, _ password: String = "pass-word-123") async throws -> String {
        let answer = try await call(
            "POST", "/api/auth/login/", json: #"{"email":"\#(email)","password":"\#(password)"}"#)
        guard answer.status == 200, let access = answer.object["access"] as? String else {
            throw LoginFailed(status: answer.status)
        }
        return access
    }

    struct LoginFailed: Error {
        var status: Int
    }

    func germanA1(price: Int64 = 5000, active: Bool = true) async throws -> Int64 {
        try await db.query(
            "INSERT INTO courses (title, price, is_active) VALUES ('German A1', \(price), \(active)) RETURNING id"
        ).first?.decode(Int64.self, "id") ?? 0
    }

    func initiate(_ token: String, course: Int64, amount: String = "5000", key: String? = nil) async throws -> Answer {
        try await call(
            "POST", "/api/payments/initiate/", token: token,
            json: #"{"phone":"254708374149","amount":\#(amount),"course_id":\#(course)}"#,
            headers: key.map { [HTTPHeader(name: "Idempotency-Key", value: $0)] } ?? [])
    }
}

@Suite("Payments API (the LMS guide's endpoints)")
struct APITests {
    @Test("the guide's testing checklist, end to end")
    func guideChecklist() async throws {
        try await Stack.with(api: true) { stack in
            // Get JWT Token (a learner whose Django hash has the production iteration count).
            try await stack.account("wanjiku@example.com", password: "Ich-lerne-Deutsch", iterations: 870_000)
            let course = try await stack.germanA1()
            let token = try await stack.login("wanjiku@example.com", "Ich-lerne-Deutsch")

            // Can initiate STK Push payment.
            let started = try await stack.initiate(token, course: course)
            #expect(started.status == 200, "\(started.text)")
            #expect(started.object["success"] as? Bool == true)
            #expect(started.object["message"] as? String == "STK Push initiated successfully")
            let checkout = try #require(started.object["checkout_request_id"] as? String)
            #expect(started.object["merchant_request_id"] is String)
            let id = try #require(started.object["payment_id"] as? Int)

            // Receive STK Push on phone, complete payment with PIN, receive callback from M-Pesa.
            await stack.waitForCallbacks()
            #expect(await stack.simulator.ledger().stk.contains { $0.checkoutRequestID == checkout })

            // Payment status updates to "completed"; can check payment status via API.
            var status = try await stack.call("GET", "/api/payments/\(id)/status/", token: token)
            for _ in 0..<50 where status.object["status"] as? String != "completed" {
                try await Task.sleep(for: .milliseconds(100))
                status = try await stack.call("GET", "/api/payments/\(id)/status/", token: token)
            }
            #expect(status.status == 200)
            #expect(status.object["status"] as? String == "completed")
            #expect(status.object["amount"] as? String == "5000.00")
            #expect(status.object["checkout_request_id"] as? String == checkout)
            #expect(status.object["phone"] as? String == "254708374149")
            #expect((status.object["mpesa_receipt"] as? String)?.isEmpty == false)
            let created = try #require(status.object["created_at"] as? String)
            #expect(created.hasSuffix("Z") && created.count == 20)

            // User gets enrolled in course.
            #expect(try await stack.count("SELECT count(*) FROM enrollments WHERE payment_id = \(Int64(id))") == 1)

            // Can view payment history.
            let mine = try await stack.call("GET", "/api/payments/my/", token: token)
            #expect(mine.status == 200)
            #expect(mine.array.count == 1)
            #expect(mine.array.first?["id"] as? Int == id)
            #expect(mine.array.first?["course"] as? String == "German A1")
            #expect(mine.array.first?["amount"] as? String == "5000.00")
            #expect(mine.array.first?["status"] as? String == "completed")
        }
    }

    @Test("a token made by PyJWT with the shared key and SimpleJWT's claims is accepted; bad tokens get 401 detail")
    func lmsTokens() async throws {
        try await Stack.with(api: true) { stack in
            let learner = try await stack.account("amani@example.com")
            let lms = try pyjwtToken(key: Stack.jwtKey, userID: String(learner))
            let ok = try await stack.call("GET", "/api/payments/my/", token: lms)
            #expect(ok.status == 200 && ok.text == "[]")

            let cases: [(String, String)] = [
                (try pyjwtToken("none", key: "", userID: String(learner)), "Given token not valid for any token type"),
                (
                    try pyjwtToken(key: "wrong-key-0123456789abcdefghijklmno", userID: String(learner)),
                    "Given token not valid for any token type"
                ),
                (
                    try pyjwtToken("HS512", key: Stack.jwtKey, userID: String(learner)),
                    "Given token not valid for any token type"
                ),
                (try pyjwtToken(key: Stack.jwtKey, expiresIn: -120, userID: String(learner)), "Token is expired"),
                (try pyjwtToken(key: Stack.jwtKey, type: "refresh", userID: String(learner)), "Token has wrong type"),
                (try pyjwtToken(key: Stack.jwtKey, userID: "999999"), "User not found"),
            ]
            for (token, detail) in cases {
                let answer = try await stack.call("GET", "/api/payments/my/", token: token)
                #expect(answer.status == 401 && answer.object["detail"] as? String == detail, "\(answer.text)")
            }
            let none = try await stack.call("GET", "/api/payments/my/")
            #expect(none.status == 401)
            #expect(none.object["detail"] as? String == "Authentication credentials were not provided.")
            try await stack.db.query("UPDATE users SET is_active = false WHERE id = \(learner)")
            let inactive = try await stack.call("GET", "/api/payments/my/", token: lms)
            #expect(inactive.status == 401 && inactive.object["detail"] as? String == "User is inactive")
        }
    }

    @Test("login and refresh as SimpleJWT answers them; throttled after 5 failures; no user enumeration")
    func loginRefreshThrottle() async throws {
        try await Stack.with(api: true) { stack in
            try await stack.account("kamau@example.com")
            let pair = try await stack.call(
                "POST", "/api/auth/login/", json: #"{"email":"Kamau@Example.com","password":"pass-word-123"}"#)
            #expect(pair.status == 200)
            let refresh = try #require(pair.object["refresh"] as? String)
            let access = try #require(pair.object["access"] as? String)
            let renewed = try await stack.call("POST", "/api/auth/refresh/", json: #"{"refresh":"\#(refresh)"}"#)
            #expect(renewed.status == 200 && renewed.object["access"] is String && renewed.object["refresh"] is String)
            let accessAsRefresh = try await stack.call("POST", "/api/auth/refresh/", json: #"{"refresh":"\#(access)"}"#)
            #expect(accessAsRefresh.status == 401)

            let wrong = try await stack.call(
                "POST", "/api/auth/login/", json: #"{"email":"kamau@example.com","password":"nope-nope"}"#)
            let unknown = try await stack.call(
                "POST", "/api/auth/login/", json: #"{"email":"ghost@example.com","password":"nope-nope"}"#)
            #expect(wrong.status == 401 && unknown.status == 401 && wrong.text == unknown.text)
            #expect(wrong.object["detail"] as? String == "No active account found with the given credentials")
            for _ in 0..<4 {
                _ = try await stack.call(
                    "POST", "/api/auth/login/", json: #"{"email":"kamau@example.com","password":"nope-nope"}"#)
            }
            let locked = try await stack.call(
                "POST", "/api/auth/login/", json: #"{"email":"kamau@example.com","password":"pass-word-123"}"#)
            #expect(locked.status == 429, "5 failures lock the account for 15 minutes, even with the right password")
            let lockedGhost = try await stack.call(
                "POST", "/api/auth/login/", json: #"{"email":"ghost@example.com","password":"x"}"#)
            #expect(lockedGhost.status == 401, "one failure so far for an unknown email")
        }
    }

    @Test("learner A cannot see B's payment (404); learners get 403 on admin routes; finance sees masked phones")
    func visibility() async throws {
        try await Stack.with(api: true) { stack in
            try await stack.account("a@example.com")
            try await stack.account("b@example.com")
            try await stack.account("fin@example.com", roles: [.finance])
            try await stack.account("adm@example.com", roles: [.admin])
            let course = try await stack.germanA1()
            let a = try await stack.login("a@example.com")
            let b = try await stack.login("b@example.com")
            let started = try await stack.initiate(a, course: course)
            let id = try #require(started.object["payment_id"] as? Int)
            #expect(try await stack.call("GET", "/api/payments/\(id)/status/", token: b).status == 404)
            #expect(try await stack.call("GET", "/api/payments/999999/status/", token: b).status == 404)
            #expect(try await stack.call("GET", "/api/payments/\(id)/status/", token: a).status == 200)
            #expect(try await stack.call("GET", "/api/payments/my/", token: b).text == "[]")
            #expect(try await stack.call("GET", "/api/payments/admin/", token: a).status == 403)
            let b2c = try await stack.call(
                "POST", "/api/payments/b2c/", token: a, json: #"{"payment_id":\#(id),"amount":100,"reason":"x"}"#)
            #expect(b2c.status == 403)

            let finance = try await stack.login("fin@example.com")
            let list = try await stack.call("GET", "/api/payments/admin/?q=4149", token: finance)
            #expect(list.status == 200 && list.object["count"] as? Int == 1, "\(list.text)")
            let row = try #require((list.object["results"] as? [[String: Any]])?.first)
            #expect(row["phone"] as? String == "2547****4149" && row["amount"] as? String == "5000.00")
            #expect(list.object["next"] is NSNull && list.object["previous"] is NSNull)
            let admin = try await stack.login("adm@example.com")
            let full = try await stack.call("GET", "/api/payments/admin/?course_id=\(course)&page_size=1", token: admin)
            #expect((full.object["results"] as? [[String: Any]])?.first?["phone"] as? String == "254708374149")
            let none = try await stack.call("GET", "/api/payments/admin/?status=failed", token: admin)
            #expect(none.object["count"] as? Int == 0)
            #expect(
                try await stack.call("GET", "/api/payments/\(id)/status/", token: finance).object["phone"] as? String
                    == "2547****4149")
        }
    }

    @Test("initiate: 409 on a second pending one, Idempotency-Key replays the first answer, 400 on bad input")
    func initiateRules() async throws {
        var scenario = Scenario()
        scenario.stkOutcomes = [.neverResolves: 1]
        try await Stack.with(scenario: scenario, api: true) { stack in
            try await stack.account("njeri@example.com")
            let course = try await stack.germanA1()
            let token = try await stack.login("njeri@example.com")
            let first = try await stack.initiate(token, course: course, key: "retry-1")
            #expect(first.status == 200, "\(first.text)")
            let again = try await stack.initiate(token, course: course, key: "retry-1")
            #expect(again.status == 200 && again.text == first.text, "the retried request gets the first answer")
            let other = try await stack.initiate(token, course: course, amount: "4000", key: "retry-1")
            #expect(other.status == 422)
            let second = try await stack.initiate(token, course: course)
            #expect(second.status == 409)
            #expect(second.object["payment_id"] as? Int == first.object["payment_id"] as? Int)
            #expect(try await stack.count("SELECT count(*) FROM payments") == 1)
            #expect(await stack.simulator.ledger().stk.count == 1, "one STK Push for all of it")

            let other2 = try await stack.germanA1(price: 7000)
            #expect(try await stack.initiate(token, course: other2, amount: "5000").status == 400)
            let inactive = try await stack.germanA1(active: false)
            #expect(try await stack.initiate(token, course: inactive).status == 400)
            let badPhone = try await stack.call(
                "POST", "/api/payments/initiate/", token: token,
                json: #"{"phone":"12345","amount":7000,"course_id":\#(other2)}"#)
            #expect(badPhone.status == 400 && badPhone.object["success"] as? Bool == false)
            let noAmount = try await stack.call(
                "POST", "/api/payments/initiate/", token: token, json: #"{"phone":"0708374149","course_id":\#(other2)}"#
            )
            #expect(noAmount.status == 200, "no amount means the course price")
        }
    }

    @Test("initiate: PaymentInitiator's refusals are answered in the words and statuses the LMS has always seen")
    func initiateRefusals() async throws {
        // The first push stays pending (no callback, no answer), so the second must meet it.
        var scenario = Scenario()
        scenario.stkOutcomes = [.neverResolves: 1]
        try await Stack.with(scenario: scenario, api: true) { stack in
            try await stack.account("wairimu@example.com")
            let token = try await stack.login("wairimu@example.com")
            let course = try await stack.germanA1(price: 7000)
            let closed = try await stack.germanA1(active: false)
            func initiate(_ fields: String) async throws -> String {
                let answer = try await stack.call(
                    "POST", "/api/payments/initiate/", token: token, json: #"{"phone":"0708374149",\#(fields)}"#)
                return "\(answer.status) \(answer.text)"
            }
            let cases = [
                (#""course_id":999999"#, #"400 {"message":"Course not found","success":false}"#),
                (#""course_id":\#(closed)"#, #"400 {"message":"This course is not open for payment","success":false}"#),
                (
                    #""course_id":\#(course),"amount":"5000""#,
                    #"400 {"message":"The amount must equal the course price (7000.00)","success":false}"#
                ),
                (
                    #""course_id":\#(course),"account_reference":" 1234567890123 ""#,
                    #"400 {"message":"account_reference must be 1 to 12 characters","success":false}"#
                ),
                (
                    #""course_id":\#(course),"transaction_desc":"  ""#,
                    #"400 {"message":"transaction_desc must be 1 to 13 characters","success":false}"#
                ),
            ]
            for (fields, expected) in cases {
                #expect(try await initiate(fields) == expected, "\(fields)")
            }
            #expect(try await stack.count("SELECT count(*) FROM payments") == 0)
            let first = try await initiate(#""course_id":\#(course),"account_reference":"GER-A1 ""#)
            #expect(first.hasPrefix("200 "), "\(first)")
            let second = try await initiate(#""course_id":"\#(course)","amount":7000"#)
            #expect(
                second
                    == #"409 {"message":"A payment for this course is already pending","payment_id":1,"success":false}"#
            )
        }
    }

    @Test("b2c proposes; the proposer cannot approve through the API; another admin approves; nothing is sent")
    func refundsThroughAPI() async throws {
        try await Stack.with(api: true) { stack in
            try await stack.account("ann@example.com", roles: [.admin])
            try await stack.account("ben@example.com", roles: [.admin])
            let (user, course) = try await stack.learnerAndCourse()
            let payment = try await stack.seedPayment(user: user, course: course)
            let ann = try await stack.login("ann@example.com")
            let ben = try await stack.login("ben@example.com")
            let proposed = try await stack.call(
                "POST", "/api/payments/b2c/", token: ann,
                json: #"{"payment_id":\#(payment),"amount":"1000","reason":"course cancelled"}"#)
            #expect(proposed.status == 202, "\(proposed.text)")
            #expect(proposed.object["status"] as? String == "proposed" && proposed.object["success"] as? Bool == true)
            let refund = try #require(proposed.object["refund_id"] as? Int)
            let own = try await stack.call("POST", "/api/payments/b2c/\(refund)/approve/", token: ann)
            #expect(own.status == 403 && own.object["success"] as? Bool == false)
            let noReason = try await stack.call("POST", "/api/payments/b2c/\(refund)/reject/", token: ben, json: "{}")
            #expect(noReason.status == 400)
            let approved = try await stack.call("POST", "/api/payments/b2c/\(refund)/approve/", token: ben)
            #expect(approved.status == 200 && approved.object["status"] as? String == "approved", "\(approved.text)")
            let twice = try await stack.call("POST", "/api/payments/b2c/\(refund)/approve/", token: ben)
            #expect(twice.status == 409)
            #expect(await stack.simulator.ledger().payouts.isEmpty, "no handler sends money")
            let row = try #require(
                try await stack.db.query(
                    "SELECT proposed_via, approved_via, approved_by FROM refunds WHERE id = \(Int64(refund))"
                ).first)
            #expect(try row.decode(String?.self, "proposed_via") == "api")
            #expect(try row.decode(String?.self, "approved_via") == "api")
            #expect(try row.decode(String?.self, "approved_by") == "ben@example.com")
            #expect(try await stack.count("SELECT count(*) FROM audit_log WHERE channel = 'api'") == 2)
        }
    }
}

/// A token as the LMS's SimpleJWT makes it, through PyJWT (scripts/setup.sh installs it).
func pyjwtToken(
    _ algorithm: String = "HS256", key: String, type: String = "access", expiresIn: Int = 300, userID: String
) throws -> String {
    try pythonOutput([
        "-c",
        """
        import sys, time, uuid, json, jwt
        alg, key, kind, ttl, uid = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), json.loads(sys.argv[5])
        now = int(time.time())
        claims = {'token_type': kind, 'exp': now + ttl, 'iat': now, 'jti': uuid.uuid4().hex, 'user_id': uid}
        print(jwt.encode(claims, None if alg == 'none' else key, algorithm=alg))
        """,
        algorithm, key, type, String(expiresIn), userID,
    ])
}

/// What `python3 ARGUMENTS…` prints on its standard output, trimmed (the tests' tokens come from PyJWT, as the LMS's do).
func pythonOutput(_ arguments: [String]) throws -> String {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = ["python3"] + arguments
    let pipe = Pipe()
    process.standardOutput = pipe
    try process.run()
    let data = pipe.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
}
