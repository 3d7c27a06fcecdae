import Foundation
import Hummingbird
import Logging
import ReconCore
import ReconIdentity
import ReconPostgres

/// Authenticates the payments routes as SimpleJWT's `JWTAuthentication` does: the account behind the request's
/// bearer access token goes into ``APIRequestContext/account``, or the request is answered with DRF's 401.
struct BearerAuthenticator: RouterMiddleware {
    typealias Context = APIRequestContext

    let tokens: TokenService
    let pool: ConnectionPool
    let logger: Logger

    func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        var context = context
        do {
            context.account = try await account(for: request)
        } catch {
            return error.response
        }
        return try await next(request, context)
    }

    /// The account behind the request's bearer access token.
    func account(for request: Request) async throws(APIAnswer) -> Account {
        guard let header = request.headers[.authorization] else { throw .notAuthenticated }
        let parts = header.split(separator: " ", omittingEmptySubsequences: true)
        guard parts.count == 2, parts[0] == "Bearer" else { throw .notAuthenticated }
        return try await activeAccount(try await verified(String(parts[1]), as: .access))
    }

    /// A verified token of the type, or SimpleJWT's 401 for it.
    func verified(_ token: String, as type: TokenType) async throws(APIAnswer) -> VerifiedToken {
        do {
            return try await tokens.verify(token, as: type)
        } catch {
            throw .detail(.unauthorized, error.detail, code: error.code)
        }
    }

    /// The active account a verified token (access or refresh) stands for, as long as its credentials did not change
    /// since the token was issued.
    func activeAccount(_ token: VerifiedToken) async throws(APIAnswer) -> Account {
        let id = token.userID
        let account: Account?
        do {
            account = try await pool.withConnection { db in
                try await db.run { db throws(PostgresError) in try UserStore.account(db, id: id) }
            }
        } catch {
            throw .unavailable(error, logger: logger)
        }
        guard let account else { throw .detail(.unauthorized, "User not found", code: "user_not_found") }
        guard account.isActive else { throw .detail(.unauthorized, "User is inactive", code: "user_inactive") }
        guard account.acceptsToken(issuedAt: token.issuedAt, credentialsVersion: token.credentialsVersion) else {
            throw .detail(.unauthorized, Self.revoked.detail, code: Self.revoked.code)
        }
        return account
    }

    /// A token made before the account's password changed or it was disabled.
    static let revoked = TokenRefusal("Token is invalid", code: "token_not_valid")
}
