import Daraja
public import Foundation
public import ReconCore
import ReconHTTP
import ReconPostgres

/// `doctor`: checks the whole configuration at once, then the database, Daraja's OAuth and the callback URL.
public enum Doctor {
    /// Alerts' thresholds (deploy/prometheus/alerts.yml): a good backup within 26 hours, a full one within 8 days,
    /// a WAL segment archived within 15 minutes.
    public static let backupMaxAge: TimeInterval = 26 * 3600
    public static let fullBackupMaxAge: TimeInterval = 8 * 86400
    public static let walArchiveMaxAge: TimeInterval = 15 * 60

    /// Runs every check; never throws: each failure is a line of the report. The migrations compared with the
    /// database are the embedded ones, or `migrationsFolder`'s when given.
    public static func run(_ env: Environment, migrationsFolder: URL? = nil, now: Date = Date()) async -> DoctorReport {
        var report = DoctorReport()
        let b2c = DarajaWiring.b2cConfigured(env)
        var needs: Set<SettingsNeed> = [.logging, .database, .daraja, .callback, .schedule, .approvals, .monitoring]
        if b2c { needs.insert(.b2c) }
        if env.values.keys.contains(where: { $0.hasPrefix("MPESA_C2B_") || $0.hasPrefix("MPESA_PULL_") }) {
            needs.insert(.c2b)
        }
        let problems = ConfigurationCheck.problems(env, needs: needs)
        for problem in problems {
            report.add("configuration", .fail, "\(problem.variable) \(problem.problem)", variable: problem.variable)
        }
        if problems.isEmpty {
            report.add("configuration", .pass, "every setting is usable")
        }
        if !b2c {
            report.add("configuration", .note, "B2C is not configured: refunds cannot be sent")
        }
        let bad = Set(problems.map(\.variable))

        await database(
            env, migrationsFolder: migrationsFolder, now: now, blocked: bad.contains("DATABASE_URL"), into: &report)
        let monitoring = try? MonitoringSettings.load(from: env)
        await backups(monitoring, now: now, into: &report)
        if let standby = monitoring?.readDatabase { await standbyCheck(standby, into: &report) }
        let darajaVariables = [
            "MPESA_ENVIRONMENT", "MPESA_BASE_URL", "MPESA_CONSUMER_KEY", "MPESA_CONSUMER_SECRET", "MPESA_SHORTCODE",
            "MPESA_PASSKEY", "MPESA_CALLBACK_URL",
        ]
        await oauth(env, blocked: darajaVariables.contains(where: bad.contains), into: &report)
        callbackURLs(env, b2c: b2c, into: &report)
        await callbackReachable(env, blocked: bad.contains("MPESA_CALLBACK_URL"), into: &report)
        return report
    }

    /// Whether the STK callback URL answers HTTP from this machine. A GET without the query (so the token is never
    /// sent): any HTTP answer, even 404 or 405, means the host and port are reachable; only a transport failure
    /// fails. Daraja reaches it from the internet, which this check cannot prove, but a URL this machine cannot
    /// reach (a typo, a closed port, a stopped `serve`) is found before a callback is lost.
    private static func callbackReachable(_ env: Environment, blocked: Bool, into report: inout DoctorReport) async {
        guard !blocked, let url = env.optional("MPESA_CALLBACK_URL") else {
            report.add("callback-reachable", .skipped, "MPESA_CALLBACK_URL is not usable")
            return
        }
        let bare = String(url.split(separator: "?", maxSplits: 1).first ?? Substring(url))
        var request = HTTPRequest.get(bare)
        request.connectTimeout = .seconds(5)
        request.totalTimeout = .seconds(10)
        let http = HTTPClient()
        defer { http.shutdown() }
        do {
            let response = try await http.send(request)
            report.add(
                "callback-reachable", .pass,
                "MPESA_CALLBACK_URL answers from here (HTTP \(response.status) to a GET without the token)")
        } catch {
            report.add(
                "callback-reachable", .fail, "MPESA_CALLBACK_URL cannot be reached from here: \(error.description)",
                variable: "MPESA_CALLBACK_URL")
        }
    }

