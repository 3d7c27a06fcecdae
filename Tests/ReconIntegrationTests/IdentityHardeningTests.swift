import Foundation
import HTTPServerKit
import ReconApp
import ReconCore
import ReconHTTP
import ReconIdentity
import ReconPostgres
import ReconServer
import ReconTestSupport
import Testing

/// Raw HTTP against the stack with the answer's headers (cookies, `Cache-Control`).
extension Stack {
    func send(
        _ method: HTTPMethod, _ path: String, body: String? = nil, contentType: String = "application/json",
        headers: [HTTPHeader] = [], timeout: Duration = .seconds(30)
    ) async throws -> HTTPResponse {
        var all = headers
        if body != nil { all.append(HTTPHeader(name: "Content-Type", value: contentType)) }
        return try await http.send(
            HTTPRequest(
                method: method, url: callbackServer.baseURL + path, headers: all, body: body.map { Array($0.utf8) },
                totalTimeout: timeout))
    }

    /// `POST /api/auth/login/` from `address` (as a trusted proxy would forward it), status only.
    /// Parallel logins queue for the PBKDF2 gate (one per core, shared with every other test): a long deadline.
    func loginStatus(_ email: String, _ password: String, from address: String? = nil) async throws -> Int {
        try await send(
            .POST, "/api/auth/login/", body: #"{"email":"\#(email)","password":"\#(password)"}"#,
            headers: address.map { [HTTPHeader(name: "X-Forwarded-For", value: $0)] } ?? [], timeout: .seconds(300)
        ).status
    }

    /// The API's token pair.
    func tokenPair(_ email: String, _ password: String = "pass-word-123") async throws -> (String, String) {
        let answer = try await call(
            "POST", "/api/auth/login/", json: #"{"email":"\#(email)","password":"\#(password)"}"#)
        guard let access = answer.object["access"] as? String, let refresh = answer.object["refresh"] as? String
        else { throw LoginFailed(status: answer.status) }
        return (access, refresh)
    }

    /// Signs in to the console; returns the `Cookie` header that carries the session, or `nil` when refused.
    func consoleSession(_ email: String, _ password: String) async throws -> String? {
        let page = try await send(.GET, "/console/login")
        let cookies = Self.cookies(page)
        let html = page.bodyText
        guard let range = html.range(of: #"name="csrf_token" value=""#),
            let end = html[range.upperBound...].firstIndex(of: "\"")
        else { return nil }
        let csrf = String(html[range.upperBound..<end])
        let form =
            "csrf_token=\(csrf)&next=%2Fconsole%2F&email=\(Self.formEncode(email))&password=\(Self.formEncode(password))"
        let answer = try await send(
            .POST, "/console/login", body: form, contentType: "application/x-www-form-urlencoded",
            headers: [HTTPHeader(name: "Cookie", value: cookies)])
        guard answer.status == 303, answer.header("Location") == "/console/" else { return nil }
        return Self.cookies(answer)
    }

    /// Whether a console session cookie still opens the overview.
    func consoleOpens(_ cookie: String) async throws -> Bool {
        try await send(.GET, "/console/", headers: [HTTPHeader(name: "Cookie", value: cookie)]).status == 200
    }

    static func cookies(_ response: HTTPResponse) -> String {
        response.headers.filter { $0.name.lowercased() == "set-cookie" }
            .compactMap { $0.value.split(separator: ";").first.map(String.init) }
            .filter { !$0.hasSuffix("=") }.joined(separator: "; ")
    }

    static func formEncode(_ text: String) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        return text.addingPercentEncoding(withAllowedCharacters: allowed) ?? ""
    }

    /// An access token as the LMS signs it (HS256, shared key, SimpleJWT's claims), issued now.
    func lmsToken(userID: Int64) throws -> String {
        let now = Int64(Date().timeIntervalSince1970)
        return try hs256Token(
            #"{"token_type":"access","jti":"\#(UUID().uuidString)","user_id":\#(userID),"exp":\#(now + 300),"iat":\#(now)}"#
        )
    }
}

/// Any claims (JSON) signed with HS256 and the stack's shared key, by PyJWT as the LMS signs them.
func hs256Token(_ claims: String) throws -> String {
    try pythonOutput([
        "-c", "import sys, json, jwt; print(jwt.encode(json.loads(sys.argv[1]), sys.argv[2]))", claims, Stack.jwtKey,
    ])
}

@Suite("Login throttle: recorded before the hash is checked, keyed on the real client and on (account, address)")
struct IdentityThrottleTests {
    static let proxies = AddressPolicy(trustedProxies: [IPv4Network("127.0.0.0/8")].compactMap { $0 })

