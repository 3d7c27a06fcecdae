internal import COpenSSL

/// SHA-256 of bytes as lowercase hex (idempotency keys compare request bodies by it).
public func sha256Hex(_ bytes: [UInt8]) -> String {
    let hex = Array("0123456789abcdef")
    return String(sha256(bytes).flatMap { [hex[Int($0 >> 4)], hex[Int($0 & 0x0f)]] })
}

/// SHA-256 of bytes (32 bytes).
func sha256(_ bytes: [UInt8]) -> [UInt8] {
    var digest = [UInt8](repeating: 0, count: 32)
    _ = bytes.withUnsafeBufferPointer { input in
        digest.withUnsafeMutableBufferPointer { out in
            EVP_Digest(input.baseAddress, input.count, out.baseAddress, nil, EVP_sha256(), nil)
        }
    }
    return digest
}
