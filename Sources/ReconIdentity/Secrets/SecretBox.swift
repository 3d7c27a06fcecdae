internal import COpenSSL
import Foundation
public import ReconCore

/// AES-256-GCM for secrets at rest (`mpesa_configurations`), with the key from `RECON_SECRETS_KEY`.
///
/// A sealed value is `v1:` + base64(12-byte nonce ‖ ciphertext ‖ 16-byte tag); the configuration's name is the
/// associated data, so a secret copied onto another row does not open.
public struct SecretBox: Sendable {
    let key: [UInt8]

    /// A box over a 32-byte key.
    public init(key: [UInt8]) throws(IdentityError) {
        guard key.count == 32 else { throw IdentityError(.configuration, "RECON_SECRETS_KEY must be 32 bytes") }
        self.key = key
    }

    /// `RECON_SECRETS_KEY` as 64 hex digits or base64 of 32 bytes.
    public init(encodedKey text: String) throws(IdentityError) {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        if trimmed.count == 64, let bytes = Self.hex(trimmed) {
            try self.init(key: bytes)
        } else if let data = Data(base64Encoded: trimmed) {
            try self.init(key: Array(data))
        } else {
            throw IdentityError(.configuration, "RECON_SECRETS_KEY must be 64 hex digits or base64 of 32 bytes")
        }
    }

    static func hex(_ text: String) -> [UInt8]? {
        var bytes: [UInt8] = []
        var iterator = text.makeIterator()
        while let high = iterator.next(), let low = iterator.next() {
            guard let value = UInt8(String([high, low]), radix: 16) else { return nil }
            bytes.append(value)
        }
        return bytes
    }

    /// Encrypts a secret.
    public func seal(_ plaintext: String, context associated: String) throws(IdentityError) -> String {
        let nonce = randomBytes(12)
        let input = Array(plaintext.utf8)
        let aad = Array(associated.utf8)
        guard let context = EVP_CIPHER_CTX_new() else { throw IdentityError(.crypto, "no cipher context") }
        defer { EVP_CIPHER_CTX_free(context) }
        var out = [UInt8](repeating: 0, count: input.count + 16)
        var tag = [UInt8](repeating: 0, count: 16)
        var length: Int32 = 0
        var total: Int32 = 0
        guard EVP_EncryptInit_ex(context, EVP_aes_256_gcm(), nil, nil, nil) == 1,
            EVP_CIPHER_CTX_ctrl(context, EVP_CTRL_AEAD_SET_IVLEN, 12, nil) == 1,
            EVP_EncryptInit_ex(context, nil, nil, key, nonce) == 1,
            EVP_EncryptUpdate(context, nil, &length, aad, Int32(aad.count)) == 1,
            EVP_EncryptUpdate(context, &out, &length, input, Int32(input.count)) == 1
        else { throw IdentityError(.crypto, "AES-GCM encryption failed") }
        total = length
        let finished = out.withUnsafeMutableBufferPointer { buffer in
            EVP_EncryptFinal_ex(context, buffer.baseAddress.map { $0 + Int(total) }, &length)
        }
        guard finished == 1, EVP_CIPHER_CTX_ctrl(context, EVP_CTRL_AEAD_GET_TAG, 16, &tag) == 1 else {
            throw IdentityError(.crypto, "AES-GCM encryption failed")
        }
        total += length
        return "v1:" + Data(nonce + out[0..<Int(total)] + tag).base64EncodedString()
    }

    /// Decrypts a sealed secret; a wrong key, a tampered value or another row's value throws.
    public func open(_ sealed: String, context associated: String) throws(IdentityError) -> String {
        guard sealed.hasPrefix("v1:"), let data = Data(base64Encoded: String(sealed.dropFirst(3))),
            data.count >= 28
        else { throw IdentityError(.crypto, "a stored secret is not in the sealed format") }
        let bytes = Array(data)
        let nonce = Array(bytes[0..<12])
        var tag = Array(bytes[(bytes.count - 16)...])
        let cipher = Array(bytes[12..<(bytes.count - 16)])
        let aad = Array(associated.utf8)
        guard let context = EVP_CIPHER_CTX_new() else { throw IdentityError(.crypto, "no cipher context") }
        defer { EVP_CIPHER_CTX_free(context) }
        var out = [UInt8](repeating: 0, count: cipher.count + 16)
        var length: Int32 = 0
        guard EVP_DecryptInit_ex(context, EVP_aes_256_gcm(), nil, nil, nil) == 1,
            EVP_CIPHER_CTX_ctrl(context, EVP_CTRL_AEAD_SET_IVLEN, 12, nil) == 1,
            EVP_DecryptInit_ex(context, nil, nil, key, nonce) == 1,
            EVP_DecryptUpdate(context, nil, &length, aad, Int32(aad.count)) == 1,
            EVP_DecryptUpdate(context, &out, &length, cipher, Int32(cipher.count)) == 1,
            EVP_CIPHER_CTX_ctrl(context, EVP_CTRL_AEAD_SET_TAG, 16, &tag) == 1
        else { throw IdentityError(.crypto, "a stored secret does not open with RECON_SECRETS_KEY") }
        let total = length
        let finished = out.withUnsafeMutableBufferPointer { buffer in
            EVP_DecryptFinal_ex(context, buffer.baseAddress.map { $0 + Int(total) }, &length)
        }
        guard finished == 1 else {
            throw IdentityError(.crypto, "a stored secret does not open with RECON_SECRETS_KEY")
        }
        return String(decoding: out[0..<Int(total + length)], as: UTF8.self)
    }
}
