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

    /// An API over a pool.
    public init(configuration: APIConfiguration, pool: ConnectionPool, logger: Logger) {
        self.configuration = configuration
        self.pool = pool
        self.logger = logger
    }

    /// The account behind a request, or the answer that refuses it.
    enum Authentication {
        case success(Account)
        case failure(Response)
    }

    static let bodyLimit = 64 * 1024

    /// Adds the `api` group's routes: every ``APIRoute``, and nothing else (openapi.yaml is tested against the list).
    public func addRoutes(to router: Router<ReconRequestContext>) {
        for route in APIRoute.allCases {
            router.on(
                RouterPath(route.path), method: route.method == "GET" ? .get : .post,
                use: { request, context in
                    await self.handle(route, request, context)
                })
        }
    }

    func handle(_ route: APIRoute, _ request: Request, _ context: ReconRequestContext) async -> Response {
        let id = context.parameters.get("id", as: Int64.self)
        switch route {
        case .login: return Self.noStore(await login(request, context))
        case .refresh: return Self.noStore(await refresh(request))
        case .logout: return Self.noStore(await logout(request))
        case .initiate: return await initiate(request)
        case .mine: return await mine(request)
        case .admin: return await adminList(request)
        case .status: return await status(request, id: id)
        case .propose: return await proposeRefund(request, origin: Self.origin(context))
        case .approve: return await decideRefund(request, id: id, approve: true, origin: Self.origin(context))
        case .reject: return await decideRefund(request, id: id, approve: false, origin: Self.origin(context))
        }
    }

    // MARK: Body and authentication

    static func body(_ request: Request) async -> (bytes: [UInt8], object: [String: Any])? {
        var request = request
        guard let buffer = try? await request.collectBody(upTo: bodyLimit) else { return nil }
        let bytes = Array(buffer.readableBytesView)
        guard !bytes.isEmpty else { return (bytes, [:]) }
        guard let object = try? JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any] else { return nil }
        return (bytes, object)
    }

    /// Where a decision came from, for the audit log: the client's address.
    static func origin(_ context: ReconRequestContext) -> String? { context.remoteAddress?.ipAddress }

    static var badJSON: Response { APIResponse.detail(.badRequest, "JSON parse error.", code: "parse_error") }

    /// The account behind the request's bearer access token, or the 401 to answer.
    func authenticate(_ request: Request) async -> Authentication {
        guard let header = request.headers[.authorization] else { return .failure(APIResponse.notAuthenticated) }
        let parts = header.split(separator: " ", omittingEmptySubsequences: true)
        guard parts.count == 2, parts[0] == "Bearer" else { return .failure(APIResponse.notAuthenticated) }
        let verified: VerifiedToken
        do {
            verified = try await configuration.tokens.verify(String(parts[1]), as: .access)
        } catch {
            return .failure(APIResponse.detail(.unauthorized, error.detail, code: error.code))
        }
        return await activeAccount(verified)
    }

    /// The active account a verified token stands for, as long as its credentials did not change since it was issued.
    func activeAccount(_ token: VerifiedToken) async -> Authentication {
        let id = token.userID
        let account: Account?
        do {
            account = try await pool.withConnection { db in
                try await db.run { db throws(PostgresError) in try UserStore.account(db, id: id) }
            }
        } catch {
            return .failure(unavailable(error))
        }
        guard let account else {
            return .failure(APIResponse.detail(.unauthorized, "User not found", code: "user_not_found"))
        }
        guard account.isActive else {
            return .failure(APIResponse.detail(.unauthorized, "User is inactive", code: "user_inactive"))
        }
        guard account.acceptsToken(issuedAt: token.issuedAt, credentialsVersion: token.credentialsVersion) else {
            return .failure(APIResponse.detail(.unauthorized, Self.revoked.detail, code: Self.revoked.code))
        }
        return .success(account)
    }

    func unavailable(_ error: any Error) -> Response {
        logger.error("api request failed", metadata: ["recon.error": "\(String(describing: type(of: error)))"])
        return APIResponse.detail(.serviceUnavailable, "Service temporarily unavailable, try again later.")
    }

    // MARK: Auth

    func login(_ request: Request, _ context: ReconRequestContext) async -> Response {
        guard let (_, body) = await Self.body(request) else { return Self.badJSON }
        guard let email = (body["email"] as? String)?.trimmingSpaces(), !email.isEmpty,
            let password = body["password"] as? String, !password.isEmpty
        else {
            return APIResponse.json(
                .badRequest, ["email": ["This field is required."], "password": ["This field is required."]])
        }
        let address = clientAddress(request, context)
        let now = Date()
        do {
            switch try await passwordLogin.attempt(email: email, password: password, address: address, now: now) {
            case .throttled(let wait):
                return APIResponse.detail(
                    .tooManyRequests, "Request was throttled. Expected available in \(wait) seconds.",
                    code: "throttled")
            case .refused:
                return APIResponse.detail(
                    .unauthorized, "No active account found with the given credentials", code: "no_active_account")
            case .account(let account):
                return try await tokenPair(account, now: now)
            }
        } catch let error as IdentityError {
            return APIResponse.detail(.serviceUnavailable, error.message)
        } catch {
            return unavailable(error)
        }
    }

    /// The API's login door, throttled as configured.
    var passwordLogin: PasswordLogin {
        PasswordLogin(pool: pool, throttle: configuration.throttle)
    }

    func refresh(_ request: Request) async -> Response {
        guard let (_, body) = await Self.body(request) else { return Self.badJSON }
        guard let token = body["refresh"] as? String, !token.isEmpty else {
            return APIResponse.json(.badRequest, ["refresh": ["This field is required."]])
        }
        return await rotate(token)
    }
}
