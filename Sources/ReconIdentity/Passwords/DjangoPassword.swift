internal import COpenSSL
import Foundation
public import ReconCore

/// Django's password hashes, `pbkdf2_sha256$<iterations>$<salt>$<base64 hash>`, so the LMS's accounts log in
/// here unchanged. Other algorithms (and Django's unusable `!…` passwords) never verify.
public enum DjangoPassword {
    /// Iterations for new hashes: Django 5.1's default, at least the 870 000 the issue asks for.
    public static let defaultIterations = 870_000
    /// Refuses stored hashes asking for absurd work (a denial of service through a crafted row).
    static let maximumIterations = 10_000_000

    /// Whether `password` matches `encoded`, compared in constant time. A malformed hash is simply "no".
    public static func verify(_ password: String, against encoded: String) -> Bool {
        guard let parsed = Parsed(encoded),
            let derived = pbkdf2SHA256(password: password, salt: parsed.salt, iterations: parsed.iterations)
        else { return false }
        return constantTimeEqual(derived, parsed.hash)
    }

    /// What a login learns from a stored hash: whether the password matches and whether the hash should be
    /// replaced by one at ``defaultIterations``.
    public struct Check: Sendable, Equatable {
        /// The password matches the stored hash.
        public var matches: Bool
        /// The stored hash is weaker than a new one would be (fewer iterations): re-hash it after this login.
        public var needsUpgrade: Bool
        /// PBKDF2 iterations the check spent: never fewer than the current count, whatever was stored.
        public var iterationsSpent: Int
    }

    /// Checks a password at a cost that does not depend on the stored hash: never less than one PBKDF2 of
    /// `iterations` (the current count). An unusable (`!…`), malformed or missing hash spends it on a decoy; a
    /// legacy hash with fewer iterations is topped up with the difference, so an unknown email, a disabled
    /// password and an old hash all answer in the same time as a current one.
    public static func check(
        _ password: String, against encoded: String?, iterations: Int = defaultIterations
    ) -> Check {
        guard let encoded, let parsed = Parsed(encoded) else {
            _ = pbkdf2SHA256(password: password, salt: decoySalt, iterations: iterations)
            return Check(matches: false, needsUpgrade: false, iterationsSpent: iterations)
        }
        let derived = pbkdf2SHA256(password: password, salt: parsed.salt, iterations: parsed.iterations)
        let topUp = max(0, iterations - parsed.iterations)
        if topUp > 0 { _ = pbkdf2SHA256(password: password, salt: decoySalt, iterations: topUp) }
        let spent = parsed.iterations + topUp
        guard let derived else { return Check(matches: false, needsUpgrade: false, iterationsSpent: spent) }
        let matches = constantTimeEqual(derived, parsed.hash)
        return Check(matches: matches, needsUpgrade: matches && topUp > 0, iterationsSpent: spent)
    }

    static let decoySalt = "decoydecoydecoydecoyde"

    /// `pbkdf2_sha256$<iterations>$<salt>$<base64 hash>` taken apart; `nil` for anything else.
    struct Parsed {
        var iterations: Int
        var salt: String
        var hash: [UInt8]

        init?(_ encoded: String) {
            let parts = encoded.split(separator: "$", omittingEmptySubsequences: false)
            guard parts.count == 4, parts[0] == "pbkdf2_sha256", let iterations = Int(parts[1]),
                iterations >= 1, iterations <= DjangoPassword.maximumIterations, !parts[2].isEmpty,
                let expected = Data(base64Encoded: String(parts[3])), expected.count == 32
            else { return nil }
            self.iterations = iterations
            self.salt = String(parts[2])
            self.hash = Array(expected)
        }
    }

    /// A new Django-format hash with a fresh 22-character salt (Django's own salt length and alphabet).
    public static func make(_ password: String, iterations: Int = defaultIterations) throws(IdentityError) -> String {
        let alphabet = Array("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")
        var generator = SystemRandomNumberGenerator()
        let salt = String((0..<22).map { _ in alphabet[Int(generator.next(upperBound: UInt64(alphabet.count)))] })
        guard let derived = pbkdf2SHA256(password: password, salt: salt, iterations: iterations) else {
            throw IdentityError(.crypto, "PBKDF2 failed")
        }
        return "pbkdf2_sha256$\(iterations)$\(salt)$\(Data(derived).base64EncodedString())"
    }

    /// Whether a stored hash should be replaced by a stronger one on the next successful login.
    public static func needsRehash(_ encoded: String) -> Bool {
        let parts = encoded.split(separator: "$", omittingEmptySubsequences: false)
        guard parts.count == 4, parts[0] == "pbkdf2_sha256", let iterations = Int(parts[1]) else { return true }
        return iterations < defaultIterations
    }

    static func pbkdf2SHA256(password: String, salt: String, iterations: Int) -> [UInt8]? {
        let passwordBytes = Array(password.utf8)
        let saltBytes = Array(salt.utf8)
        var out = [UInt8](repeating: 0, count: 32)
        let status = passwordBytes.withUnsafeBufferPointer { pw in
            saltBytes.withUnsafeBufferPointer { salt in
                out.withUnsafeMutableBufferPointer { out in
                    pw.withMemoryRebound(to: CChar.self) { pw in
                        PKCS5_PBKDF2_HMAC(
                            pw.baseAddress, Int32(pw.count), salt.baseAddress, Int32(salt.count), Int32(iterations),
                            EVP_sha256(), Int32(out.count), out.baseAddress)
                    }
                }
            }
        }
        return status == 1 ? out : nil
    }
}

/// Compares two secrets in time that depends on neither their contents nor their lengths: both are hashed with
/// SHA-256 and the digests compared by folding every byte, and the full lengths are compared too (a difference of
/// 256 bytes is as different as one). The one constant-time comparison of the program.
public func constantTimeEqual(_ lhs: [UInt8], _ rhs: [UInt8]) -> Bool {
    let left = sha256(lhs)
    let right = sha256(rhs)
    var difference = UInt64(truncatingIfNeeded: lhs.count ^ rhs.count)
    for index in 0..<32 { difference |= UInt64(left[index] ^ right[index]) }
    return difference == 0
}

/// ``constantTimeEqual(_:_:)`` over the UTF-8 bytes of two strings.
public func constantTimeEqual(_ lhs: String, _ rhs: String) -> Bool {
    constantTimeEqual(Array(lhs.utf8), Array(rhs.utf8))
}

/// The identity module's error: a code and a message safe to print (never a password or a token).
public typealias IdentityError = CodedError<IdentityErrorCodes>

/// The codes of `IdentityError`.
public enum IdentityErrorCodes {}

extension CodedError.Code where Domain == IdentityErrorCodes {
    /// A cryptographic primitive failed.
    public static var crypto: Self { Self(raw: "crypto") }
    /// A key or setting is unusable.
    public static var configuration: Self { Self(raw: "configuration") }
    /// A token was refused.
    public static var token: Self { Self(raw: "token") }
}
