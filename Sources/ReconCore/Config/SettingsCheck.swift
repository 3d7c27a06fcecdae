/// Every configuration problem at once, for a command's start and for `doctor` (one line per problem).
public struct ConfigurationProblems: Error, Sendable, Equatable, CustomStringConvertible {
    /// The problems, one per variable, in the order they were checked.
    public var problems: [ConfigurationError]

    /// A list of problems.
    public init(_ problems: [ConfigurationError]) {
        self.problems = problems
    }

    public var description: String { problems.map(\.description).joined(separator: "\n") }
}

/// A group of settings a command needs.
public enum SettingsNeed: String, Sendable, CaseIterable, Codable {
    /// `RECON_LOG_LEVEL`, `RECON_LOG_FORMAT` (every command).
    case logging
    /// `DATABASE_URL` or the `DB_*` parts.
    case database
    /// The `MPESA_*` settings of STK Push and STK Query.
    case daraja
    /// `MPESA_CALLBACK_TOKEN` and the callback endpoint's settings.
    case callback
    /// The `MPESA_B2C_*` settings of refunds (the certificate is read outside ReconCore).
    case b2c
    /// `RECON_DUAL_APPROVAL_ABOVE` (who may approve is decided by accounts).
    case approvals
    /// `RECON_RETRY_SCHEDULE`.
    case schedule
    /// `RECON_PGBACKREST_STANZA`, `RECON_READ_DATABASE_URL` (what `/metrics` and `doctor` watch).
    case monitoring
    /// The `MPESA_C2B_*` and `MPESA_PULL_*` settings of C2B registration and Pull Transactions.
    case c2b
}

/// Pure checks of every setting a command needs: each variable is checked on its own, so one run lists them all.
public enum SettingsCheck {
    /// The log levels swift-log knows.
    public static let logLevels = ["trace", "debug", "info", "notice", "warning", "error", "critical"]
    /// The log formats the CLI writes.
    public static let logFormats = ["text", "json"]
    /// Words Daraja rejects anywhere in a callback URL, in any case (DARAJA.md §8).
    public static let forbiddenURLWords = ["m-pesa", "mpesa", "safaricom", "exec", "exe", "cmd", "sql", "query"]

    /// Every problem of the settings in `needs`; empty when all are usable.
    public static func problems(_ env: Environment, needs: Set<SettingsNeed>) -> [ConfigurationError] {
        var found = Found()
        for need in SettingsNeed.allCases where needs.contains(need) {
            switch need {
            case .logging: logging(env, &found)
            case .database: found.load { () throws(ConfigurationError) in _ = try DatabaseSettings.load(from: env) }
            case .daraja: daraja(env, &found)
            case .callback:
                found.load { () throws(ConfigurationError) in _ = try CallbackSettings.load(from: env) }
            case .b2c: b2c(env, &found)
            case .approvals:
                found.load { () throws(ConfigurationError) in _ = try ApprovalSettings.load(from: env) }
            case .schedule: found.load { () throws(ConfigurationError) in _ = try RetrySchedule.load(from: env) }
            case .monitoring:
                found.load { () throws(ConfigurationError) in _ = try MonitoringSettings.load(from: env) }
            case .c2b: found.load { () throws(ConfigurationError) in _ = try C2BSettings.load(from: env) }
            }
        }
        return found.problems
    }

    /// Problems of a URL Daraja calls back: keywords it rejects, spaces, plain http where https is needed.
    public static func callbackURLProblem(_ url: String, httpsRequired: Bool) -> String? {
        let lowered = url.lowercased()
        if let word = forbiddenURLWords.first(where: { lowered.contains($0) }) {
            return "contains \"\(word)\", a word Daraja rejects in callback URLs"
        }
        if httpsRequired && !lowered.hasPrefix("https://") { return "must use https" }
        if let host = url.split(separator: "/").dropFirst().first, host.contains(where: \.isUppercase) {
            return "has uppercase letters in its host, which Daraja has rejected"
        }
        return nil
    }

    /// A passkey: Daraja's are 64 hexadecimal characters.
    public static func passkeyLooksValid(_ passkey: String) -> Bool {
        passkey.count == 64 && passkey.allSatisfy(\.isHexDigit)
    }

