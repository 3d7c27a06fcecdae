import Foundation
public import ReconCore

/// How the LMS's SimpleJWT tokens are checked and issued (`LMS_JWT_*`).
public struct TokenSettings: Sendable {
    /// The one algorithm accepted; a token naming another (or `none`) is refused.
    public enum Algorithm: String, Sendable {
        case hs256 = "HS256"
        case rs256 = "RS256"
        case es256 = "ES256"
    }

    /// The configured algorithm.
    public var algorithm: Algorithm
    /// HS256: the shared secret (the LMS's `SIGNING_KEY`, by default its Django `SECRET_KEY`). Never printed.
    var secret: [UInt8]
    /// RS256/ES256: the public key that verifies.
    var verifyingPEM: String?
    /// RS256/ES256: the private key that signs, when this program issues tokens too.
    var signingPEM: String?
    /// Access tokens live this long (`LMS_JWT_ACCESS_LIFETIME`, seconds, default 300).
    public var accessLifetime: Int
    /// Refresh tokens live this long (`LMS_JWT_REFRESH_LIFETIME`, seconds, default 86 400).
    public var refreshLifetime: Int
    /// Clock skew allowed on `exp`, `nbf` and `iat` (SimpleJWT's `LEEWAY`, `LMS_JWT_LEEWAY`), seconds; 0 by default,
    /// as SimpleJWT's.
    public var leeway: Int
    /// `LMS_JWT_AUDIENCE` (SimpleJWT's `AUDIENCE`): when set, tokens must name it in `aud`, and issued ones carry it.
    public var audience: String?
    /// `LMS_JWT_ISSUER` (SimpleJWT's `ISSUER`): when set, tokens must carry it as `iss`, and issued ones do.
    public var issuer: String?

    /// HS256 with a shared secret.
    public static func hs256(
        secret: String, accessLifetime: Int = 300, refreshLifetime: Int = 86_400, leeway: Int = 0,
        audience: String? = nil, issuer: String? = nil
    ) -> TokenSettings {
        TokenSettings(
            algorithm: .hs256, secret: Array(secret.utf8), verifyingPEM: nil, signingPEM: nil,
            accessLifetime: accessLifetime, refreshLifetime: refreshLifetime, leeway: leeway, audience: audience,
            issuer: issuer)
    }

    /// RS256 or ES256 with a public key (and optionally the private key, to issue tokens).
    public static func asymmetric(
        _ algorithm: Algorithm, verifyingPEM: String, signingPEM: String?, accessLifetime: Int = 300,
        refreshLifetime: Int = 86_400, leeway: Int = 0, audience: String? = nil, issuer: String? = nil
    ) -> TokenSettings {
        TokenSettings(
            algorithm: algorithm, secret: [], verifyingPEM: verifyingPEM, signingPEM: signingPEM,
            accessLifetime: accessLifetime, refreshLifetime: refreshLifetime, leeway: leeway, audience: audience,
            issuer: issuer)
    }

    /// Whether this program can issue tokens (`/api/auth/login/`): HS256, or a private key was given.
    public var canIssue: Bool { algorithm == .hs256 || signingPEM != nil }

    /// From the environment: `LMS_JWT_VERIFYING_KEY` (a PEM path: RS256 or ES256, `LMS_JWT_ALGORITHM` to choose, else
    /// read from the key) with an optional `LMS_JWT_SIGNING_KEY` private key (a PEM path); otherwise
    /// `LMS_JWT_SIGNING_KEY` is the HS256 secret (at least 32 bytes). Lifetimes in seconds; `LMS_JWT_LEEWAY` (seconds,
    /// default 0, at most 300), `LMS_JWT_AUDIENCE` and `LMS_JWT_ISSUER` (unset: not checked) as SimpleJWT's settings.
    public static func load(from env: Environment) throws(ConfigurationError) -> TokenSettings {
        var settings = try keys(from: env)
        settings.leeway = try env.integer("LMS_JWT_LEEWAY", default: 0, in: 0...300)
        settings.audience = env.optional("LMS_JWT_AUDIENCE")
        settings.issuer = env.optional("LMS_JWT_ISSUER")
        return settings
    }

    static func keys(from env: Environment) throws(ConfigurationError) -> TokenSettings {
        let access = try seconds(env, "LMS_JWT_ACCESS_LIFETIME", default: 300)
        let refresh = try seconds(env, "LMS_JWT_REFRESH_LIFETIME", default: 86_400)
        if let path = env.optional("LMS_JWT_VERIFYING_KEY") {
            let verifying = try readPEM(path, variable: "LMS_JWT_VERIFYING_KEY")
            var algorithm: Algorithm = verifying.contains("BEGIN EC") ? .es256 : .rs256
            if let named = env.optional("LMS_JWT_ALGORITHM") {
                guard let parsed = Algorithm(rawValue: named.uppercased()), parsed != .hs256 else {
                    throw ConfigurationError(
                        variable: "LMS_JWT_ALGORITHM", problem: "must be RS256 or ES256 with LMS_JWT_VERIFYING_KEY")
                }
                algorithm = parsed
            }
            let signing = try env.optional("LMS_JWT_SIGNING_KEY").map { path throws(ConfigurationError) in
                try readPEM(path, variable: "LMS_JWT_SIGNING_KEY")
            }
            return .asymmetric(
                algorithm, verifyingPEM: verifying, signingPEM: signing, accessLifetime: access,
                refreshLifetime: refresh)
        }
        let secret = try env.required("LMS_JWT_SIGNING_KEY")
        guard secret.utf8.count >= 32 else {
            throw ConfigurationError(variable: "LMS_JWT_SIGNING_KEY", problem: "must be at least 32 bytes for HS256")
        }
        return .hs256(secret: secret, accessLifetime: access, refreshLifetime: refresh)
    }

    static func seconds(_ env: Environment, _ name: String, default value: Int) throws(ConfigurationError) -> Int {
        guard let text = env.optional(name) else { return value }
        guard let parsed = Int(text), parsed >= 1, parsed <= 365 * 86_400 else {
            throw ConfigurationError(variable: name, problem: "must be a number of seconds")
        }
        return parsed
    }

    static func readPEM(_ path: String, variable: String) throws(ConfigurationError) -> String {
        guard let data = FileManager.default.contents(atPath: path),
            let text = String(data: data, encoding: .utf8), text.contains("-----BEGIN")
        else { throw ConfigurationError(variable: variable, problem: "must name a readable PEM file") }
        return text
    }
}
