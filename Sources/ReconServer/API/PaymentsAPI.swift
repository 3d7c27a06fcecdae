import Foundation
public import Hummingbird
public import Logging
import NIOCore
public import ReconApp
public import ReconCore
public import ReconIdentity
public import ReconPostgres

/// What the `api` route group needs besides the database.
public struct APIConfiguration: Sendable {
    /// Verifies and issues the LMS's SimpleJWT tokens.
    public var tokens: TokenService
    /// Starts payments (`pay`'s own code path, with the learner's pending guard).
    public var initiator: PaymentInitiator
    /// The dual-approval threshold of refunds.
    public var approvals: ApprovalSettings
    /// How failed logins are throttled.
    public var throttle: LoginThrottle
    /// Whose `X-Forwarded-For` names the real client (`RECON_TRUSTED_PROXIES`): the login throttle keys on it.
    public var addressPolicy: AddressPolicy

    /// A configuration value.
    public init(
        tokens: TokenService, initiator: PaymentInitiator, approvals: ApprovalSettings,
        throttle: LoginThrottle = LoginThrottle(), addressPolicy: AddressPolicy = AddressPolicy()
    ) {
        self.tokens = tokens
        self.initiator = initiator
        self.approvals = approvals
        self.throttle = throttle
        self.addressPolicy = addressPolicy
    }
}

/// Every route of the `api` group, as registered (Hummingbird's `:id` is OpenAPI's `{id}`).
public enum APIRoute: String, Sendable, CaseIterable {
    case login, refresh, logout, initiate, mine, admin, status, propose, approve, reject

    /// `GET` or `POST`.
    public var method: String {
        switch self {
        case .mine, .admin, .status: "GET"
        default: "POST"
        }
    }

    /// `/api/auth/*`: no bearer token, and no cache keeps the answer.
    var isAuthentication: Bool { self == .login || self == .refresh || self == .logout }

    /// The path as Hummingbird matches it.
    public var path: String {
        switch self {
        case .login: "/api/auth/login/"
        case .refresh: "/api/auth/refresh/"
        case .logout: "/api/auth/logout/"
        case .initiate: "/api/payments/initiate/"
        case .mine: "/api/payments/my/"
        case .admin: "/api/payments/admin/"
        case .status: "/api/payments/:id/status/"
        case .propose: "/api/payments/b2c/"
        case .approve: "/api/payments/b2c/:id/approve/"
        case .reject: "/api/payments/b2c/:id/reject/"
        }
    }
}

/// The LMS guide's payments API (`/api/auth/*`, `/api/payments/*`) over the same rules as the CLI. No handler ever
/// sends money: refunds are proposed and decided here and sent by `run`.
public final class PaymentsAPI: Sendable {
    let configuration: APIConfiguration
    let pool: ConnectionPool
    let logger: Logger
    let authenticator: BearerAuthenticator

    /// An API over a pool.
    public init(configuration: APIConfiguration, pool: ConnectionPool, logger: Logger) {
        self.configuration = configuration
        self.pool = pool
        self.logger = logger
        self.authenticator = BearerAuthenticator(tokens: configuration.tokens, pool: pool, logger: logger)
    }

    /// Adds the `api` group's routes: every ``APIRoute``, and nothing else (openapi.yaml is tested against the list).
    /// The payments routes sit behind ``BearerAuthenticator``; `/api/auth/*` is how a client gets its tokens.
    public func addRoutes(to router: Router<ReconRequestContext>) {
        let api = router.group(context: APIRequestContext.self)
        let payments = api.group().add(middleware: authenticator)
        for route in APIRoute.allCases {
            (route.isAuthentication ? api : payments).on(
                RouterPath(route.path), method: route.method == "GET" ? .get : .post,
                use: { request, context in
                    await self.respond(route, request, context)
                })
        }
    }

    /// A route's answer: what its handler returned or threw (a failure of another part is a 503).
    func respond(_ route: APIRoute, _ request: Request, _ context: APIRequestContext) async -> Response {
        var response: Response
        do {
            response = try await handle(route, request, context).response
        } catch let refusal as APIAnswer {
            response = refusal.response
        } catch {
            response = APIAnswer.unavailable(error, logger: logger).response
        }
        // Authentication answers carry credentials: no cache may keep them.
        if route.isAuthentication { response.headers[.cacheControl] = "no-store" }
        return response
    }

    func handle(_ route: APIRoute, _ request: Request, _ context: APIRequestContext) async throws -> APIAnswer {
        let id = context.parameters.get("id", as: Int64.self)
        switch route {
        case .login: return try await login(request, context)
        case .refresh: return try await refresh(request, context)
        case .logout: return try await logout(request, context)
        case .initiate: return try await initiate(request, context, by: context.requireAccount())
        case .mine: return try await mine(request, by: context.requireAccount())
        case .admin: return try await adminList(request, by: context.requireAccount())
        case .status: return try await status(id: id, by: context.requireAccount())
        case .propose: return try await propose(request, context, by: context.requireAccount())
        case .approve, .reject:
            return try await decide(
                request, context, id: id, approve: route == .approve, by: context.requireAccount())
        }
    }

    // MARK: Auth

    func login(_ request: Request, _ context: APIRequestContext) async throws -> APIAnswer {
        let body = try await request.decode(as: LoginRequest.self, context: context)
        let address = configuration.addressPolicy.clientAddress(request, context)
        let now = Date()
        do {
            switch try await passwordLogin.attempt(
                email: body.email, password: body.password, address: address, now: now)
            {
            case .throttled(let wait):
                return .detail(
                    .tooManyRequests, "Request was throttled. Expected available in \(wait) seconds.",
                    code: "throttled")
            case .refused:
                return .detail(
                    .unauthorized, "No active account found with the given credentials", code: "no_active_account")
            case .account(let account):
                return try await tokenPair(account, now: now)
            }
        } catch let error as IdentityError {
            return .detail(.serviceUnavailable, error.message)
        }
    }

    /// The API's login door, throttled as configured.
    var passwordLogin: PasswordLogin {
        PasswordLogin(pool: pool, throttle: configuration.throttle)
    }

    func refresh(_ request: Request, _ context: APIRequestContext) async throws -> APIAnswer {
        let body = try await request.decode(as: RefreshRequest.self, context: context)
        return try await rotate(body.refresh)
    }
}
