import Foundation
import ReconCore
import ReconPostgres
import ReconTestSupport
import Testing

/// The installed binary's view of the schema: `--version` names it, `migrate` needs no `sql/` folder (run here from
/// an empty folder, far from the checkout), and a database a newer binary migrated is refused with the reason.
@Suite("mpesa-recon --version, migrate without sql/, a newer schema refused")
struct SchemaVersionCLITests {
    static func run(_ arguments: [String], databaseURL: String? = nil) async throws -> ProcessRunner.Output {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        var environment = ["PATH": "/usr/bin:/bin", "RECON_LOG_LEVEL": "error"]
        environment["DATABASE_URL"] = databaseURL
        return try await ProcessRunner.run(
            try Subprocess.binary("mpesa-recon"), arguments, environment: environment, currentDirectory: folder)
    }

    @Test("--version names the program's version and the schema it expects")
    func version() async throws {
        let output = try await Self.run(["--version"])
        #expect(output.status == 0)
        let schema = SchemaVersion.embedded
        #expect(
            output.stdout.split(separator: "\n").map(String.init) == [
                "mpesa-recon \(ReconVersion.current)",
                "schema \(schema.number) (\(schema.newest), \(schema.migrations) migrations built in)",
            ])
    }

    @Test("migrate applies the built-in migrations from a folder without sql/; a newer database is refused with why")
    func migrateWithoutFolderThenRefuseNewer() async throws {
        let database = try await TestDatabase.createEmpty()
        do {
            let url = database.settings.connectionString
            let migrated = try await Self.run(["migrate", "--no-app-role"], databaseURL: url)
            #expect(migrated.status == 0, "\(migrated.stderr)")
            for migration in Migration.embedded {
                #expect(migrated.stdout.contains("applied  \(migration.name)"), "\(migration.name)")
            }
            // What a newer mpesa-recon would leave: a migration this one has never heard of.
            let db = try await PostgresConnection.connect(database.settings)
            try await db.query("INSERT INTO schema_migrations (name, checksum) VALUES ('999_from_the_future.sql', 'x')")
            await db.close()
            let refused = try await Self.run(["migrate", "--no-app-role"], databaseURL: url)
            #expect(refused.status == 1)
            #expect(refused.stderr.contains("newer than this program"), "\(refused.stderr)")
            #expect(refused.stderr.contains("999_from_the_future.sql"))
            #expect(refused.stderr.contains("up to \(SchemaVersion.embedded.newest)"))
            let doctor = try await Self.run(["doctor"], databaseURL: url)
            #expect(doctor.stdout.contains("newer than this program's"), "\(doctor.stdout)")
            try await database.drop()
        } catch {
            try? await database.drop()
            throw error
        }
    }
}
