import Foundation
import HTTPServerKit
import Logging
import ReconApp
import ReconCore
import ReconHTTP
import ReconPostgres
import ReconServer
import ReconTestSupport
import Synchronization
import Testing

/// An upgrade from the previous release: the database 0.15.0 (commit b9acaa0) created and filled, kept as its
/// `pg_dump` (Fixtures/upgrade-from-0.15.0.sql, made by scripts/make-upgrade-fixture.sh with that release's own
/// `mpesa-recon-demo` and `mpesa-recon migrate`), is migrated by this binary's migrations while `serve` takes
/// callbacks, and every row that was there is still there, unchanged.
@Suite("upgrade: the previous release's database with data, migrated while serve takes callbacks")
struct UpgradeTests {
    static let fixture = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("Fixtures/upgrade-from-0.15.0.sql")
    /// Callbacks posted around the migration.
    static let callbacks = 30

    /// Copies every public table's rows, as text of the columns they have now, into `upgrade_snapshot`; and a
    /// function that counts, per table, the copied rows no longer found with the same values.
    static let snapshot = """
        CREATE SCHEMA upgrade_snapshot;
        CREATE TABLE upgrade_snapshot.tables (name text PRIMARY KEY, columns text NOT NULL);
        DO $$
        DECLARE t record;
        BEGIN
            FOR t IN
                SELECT c.table_name AS name,
                       string_agg(quote_ident(c.column_name), ', ' ORDER BY c.ordinal_position) AS columns
                FROM information_schema.columns c
                JOIN information_schema.tables tb ON tb.table_schema = c.table_schema AND tb.table_name = c.table_name
                WHERE c.table_schema = 'public' AND tb.table_type = 'BASE TABLE'
                GROUP BY c.table_name
            LOOP
                EXECUTE format('CREATE TABLE upgrade_snapshot.%I AS SELECT ROW(%s)::text AS r FROM public.%I',
                               t.name, t.columns, t.name);
                INSERT INTO upgrade_snapshot.tables VALUES (t.name, t.columns);
            END LOOP;
        END
        $$;
        CREATE FUNCTION upgrade_snapshot.changed() RETURNS TABLE (name text, rows bigint, changed bigint)
        LANGUAGE plpgsql AS $$
        DECLARE t record;
        BEGIN
            FOR t IN SELECT * FROM upgrade_snapshot.tables ORDER BY 1 LOOP
                name := t.name;
                EXECUTE format('SELECT count(*) FROM upgrade_snapshot.%I', t.name) INTO rows;
                EXECUTE format('SELECT count(*) FROM (SELECT r FROM upgrade_snapshot.%I EXCEPT ALL '
                               'SELECT ROW(%s)::text FROM public.%I) gone', t.name, t.columns, t.name) INTO changed;
                RETURN NEXT;
            END LOOP;
        END
        $$;
        """

    /// The ledger checks of docs/OPERATIONS.md (Restore, step 6), shared with scripts/backup-drill.sh: each must
    /// count 0.
    static var ledger: SQLQuery {
        get throws {
            let file = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
                .deletingLastPathComponent().appendingPathComponent("scripts/lib/ledger-check.sql")
            return SQLQuery(unsafeSQL: try String(contentsOf: file, encoding: .utf8))
        }
    }

    static func counts(_ db: PostgresConnection) async throws -> [String: Int64] {
        let tables = try await db.run { db throws(PostgresError) in try SchemaStore.tableRowCounts(db) }
        return Dictionary(uniqueKeysWithValues: tables.map { ($0.name, $0.rows) })
    }

