public import Daraja
import Foundation
public import Logging
public import ReconCore
import ReconHTTP
internal import ReconIdentity
public import ReconPostgres

/// A configuration as `config list` shows it: no secret, only whether each is set.
public struct MpesaConfigurationSummary: Sendable, Codable, Equatable {
    public var id: Int64
    public var name: String
    public var environment: String
    public var shortcode: String
    public var partyType: String
    public var active: Bool
    public var hasB2C: Bool

    /// The summary of a stored record (`id`: the one the database gave it).
    init(id: Int64, _ record: MpesaConfigurationRecord) {
        self.id = id
        name = record.name
        environment = record.environment
        shortcode = record.shortcode
        partyType = record.partyType
        active = record.isActive
        hasB2C = record.b2cInitiatorPasswordSealed != nil
    }
}

/// `config add|list|disable`: the guide's MpesaConfiguration, secrets sealed with `RECON_SECRETS_KEY`.
public enum Configurations {
    /// Seals the secrets (by name: `passkey`, `consumer_key`, `consumer_secret`, optional `initiator_password`)
    /// and stores the configuration.
    public static func add(
        _ settings: DatabaseSettings, secretsKey: String, _ configuration: MpesaConfigurationSettings,
        secrets: [String: String]
    ) async throws -> MpesaConfigurationSummary {
        let box = try SecretBox(encodedKey: secretsKey)
        for required in ["passkey", "consumer_key", "consumer_secret"] where (secrets[required] ?? "").isEmpty {
            throw AccountRefusal("the secret \(required) is missing (give it on stdin as \(required)=VALUE)")
        }
        let context = "mpesa_configurations:\(configuration.name)"
        let record = MpesaConfigurationRecord(
            settings: configuration,
            passkeySealed: try box.seal(secrets["passkey"] ?? "", context: context),
            consumerKeySealed: try box.seal(secrets["consumer_key"] ?? "", context: context),
            consumerSecretSealed: try box.seal(secrets["consumer_secret"] ?? "", context: context),
            b2cInitiatorPasswordSealed: try secrets["initiator_password"].map { password throws(IdentityError) in
                try box.seal(password, context: context)
            })
        let id = try await withConnectionPool(settings) { pool in
            try await pool.withConnection { db in
                try await db.run { db throws(PostgresError) in try ConfigurationStore.insert(db, record) }
            }
        }
        return MpesaConfigurationSummary(id: id, record)
    }

    /// Every configuration.
    public static func list(_ settings: DatabaseSettings) async throws -> [MpesaConfigurationSummary] {
        try await withConnectionPool(settings) { pool in
            try await pool.withConnection { db in
                try await db.run { db throws(PostgresError) in
                    try ConfigurationStore.list(db).map { MpesaConfigurationSummary(id: $0.id, $0) }
                }
            }
        }
    }

    /// Disables a configuration by name.
    public static func disable(_ settings: DatabaseSettings, name: String) async throws {
        let found = try await withConnectionPool(settings) { pool in
            try await pool.withConnection { db in
                try await db.run { db throws(PostgresError) in
                    try ConfigurationStore.setActive(db, name: name, active: false)
                }
            }
        }
        guard found else { throw AccountRefusal("no configuration named \(name)") }
    }

    /// The Daraja client of one stored configuration (STK Push and STK Query; B2C stays the environment's).
    static func client(
        _ record: MpesaConfigurationRecord, secretsKey: String, logger: Logger
    ) throws -> DarajaClient {
        guard
            let baseURL = record.baseURL
                ?? DarajaEnvironment(rawValue: record.environment).flatMap(\.defaultBaseURL)
        else {
            throw AccountRefusal("configuration \(record.name) has no base URL for environment \(record.environment)")
        }
        let open = { (sealed: String) throws -> String in
            try openSecret(sealed, name: record.name, secretsKey: secretsKey)
        }
        let till = record.partyType == "till"
        let configuration = DarajaClientConfiguration(
            baseURL: baseURL, consumerKey: try open(record.consumerKeySealed),
            consumerSecret: try open(record.consumerSecretSealed), shortcode: record.shortcode,
            passkey: try open(record.passkeySealed),
            transactionType: till ? .customerBuyGoodsOnline : .customerPayBillOnline,
            partyB: till ? record.tillNumber : nil, callbackURL: record.callbackURL)
        return DarajaClient(configuration: configuration, http: HTTPClient(), logger: logger)
    }

    /// The active configuration named `name` and its client, for `pay --config`.
    public static func pushClient(
        _ settings: DatabaseSettings, name: String, secretsKey: String?, logger: Logger
    ) async throws -> (id: Int64, client: DarajaClient) {
        guard let secretsKey else {
            throw AccountRefusal("RECON_SECRETS_KEY is not set: stored configurations cannot be opened")
        }
        let record = try await withConnectionPool(settings) { pool in
            try await pool.withConnection { db in
                try await db.run { db throws(PostgresError) in try ConfigurationStore.load(db, name: name) }
            }
        }
        guard let record, record.isActive else { throw AccountRefusal("no active configuration named \(name)") }
        return (record.id, try client(record, secretsKey: secretsKey, logger: logger))
    }

    /// A client for every configuration payments were pushed with, for settle and run; disabled ones too, since
    /// their pending payments still need an answer. Without `RECON_SECRETS_KEY` none (the environment's client asks
    /// about the rest); a configuration whose secrets do not open is left out and logged.
    public static func queryClients(
        _ settings: DatabaseSettings, secretsKey: String?, logger: Logger
    ) async throws -> [Int64: any StkQuerying] {
        var clients: [Int64: any StkQuerying] = [:]
        for (record, client) in try await openClients(settings, secretsKey: secretsKey, logger: logger) {
            clients[record.id] = client
        }
        return clients
    }

    /// Every stored configuration (disabled ones too) with its client; without `RECON_SECRETS_KEY` none, and one
    /// whose secrets do not open is left out and logged: its payments wait and its shortcode is not pulled.
    static func openClients(
        _ settings: DatabaseSettings, secretsKey: String?, logger: Logger
    ) async throws -> [(record: MpesaConfigurationRecord, client: DarajaClient)] {
        let records = try await withConnectionPool(settings) { pool in
            try await pool.withConnection { db in
                try await db.run { db throws(PostgresError) in try ConfigurationStore.list(db) }
            }
        }
        guard !records.isEmpty else { return [] }
        guard let secretsKey else {
            logger.warning("RECON_SECRETS_KEY is not set: payments pushed with stored configurations wait")
            return []
        }
        var clients: [(record: MpesaConfigurationRecord, client: DarajaClient)] = []
        for record in records {
            do {
                clients.append((record, try client(record, secretsKey: secretsKey, logger: logger)))
            } catch {
                logger.error(
                    "a stored M-Pesa configuration cannot be opened; its payments wait",
                    metadata: ["recon.configuration": "\(record.name)"])
            }
        }
        return clients
    }

    /// Opens one sealed secret of a stored configuration (for the Daraja client that uses it).
    public static func openSecret(_ sealed: String, name: String, secretsKey: String) throws -> String {
        try SecretBox(encodedKey: secretsKey).open(sealed, context: "mpesa_configurations:\(name)")
    }
}
