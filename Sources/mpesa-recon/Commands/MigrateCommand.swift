import ArgumentParser
import ReconApp
import ReconCore
import ReconPostgres
import ReconPresentation

struct MigrateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "migrate",
        abstract: "Apply the sql/ migrations that are missing, in order, each in its own transaction.",
        discussion: """
            The migrations are built into the binary (`mpesa-recon --version` names the newest); --sql-dir or \
            RECON_SQL_DIR applies a folder's instead. It refuses a database whose newest applied migration this \
            binary does not know (a newer mpesa-recon migrated it): run the newer one. Applied files are recorded with a checksum in schema_migrations. Running it again changes nothing. \
            It refuses to run when an applied file has been edited or removed: add a new numbered file instead. \
            Run it as the role that owns the schema. It then writes RECON_DUAL_APPROVAL_ABOVE (default KES 10,000) \
            where the database's triggers read it (only the owner may change it), and grants the runtime role \
            (--app-role, RECON_APP_ROLE, default mpesa_recon_app; created NOLOGIN when missing) rows but no \
            ownership: serve and the other commands connect as that role (give it LOGIN and a password, or grant it \
            to a login role), so the application's login cannot TRUNCATE, ALTER a table or disable a trigger. \
            --readonly-role NAME (or RECON_READONLY_ROLE) also grants a role for reports SELECT on the records, \
            none on password hashes, sealed credentials, sessions or idempotency records. \
            Needs DATABASE_URL (or DB_HOST, DB_PORT, DB_NAME, DB_USER, DB_PASSWORD).
            """
    )

    @OptionGroup var common: CommonOptions

    @Option(
        name: .long,
        help:
            "Apply the migrations of this folder instead of the ones built in (default: RECON_SQL_DIR, else built in)."
    )
    var sqlDir: String?

    @Option(
        name: .long, help: "The application's runtime role to grant (default: RECON_APP_ROLE, else mpesa_recon_app).")
    var appRole: String?

    @Flag(name: .long, help: "Grant no runtime role (the application connects as the owner).")
    var noAppRole = false

    @Option(
        name: .long,
        help:
            "Also grant a read-only role SELECT on the records, none on secrets (default: RECON_READONLY_ROLE, else none)."
    )
    var readonlyRole: String?

    func run() async throws {
        let env = try Context.environment(common, needs: [.database, .approvals])
        let migrations = try Context.migrations(flag: sqlDir, env: env)
        let role = noAppRole ? nil : (appRole ?? env.optional("RECON_APP_ROLE") ?? EnforcementStore.defaultAppRole)
        let migrated = try await Operations.migrate(
            try Context.database(env), migrations: migrations, approvals: try ApprovalSettings.load(from: env),
            appRole: role, readOnlyRole: readonlyRole ?? env.optional("RECON_READONLY_ROLE"))
        try Context.show(
            MigrationView(
                report: migrated.report, tables: migrated.tables,
                dualApprovalAbove: migrated.dualApprovalAbove?.decimalString, appRole: migrated.appRole,
                readOnlyRole: migrated.readOnlyRole),
            json: common.json)
    }
}
