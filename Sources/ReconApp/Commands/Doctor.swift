import Daraja
public import Foundation
public import ReconCore
import ReconHTTP
import ReconPostgres

/// `doctor`: checks the whole configuration at once, then the database, Daraja's OAuth and the callback URL.
public enum Doctor {
    /// Runs every check; never throws: each failure is a line of the report.
    public static func run(_ env: Environment, migrations directory: URL?) async -> DoctorReport {
        var report = DoctorReport()
        let b2c = DarajaWiring.b2cConfigured(env)
        var needs: Set<SettingsNeed> = [.logging, .database, .daraja, .callback, .schedule, .approvals]
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

        await database(env, migrations: directory, blocked: bad.contains("DATABASE_URL"), into: &report)
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
        _ env: Environment, migrations directory: URL?, blocked: Bool, into report: inout DoctorReport
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
        guard let directory else {
            report.add("migrations", .skipped, "no sql/ folder found here")
            await connection.close()
            return
        }
        do {
            let files = try Migration.load(from: directory).map(\.name)
            let applied = Set((try? await Migrator.status(connection))?.map(\.0) ?? [])
            let missing = files.filter { !applied.contains($0) }
            if missing.isEmpty {
                report.add("migrations", .pass, "current (\(files.count) applied)")
            } else {
                report.add(
                    "migrations", .fail, "not applied: \(missing.joined(separator: ", ")) (run `mpesa-recon migrate`)")
            }
        } catch {
            report.add("migrations", .fail, "\(error)")
        }
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
