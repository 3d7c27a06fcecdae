import DarajaSimulator
import Foundation
import HTTPServerKit
import ReconApp
import ReconCore
import ReconHTTP
import ReconPostgres
import ReconServer
import ReconTestSupport
import Testing

/// What cron and an on-call engineer see: exit codes, problem lines, `doctor`, metrics and JSON logs.
@Suite("ops: exit codes cron can act on, doctor, metrics, logs")
struct OpsTests {
    @Test("run against a stopped simulator exits 1, names the transport failure and is still recorded")
    func stoppedSimulator() async throws {
        try await Stack.with { stack in
            let payment = try await stack.seedPending(checkoutID: "ws_CO_OPS_STOPPED_1")
            let cli = try RefundCLI.make(stack)
            defer { cli.cleanUp() }
            await stack.simulatorServer.stop()

            let result = try await cli.run(["run", "--no-reports"])
            #expect(result.status == 1, "\(result.stdout)\n\(result.stderr)")
            let problems = result.stderr.split(separator: "\n").filter { $0.hasPrefix("mpesa-recon: settle:") }
            #expect(problems.count == 1, "\(result.stderr)")
            #expect(result.stderr.contains("Daraja unreachable: transport failure"), "\(result.stderr)")
            #expect(!result.stderr.contains("token refused") && !result.stdout.contains("token refused"))
            #expect(result.stdout.contains("1 transport failure(s)"), "\(result.stdout)")

            let lastAnswer = try await stack.db.query("SELECT last_answer FROM payments WHERE id = \(payment)")
                .first?.decode(String?.self, "last_answer")
            #expect(lastAnswer?.hasPrefix("transport failure") == true, "\(String(describing: lastAnswer))")
            #expect(
                try await stack.count(
                    """
                    SELECT count(*) FROM job_runs WHERE job = 'run' AND outcome = 'failed'
                        AND summary -> 'problems' -> 0 ->> 'step' = 'settle'
                    """) == 1)
        }
    }

    @Test("approved refunds without B2C settings make run exit 1 with one line saying so")
    func approvedRefundsWithoutB2C() async throws {
        try await Stack.with { stack in
            let (user, course) = try await stack.learnerAndCourse(price: 3000, active: false)
            _ = try await stack.seedPayment(user: user, course: course, amount: 3000)
            let cli = try RefundCLI.make(stack)
            defer { cli.cleanUp() }
            let first = try await cli.run(["run", "--no-reports", "--json"])
            #expect(first.status == 0, "\(first.stderr)")
            let refund = try #require(try await stack.desk.list().first)
            let approve = try await cli.run(["refunds", "approve", String(refund.id), "--by", "carol@example.com"])
            #expect(approve.status == 0, "\(approve.stderr)")

            var environment = cli.environment
            for key in environment.keys where key.hasPrefix("MPESA_B2C_") || key == "MPESA_CERT_PATH" {
                environment[key] = nil
            }
            let bare = RefundCLI(environment: environment, workDirectory: cli.workDirectory)
            let result = try await bare.run(["run", "--no-reports"])
            #expect(result.status == 1, "\(result.stdout)\n\(result.stderr)")
            #expect(
                result.stderr.contains(
                    "mpesa-recon: refunds: 1 approved refund(s) cannot be sent: B2C is not configured"),
                "\(result.stderr)")
            #expect(result.stdout.contains("refunds: skipped: B2C is not configured"))
            #expect(
                try await stack.count("SELECT count(*) FROM job_runs WHERE job = 'run' AND outcome = 'failed'") == 1)
        }
    }

    @Test("doctor with three broken settings lists all three and exits 2; run lists them too, all at once")
    func doctorListsEveryProblem() async throws {
        try await Stack.with { stack in
            let cli = try RefundCLI.make(stack)
            defer { cli.cleanUp() }
            let broken = [
                "RECON_LOG_LEVEL": "verbose", "MPESA_PASSKEY": "x",
                "MPESA_CALLBACK_URL": "https://lms.example.com/mpesa/callback/?token=\(Stack.token)",
            ]
            let doctor = try await cli.run(["doctor"], extra: broken)
            #expect(doctor.status == 2, "\(doctor.stdout)\n\(doctor.stderr)")
            for variable in ["RECON_LOG_LEVEL", "MPESA_PASSKEY", "MPESA_CALLBACK_URL"] {
                #expect(doctor.stdout.contains("FAIL  configuration: \(variable) "), "\(doctor.stdout)")
            }
            #expect(doctor.stdout.contains("a word Daraja rejects"))
            #expect(!doctor.stdout.contains(Stack.token), "the callback token must never be printed")

            let json = try await cli.run(["doctor", "--json"], extra: broken)
            let object = try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any]
            let checks = object?["checks"] as? [[String: Any]] ?? []
            let failing = Set(
                checks.filter { $0["status"] as? String == "fail" }.compactMap { $0["variable"] as? String })
            #expect(failing == ["RECON_LOG_LEVEL", "MPESA_PASSKEY", "MPESA_CALLBACK_URL"], "\(json.stdout)")
            #expect(object?["passed"] as? Bool == false)

            let run = try await cli.run(["run"], extra: broken)
            #expect(run.status == 2)
            let lines = run.stderr.split(separator: "\n").filter { $0.hasPrefix("mpesa-recon: configuration:") }
            #expect(lines.count == 3, "\(run.stderr)")
        }
    }

    @Test("doctor passes on a working configuration: database, migrations, OAuth, callback token")
    func doctorPasses() async throws {
        try await Stack.with { stack in
            let cli = try RefundCLI.make(stack)
            defer { cli.cleanUp() }
            let result = try await cli.run(["doctor"])
            #expect(result.status == 0, "\(result.stdout)\n\(result.stderr)")
            for area in ["database: reachable", "migrations: current", "daraja-oauth: a token was issued"] {
                #expect(result.stdout.contains("PASS  \(area)"), "\(result.stdout)")
            }
            #expect(result.stdout.contains("PASS  callback-url: MPESA_CALLBACK_URL carries the callback token"))
            #expect(result.stdout.contains("PASS  callback-reachable: MPESA_CALLBACK_URL answers from here"))
            #expect(result.stdout.contains("PASS  accounts: 3 active admin accounts"), "\(result.stdout)")
            // With one admin left, maker-checker cannot work: doctor says so.
            try await stack.db.query(
                "UPDATE users SET is_active = false WHERE email IN ('bob@example.com', 'carol@example.com')")
            let alone = try await cli.run(["doctor"])
            #expect(
                alone.status == 1 && alone.stdout.contains("FAIL  accounts: 1 active admin account(s)"),
                "\(alone.stdout)")
            try await stack.db.query("UPDATE users SET is_active = true")
            await stack.simulatorServer.stop()
            let down = try await cli.run(["doctor"])
            #expect(
                down.status == 1 && down.stdout.contains("FAIL  daraja-oauth: Daraja not reached"), "\(down.stdout)")
            await stack.callbackServer.stop()
            let unreachable = try await cli.run(["doctor"])
            #expect(
                unreachable.status == 1
                    && unreachable.stdout.contains("FAIL  callback-reachable: MPESA_CALLBACK_URL cannot be reached"),
                "\(unreachable.stdout)")
            #expect(!unreachable.stdout.contains(Stack.token), "the callback token must never be printed")
        }
    }

    @Test("--version of daraja-sim (mpesa-recon's, with its schema: SchemaVersionCLITests)")
    func versions() async throws {
        for name in ["daraja-sim"] {
            let result = try await Subprocess.run(try Subprocess.binary(name), ["--version"], environment: [:])
            #expect(
                result.status == 0
                    && result.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == ReconVersion.current)
        }
    }

    /// The families of a `/metrics` text, read by `prometheus_client.parser` (PyPI `prometheus-client`).
    static func parseMetrics(_ text: String) throws -> [String: [String: Any]] {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("metrics-\(UUID().uuidString).txt")
        try Data(text.utf8).write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("Scripts/parse_metrics.py")
        let output = try ProcessRunner.runBlocking(
            URL(fileURLWithPath: "/usr/bin/env"), ["python3", script.path, file.path])
        try #require(output.status == 0, "parse_metrics.py failed (is prometheus-client installed?): \(output.stderr)")
        return try #require(JSONSerialization.jsonObject(with: Data(output.stdout.utf8)) as? [String: [String: Any]])
    }

    static func samples(_ families: [String: [String: Any]], _ name: String) -> [[String: Any]] {
        families[name]?["samples"] as? [[String: Any]] ?? []
    }

    @Test("/metrics parses with prometheus_client and has every series, with HELP, before the first callback")
    func metricsFromTheStart() async throws {
        try await Stack.with { stack in
            let before = try await stack.http.send(
                .get(stack.callbackServer.baseURL + "/metrics", headers: [Stack.metricsAuthorization]))
            #expect(before.status == 200)
            let text = String(decoding: before.body, as: UTF8.self)
            #expect(
                text.contains("# HELP mpesa_recon_payments_pending ")
                    && text.contains("# TYPE mpesa_recon_payments_pending gauge"))
            let families = try Self.parseMetrics(text)
            let gauges = [
                "mpesa_recon_payments_pending", "mpesa_recon_oldest_pending_payment_age_seconds",
                "mpesa_recon_exceptions_open", "mpesa_recon_refunds_approved_unsent",
                "mpesa_recon_last_successful_run_timestamp_seconds", "mpesa_recon_spool_bytes",
            ]
            for name in gauges {
                #expect(families[name]?["type"] as? String == "gauge", "\(name) missing: \(families.keys.sorted())")
                #expect((families[name]?["help"] as? String ?? "").isEmpty == false, "\(name) has no HELP")
            }
            let kinds = Set(
                Self.samples(families, "mpesa_recon_exceptions_open").compactMap {
                    ($0["labels"] as? [String: String])?["kind"]
                })
            #expect(kinds == Set(ExceptionKind.allCases.map(\.rawValue)))
            // prometheus_client names a counter family without its _total suffix.
            let received = Self.samples(families, "mpesa_recon_callbacks_received")
            #expect(families["mpesa_recon_callbacks_received"]?["type"] as? String == "counter")
            let routes = Set(received.compactMap { ($0["labels"] as? [String: String])?["route"] })
            #expect(routes == Set(CallbackKind.allCases.map(\.rawValue)))
            #expect(routes.isSuperset(of: ["stk", "b2c_result", "b2c_timeout", "c2b_confirmation", "c2b_validation"]))
            #expect(received.allSatisfy { ($0["value"] as? Double) == 0 })
            #expect(!Self.samples(families, "mpesa_recon_callbacks_processed").isEmpty)

            // A pending payment, one stored callback and a successful run move the series.
            let checkout = "ws_CO_OPS_METRICS_1"
            _ = try await stack.seedPending(checkoutID: "ws_CO_OPS_METRICS_PENDING")
            _ = try await stack.post(body: Bodies.success(checkout))
            let cli = try RefundCLI.make(stack)
            defer { cli.cleanUp() }
            try await stack.db.query("UPDATE payments SET next_check_at = now() + interval '1 hour'")
            let run = try await cli.run(["run", "--no-reports"])
            #expect(run.status == 0, "\(run.stderr)")
            let after = try Self.parseMetrics(
                String(
                    decoding: try await stack.http.send(
                        .get(stack.callbackServer.baseURL + "/metrics", headers: [Stack.metricsAuthorization])
                    ).body,
                    as: UTF8.self))
            let stored = Self.samples(after, "mpesa_recon_callbacks_received").first {
                ($0["labels"] as? [String: String]) == ["route": "stk", "outcome": "stored"]
            }
            #expect(stored?["value"] as? Double == 1)
            #expect(Self.samples(after, "mpesa_recon_payments_pending").first?["value"] as? Double == 1)
            let lastRun = Self.samples(after, "mpesa_recon_last_successful_run_timestamp_seconds").first?["value"]
            #expect((lastRun as? Double ?? 0) > Date().timeIntervalSince1970 - 300)
        }
    }

    @Test("RECON_LOG_FORMAT=json: every stderr line is a JSON object with a zoned timestamp, problem lines included")
    func jsonLogs() async throws {
        try await Stack.with { stack in
            _ = try await stack.seedPending(checkoutID: "ws_CO_OPS_JSONLOG_1")
            let cli = try RefundCLI.make(stack)
            defer { cli.cleanUp() }
            await stack.simulatorServer.stop()
            let result = try await cli.run(
                ["run", "--no-reports"], extra: ["RECON_LOG_FORMAT": "json", "RECON_LOG_LEVEL": "info"])
            #expect(result.status == 1)
            let lines = result.stderr.split(separator: "\n")
            #expect(!lines.isEmpty)
            var messages: [String] = []
            for line in lines {
                let object = try #require(
                    try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any], "not JSON: \(line)")
                let timestamp = try #require(object["timestamp"] as? String)
                #expect(timestamp.hasSuffix("+03:00") && timestamp.count == 29, "\(timestamp)")
                #expect(object["level"] is String && object["metadata"] is [String: Any])
                messages.append(object["message"] as? String ?? "")
            }
            #expect(messages.contains { $0.hasPrefix("settle: Daraja unreachable: transport failure") }, "\(messages)")
        }
    }

    @Test("--env-file is read by logging too: RECON_LOG_FORMAT=json in that file makes stderr JSON")
    func logSettingsFromEnvFile() async throws {
        try await Stack.with { stack in
            _ = try await stack.seedPending(checkoutID: "ws_CO_OPS_JSONLOG_2")
            let cli = try RefundCLI.make(stack)
            defer { cli.cleanUp() }
            await stack.simulatorServer.stop()
            let settings = cli.workDirectory.appendingPathComponent("logging.env")
            try Data("RECON_LOG_FORMAT=json\n".utf8).write(to: settings)
            let result = try await cli.run(["run", "--no-reports", "--env-file", settings.path])
            #expect(result.status == 1)
            let lines = result.stderr.split(separator: "\n")
            #expect(!lines.isEmpty)
            for line in lines {
                let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
                #expect(object?["message"] is String, "not JSON: \(line)")
            }
        }
    }
}
