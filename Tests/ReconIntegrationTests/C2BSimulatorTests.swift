import Daraja
import DarajaSimulator
import Foundation
import HTTPServerKit
import Logging
import ReconApp
import ReconCore
import ReconHTTP
import ReconPostgres
import ReconReports
import ReconServer
import ReconTestSupport
import Testing

/// C2B against the simulator: SIM-menu payments, lost and doubled confirmations, validation, Pull with paging,
/// and the coverage proof.
@Suite("C2B and Pull against the simulator", .serialized)
struct C2BSimulatorTests {
    static let shortcode = SimulatorConfiguration().shortcode

    /// Registers the stack's C2B URLs and Pull with the simulator.
    static func register(_ stack: Stack, version: C2BSettings.Version = .v2) async throws -> [RegistrationRecord] {
        let base = stack.callbackServer.baseURL
        let records = try await Registration.registerC2B(
            stack.database.runtimeSettings, configuration: "default", client: stack.client, shortcode: shortcode,
            version: version, responseType: "Completed",
            confirmationURL: "\(base)\(C2BSettings.confirmationPath)?token=\(Stack.token)",
            validationURL: "\(base)\(C2BSettings.validationPath)?token=\(Stack.token)")
        let pull = try await Registration.registerPull(
            stack.database.runtimeSettings, configuration: "default", client: stack.client, shortcode: shortcode,
            nominatedNumber: try MSISDN(parsing: "254722000000"),
            callbackURL: "\(base)\(C2BSettings.pullCallbackPath)?token=\(Stack.token)")
        #expect(pull.isRegistered)
        return records
    }

    /// A learner, a course at `price` and the learner's open enrollment reference.
    static func reference(_ stack: Stack, price: Int64) async throws -> (user: Int64, course: Int64, code: String) {
        let (user, course) = try await stack.seedLearner(price: price)
        let code = try await stack.db.withTransaction { db in
            try References.issue(db, userID: user, courseID: course, now: Date()).enrollment ?? ""
        }
        return (user, course, code)
    }

    static func phone(_ index: Int) -> String { "2547\(String(10_000_000 + index))" }

    @Test("RegisterURL: 401.003.01 is the wrong version, tried once with the other; every attempt stored")
    func wrongVersion() async throws {
        try await Stack.with { stack in
            var settings = C2BSimSettings()
            settings.appVersion = "v1"
            await stack.simulator.setC2BSettings(settings)
            let records = try await Self.register(stack, version: .v2)
            #expect(records.map(\.outcome) == ["wrong_version", "registered"])
            #expect(records.map(\.version) == ["v2", "v1"])
            let again = try await Self.register(stack, version: .v1)
            #expect(again.map(\.outcome) == ["already_registered"])
            let latest = try await Registration.latest(stack.database.runtimeSettings)
            #expect(latest.first { $0.api == "c2b" }?.outcome == "already_registered")
        }
    }

