import Foundation
import Hummingbird
import ReconCore
import ReconIdentity
import ReconPostgres

/// Tokens: the pair a login gets, refresh with rotation, logout, and the client address the login throttle keys on.
extension PaymentsAPI {
    /// A token made before the account's password changed or it was disabled.
    static let revoked = TokenRefusal("Token is invalid", code: "token_not_valid")
    /// A refresh token used once already (rotated) or given up at logout: SimpleJWT's words.
    static let blacklisted = TokenRefusal("Token is blacklisted", code: "token_not_valid")

    /// Authentication answers carry credentials: no cache may keep them.
    static func noStore(_ response: Response) -> Response {
        var response = response
        response.headers[.cacheControl] = "no-store"
        return response
    }

    /// The real client behind trusted proxies (`RECON_TRUSTED_PROXIES`), else the peer.
    func clientAddress(_ request: Request, _ context: ReconRequestContext) -> String {
        configuration.addressPolicy.clientAddress(request, context)
    }

    /// An access and a refresh token for the account, under its current credentials version.
    func tokenPair(_ account: Account, now: Date) async throws(IdentityError) -> Response {
        let tokens = configuration.tokens
        let version = account.credentialsVersion
        let access = try await tokens.issue(.access, userID: account.id, credentialsVersion: version, now: now)
        let refresh = try await tokens.issue(.refresh, userID: account.id, credentialsVersion: version, now: now)
        return APIResponse.json(.ok, ["access": access, "refresh": refresh])
    }

    /// `POST /api/auth/refresh/` with rotation (SimpleJWT's `ROTATE_REFRESH_TOKENS` and `BLACKLIST_AFTER_ROTATION`):
    /// the refresh token is blacklisted by its `jti` as it is used, and a new pair is answered. A refresh token used
    /// twice, or one made before the account's credentials changed, is refused.
    func rotate(_ token: String) async -> Response {
        let verified: VerifiedToken
        do {
            verified = try await configuration.tokens.verify(token, as: .refresh)
        } catch {
            return APIResponse.detail(.unauthorized, error.detail, code: error.code)
        }
        switch await activeAccount(verified) {
        case .failure(let response): return response
        case .success(let account):
            do {
                let now = Date()
                guard try await blacklist(verified, now: now) else {
                    return APIResponse.detail(.unauthorized, Self.blacklisted.detail, code: Self.blacklisted.code)
                }
                return try await tokenPair(account, now: now)
            } catch let error as IdentityError {
                return APIResponse.detail(.serviceUnavailable, error.message)
            } catch {
                return unavailable(error)
            }
        }
    }

    /// `POST /api/auth/logout/` (SimpleJWT's `TokenBlacklistView`): blacklists the refresh token given, `{}` on
    /// success. Access tokens already issued live out their short lifetime.
    func logout(_ request: Request) async -> Response {
        guard let (_, body) = await Self.body(request) else { return Self.badJSON }
        guard let token = body["refresh"] as? String, !token.isEmpty else {
            return APIResponse.json(.badRequest, ["refresh": ["This field is required."]])
        }
        let verified: VerifiedToken
        do {
            verified = try await configuration.tokens.verify(token, as: .refresh)
        } catch {
            return APIResponse.detail(.unauthorized, error.detail, code: error.code)
        }
        do {
            guard try await blacklist(verified, now: Date()) else {
                return APIResponse.detail(.unauthorized, Self.blacklisted.detail, code: Self.blacklisted.code)
            }
        } catch {
            return unavailable(error)
        }
        return APIResponse.json(.ok, [String: Any]())
    }

    /// Blacklists a verified refresh token; `false` when it was already.
    func blacklist(_ token: VerifiedToken, now: Date) async throws -> Bool {
        try await pool.withConnection { db in
            try await db.run { db throws(PostgresError) in
                try UserStore.blacklistToken(db, jti: token.id, userID: token.userID, expires: token.expires, at: now)
            }
        }
    }
}