    private static func database(
        _ env: Environment, migrationsFolder: URL?, now: Date, blocked: Bool, into report: inout DoctorReport
    ) async {
        guard !blocked, let settings = try? DatabaseSettings.load(from: env) else {
            report.add("database", .skipped, "its setting has a problem")
            return
        }
        let connection: PostgresConnection
        do {
            connection = try await PostgresConnection.connect(settings)
        } catch {
            report.add("database", .fail, "not reachable: \(error)")
            return
        }
        report.add("database", .pass, "reachable")
        await migrations(connection, folder: migrationsFolder, into: &report)
        await login(connection, into: &report)
        await walArchive(connection, now: now, into: &report)
        // Maker-checker needs two people: at least two active admin accounts (accounts exist from sql/007).
        if let admins = try? await connection.run({ db throws(PostgresError) in try UserStore.activeAdminCount(db) }) {
            report.checks.append(
                admins >= 2
                    ? .init(area: "accounts", status: .pass, detail: "\(admins) active admin accounts")
                    : .init(
                        area: "accounts", status: .fail,
                        detail:
                            "\(admins) active admin account(s): refunds need a proposer and a different approver "
                            + "(mpesa-recon users add EMAIL --name NAME --role admin)"))
        }
        await c2b(connection, into: &report)
        await connection.close()
    }

    /// The database's migrations against this binary's: current, behind (run migrate) or ahead (a newer binary
    /// migrated it: this one must not run against it).
    private static func migrations(
        _ connection: PostgresConnection, folder: URL?, into report: inout DoctorReport
    ) async {
        do {
            let migrations = try MigrationsSource.migrations(folder: folder)
            let files = migrations.map(\.name)
            let applied = Set((try? await Migrator.status(connection))?.map(\.0) ?? [])
            let missing = files.filter { !applied.contains($0) }
            let expected = SchemaVersion(migrations)?.description ?? "none"
            if let newest = applied.max(), let known = files.max(), newest > known {
                report.add(
                    "migrations", .fail,
                    "the database's schema is newer than this program's: its newest applied migration is \(newest), "
                        + "this program knows up to \(known); use the newer mpesa-recon")
            } else if missing.isEmpty {
                report.add("migrations", .pass, "current: schema \(expected), \(files.count) migrations applied")
            } else {
                report.add(
                    "migrations", .fail, "not applied: \(missing.joined(separator: ", ")) (run `mpesa-recon migrate`)")
            }
        } catch {
            report.add("migrations", .fail, "\(error)")
        }
    }

    /// Whether the application's login is limited by grants: not a superuser, not the schema's owner.
    private static func login(_ connection: PostgresConnection, into report: inout DoctorReport) async {
        let login: ServerStatusStore.Login
        do {
            login = try await connection.run { db throws(PostgresError) in try ServerStatusStore.login(db) }
        } catch {
            report.add("database-role", .fail, "cannot read the login's role: \(error)")
            return
        }
        let advice =
            "connect serve, run and the CLI as the role `migrate` grants (\(EnforcementStore.defaultAppRole)); keep "
            + "the owner's login for migrate"
        if login.superuser {
            report.add(
                "database-role", .warn,
                "DATABASE_URL logs in as \(login.name), a superuser: no grant limits it (it may ALTER, TRUNCATE and "
                    + "disable triggers); \(advice)", variable: "DATABASE_URL")
        } else if login.ownsSchema {
            report.add(
                "database-role", .warn,
                "DATABASE_URL logs in as \(login.name), which owns the schema's tables: it may ALTER and TRUNCATE "
                    + "them and disable their triggers; \(advice)", variable: "DATABASE_URL")
        } else {
            report.add("database-role", .pass, "logs in as \(login.name): rows only, no ownership, not a superuser")
        }
    }

