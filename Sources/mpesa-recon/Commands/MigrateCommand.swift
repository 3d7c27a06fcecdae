import ArgumentParser
import ReconCore
import ReconOperations
import ReconPresentation

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

    func run() async throws {
        let env = try Context.environment(common, needs: [.database])
        let directory = try Context.migrationsDirectory(flag: sqlDir, env: env)
        let migrated = try await Operations.migrate(try Context.database(env), migrations: directory)
        try Context.show(MigrationView(report: migrated.report, tables: migrated.tables), json: common.json)
    }
}