    @Test(
        "0.15.0's database: migrated under a stream of callbacks, every old row unchanged, every callback applied once")
    func upgradeWhileServing() async throws {
        let database = try await TestDatabase.createEmpty()
        let spool = FileManager.default.temporaryDirectory.appendingPathComponent("spool-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: spool) }
        do {
            // What the previous release left, loaded on a connection of its own (the dump empties search_path).
            let dump = try String(contentsOf: Self.fixture, encoding: .utf8)
            let loader = try await PostgresConnection.connect(database.settings)
            try await loader.run { db throws(PostgresError) in try db.executeScript(unsafeSQL: dump) }
            await loader.close()

            let db = try await PostgresConnection.connect(database.settings)
            let old = try await Migrator.status(db).map(\.0)
            let embedded = Migration.embedded.map(\.name)
            #expect(!old.isEmpty && Set(old).isSubset(of: embedded), "the fixture's migrations: \(old)")
            let before = try await Self.counts(db)
            for table in ["payments", "payment_events", "callback_inbox", "refunds", "audit_log", "job_runs", "users"] {
                #expect((before[table] ?? 0) > 0, "the fixture has no \(table)")
            }
            try await db.run { db throws(PostgresError) in try db.executeScript(unsafeSQL: Self.snapshot) }

            // New payments for the callbacks, each its own course (one enrollment per learner and course).
            let learner = try #require(
                try await db.query(
                    "INSERT INTO users (email, full_name) VALUES ('upgrade@example.com', 'Upgrade') RETURNING id"
                ).first?.decode(Int64.self, "id"))
            var payments: [(id: Int64, checkout: String, receipt: String)] = []
            for index in 0..<Self.callbacks {
                let checkout = "ws_CO_UPGRADE_\(index)"
                let course = try #require(
                    try await db.query(
                        "INSERT INTO courses (title, price) VALUES (\("Upgrade \(index)"), 5000) RETURNING id"
                    ).first?.decode(Int64.self, "id"))
                let id = try #require(
                    try await db.query(
                        """
                        INSERT INTO payments (user_id, course_id, amount, phone, checkout_request_id, status, next_check_at)
                        VALUES (\(learner), \(course), 5000, '254708374149', \(checkout), 'pending',
                                now() + interval '1 hour')
                        RETURNING id
                        """
                    ).first?.decode(Int64.self, "id"))
                payments.append((id, checkout, "UPG" + String(format: "%07d", index)))
            }

            // serve (the callbacks group) as the runtime role, with the grants the previous release's migrate gave.
            var logger = Logger(label: "upgrade")
            logger.logLevel = .critical
            let pool = ConnectionPool(settings: database.runtimeSettings, maxConnections: 8)
            let application = try ReconApplication(
                ServerConfiguration(
                    port: 0, callbackToken: Stack.token, spoolDirectory: spool, sweepIntervalSeconds: 3600),
                pool: pool, logger: logger)
            let server = try await application.start()
            let callbackURL = server.baseURL + "/api/payments/callback/?token=\(Stack.token)"
            let http = HTTPClient()
            let posts = payments
            let threshold = try await db.run { db throws(PostgresError) in try EnforcementStore.dualApprovalAbove(db) }
            let migrated: Operations.Migrated
            var statuses: [Int] = []
            let sent = PostCount()
            var sentAround: (before: Int, after: Int) = (0, 0)
            do {
                async let posted: [Int] = {
                    var statuses: [Int] = []
                    for payment in posts {
                        let body = Bodies.success(payment.checkout, receipt: payment.receipt, amount: "5000.00")
                        let response = try await http.send(.postJSON(callbackURL, body: Array(body.utf8)))
                        statuses.append(response.status)
                        sent.value.withLock { $0 += 1 }
                        try await Task.sleep(for: .milliseconds(20))
                    }
                    return statuses
                }()
                // The migration starts while the callbacks arrive.
                while sent.value.withLock({ $0 }) < 5 { try await Task.sleep(for: .milliseconds(10)) }
                sentAround.before = sent.value.withLock { $0 }
                migrated = try await Operations.migrate(
                    database.settings, migrations: Migration.embedded,
                    approvals: threshold.map { ApprovalSettings(dualApprovalAbove: $0) },
                    appRole: EnforcementStore.defaultAppRole)
                sentAround.after = sent.value.withLock { $0 }
                statuses = try await posted
                await application.callbacks.caughtUp()
            } catch {
                http.shutdown()
                await server.stop()
                await pool.close()
                await db.close()
                throw error
            }
            http.shutdown()
            await server.stop()
            await pool.close()

