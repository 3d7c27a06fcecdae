import Daraja
import DarajaSimulator
public import Foundation
import HTTPServerKit
import Logging
import ReconApp
import ReconCore
import ReconHTTP
import ReconPostgres
import ReconReports
import ReconServer

/// Where the demo runs.
public struct DemoOptions: Sendable {
    /// The maintenance database of the local cluster (`scripts/pg.sh url`).
    public var adminURL: String
    /// The demo's own database, dropped and made anew on every run.
    public var database: String
    /// A migrations folder; nil: the migrations built into the program.
    public var migrationsDirectory: URL?
    /// Where the reports go.
    public var reportsDirectory: String

    /// Options.
    public init(
        adminURL: String, database: String = "mpesa_recon_demo", migrationsDirectory: URL? = nil,
        reportsDirectory: String
    ) {
        self.adminURL = adminURL
        self.database = database
        self.migrationsDirectory = migrationsDirectory
        self.reportsDirectory = reportsDirectory
    }
}

/// What the demo found at the end.
public struct DemoResult: Sendable {
    /// The comparison of the database with the simulator's ledger.
    public var check: LedgerCheck
    /// The report files written.
    public var reports: [String]
    /// `ok` when the imported statement's opening + paid in - withdrawn = closing.
    public var statementBalanceCheck: String
    /// Whether the statement's customer lines equal our payments, every difference a finding.
    public var statementTiesOut: Bool
    /// Receipts the statement gave to payments whose callback was lost.
    public var receiptsFilledFromStatement: Int
    /// Completed payments still without a receipt after the import.
    public var receiptsPendingAfterStatement: Int
    /// Statement findings of every kind (none on an honest day).
    public var statementFindings: Int
}

/// A day of course payments, end to end, on a local PostgreSQL, the Daraja simulator and the callback endpoint
/// (issue "make demo"): pay, callbacks lost/late/doubled, `run`, two admins approve refunds, `run` again, the M-Pesa
/// statement imported and the period tied out, reports.
public enum DemoRunner {
    static let admins = ["ann@example.com", "bob@example.com"]
    static let schedule = RetrySchedule(delays: [2, 3, 5, 10, 20])

    /// One payment of the day: who pays for what, and what really happens to it.
    struct Script {
        var learner: Int
        var course: Int
        var amount: Int64?
        var plan: StkPlan
        var note: String
    }

    // swift-format-ignore
    static let day: [Script] = [
        Script(learner: 0, course: 0, amount: nil, plan: StkPlan(outcome: .paid), note: "paid"),
        Script(learner: 1, course: 0, amount: nil, plan: StkPlan(outcome: .paid), note: "paid"),
        Script(learner: 2, course: 1, amount: nil, plan: StkPlan(outcome: .paid), note: "paid"),
        Script(learner: 3, course: 1, amount: nil, plan: StkPlan(outcome: .paid), note: "paid"),
        Script(learner: 4, course: 0, amount: nil, plan: StkPlan(outcome: .paid), note: "paid"),
        Script(learner: 5, course: 2, amount: nil, plan: StkPlan(outcome: .paid), note: "paid"),
        Script(learner: 6, course: 0, amount: nil, plan: StkPlan(outcome: .paid, delivery: .lost), note: "paid, callback lost"),
        Script(learner: 7, course: 1, amount: nil, plan: StkPlan(outcome: .paid, delivery: .lost), note: "paid, callback lost"),
        Script(learner: 8, course: 0, amount: nil, plan: StkPlan(outcome: .paid, delivery: .twice), note: "paid, callback twice"),
        Script(learner: 9, course: 1, amount: nil, plan: StkPlan(outcome: .paid, delivery: .late), note: "paid, callback late"),
        Script(learner: 1, course: 1, amount: nil, plan: StkPlan(outcome: .cancelled), note: "cancelled on the phone"),
        Script(learner: 2, course: 0, amount: nil, plan: StkPlan(outcome: .noResponse, delivery: .lost), note: "never answered, callback lost"),
        Script(learner: 3, course: 0, amount: nil, plan: StkPlan(outcome: .wrongPin), note: "wrong PIN"),
        Script(learner: 4, course: 1, amount: nil, plan: StkPlan(outcome: .insufficientFunds), note: "not enough money"),
        Script(learner: 0, course: 0, amount: nil, plan: StkPlan(outcome: .paid), note: "paid the same course twice"),
        Script(learner: 5, course: 1, amount: 8000, plan: StkPlan(outcome: .paid), note: "paid more than the price"),
    ]

