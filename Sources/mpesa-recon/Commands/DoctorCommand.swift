import ArgumentParser
import Foundation
import ReconApp
import ReconCore
import ReconPresentation
import ReconServer

struct DoctorCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "doctor",
        abstract: "Check the whole configuration at once, then the database, Daraja's OAuth and the callback URL.",
        discussion: """
            Lists every problem in one go: missing or malformed settings (log level and format, passkey shape, \
            shortcode digits, callback URLs that are not https or contain words Daraja rejects, an unreadable \
            certificate), then whether the database is reachable and its migrations current (neither behind nor \
            newer than this binary's), whether DATABASE_URL logs in as a superuser or the schema's owner (a warning), \
            the last archived WAL segment and, with RECON_PGBACKREST_STANZA, the newest good pgBackRest backups \
            (warnings past 15 minutes, 26 hours, 8 days for a full one), the standby of RECON_READ_DATABASE_URL, \
            whether Daraja issues \
            a token for these credentials, and whether each callback URL carries MPESA_CALLBACK_TOKEN. Exit 0 only \
            when every check passes; 2 when a setting is at fault; 1 when a setting is fine but a check failed.
            """
    )

    @OptionGroup var common: CommonOptions
    @Option(
        help: "Compare the database with this folder's migrations (default: RECON_SQL_DIR, else the built-in ones).")
    var sqlDir: String?

    func run() async throws {
        let env = try Context.environment(common)
        var report = await Doctor.run(env, migrationsFolder: MigrationsSource.folder(flag: sqlDir, env: env))
        // The console's templates are read from the binary's own folder (a release installs them there).
        if let bundle = ConsoleResources.besideExecutable() {
            report.checks.append(.init(area: "console-templates", status: .pass, detail: "found in \(bundle.path)"))
        } else {
            report.checks.append(
                .init(
                    area: "console-templates", status: .fail,
                    detail: "\(ConsoleResources.bundleName) is not beside this binary: copy it from the release "
                        + "into the binary's folder, or `serve --routes console` cannot start"))
        }
        try Context.show(DoctorView(report: report), json: common.json)
        if report.configurationFailed { throw ExitCode(ExitCodes.usage) }
        if !report.passed { throw ExitCode(ExitCodes.failure) }
    }
}
