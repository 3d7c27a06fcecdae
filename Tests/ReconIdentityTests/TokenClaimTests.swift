import Foundation
import ReconCore
import ReconIdentity
import Testing

/// Signs any claims (a JSON object; `NOW` stands for the current time) with HS256, as PyJWT does for the LMS.
func signedClaims(_ claims: String, key: String) throws -> String {
    try python(
        """
        import sys, time, json, jwt
        claims = json.loads(sys.argv[1].replace('NOW', str(int(time.time()))))
        print(jwt.encode(claims, sys.argv[2], algorithm='HS256'))
        """, [claims, key])
}

@Suite("Token claims: overflow-safe times, nbf, iat, leeway, audience and issuer")
struct TokenClaimTests {
    static let key = "the-lms-django-secret-key-0123456789abcdef"

    func refusal(_ service: TokenService, _ token: String) async -> TokenRefusal? {
        do {
            _ = try await service.verify(token, as: .access)
            return nil
        } catch {
            return error
        }
    }

    func claims(_ extra: String, exp: String = "NOW + 300", iat: String = "NOW") throws -> String {
        // Arithmetic on NOW is done here, in Swift, so the JSON stays plain numbers.
        let now = Int64(Date().timeIntervalSince1970)
        func value(_ text: String) -> String {
            let parts = text.split(separator: " ")
            guard parts.first == "NOW" else { return text }
            guard parts.count == 3, let delta = Int64(parts[2]) else { return String(now) }
            return String(parts[1] == "+" ? now + delta : now - delta)
        }
        return try signedClaims(
            #"{"token_type":"access","jti":"abc","user_id":5,"exp":\#(value(exp)),"iat":\#(value(iat))\#(extra)}"#,
            key: Self.key)
    }

    @Test("a validly signed token whose exp, nbf or iat sits at the edge of Int64 is judged, never a crash")
    func extremeTimesDoNotTrap() async throws {
        let service = try await TokenService(settings: .hs256(secret: Self.key))
        let lenient = try await TokenService(settings: .hs256(secret: Self.key, leeway: 300))
        let farFuture = try claims("", exp: "9223372036854775807")
        #expect(try await service.verify(farFuture, as: .access).userID == 5)
        #expect(try await lenient.verify(farFuture, as: .access).userID == 5)
        let ancient = try claims("", exp: "-9223372036854775808", iat: "-9223372036854775808")
        #expect(await refusal(lenient, ancient)?.detail == "Token is expired")
        let nbfMin = try claims(#","nbf":-9223372036854775808"#)
        #expect(await refusal(lenient, nbfMin) == nil)
        let nbfMax = try claims(#","nbf":9223372036854775807"#)
        #expect(await refusal(lenient, nbfMax)?.detail == "Token is invalid")
        let iatMax = try claims("", iat: "9223372036854775807")
        #expect(await refusal(lenient, iatMax)?.detail == "Token is invalid")
    }

    @Test("a token before its nbf, or issued in the future, is refused; the configured leeway forgives that much")
    func notBeforeAndIssuedAt() async throws {
        let service = try await TokenService(settings: .hs256(secret: Self.key))
        #expect(await refusal(service, try claims(#","nbf":NOW"#)) == nil)
        #expect(await refusal(service, try claims(#","nbf":\#(Int64(Date().timeIntervalSince1970) + 60)"#)) != nil)
        #expect(await refusal(service, try claims("", iat: "NOW + 60"))?.detail == "Token is invalid")
        let lenient = try await TokenService(settings: .hs256(secret: Self.key, leeway: 120))
        #expect(await refusal(lenient, try claims("", iat: "NOW + 60")) == nil)
        #expect(await refusal(lenient, try claims(#","nbf":\#(Int64(Date().timeIntervalSince1970) + 60)"#)) == nil)
    }

    @Test("LMS_JWT_LEEWAY, LMS_JWT_AUDIENCE and LMS_JWT_ISSUER: leeway 0 unless set; aud and iss checked when set")
    func audienceIssuerAndLeewaySettings() async throws {
        let base = ["LMS_JWT_SIGNING_KEY": Self.key]
        #expect(try TokenSettings.load(from: Environment(base)).leeway == 0)
        var env = base
        env["LMS_JWT_LEEWAY"] = "15"
        env["LMS_JWT_AUDIENCE"] = "recon"
        env["LMS_JWT_ISSUER"] = "https://lms.example.com"
        let settings = try TokenSettings.load(from: Environment(env))
        #expect(settings.leeway == 15 && settings.audience == "recon" && settings.issuer == "https://lms.example.com")
        env["LMS_JWT_LEEWAY"] = "-1"
        #expect(throws: ConfigurationError.self) { try TokenSettings.load(from: Environment(env)) }

        let service = try await TokenService(settings: settings)
        let good = try claims(#","aud":["lms","recon"],"iss":"https://lms.example.com""#)
        #expect(await refusal(service, good) == nil)
        #expect(await refusal(service, try claims(#","aud":"recon","iss":"https://lms.example.com""#)) == nil)
        #expect(await refusal(service, try claims(#","aud":"other","iss":"https://lms.example.com""#)) != nil)
        #expect(await refusal(service, try claims(#","aud":"recon""#)) != nil)
        #expect(await refusal(service, try claims(#","iss":"https://lms.example.com""#)) != nil)
        #expect(await refusal(service, try claims(#","aud":"recon","iss":"https://evil.example.com""#)) != nil)

        let issued = try await service.issue(.access, userID: 8, credentialsVersion: 3)
        let read = try python(
            """
            import sys, jwt
            c = jwt.decode(sys.argv[1], sys.argv[2], algorithms=['HS256'], audience='recon', issuer=sys.argv[3])
            print(c['aud'], c['iss'], c['recon_cv'], c['user_id'])
            """, [issued, Self.key, "https://lms.example.com"])
        #expect(read == "recon https://lms.example.com 3 8")
        let verified = try await service.verify(issued, as: .access)
        #expect(verified.credentialsVersion == 3 && verified.userID == 8)
        let unconfigured = try await TokenService(settings: .hs256(secret: Self.key))
        #expect(try await unconfigured.verify(try claims(#","aud":"anything""#), as: .access).credentialsVersion == nil)
    }
}