    @Test("30 parallel wrong guesses for one account from one address: at most 5 are evaluated")
    func parallelGuessesForOneAccount() async throws {
        try await Stack.with(api: true) { stack in
            try await stack.account("target@example.com", iterations: 870_000)
            let statuses = try await withThrowingTaskGroup(of: Int.self) { group in
                for index in 0..<30 {
                    group.addTask { try await stack.loginStatus("target@example.com", "wrong-guess-\(index)") }
                }
                return try await group.reduce(into: [Int]()) { $0.append($1) }
            }
            #expect(statuses.filter { $0 == 401 }.count <= 5, "\(statuses)")
            #expect(statuses.filter { $0 == 429 }.count >= 25, "\(statuses)")
            #expect(try await stack.count("SELECT count(*) FROM login_failures") <= 5)
        }
    }

    @Test("30 parallel guesses from one address for 30 accounts: at most 20 are evaluated")
    func parallelGuessesFromOneAddress() async throws {
        try await Stack.with(api: true) { stack in
            let statuses = try await withThrowingTaskGroup(of: Int.self) { group in
                for index in 0..<30 {
                    group.addTask { try await stack.loginStatus("nobody-\(index)@example.com", "guess") }
                }
                return try await group.reduce(into: [Int]()) { $0.append($1) }
            }
            #expect(statuses.filter { $0 == 401 }.count <= 20, "\(statuses)")
            #expect(statuses.filter { $0 == 429 }.count >= 10, "\(statuses)")
        }
    }

    @Test("behind a trusted proxy a stranger's failures lock out only the stranger's address, never the approver")
    func strangerCannotLockOutAnApprover() async throws {
        let throttle = LoginThrottle(slowdownSeconds: 0.05, maxSlowdownSeconds: 0.2)
        try await Stack.with(api: true, addressPolicy: Self.proxies, throttle: throttle) { stack in
            try await stack.account("approver@example.com", roles: [.admin])
            for _ in 0..<5 {
                #expect(try await stack.loginStatus("approver@example.com", "wrong-one", from: "203.0.113.5") == 401)
            }
            #expect(try await stack.loginStatus("approver@example.com", "pass-word-123", from: "203.0.113.5") == 429)
            // Other strangers add failures from elsewhere: the account slows down but is never locked.
            for host in 6..<10 {
                #expect(try await stack.loginStatus("approver@example.com", "wrong", from: "203.0.113.\(host)") == 401)
            }
            #expect(try await stack.loginStatus("approver@example.com", "pass-word-123", from: "198.51.100.7") == 200)
            // The address limit counts the real client, not the proxy: one client's 20 failures leave others alone.
            for index in 0..<20 {
                _ = try await stack.loginStatus("ghost-\(index)@example.com", "x", from: "192.0.2.1")
            }
            #expect(try await stack.loginStatus("ghost-x@example.com", "x", from: "192.0.2.1") == 429)
            #expect(try await stack.loginStatus("ghost-x@example.com", "x", from: "192.0.2.2") == 401)
        }
    }

    @Test("without trusted proxies X-Forwarded-For is ignored: a forged header does not escape the throttle")
    func forgedForwardedForIsIgnored() async throws {
        try await Stack.with(api: true) { stack in
            try await stack.account("kip@example.com")
            for index in 0..<5 {
                _ = try await stack.loginStatus("kip@example.com", "wrong", from: "203.0.113.\(index)")
            }
            #expect(try await stack.loginStatus("kip@example.com", "pass-word-123", from: "198.51.100.9") == 429)
        }
    }

