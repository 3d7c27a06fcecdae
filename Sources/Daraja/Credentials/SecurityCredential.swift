internal import COpenSSL
import Foundation

/// The B2C / Transaction Status `SecurityCredential`: the initiator password encrypted with the RSA key of
/// Safaricom's certificate, PKCS#1 v1.5 padding, base64 (DARAJA.md §6).
///
/// The raw password is encrypted, not its base64 form, and no timestamp is appended. The certificate's chain and
/// validity dates are deliberately not checked: Safaricom's published certificates expired years ago and are still
/// the ones in use.
public enum SecurityCredential {
    /// Encrypts `password` with the public key of a PEM (or DER) X.509 certificate; a 2048-bit key gives 344 characters.
    ///
    /// RSA v1.5 padding is randomised, so two calls give different credentials for the same password.
    public static func encrypt(password: String, certificatePEM: some Collection<UInt8>) throws(DarajaError) -> String {
        let plaintext = Array(password.utf8)
        guard !plaintext.isEmpty else {
            throw DarajaError(.invalidRequest, field: "SecurityCredential", reason: "the initiator password is empty")
        }
        let certificate = try Certificate(bytes: Array(certificatePEM))
        let key = try PublicKey(of: certificate)
        let context = try KeyContext(key: key)
        try check(EVP_PKEY_encrypt_init(context.pointer), "EVP_PKEY_encrypt_init")
        try check(copenssl_set_rsa_pkcs1_padding(context.pointer), "EVP_PKEY_CTX_set_rsa_padding")
        let ciphertext = try run(context, input: plaintext, operation: "EVP_PKEY_encrypt", EVP_PKEY_encrypt)
        return Data(ciphertext).base64EncodedString()
    }

    /// Decrypts a credential with an RSA private key in PEM form; the Daraja simulator checks credentials this way.
    public static func decrypt(base64: String, privateKeyPEM: some Collection<UInt8>) throws(DarajaError) -> String {
        guard let ciphertext = Data(base64Encoded: base64), !ciphertext.isEmpty else {
            throw DarajaError(.crypto, field: "SecurityCredential", reason: "is not base64")
        }
        let key = try PrivateKey(pem: Array(privateKeyPEM))
        let context = try KeyContext(key: key)
        try check(EVP_PKEY_decrypt_init(context.pointer), "EVP_PKEY_decrypt_init")
        try check(copenssl_set_rsa_pkcs1_padding(context.pointer), "EVP_PKEY_CTX_set_rsa_padding")
        let plaintext = try run(context, input: Array(ciphertext), operation: "EVP_PKEY_decrypt", EVP_PKEY_decrypt)
        guard let password = String(validating: plaintext, as: UTF8.self) else {
            throw DarajaError(.crypto, field: "SecurityCredential", reason: "does not decrypt to UTF-8 text")
        }
        return password
    }

    private typealias Transform = (
        OpaquePointer?, UnsafeMutablePointer<UInt8>?, UnsafeMutablePointer<Int>?, UnsafePointer<UInt8>?, Int
    ) -> Int32

    /// The EVP two-step call: once for the output size, once for the bytes.
    private static func run(
        _ context: borrowing KeyContext, input: [UInt8], operation: String, _ transform: Transform
    ) throws(DarajaError) -> [UInt8] {
        var length = 0
        try check(transform(context.pointer, nil, &length, input, input.count), operation)
        guard length > 0 else { throw DarajaError(.crypto, reason: "\(operation) reported an empty output") }
        var output = [UInt8](repeating: 0, count: length)
        let status = output.withUnsafeMutableBufferPointer { buffer in
            transform(context.pointer, buffer.baseAddress, &length, input, input.count)
        }
        try check(status, operation)
        return Array(output.prefix(length))
    }
}

// MARK: - OpenSSL handles, one owner each

/// Throws with OpenSSL's own error queue text when `status` is not positive; the queue never holds the plaintext.
private func check(_ status: Int32, _ operation: String) throws(DarajaError) {
    guard status <= 0 else { return }
    throw DarajaError(.crypto, reason: "\(operation) failed", detail: openSSLErrors())
}