    static let courses: [(String, Int64)] = [("German A1", 5000), ("German A2", 6500), ("Business German", 9000)]
    static let learners = [
        "Wanjiku Kamau", "Otieno Odhiambo", "Achieng Atieno", "Kiprop Chebet", "Njeri Mwangi", "Mutua Musyoka",
        "Nyambura Ng'ang'a", "Barasa Wafula", "Halima Abdi", "Kamau Kariuki",
    ]

    /// Runs the day and tells the story through `say`; everything it starts is stopped before it returns.
    public static func run(_ options: DemoOptions, say: @escaping @Sendable (String) -> Void) async throws -> DemoResult
    {
        var logger = Logger(label: "mpesa-recon.demo")
        logger.logLevel = .error
        let settings = try await recreateDatabase(options)
        say("1. Database \(options.database) made anew and migrated.")

        let key = SimulatorKeys.privateKeyPEM
        var configuration = SimulatorConfiguration()
        configuration.seed = 2026
        let simulator = DarajaSimulator(
            configuration: configuration,
            decryptCredential: { try? SecurityCredential.decrypt(base64: $0, privateKeyPEM: key.utf8) }, logger: logger)
        var scenario = Scenario()
        scenario.processingMs = 400
        scenario.callbackDelayMs = 150
        scenario.lateDelayMs = 6_000
        await simulator.setScenario(scenario)
        // The servers log their own shutdown as errors; the story has no use for that.
        var quiet = logger
        quiet.logLevel = .critical
        let simulatorServer = try await RunningServer.start(simulator.router(), serverName: "daraja-sim", logger: quiet)
        let pool = ConnectionPool(settings: settings, maxConnections: 10, logger: logger)
        let token = UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased()
        let spool = FileManager.default.temporaryDirectory.appendingPathComponent("mpesa-recon-demo-spool-\(token)")
        let application = try ReconApplication(
            ServerConfiguration(
                port: 0, callbackToken: token, spoolDirectory: spool, schedule: schedule, sweepIntervalSeconds: 1),
            pool: pool, logger: quiet)
        let endpoint = application.callbacks
        let callbackServer = try await application.start()
        say("2. Daraja simulator on \(simulatorServer.baseURL); mpesa-recon serve on \(callbackServer.baseURL).")
        do {
            let result = try await day(
                options: options, settings: settings, simulator: simulator, simulatorURL: simulatorServer.baseURL,
                callbackURL: callbackServer.baseURL, token: token, endpoint: endpoint, pool: pool, logger: logger,
                say: say)
            await callbackServer.stop()
            await simulatorServer.stop()
            await pool.close()
            try? FileManager.default.removeItem(at: spool)
            return result
        } catch {
            await callbackServer.stop()
            await simulatorServer.stop()
            await pool.close()
            throw error
        }
    }

    static func recreateDatabase(_ options: DemoOptions) async throws -> DatabaseSettings {
        try await withConnectionPool(DatabaseSettings(connectionString: options.adminURL)) { admin in
            try await admin.withConnection { db in
                try await db.run { db throws(PostgresError) in
                    try SchemaStore.recreateDatabase(db, named: options.database)
                }
            }
        }
        let settings = try databaseSettings(options)
        let migrations = try options.migrationsDirectory.map(Migration.load(from:)) ?? Migration.embedded
        _ = try await withConnectionPool(settings) { pool in
            try await pool.withConnection { db in try await Migrator(migrations: migrations).migrate(db) }
        }
        return settings
    }