    @Test("no more PBKDF2 computations run at once than the gate allows, whatever the flood")
    func hashWorkIsBounded() async throws {
        let throttle = LoginThrottle(slowdownSeconds: 0.01, maxSlowdownSeconds: 0.05)
        try await Stack.with(api: true, addressPolicy: Self.proxies, throttle: throttle) { stack in
            try await stack.account("flood@example.com", iterations: 870_000)
            _ = try await withThrowingTaskGroup(of: Int.self) { group in
                for index in 0..<12 {
                    group.addTask { try await stack.loginStatus("flood@example.com", "x", from: "192.0.2.\(index)") }
                }
                return try await group.reduce(into: [Int]()) { $0.append($1) }
            }
            let gate = PasswordHashGate.shared
            #expect(await gate.peak <= gate.limit)
            #expect(gate.limit <= max(1, ProcessInfo.processInfo.activeProcessorCount))
        }
    }
}

@Suite("Login costs the same on every path; legacy hashes upgraded; console passwords of 12 characters")
struct IdentityPasswordTests {
    @Test("an unusable password and a legacy 260 000-iteration hash answer as slowly as an unknown email")
    func everyPathCostsTheSame() async throws {
        // No slow-down, and each round from its own client address: only the password check's cost is measured.
        let throttle = LoginThrottle(slowdownSeconds: 0)
        try await Stack.with(api: true, addressPolicy: IdentityThrottleTests.proxies, throttle: throttle) { stack in
            try await stack.account("current@example.com", iterations: 870_000)
            try await stack.account("legacy@example.com", iterations: 260_000)
            let bang = try await stack.account("bang@example.com")
            try await stack.db.query("UPDATE users SET password = '!Xk2unusableDjangoPassword' WHERE id = \(bang)")
            // Round-robin, the fastest of each path: other tests share the machine and the PBKDF2 gate, and their
            // noise only ever adds time. Up to 8 rounds, until every path's fastest is within reach of the unknown
            // email's (an unusable password answered in 3 ms and a legacy hash in 80 ms against 261 ms, before).
            let emails = ["nobody@example.com", "current@example.com", "legacy@example.com", "bang@example.com"]
            var best = [Double](repeating: .infinity, count: emails.count)
            func similar() -> Bool { best.dropFirst().allSatisfy { $0 > best[0] * 0.5 } }
            for round in 0..<8 {
                for (index, email) in emails.enumerated() {
                    let start = DispatchTime.now().uptimeNanoseconds
                    #expect(try await stack.loginStatus(email, "not-the-password", from: "192.0.2.\(round)") == 401)
                    best[index] = min(best[index], Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6)
                }
                if round >= 1, similar() { break }
            }
            let times = "fastest in ms: unknown \(best[0]), current \(best[1]), legacy \(best[2]), unusable \(best[3])"
            #expect(similar(), "\(times)")
            #expect(best[0] > 100, "an unknown email costs a PBKDF2 at 870 000 iterations: \(times)")
        }
    }

    @Test("a legacy hash is re-hashed at the current count on a successful login, and its tokens stay valid")
    func legacyHashUpgradedOnLogin() async throws {
        try await Stack.with(api: true, throttle: LoginThrottle()) { stack in
            let id = try await stack.account("old@example.com", iterations: 260_000)
            let (access, _) = try await stack.tokenPair("old@example.com")
            let stored = try await stack.db.query("SELECT password FROM users WHERE id = \(id)").first?
                .decode(String.self, "password")
            #expect(stored?.hasPrefix("pbkdf2_sha256$\(DjangoPassword.defaultIterations)$") == true)
            #expect(DjangoPassword.verify("pass-word-123", against: stored ?? ""))
            #expect(try await stack.call("GET", "/api/payments/my/", token: access).status == 200)
            #expect(try await stack.loginStatus("old@example.com", "pass-word-123") == 200)
        }
    }

    @Test("a console password shorter than 12 characters is refused")
    func passwordsNeedTwelveCharacters() async throws {
        try await DatabaseStack.with { stack in
            _ = try await Accounts.add(stack.database.settings, email: "short@example.com", fullName: "S", roles: [])
            await #expect(throws: AccountRefusal.self) {
                try await Accounts.setPassword(
                    stack.database.settings, email: "short@example.com", password: "elevenchars")
            }
            try await Accounts.setPassword(
                stack.database.settings, email: "short@example.com", password: "twelve-chars")
        }
    }
}

