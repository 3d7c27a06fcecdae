/// How to reach PostgreSQL (ARCHITECTURE.md §4).
public struct DatabaseSettings: Sendable, Equatable {
    /// A libpq connection string or URI. Contains the password: never print it.
    public var connectionString: String
    /// `RECON_STAFF_IS_ADMIN`: whether Django's `is_staff` makes an account an admin (default `false`: only the admin
    /// role does). Every connection tells PostgreSQL (`recon.staff_is_admin`), so the store and the database's
    /// triggers agree.
    public var staffIsAdmin: Bool

    /// Settings from an explicit connection string.
    public init(connectionString: String, staffIsAdmin: Bool = false) {
        self.connectionString = connectionString
        self.staffIsAdmin = staffIsAdmin
    }

    /// `DATABASE_URL`, or one built from `DB_HOST`, `DB_PORT`, `DB_NAME`, `DB_USER`, `DB_PASSWORD`; and
    /// `RECON_STAFF_IS_ADMIN` (`true` or `false`, default `false`).
    public static func load(from env: Environment) throws(ConfigurationError) -> DatabaseSettings {
        var settings = try connection(from: env)
        switch env.optional("RECON_STAFF_IS_ADMIN")?.lowercased() {
        case nil, "false", "0", "no": settings.staffIsAdmin = false
        case "true", "1", "yes": settings.staffIsAdmin = true
        default: throw ConfigurationError(variable: "RECON_STAFF_IS_ADMIN", problem: "must be true or false")
        }
        return settings
    }

    static func connection(from env: Environment) throws(ConfigurationError) -> DatabaseSettings {
        if let url = env.optional("DATABASE_URL") {
            guard isConnectionString(url) else {
                throw ConfigurationError(
                    variable: "DATABASE_URL",
                    problem: "must be a postgresql:// URI or a libpq key=value string")
            }
            return DatabaseSettings(connectionString: url)
        }
        guard let name = env.optional("DB_NAME") else {
            throw ConfigurationError(variable: "DATABASE_URL", problem: "is not set (nor DB_NAME)")
        }
        var parts = ["dbname=\(quoteLibpq(name))"]
        if let host = env.optional("DB_HOST") { parts.append("host=\(quoteLibpq(host))") }
        if env.optional("DB_PORT") != nil {
            let port = try env.integer("DB_PORT", default: 5432, in: 1...65535)
            parts.append("port=\(port)")
        }
        if let user = env.optional("DB_USER") { parts.append("user=\(quoteLibpq(user))") }
        if let password = env.optional("DB_PASSWORD") { parts.append("password=\(quoteLibpq(password))") }
        return DatabaseSettings(connectionString: parts.joined(separator: " "))
    }

    /// Whether `text` is a `postgresql://` URI or a libpq `key=value` string.
    static func isConnectionString(_ text: String) -> Bool {
        text.hasPrefix("postgres://") || text.hasPrefix("postgresql://") || text.contains("=")
    }

    /// The same settings with libpq's `connect_timeout` (seconds) added when the string names none, for a watcher
    /// that must not wait minutes on an unreachable host.
    public func withConnectTimeout(seconds: Int) -> DatabaseSettings {
        guard !connectionString.contains("connect_timeout") else { return self }
        var copy = self
        if connectionString.hasPrefix("postgres://") || connectionString.hasPrefix("postgresql://") {
            copy.connectionString += (connectionString.contains("?") ? "&" : "?") + "connect_timeout=\(seconds)"
        } else {
            copy.connectionString += " connect_timeout=\(seconds)"
        }
        return copy
    }

    /// Quotes a value for a libpq `key=value` string.
    static func quoteLibpq(_ value: String) -> String {
        var out = "'"
        for ch in value {
            if ch == "'" || ch == "\\" { out.append("\\") }
            out.append(ch)
        }
        return out + "'"
    }
}

/// What `serve`'s `/metrics` and `doctor` watch besides the database itself: the backups and a standby
/// (docs/OPERATIONS.md, deploy/prometheus/alerts.yml).
public struct MonitoringSettings: Sendable, Equatable {
    /// `RECON_PGBACKREST_STANZA`: the pgBackRest stanza whose backups `pgbackrest info` reports; nil: not watched.
    public var backupStanza: String?
    /// `RECON_READ_DATABASE_URL`: a hot standby to watch (is it in recovery, how far behind); nil: none.
    public var readDatabase: DatabaseSettings?
    /// The folders `pgbackrest` is looked for in (`PATH` of the environment).
    public var searchPath: String