    /// The demo database's settings: the admin URL with the demo's database name.
    static func databaseSettings(_ options: DemoOptions) throws -> DatabaseSettings {
        var url = options.adminURL
        if let query = url.firstIndex(of: "?") { url = String(url[..<query]) }
        if let slash = url.lastIndex(of: "/") { url = String(url[..<slash]) }
        return DatabaseSettings(connectionString: url + "/" + options.database)
    }

    static func day(
        options: DemoOptions, settings: DatabaseSettings, simulator: DarajaSimulator, simulatorURL: String,
        callbackURL: String, token: String, endpoint: CallbackRoutes, pool: ConnectionPool, logger: Logger,
        say: @escaping @Sendable (String) -> Void
    ) async throws -> DemoResult {
        let sim = SimulatorConfiguration()
        let client = DarajaClient(
            configuration: DarajaClientConfiguration(
                baseURL: simulatorURL, consumerKey: sim.consumerKey, consumerSecret: sim.consumerSecret,
                shortcode: sim.shortcode, passkey: sim.passkey,
                callbackURL: "\(callbackURL)/api/payments/callback/?token=\(token)",
                b2c: B2CConfiguration(
                    shortcode: sim.b2cShortcode, initiatorName: sim.initiatorName,
                    securityCredential: try SecurityCredential.encrypt(
                        password: sim.initiatorPassword, certificatePEM: SimulatorKeys.certificatePEM.utf8),
                    resultURL: "\(callbackURL)/api/payments/b2c/result/?token=\(token)",
                    timeoutURL: "\(callbackURL)/api/payments/b2c/timeout/?token=\(token)")),
            http: HTTPClient(), logger: logger)

        // 3. Courses and learners.
        let (courseIDs, learnerIDs) = try await pool.withConnection { db in
            try await db.withTransaction { db in
                var courseIDs: [Int64] = []
                for (title, price) in DemoRunner.courses {
                    courseIDs.append(try CatalogStore.insertCourse(db, title: title, priceShillings: price))
                }
                var learnerIDs: [Int64] = []
                for (index, name) in DemoRunner.learners.enumerated() {
                    learnerIDs.append(
                        try CatalogStore.insertUser(db, email: "learner\(index + 1)@example.com", fullName: name))
                }
                // The two admin accounts that approve refunds (maker-checker is bound to accounts).
                for email in DemoRunner.admins {
                    let id = try UserStore.insert(db, email: email, fullName: email)
                    try UserStore.grant(db, id: id, role: .admin)
                }
                return (courseIDs, learnerIDs)
            }
        }
        // An enrollment nobody paid for (the LMS enrolled by hand): reconcile must notice.
        _ = try await pool.withConnection { db in
            try await db.run { db throws(PostgresError) in
                try CatalogStore.insertEnrollment(db, userID: learnerIDs[6], courseID: courseIDs[2])
            }
        }
        say(
            "3. Seeded \(courseIDs.count) courses and \(learnerIDs.count) learners; one learner enrolled with no payment."
        )

        // 4. The day's payments through `pay`.
        await simulator.enqueue(day.map(\.plan))
        let initiator = PaymentInitiator(pool: pool, client: client, schedule: schedule, logger: logger)
        for (index, script) in day.enumerated() {
            let phone = try MSISDN(parsing: "07\(String(format: "%08d", 10_000_000 + index * 137))")
            _ = try await initiator.start(
                userID: learnerIDs[script.learner], courseID: courseIDs[script.course], phone: phone,
                amount: script.amount.map { Money(minorUnits: $0 * 100) })
        }
        var notes: [String: Int] = [:]
        for script in day { notes[script.note, default: 0] += 1 }
        let mix = notes.sorted { $0.key < $1.key }.map { "\($0.value) \($0.key)" }.joined(separator: "; ")
        say("4. \(day.count) payments started with mpesa-recon pay: \(mix).")
        try await Task.sleep(for: .milliseconds(1_500))
        let inbox = try await tallies(pool, TallyStore.callbacksByOutcome)
        say("5. Callbacks so far: \(describe(inbox)).")

        // 6. run #1: settle what the lost callbacks left pending, reconcile, write reports.
        try await Task.sleep(for: .milliseconds(1_000))
        let first = try await runOnce(settings: settings, pool: pool, client: client, options: options, logger: logger)
        say(
            "6. mpesa-recon run: settle checked \(first.settle.claimed) pending payment(s) by STK Query "
                + "(\(first.settle.completed) completed with receipt pending, \(first.settle.failed) failed); "
                + "reconcile: \(first.reconcile.opened) finding(s), \(first.reconcile.refundsProposed) refund(s) proposed."
        )

        // 7. Two admins approve.
        let desk = RefundDesk(
            pool: pool, settings: ApprovalSettings(dualApprovalAbove: Money(minorUnits: 400_000)))
        var approved: [String] = []
        for refund in try await desk.list(status: .proposed) {
            var view = try await desk.approve(refund.id, by: admins[0])
            if view.status == RefundStatus.proposed.rawValue { view = try await desk.approve(refund.id, by: admins[1]) }
            approved.append("#\(refund.id) KES \(refund.amount) (\(refund.reason))")
        }
        say(
            "7. Admins \(admins.joined(separator: " and ")) approved \(approved.count) refund(s): \(approved.joined(separator: ", "))."
        )

        // 8. run #2 sends them through B2C; results come back to the callback endpoint.
        let second = try await runOnce(settings: settings, pool: pool, client: client, options: options, logger: logger)
        await simulator.waitForCallbacks()
        await endpoint.caughtUp()
        try await endpoint.sweep()
        _ = try await runOnce(settings: settings, pool: pool, client: client, options: options, logger: logger)
        let refunds = try await tallies(pool, TallyStore.refundsByStatus)
        say(
            "8. mpesa-recon run again: \(second.refunds?.accepted ?? 0) refund(s) sent through B2C; "
                + "refunds now \(describe(refunds)).")

        let payments = try await tallies(pool, TallyStore.paymentsByStatus)
        let exceptions = try await tallies(pool, TallyStore.openExceptionsByKind)
        say("9. Payments: \(describe(payments)). Open exceptions for a person: \(describe(exceptions)).")
        let check = try await pool.withConnection { db in
            try await LedgerCheck.compare(db, ledger: await simulator.ledger())
        }
        say(
            "10. Checked against the simulator's ledger: \(check.payments.matching)/\(check.payments.transactions) payments right, "
                + "\(check.payments.receiptsPending) receipt(s) pending where the callback was lost, "
                + "\(check.payouts.made) payout(s), refunds paid twice: \(check.payouts.refundsPaidTwice), mismatches: \(check.mismatches.count)."
        )
        for mismatch in check.mismatches { say("    mismatch: \(mismatch)") }

        // 11. Finance downloads the day's M-Pesa statement (here the simulator's Org Portal export) and imports it.
        let statement = try await importStatement(
            simulatorURL: simulatorURL, pool: pool, directory: options.reportsDirectory, logger: logger)
        let receiptsPending = try await pool.withConnection { db in
            try await db.run { db throws(PostgresError) in
                // The Summary's own "receipts pending" query: completed payments without a receipt, any period.
                try db.query(ReportQueries.receiptsPending).first?.decode(Int.self, "n") ?? 0
            }
        }
        let classes = statement.linesByClass.sorted { $0.key < $1.key }.map { "\($0.value) \($0.key)" }
        let file = statement.files.first
        say(
            "11. M-Pesa statement imported (\(file?.file ?? "none")): \(statement.lines) lines "
                + "(\(classes.joined(separator: ", "))); \(statement.matched) matched by receipt or TransactionID, "
                + "\(statement.receiptsFilled) receipt(s) filled where the callback was lost, \(receiptsPending) "
                + "still pending.")
        say(
            "12. The period ties out: opening KES \(file?.openingBalance?.decimalString ?? "?") + paid in "
                + "\(file?.paidIn.decimalString ?? "?") - withdrawn \(file?.withdrawn.decimalString ?? "?") = closing KES "
                + "\(file?.closingBalance?.decimalString ?? "?"): balance check \(statement.balanceCheck); our payments "
                + (statement.customerLinesTieOut ? "equal" : "DO NOT equal")
                + " the statement's customer lines; findings: \(statement.statementOnly) statement only, "
                + "\(statement.missingFromStatement) missing from the statement, \(statement.amountMismatches) "
                + "amount(s) that differ.")
        let final = try await runOnce(settings: settings, pool: pool, client: client, options: options, logger: logger)
        say("13. Reports, with the Statement sheet and the balance proof: \(final.reports.joined(separator: ", "))")
        return DemoResult(
            check: check, reports: final.reports, statementBalanceCheck: statement.balanceCheck,
            statementTiesOut: statement.customerLinesTieOut, receiptsFilledFromStatement: statement.receiptsFilled,
            receiptsPendingAfterStatement: receiptsPending,
            statementFindings: statement.statementOnly + statement.missingFromStatement + statement.amountMismatches
                + statement.refundMissingFromStatement + statement.ambiguous)
    }

