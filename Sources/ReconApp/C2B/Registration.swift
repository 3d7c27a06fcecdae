public import Daraja
public import Foundation
public import Logging
public import ReconCore
public import ReconPostgres

/// `c2b register` and `pull register` (C2B-PULL.md §1, §5): one request each, the outcome stored per configuration
/// (`doctor` shows the latest).
public enum Registration {
    /// The name the MPESA_* environment's configuration is stored under.
    public static let defaultConfiguration = "default"

    /// Registers the C2B URLs with `version`; a `401.003.01` answer ("no apiproduct match") is the wrong version for
    /// this app, so the other version is tried once. Every attempt is stored.
    public static func registerC2B(
        _ settings: DatabaseSettings, configuration: String, client: DarajaClient, shortcode: String,
        version: C2BSettings.Version, responseType: String, confirmationURL: String, validationURL: String,
        now: @Sendable () -> Date = Date.init
    ) async throws -> [RegistrationRecord] {
        var records: [RegistrationRecord] = []
        var current = version
        for attempt in 0..<2 {
            let outcome = await client.registerC2BURLs(
                version: current, shortcode: shortcode, responseType: responseType, confirmationURL: confirmationURL,
                validationURL: validationURL)
            records.append(
                record(
                    outcome, configuration: configuration, shortcode: shortcode, version: current, at: now()))
            guard case .wrongVersion = outcome, attempt == 0 else { break }
            current = current.other
        }
        try await store(settings, records)
        return records
    }

    /// Registers a shortcode for Pull Transactions (1000 registered, 1001 already: both success), stored.
    public static func registerPull(
        _ settings: DatabaseSettings, configuration: String, client: DarajaClient, shortcode: String,
        nominatedNumber: MSISDN, callbackURL: String, now: @Sendable () -> Date = Date.init
    ) async throws -> RegistrationRecord {
        let outcome = await client.registerPull(
            shortcode: shortcode, nominatedNumber: nominatedNumber, callbackURL: callbackURL)
        let (name, code, detail): (String, String?, String)
        switch outcome {
        case .registered(let description): (name, code, detail) = ("registered", "1000", description)
        case .alreadyRegistered(let description): (name, code, detail) = ("already_registered", "1001", description)
        case .refused(let refused, let message): (name, code, detail) = ("refused", refused, message)
        case .failed(let reason): (name, code, detail) = ("failed", nil, reason)
        }
        let record = RegistrationRecord(
            configuration: configuration, api: "pull", shortcode: shortcode, version: nil, outcome: name,
            responseCode: code, detail: detail, attemptedAt: now())
        try await store(settings, [record])
        return record
    }

    /// The latest registration of each configuration and API.
    public static func latest(_ settings: DatabaseSettings) async throws -> [RegistrationRecord] {
        try await withConnectionPool(settings) { pool in
            try await pool.withConnection { db in
                try await db.run { db throws(PostgresError) in try PullStore.latestRegistrations(db) }
            }
        }
    }

    static func record(
        _ outcome: C2BRegisterOutcome, configuration: String, shortcode: String, version: C2BSettings.Version, at: Date
    ) -> RegistrationRecord {
        let (name, code, detail): (String, String?, String)
        switch outcome {
        case .registered(let description): (name, code, detail) = ("registered", "0", description)
        case .alreadyRegistered(let description): (name, code, detail) = ("already_registered", nil, description)
        case .wrongVersion(let wrong):
            (name, code, detail) = (
                "wrong_version", wrong, "C2B \(version.rawValue) is not this app's API product (no apiproduct match)"
            )
        case .refused(let refused, let message): (name, code, detail) = ("refused", refused, message)
        case .failed(let reason): (name, code, detail) = ("failed", nil, reason)
        }
        return RegistrationRecord(
            configuration: configuration, api: "c2b", shortcode: shortcode, version: version.rawValue, outcome: name,
            responseCode: code, detail: detail, attemptedAt: at)
    }