    /// Settings; the defaults watch neither.
    public init(
        backupStanza: String? = nil, readDatabase: DatabaseSettings? = nil, searchPath: String = "/usr/bin:/bin"
    ) {
        self.backupStanza = backupStanza
        self.readDatabase = readDatabase
        self.searchPath = searchPath
    }

    /// `RECON_PGBACKREST_STANZA` (letters, digits, `-`, `_`, `.`), `RECON_READ_DATABASE_URL` (as `DATABASE_URL`) and
    /// `PATH`.
    public static func load(from env: Environment) throws(ConfigurationError) -> MonitoringSettings {
        var settings = MonitoringSettings()
        if let path = env.optional("PATH") { settings.searchPath = path }
        if let stanza = env.optional("RECON_PGBACKREST_STANZA") {
            guard stanza.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "-_.".contains($0)) }) else {
                throw ConfigurationError(
                    variable: "RECON_PGBACKREST_STANZA",
                    problem: "must be a pgBackRest stanza name (letters, digits, -_.)")
            }
            settings.backupStanza = stanza
        }
        if let url = env.optional("RECON_READ_DATABASE_URL") {
            guard DatabaseSettings.isConnectionString(url) else {
                throw ConfigurationError(
                    variable: "RECON_READ_DATABASE_URL",
                    problem: "must be a postgresql:// URI or a libpq key=value string")
            }
            settings.readDatabase = DatabaseSettings(connectionString: url)
        }
        return settings
    }
}

/// Which Daraja the program talks to.
public enum DarajaEnvironment: String, Sendable, CaseIterable {
    case sandbox
    case production
    case simulator

    /// The documented host; the simulator has none and needs `MPESA_BASE_URL`.
    public var defaultBaseURL: String? {
        switch self {
        case .sandbox: "https://sandbox.safaricom.co.ke"
        case .production: "https://api.safaricom.co.ke"
        case .simulator: nil
        }
    }
}

/// Daraja credentials and URLs for STK Push and STK Query (ARCHITECTURE.md §4).
public struct DarajaSettings: Sendable {
    public var environment: DarajaEnvironment
    public var baseURL: String
    public var consumerKey: String
    public var consumerSecret: String
    public var shortcode: String
    public var passkey: String
    public var callbackURL: String

    /// A settings value; tests build it directly.
    public init(
        environment: DarajaEnvironment, baseURL: String, consumerKey: String, consumerSecret: String,
        shortcode: String, passkey: String, callbackURL: String
    ) {
        self.environment = environment
        self.baseURL = baseURL
        self.consumerKey = consumerKey
        self.consumerSecret = consumerSecret
        self.shortcode = shortcode
        self.passkey = passkey
        self.callbackURL = callbackURL
    }

    /// Reads and validates the `MPESA_*` variables for payments.
    public static func load(from env: Environment) throws(ConfigurationError) -> DarajaSettings {
        let environmentText = try env.required("MPESA_ENVIRONMENT")
        guard let environment = DarajaEnvironment(rawValue: environmentText.lowercased()) else {
            throw ConfigurationError(variable: "MPESA_ENVIRONMENT", problem: "must be sandbox, production or simulator")
        }
        let baseURL: String
        if let override = env.optional("MPESA_BASE_URL") {
            baseURL = try validatedURL(override, variable: "MPESA_BASE_URL")
        } else if let known = environment.defaultBaseURL {
            baseURL = known
        } else {
            throw ConfigurationError(
                variable: "MPESA_BASE_URL", problem: "is required when MPESA_ENVIRONMENT=simulator")
        }
        let shortcode = try env.required("MPESA_SHORTCODE")
        guard (5...7).contains(shortcode.count), shortcode.allSatisfy(\.isASCIIDigit) else {
            throw ConfigurationError(variable: "MPESA_SHORTCODE", problem: "must be 5 to 7 digits")
        }
        let callbackURL = try validatedURL(try env.required("MPESA_CALLBACK_URL"), variable: "MPESA_CALLBACK_URL")
        if environment == .production && !callbackURL.hasPrefix("https://") {
            throw ConfigurationError(variable: "MPESA_CALLBACK_URL", problem: "must use https in production")
        }
        return DarajaSettings(
            environment: environment,
            baseURL: baseURL,
            consumerKey: try env.required("MPESA_CONSUMER_KEY"),
            consumerSecret: try env.required("MPESA_CONSUMER_SECRET"),
            shortcode: shortcode,
            passkey: try env.required("MPESA_PASSKEY"),
            callbackURL: callbackURL
        )
    }

