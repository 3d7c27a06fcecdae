public import Foundation

/// The plain settings of an M-Pesa configuration: what `config add` is given, stored as they are.
public struct MpesaConfigurationSettings: Sendable, Equatable {
    public var name: String
    public var environment: String
    public var baseURL: String?
    public var shortcode: String
    public var partyType: String
    public var tillNumber: String?
    public var callbackURL: String
    public var b2cShortcode: String?
    public var b2cInitiatorName: String?
    public var b2cResultURL: String?
    public var b2cTimeoutURL: String?

    /// A value.
    public init(
        name: String, environment: String, baseURL: String?, shortcode: String, partyType: String,
        tillNumber: String?, callbackURL: String, b2cShortcode: String?, b2cInitiatorName: String?,
        b2cResultURL: String?, b2cTimeoutURL: String?
    ) {
        self.name = name
        self.environment = environment
        self.baseURL = baseURL
        self.shortcode = shortcode
        self.partyType = partyType
        self.tillNumber = tillNumber
        self.callbackURL = callbackURL
        self.b2cShortcode = b2cShortcode
        self.b2cInitiatorName = b2cInitiatorName
        self.b2cResultURL = b2cResultURL
        self.b2cTimeoutURL = b2cTimeoutURL
    }
}

/// A row of `mpesa_configurations`: its settings (read through as `record.name`, …) and its sealed secrets, which
/// stay sealed here (``SecretBox`` opens them where they are used).
@dynamicMemberLookup
public struct MpesaConfigurationRecord: Sendable, Equatable {
    public var id: Int64
    public var settings: MpesaConfigurationSettings
    public var passkeySealed: String
    public var consumerKeySealed: String
    public var consumerSecretSealed: String
    public var b2cInitiatorPasswordSealed: String?
    public var isActive: Bool
    public var createdAt: Date

    /// A record value (id and time are the database's on insert).
    public init(
        id: Int64 = 0, settings: MpesaConfigurationSettings, passkeySealed: String, consumerKeySealed: String,
        consumerSecretSealed: String, b2cInitiatorPasswordSealed: String?, isActive: Bool = true,
        createdAt: Date = Date()
    ) {
        self.id = id
        self.settings = settings
        self.passkeySealed = passkeySealed
        self.consumerKeySealed = consumerKeySealed
        self.consumerSecretSealed = consumerSecretSealed
        self.b2cInitiatorPasswordSealed = b2cInitiatorPasswordSealed
        self.isActive = isActive
        self.createdAt = createdAt
    }

    /// A setting of the configuration.
    public subscript<Value>(dynamicMember setting: KeyPath<MpesaConfigurationSettings, Value>) -> Value {
        settings[keyPath: setting]
    }
}

/// `mpesa_configurations`: the guide's MpesaConfiguration.
public enum ConfigurationStore {
    static func record(_ row: PostgresRow) throws(PostgresError) -> MpesaConfigurationRecord {
        MpesaConfigurationRecord(
            id: try row.decode(Int64.self, "id"),
            settings: MpesaConfigurationSettings(
                name: try row.decode(String.self, "name"), environment: try row.decode(String.self, "environment"),
                baseURL: try row.decode(String?.self, "base_url"), shortcode: try row.decode(String.self, "shortcode"),
                partyType: try row.decode(String.self, "party_type"),
                tillNumber: try row.decode(String?.self, "till_number"),
                callbackURL: try row.decode(String.self, "callback_url"),
                b2cShortcode: try row.decode(String?.self, "b2c_shortcode"),
                b2cInitiatorName: try row.decode(String?.self, "b2c_initiator_name"),
                b2cResultURL: try row.decode(String?.self, "b2c_result_url"),
                b2cTimeoutURL: try row.decode(String?.self, "b2c_timeout_url")),
            passkeySealed: try row.decode(String.self, "passkey_sealed"),
            consumerKeySealed: try row.decode(String.self, "consumer_key_sealed"),
            consumerSecretSealed: try row.decode(String.self, "consumer_secret_sealed"),
            b2cInitiatorPasswordSealed: try row.decode(String?.self, "b2c_initiator_password_sealed"),
            isActive: try row.decode(Bool.self, "is_active"), createdAt: try row.decode(Date.self, "created_at"))
    }

    /// Inserts a configuration and returns its id.
    public static func insert(
        _ db: isolated PostgresConnection, _ c: MpesaConfigurationRecord
    ) throws(PostgresError) -> Int64 {
        try CatalogStore.returnedID(
            db.query(
                """
                INSERT INTO mpesa_configurations (name, environment, base_url, shortcode, party_type, till_number,
                    passkey_sealed, consumer_key_sealed, consumer_secret_sealed, callback_url, b2c_shortcode,
                    b2c_initiator_name, b2c_initiator_password_sealed, b2c_result_url, b2c_timeout_url, is_active)
                VALUES (\(c.name), \(c.environment), \(c.baseURL), \(c.shortcode), \(c.partyType), \(c.tillNumber),
                    \(c.passkeySealed), \(c.consumerKeySealed), \(c.consumerSecretSealed), \(c.callbackURL),
                    \(c.b2cShortcode), \(c.b2cInitiatorName), \(c.b2cInitiatorPasswordSealed), \(c.b2cResultURL),
                    \(c.b2cTimeoutURL), \(c.isActive))
                RETURNING id
                """))
    }

    /// Every configuration, by name.
    public static func list(_ db: isolated PostgresConnection) throws(PostgresError) -> [MpesaConfigurationRecord] {
        try db.query("SELECT * FROM mpesa_configurations ORDER BY name").map(record)
    }

    /// One configuration by name.
    public static func load(
        _ db: isolated PostgresConnection, name: String
    ) throws(PostgresError) -> MpesaConfigurationRecord? {
        try db.query("SELECT * FROM mpesa_configurations WHERE name = \(name)").first.map(record)
    }

    /// Disables (or enables) a configuration; returns whether it exists.
    public static func setActive(
        _ db: isolated PostgresConnection, name: String, active: Bool
    ) throws(PostgresError) -> Bool {
        try db.query("UPDATE mpesa_configurations SET is_active = \(active) WHERE name = \(name) RETURNING id")
            .first != nil
    }
}
