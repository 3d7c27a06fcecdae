public import Foundation
public import ReconCore
public import ReconIdentity
public import ReconPostgres

/// How failed logins are throttled, the same for the API and the console. A stranger cannot lock anyone out: the
/// lock is per (account, address) and per address, where the address is the real client's behind trusted proxies;
/// failures for an account from everywhere only slow its checks down.
public struct LoginThrottle: Sendable {
    /// Failed logins for one account from one address before that address is locked out of it for `windowSeconds`.
    public var maxFailuresPerAccount: Int
    /// Failed logins from one address (any accounts) before the address is throttled.
    public var maxFailuresPerAddress: Int
    /// The throttle window.
    public var windowSeconds: Int
    /// Once an account has `maxFailuresPerAccount` failures in the window from all addresses together, each further
    /// check of it waits this long, doubled per failure beyond, up to `maxSlowdownSeconds`.
    public var slowdownSeconds: Double
    /// The longest wait of the slow-down.
    public var maxSlowdownSeconds: Double
    /// PBKDF2 iterations every login costs and new hashes get (Django's 870 000). Lower only where a test suite
    /// logs in hundreds of times on two cores; no setting or flag reaches it.
    public var passwordIterations: Int

    /// 5 failures per account and address, 20 per address, 15 minutes; the account alone slows down from 0.5 s to 8 s.
    public init(
        maxFailuresPerAccount: Int = 5, maxFailuresPerAddress: Int = 20, windowSeconds: Int = 900,
        slowdownSeconds: Double = 0.5, maxSlowdownSeconds: Double = 8,
        passwordIterations: Int = DjangoPassword.defaultIterations
    ) {
        self.maxFailuresPerAccount = maxFailuresPerAccount
        self.maxFailuresPerAddress = maxFailuresPerAddress
        self.windowSeconds = windowSeconds
        self.slowdownSeconds = slowdownSeconds
        self.maxSlowdownSeconds = maxSlowdownSeconds
        self.passwordIterations = max(1, passwordIterations)
    }

    /// The wait before checking a password for an account with `failures` recent failures from all addresses.
    func slowdown(accountFailures failures: Int) -> Double {
        guard failures >= maxFailuresPerAccount, slowdownSeconds > 0 else { return 0 }
        let doublings = min(failures - maxFailuresPerAccount, 16)
        return min(slowdownSeconds * Double(1 << doublings), maxSlowdownSeconds)
    }
}

/// At most a few PBKDF2 computations at once in the whole process (one per core): a flood of logins queues here
/// instead of starving the server, and each check runs on a thread of its own, off the cooperative pool.
public actor PasswordHashGate {
    /// The process's gate, shared by the API and the console.
    public static let shared = PasswordHashGate(limit: max(1, ProcessInfo.processInfo.activeProcessorCount))

    /// Computations allowed at once.
    public nonisolated let limit: Int
    /// Waiting checks beyond which a login is answered "throttled" at once.
    let maxWaiting: Int
    var running = 0
    var waiting: [CheckedContinuation<Void, Never>] = []
    /// The most computations ever seen running at once (for tests and diagnostics).
    public private(set) var peak = 0

    /// A gate letting `limit` computations run at once.
    public init(limit: Int, maxWaiting: Int = 1_024) {
        self.limit = max(1, limit)
        self.maxWaiting = maxWaiting
    }

    /// Runs `work` on a thread of its own once a place is free; `nil` when too many are waiting already.
    func run<T: Sendable>(_ work: @escaping @Sendable () -> T) async -> T? {
        guard await enter() else { return nil }
        let result = await withCheckedContinuation { (continuation: CheckedContinuation<T, Never>) in
            DispatchQueue.global(qos: .userInitiated).async { continuation.resume(returning: work()) }
        }
        leave()
        return result
    }

    func enter() async -> Bool {
        if running < limit {
            running += 1
            peak = max(peak, running)
            return true
        }
        guard waiting.count < maxWaiting else { return false }
        // `leave` hands its place over: `running` stays as it is.
        await withCheckedContinuation { waiting.append($0) }
        return true
    }

    func leave() {
        if waiting.isEmpty {
            running -= 1
        } else {
            waiting.removeFirst().resume()
        }
    }
}

/// Email and password against the LMS's accounts, throttled per (account, address) and per address, shared by
/// `/api/auth/login/` and the console's login form. It says nothing about whether an email exists: every path (an
/// unknown email, an unusable password, a legacy hash) costs one PBKDF2 at the current iteration count and is
/// refused in the same words.
public struct PasswordLogin: Sendable {
    let pool: ConnectionPool
    let throttle: LoginThrottle
    var gate: PasswordHashGate = .shared

    /// A login over these accounts with this throttle.
    public init(pool: ConnectionPool, throttle: LoginThrottle, gate: PasswordHashGate = .shared) {
        self.pool = pool
        self.throttle = throttle
        self.gate = gate
    }

    /// What an attempt came to.
    public enum Outcome: Sendable {
        /// Too many recent failures for this account from this address, or from this address.
        case throttled(seconds: Int)
        /// Wrong email or password, or an inactive account.
        case refused
        /// The password matches an active account.
        case account(Account)
    }

    /// Checks the password. The attempt is recorded as a failure before the hash is checked (so parallel guesses
    /// count); a success takes it back, clears this address's failures for the account, stamps `last_login` and
    /// upgrades a legacy hash. `mayLogIn` refuses an account that matched but may not use this door (the console's
    /// roles), counted as a failure like a wrong password.
    public func attempt(
        email: String, password: String, address: String, now: Date = Date(),
        mayLogIn: @Sendable (Account) -> Bool = { _ in true }
    ) async throws -> Outcome {
        let since = now.addingTimeInterval(TimeInterval(-throttle.windowSeconds))
        let throttle = self.throttle
        let reservation = try await pool.withConnection { db in
            try await db.run { db throws(PostgresError) in
                try UserStore.reserveLoginAttempt(
                    db, email: email, address: address, since: since, maxPerPair: throttle.maxFailuresPerAccount,
                    maxPerAddress: throttle.maxFailuresPerAddress, at: now)
            }
        }
        guard case .reserved(let reserved, let accountFailures) = reservation else {
            return .throttled(seconds: throttle.windowSeconds)
        }
        let wait = throttle.slowdown(accountFailures: accountFailures)
        if wait > 0 { try await Task.sleep(for: .seconds(wait)) }
        let found = try await pool.withConnection { db in
            try await db.run { db throws(PostgresError) in try UserStore.credentials(db, email: email) }
        }
        let stored = found?.1
        let iterations = throttle.passwordIterations
        guard let check = await gate.run({ DjangoPassword.check(password, against: stored, iterations: iterations) })
        else {
            return .throttled(seconds: 1)
        }
        guard check.matches, let stored, let account = found?.0, account.isActive, mayLogIn(account) else {
            return .refused
        }
        let upgraded: String?
        if check.needsUpgrade {
            upgraded = await gate.run { try? DjangoPassword.make(password, iterations: iterations) } ?? nil
        } else {
            upgraded = nil
        }
        try await pool.withConnection { db in
            try await db.withTransaction { db in
                try UserStore.clearFailures(db, email: email, address: address, reserved: reserved)
                try UserStore.touchLogin(db, id: account.id, at: now)
                if let upgraded { try UserStore.upgradeHash(db, id: account.id, from: stored, to: upgraded) }
            }
        }
        return .account(account)
    }
}
