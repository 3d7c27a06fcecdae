public import Foundation
import JWTKit
public import ReconCore

/// SimpleJWT's token types.
public enum TokenType: String, Sendable, Codable {
    case access
    case refresh
}

/// What a verified token says: the claims SimpleJWT writes.
public struct VerifiedToken: Sendable, Equatable {
    /// `access` or `refresh`.
    public var type: TokenType
    /// `user_id` (SimpleJWT writes the primary key as a number, or as a string for some user models).
    public var userID: Int64
    /// `jti`.
    public var id: String
    /// `exp`.
    public var expires: Date
    /// `iat`, whole seconds since 1970.
    public var issuedAt: Int64
    /// The account's credentials version when this program issued the token (`recon_cv`); `nil` in the LMS's own
    /// tokens, which are then held against the account's `credentials_changed_at` by `iat`.
    public var credentialsVersion: Int64?
}

/// Why a token was refused; `detail`/`code` are what DRF answers with 401, safe to show.
public struct TokenRefusal: Error, Sendable, Equatable, CustomStringConvertible {
    /// DRF's `detail`.
    public var detail: String
    /// SimpleJWT's `code`.
    public var code: String
    /// A refusal.
    public init(_ detail: String, code: String = "token_not_valid") {
        self.detail = detail
        self.code = code
    }

    public var description: String { detail }
    /// SimpleJWT's answer for any unusable token.
    public static let invalid = TokenRefusal("Given token not valid for any token type")
}

/// The payload exactly as djangorestframework-simplejwt writes it, plus the registered claims it may carry (`nbf`,
/// `aud`, `iss`) and this program's credentials version. jwt-kit checks only the signature; the claims are checked by
/// ``TokenService`` with SimpleJWT's messages.
struct SimpleJWTClaims: JWTPayload {
    var tokenType: String
    var exp: Int64
    var iat: Int64
    var jti: String
    var userID: Int64
    var nbf: Int64?
    /// `aud`: one string or a list of strings.
    var aud: [String]?
    var iss: String?
    var credentialsVersion: Int64?

    enum CodingKeys: String, CodingKey {
        case tokenType = "token_type"
        case exp, iat, jti, nbf, aud, iss
        case userID = "user_id"
        case credentialsVersion = "recon_cv"
    }

    init(
        tokenType: String, exp: Int64, iat: Int64, jti: String, userID: Int64, audience: String? = nil,
        issuer: String? = nil, credentialsVersion: Int64? = nil
    ) {
        self.tokenType = tokenType
        self.exp = exp
        self.iat = iat
        self.jti = jti
        self.userID = userID
        self.aud = audience.map { [$0] }
        self.iss = issuer
        self.credentialsVersion = credentialsVersion
    }

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        tokenType = try container.decode(String.self, forKey: .tokenType)
        exp = try Self.seconds(container, .exp)
        iat = try Self.seconds(container, .iat)
        nbf = container.contains(.nbf) ? try Self.seconds(container, .nbf) : nil
        jti = try container.decode(String.self, forKey: .jti)
        if let number = try? container.decode(Int64.self, forKey: .userID) {
            userID = number
        } else {
            let text = try container.decode(String.self, forKey: .userID)
            guard let number = Int64(text) else {
                throw DecodingError.dataCorruptedError(
                    forKey: .userID, in: container, debugDescription: "user_id is not an id")
            }
            userID = number
        }
        if !container.contains(.aud) {
            aud = nil
        } else if let one = try? container.decode(String.self, forKey: .aud) {
            aud = [one]
        } else {
            aud = try container.decode([String].self, forKey: .aud)
        }
        iss = try container.decodeIfPresent(String.self, forKey: .iss)
        credentialsVersion = try container.decodeIfPresent(Int64.self, forKey: .credentialsVersion)
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(tokenType, forKey: .tokenType)
        try container.encode(exp, forKey: .exp)
        try container.encode(iat, forKey: .iat)
        try container.encode(jti, forKey: .jti)
        try container.encode(userID, forKey: .userID)
        try container.encodeIfPresent(nbf, forKey: .nbf)
        if let aud, aud.count == 1 {
            try container.encode(aud[0], forKey: .aud)
        } else {
            try container.encodeIfPresent(aud, forKey: .aud)
        }
        try container.encodeIfPresent(iss, forKey: .iss)
        try container.encodeIfPresent(credentialsVersion, forKey: .credentialsVersion)
    }

    static func seconds(_ container: KeyedDecodingContainer<CodingKeys>, _ key: CodingKeys) throws -> Int64 {
        if let whole = try? container.decode(Int64.self, forKey: key) { return whole }
        let value = try container.decode(Double.self, forKey: key)
        guard value.isFinite, abs(value) < 1e15 else {
            throw DecodingError.dataCorruptedError(forKey: key, in: container, debugDescription: "not a time")
        }
        return Int64(value)
    }

    func verify(using algorithm: some JWTAlgorithm) async throws {}
}

/// Time arithmetic on claims that a signed token controls: it saturates instead of trapping, so `exp` near
/// `Int64.max` is "far in the future", never a crash.
enum ClaimTime {
    static func plus(_ value: Int64, _ seconds: Int64) -> Int64 {
        let (sum, overflow) = value.addingReportingOverflow(seconds)
        return overflow ? (seconds > 0 ? .max : .min) : sum
    }

    static func minus(_ value: Int64, _ seconds: Int64) -> Int64 {
        let (difference, overflow) = value.subtractingReportingOverflow(seconds)
        return overflow ? (seconds > 0 ? .min : .max) : difference
    }