    @Test("N SIM-menu payments, a third of the confirmations lost and some doubled: one run recovers all by Pull")
    func lostConfirmations() async throws {
        try await Stack.with { stack in
            _ = try await Self.register(stack)
            var settings = C2BSimSettings()
            settings.pullPageSize = 7
            await stack.simulator.setC2BSettings(settings)
            let count = 24
            let forms = C2BMSISDNForm.allCases
            var lost = Set<String>()
            let past = Date().addingTimeInterval(-600)
            for index in 0..<count {
                let learner = try await Self.reference(stack, price: 1500)
                let delivery: CallbackDelivery = index % 3 == 0 ? .lost : (index % 5 == 0 ? .twice : .once)
                // Typed as payers type: lower case, spaces.
                let typed = " " + learner.code.lowercased().prefix(3) + " " + learner.code.lowercased().dropFirst(3)
                let result = await stack.simulator.c2bPay(
                    C2BPaymentRequest(
                        phone: Self.phone(index), amount: 1500, billRef: String(typed),
                        msisdnForm: forms[index % forms.count], delivery: delivery,
                        at: past.addingTimeInterval(TimeInterval(index))))
                let receipt = try #require(result.receipt)
                if delivery == .lost { lost.insert(receipt) }
            }
            await stack.waitForCallbacks()
            #expect(try await stack.count("SELECT count(*) FROM c2b_transactions") == count - lost.count)
            let summary = try await Operations.run(
                stack.database.runtimeSettings, queries: stack.client, gateway: nil,
                options: RunJob.Options(
                    settle: SettleOptions(schedule: stack.schedule), reconcile: ReconcileOptions(), dispatch: nil,
                    reports: nil, pull: PullPolicy()),
                logger: Logger(label: "t"), pullClients: ["default": stack.client])
            let window = try #require(summary.pull?.windows.first)
            #expect(window.outcome == "covered" && window.transactions == count && window.recovered == lost.count)
            #expect(window.pages == 4)
            let ledger = await stack.simulator.ledger()
            #expect(ledger.c2b.count == count)
            for payment in ledger.c2b {
                let row = try #require(
                    try await stack.db.query(
                        """
                        SELECT c.status, c.first_source, p.source FROM c2b_transactions c
                        JOIN payments p ON p.id = c.payment_id WHERE c.receipt = \(payment.receipt)
                        """
                    ).first, "receipt \(payment.receipt) is missing")
                #expect(try row.decode(String.self, "status") == "allocated")
                let source = try row.decode(String.self, "source")
                #expect(source == (lost.contains(payment.receipt) ? "pull" : "c2b"))
            }
            #expect(try await stack.count("SELECT count(*) FROM enrollments") == count)
            #expect(try await stack.count("SELECT count(*) FROM payments WHERE source <> 'stk'") == count)
            #expect(
                try await stack.count("SELECT count(*) FROM reconciliation_exceptions WHERE status = 'open'") == 0)
            #expect(summary.pull?.uncoveredSeconds[Self.shortcode] ?? -1 < 300)
            #expect(summary.problems.isEmpty)
            // A second run pulls only the overlap: nothing new, nothing doubled.
            let again = try await PullJob(
                pool: stack.pool, clients: ["default": stack.client], logger: Logger(label: "t")
            )
            .run()
            #expect(again.windows.first?.recovered == 0)
            #expect(try await stack.count("SELECT count(*) FROM payments WHERE source <> 'stk'") == count)
        }
    }

    @Test("a C2B day's statement: allocated lines match, unallocated money is explained, nothing is statement-only")
    func statementDay() async throws {
        try await Stack.with { stack in
            _ = try await Self.register(stack)
            let past = Date().addingTimeInterval(-900)
            for index in 0..<6 {
                let learner = try await Self.reference(stack, price: 800)
                _ = await stack.simulator.c2bPay(
                    C2BPaymentRequest(
                        phone: Self.phone(index), amount: 800, billRef: learner.code,
                        delivery: index < 2 ? .lost : .once, at: past.addingTimeInterval(TimeInterval(index))))
            }
            _ = await stack.simulator.c2bPay(
                C2BPaymentRequest(
                    phone: Self.phone(7), amount: 321, billRef: "WALK IN", at: past.addingTimeInterval(10)))
            _ = await stack.simulator.c2bPay(
                C2BPaymentRequest(
                    phone: Self.phone(8), amount: 99, billRef: "", kind: .till, msisdnForm: .hashed, delivery: .lost,
                    at: past.addingTimeInterval(11)))
            await stack.waitForCallbacks()
            _ = try await PullJob(pool: stack.pool, clients: ["default": stack.client], logger: Logger(label: "t"))
                .run()
            let csv = try await SimulatorStatementTests.fetch(stack, format: "csv")
            defer { try? FileManager.default.removeItem(atPath: csv.path) }
            #expect(csv.lines.filter { $0.lineClass == .payment }.count == 8)
            var logger = Logger(label: "test")
            logger.logLevel = .critical
            let imported = try await StatementImportJob(pool: stack.pool, logger: logger).run(paths: [csv.path])
            #expect(imported.balanceCheck == "ok" && imported.matched == 6)
            #expect(imported.statementOnly == 0 && imported.missingFromStatement == 0 && imported.customerLinesTieOut)
            #expect(
                try await stack.count(
                    "SELECT count(*) FROM reconciliation_exceptions WHERE kind = 'unallocated_payment' AND status = 'open'"
                )
                    == 2)
            #expect(
                try await stack.count(
                    "SELECT count(*) FROM statement_lines WHERE line_class = 'payment' AND payment_id IS NULL") == 2)
            // The Settled sheet says where each payment came from.
            let folder = FileManager.default.temporaryDirectory.appendingPathComponent(
                "c2b-report-\(UUID().uuidString)")
            defer { try? FileManager.default.removeItem(at: folder) }
            let report = try await ReportJob.write(
                ReportOptions(period: try .today(), formats: [.csv], outputDirectory: folder.path), on: stack.db)
            let settled = try String(contentsOfFile: "\(report.directory)/settled.csv", encoding: .utf8)
            let sources = settled.split(separator: "\r\n").dropFirst().map {
                $0.split(separator: ",", omittingEmptySubsequences: false)[11]
            }
            #expect(sources.sorted() == ["c2b", "c2b", "c2b", "c2b", "pull", "pull"])
        }
    }

    /// Seeds a covered window (as an earlier run would have) ending `hours` ago, and pays three times since with
    /// every confirmation lost.
    static func outage(_ stack: Stack, hours: Double) async throws {
        _ = try await Self.register(stack)
        let now = Date()
        let until = now.addingTimeInterval(-hours * 3600)
        try await stack.db.query(
            """
            INSERT INTO pull_windows (configuration, shortcode, window_start, window_end, outcome, pages)
            VALUES ('default', \(shortcode), \(until.addingTimeInterval(-11 * 3600)), \(until), 'covered', 1)
            """)
        for index in 0..<3 {
            let learner = try await Self.reference(stack, price: 700)
            _ = await stack.simulator.c2bPay(
                C2BPaymentRequest(
                    phone: Self.phone(index), amount: 700, billRef: learner.code, delivery: .lost,
                    at: now.addingTimeInterval(-Double(index + 1) * 1800)))
        }
    }

    @Test("a 3-hour outage caught up by one pull leaves no coverage gap")
    func shortOutage() async throws {
        try await Stack.with { stack in
            try await Self.outage(stack, hours: 3)
            let summary = try await PullJob(
                pool: stack.pool, clients: ["default": stack.client], logger: Logger(label: "t")
            ).run()
            #expect(summary.windows.first?.recovered == 3)
            #expect(summary.gaps[Self.shortcode] == 0)
            #expect(
                try await stack.count("SELECT count(*) FROM reconciliation_exceptions WHERE kind = 'coverage_gap'") == 0
            )
            #expect((summary.uncoveredSeconds[Self.shortcode] ?? -1) < 300)
            // The gauge says the same on /metrics.
            var scrape = HTTPRequest.get(stack.callbackServer.baseURL + "/metrics")
            scrape.headers.append(Stack.metricsAuthorization)
            let metrics = try await stack.http.send(scrape).bodyText
            let line = try #require(
                metrics.split(separator: "\n").first {
                    $0.hasPrefix("mpesa_recon_pull_uncovered_seconds{shortcode=\"\(Self.shortcode)\"}")
                })
            let seconds = try #require(line.split(separator: " ").last.flatMap { Double($0) })
            #expect(seconds < 300)
        }
    }

    @Test("a 49-hour outage opens one coverage_gap for what Pull can no longer reach, and it stays one")
    func longOutage() async throws {
        try await Stack.with { stack in
            try await Self.outage(stack, hours: 49)
            let job = PullJob(pool: stack.pool, clients: ["default": stack.client], logger: Logger(label: "t"))
            let summary = try await job.run()
            #expect(summary.windows.first?.outcome == "covered" && summary.windows.first?.recovered == 3)
            #expect(summary.gaps[Self.shortcode] == 1)
            _ = try await job.run()
            #expect(
                try await stack.count(
                    "SELECT count(*) FROM reconciliation_exceptions WHERE kind = 'coverage_gap' AND status = 'open'")
                    == 1)
            let detail = try #require(
                try await stack.db.query(
                    "SELECT detail->>'lost' AS lost FROM reconciliation_exceptions WHERE kind = 'coverage_gap'"
                ).first)
            #expect(try detail.decode(String.self, "lost") == "true")
        }
    }

    @Test("Pull's 1001 is no data, never coverage: a shortcode that is not set up stays uncovered")
    func noData() async throws {
        try await Stack.with { stack in
            // Registered here, but not at the simulator: its queries answer 1001.
            try await stack.db.query(
                """
                INSERT INTO daraja_registrations (configuration, api, shortcode, outcome)
                VALUES ('default', 'pull', '600111', 'already_registered')
                """)
            let summary = try await PullJob(
                pool: stack.pool, clients: ["default": stack.client], logger: Logger(label: "t")
            ).run()
            #expect(summary.windows.first?.outcome == "no_data")
            #expect(try await stack.count("SELECT count(*) FROM pull_windows WHERE outcome = 'covered'") == 0)
            #expect(try await stack.count("SELECT count(*) FROM pull_windows WHERE outcome = 'no_data'") == 1)
        }
    }

    @Test("validation on: an unknown account is refused (C2B00012) and no money moves; a valid one goes through")
    func validationOn() async throws {
        try await Stack.with { stack in
            _ = try await Self.register(stack)
            var settings = C2BSimSettings()
            settings.validationEnabled = true
            await stack.simulator.setC2BSettings(settings)
            let learner = try await Self.reference(stack, price: 900)
            let refused = await stack.simulator.c2bPay(
                C2BPaymentRequest(phone: Self.phone(1), amount: 900, billRef: "NOSUCH"))
            #expect(refused.outcome == "rejected" && refused.validation == "C2B00012" && refused.receipt == nil)
            let tooMuch = await stack.simulator.c2bPay(
                C2BPaymentRequest(phone: Self.phone(1), amount: 901, billRef: learner.code))
            #expect(tooMuch.outcome == "rejected" && tooMuch.validation == "C2B00013")
            let paid = await stack.simulator.c2bPay(
                C2BPaymentRequest(phone: Self.phone(1), amount: 900, billRef: learner.code, kind: .paybill))
            #expect(paid.outcome == "paid" && paid.validation == "0")
            await stack.waitForCallbacks()
            #expect(try await stack.count("SELECT count(*) FROM c2b_validations") == 3)
            #expect(try await stack.count("SELECT count(*) FROM c2b_transactions WHERE status = 'allocated'") == 1)
            #expect(try await stack.count("SELECT count(*) FROM enrollments WHERE user_id = \(learner.user)") == 1)
        }
    }

    @Test("an STK payment whose C2B copy also arrives stays one payment; a till payment is unallocated money")
    func stkEchoAndTill() async throws {
        try await Stack.with { stack in
            _ = try await Self.register(stack)
            var settings = C2BSimSettings()
            settings.stkEchoToC2B = true
            await stack.simulator.setC2BSettings(settings)
            let started = try await stack.pay(price: 300)
            await stack.waitForCallbacks()
            _ = try await stack.db.withTransaction { db in
                try C2BApplier.releaseHeld(db, now: Date().addingTimeInterval(3600))
            }
            let payment = try #require(try await stack.payment(started.id))
            let receipt = try #require(payment.state.receipt)
            #expect(try await stack.count("SELECT count(*) FROM payments WHERE mpesa_receipt = \(receipt)") == 1)
            #expect(try await stack.count("SELECT count(*) FROM payments") == 1)
            #expect(
                try await stack.count(
                    "SELECT count(*) FROM c2b_transactions WHERE receipt = \(receipt) AND status = 'stk'")
                    == 1)
            let till = await stack.simulator.c2bPay(
                C2BPaymentRequest(
                    phone: Self.phone(9), amount: 250, billRef: "ignored", kind: .till, msisdnForm: .hashedMasked))
            await stack.waitForCallbacks()
            let row = try #require(
                try await stack.db.query(
                    "SELECT status, bill_ref, transaction_type, msisdn_form FROM c2b_transactions WHERE receipt = \(till.receipt ?? "")"
                ).first)
            #expect(try row.decode(String.self, "status") == "unallocated")
            #expect(try row.decode(String.self, "bill_ref").isEmpty)
            #expect(try row.decode(String.self, "transaction_type") == "Customer Merchant Payment")
            #expect(try row.decode(String.self, "msisdn_form") == "hashed_masked")
        }
    }
}
