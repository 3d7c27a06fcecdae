import Foundation
import ReconCore
import ReconIdentity
import ReconPostgres

/// How failed logins are throttled, the same for the API and the console.
public struct LoginThrottle: Sendable {
    /// Failed logins per account before it is throttled for `windowSeconds`.
    public var maxFailuresPerAccount: Int
    /// Failed logins per address before it is throttled.
    public var maxFailuresPerAddress: Int
    /// The throttle window.
    public var windowSeconds: Int

    /// 5 failures per account, 20 per address, 15 minutes.
    public init(maxFailuresPerAccount: Int = 5, maxFailuresPerAddress: Int = 20, windowSeconds: Int = 900) {
        self.maxFailuresPerAccount = maxFailuresPerAccount
        self.maxFailuresPerAddress = maxFailuresPerAddress
        self.windowSeconds = windowSeconds
    }
}

/// Email and password against the LMS's accounts, throttled per account and per address, shared by
/// `/api/auth/login/` and the console's login form. It says nothing about whether an email exists: an unknown
/// email costs the same PBKDF2 as a known one and is refused in the same words.
struct PasswordLogin: Sendable {
    let pool: ConnectionPool
    let throttle: LoginThrottle

    enum Outcome: Sendable {
        /// Too many recent failures for this account or address.
        case throttled(seconds: Int)
        /// Wrong email or password, or an inactive account.
        case refused
        /// The password matches an active account.
        case account(Account)
    }

    /// A hash that never verifies, checked when the email is unknown so both paths cost one PBKDF2.
    static let decoyHash = "pbkdf2_sha256$870000$decoydecoydecoydecoyde$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="

    /// Checks the password; a failure is recorded, a success clears the failures and stamps `last_login`.
    /// `mayLogIn` refuses an account that matched but may not use this door (the console's roles), counted as
    /// a failure like a wrong password.
    func attempt(
        email: String, password: String, address: String, now: Date = Date(),
        mayLogIn: @Sendable (Account) -> Bool = { _ in true }
    ) async throws -> Outcome {
        let since = now.addingTimeInterval(TimeInterval(-throttle.windowSeconds))
        let (byEmail, byAddress) = try await pool.withConnection { db in
            try await db.run { db throws(PostgresError) in
                try UserStore.recentFailures(db, email: email, address: address, since: since)
            }
        }
        if byEmail >= throttle.maxFailuresPerAccount || byAddress >= throttle.maxFailuresPerAddress {
            return .throttled(seconds: throttle.windowSeconds)
        }
        let found = try await pool.withConnection { db in
            try await db.run { db throws(PostgresError) in try UserStore.credentials(db, email: email) }
        }
        let matches = await Self.verifyOffPool(password, found?.1 ?? Self.decoyHash)
        guard matches, let account = found?.0, account.isActive, found?.1 != nil, mayLogIn(account) else {
            try await pool.withConnection { db in
                try await db.run { db throws(PostgresError) in
                    try UserStore.recordFailure(db, email: email, address: address, at: now)
                }
            }
            return .refused
        }
        try await pool.withConnection { db in
            try await db.withTransaction { db in
                try UserStore.clearFailures(db, email: email)
                try UserStore.touchLogin(db, id: account.id, at: now)
            }
        }
        return .account(account)
    }

    /// PBKDF2 with 870 000 iterations takes a while: run it off the cooperative pool and the event loops.
    static func verifyOffPool(_ password: String, _ hash: String) async -> Bool {
        await withCheckedContinuation { continuation in
            DispatchQueue.global(qos: .userInitiated).async {
                continuation.resume(returning: DjangoPassword.verify(password, against: hash))
            }
        }
    }
}