    /// Fetches the simulator's statement of the day as a workbook, keeps it next to the reports, and imports it.
    static func importStatement(
        simulatorURL: String, pool: ConnectionPool, directory: String, logger: Logger
    ) async throws -> StatementImportSummary {
        let response = try await HTTPClient().send(.get("\(simulatorURL)/sim/statement?format=xlsx"))
        guard response.status == 200 else {
            throw ReconAppError(.unavailable, "the simulator answered \(response.status) for its statement")
        }
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let path = URL(fileURLWithPath: directory).appendingPathComponent(
            "mpesa-statement-\(try ReportPeriod.today().first).xlsx"
        )
        .path
        try Data(response.body).write(to: URL(fileURLWithPath: path))
        return try await StatementImportJob(pool: pool, logger: logger).run(paths: [path])
    }

    static func runOnce(
        settings: DatabaseSettings, pool: ConnectionPool, client: DarajaClient, options: DemoOptions, logger: Logger
    ) async throws -> RunJob.Summary {
        guard let lock = try await RunLock.acquire(settings) else {
            throw ReconAppError(.lockHeld, "another run holds the demo database's lock")
        }
        do {
            let job = RunJob(
                pool: pool, lock: lock, queries: client, gateway: client,
                options: RunJob.Options(
                    settle: SettleOptions(schedule: schedule), reconcile: ReconcileOptions(callbackGraceSeconds: 60),
                    dispatch: RefundDispatchOptions(),
                    reports: ReportOptions(period: try .today(), outputDirectory: options.reportsDirectory)),
                logger: logger)
            let summary = try await JobRecorder.record("run", pool: pool) { try await job.run() }
            await lock.release()
            return summary
        } catch {
            await lock.release()
            throw error
        }
    }

    static func tallies(
        _ pool: ConnectionPool,
        _ read: @escaping @Sendable (isolated PostgresConnection) throws(PostgresError) -> [Tally]
    ) async throws -> [Tally] {
        try await pool.withConnection { db in try await db.run { db throws(PostgresError) in try read(db) } }
    }

    static func describe(_ tallies: [Tally]) -> String {
        tallies.isEmpty ? "none" : tallies.map { "\($0.count) \($0.value)" }.joined(separator: ", ")
    }
}