    /// The last archived WAL segment: the newest point a restore can reach.
    private static func walArchive(_ connection: PostgresConnection, now: Date, into report: inout DoctorReport) async {
        let archiver: ServerStatusStore.Archiver
        do {
            archiver = try await connection.run { db throws(PostgresError) in try ServerStatusStore.archiver(db) }
        } catch {
            report.add("wal-archive", .fail, "cannot read pg_stat_archiver: \(error)")
            return
        }
        guard archiver.isOn else {
            report.add(
                "wal-archive", .note,
                "archive_mode is off: no WAL is archived, so no restore to a point in time (docs/OPERATIONS.md, Backups)"
            )
            return
        }
        var failing = ""
        if let failed = archiver.lastFailedAt, failed > (archiver.lastArchivedAt ?? .distantPast) {
            failing =
                "; archiving fails since \(Self.age(now.timeIntervalSince(failed))) ago (segment "
                + "\(archiver.lastFailedWAL ?? "?"))"
        }
        guard let archived = archiver.lastArchivedAt else {
            report.add("wal-archive", .warn, "archive_mode is on but no WAL segment has been archived\(failing)")
            return
        }
        let age = now.timeIntervalSince(archived)
        let detail = "last WAL segment archived \(Self.age(age)) ago\(failing)"
        report.add("wal-archive", age > walArchiveMaxAge || !failing.isEmpty ? .warn : .pass, detail)
    }

    /// The newest good pgBackRest backups of the stanza `RECON_PGBACKREST_STANZA` names.
    private static func backups(_ monitoring: MonitoringSettings?, now: Date, into report: inout DoctorReport) async {
        guard let monitoring, let stanza = monitoring.backupStanza else {
            report.add("backups", .note, "RECON_PGBACKREST_STANZA is not set: backups are not checked")
            return
        }
        let status: BackupStatus
        do {
            status = try await PgBackRest.info(stanza: stanza, searchPath: monitoring.searchPath)
        } catch {
            report.add("backups", .warn, "cannot read stanza \(stanza)'s backups: \(error)")
            return
        }
        guard let newest = status.newest else {
            report.add("backups", .warn, "stanza \(stanza) has no good backup")
            return
        }
        let types = status.lastGood.sorted { $0.value > $1.value }
            .map { "\($0.key) \(Self.age(now.timeIntervalSince($0.value))) ago" }.joined(separator: ", ")
        let newestAge = now.timeIntervalSince(newest)
        let fullAge = status.lastGood["full"].map { now.timeIntervalSince($0) }
        if newestAge > backupMaxAge {
            report.add("backups", .warn, "stanza \(stanza): no good backup for \(Self.age(newestAge)) (\(types))")
        } else if fullAge.map({ $0 > fullBackupMaxAge }) ?? true {
            report.add("backups", .warn, "stanza \(stanza): no good full backup for 8 days (\(types))")
        } else {
            report.add("backups", .pass, "stanza \(stanza): newest good backups \(types)")
        }
    }

    /// The standby `RECON_READ_DATABASE_URL` names: reachable, replaying, and how far behind.
    private static func standbyCheck(_ settings: DatabaseSettings, into report: inout DoctorReport) async {
        let recovery: ServerStatusStore.Recovery
        do {
            let connection = try await PostgresConnection.connect(settings.withConnectTimeout(seconds: 5))
            do {
                recovery = try await connection.run { db throws(PostgresError) in try ServerStatusStore.recovery(db) }
                await connection.close()
            } catch {
                await connection.close()
                throw error
            }
        } catch {
            report.add("standby", .warn, "RECON_READ_DATABASE_URL is not reachable: \(error)")
            return
        }
        guard recovery.inRecovery else {
            report.add(
                "standby", .warn, "RECON_READ_DATABASE_URL is not in recovery: it is a primary, not a standby")
            return
        }
        let lag = recovery.replayLagSeconds.map { Self.age($0) } ?? "unknown"
        report.add("standby", .pass, "RECON_READ_DATABASE_URL is a standby, replay lag \(lag)")
    }

    /// `45 s`, `12 min`, `5.2 h`, `3.1 days`.
    static func age(_ seconds: TimeInterval) -> String {
        let seconds = max(0, seconds)
        if seconds < 120 { return "\(Int(seconds)) s" }
        if seconds < 7200 { return "\(Int(seconds / 60)) min" }
        if seconds < 172_800 { return String(format: "%.1f h", seconds / 3600) }
        return String(format: "%.1f days", seconds / 86400)
    }

