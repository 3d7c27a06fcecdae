import Foundation
import ReconPostgres
import ReconTestSupport
import Testing

/// The migrations built into the binary and the schema version it expects: what lets an installed `mpesa-recon`
/// migrate without a `sql/` folder beside it, and refuse a database a newer binary migrated.
@Suite("Schema version: embedded migrations, newer schema refused")
struct SchemaVersionTests {
    @Test("the embedded migrations are sql/ byte for byte, in order (run `make migrations` after adding one)")
    func embeddedMatchesFolder() throws {
        let folder = try Migration.load(from: TestDatabase.migrationsDirectory)
        #expect(Migration.embedded.map(\.name) == folder.map(\.name))
        for (embedded, file) in zip(Migration.embedded, folder) {
            #expect(Array(embedded.sql.utf8) == Array(file.sql.utf8), "\(file.name) differs from its embedded copy")
        }
        let newest = try #require(folder.last?.name)
        #expect(SchemaVersion.embedded.newest == newest)
        #expect(SchemaVersion.embedded.migrations == folder.count)
        #expect(SchemaVersion.embedded.number == String(newest.prefix(3)))
    }

    @Test("the embedded migrations record the same checksums as the files (a database migrated either way agrees)")
    func embeddedChecksumsMatchFiles() async throws {
        let database = try await TestDatabase.createEmpty()
        let db = try await PostgresConnection.connect(database.settings)
        do {
            let report = try await Migrator(migrations: Migration.embedded).migrate(db)
            #expect(report.applied == Migration.embedded.map(\.name))
            // The folder's files on the database the embedded ones migrated: same checksums, nothing to apply.
            let again = try await Migrator(migrations: try Migration.load(from: TestDatabase.migrationsDirectory))
                .migrate(db)
            #expect(again.applied.isEmpty && again.alreadyApplied.count == Migration.embedded.count)
            await db.close()
            try await database.drop()
        } catch {
            await db.close()
            try? await database.drop()
            throw error
        }
    }

    @Test("migrate refuses a database whose newest migration this program does not know, names both, changes nothing")
    func newerSchemaRefused() async throws {
        let older = [Migration(name: "001_a.sql", sql: "CREATE TABLE a (id int);")]
        let newer = older + [Migration(name: "002_b.sql", sql: "CREATE TABLE b (id int);")]
        let database = try await TestDatabase.createEmpty()
        let db = try await PostgresConnection.connect(database.settings)
        do {
            _ = try await Migrator(migrations: newer).migrate(db)
            let refused = await #expect(throws: PostgresError.self) {
                _ = try await Migrator(
                    migrations: older + [Migration(name: "001_c.sql", sql: "CREATE TABLE c (id int);")]
                )
                .migrate(db)
            }
            #expect(refused?.code == .schemaTooNew)
            #expect(
                refused?.message.contains("newest applied migration is 002_b.sql") == true, "\(refused?.message ?? "")")
            #expect(refused?.message.contains("knows migrations up to 001_c.sql") == true)
            let c = try await db.query("SELECT to_regclass('c') IS NULL AS missing").first?.decode(Bool.self, "missing")
            #expect(c == true)
            // The same binary as the one that migrated it is fine.
            #expect(try await Migrator(migrations: newer).migrate(db).applied.isEmpty)
            await db.close()
            try await database.drop()
        } catch {
            await db.close()
            try? await database.drop()
            throw error
        }
    }
}
