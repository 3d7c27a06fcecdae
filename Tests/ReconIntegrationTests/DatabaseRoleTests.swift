import Foundation
import ReconApp
import ReconCore
import ReconPostgres
import ReconTestSupport
import Testing

/// The deployment's database roles with real logins, as docs/OPERATIONS.md sets them up: an owner that is neither a
/// superuser nor allowed to create roles runs `migrate`; the application logs in as the runtime role `migrate`
/// grants; reports as the read-only role. Role names are unique per test (roles are cluster-wide).
@Suite("database roles: owner migrates, the application's login has rows only")
struct DatabaseRoleTests {
    /// A database owned by a fresh non-superuser login, and the logins made for the test; all dropped afterwards.
    struct Deployment {
        let database: String
        let owner: String
        let app: String
        let readOnly: String

        /// Settings that log in to the test database as `user` (libpq's `user` parameter overrides the URL's).
        func settings(as user: String) -> DatabaseSettings {
            let url = TestDatabase.settings(database: database).connectionString
            return DatabaseSettings(connectionString: url + (url.contains("?") ? "&" : "?") + "user=" + user)
        }
    }

    static func admin<T>(_ body: (PostgresConnection) async throws -> T) async throws -> T {
        let admin = try await PostgresConnection.connect(DatabaseSettings(connectionString: TestDatabase.adminURL))
        do {
            let value = try await body(admin)
            await admin.close()
            return value
        } catch {
            await admin.close()
            throw error
        }
    }

