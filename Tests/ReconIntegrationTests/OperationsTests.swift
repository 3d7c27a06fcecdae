import Foundation
import ReconCore
import ReconOperations
import ReconPostgres
import ReconTestSupport
import Testing

@Suite("Operations: the pool scope and the migration state")
struct OperationsTests {
    struct Boom: Error {}

    @Test("withConnectionPool closes the pool when the body returns and when it throws")
    func poolClosedOnEveryPath() async throws {
        try await TestDatabase.with { database, _ in
            let kept = try await withConnectionPool(database.settings) { pool in
                let one = try await pool.withConnection { db in
                    try await db.query("SELECT 1 AS one").first?.decode(Int.self, "one")
                }
                #expect(one == 1)
                return pool
            }
            await #expect(throws: PostgresError.self) { try await kept.withConnection { _ in 0 } }

            var leaked: ConnectionPool?
            do {
                try await withConnectionPool(database.settings) { pool in
                    leaked = pool
                    _ = try await pool.withConnection { db in try await db.query("SELECT 1 AS one") }
                    throw Boom()
                }
                Issue.record("the body's error was swallowed")
            } catch is Boom {}
            let pool = try #require(leaked)
            await #expect(throws: PostgresError.self) { try await pool.withConnection { _ in 0 } }
        }
    }

    @Test("migrate applies nothing twice and counts every table's rows through SchemaStore")
    func migrate() async throws {
        try await TestDatabase.with { database, db in
            try await db.query("INSERT INTO courses (title, price) VALUES ('German A1', 5000)")
            let migrated = try await Operations.migrate(
                database.settings, migrations: TestDatabase.migrationsDirectory)
            #expect(migrated.report.applied.isEmpty && !migrated.report.alreadyApplied.isEmpty)
            let names = migrated.tables.map(\.name)
            #expect(names == names.sorted() && names.contains("payments") && names.contains("refunds"))
            #expect(migrated.tables.first { $0.name == "courses" }?.rows == 1)
            #expect(migrated.tables.first { $0.name == "payments" }?.rows == 0)
        }
    }
}
