/// C2B (paybill and till payments from the SIM menu) and Pull Transactions settings (ARCHITECTURE.md §4,
/// C2B-PULL.md §1 and §5).
public struct C2BSettings: Sendable, Equatable {
    /// The RegisterURL API version a Daraja app holds (its API product decides which one it may call).
    public enum Version: String, Sendable, Codable, CaseIterable {
        case v1
        case v2

        /// The other version, tried once when Daraja answers `401.003.01` ("no apiproduct match").
        public var other: Version { self == .v1 ? .v2 : .v1 }
    }

    /// The paybill or till whose payments are registered and pulled (`MPESA_C2B_SHORTCODE`, default
    /// `MPESA_SHORTCODE`).
    public var shortcode: String
    /// `MPESA_C2B_VERSION`: `v1` (hashed MSISDN) or `v2` (masked MSISDN); default `v2`.
    public var version: Version
    /// `MPESA_C2B_RESPONSE_TYPE`: what M-Pesa does when validation does not answer in time, `Completed` (default)
    /// or `Cancelled`.
    public var responseType: String
    /// Where confirmations are posted (with the callback token).
    public var confirmationURL: String
    /// Where validation requests are posted (with the callback token).
    public var validationURL: String
    /// `MPESA_PULL_NOMINATED_NUMBER`: the number on the shortcode's KYC (254 form), for `pull register`.
    public var pullNominatedNumber: MSISDN?
    /// `MPESA_PULL_CALLBACK_URL`: the CallBackURL Pull registration names (nothing documented is posted there).
    public var pullCallbackURL: String
    /// Windows, overlap and lag of `run`'s pull (`RECON_PULL_OVERLAP`, `RECON_PULL_LAG`).
    public var pull: PullPolicy

    /// The settings with their defaults.
    public init(
        shortcode: String, version: Version = .v2, responseType: String = "Completed", confirmationURL: String,
        validationURL: String, pullNominatedNumber: MSISDN? = nil, pullCallbackURL: String,
        pull: PullPolicy = PullPolicy()
    ) {
        self.shortcode = shortcode
        self.version = version
        self.responseType = responseType
        self.confirmationURL = confirmationURL
        self.validationURL = validationURL
        self.pullNominatedNumber = pullNominatedNumber
        self.pullCallbackURL = pullCallbackURL
        self.pull = pull
    }

    /// The routes `serve` answers C2B and Pull on.
    public static let confirmationPath = "/api/payments/c2b/confirmation/"
    public static let validationPath = "/api/payments/c2b/validation/"
    public static let pullCallbackPath = "/api/payments/pull/callback/"

    /// Reads the `MPESA_C2B_*`, `MPESA_PULL_*` and `RECON_PULL_*` variables; URLs not given are
    /// derived from `MPESA_CALLBACK_URL` (its path `/api/payments/callback/` replaced, its `?token=` kept).
    public static func load(from env: Environment) throws(ConfigurationError) -> C2BSettings {
        let shortcode: String
        if let given = env.optional("MPESA_C2B_SHORTCODE") {
            shortcode = given
        } else {
            shortcode = try env.required("MPESA_SHORTCODE")
        }
        guard (5...7).contains(shortcode.count), shortcode.allSatisfy(\.isASCIIDigit) else {
            let variable = env.optional("MPESA_C2B_SHORTCODE") == nil ? "MPESA_SHORTCODE" : "MPESA_C2B_SHORTCODE"
            throw ConfigurationError(variable: variable, problem: "must be 5 to 7 digits")
        }
        var version = Version.v2
        if let text = env.optional("MPESA_C2B_VERSION") {
            guard let parsed = Version(rawValue: text.lowercased()) else {
                throw ConfigurationError(variable: "MPESA_C2B_VERSION", problem: "must be v1 or v2")
            }
            version = parsed
        }
        var responseType = "Completed"
        if let text = env.optional("MPESA_C2B_RESPONSE_TYPE") {
            // Daraja wants sentence case and "Cancelled" with two L (its own sample's "Canceled" contradicts it).
            switch text.lowercased() {
            case "completed": responseType = "Completed"
            case "cancelled", "canceled": responseType = "Cancelled"
            default:
                throw ConfigurationError(variable: "MPESA_C2B_RESPONSE_TYPE", problem: "must be Completed or Cancelled")
            }
        }
        let callback = env.optional("MPESA_CALLBACK_URL")
        func url(_ name: String, path: String) throws(ConfigurationError) -> String {
            if let given = env.optional(name) { return try DarajaSettings.validatedURL(given, variable: name) }
            guard let callback, let derived = derivedURL(from: callback, path: path) else {
                throw ConfigurationError(
                    variable: name, problem: "is not set and cannot be derived from MPESA_CALLBACK_URL")
            }
            return derived
        }
        var nominated: MSISDN?
        if let text = env.optional("MPESA_PULL_NOMINATED_NUMBER") {
            guard let number = try? MSISDN(parsing: text) else {
                throw ConfigurationError(
                    variable: "MPESA_PULL_NOMINATED_NUMBER", problem: "must be a Kenyan mobile number (2547…)")
            }
            nominated = number
        }
        return C2BSettings(
            shortcode: shortcode, version: version, responseType: responseType,
            confirmationURL: try url("MPESA_C2B_CONFIRMATION_URL", path: confirmationPath),
            validationURL: try url("MPESA_C2B_VALIDATION_URL", path: validationPath),
            pullNominatedNumber: nominated, pullCallbackURL: try url("MPESA_PULL_CALLBACK_URL", path: pullCallbackPath),
            pull: try PullPolicy.load(from: env))
    }

    /// `callbackURL` with its path `/api/payments/callback/` (or a last segment `callback`) replaced by `path`, its
    /// query (the token) kept; `nil` when its path is neither.
    public static func derivedURL(from callbackURL: String, path: String) -> String? {
        let parts = callbackURL.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false)
        guard let base = parts.first else { return nil }
        let query = parts.count > 1 ? "?" + parts[1] : ""
        var stem = String(base)
        if stem.hasSuffix("/") { stem.removeLast() }
        let standard = "/api/payments/callback"
        if stem.hasSuffix(standard) {
            return String(stem.dropLast(standard.count)) + path + query
        }
        guard stem.hasSuffix("/callback") else { return nil }
        let prefix = stem.dropLast("/callback".count)
        let tail = path.hasPrefix("/api/payments") ? String(path.dropFirst("/api/payments".count)) : path
        return String(prefix) + tail + query
    }
}

extension PullPolicy {
    /// `RECON_PULL_OVERLAP` (default 15m) and `RECON_PULL_LAG` (default 2m).
    public static func load(from env: Environment) throws(ConfigurationError) -> PullPolicy {
        PullPolicy(
            overlapSeconds: try env.seconds("RECON_PULL_OVERLAP", default: 900),
            lagSeconds: try env.seconds("RECON_PULL_LAG", default: 120))
    }
}

extension Environment {
    /// A duration such as `90s`, `15m`, `2h` or a number of seconds; the default when unset.
    public func seconds(_ name: String, default defaultValue: Int) throws(ConfigurationError) -> Int {
        guard let text = optional(name) else { return defaultValue }
        guard let parsed = RetrySchedule.parse(text), parsed.delays.count == 1, let value = parsed.delays.first else {
            throw ConfigurationError(variable: name, problem: "must be one duration such as 90s, 15m or 2h")
        }
        return value
    }
}
