import Foundation
import ReconPostgres
import ReconTestSupport
import Testing

@Suite("Migrations")
struct MigrationTests {
    func withEmptyDatabase(_ body: (PostgresConnection) async throws -> Void) async throws {
        let database = try await TestDatabase.createEmpty()
        let db = try await PostgresConnection.connect(database.settings)
        do {
            try await body(db)
            await db.close()
            try await database.drop()
        } catch {
            await db.close()
            try? await database.drop()
            throw error
        }
    }

    @Test("applies every file once, then nothing on a second run")
    func idempotent() async throws {
        let migrations = try Migration.load(from: TestDatabase.migrationsDirectory)
        try await withEmptyDatabase { db in
            let first = try await Migrator(migrations: migrations).migrate(db)
            #expect(first.applied == migrations.map(\.name))
            #expect(first.alreadyApplied.isEmpty)
            let second = try await Migrator(migrations: migrations).migrate(db)
            #expect(second.applied.isEmpty)
            #expect(second.alreadyApplied == migrations.map(\.name))
            let tables = try await db.query(
                "SELECT count(*) AS n FROM information_schema.tables WHERE table_schema = 'public'"
            ).first?.decode(Int.self, "n")
            // The 9 tables of sql/001_init.sql, refund_status_checks (002), statement_imports and
            // statement_lines (004), payment_decisions (006), user_roles, login_failures, audit_log, api_idempotency_keys and
            // mpesa_configurations (007), console_sessions and report_requests (008), recon_settings (011), auth_token_blacklist (012),
            // enrollment_references, learner_references, learner_phones, c2b_transactions, receipt_sightings,
            // c2b_validations, daraja_registrations, pull_windows and c2b_allocations (016), and schema_migrations.
            #expect(tables == 32)
        }
    }

    @Test("refuses to run when an applied file was edited, and names it")
    func editedFileRefused() async throws {
        var migrations = try Migration.load(from: TestDatabase.migrationsDirectory)
        try await withEmptyDatabase { db in
            _ = try await Migrator(migrations: migrations).migrate(db)
            migrations[0].sql += "\n-- an edit\n"
            let error = await #expect(throws: PostgresError.self) {
                _ = try await Migrator(migrations: migrations).migrate(db)
            }
            #expect(error?.code == .migration)
            #expect(error?.description.contains("001_init.sql was edited") == true)
        }
    }

    @Test("a failing migration leaves nothing behind and is reported with its name")
    func failingMigrationRollsBack() async throws {
        let migrations = [
            Migration(name: "001_a.sql", sql: "CREATE TABLE a (id int);"),
            Migration(name: "002_b.sql", sql: "CREATE TABLE b (id int); SELECT 1/0;"),
        ]
        try await withEmptyDatabase { db in
            let error = await #expect(throws: PostgresError.self) {
                _ = try await Migrator(migrations: migrations).migrate(db)
            }
            #expect(error?.description.contains("002_b.sql") == true)
            #expect(error?.sqlState == "22012")
            let names = try await db.query("SELECT name FROM schema_migrations").map {
                try $0.decode(String.self, "name")
            }
            #expect(names == ["001_a.sql"])
            let b = try await db.query("SELECT to_regclass('b') IS NULL AS missing").first?.decode(Bool.self, "missing")
            #expect(b == true)
        }
    }

    @Test("refuses when an applied migration's file is gone")
    func missingFileRefused() async throws {
        let migrations = [Migration(name: "001_a.sql", sql: "CREATE TABLE a (id int);")]
        try await withEmptyDatabase { db in
            _ = try await Migrator(migrations: migrations).migrate(db)
            let error = await #expect(throws: PostgresError.self) {
                _ = try await Migrator(migrations: []).migrate(db)
            }
            #expect(error?.description.contains("001_a.sql was applied but its file is missing") == true)
        }
    }
}
