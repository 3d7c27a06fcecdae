import Foundation
public import Hummingbird
public import Logging
import NIOCore
public import ReconApp
public import ReconCore
import ReconIdentity
public import ReconPostgres
import ServiceLifecycle

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
    let dashboardCache: DashboardCache

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
        self.pages = try ConsolePages.bundled()
        self.dashboardCache = DashboardCache {
            try await pool.withConnection { db in
                try await db.run { db throws(PostgresError) in try ConsoleStore.dashboard(db, now: Date()) }
            }
        }
    }

    /// The console's services: the report worker and the overview's refresh.
    var services: [any Service] { [reportWorker, dashboardCache] }

    /// The background worker that writes the reports asked for in the console.
    public var reportWorker: ConsoleReportWorker {
        ConsoleReportWorker(pool: pool, reportsDirectory: configuration.reportsDirectory, logger: logger)
    }

    var desk: RefundDesk { RefundDesk(pool: pool, settings: configuration.approvals) }
    var decisions: DecisionDesk {
        DecisionDesk(pool: pool, settings: configuration.approvals, schedule: configuration.schedule)
    }

    // MARK: Routes

    /// Adds the console's routes: the group `/console` with its own request context. Sign-in and the stylesheet are
    /// open; pages need a session; forms need a session and its CSRF token; the admin's forms and unmasked reports
    /// need the admin role.
    public func addRoutes(to router: Router<ReconRequestContext>) {
        let console = router.group("console", context: ConsoleRequestContext.self)
            .add(middleware: ConsoleFailureMiddleware(console: self))
        console.get("static/console.css") { _, _ in
            Response(
                status: .ok,
                headers: [.contentType: "text/css; charset=utf-8", .cacheControl: "public, max-age=3600"],
                body: .init(byteBuffer: self.pages.stylesheet))
        }
        console.get("login") { request, context in await self.loginPage(request, context, error: nil) }
        console.post("login", use: login)

        let pages = console.group()
            .add(middleware: ConsoleSessionMiddleware(console: self, returnsAfterSignIn: true))
        pages.get("/", use: dashboard)
        pages.get("payments", use: payments)
        pages.get("payments/:id", use: payment)
        pages.get("callbacks/:id", use: callback)
        pages.get("refunds", use: refunds)
        pages.get("refunds/:id", use: refund)
        pages.get("exceptions", use: exceptions)
        pages.get("exceptions/:id", use: exception)
        pages.get("reports", use: reports)
        pages.get("audit", use: audit)

        let files = console.group("reports")
            .add(middleware: ConsoleSessionMiddleware(console: self, returnsAfterSignIn: false))
        files.get("files/:folder/:file") { request, context in self.download(request, context, unmasked: false) }
        files.group()
            .add(middleware: ConsoleRoleMiddleware(console: self, role: .admin, refusal: Self.unmaskedRefusal))
            .get("unmasked/:folder/:file") { request, context in self.download(request, context, unmasked: true) }

        let forms = console.group()
            .add(middleware: ConsoleSessionMiddleware(console: self, returnsAfterSignIn: false))
            .add(middleware: ConsoleCSRFMiddleware(console: self))
        forms.post("logout", use: logout)
        forms.post("reports", use: requestReport)
        let adminForms = forms.group()
            .add(middleware: ConsoleRoleMiddleware(console: self, role: .admin, refusal: Self.adminRefusal))
        adminForms.post("payments/:id/decide", use: decide)
        adminForms.post("refunds", use: propose)
        for action in RefundAction.allCases {
            adminForms.post(RouterPath("refunds/:id/\(action.rawValue)")) { request, context in
                try await self.decideRefund(request, context, action: action)
            }
        }
        adminForms.post("exceptions/:id/resolve", use: resolve)
    }

    /// What a signed-in account without the admin role gets from an admin's form (which its pages never show).
    static let adminRefusal = "Only an admin may do this. Nothing was changed."
    static let unmaskedRefusal = "Reports with full phone numbers are for admins."

    enum RefundAction: String, CaseIterable, Sendable {
        case approve, reject, cancel
    }
}
