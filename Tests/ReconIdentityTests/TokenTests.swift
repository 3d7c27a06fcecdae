import Foundation
import ReconIdentity
import Testing

/// Runs python3 with PyJWT (scripts/setup.sh installs it) and returns its stdout, trimmed.
func python(_ script: String, _ arguments: [String] = []) throws -> String {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = ["python3", "-c", script] + arguments
    let pipe = Pipe()
    process.standardOutput = pipe
    try process.run()
    let data = pipe.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    guard process.terminationStatus == 0 else { throw PythonFailed() }
    return String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
}

struct PythonFailed: Error {}

/// Makes a token the way the LMS's djangorestframework-simplejwt does (PyJWT, SimpleJWT's claims).
/// Arguments: algorithm, key (text or a PEM path), token_type, seconds to expiry (negative: expired), user_id JSON.
let pyjwtScript = """
    import sys, time, uuid, json, jwt
    alg, key, kind, ttl, uid = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), json.loads(sys.argv[5])
    if key.startswith('/'):
        key = open(key).read()
    now = int(time.time())
    claims = {'token_type': kind, 'exp': now + ttl, 'iat': now - 5, 'jti': uuid.uuid4().hex, 'user_id': uid}
    print(jwt.encode(claims, None if alg == 'none' else key, algorithm=alg))
    """

func pyjwt(
    _ algorithm: String = "HS256", key: String, type: String = "access", expiresIn: Int = 300, userID: String = "42"
) throws -> String {
    try python(pyjwtScript, [algorithm, key, type, String(expiresIn), userID])
}

@Suite("SimpleJWT-compatible tokens")
struct TokenTests {
    static let key = "the-lms-django-secret-key-0123456789abcdef"

    func hs256() async throws -> TokenService {
        try await TokenService(settings: .hs256(secret: Self.key))
    }

    func refusal(_ service: TokenService, _ token: String, as type: TokenType = .access) async -> TokenRefusal? {
        do {
            _ = try await service.verify(token, as: type)
            return nil
        } catch {
            return error
        }
    }

