public import Foundation

/// One numbered schema file from `sql/`.
public struct Migration: Sendable, Equatable {
    /// The file name, e.g. `001_init.sql`; its order is the name's order.
    public var name: String
    /// The SQL text.
    public var sql: String

    /// A migration value.
    public init(name: String, sql: String) {
        self.name = name
        self.sql = sql
    }

    /// Reads `NNN_*.sql` files from a folder in name order.
    public static func load(from directory: URL) throws(PostgresError) -> [Migration] {
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: directory.path)
        } catch {
            throw PostgresError(code: .migration, message: "cannot read the migrations folder \(directory.path)")
        }
        var migrations: [Migration] = []
        for name in names.sorted() where name.hasSuffix(".sql") {
            guard name.first?.isNumber == true else { continue }
            let url = directory.appendingPathComponent(name)
            guard let data = FileManager.default.contents(atPath: url.path),
                let sql = String(data: data, encoding: .utf8)
            else {
                throw PostgresError(code: .migration, message: "cannot read migration \(name) as UTF-8")
            }
            migrations.append(Migration(name: name, sql: sql))
        }
        guard !migrations.isEmpty else {
            throw PostgresError(code: .migration, message: "no NNN_*.sql migrations in \(directory.path)")
        }
        return migrations
    }
}

/// The schema a set of migrations brings a database to: its newest migration (names sort in applying order).
public struct SchemaVersion: Sendable, Equatable, Codable, CustomStringConvertible {
    /// The newest migration's file name, e.g. `015_confirmed_refund_cap.sql`.
    public var newest: String
    /// How many migrations lead to it.
    public var migrations: Int

    /// The version of `migrations` (any order); nil when there are none.
    public init?(_ migrations: [Migration]) {
        guard let newest = migrations.map(\.name).max() else { return nil }
        self.init(newest: newest, migrations: migrations.count)
    }

    /// A version from its newest migration's name.
    public init(newest: String, migrations: Int) {
        self.newest = newest
        self.migrations = migrations
    }

    /// The newest migration's number (`015`), the digits its name starts with.
    public var number: String { String(newest.prefix(while: \.isNumber)) }

    /// `015 (015_confirmed_refund_cap.sql)`.
    public var description: String { "\(number) (\(newest))" }

    /// The schema of the migrations built into this binary (`sql/` when it was built).
    public static var embedded: SchemaVersion {
        SchemaVersion(Migration.embedded) ?? SchemaVersion(newest: "none", migrations: 0)
    }
}

/// What `migrate` did.
public struct MigrationReport: Sendable, Equatable, Codable {
    /// Files applied by this run, in order.
    public var applied: [String]
    /// Files that were already applied with the same checksum.
    public var alreadyApplied: [String]
}

/// Applies migrations in order, each in its own transaction, recorded with a checksum.
///
/// Refuses to run when an applied file has changed or disappeared: the schema's history is fixed.
public struct Migrator: Sendable {
    /// The migrations to apply, in order.
    public let migrations: [Migration]

    /// A migrator over the given files.
    public init(migrations: [Migration]) {
        self.migrations = migrations
    }

    /// An arbitrary but fixed key, so two migrators never run at once.
    static let advisoryLockKey: Int64 = 0x6d70_6573_615f_6d67

    /// Applies what is missing and returns what it did.
    public func migrate(_ connection: PostgresConnection) async throws(PostgresError) -> MigrationReport {
        let migrations = self.migrations
        return try await connection.run { connection throws(PostgresError) in
            try connection.query("SELECT pg_advisory_lock(\(Migrator.advisoryLockKey))")
            defer { _ = try? connection.query("SELECT pg_advisory_unlock(\(Migrator.advisoryLockKey))") }
            try connection.executeScript(
                unsafeSQL: """
                    CREATE TABLE IF NOT EXISTS schema_migrations (
                        name text PRIMARY KEY,
                        checksum text NOT NULL,
                        applied_at timestamptz NOT NULL DEFAULT now())
                    """)
            var applied: [String: String] = [:]
            for row in try connection.query("SELECT name, checksum FROM schema_migrations") {
                applied[try row.decode(String.self, "name")] = try row.decode(String.self, "checksum")
            }
            let known = Set(migrations.map(\.name))
            // A database migrated by a newer binary: this one would run code against a schema it does not know.
            if let newestApplied = applied.keys.max(), let newestKnown = known.max(), newestApplied > newestKnown {
                throw PostgresError(
                    code: .schemaTooNew,
                    message: "the database's schema is newer than this program: its newest applied migration is "
                        + "\(newestApplied), this program knows migrations up to \(newestKnown); migrate and run it "
                        + "with the newer mpesa-recon that applied them (`mpesa-recon --version` names the schema a "
                        + "binary expects)")
            }
            if let missing = applied.keys.sorted().first(where: { !known.contains($0) }) {
                throw PostgresError(
                    code: .migration,
                    message: "migration \(missing) was applied but its file is missing; refusing to continue")
            }
            var report = MigrationReport(applied: [], alreadyApplied: [])
            for migration in migrations {
                let checksum =
                    try connection.query("SELECT md5(\(migration.sql)) AS sum").first?
                    .decode(String.self, "sum") ?? ""
                if let previous = applied[migration.name] {
                    guard previous == checksum else {
                        throw PostgresError(
                            code: .migration,
                            message: "migration \(migration.name) was edited after it was applied "
                                + "(checksum \(previous) in the database, \(checksum) on disk); "
                                + "add a new migration instead")
                    }
                    report.alreadyApplied.append(migration.name)
                    continue
                }
                try connection.executeScript(unsafeSQL: "BEGIN")
                do throws(PostgresError) {
                    try connection.executeScript(unsafeSQL: migration.sql)
                    try connection.query(
                        "INSERT INTO schema_migrations (name, checksum) VALUES (\(migration.name), \(checksum))")
                    try connection.executeScript(unsafeSQL: "COMMIT")
                } catch {
                    _ = try? connection.executeScript(unsafeSQL: "ROLLBACK")
                    throw PostgresError(
                        code: .migration, message: "migration \(migration.name) failed: \(error.message)",
                        sqlState: error.sqlState, constraint: error.constraint, detail: error.detail)
                }
                report.applied.append(migration.name)
            }
            return report
        }
    }

    /// The applied migrations and when, for `migrate` and `demo` to print.
    public static func status(_ connection: PostgresConnection) async throws(PostgresError) -> [(String, Date)] {
        let rows = try await connection.query("SELECT name, applied_at FROM schema_migrations ORDER BY name")
        var result: [(String, Date)] = []
        for row in rows {
            result.append((try row.decode(String.self, "name"), try row.decode(Date.self, "applied_at")))
        }
        return result
    }
}
