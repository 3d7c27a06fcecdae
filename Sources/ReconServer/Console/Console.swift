import Crypto
import Foundation
public import Hummingbird
public import Logging
import NIOCore
public import ReconCore
import ReconIdentity
import ReconJobs
public import ReconPostgres

/// Header names HTTPTypes has no constant for (Hummingbird re-exports `HTTPFields`, not `HTTPField`).
typealias FieldName = HTTPFields.Element.Name

extension HTTPFields.Element.Name {
    // Literal, valid token names: the initializer cannot fail on them.
    static let frameOptions = FieldName("X-Frame-Options") ?? .contentType
    static let referrerPolicy = FieldName("Referrer-Policy") ?? .contentType
    static let contentTypeOptions = FieldName("X-Content-Type-Options") ?? .contentType

    /// A header field.
    static func field(_ name: FieldName, _ value: String) -> HTTPFields.Element {
        HTTPFields.Element(name: name, value: value)
    }
}

/// What the `console` route group needs besides the database.
public struct ConsoleConfiguration: Sendable {
    /// Where `run` and the console write reports (`RECON_REPORTS_DIR`).
    public var reportsDirectory: String
    /// The dual-approval threshold of refunds.
    public var approvals: ApprovalSettings
    /// How an admin's decision on an `unknown` payment is applied (the state machine's retry schedule).
    public var schedule: RetrySchedule
    /// A session ends after this long without a request.
    public var idleSeconds: Int
    /// A session ends this long after login, however busy.
    public var absoluteSeconds: Int
    /// How failed logins are throttled (as the API does).
    public var throttle: LoginThrottle
    /// Whose `X-Forwarded-For` names the real client (`RECON_TRUSTED_PROXIES`): the login throttle keys on it.
    public var addressPolicy: AddressPolicy

    /// A configuration (sessions: 30 min idle, 12 h absolute).
    public init(
        reportsDirectory: String, approvals: ApprovalSettings, schedule: RetrySchedule = .standard,
        idleSeconds: Int = 1_800, absoluteSeconds: Int = 43_200, throttle: LoginThrottle = LoginThrottle(),
        addressPolicy: AddressPolicy = AddressPolicy()
    ) {
        self.addressPolicy = addressPolicy
        self.reportsDirectory = reportsDirectory
        self.approvals = approvals
        self.schedule = schedule
        self.idleSeconds = idleSeconds
        self.absoluteSeconds = absoluteSeconds
        self.throttle = throttle
    }
}

/// The admin and finance console under `/console/`: server-rendered pages over the same desks the CLI and the API
/// use. Sessions live in PostgreSQL; every form carries a CSRF token; every POST answers with a redirect.
public final class Console: Sendable {
    let configuration: ConsoleConfiguration
    let pool: ConnectionPool
    let logger: Logger
    let pages: ConsolePages
    let dashboardCache = DashboardCache()

    static let sessionCookie = "recon_session"
    static let loginCookie = "recon_login_csrf"
    static let bodyLimit = 64 * 1024

    /// A console over a pool.
    public init(configuration: ConsoleConfiguration, pool: ConnectionPool, logger: Logger) throws {
        self.configuration = configuration
        self.pool = pool
        self.logger = logger
        self.pages = try ConsolePages()
    }

    /// The background worker that writes the reports asked for in the console.
    public var reportWorker: ConsoleReportWorker {
        ConsoleReportWorker(pool: pool, reportsDirectory: configuration.reportsDirectory, logger: logger)
    }

    var desk: RefundDesk { RefundDesk(pool: pool, settings: configuration.approvals) }
    var decisions: DecisionDesk {
        DecisionDesk(pool: pool, settings: configuration.approvals, schedule: configuration.schedule)
    }

    // MARK: Routes