    /// The latest C2B and Pull registration of each configuration, and how much of the last 46 hours Pull covered.
    private static func c2b(_ connection: PostgresConnection, into report: inout DoctorReport) async {
        let now = Date()
        guard
            let (registrations, uncovered) = try? await connection.run({
                db throws(PostgresError) -> ([RegistrationRecord], [String: Int]) in
                (try PullStore.latestRegistrations(db), try PullStore.uncoveredSeconds(db, now: now))
            })
        else { return }
        if !registrations.contains(where: { $0.api == "c2b" }) {
            report.add(
                "c2b-registration", .note,
                "no C2B URLs registered (mpesa-recon c2b register): paybill and till payments reach us only by the "
                    + "statement")
        }
        if !registrations.contains(where: { $0.api == "pull" }) {
            report.add(
                "pull-registration", .note,
                "no shortcode registered for Pull Transactions (mpesa-recon pull register): lost confirmations are "
                    + "not recovered")
        }
        for registration in registrations {
            let version = registration.version.map { " \($0)" } ?? ""
            var detail =
                "\(registration.configuration) shortcode \(registration.shortcode)\(version): "
                + registration.outcome.replacingOccurrences(of: "_", with: " ")
            if registration.outcome == "wrong_version" { detail += " (wrong C2B version for this app)" }
            if let code = registration.responseCode { detail += " [\(code)]" }
            if !registration.detail.isEmpty { detail += " \(registration.detail)" }
            detail += " at \(EastAfricaTime.pullText(registration.attemptedAt)) EAT"
            report.add(
                registration.api == "c2b" ? "c2b-registration" : "pull-registration",
                registration.isRegistered ? .pass : .fail, detail)
        }
        for (shortcode, seconds) in uncovered.sorted(by: { $0.key < $1.key }) {
            // `run` every few minutes leaves the time since the last run uncovered: half an hour is tolerated.
            let hours = (Double(seconds) / 360).rounded() / 10
            report.add(
                "pull-coverage", seconds <= 1800 ? .pass : .fail,
                "shortcode \(shortcode): \(hours) h of the last 46 h covered by no Pull"
                    + (seconds <= 1800 ? "" : " (mpesa-recon run pulls it; past 48 h only the statement can)"))
        }
    }

    private static func oauth(_ env: Environment, blocked: Bool, into report: inout DoctorReport) async {
        guard !blocked, let settings = try? DarajaSettings.load(from: env) else {
            report.add("daraja-oauth", .skipped, "its settings have problems")
            return
        }
        var configuration = DarajaClientConfiguration(settings: settings)
        configuration.requestTimeout = .seconds(10)
        let client = DarajaClient(configuration: configuration, http: HTTPClient())
        do {
            _ = try await client.accessToken()
            report.add("daraja-oauth", .pass, "a token was issued by \(settings.baseURL)")
        } catch {
            let what = error.code == .transport ? "Daraja not reached" : "credentials refused"
            report.add("daraja-oauth", .fail, "\(what): \(error.reason)")
        }
    }

    private static func callbackURLs(_ env: Environment, b2c: Bool, into report: inout DoctorReport) {
        guard let token = env.optional("MPESA_CALLBACK_TOKEN") else {
            report.add("callback-url", .skipped, "MPESA_CALLBACK_TOKEN is not set")
            return
        }
        var names = ["MPESA_CALLBACK_URL"]
        if b2c { names += ["MPESA_B2C_RESULT_URL", "MPESA_B2C_TIMEOUT_URL"] }
        for name in names {
            guard let url = env.optional(name) else { continue }
            let carries = url.split(separator: "?").dropFirst().first.map { query in
                query.split(separator: "&").contains { $0 == "token=\(token)" }
            }
            if carries == true {
                report.add("callback-url", .pass, "\(name) carries the callback token")
            } else {
                report.add(
                    "callback-url", .fail,
                    "\(name) does not carry MPESA_CALLBACK_TOKEN as ?token=…: callbacks would be refused",
                    variable: name)
            }
        }
    }
}

extension DoctorReport {
    /// Adds one check's outcome.
    fileprivate mutating func add(_ area: String, _ status: Check.Status, _ detail: String, variable: String? = nil) {
        checks.append(Check(area: area, status: status, detail: detail, variable: variable))
    }
}
