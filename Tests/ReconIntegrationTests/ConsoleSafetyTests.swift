import Crypto
import Foundation
import HTTPServerKit
import Logging
import ReconCore
import ReconHTTP
import ReconPostgres
import ReconServer
import ReconTestSupport
import Testing

/// The console as finance and as a stranger's link see it: its banners are its own words, its cookies are
/// `Secure`, and finance sees no payer's number, not even inside an identifier.
@Suite("Console safety")
struct ConsoleSafetyTests {
    /// A console (and callbacks) instance over the stack's database, plus a signed-in session of `roles`.
    struct Console {
        let base: String
        let http: HTTPClient
        let cookie: HTTPHeader

        func get(_ path: String) async throws -> ReconHTTP.HTTPResponse {
            try await http.send(.get(base + path, headers: [cookie]))
        }
    }

    static func withConsole(
        _ stack: some DatabaseFixture, roles: [Role], configuration: ConsoleConfiguration? = nil,
        _ body: (Console) async throws -> Void
    ) async throws {
        var logger = Logger(label: "console-safety")
        logger.logLevel = .critical
        let spool = FileManager.default.temporaryDirectory.appendingPathComponent("console-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: spool) }
        let server = try await ReconApplication(
            ServerConfiguration(
                port: 0, callbackToken: Stack.token, spoolDirectory: spool, sweepIntervalSeconds: 3600,
                routes: [.callbacks, .console],
                console: configuration
                    ?? ConsoleConfiguration(reportsDirectory: NSTemporaryDirectory(), approvals: Stack.approvals)),
            pool: stack.pool, logger: logger
        ).start()
        let email = "console-\(UUID().uuidString.prefix(8))@example.com"
        let userID = try await stack.account(email, roles: roles)
        let sessionID = (UUID().uuidString + UUID().uuidString).replacingOccurrences(of: "-", with: "")
        let hash = SHA256.hash(data: Data(sessionID.utf8)).map { String(format: "%02x", $0) }.joined()
        try await stack.db.withTransaction { db in
            try ConsoleStore.createSession(
                db, idSHA256: hash, userID: userID, csrfToken: "csrf-token", address: "127.0.0.1", now: Date())
        }
        do {
            try await body(
                Console(
                    base: server.baseURL, http: HTTPClient(),
                    cookie: HTTPHeader(name: "Cookie", value: "__Host-recon_session=\(sessionID)")))
            await server.stop()
        } catch {
            await server.stop()
            throw error
        }
    }

    @Test func aLinksNoticeOrErrorNeverBecomesTheConsolesBanner() async throws {
        try await DatabaseStack.with { stack in
            try await Self.withConsole(stack, roles: [.finance]) { console in
                let login = try await console.http.send(
                    .get(console.base + "/console/login?error=Call%20EVIL-SUPPORT%20now&notice=EVIL-NOTICE"))
                #expect(login.status == 200)
                #expect(!login.bodyText.contains("EVIL"))
                let page = try await console.get("/console/payments?notice=EVIL-NOTICE&error=EVIL-ERROR")
                #expect(page.status == 200)
                #expect(!page.bodyText.contains("EVIL"))
                // The server's own banner still reaches the next page once: a refused search leaves its reason.
                let refused = try await console.get("/console/payments?q=74149")
                #expect(refused.status == 303)
                let next = try await console.get("/console/payments")
                #expect(next.bodyText.contains("last 4 digits"))
                let again = try await console.get("/console/payments")
                #expect(!again.bodyText.contains("last 4 digits"))
            }
        }
    }

    @Test func cookiesAreSecureEvenFromLoopbackUnlessTheDevelopmentFlagIsOn() async throws {
        try await DatabaseStack.with { stack in
            try await Self.withConsole(stack, roles: [.finance]) { console in
                let login = try await console.http.send(.get(console.base + "/console/login"))
                let cookie = try #require(login.header("Set-Cookie"))
                #expect(cookie.hasPrefix("__Host-recon_login_csrf="))
                #expect(cookie.contains("; Secure") && cookie.contains("Path=/;"))
            }
        }
        let proxy = AddressPolicy(trustedProxies: [IPv4Network("10.0.0.2")].compactMap { $0 })
        // Always Secure without the flag, from anywhere.
        #expect(
            ReconServer.Console.secureCookie(
                peer: "127.0.0.1", forwardedProto: nil, policy: proxy, insecureLoopback: false))
        // The flag drops it only for plain http from loopback itself.
        #expect(
            !ReconServer.Console.secureCookie(
                peer: "127.0.0.1", forwardedProto: nil, policy: proxy, insecureLoopback: true))
        #expect(
            ReconServer.Console.secureCookie(
                peer: "10.0.0.7", forwardedProto: nil, policy: proxy, insecureLoopback: true))
        // X-Forwarded-Proto counts from a trusted proxy only.
        let viaLoopbackProxy = AddressPolicy(trustedProxies: [IPv4Network("127.0.0.1")].compactMap { $0 })
        #expect(
            ReconServer.Console.secureCookie(
                peer: "127.0.0.1", forwardedProto: "https", policy: viaLoopbackProxy, insecureLoopback: true))
        #expect(
            !ReconServer.Console.secureCookie(
                peer: "127.0.0.1", forwardedProto: "https", policy: AddressPolicy(), insecureLoopback: true))
    }

    @Test func financeSeesNoPayersNumberOnThePaymentAndCallbackPages() async throws {
        try await Stack.with { stack in
            let national = HostileRequestTests.national
            let checkout = HostileRequestTests.checkoutID
            let id = try await stack.seedPending(checkoutID: checkout)
            _ = try await stack.post(body: Bodies.success(checkout))
            let callback = try #require(
                try await stack.db.query("SELECT id FROM callback_inbox ORDER BY id DESC LIMIT 1").first?.decode(
                    Int64.self, "id"))
            try await Self.withConsole(stack, roles: [.finance]) { console in
                let payment = try await console.get("/console/payments/\(id)")
                #expect(payment.status == 200)
                #expect(!payment.bodyText.contains(national), "the payment page shows finance the payer's number")
                #expect(payment.bodyText.contains("ws_CO_…4149"))
                let body = try await console.get("/console/callbacks/\(callback)")
                #expect(body.status == 200)
                #expect(!body.bodyText.contains(national), "the raw callback shows finance the payer's number")
                let search = try await console.get("/console/payments?q=4149")
                #expect(search.status == 200)
                #expect(search.bodyText.contains("/console/payments/\(id)"))
            }
            try await Self.withConsole(stack, roles: [.admin]) { console in
                let payment = try await console.get("/console/payments/\(id)")
                #expect(payment.bodyText.contains(checkout))
            }
        }
    }
}