    /// Creates the owner login (NOSUPERUSER NOCREATEROLE) and its database; the application and read-only logins
    /// only when `createRuntimeRoles` (the deployer creates them, as OPERATIONS.md's install says).
    static func with(createRuntimeRoles: Bool = true, _ body: (Deployment) async throws -> Void) async throws {
        let suffix = UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "").prefix(10)
        let deployment = Deployment(
            database: "recon_roles_\(suffix)", owner: "recon_owner_\(suffix)", app: "recon_app_\(suffix)",
            readOnly: "recon_ro_\(suffix)")
        try await admin { admin in
            try await admin.query(
                SQLQuery(unsafeSQL: "CREATE ROLE \(deployment.owner) LOGIN NOSUPERUSER NOCREATEROLE NOCREATEDB"))
            if createRuntimeRoles {
                try await admin.query(SQLQuery(unsafeSQL: "CREATE ROLE \(deployment.app) LOGIN"))
                try await admin.query(SQLQuery(unsafeSQL: "CREATE ROLE \(deployment.readOnly) LOGIN"))
            }
            try await admin.query(
                SQLQuery(unsafeSQL: "CREATE DATABASE \(deployment.database) OWNER \(deployment.owner)"))
        }
        do {
            try await body(deployment)
        } catch {
            try? await drop(deployment)
            throw error
        }
        try await drop(deployment)
    }

    static func drop(_ deployment: Deployment) async throws {
        try await admin { admin in
            try await admin.query(SQLQuery(unsafeSQL: "DROP DATABASE IF EXISTS \(deployment.database) WITH (FORCE)"))
            for role in [deployment.app, deployment.readOnly, deployment.owner] {
                try await admin.query(SQLQuery(unsafeSQL: "DROP ROLE IF EXISTS \(role)"))
            }
        }
    }

    static func migrate(_ deployment: Deployment) async throws -> Operations.Migrated {
        try await Operations.migrate(
            deployment.settings(as: deployment.owner), migrations: Migration.embedded,
            approvals: ApprovalSettings(dualApprovalAbove: Money(minorUnits: 1_000_000)), appRole: deployment.app,
            readOnlyRole: deployment.readOnly)
    }

    static func connect(_ settings: DatabaseSettings) async throws -> PostgresConnection {
        try await PostgresConnection.connect(settings)
    }

    @Test(
        "the application's own login cannot TRUNCATE, ALTER, disable triggers, rewrite audit_log or create tables; it writes rows"
    )
    func applicationLoginHasRowsOnly() async throws {
        try await Self.with { deployment in
            let migrated = try await Self.migrate(deployment)
            #expect(migrated.report.applied == Migration.embedded.map(\.name))
            #expect(migrated.appRole == deployment.app)
            let owner = try await Self.connect(deployment.settings(as: deployment.owner))
            try await owner.query("INSERT INTO audit_log (channel, action, subject) VALUES ('system', 'owner', 'x')")
            await owner.close()

            let app = try await Self.connect(deployment.settings(as: deployment.app))
            defer { Task { await app.close() } }
            let who = try await app.query("SELECT current_user::text AS u, session_user::text AS s").first
            #expect(try who?.decode(String.self, "u") == deployment.app)
            #expect(try who?.decode(String.self, "s") == deployment.app)
            // What the program does: rows.
            try await app.query("INSERT INTO audit_log (channel, action, subject) VALUES ('system', 'app', 'audit')")
            try await app.query("INSERT INTO courses (title, price) VALUES ('German A2', 100)")
            try await app.query("UPDATE courses SET price = 200")
            try await app.query("INSERT INTO users (email, full_name) VALUES ('ann@example.com', 'Ann')")
            let forbidden: [SQLQuery] = [
                "TRUNCATE audit_log",
                "TRUNCATE payments",
                "ALTER TABLE payments ADD COLUMN shadow text",
                "ALTER TABLE payments DROP CONSTRAINT payments_status_check",
                "ALTER TABLE audit_log DISABLE TRIGGER ALL",
                "ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only",
                "ALTER TABLE refunds DISABLE TRIGGER refunds_follow_state_machine",
                "DROP TRIGGER audit_log_no_truncate ON audit_log",
                "DROP TABLE audit_log",
                "UPDATE audit_log SET action = 'nothing'",
                "DELETE FROM audit_log",
                "DELETE FROM payments",
                "UPDATE recon_settings SET value = 0",
                "CREATE TABLE public.shadow (id int)",
                "SET session_replication_role = replica",
            ]
            for statement in forbidden {
                let refused = await #expect(throws: PostgresError.self, "\(statement)") {
                    try await app.query(statement)
                }
                #expect(
                    refused?.sqlState == "42501", "\(statement): \(refused?.sqlState ?? "") \(refused?.message ?? "")")
            }
            let rows = try await app.query("SELECT count(*)::bigint AS n FROM audit_log").first?.decode(Int.self, "n")
            #expect(rows == 2)
        }
    }

    @Test("the read-only login reads the records, no password hash or session, and writes nothing")
    func readOnlyLogin() async throws {
        try await Self.with { deployment in
            _ = try await Self.migrate(deployment)
            let reader = try await Self.connect(deployment.settings(as: deployment.readOnly))
            defer { Task { await reader.close() } }
            #expect(
                try await reader.query("SELECT count(*)::bigint AS n FROM payments").first?.decode(Int.self, "n") == 0)
            _ = try await reader.query("SELECT id, email FROM users")
            for statement: SQLQuery in [
                "SELECT password FROM users", "SELECT * FROM console_sessions", "SELECT * FROM mpesa_configurations",
                "INSERT INTO courses (title, price) VALUES ('x', 1)", "UPDATE payments SET phone = phone",
                "TRUNCATE refunds",
            ] {
                let refused = await #expect(throws: PostgresError.self, "\(statement)") {
                    try await reader.query(statement)
                }
                #expect(refused?.sqlState == "42501", "\(statement)")
            }
        }
    }

    @Test("an owner that may not create roles is stopped before any change when the runtime role does not exist")
    func missingRuntimeRoleStopsBeforeMigrating() async throws {
        try await Self.with(createRuntimeRoles: false) { deployment in
            let refused = await #expect(throws: PostgresError.self) { _ = try await Self.migrate(deployment) }
            #expect(refused?.message.contains("role \(deployment.app) does not exist") == true)
            #expect(refused?.message.contains("nothing was migrated") == true)
            let owner = try await Self.connect(deployment.settings(as: deployment.owner))
            let untouched = try await owner.query("SELECT to_regclass('schema_migrations') IS NULL AS none").first?
                .decode(Bool.self, "none")
            await owner.close()
            #expect(untouched == true)
            // Once the deployer created it, the same migrate works.
            try await Self.admin { admin in
                try await admin.query(SQLQuery(unsafeSQL: "CREATE ROLE \(deployment.app) LOGIN"))
                try await admin.query(SQLQuery(unsafeSQL: "CREATE ROLE \(deployment.readOnly) LOGIN"))
            }
            #expect(try await Self.migrate(deployment).report.applied.count == Migration.embedded.count)
        }
    }

    /// Only DATABASE_URL is set: the configuration checks fail, the database's run.
    static func doctor(_ settings: DatabaseSettings) async -> DoctorReport.Check? {
        let report = await Doctor.run(
            Environment(dotEnv: nil, process: ["DATABASE_URL": settings.connectionString, "PATH": "/nonexistent"]))
        return report.checks.first { $0.area == "database-role" }
    }

    @Test("doctor warns when the application logs in as the schema's owner or a superuser, not as the runtime role")
    func doctorWarnsAboutPowerfulLogins() async throws {
        try await Self.with { deployment in
            _ = try await Self.migrate(deployment)
            let asApp = await Self.doctor(deployment.settings(as: deployment.app))
            #expect(asApp?.status == .pass, "\(asApp?.detail ?? "no check")")
            let asOwner = await Self.doctor(deployment.settings(as: deployment.owner))
            #expect(asOwner?.status == .warn)
            #expect(asOwner?.detail.contains("owns the schema's tables") == true, "\(asOwner?.detail ?? "")")
            let asSuperuser = await Self.doctor(deployment.settings(as: "postgres"))
            #expect(asSuperuser?.status == .warn)
            #expect(asSuperuser?.detail.contains("a superuser") == true, "\(asSuperuser?.detail ?? "")")
            let migrations = await Doctor.run(
                Environment(
                    dotEnv: nil, process: ["DATABASE_URL": deployment.settings(as: deployment.app).connectionString])
            ).checks.first { $0.area == "migrations" }
            #expect(migrations?.status == .pass)
            #expect(migrations?.detail.contains("schema \(SchemaVersion.embedded.description)") == true)
        }
    }
}
