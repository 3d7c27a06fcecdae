import Daraja
import Foundation
import ReconTestSupport
import Testing

/// A throwaway RSA key pair and self-signed certificate made with the `openssl` command line tool.
struct TestKeyPair {
    let directory: URL
    let certificatePEM: [UInt8]
    let certificateDER: [UInt8]
    let privateKeyPEM: [UInt8]

    init() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("daraja-cred-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        try TestKeyPair.openssl(
            [
                "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "key.pem", "-out", "cert.pem", "-days",
                "1", "-subj", "/CN=apicrypt.test",
            ], in: directory)
        try TestKeyPair.openssl(["x509", "-in", "cert.pem", "-outform", "DER", "-out", "cert.der"], in: directory)
        certificatePEM = try Array(Data(contentsOf: directory.appendingPathComponent("cert.pem")))
        certificateDER = try Array(Data(contentsOf: directory.appendingPathComponent("cert.der")))
        privateKeyPEM = try Array(Data(contentsOf: directory.appendingPathComponent("key.pem")))
    }

    /// Decrypts with `openssl pkeyutl`, independently of the code under test.
    func opensslDecrypt(_ base64: String) throws -> String {
        let input = directory.appendingPathComponent("cipher-\(UUID().uuidString).bin")
        try #require(Data(base64Encoded: base64)).write(to: input)
        let output = try TestKeyPair.openssl(
            ["pkeyutl", "-decrypt", "-inkey", "key.pem", "-pkeyopt", "rsa_padding_mode:pkcs1", "-in", input.path],
            in: directory)
        return String(decoding: output, as: UTF8.self)
    }

    func remove() {
        try? FileManager.default.removeItem(at: directory)
    }

    @discardableResult
    static func openssl(_ arguments: [String], in directory: URL) throws -> Data {
        let output = try ProcessRunner.runBlocking(
            URL(fileURLWithPath: "/usr/bin/env"), ["openssl"] + arguments, currentDirectory: directory)
        try #require(output.status == 0, "openssl \(arguments.first ?? "") failed")
        return Data(output.stdout.utf8)
    }
}

@Suite struct SecurityCredentialTests {
    @Test func encryptsWithPKCS1v15ThatOpenSSLDecrypts() throws {
        let keys = try TestKeyPair()
        defer { keys.remove() }
        let password = "Safaricom999!*!"
        let credential = try SecurityCredential.encrypt(password: password, certificatePEM: keys.certificatePEM)
        #expect(credential.count == 344)
        #expect(try keys.opensslDecrypt(credential) == password)
        #expect(try SecurityCredential.decrypt(base64: credential, privateKeyPEM: keys.privateKeyPEM) == password)
        // v1.5 padding is random: the same password never gives the same credential twice.
        let again = try SecurityCredential.encrypt(password: password, certificatePEM: keys.certificatePEM)
        #expect(again != credential)
        #expect(try keys.opensslDecrypt(again) == password)
    }

    @Test func acceptsDERCertificatesAndSpecialCharacters() throws {
        let keys = try TestKeyPair()
        defer { keys.remove() }
        let password = "P@ss#&%$wörd"
        let credential = try SecurityCredential.encrypt(password: password, certificatePEM: keys.certificateDER)
        #expect(try keys.opensslDecrypt(credential) == password)
    }

    @Test func garbageCertificateIsAClearError() {
        let password = "initiator-secret-123"
        for certificate in [
            Array("not a certificate".utf8), [],
            Array("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n".utf8),
        ] {
            let error = #expect(throws: DarajaError.self) {
                try SecurityCredential.encrypt(password: password, certificatePEM: certificate)
            }
            #expect(error?.code == .crypto)
            #expect(!String(reflecting: error).contains(password))
        }
    }

    @Test func aPrivateKeyIsNotACertificate() throws {
        let keys = try TestKeyPair()
        defer { keys.remove() }
        let error = #expect(throws: DarajaError.self) {
            try SecurityCredential.encrypt(password: "secret", certificatePEM: keys.privateKeyPEM)
        }
        #expect(error?.field == "certificate")
        #expect(error?.detail?.isEmpty == false)
    }

    @Test func emptyPasswordIsRefused() throws {
        let keys = try TestKeyPair()
        defer { keys.remove() }
        #expect(throws: DarajaError.self) {
            try SecurityCredential.encrypt(password: "", certificatePEM: keys.certificatePEM)
        }
    }

    @Test func decryptRejectsWrongKeysAndGarbage() throws {
        let keys = try TestKeyPair()
        let other = try TestKeyPair()
        defer {
            keys.remove()
            other.remove()
        }
        let credential = try SecurityCredential.encrypt(password: "secret", certificatePEM: keys.certificatePEM)
        #expect(throws: DarajaError.self) {
            try SecurityCredential.decrypt(base64: credential, privateKeyPEM: other.privateKeyPEM)
        }
        #expect(throws: DarajaError.self) {
            try SecurityCredential.decrypt(base64: "not base64!", privateKeyPEM: keys.privateKeyPEM)
        }
        #expect(throws: DarajaError.self) {
            try SecurityCredential.decrypt(base64: credential, privateKeyPEM: Array("garbage".utf8))
        }
    }
}