    private static func logging(_ env: Environment, _ found: inout Found) {
        if let level = env.optional("RECON_LOG_LEVEL"), !logLevels.contains(level) {
            found.add("RECON_LOG_LEVEL", "must be one of \(logLevels.joined(separator: ", "))")
        }
        if let format = env.optional("RECON_LOG_FORMAT"), !logFormats.contains(format) {
            found.add("RECON_LOG_FORMAT", "must be text or json")
        }
    }

    private static func daraja(_ env: Environment, _ found: inout Found) {
        let environment = env.optional("MPESA_ENVIRONMENT").flatMap { DarajaEnvironment(rawValue: $0.lowercased()) }
        if env.optional("MPESA_ENVIRONMENT") == nil {
            found.add("MPESA_ENVIRONMENT", "is not set")
        } else if environment == nil {
            found.add("MPESA_ENVIRONMENT", "must be sandbox, production or simulator")
        }
        if let base = env.optional("MPESA_BASE_URL") {
            found.load { () throws(ConfigurationError) in
                _ = try DarajaSettings.validatedURL(base, variable: "MPESA_BASE_URL")
            }
        } else if environment == .simulator {
            found.add("MPESA_BASE_URL", "is required when MPESA_ENVIRONMENT=simulator")
        }
        for name in ["MPESA_CONSUMER_KEY", "MPESA_CONSUMER_SECRET"] where env.optional(name) == nil {
            found.add(name, "is not set")
        }
        shortcode("MPESA_SHORTCODE", env, &found)
        if let passkey = env.optional("MPESA_PASSKEY") {
            if !passkeyLooksValid(passkey) { found.add("MPESA_PASSKEY", "must be 64 hexadecimal characters") }
        } else {
            found.add("MPESA_PASSKEY", "is not set")
        }
        callbackURL("MPESA_CALLBACK_URL", env, environment: environment, &found)
        found.load { () throws(ConfigurationError) in _ = try DarajaSettings.load(from: env) }
    }

    private static func b2c(_ env: Environment, _ found: inout Found) {
        let environment = env.optional("MPESA_ENVIRONMENT").flatMap { DarajaEnvironment(rawValue: $0.lowercased()) }
        shortcode("MPESA_B2C_SHORTCODE", env, &found)
        for name in ["MPESA_B2C_INITIATOR_NAME", "MPESA_B2C_INITIATOR_PASSWORD", "MPESA_CERT_PATH"]
        where env.optional(name) == nil {
            found.add(name, "is not set")
        }
        callbackURL("MPESA_B2C_RESULT_URL", env, environment: environment, &found)
        callbackURL("MPESA_B2C_TIMEOUT_URL", env, environment: environment, &found)
        found.load { () throws(ConfigurationError) in _ = try B2CSettings.load(from: env) }
    }

    private static func shortcode(_ name: String, _ env: Environment, _ found: inout Found) {
        guard let value = env.optional(name) else { return found.add(name, "is not set") }
        if !(5...7).contains(value.count) || !value.allSatisfy(\.isASCIIDigit) {
            found.add(name, "must be 5 to 7 digits")
        }
    }

    private static func callbackURL(
        _ name: String, _ env: Environment, environment: DarajaEnvironment?, _ found: inout Found
    ) {
        guard let url = env.optional(name) else { return found.add(name, "is not set") }
        do {
            _ = try DarajaSettings.validatedURL(url, variable: name)
        } catch {
            return found.add(error)
        }
        // Plain http reaches only the simulator; the sandbox accepts it but nothing outside can call it safely.
        if let problem = callbackURLProblem(url, httpsRequired: environment != .simulator) {
            found.add(name, problem)
        }
    }

    /// Problems so far, at most one per variable.
    private struct Found {
        var problems: [ConfigurationError] = []

        mutating func add(_ variable: String, _ problem: String) {
            add(ConfigurationError(variable: variable, problem: problem))
        }

        mutating func add(_ error: ConfigurationError) {
            guard !problems.contains(where: { $0.variable == error.variable }) else { return }
            problems.append(error)
        }

        /// Runs a loader that stops at its first problem; adds that problem unless its variable is already named.
        mutating func load(_ body: () throws(ConfigurationError) -> Void) {
            do {
                try body()
            } catch {
                add(error)
            }
        }
    }
}
