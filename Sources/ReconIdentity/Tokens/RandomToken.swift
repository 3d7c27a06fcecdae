import Foundation

/// `count` bytes from the operating system's cryptographic generator (`SystemRandomNumberGenerator`).
public func randomBytes(_ count: Int) -> [UInt8] {
    var generator = SystemRandomNumberGenerator()
    return (0..<count).map { _ in UInt8.random(in: 0...255, using: &generator) }
}

/// `byteCount` random bytes (256 bits by default), base64url: session ids and CSRF tokens.
public func randomToken(byteCount: Int = 32) -> String {
    Base64URL.encode(randomBytes(byteCount))
}

/// base64url without padding (RFC 7515 §2).
public enum Base64URL {
    /// The base64url text of `bytes`, without `=` padding.
    public static func encode(_ bytes: some Sequence<UInt8>) -> String {
        Data(bytes).base64EncodedString().replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
    }

    /// The bytes of an unpadded base64url text; `nil` if it holds anything else.
    public static func decode(_ text: Substring) -> [UInt8]? {
        guard text.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" }), text.allSatisfy(\.isASCII)
        else { return nil }
        var base64 = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while base64.count % 4 != 0 { base64 += "=" }
        return Data(base64Encoded: base64).map(Array.init)
    }
}