    /// Checks that a URL is http(s) with a host and no spaces (Daraja rejects stray spaces).
    public static func validatedURL(_ text: String, variable: String) throws(ConfigurationError) -> String {
        guard text.hasPrefix("https://") || text.hasPrefix("http://") else {
            throw ConfigurationError(variable: variable, problem: "must start with http:// or https://")
        }
        guard !text.contains(" "), text.split(separator: "/").count >= 2 else {
            throw ConfigurationError(variable: variable, problem: "is not a valid URL")
        }
        return text
    }
}

/// Refund approval rules (ARCHITECTURE.md §4).
public struct ApprovalSettings: Sendable, Equatable {
    /// Refunds strictly above this amount need two different approvers.
    public var dualApprovalAbove: Money

    /// A settings value.
    public init(dualApprovalAbove: Money) {
        self.dualApprovalAbove = dualApprovalAbove
    }

    /// `RECON_DUAL_APPROVAL_ABOVE` (KES, default 10 000). Who may approve is no longer a list in the environment:
    /// it is the accounts with the admin role (`users roles EMAIL --add admin`).
    public static func load(from env: Environment) throws(ConfigurationError) -> ApprovalSettings {
        var threshold = Money(minorUnits: 1_000_000)
        if let text = env.optional("RECON_DUAL_APPROVAL_ABOVE") {
            do {
                threshold = try Money.parse(text)
            } catch {
                throw ConfigurationError(variable: "RECON_DUAL_APPROVAL_ABOVE", problem: "must be an amount in KES")
            }
            guard threshold >= .zero else {
                throw ConfigurationError(variable: "RECON_DUAL_APPROVAL_ABOVE", problem: "must not be negative")
            }
        }
        return ApprovalSettings(dualApprovalAbove: threshold)
    }
}

extension Character {
    /// `0`…`9` only (not other scripts' digits).
    public var isASCIIDigit: Bool { ("0"..."9").contains(self) }
}

/// The callback endpoint's settings (`serve`).
public struct CallbackSettings: Sendable, Equatable {
    /// The secret every callback URL carries as `?token=…`.
    public var token: String
    /// Allowed source networks as text (`nil`: allow-list off); `safaricom` stands for the published list.
    public var allowList: [String]?
    /// Proxies whose `X-Forwarded-For` is believed.
    public var trustedProxies: [String]
    /// Where callbacks are spooled while PostgreSQL is down.
    public var spoolDirectory: String

    /// `MPESA_CALLBACK_TOKEN` (at least 16 characters), `RECON_CALLBACK_ALLOWLIST`, `RECON_TRUSTED_PROXIES`,
    /// `RECON_SPOOL_DIR` (default `./spool`).
    ///
    /// The allow-list: `RECON_CALLBACK_ALLOWLIST` when set (`off` turns it off; `safaricom` or CIDRs turn it on);
    /// unset, it is `safaricom` when `MPESA_ENVIRONMENT=production` (callbacks carry no signature: in production
    /// only Safaricom's published addresses may post them) and off otherwise (sandbox, simulator, tests).
    public static func load(from env: Environment) throws(ConfigurationError) -> CallbackSettings {
        let token = try env.required("MPESA_CALLBACK_TOKEN")
        guard token.count >= 16 else {
            throw ConfigurationError(variable: "MPESA_CALLBACK_TOKEN", problem: "must be at least 16 characters")
        }
        guard token.allSatisfy({ $0.isLetter || $0.isASCIIDigit || $0 == "-" || $0 == "_" }),
            token.allSatisfy(\.isASCII)
        else {
            throw ConfigurationError(
                variable: "MPESA_CALLBACK_TOKEN", problem: "must use only ASCII letters, digits, '-' and '_'")
        }
        func list(_ name: String) -> [String]? {
            env.optional(name).map { $0.split(separator: ",").map { $0.trimmingSpaces() }.filter { !$0.isEmpty } }
        }
        return CallbackSettings(
            token: token, allowList: try allowList(from: env),
            trustedProxies: list("RECON_TRUSTED_PROXIES") ?? [],
            spoolDirectory: env.optional("RECON_SPOOL_DIR") ?? "spool")
    }
}

