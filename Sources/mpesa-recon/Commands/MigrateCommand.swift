import ArgumentParser
import Foundation
import ReconCore
import ReconPostgres

struct MigrateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "migrate",
        abstract: "Apply the sql/ migrations that are missing, in order, each in its own transaction.",
        discussion: """
            Applied files are recorded with a checksum in schema_migrations. Running it again changes nothing. \
            It refuses to run when an applied file has been edited or removed: add a new numbered file instead. \
            Needs DATABASE_URL (or DB_HOST, DB_PORT, DB_NAME, DB_USER, DB_PASSWORD).
            """
    )

    @OptionGroup var common: CommonOptions

    @Option(name: .long, help: "The migrations folder (default: ./sql, or the one beside the build).")
    var sqlDir: String?

    struct Summary: Encodable {
        var applied: [String]
        var alreadyApplied: [String]
        var tables: [TableState]
    }

    struct TableState: Encodable {
        var name: String
        var rows: Int64
    }

    func run() async throws {
        let env = try Context.environment(common)
        let migrations = try Migration.load(from: try Context.migrationsDirectory(flag: sqlDir, env: env))
        let db = try await Context.connect(env)
        let report = try await Migrator(migrations: migrations).migrate(db)
        let tables = try await db.run { db in
            var states: [TableState] = []
            let names = try db.query(
                """
                SELECT table_name AS name FROM information_schema.tables
                WHERE table_schema = 'public' AND table_type = 'BASE TABLE' ORDER BY table_name
                """
            ).map { try $0.decode(String.self, "name") }
            for name in names {
                // Table names come from the catalog, quoted as identifiers; no user input reaches this SQL.
                let count =
                    try db.query(SQLQuery(unsafeSQL: "SELECT count(*) AS n FROM \"\(name)\"")).first?
                    .decode(Int64.self, "n") ?? 0
                states.append(TableState(name: name, rows: count))
            }
            return states
        }
        await db.close()
        if common.json {
            try Context.printJSON(
                Summary(applied: report.applied, alreadyApplied: report.alreadyApplied, tables: tables))
            return
        }
        for name in report.applied { print("applied  \(name)") }
        if report.applied.isEmpty {
            print("schema up to date (\(report.alreadyApplied.count) migration(s) applied before)")
        }
        print("tables:")
        for table in tables {
            print("  \(table.name.padding(toLength: 28, withPad: " ", startingAt: 0)) \(table.rows) row(s)")
        }
    }
}
