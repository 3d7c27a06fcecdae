import Foundation
import Hummingbird
import ReconCore
import ReconIdentity
import ReconPostgres

/// Tokens: the pair a login gets, refresh with rotation, and logout.
extension PaymentsAPI {
    /// A refresh token used once already (rotated) or given up at logout: SimpleJWT's words.
    static let blacklisted = TokenRefusal("Token is blacklisted", code: "token_not_valid")

    /// SimpleJWT's `TokenObtainPairView` answer.
    struct TokenPair: Encodable, Sendable {
        var access: String
        var refresh: String
    }

    /// An access and a refresh token for the account, under its current credentials version.
    func tokenPair(_ account: Account, now: Date) async throws(IdentityError) -> APIAnswer {
        let tokens = configuration.tokens
        let version = account.credentialsVersion
        let access = try await tokens.issue(.access, userID: account.id, credentialsVersion: version, now: now)
        let refresh = try await tokens.issue(.refresh, userID: account.id, credentialsVersion: version, now: now)
        return APIAnswer(.ok, TokenPair(access: access, refresh: refresh))
    }

    /// `POST /api/auth/refresh/` with rotation (SimpleJWT's `ROTATE_REFRESH_TOKENS` and `BLACKLIST_AFTER_ROTATION`):
    /// the refresh token is blacklisted by its `jti` as it is used, and a new pair is answered. A refresh token used
    /// twice, or one made before the account's credentials changed, is refused.
    func rotate(_ token: String) async throws -> APIAnswer {
        let verified = try await authenticator.verified(token, as: .refresh)
        let account = try await authenticator.activeAccount(verified)
        do {
            let now = Date()
            guard try await blacklist(verified, now: now) else {
                return .detail(.unauthorized, Self.blacklisted.detail, code: Self.blacklisted.code)
            }
            return try await tokenPair(account, now: now)
        } catch let error as IdentityError {
            return .detail(.serviceUnavailable, error.message)
        }
    }

    /// `POST /api/auth/logout/` (SimpleJWT's `TokenBlacklistView`): blacklists the refresh token given, `{}` on
    /// success. Access tokens already issued live out their short lifetime.
    func logout(_ request: Request, _ context: APIRequestContext) async throws -> APIAnswer {
        let body = try await request.decode(as: RefreshRequest.self, context: context)
        let verified = try await authenticator.verified(body.refresh, as: .refresh)
        guard try await blacklist(verified, now: Date()) else {
            return .detail(.unauthorized, Self.blacklisted.detail, code: Self.blacklisted.code)
        }
        return APIAnswer(.ok, EmptyObject())
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