/// Drains the thread's OpenSSL error queue into one line.
private func openSSLErrors() -> String {
    var messages: [String] = []
    while true {
        let code = ERR_get_error()
        if code == 0 { break }
        var buffer = [CChar](repeating: 0, count: 256)
        ERR_error_string_n(code, &buffer, buffer.count)
        let bytes = buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }
        messages.append(String(decoding: bytes, as: UTF8.self))
    }
    return messages.isEmpty ? "no OpenSSL error recorded" : messages.joined(separator: "; ")
}

/// A memory BIO over bytes that the caller keeps alive: `BIO_new_mem_buf` does not copy them.
private struct MemoryBIO: ~Copyable {
    let pointer: OpaquePointer

    init(_ buffer: UnsafeRawBufferPointer) throws(DarajaError) {
        guard let base = buffer.baseAddress, buffer.count > 0, buffer.count <= Int(Int32.max),
            let bio = BIO_new_mem_buf(base, Int32(buffer.count))
        else { throw DarajaError(.crypto, reason: "BIO_new_mem_buf failed", detail: openSSLErrors()) }
        pointer = bio
    }

    deinit { BIO_free(pointer) }
}

/// An X.509 certificate.
private struct Certificate: ~Copyable {
    let pointer: OpaquePointer

    /// Reads PEM first, then DER, since certificate files circulate in both forms.
    init(bytes: [UInt8]) throws(DarajaError) {
        guard !bytes.isEmpty else { throw DarajaError(.crypto, field: "certificate", reason: "is empty") }
        ERR_clear_error()
        let result: Result<OpaquePointer, DarajaError> = bytes.withUnsafeBytes { buffer in
            do throws(DarajaError) {
                let pem = try MemoryBIO(buffer)
                if let x509 = PEM_read_bio_X509(pem.pointer, nil, nil, nil) { return .success(x509) }
                let der = try MemoryBIO(buffer)
                if let x509 = d2i_X509_bio(der.pointer, nil) {
                    ERR_clear_error()
                    return .success(x509)
                }
                return .failure(
                    DarajaError(
                        .crypto, field: "certificate", reason: "is not a PEM or DER X.509 certificate",
                        detail: openSSLErrors()))
            } catch {
                return .failure(error)
            }
        }
        pointer = try result.get()
    }

    deinit { X509_free(pointer) }
}

/// An `EVP_PKEY`, public or private.
private struct PublicKey: ~Copyable {
    let pointer: OpaquePointer

    init(of certificate: borrowing Certificate) throws(DarajaError) {
        guard let key = X509_get_pubkey(certificate.pointer) else {
            throw DarajaError(
                .crypto, field: "certificate", reason: "has no usable public key", detail: openSSLErrors())
        }
        pointer = key
    }

    deinit { EVP_PKEY_free(pointer) }
}

/// A private key read from PEM (PKCS#8 or traditional RSA).
private struct PrivateKey: ~Copyable {
    let pointer: OpaquePointer

    init(pem bytes: [UInt8]) throws(DarajaError) {
        guard !bytes.isEmpty else { throw DarajaError(.crypto, field: "private key", reason: "is empty") }
        ERR_clear_error()
        let result: Result<OpaquePointer, DarajaError> = bytes.withUnsafeBytes { buffer in
            do throws(DarajaError) {
                let bio = try MemoryBIO(buffer)
                guard let key = PEM_read_bio_PrivateKey(bio.pointer, nil, nil, nil) else {
                    return .failure(
                        DarajaError(
                            .crypto, field: "private key", reason: "is not a PEM private key", detail: openSSLErrors()))
                }
                return .success(key)
            } catch {
                return .failure(error)
            }
        }
        pointer = try result.get()
    }

    deinit { EVP_PKEY_free(pointer) }
}

/// An `EVP_PKEY_CTX` for one encryption or decryption.
private struct KeyContext: ~Copyable {
    let pointer: OpaquePointer

    init(key: borrowing PublicKey) throws(DarajaError) {
        try self.init(rawKey: key.pointer)
    }

    init(key: borrowing PrivateKey) throws(DarajaError) {
        try self.init(rawKey: key.pointer)
    }

    private init(rawKey: OpaquePointer) throws(DarajaError) {
        guard let context = EVP_PKEY_CTX_new(rawKey, nil) else {
            throw DarajaError(.crypto, reason: "EVP_PKEY_CTX_new failed", detail: openSSLErrors())
        }
        pointer = context
    }

    deinit { EVP_PKEY_CTX_free(pointer) }
}