extension CallbackSettings {
    /// The words of `RECON_CALLBACK_ALLOWLIST` that turn the allow-list off.
    public static let allowListOff: Set<String> = ["off", "none", "false", "0", "no"]

    /// `RECON_CALLBACK_ALLOWLIST` as a list (`nil`: off), else the environment's default (on in production).
    static func allowList(from env: Environment) throws(ConfigurationError) -> [String]? {
        if let text = env.optional("RECON_CALLBACK_ALLOWLIST") {
            let items = text.split(separator: ",").map { $0.trimmingSpaces() }.filter { !$0.isEmpty }
            if items.count == 1, let only = items.first, allowListOff.contains(only.lowercased()) { return nil }
            guard !items.isEmpty else {
                throw ConfigurationError(
                    variable: "RECON_CALLBACK_ALLOWLIST", problem: "is empty: name networks, safaricom, or off")
            }
            if items.contains(where: { allowListOff.contains($0.lowercased()) }) {
                throw ConfigurationError(
                    variable: "RECON_CALLBACK_ALLOWLIST", problem: "mixes off with networks: use one or the other")
            }
            return items
        }
        let environment = env.optional("MPESA_ENVIRONMENT").flatMap { DarajaEnvironment(rawValue: $0.lowercased()) }
        return environment == .production ? ["safaricom"] : nil
    }
}

/// B2C refund settings (ARCHITECTURE.md §4).
public struct B2CSettings: Sendable, Equatable {
    public var shortcode: String
    public var initiatorName: String
    /// A secret: never printed.
    public var initiatorPassword: String
    /// Path of Safaricom's public-key certificate (PEM).
    public var certificatePath: String
    public var resultURL: String
    public var timeoutURL: String

    /// `MPESA_B2C_SHORTCODE`, `MPESA_B2C_INITIATOR_NAME`, `MPESA_B2C_INITIATOR_PASSWORD`, `MPESA_CERT_PATH`,
    /// `MPESA_B2C_RESULT_URL`, `MPESA_B2C_TIMEOUT_URL`.
    public static func load(from env: Environment) throws(ConfigurationError) -> B2CSettings {
        let shortcode = try env.required("MPESA_B2C_SHORTCODE")
        guard (5...7).contains(shortcode.count), shortcode.allSatisfy(\.isASCIIDigit) else {
            throw ConfigurationError(variable: "MPESA_B2C_SHORTCODE", problem: "must be 5 to 7 digits")
        }
        return B2CSettings(
            shortcode: shortcode, initiatorName: try env.required("MPESA_B2C_INITIATOR_NAME"),
            initiatorPassword: try env.required("MPESA_B2C_INITIATOR_PASSWORD"),
            certificatePath: try env.required("MPESA_CERT_PATH"),
            resultURL: try DarajaSettings.validatedURL(
                try env.required("MPESA_B2C_RESULT_URL"), variable: "MPESA_B2C_RESULT_URL"),
            timeoutURL: try DarajaSettings.validatedURL(
                try env.required("MPESA_B2C_TIMEOUT_URL"), variable: "MPESA_B2C_TIMEOUT_URL"))
    }
}

extension RetrySchedule {
    /// `RECON_RETRY_SCHEDULE` (e.g. `90s,3m,10m,30m,2h,12h,24h`), or the standard schedule.
    public static func load(from env: Environment) throws(ConfigurationError) -> RetrySchedule {
        guard let text = env.optional("RECON_RETRY_SCHEDULE") else { return .standard }
        guard let schedule = RetrySchedule.parse(text) else {
            throw ConfigurationError(
                variable: "RECON_RETRY_SCHEDULE", problem: "must be a comma-separated list such as 90s,3m,10m,2h,1d")
        }
        return schedule
    }
}