            #expect(statuses == Array(repeating: 200, count: Self.callbacks))
            // The migration ran while callbacks were arriving: some answered before it began, some after it ended.
            #expect(sentAround.before > 0 && sentAround.after < Self.callbacks, "\(sentAround)")
            #expect(migrated.report.alreadyApplied == old)
            #expect(migrated.report.applied == embedded.filter { !old.contains($0) })
            #expect(try await Migrator.status(db).map(\.0) == embedded)

            // Every row the previous release wrote, in every table, with the values it had.
            for row in try await db.query("SELECT name, rows, changed FROM upgrade_snapshot.changed()") {
                let name = try row.decode(String.self, "name")
                let changed = try row.decode(Int.self, "changed")
                let rows = try row.decode(Int.self, "rows")
                #expect(changed == 0, "\(name): \(changed) of \(rows) rows changed or gone")
            }
            // The comparison sees a change: one old row altered (and rolled back) is counted.
            let detected = try await db.run { db throws(PostgresError) -> Int in
                try db.executeScript(unsafeSQL: "BEGIN")
                defer { _ = try? db.executeScript(unsafeSQL: "ROLLBACK") }
                try db.query(
                    "UPDATE courses SET title = title || ' (changed)' WHERE id = (SELECT min(id) FROM courses)")
                return try db.query("SELECT changed FROM upgrade_snapshot.changed() WHERE name = 'courses'").first?
                    .decode(Int.self, "changed") ?? -1
            }
            #expect(detected == 1)
            let after = try await Self.counts(db)
            for (table, rows) in before {
                #expect((after[table] ?? -1) >= rows, "\(table): \(rows) rows before, \(after[table] ?? -1) after")
            }

            // Every callback stored once and applied: the payment completed with its receipt and its event.
            for payment in payments {
                let stored = try await db.query(
                    "SELECT count(*)::bigint AS n FROM callback_inbox WHERE reference = \(payment.checkout)"
                ).first?.decode(Int.self, "n")
                #expect(stored == 1, "\(payment.checkout) stored \(stored ?? 0) times")
                let row = try await db.query(
                    """
                    SELECT status, mpesa_receipt,
                           (SELECT count(*) FROM payment_events e
                            WHERE e.payment_id = p.id AND e.to_status = 'completed')::bigint AS completions
                    FROM payments p WHERE id = \(payment.id)
                    """
                ).first
                #expect(try row?.decode(String.self, "status") == "completed", "\(payment.checkout)")
                #expect(try row?.decode(String?.self, "mpesa_receipt") == payment.receipt)
                #expect(try row?.decode(Int.self, "completions") == 1)
            }
            for row in try await db.query(try Self.ledger) {
                let problem = try row.decode(String.self, "problem")
                #expect(try row.decode(Int.self, "n") == 0, "\(problem)")
            }
            // The runtime role's grants, re-applied by this migrate: rows, and audit_log append-only.
            let grants = try await db.query(
                """
                SELECT has_table_privilege('mpesa_recon_app', 'audit_log', 'INSERT') AS audit_insert,
                       has_table_privilege('mpesa_recon_app', 'audit_log', 'UPDATE') AS audit_update,
                       has_table_privilege('mpesa_recon_app', 'payments', 'UPDATE') AS payments_update
                """
            ).first
            #expect(try grants?.decode(Bool.self, "audit_insert") == true)
            #expect(try grants?.decode(Bool.self, "audit_update") == false)
            #expect(try grants?.decode(Bool.self, "payments_update") == true)
            await db.close()
            try await database.drop()
        } catch {
            try? await database.drop()
            throw error
        }
    }
}

/// Callbacks answered so far, read by the migration's side.
final class PostCount: Sendable {
    let value = Mutex(0)
}
