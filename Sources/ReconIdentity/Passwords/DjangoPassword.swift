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
        let parts = encoded.split(separator: "$", omittingEmptySubsequences: false)
        guard parts.count == 4, parts[0] == "pbkdf2_sha256", let iterations = Int(parts[1]),
            iterations >= 1, iterations <= maximumIterations, !parts[2].isEmpty,
            let expected = Data(base64Encoded: String(parts[3])), expected.count == 32
        else { return false }
        guard let derived = pbkdf2SHA256(password: password, salt: String(parts[2]), iterations: iterations) else {
            return false
        }
        return constantTimeEqual(derived, Array(expected))
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

/// Compares two byte strings in time that depends only on their lengths.
public func constantTimeEqual(_ lhs: [UInt8], _ rhs: [UInt8]) -> Bool {
    guard lhs.count == rhs.count else { return false }
    var difference: UInt8 = 0
    for index in lhs.indices { difference |= lhs[index] ^ rhs[index] }
    return difference == 0
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
