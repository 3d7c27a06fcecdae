import Foundation
import ReconApp
import ReconCore
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
                database.settings, migrations: try Migration.load(from: TestDatabase.migrationsDirectory))
            #expect(migrated.report.applied.isEmpty && !migrated.report.alreadyApplied.isEmpty)
            let names = migrated.tables.map(\.name)
            #expect(names == names.sorted() && names.contains("payments") && names.contains("refunds"))
            #expect(migrated.tables.first { $0.name == "courses" }?.rows == 1)
            #expect(migrated.tables.first { $0.name == "payments" }?.rows == 0)
        }
    }

    @Test(
        "migrate writes the configured dual-approval threshold where the triggers read it and grants the runtime role")
    func migrateWritesThresholdAndGrants() async throws {
        try await TestDatabase.with { database, db in
            let configured = ApprovalSettings(dualApprovalAbove: Money(minorUnits: 2_000_000))
            let migrated = try await Operations.migrate(
                database.settings, migrations: try Migration.load(from: TestDatabase.migrationsDirectory),
                approvals: configured,
                appRole: TestDatabase.runtimeRole, readOnlyRole: "mpesa_recon_readonly")
            #expect(migrated.dualApprovalAbove == configured.dualApprovalAbove)
            #expect(migrated.readOnlyRole == "mpesa_recon_readonly")
            #expect(migrated.appRole == TestDatabase.runtimeRole)
            let enforced = try await db.run { db throws(PostgresError) in try EnforcementStore.dualApprovalAbove(db) }
            #expect(enforced == configured.dualApprovalAbove)
            let grants = try await db.query(
                """
                SELECT has_table_privilege(\(TestDatabase.runtimeRole), 'audit_log', 'INSERT') AS audit_insert,
                       has_table_privilege(\(TestDatabase.runtimeRole), 'audit_log', 'UPDATE') AS audit_update,
                       has_table_privilege(\(TestDatabase.runtimeRole), 'audit_log', 'TRUNCATE') AS audit_truncate,
                       has_table_privilege(\(TestDatabase.runtimeRole), 'refunds', 'UPDATE') AS refunds_update,
                       has_table_privilege(\(TestDatabase.runtimeRole), 'recon_settings', 'UPDATE') AS settings_update,
                       has_table_privilege('mpesa_recon_readonly', 'refunds', 'SELECT') AS readonly_select,
                       has_table_privilege('mpesa_recon_readonly', 'refunds', 'UPDATE') AS readonly_update,
                       EXISTS (SELECT 1 FROM pg_tables WHERE schemaname = 'public'
                               AND tableowner = \(TestDatabase.runtimeRole)) AS owns
                """
            ).first
            #expect(try grants?.decode(Bool.self, "audit_insert") == true)
            #expect(try grants?.decode(Bool.self, "refunds_update") == true)
            #expect(try grants?.decode(Bool.self, "readonly_select") == true)
            for denied in ["audit_update", "audit_truncate", "settings_update", "owns", "readonly_update"] {
                #expect(try grants?.decode(Bool.self, denied) == false, "\(denied)")
            }
        }
    }

    @Test("the runtime role starts only with the threshold the database enforces; the owner writes its own")
    func approvalThresholdChecked() async throws {
        try await TestDatabase.with { database, db in
            let enforced = ApprovalSettings(dualApprovalAbove: Money(minorUnits: 1_000_000))
            let lower = ApprovalSettings(dualApprovalAbove: Money(minorUnits: 100_000))
            try await withConnectionPool(database.runtimeSettings) { pool in
                try await Operations.checkApprovalThreshold(pool, enforced)
                let refused = await #expect(throws: ConfigurationError.self) {
                    try await Operations.checkApprovalThreshold(pool, lower)
                }
                #expect(refused?.variable == "RECON_DUAL_APPROVAL_ABOVE")
            }
            #expect(
                try await db.run { db throws(PostgresError) in try EnforcementStore.dualApprovalAbove(db) }
                    == enforced.dualApprovalAbove)
            try await withConnectionPool(database.settings) { pool in
                try await Operations.checkApprovalThreshold(pool, lower)
            }
            #expect(
                try await db.run { db throws(PostgresError) in try EnforcementStore.dualApprovalAbove(db) }
                    == lower.dualApprovalAbove)
        }
    }
}