    /// Whole seconds since 1970 of a date, clamped to what `Int64` holds.
    static func seconds(_ date: Date) -> Int64 {
        let value = date.timeIntervalSince1970.rounded(.down)
        guard value.isFinite else { return value > 0 ? .max : .min }
        if value >= 9.2e18 { return .max }
        if value <= -9.2e18 { return .min }
        return Int64(value)
    }
}

/// Verifies and issues SimpleJWT-compatible tokens with one configured algorithm and key. Signatures are jwt-kit's
/// (vapor/jwt-kit, on swift-crypto); this type adds what SimpleJWT checks on top, in its order: the header's `alg`
/// must be the configured one, then the signature, then `exp`, `nbf` and `iat` with the leeway (0 by default, as
/// SimpleJWT's), `aud` and `iss` when configured, then `token_type`.
public struct TokenService: Sendable {
    let settings: TokenSettings
    /// Verifies: the HS256 secret, or the configured public key.
    let verifier: JWTKeyCollection
    /// Signs (for `/api/auth/login/`): the HS256 secret, or the private key when one is configured.
    let signer: JWTKeyCollection?

    /// A service over settings; throws when a key does not parse or does not fit the algorithm.
    public init(settings: TokenSettings) async throws(IdentityError) {
        self.settings = settings
        let verifier = JWTKeyCollection()
        var signer: JWTKeyCollection?
        do {
            switch settings.algorithm {
            case .hs256:
                await verifier.add(hmac: HMACKey(from: settings.secret), digestAlgorithm: .sha256)
                signer = verifier
            case .rs256:
                let pem = settings.verifyingPEM ?? ""
                await verifier.add(rsa: try Insecure.RSA.PublicKey(pem: pem), digestAlgorithm: .sha256)
                if let privatePEM = settings.signingPEM {
                    let keys = JWTKeyCollection()
                    await keys.add(rsa: try Insecure.RSA.PrivateKey(pem: privatePEM), digestAlgorithm: .sha256)
                    signer = keys
                }
            case .es256:
                await verifier.add(ecdsa: try ES256PublicKey(pem: settings.verifyingPEM ?? ""))
                if let privatePEM = settings.signingPEM {
                    let keys = JWTKeyCollection()
                    await keys.add(ecdsa: try ES256PrivateKey(pem: privatePEM))
                    signer = keys
                }
            }
        } catch {
            throw IdentityError(
                .configuration, "the \(settings.algorithm.rawValue) key does not parse as that kind of key")
        }
        self.verifier = verifier
        self.signer = signer
    }

    /// The configured settings (lifetimes, whether tokens can be issued).
    public var configuration: TokenSettings { settings }

    /// Verifies a token of the expected type: the header must name the configured algorithm (never `none`), the
    /// signature must hold, `exp` must not be past, `nbf` and `iat` not in the future (with the leeway), `aud` and
    /// `iss` must be the configured ones when set, and `token_type` must match.
    public func verify(
        _ token: String, as expected: TokenType, now: Date = Date()
    ) async throws(TokenRefusal)
        -> VerifiedToken
    {
        let parts = token.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3, token.utf8.count <= 8_192, let headerBytes = Base64URL.decode(parts[0]),
            let header = try? JSONDecoder().decode(Header.self, from: Data(headerBytes)),
            header.alg == settings.algorithm.rawValue
        else { throw .invalid }
        let claims: SimpleJWTClaims
        do {
            claims = try await verifier.verify(token, as: SimpleJWTClaims.self)
        } catch {
            throw .invalid
        }
        let current = ClaimTime.seconds(now)
        let leeway = Int64(settings.leeway)
        guard ClaimTime.plus(claims.exp, leeway) > current else {
            throw TokenRefusal("Token is expired", code: "token_not_valid")
        }
        // PyJWT (under SimpleJWT) refuses a token before its `nbf` and one issued in the future.
        if let nbf = claims.nbf, ClaimTime.minus(nbf, leeway) > current { throw Self.invalidClaims }
        guard ClaimTime.minus(claims.iat, leeway) <= current else { throw Self.invalidClaims }
        if let audience = settings.audience, !(claims.aud ?? []).contains(audience) { throw Self.invalidClaims }
        if let issuer = settings.issuer, claims.iss != issuer { throw Self.invalidClaims }
        guard claims.tokenType == expected.rawValue else {
            throw TokenRefusal("Token has wrong type", code: "token_not_valid")
        }
        return VerifiedToken(
            type: expected, userID: claims.userID, id: claims.jti,
            expires: Date(timeIntervalSince1970: TimeInterval(claims.exp)), issuedAt: claims.iat,
            credentialsVersion: claims.credentialsVersion)
    }

    /// SimpleJWT's answer when PyJWT refuses a claim (`nbf`, `iat`, `aud`, `iss`).
    static let invalidClaims = TokenRefusal("Token is invalid", code: "token_not_valid")

    /// Issues a token as SimpleJWT would for this user, with the configured `aud`/`iss` and the account's
    /// credentials version (so a password change or a disable ends it).
    public func issue(
        _ type: TokenType, userID: Int64, credentialsVersion: Int64? = nil, now: Date = Date()
    ) async throws(IdentityError) -> String {
        guard let signer else { throw IdentityError(.configuration, "no signing key: tokens come from the LMS") }
        let lifetime = type == .access ? settings.accessLifetime : settings.refreshLifetime
        let iat = ClaimTime.seconds(now)
        let jti = UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased()
        let claims = SimpleJWTClaims(
            tokenType: type.rawValue, exp: ClaimTime.plus(iat, Int64(lifetime)), iat: iat, jti: jti, userID: userID,
            audience: settings.audience, issuer: settings.issuer, credentialsVersion: credentialsVersion)
        do {
            return try await signer.sign(claims)
        } catch {
            throw IdentityError(.crypto, "the token could not be signed")
        }
    }

    struct Header: Decodable {
        var alg: String
    }
}