    /// Adds the console's routes.
    public func addRoutes(to router: Router<ReconRequestContext>) {
        router.get("/console/static/console.css") { _, _ in
            Response(
                status: .ok,
                headers: [.contentType: "text/css; charset=utf-8", .cacheControl: "public, max-age=3600"],
                body: .init(byteBuffer: ByteBuffer(string: ConsoleTemplates.stylesheet)))
        }
        router.get("/console/login") { request, context in await self.loginPage(request, context, error: nil) }
        router.post("/console/login") { request, context in await self.login(request, context) }
        router.post("/console/logout") { request, context in
            await self.form(request, context) { session, _ in
                await self.logout(request, session, address: Self.address(context))
            }
        }
        router.get("/console/") { request, context in
            await self.page(request, context) { session in try await self.dashboard(session) }
        }
        router.get("/console/payments") { request, context in
            await self.page(request, context) { session in try await self.payments(request, session) }
        }
        router.get("/console/payments/:id") { request, context in
            let id = context.parameters.get("id", as: Int64.self)
            return await self.page(request, context) { session in try await self.payment(request, session, id: id) }
        }
        router.post("/console/payments/:id/decide") { request, context in
            let id = context.parameters.get("id", as: Int64.self)
            return await self.form(request, context) { session, fields in
                await self.decide(session, fields, id: id, address: Self.address(context))
            }
        }
        router.get("/console/callbacks/:id") { request, context in
            let id = context.parameters.get("id", as: Int64.self)
            return await self.page(request, context) { session in try await self.callback(session, id: id) }
        }
        router.get("/console/refunds") { request, context in
            await self.page(request, context) { session in try await self.refunds(request, session) }
        }
        router.post("/console/refunds") { request, context in
            await self.form(request, context) { session, fields in
                await self.propose(session, fields, address: Self.address(context))
            }
        }
        router.get("/console/refunds/:id") { request, context in
            let id = context.parameters.get("id", as: Int64.self)
            return await self.page(request, context) { session in try await self.refund(request, session, id: id) }
        }
        for action in RefundAction.allCases {
            router.post(RouterPath("/console/refunds/:id/\(action.rawValue)")) { request, context in
                let id = context.parameters.get("id", as: Int64.self)
                return await self.form(request, context) { session, fields in
                    await self.decideRefund(session, fields, id: id, action: action, address: Self.address(context))
                }
            }
        }
        router.get("/console/exceptions") { request, context in
            await self.page(request, context) { session in try await self.exceptions(request, session) }
        }
        router.get("/console/exceptions/:id") { request, context in
            let id = context.parameters.get("id", as: Int64.self)
            return await self.page(request, context) { session in try await self.exception(request, session, id: id) }
        }
        router.post("/console/exceptions/:id/resolve") { request, context in
            let id = context.parameters.get("id", as: Int64.self)
            return await self.form(request, context) { session, fields in
                await self.resolve(session, fields, id: id, address: Self.address(context))
            }
        }
        router.get("/console/reports") { request, context in
            await self.page(request, context) { session in try await self.reports(request, session) }
        }
        router.post("/console/reports") { request, context in
            await self.form(request, context) { session, fields in
                await self.requestReport(session, fields, address: Self.address(context))
            }
        }
        router.get("/console/reports/files/:folder/:file") { request, context in
            await self.download(request, context, unmasked: false)
        }
        router.get("/console/reports/unmasked/:folder/:file") { request, context in
            await self.download(request, context, unmasked: true)
        }
        router.get("/console/audit") { request, context in
            await self.page(request, context) { session in try await self.audit(request, session) }
        }
    }

    enum RefundAction: String, CaseIterable, Sendable {
        case approve, reject, cancel
    }

    // MARK: Sessions, CSRF and answers

    static func address(_ context: ReconRequestContext) -> String {
        context.remoteAddress?.ipAddress ?? "unknown"
    }

    /// `Secure` unless the request came over plain http from loopback (a proxy in front terminates TLS).
    static func secureCookie(_ context: ReconRequestContext) -> Bool {
        let address = Self.address(context)
        return !(address == "127.0.0.1" || address == "::1" || address.hasPrefix("127."))
    }

    static func cookie(_ name: String, _ value: String, secure: Bool, maxAge: Int? = nil) -> String {
        var text = "\(name)=\(value); Path=/console; HttpOnly; SameSite=Strict"
        if secure { text += "; Secure" }
        if let maxAge { text += "; Max-Age=\(maxAge)" }
        return text
    }