    @Test("a token PyJWT makes with SimpleJWT's claims is accepted; user_id as a number or a string")
    func pyjwtAccepted() async throws {
        let service = try await hs256()
        let token = try pyjwt(key: Self.key)
        let verified = try await service.verify(token, as: .access)
        #expect(verified.userID == 42 && verified.type == .access && verified.id.count == 32)
        let stringID = try pyjwt(key: Self.key, userID: #""42""#)
        #expect(try await service.verify(stringID, as: .access).userID == 42)
        let refresh = try pyjwt(key: Self.key, type: "refresh", expiresIn: 86_400)
        #expect(try await service.verify(refresh, as: .refresh).type == .refresh)
    }

    @Test("alg none, a wrong key, another HMAC algorithm and garbage are refused as SimpleJWT refuses them")
    func refused() async throws {
        let service = try await hs256()
        let none = try pyjwt("none", key: "")
        #expect(await refusal(service, none)?.detail == "Given token not valid for any token type")
        let wrongKey = try pyjwt(key: "another-secret-key-0123456789abcdefgh")
        #expect(await refusal(service, wrongKey) == .invalid)
        let hs512 = try pyjwt("HS512", key: Self.key)
        #expect(await refusal(service, hs512) == .invalid)
        let valid = try pyjwt(key: Self.key)
        let tampered = valid.dropLast(2) + (valid.hasSuffix("AA") ? "BB" : "AA")
        #expect(await refusal(service, String(tampered)) == .invalid)
        for garbage in ["", "a.b", "a.b.c", "...", String(repeating: "x", count: 10_000)] {
            #expect(await refusal(service, garbage) == .invalid)
        }
    }

    @Test("no leeway by default: expired 10 s ago is refused; with a 30 s leeway accepted; refresh is no access token")
    func expiryAndType() async throws {
        let service = try await hs256()
        #expect(await refusal(service, try pyjwt(key: Self.key, expiresIn: -10))?.detail == "Token is expired")
        let lenient = try await TokenService(settings: .hs256(secret: Self.key, leeway: 30))
        #expect(await refusal(lenient, try pyjwt(key: Self.key, expiresIn: -10)) == nil)
        #expect(await refusal(lenient, try pyjwt(key: Self.key, expiresIn: -60))?.detail == "Token is expired")
        let refresh = try pyjwt(key: Self.key, type: "refresh")
        #expect(await refusal(service, refresh)?.detail == "Token has wrong type")
        #expect(await refusal(service, try pyjwt(key: Self.key), as: .refresh)?.detail == "Token has wrong type")
    }

    @Test("tokens issued here are SimpleJWT's: PyJWT verifies them with the shared key and reads the claims")
    func issuedReadByPyJWT() async throws {
        let service = try await TokenService(settings: .hs256(secret: Self.key, accessLifetime: 300))
        let token = try await service.issue(.access, userID: 7)
        let claims = try python(
            """
            import sys, jwt, json
            c = jwt.decode(sys.argv[1], sys.argv[2], algorithms=['HS256'])
            print(c['token_type'], c['user_id'], c['exp'] - c['iat'], len(c['jti']))
            """, [token, Self.key])
        #expect(claims == "access 7 300 32")
        #expect(try await service.verify(token, as: .access).userID == 7)
    }

    @Test("RS256 and ES256 with a public key (PEM): the LMS's tokens verify; other algorithms are refused")
    func asymmetric() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("jwt-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let rsa = folder.appendingPathComponent("rsa.pem").path
        let rsaPublic = folder.appendingPathComponent("rsa.pub.pem").path
        let ec = folder.appendingPathComponent("ec.pem").path
        let ecPublic = folder.appendingPathComponent("ec.pub.pem").path
        _ = try python(
            """
            import sys
            from cryptography.hazmat.primitives.asymmetric import rsa, ec
            from cryptography.hazmat.primitives import serialization as s
            for key, priv, pub in ((rsa.generate_private_key(65537, 2048), sys.argv[1], sys.argv[2]),
                                   (ec.generate_private_key(ec.SECP256R1()), sys.argv[3], sys.argv[4])):
                open(priv, 'wb').write(key.private_bytes(s.Encoding.PEM, s.PrivateFormat.PKCS8, s.NoEncryption()))
                open(pub, 'wb').write(key.public_key().public_bytes(s.Encoding.PEM, s.PublicFormat.SubjectPublicKeyInfo))
            """, [rsa, rsaPublic, ec, ecPublic])
        let rsaPEM = try String(contentsOfFile: rsaPublic, encoding: .utf8)
        let rs256 = try await TokenService(settings: .asymmetric(.rs256, verifyingPEM: rsaPEM, signingPEM: nil))
        #expect(try await rs256.verify(try pyjwt("RS256", key: rsa), as: .access).userID == 42)
        #expect(await refusal(rs256, try pyjwt("ES256", key: ec)) == .invalid)
        #expect(await refusal(rs256, try pyjwt("HS256", key: "not-the-key-0123456789abcdefghijk")) == .invalid)
        #expect(!rs256.configuration.canIssue)

        let ecPEM = try String(contentsOfFile: ecPublic, encoding: .utf8)
        let es256 = try await TokenService(
            settings: .asymmetric(
                .es256, verifyingPEM: ecPEM, signingPEM: try String(contentsOfFile: ec, encoding: .utf8)))
        #expect(try await es256.verify(try pyjwt("ES256", key: ec), as: .access).userID == 42)
        #expect(await refusal(es256, try pyjwt("RS256", key: rsa)) == .invalid)
        let issued = try await es256.issue(.access, userID: 9)
        #expect(try await es256.verify(issued, as: .access).userID == 9)
    }
}
