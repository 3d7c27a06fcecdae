public import Foundation
public import ReconCore
public import ReconPostgres

/// A fresh, migrated database for one test, cloned from a template, dropped afterwards.
///
/// The server is the throwaway cluster that `scripts/pg.sh start` runs (what `make test` does);
/// `RECON_TEST_ADMIN_URL` points elsewhere.
public struct TestDatabase: Sendable {
    /// Connection settings of this test's own database.
    public let settings: DatabaseSettings
    /// The database's name.
    public let name: String

    /// A handle on an existing database of the test cluster (to drop it).
    public init(settings: DatabaseSettings, name: String) {
        self.settings = settings
        self.name = name
    }

    /// The maintenance database of the test cluster.
    public static var adminURL: String {
        ProcessInfo.processInfo.environment["RECON_TEST_ADMIN_URL"]
            ?? "postgresql://postgres@127.0.0.1:54329/postgres"
    }

    /// The repository's `sql/` folder.
    public static var migrationsDirectory: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("sql")
    }

    /// The application's runtime role, granted in every test database as `migrate` grants it.
    public static let runtimeRole = EnforcementStore.defaultAppRole

    /// Settings that reach this database as the runtime role: the test cluster's superuser, whose session takes
    /// the role at connect time (`-c role=…`), so the application's statements run with that role's grants only.
    public var runtimeSettings: DatabaseSettings {
        let separator = settings.connectionString.contains("?") ? "&" : "?"
        return DatabaseSettings(
            connectionString: settings.connectionString + separator + "options=-c%20role%3D" + Self.runtimeRole)
    }

    /// Settings that reach a named database on the test cluster.
    public static func settings(database: String) -> DatabaseSettings {
        var url = adminURL
        if let slash = url.range(of: "/", options: .backwards) { url = String(url[..<slash.lowerBound]) }
        return DatabaseSettings(connectionString: url + "/" + database)
    }

    /// Runs `body` with a new migrated database and drops it afterwards, whatever happens.
    public static func with<T>(
        _ body: (TestDatabase, PostgresConnection) async throws -> T
    ) async throws -> T {
        let database = try await create()
        let connection = try await PostgresConnection.connect(database.settings)
        do {
            let value = try await body(database, connection)
            await connection.close()
            try await database.drop()
            return value
        } catch {
            await connection.close()
            try? await database.drop()
            throw error
        }
    }

    /// Creates an empty (unmigrated) database, for migration tests.
    public static func createEmpty() async throws -> TestDatabase {
        let name = "recon_test_\(UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: ""))"
        let admin = try await PostgresConnection.connect(DatabaseSettings(connectionString: adminURL))
        do {
            try await admin.query(SQLQuery(unsafeSQL: "CREATE DATABASE \(name)"))
            await admin.close()
        } catch {
            await admin.close()
            throw error
        }
        return TestDatabase(settings: settings(database: name), name: name)
    }

    /// Creates a database from the migrated template (built once per set of migration files).
    public static func create() async throws -> TestDatabase {
        let migrations = try Migration.load(from: migrationsDirectory)
        let template = "recon_tpl_\(fingerprint(migrations))"
        let admin = try await PostgresConnection.connect(DatabaseSettings(connectionString: adminURL))
        do {
            try await ensureTemplate(template, migrations: migrations, admin: admin)
            let name = "recon_test_\(UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: ""))"
            try await admin.query(SQLQuery(unsafeSQL: "CREATE DATABASE \(name) TEMPLATE \(template)"))
            await admin.close()
            return TestDatabase(settings: settings(database: name), name: name)
        } catch {
            await admin.close()
            throw error
        }
    }

    /// Drops the database, disconnecting anything still attached.
    public func drop() async throws {
        let admin = try await PostgresConnection.connect(DatabaseSettings(connectionString: Self.adminURL))
        try await admin.query(SQLQuery(unsafeSQL: "DROP DATABASE IF EXISTS \(name) WITH (FORCE)"))
        await admin.close()
    }

    private static func ensureTemplate(
        _ template: String, migrations: [Migration], admin: PostgresConnection
    ) async throws {
        // Test processes may race to build the template: one builds, the others wait on the lock.
        try await admin.query("SELECT pg_advisory_lock(4242)")
        do {
            let ready = try await admin.query(
                """
                SELECT shobj_description(oid, 'pg_database') = 'ready' AS ready
                FROM pg_database WHERE datname = \(template)
                """
            ).first?.decode(Bool?.self, "ready")
            if ready != true {
                try await admin.query(SQLQuery(unsafeSQL: "DROP DATABASE IF EXISTS \(template) WITH (FORCE)"))
                try await admin.query(SQLQuery(unsafeSQL: "CREATE DATABASE \(template)"))
                let connection = try await PostgresConnection.connect(settings(database: template))
                do {
                    _ = try await Migrator(migrations: migrations).migrate(connection)
                    try await connection.run { connection throws(PostgresError) in
                        try EnforcementStore.grantAppRole(connection, role: runtimeRole)
                    }
                    await connection.close()
                } catch {
                    await connection.close()
                    throw error
                }
                try await admin.query(SQLQuery(unsafeSQL: "COMMENT ON DATABASE \(template) IS 'ready'"))
            }
            try await admin.query("SELECT pg_advisory_unlock(4242)")
        } catch {
            _ = try? await admin.query("SELECT pg_advisory_unlock(4242)")
            throw error
        }
    }

    /// FNV-1a over names and contents: a new template whenever a migration changes.
    static func fingerprint(_ migrations: [Migration]) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for migration in migrations {
            for byte in migration.name.utf8 + [0] + migration.sql.utf8 {
                hash ^= UInt64(byte)
                hash = hash &* 0x0000_0100_0000_01b3
            }
        }
        return String(hash, radix: 16)
    }
}