    static func store(_ settings: DatabaseSettings, _ records: [RegistrationRecord]) async throws {
        try await withConnectionPool(settings) { pool in
            try await pool.withConnection { db in
                try await db.withTransaction { db in
                    for record in records { try PullStore.recordRegistration(db, record) }
                }
            }
        }
    }
}

/// Issuing the references the LMS shows learners (for `c2b reference` and the API).
public enum References {
    /// The open enrollment reference of a learner and course (created when there is none), and the learner's own
    /// reference.
    public static func issue(
        _ db: isolated PostgresConnection, userID: Int64, courseID: Int64?, now: Date
    ) throws(PostgresError) -> (enrollment: String?, learner: String) {
        var generator = SystemRandomNumberGenerator()
        var enrollment: String?
        if let courseID {
            enrollment = try unique(db) { () throws(PostgresError) in
                try C2BStore.enrollmentReference(
                    db, userID: userID, courseID: courseID,
                    newCode: C2BReference.generate(prefix: "E", using: &generator), now: now)
            }
        }
        let learner = try unique(db) { () throws(PostgresError) in
            try C2BStore.learnerReference(
                db, userID: userID, newCode: C2BReference.generate(prefix: "L", using: &generator), now: now)
        }
        return (enrollment, learner)
    }

    /// Retries a code that collided with another (unique violation) a few times, inside a savepoint each.
    static func unique(
        _ db: isolated PostgresConnection, _ body: () throws(PostgresError) -> String
    ) throws(PostgresError) -> String {
        var last: PostgresError?
        for _ in 0..<5 {
            try db.query("SAVEPOINT reference_code")
            do {
                let code = try body()
                try db.query("RELEASE SAVEPOINT reference_code")
                return code
            } catch  where error.isRefusal {
                try db.query("ROLLBACK TO SAVEPOINT reference_code")
                last = error
            }
        }
        throw last ?? PostgresError(code: .misuse, message: "no reference code could be issued")
    }
}

/// The configuration a registration or pull acts for: its client and its C2B settings.
public struct RegistrationTarget: Sendable {
    /// `default` or the stored configuration's name.
    public var name: String
    public var client: DarajaClient
    public var c2b: C2BSettings

    /// The MPESA_* environment's (`config` nil) or a stored configuration's target; a stored one's URLs are derived
    /// from its callback URL, its version and response type from `MPESA_C2B_VERSION` and `MPESA_C2B_RESPONSE_TYPE`.
    public static func resolve(
        _ env: Environment, config: String?, logger: Logger
    ) async throws -> RegistrationTarget {
        guard let config else {
            return RegistrationTarget(
                name: Registration.defaultConfiguration, client: try DarajaWiring.client(env, logger: logger),
                c2b: try C2BSettings.load(from: env))
        }
        let (_, client) = try await Configurations.pushClient(
            try DatabaseSettings.load(from: env), name: config, secretsKey: env.optional("RECON_SECRETS_KEY"),
            logger: logger)
        var derivedEnv = env
        derivedEnv.values["MPESA_CALLBACK_URL"] = client.configuration.callbackURL
        derivedEnv.values["MPESA_C2B_SHORTCODE"] = client.configuration.shortcode
        for name in ["MPESA_C2B_CONFIRMATION_URL", "MPESA_C2B_VALIDATION_URL", "MPESA_PULL_CALLBACK_URL"] {
            derivedEnv.values[name] = nil
        }
        return RegistrationTarget(name: config, client: client, c2b: try C2BSettings.load(from: derivedEnv))
    }
}

extension Configurations {
    /// A Pull client for every stored configuration by name (disabled ones too: their shortcodes still receive
    /// money), plus the environment's under `default` when given.
    public static func pullClients(
        _ settings: DatabaseSettings, secretsKey: String?, environment: DarajaClient?, logger: Logger
    ) async throws -> [String: any PullQuerying] {
        var clients: [String: any PullQuerying] = [:]
        if let environment { clients[Registration.defaultConfiguration] = environment }
        for (record, client) in try await openClients(settings, secretsKey: secretsKey, logger: logger) {
            clients[record.name] = client
        }
        return clients
    }
}
