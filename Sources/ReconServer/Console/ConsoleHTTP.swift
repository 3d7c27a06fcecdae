import Foundation
import Hummingbird
import Logging
import NIOCore
import ReconIdentity
import ReconPostgres

/// Sessions, cookies, banners and answers: the console's HTTP plumbing under its pages.
extension Console {
    // MARK: Sessions and cookies

    /// The valid session behind the request's cookie (touched) with the cookie's value, when its account may use the
    /// console; `nil` when there is none, it expired, or the account may not.
    func signedIn(
        _ request: Request, _ context: ConsoleRequestContext
    ) async throws -> (id: String, session: ConsoleSession)? {
        guard let id = cookieValue(request, context, Self.sessionCookieName), id.count >= 40, id.count <= 64 else {
            return nil
        }
        let configuration = self.configuration
        let session = try await pool.withConnection { db in
            try await db.run { db throws(PostgresError) in
                try ConsoleStore.session(
                    db, idSHA256: sha256Hex(Array(id.utf8)), now: Date(), idleSeconds: configuration.idleSeconds,
                    absoluteSeconds: configuration.absoluteSeconds)
            }
        }
        guard let session, ConsoleRole.staff.admits(session.account) else { return nil }
        return (id, session)
    }

    /// The peer, or the client a trusted proxy names in `X-Forwarded-For`.
    func clientAddress(_ request: Request, _ context: ConsoleRequestContext) -> String {
        // Every X-Forwarded-For line, as the API reads them: a proxy that adds its own line must not leave the
        // client's forged one in charge.
        configuration.addressPolicy.clientAddress(request, context)
    }

    /// Whether cookies carry `Secure`: always, unless the development flag is on and the request came over plain
    /// http from loopback itself. `X-Forwarded-Proto: https` counts only from a trusted proxy.
    func secureCookie(_ request: Request, _ context: ConsoleRequestContext) -> Bool {
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

    /// A `Set-Cookie` value. (Written here rather than with Hummingbird's `Cookie`, whose attributes come out in a
    /// different order from one process to the next.)
    static func cookie(_ base: String, _ value: String, secure: Bool, maxAge: Int? = nil) -> String {
        // `__Host-` requires Path=/ and Secure; the plain development cookie stays scoped to /console.
        var text = "\(cookieName(base, secure: secure))=\(value); Path=\(secure ? "/" : "/console"); HttpOnly; "
        text += "SameSite=Strict"
        if secure { text += "; Secure" }
        if let maxAge { text += "; Max-Age=\(maxAge)" }
        return text
    }

    /// The request's cookie of that base name, read under the name of the mode in force only.
    func cookieValue(_ request: Request, _ context: ConsoleRequestContext, _ base: String) -> String? {
        request.cookies[Self.cookieName(base, secure: secureCookie(request, context))]?.value
    }

    // MARK: Banners (post/redirect/get)

    /// The page's own path with a message for the next GET. The message travels in internal headers that
    /// ``keepFlash(_:sessionID:)`` moves into the session: never in the URL, where anyone could write one.
    static func back(_ path: String, notice: String? = nil, error: String? = nil) -> Response {
        var response = redirect(path)
        if let notice { response.headers[flashNoticeHeader] = urlEncode(notice) }
        if let error { response.headers[flashErrorHeader] = urlEncode(error) }
        return response
    }

    /// Moves a redirect's banner (``back(_:notice:error:)``) into the session, for the next page to show once.
    func keepFlash(_ response: Response, sessionID: String) async throws -> Response {
        let notice = response.headers[Self.flashNoticeHeader].flatMap { $0.removingPercentEncoding }
        let error = response.headers[Self.flashErrorHeader].flatMap { $0.removingPercentEncoding }
        guard notice != nil || error != nil else { return response }
        var response = response
        response.headers[Self.flashNoticeHeader] = nil
        response.headers[Self.flashErrorHeader] = nil
        try await pool.withConnection { db in
            try await db.run { db throws(PostgresError) in
                try ConsoleStore.setFlash(db, idSHA256: sha256Hex(Array(sessionID.utf8)), notice: notice, error: error)
            }
        }
        return response
    }

    /// The banner stored for this page, shown once.
    func takeFlash(_ context: ConsoleRequestContext) async throws -> (notice: String?, error: String?) {
        guard let id = context.sessionID else { return (nil, nil) }
        return try await pool.withConnection { db in
            try await db.run { db throws(PostgresError) in
                try ConsoleStore.takeFlash(db, idSHA256: sha256Hex(Array(id.utf8)))
            }
        }
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

    // MARK: Pages

    static let securityHeaders: HTTPFields = [
        .contentSecurityPolicy:
            "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; form-action 'self'; "
            + "frame-ancestors 'none'; base-uri 'none'; object-src 'none'",
        FieldName.frameOptions: "DENY",
        FieldName.referrerPolicy: "same-origin",
        FieldName.contentTypeOptions: "nosniff",
        .cacheControl: "no-store",
    ]

    /// A page of the signed-in console, with the banner a redirect left for it.
    func page<Page: ConsolePage>(
        _ page: Page, title: String, _ context: ConsoleRequestContext
    ) async throws -> Response {
        let flash = try await takeFlash(context)
        return html(.ok, title: title, page: page, viewer: context.viewer, notice: flash.notice, error: flash.error)
    }

    /// One sentence under a title: not found, forbidden, unavailable.
    func message(_ status: HTTPResponse.Status, title: String, _ text: String, viewer: Viewer?) -> Response {
        html(status, title: title, page: MessagePage(message: text), viewer: viewer)
    }

    /// "No payment with that id."
    func notFound(_ what: String, _ context: ConsoleRequestContext) -> Response {
        message(.notFound, title: "Not found", "No \(what) with that id.", viewer: context.viewer)
    }

    /// Any failure as a page with no detail of the machinery (logged with its type only).
    func failure(_ error: any Error) -> Response {
        logger.error("console request failed", metadata: ["recon.error": "\(String(describing: type(of: error)))"])
        return message(
            .serviceUnavailable, title: "Unavailable",
            "The console cannot reach its database right now. Try again in a minute.", viewer: nil)
    }

    /// A page inside the layout, with the security headers.
    func html<Page: ConsolePage>(
        _ status: HTTPResponse.Status, title: String, page: Page, viewer: Viewer?, notice: String? = nil,
        error: String? = nil, extraHeaders: HTTPFields = [:]
    ) -> Response {
        let layout = ConsoleLayout(title: title, viewer: viewer, notice: notice, error: error, page: page)
        var headers = Self.securityHeaders
        headers[.contentType] = "text/html; charset=utf-8"
        for field in extraHeaders { headers.append(field) }
        return Response(
            status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(string: pages.render(layout))))
    }
}
