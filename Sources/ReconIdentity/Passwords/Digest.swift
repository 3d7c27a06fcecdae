internal import Crypto
public import Foundation

/// SHA-256 (swift-crypto), fed in pieces: a statement file's provenance is hashed chunk by chunk.
public struct SHA256Hasher: Sendable {
    private var hasher = Crypto.SHA256()

    /// A fresh digest.
    public init() {}

    /// Adds bytes.
    public mutating func update(_ bytes: some DataProtocol) {
        hasher.update(data: bytes)
    }

    /// The digest of everything added, as 64 lowercase hex digits.
    public func finishHex() -> String {
        hex(Array(hasher.finalize()))
    }
}

/// SHA-256 of bytes as lowercase hex (idempotency keys compare request bodies by it; console session ids are
/// stored by it).
public func sha256Hex(_ bytes: some DataProtocol) -> String {
    hex(sha256(bytes))
}

/// SHA-256 of bytes (32 bytes).
func sha256(_ bytes: some DataProtocol) -> [UInt8] {
    Array(Crypto.SHA256.hash(data: bytes))
}

private func hex(_ bytes: [UInt8]) -> String {
    let digits = Array("0123456789abcdef")
    return String(bytes.flatMap { [digits[Int($0 >> 4)], digits[Int($0 & 0x0f)]] })
}
