import Foundation
import ReconIdentity
import Testing

@Suite("Django password hashes")
struct DjangoPasswordTests {
    // Made as Django's PBKDF2PasswordHasher makes them:
    // base64(hashlib.pbkdf2_hmac('sha256', password.encode(), salt.encode(), iterations)).
    static let django =
        "pbkdf2_sha256$870000$Qm3v0cT1xYzAbCdEfGhIjK$QRsHcK2oYnf0mYL76aNXyodY8e3JrTGuf4xAuRoAAZ4="
    static let unicode = "pbkdf2_sha256$1000$seasalt$CzFI+UslA/kG6Ee3mx9EuXdtUGTgSIJvT+8nrZvi+4s="

    @Test("a hash made the way Django makes it verifies; a wrong password does not")
    func djangoVector() {
        #expect(DjangoPassword.verify("correct horse battery staple", against: Self.django))
        #expect(!DjangoPassword.verify("correct horse battery stapler", against: Self.django))
        #expect(!DjangoPassword.verify("", against: Self.django))
        #expect(DjangoPassword.verify("pässwörd", against: Self.unicode))
        #expect(!DjangoPassword.verify("passwörd", against: Self.unicode))
    }

    @Test("a hash computed by Python's hashlib right now verifies (when python3 is present)")
    func pythonHashlib() throws {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/python3") else { return }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        process.arguments = [
            "-c",
            """
            import hashlib, base64
            h = hashlib.pbkdf2_hmac('sha256', b'Learner-pass-42', b'AbCdEfGhIjKlMnOpQrStUv', 870000)
            print('pbkdf2_sha256$870000$AbCdEfGhIjKlMnOpQrStUv$' + base64.b64encode(h).decode())
            """,
        ]
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let encoded = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(DjangoPassword.verify("Learner-pass-42", against: encoded))
        #expect(!DjangoPassword.verify("learner-pass-42", against: encoded))
    }

    @Test("new hashes are Django's format with at least 870 000 iterations, and verify")
    func newHashes() throws {
        let hash = try DjangoPassword.make("s3cret-enough")
        let parts = hash.split(separator: "$")
        #expect(parts.count == 4 && parts[0] == "pbkdf2_sha256" && (Int(parts[1]) ?? 0) >= 870_000)
        #expect(parts[2].count == 22)
        #expect(DjangoPassword.verify("s3cret-enough", against: hash))
        #expect(try DjangoPassword.make("s3cret-enough") != hash, "a fresh salt every time")
        #expect(!DjangoPassword.needsRehash(hash))
        #expect(DjangoPassword.needsRehash(Self.unicode))
    }

    @Test("malformed, unusable and other-algorithm hashes never verify")
    func malformed() {
        for encoded in [
            "", "!unusable", "md5$salt$abc", "pbkdf2_sha256$x$salt$QRsH", "pbkdf2_sha256$0$salt$QRsH",
            "pbkdf2_sha256$870000$$QRsHcK2oYnf0mYL76aNXyodY8e3JrTGuf4xAuRoAAZ4=",
            "pbkdf2_sha256$99999999999$s$QRsHcK2oYnf0mYL76aNXyodY8e3JrTGuf4xAuRoAAZ4=",
            "argon2$argon2id$v=19$m=102400,t=2,p=8$c2FsdA$aGFzaA",
        ] {
            #expect(!DjangoPassword.verify("correct horse battery staple", against: encoded))
        }
    }
}