    /// 256 random bits, base64url.
    static func randomToken() -> String {
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<32).map { _ in UInt8.random(in: 0...255, using: &generator) }
        return Data(bytes).base64EncodedString().replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
    }

    static func sha256(_ text: String) -> String {
        SHA256.hash(data: Data(text.utf8)).map { String(format: "%02x", $0) }.joined()
    }

    static func constantTimeEqual(_ a: String, _ b: String) -> Bool {
        ReconIdentity.constantTimeEqual(Array(a.utf8), Array(b.utf8))
    }

    static func cookieValue(_ request: Request, _ name: String) -> String? {
        for header in request.headers[values: .cookie] {
            for part in header.split(separator: ";") {
                let pair = part.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
                if pair.count == 2, pair[0] == name { return pair[1] }
            }
        }
        return nil
    }

    /// The valid session behind the request's cookie, touched; `nil` when there is none or it expired.
    func session(_ request: Request) async throws -> ConsoleSession? {
        guard let id = Self.cookieValue(request, Self.sessionCookie), id.count >= 40, id.count <= 64 else {
            return nil
        }
        let configuration = self.configuration
        return try await pool.withConnection { db in
            try await db.run { db throws(PostgresError) in
                try ConsoleStore.session(
                    db, idSHA256: Self.sha256(id), now: Date(), idleSeconds: configuration.idleSeconds,
                    absoluteSeconds: configuration.absoluteSeconds)
            }
        }
    }

    /// Whether the account may use the console at all.
    static func mayEnter(_ account: Account) -> Bool { account.isActive && account.mayReadAllPayments }

    /// A GET page: needs a session (else the login page), renders inside the layout with the security headers.
    func page(
        _ request: Request, _ context: ReconRequestContext,
        _ body: @Sendable (ConsoleSession) async throws -> PageResult
    ) async -> Response {
        do {
            guard let session = try await session(request), Self.mayEnter(session.account) else {
                let next = request.uri.path.hasPrefix("/console/") ? request.uri.path : "/console/"
                return Self.redirect("/console/login?next=\(Self.urlEncode(next))")
            }
            switch try await body(session) {
            case .html(let title, let template, let values):
                return html(.ok, title: title, template: template, values: values, session: session, request: request)
            case .notFound(let what):
                return html(
                    .notFound, title: "Not found", template: "message",
                    values: ["message": "No \(what) with that id."], session: session, request: request)
            case .response(let response):
                return response
            }
        } catch {
            return failure(error, request: request)
        }
    }

    /// A POST form: needs a session and its CSRF token (else 403, nothing changes); the action answers a redirect.
    func form(
        _ request: Request, _ context: ReconRequestContext,
        _ action: @Sendable (ConsoleSession, [String: String]) async -> Response
    ) async -> Response {
        do {
            guard let session = try await session(request), Self.mayEnter(session.account) else {
                return Self.redirect("/console/login")
            }
            guard let fields = await Self.fields(request),
                Self.constantTimeEqual(fields["csrf_token"] ?? "", session.csrfToken)
            else {
                return html(
                    .forbidden, title: "Forbidden", template: "message",
                    values: [
                        "message": "This form has expired or did not come from this console. Nothing was changed."
                    ],
                    session: session, request: request)
            }
            return await action(session, fields)
        } catch {
            return failure(error, request: request)
        }
    }

    /// `application/x-www-form-urlencoded` fields; `nil` when the body is too large or not a form.
    static func fields(_ request: Request) async -> [String: String]? {
        var request = request
        guard let buffer = try? await request.collectBody(upTo: bodyLimit) else { return nil }
        let text = String(decoding: buffer.readableBytesView, as: UTF8.self)
        var fields: [String: String] = [:]
        for pair in text.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let key = Self.formDecode(parts[0])
            fields[key] = parts.count > 1 ? Self.formDecode(parts[1]) : ""
        }
        return fields
    }

    static func formDecode(_ text: Substring) -> String {
        let spaced = text.replacingOccurrences(of: "+", with: " ")
        return spaced.removingPercentEncoding ?? spaced
    }

    static func urlEncode(_ text: String) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~/")
        return text.addingPercentEncoding(withAllowedCharacters: allowed) ?? ""
    }

    static func redirect(_ location: String, cookies: [String] = []) -> Response {
        var headers: HTTPFields = [.location: location, .cacheControl: "no-store"]
        for cookie in cookies { headers.append(FieldName.field(.setCookie, cookie)) }
        return Response(status: .seeOther, headers: headers)
    }

    /// The page's own path with a message for the next GET (post/redirect/get).
    static func back(_ path: String, notice: String? = nil, error: String? = nil) -> Response {
        var query: [String] = []
        if let notice { query.append("notice=\(urlEncode(notice))") }
        if let error { query.append("error=\(urlEncode(error))") }
        return redirect(query.isEmpty ? path : path + "?" + query.joined(separator: "&"))
    }

    static let securityHeaders: HTTPFields = [
        .contentSecurityPolicy:
            "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; form-action 'self'; "
            + "frame-ancestors 'none'; base-uri 'none'; object-src 'none'",
        FieldName.frameOptions: "DENY",
        FieldName.referrerPolicy: "same-origin",
        FieldName.contentTypeOptions: "nosniff",
        .cacheControl: "no-store",
    ]

    /// A page inside the layout.
    func html(
        _ status: HTTPResponse.Status, title: String, template: String, values: [String: Any],
        session: ConsoleSession?, request: Request, extraHeaders: HTTPFields = [:], errorText: String? = nil
    ) -> Response {
        var values = values
        if let session {
            values["csrf_token"] = session.csrfToken
            values["is_admin"] = session.account.isAdmin
        }
        let query = request.uri.queryParameters
        let body = pages.render(template, values)
        var layout: [String: Any] = ["title": title, "body": body]
        if let notice = query.get("notice"), !notice.isEmpty { layout["notice"] = notice }
        if let error = errorText ?? query.get("error"), !error.isEmpty { layout["error"] = error }
        if let session {
            layout["user_email"] = session.account.email
            layout["user_role"] = session.account.isAdmin ? "admin" : "finance"
            layout["csrf_token"] = session.csrfToken
            layout["signed_in"] = true
        }
        var headers = Self.securityHeaders
        headers[.contentType] = "text/html; charset=utf-8"
        for field in extraHeaders { headers.append(field) }
        return Response(
            status: status, headers: headers,
            body: .init(byteBuffer: ByteBuffer(string: pages.render("layout", layout))))
    }

    /// Any failure as a page with no detail of the machinery (logged with its type only).
    func failure(_ error: any Error, request: Request) -> Response {
        logger.error("console request failed", metadata: ["recon.error": "\(String(describing: type(of: error)))"])
        return html(
            .serviceUnavailable, title: "Unavailable", template: "message",
            values: ["message": "The console cannot reach its database right now. Try again in a minute."],
            session: nil, request: request)
    }

    /// What a page handler produces.
    enum PageResult: Sendable {
        case html(title: String, template: String, values: [String: any Sendable])
        case notFound(String)
        case response(Response)
    }
}

/// The overview's figures, computed at most every `maxAge` seconds: sums over a month of payments cost hundreds of
/// milliseconds at a million rows, so requests get the last figures (with their time) while one refresh runs behind.
actor DashboardCache {
    let maxAge: TimeInterval = 30
    var current: (board: Dashboard, at: Date)?
    var refreshing = false

    /// The figures and when they were computed; the first call computes them, later ones never wait for a refresh.
    func board(_ compute: @escaping @Sendable () async throws -> Dashboard) async throws -> (Dashboard, Date) {
        guard let current else {
            let board = try await compute()
            let now = Date()
            self.current = (board, now)
            return (board, now)
        }
        if Date().timeIntervalSince(current.at) >= maxAge, !refreshing {
            refreshing = true
            Task {
                let fresh = try? await compute()
                self.finish(fresh)
            }
        }
        return (current.board, current.at)
    }

    private func finish(_ board: Dashboard?) {
        if let board { current = (board, Date()) }
        refreshing = false
    }
}
