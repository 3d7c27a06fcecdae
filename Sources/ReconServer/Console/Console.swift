import Foundation
public import Hummingbird
public import Logging
import NIOCore
public import ReconApp
public import ReconCore
import ReconIdentity
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
    /// Which peers are proxies whose `X-Forwarded-For` (the client the login throttle keys on) and
    /// `X-Forwarded-Proto` are believed (`RECON_TRUSTED_PROXIES`).
    public var addressPolicy: AddressPolicy
    /// Development only (`RECON_CONSOLE_INSECURE_COOKIES=true`): cookies without `Secure` for a plain-http request
    /// from loopback. Off by default: every cookie is `Secure`, whatever the peer.
    public var insecureLoopbackCookies: Bool

    /// A configuration (sessions: 30 min idle, 12 h absolute).
    public init(
        reportsDirectory: String, approvals: ApprovalSettings, schedule: RetrySchedule = .standard,
        idleSeconds: Int = 1_800, absoluteSeconds: Int = 43_200, throttle: LoginThrottle = LoginThrottle(),
        addressPolicy: AddressPolicy = AddressPolicy(), insecureLoopbackCookies: Bool = false
    ) {
        self.reportsDirectory = reportsDirectory
        self.approvals = approvals
        self.schedule = schedule
        self.idleSeconds = idleSeconds
        self.absoluteSeconds = absoluteSeconds
        self.throttle = throttle
        self.addressPolicy = addressPolicy
        self.insecureLoopbackCookies = insecureLoopbackCookies
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

    /// Cookie names: with `Secure`, the `__Host-` prefix (the browser then refuses the cookie from any other host or
    /// path, and without `Secure`); the development mode's plain-http cookies keep the plain names.
    static let sessionCookieName = "recon_session"
    static let loginCookieName = "recon_login_csrf"
    /// Internal headers a handler's redirect carries its banner in, moved into the session before it is sent.
    static let flashNoticeHeader = FieldName("X-Recon-Flash-Notice") ?? .contentType
    static let flashErrorHeader = FieldName("X-Recon-Flash-Error") ?? .contentType
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
                await self.logout(request, context, session, address: self.clientAddress(request, context))
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
                await self.decide(session, fields, id: id, address: self.clientAddress(request, context))
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
                await self.propose(session, fields, address: self.clientAddress(request, context))
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
                    await self.decideRefund(
                        session, fields, id: id, action: action, address: self.clientAddress(request, context))
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
                await self.resolve(session, fields, id: id, address: self.clientAddress(request, context))
            }
        }
        router.get("/console/reports") { request, context in
            await self.page(request, context) { session in try await self.reports(request, session) }
        }
        router.post("/console/reports") { request, context in
            await self.form(request, context) { session, fields in
                await self.requestReport(session, fields, address: self.clientAddress(request, context))
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

    /// The peer, or the client a trusted proxy names in `X-Forwarded-For`.
    func clientAddress(_ request: Request, _ context: ReconRequestContext) -> String {
        // Every X-Forwarded-For line, as the API reads them: a proxy that adds its own line must not leave the
        // client's forged one in charge.
        configuration.addressPolicy.clientAddress(request, context)
    }

    /// Whether cookies carry `Secure`: always, unless the development flag is on and the request came over plain
    /// http from loopback itself. `X-Forwarded-Proto: https` counts only from a trusted proxy.
    func secureCookie(_ request: Request, _ context: ReconRequestContext) -> Bool {
        Self.secureCookie(
            peer: context.remoteAddress?.ipAddress,
            forwardedProto: request.headers.first { $0.name.canonicalName == "x-forwarded-proto" }?.value,
            policy: configuration.addressPolicy, insecureLoopback: configuration.insecureLoopbackCookies)
    }

    /// The rule of ``secureCookie(_:_:)`` over plain values: whether a cookie set for this request carries `Secure`.
    public static func secureCookie(
        peer: String?, forwardedProto: String?, policy: AddressPolicy, insecureLoopback: Bool
    ) -> Bool {
        guard insecureLoopback, let peer else { return true }
        let loopback = peer == "127.0.0.1" || peer == "::1" || peer.hasPrefix("127.") || peer == "::ffff:127.0.0.1"
        guard loopback else { return true }
        let trusted = policy.trustedProxies.contains { $0.contains(peer) }
        if trusted, let forwardedProto,
            forwardedProto.lowercased().split(separator: ",").first?
                .trimmingCharacters(in: .whitespaces) == "https"
        {
            return true
        }
        return false
    }

    /// A cookie's name in the mode in force: `__Host-` with `Secure`.
    static func cookieName(_ base: String, secure: Bool) -> String {
        secure ? "__Host-" + base : base
    }

    static func cookie(_ base: String, _ value: String, secure: Bool, maxAge: Int? = nil) -> String {
        // `__Host-` requires Path=/ and Secure; the plain development cookie stays scoped to /console.
        var text = "\(cookieName(base, secure: secure))=\(value); Path=\(secure ? "/" : "/console"); HttpOnly; "
        text += "SameSite=Strict"
        if secure { text += "; Secure" }
        if let maxAge { text += "; Max-Age=\(maxAge)" }
        return text
    }

    /// The request's cookie of that base name, read under the name of the mode in force only.
    func cookieValue(_ request: Request, _ context: ReconRequestContext, _ base: String) -> String? {
        Self.cookieValue(request, Self.cookieName(base, secure: secureCookie(request, context)))
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

    /// The session cookie's value, when it has the shape of one.
    func sessionID(_ request: Request, _ context: ReconRequestContext) -> String? {
        guard let id = cookieValue(request, context, Self.sessionCookieName), id.count >= 40, id.count <= 64 else {
            return nil
        }
        return id
    }

    /// The valid session behind the request's cookie, touched; `nil` when there is none or it expired.
    func session(_ request: Request, _ context: ReconRequestContext) async throws -> ConsoleSession? {
        guard let id = sessionID(request, context) else {
            return nil
        }
        let configuration = self.configuration
        return try await pool.withConnection { db in
            try await db.run { db throws(PostgresError) in
                try ConsoleStore.session(
                    db, idSHA256: sha256Hex(Array(id.utf8)), now: Date(), idleSeconds: configuration.idleSeconds,
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
            guard let session = try await session(request, context), Self.mayEnter(session.account) else {
                let next = request.uri.path.hasPrefix("/console/") ? request.uri.path : "/console/"
                return Self.redirect("/console/login?next=\(Self.urlEncode(next))")
            }
            switch try await body(session) {
            case .html(let title, let template, let values):
                let flash = try await takeFlash(request, context)
                return html(
                    .ok, title: title, template: template, values: values, session: session, request: request,
                    flash: flash)
            case .notFound(let what):
                return html(
                    .notFound, title: "Not found", template: "message",
                    values: ["message": "No \(what) with that id."], session: session, request: request)
            case .response(let response):
                return try await keepFlash(response, request, context)
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
            guard let session = try await session(request, context), Self.mayEnter(session.account) else {
                return Self.redirect("/console/login")
            }
            guard let fields = await Self.fields(request),
                constantTimeEqual(fields["csrf_token"] ?? "", session.csrfToken)
            else {
                return html(
                    .forbidden, title: "Forbidden", template: "message",
                    values: [
                        "message": "This form has expired or did not come from this console. Nothing was changed."
                    ],
                    session: session, request: request)
            }
            return try await keepFlash(await action(session, fields), request, context)
        } catch {
            return failure(error, request: request)
        }
    }

    /// Moves a redirect's banner (``back(_:notice:error:)``) into the session, for the next page to show once.
    func keepFlash(_ response: Response, _ request: Request, _ context: ReconRequestContext) async throws -> Response {
        let notice = response.headers[Self.flashNoticeHeader].flatMap { $0.removingPercentEncoding }
        let error = response.headers[Self.flashErrorHeader].flatMap { $0.removingPercentEncoding }
        guard notice != nil || error != nil else { return response }
        var response = response
        response.headers[Self.flashNoticeHeader] = nil
        response.headers[Self.flashErrorHeader] = nil
        guard let id = sessionID(request, context) else { return response }
        try await pool.withConnection { db in
            try await db.run { db throws(PostgresError) in
                try ConsoleStore.setFlash(db, idSHA256: sha256Hex(Array(id.utf8)), notice: notice, error: error)
            }
        }
        return response
    }

    /// The banner stored for this page, shown once.
    func takeFlash(
        _ request: Request, _ context: ReconRequestContext
    ) async throws -> (
        notice: String?, error: String?
    ) {
        guard let id = sessionID(request, context) else { return (nil, nil) }
        return try await pool.withConnection { db in
            try await db.run { db throws(PostgresError) in
                try ConsoleStore.takeFlash(db, idSHA256: sha256Hex(Array(id.utf8)))
            }
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

    /// The page's own path with a message for the next GET (post/redirect/get). The message travels in internal
    /// headers that ``keepFlash(_:_:_:)`` moves into the session: never in the URL, where anyone could write one.
    static func back(_ path: String, notice: String? = nil, error: String? = nil) -> Response {
        var response = redirect(path)
        if let notice { response.headers[flashNoticeHeader] = urlEncode(notice) }
        if let error { response.headers[flashErrorHeader] = urlEncode(error) }
        return response
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
        session: ConsoleSession?, request: Request, extraHeaders: HTTPFields = [:], errorText: String? = nil,
        flash: (notice: String?, error: String?) = (nil, nil), noticeText: String? = nil
    ) -> Response {
        var values = values
        if let session {
            values["csrf_token"] = session.csrfToken
            values["is_admin"] = session.account.isAdmin
        }
        let body = pages.render(template, values)
        var layout: [String: Any] = ["title": title, "body": body]
        // Banners are the server's own words only: a stored flash or the handler's text, never the query string.
        if let notice = noticeText ?? flash.notice, !notice.isEmpty { layout["notice"] = notice }
        if let error = errorText ?? flash.error, !error.isEmpty { layout["error"] = error }
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
