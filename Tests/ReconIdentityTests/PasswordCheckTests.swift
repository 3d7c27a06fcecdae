import Foundation
import ReconIdentity
import Testing

@Suite("Constant-time comparison and equal-cost password checks")
struct PasswordCheckTests {
    @Test("the constant-time comparison counts the whole length: a secret followed by 256 NUL bytes differs")
    func constantTimeComparisonCountsLength() {
        let secret = "test-callback-token-0123456789"
        #expect(constantTimeEqual(secret, secret))
        #expect(!constantTimeEqual(secret, secret + String(repeating: "\u{0}", count: 256)))
        #expect(!constantTimeEqual(Array(secret.utf8), Array(secret.utf8) + [UInt8](repeating: 0, count: 256)))
        #expect(!constantTimeEqual("", "\u{0}"))
        #expect(constantTimeEqual("", ""))
    }

    @Test("check: matches and upgrade flags for current, legacy, unusable, malformed and missing hashes")
    func checkOutcomes() throws {
        let current = try DjangoPassword.make("a-long-password", iterations: 2_000)
        let legacy = try DjangoPassword.make("a-long-password", iterations: 1_000)
        #expect(DjangoPassword.check("a-long-password", against: current, iterations: 2_000).matches)
        #expect(!DjangoPassword.check("a-long-password", against: current, iterations: 2_000).needsUpgrade)
        let upgraded = DjangoPassword.check("a-long-password", against: legacy, iterations: 2_000)
        #expect(upgraded.matches && upgraded.needsUpgrade)
        #expect(!DjangoPassword.check("wrong-password!", against: legacy, iterations: 2_000).needsUpgrade)
        for stored in [nil, "!unusable", "md5$x$y", "pbkdf2_sha256$x$salt$QRsH"] {
            #expect(DjangoPassword.check("a-long-password", against: stored, iterations: 2_000).matches == false)
        }
    }

    @Test("an unusable, missing, malformed or legacy hash costs as much as a current one (PBKDF2 at the current count)")
    func equalCost() throws {
        let iterations = 50_000
        let current = try DjangoPassword.make("a-long-password", iterations: iterations)
        let legacy = try DjangoPassword.make("a-long-password", iterations: 5_000)
        for stored in [current, nil, "!unusable", "md5$x$y", legacy] {
            let check = DjangoPassword.check("wrong-password!", against: stored, iterations: iterations)
            #expect(check.iterationsSpent == iterations, "\(stored ?? "no hash")")
        }
        let right = DjangoPassword.check("a-long-password", against: legacy, iterations: iterations)
        #expect(right.matches && right.iterationsSpent == iterations)
    }
}