@Suite("Credentials: a password change or a disable ends sessions and tokens; refresh rotation; logout; no-store")
struct IdentitySessionTests {
    @Test("a password change ends API tokens, refresh tokens, LMS tokens issued before it and console sessions")
    func passwordChangeEndsEverything() async throws {
        try await Stack.with(api: true, console: true) { stack in
            let id = try await stack.account("ops@example.com", password: "old-password-123", roles: [.admin])
            let (access, refresh) = try await stack.tokenPair("ops@example.com", "old-password-123")
            let lms = try stack.lmsToken(userID: id)
            let session = try #require(try await stack.consoleSession("ops@example.com", "old-password-123"))
            #expect(try await stack.consoleOpens(session))
            #expect(try await stack.call("GET", "/api/payments/my/", token: lms).status == 200)

            try await Accounts.setPassword(
                stack.database.settings, email: "ops@example.com", password: "new-password-456")
            #expect(try await stack.call("GET", "/api/payments/my/", token: access).status == 401)
            #expect(try await stack.call("GET", "/api/payments/my/", token: lms).status == 401)
            let renewed = try await stack.call("POST", "/api/auth/refresh/", json: #"{"refresh":"\#(refresh)"}"#)
            #expect(renewed.status == 401)
            #expect(try await !stack.consoleOpens(session))

            let (fresh, _) = try await stack.tokenPair("ops@example.com", "new-password-456")
            #expect(try await stack.call("GET", "/api/payments/my/", token: fresh).status == 200)
            // The LMS's tokens carry no version: one issued in a later second than the change is good.
            try await Task.sleep(for: .milliseconds(1_100))
            let later = try stack.lmsToken(userID: id)
            #expect(try await stack.call("GET", "/api/payments/my/", token: later).status == 200)
        }
    }

    @Test("disable then enable does not revive the sessions and tokens from before")
    func disableThenEnableDoesNotRevive() async throws {
        try await Stack.with(api: true, console: true) { stack in
            try await stack.account("fin@example.com", password: "finance-pass-123", roles: [.finance])
            let (access, refresh) = try await stack.tokenPair("fin@example.com", "finance-pass-123")
            let session = try #require(try await stack.consoleSession("fin@example.com", "finance-pass-123"))
            _ = try await Accounts.setActive(stack.database.settings, email: "fin@example.com", active: false)
            _ = try await Accounts.setActive(stack.database.settings, email: "fin@example.com", active: true)
            #expect(try await stack.call("GET", "/api/payments/my/", token: access).status == 401)
            #expect(
                try await stack.call("POST", "/api/auth/refresh/", json: #"{"refresh":"\#(refresh)"}"#).status == 401)
            #expect(try await !stack.consoleOpens(session))
            let again = try #require(try await stack.consoleSession("fin@example.com", "finance-pass-123"))
            #expect(try await stack.consoleOpens(again))
        }
    }

    @Test("refresh rotates: a new pair each time, the used refresh token refused; logout blacklists one")
    func refreshRotationAndLogout() async throws {
        try await Stack.with(api: true) { stack in
            try await stack.account("rot@example.com")
            let (_, first) = try await stack.tokenPair("rot@example.com")
            let rotated = try await stack.call("POST", "/api/auth/refresh/", json: #"{"refresh":"\#(first)"}"#)
            #expect(rotated.status == 200 && rotated.object["access"] is String)
            let second = try #require(rotated.object["refresh"] as? String)
            #expect(second != first)
            let reused = try await stack.call("POST", "/api/auth/refresh/", json: #"{"refresh":"\#(first)"}"#)
            #expect(reused.status == 401 && reused.object["detail"] as? String == "Token is blacklisted")

            let logout = try await stack.call("POST", "/api/auth/logout/", json: #"{"refresh":"\#(second)"}"#)
            #expect(logout.status == 200 && logout.text == "{}")
            let afterLogout = try await stack.call("POST", "/api/auth/refresh/", json: #"{"refresh":"\#(second)"}"#)
            #expect(afterLogout.status == 401)
            #expect(try await stack.call("POST", "/api/auth/logout/", json: "{}").status == 400)
            #expect(try await stack.count("SELECT count(*) FROM auth_token_blacklist") == 2)
        }
    }

    @Test("every authentication answer says Cache-Control: no-store (API login, refresh, logout; console sign-in)")
    func authenticationAnswersAreNotStored() async throws {
        try await Stack.with(api: true, console: true) { stack in
            try await stack.account("cache@example.com", roles: [.finance])
            let good = #"{"email":"cache@example.com","password":"pass-word-123"}"#
            let login = try await stack.send(.POST, "/api/auth/login/", body: good)
            let refused = try await stack.send(
                .POST, "/api/auth/login/", body: #"{"email":"cache@example.com","password":"nope-nope"}"#)
            let refresh = (try? JSONSerialization.jsonObject(with: Data(login.body)) as? [String: Any])?["refresh"]
            let token = try #require(refresh as? String)
            let renewed = try await stack.send(.POST, "/api/auth/refresh/", body: #"{"refresh":"\#(token)"}"#)
            let newToken = try #require(
                (try? JSONSerialization.jsonObject(with: Data(renewed.body)) as? [String: Any])?["refresh"] as? String)
            let logout = try await stack.send(.POST, "/api/auth/logout/", body: #"{"refresh":"\#(newToken)"}"#)
            let page = try await stack.send(.GET, "/console/login")
            let post = try await stack.send(
                .POST, "/console/login", body: "csrf_token=x&email=a&password=b",
                contentType: "application/x-www-form-urlencoded")
            for (name, answer) in [
                ("login", login), ("refused", refused), ("refresh", renewed), ("logout", logout),
                ("console page", page), ("console post", post),
            ] {
                #expect(answer.header("Cache-Control")?.contains("no-store") == true, "\(name): \(answer.status)")
            }
            #expect(login.status == 200 && refused.status == 401 && renewed.status == 200 && logout.status == 200)
        }
    }
}

@Suite("Admin means the admin role; is_staff only with RECON_STAFF_IS_ADMIN=true")
struct IdentityAdminTests {
    @Test("a staff account without the admin role cannot list payments as admin nor approve refunds, here or in SQL")
    func staffAloneIsNotAdmin() async throws {
        try await Stack.with(api: true) { stack in
            let staff = try await stack.account("staff@example.com")
            try await stack.db.query("UPDATE users SET is_staff = true WHERE id = \(staff)")
            let token = try await stack.login("staff@example.com")
            #expect(try await stack.call("GET", "/api/payments/admin/", token: token).status == 403)
            let account = try await stack.db.run { db throws(PostgresError) in try UserStore.account(db, id: staff) }
            #expect(account?.isAdmin == false)
            let inDatabase = try await stack.db.query("SELECT recon_is_admin(\(staff)) AS admin").first?
                .decode(Bool.self, "admin")
            #expect(inDatabase == false)
            #expect(try await stack.db.run { db throws(PostgresError) in try UserStore.activeAdminCount(db) } == 3)

            let (user, course) = try await stack.learnerAndCourse()
            let payment = try await stack.seedPayment(user: user, course: course)
            let refund = try await stack.desk.propose(
                paymentID: payment, amount: Money(minorUnits: 1_000), reason: "x", by: "alice@example.com")
            await #expect(throws: (any Error).self) { try await stack.desk.approve(refund.id, by: "staff@example.com") }
            await #expect(throws: PostgresError.self) {
                try await stack.db.query(
                    "UPDATE refunds SET approved_by = 'x', approved_by_user_id = \(staff) WHERE id = \(refund.id)")
            }
        }
    }

    @Test("RECON_STAFF_IS_ADMIN=true makes is_staff an admin, in the store and in the database alike")
    func staffIsAdminSetting() async throws {
        let url = ["DATABASE_URL": "postgresql://recon@127.0.0.1/recon"]
        #expect(try DatabaseSettings.load(from: Environment(url)).staffIsAdmin == false)
        #expect(
            try DatabaseSettings.load(from: Environment(url.merging(["RECON_STAFF_IS_ADMIN": "true"]) { $1 }))
                .staffIsAdmin)
        #expect(throws: ConfigurationError.self) {
            try DatabaseSettings.load(from: Environment(url.merging(["RECON_STAFF_IS_ADMIN": "maybe"]) { $1 }))
        }
        try await DatabaseStack.with { stack in
            let staff = try await stack.db.run { db throws(PostgresError) in
                try UserStore.insert(db, email: "staff@example.com", fullName: "Staff", isStaff: true)
            }
            var settings = stack.database.settings
            settings.staffIsAdmin = true
            let mapped = try await PostgresConnection.connect(settings)
            let account = try await mapped.run { db throws(PostgresError) in try UserStore.account(db, id: staff) }
            #expect(account?.isAdmin == true && account?.roles == [.admin])
            let inDatabase = try await mapped.query("SELECT recon_is_admin(\(staff)) AS admin").first?
                .decode(Bool.self, "admin")
            #expect(inDatabase == true)
            await mapped.close()
        }
    }
}

@Suite("Tokens through the API: extreme claims and the one constant-time comparison")
struct IdentityTokenAPITests {
    @Test("a validly signed token with exp near Int64.max is answered, and the server keeps serving")
    func extremeExpiryDoesNotKillTheServer() async throws {
        try await Stack.with(api: true) { stack in
            let id = try await stack.account("far@example.com")
            #expect(
                try await stack.call("GET", "/api/payments/my/", token: try stack.lmsToken(userID: id)).status == 200)
            let far = try hs256Token(
                #"{"token_type":"access","jti":"j1","user_id":\#(id),"exp":9223372036854775807,"iat":0}"#)
            #expect(try await stack.call("GET", "/api/payments/my/", token: far).status == 200)
            #expect(try await stack.call("GET", "/healthz").status == 200)
        }
    }

    @Test("the callback token followed by 256 NUL bytes does not compare equal to the token")
    func paddedSecretIsNotEqual() {
        let padded = Stack.token + String(repeating: "\u{0}", count: 256)
        #expect(!constantTimeEqual(Stack.token, padded))
        #expect(!constantTimeEqual(padded, Stack.token))
        #expect(constantTimeEqual(Stack.token, Stack.token))
    }

}
