import DarajaSimulator
import Foundation
import ReconApp
import ReconCore
import ReconHTTP
import ReconPostgres
import ReconTestSupport
import Testing

@Suite("The real executables: pay, settle killed mid-run, the run lock, daraja-sim")
struct ProcessTests {
    @Test("pay creates a pending payment that the simulator's ledger shows; its callback then completes it")
    func pay() async throws {
        try await Stack.with { stack in
            let started = try await stack.pay()
            #expect(started.status == "pending" && started.amount == "5000.00" && started.phone == "2547****4149")
            let checkoutID = try #require(started.checkoutRequestID)
            let ledger = await stack.simulator.ledger()
            #expect(ledger.stk.map(\.checkoutRequestID) == [checkoutID])
            #expect(ledger.stk.first?.amount == 5000 && ledger.stk.first?.phone == "254708374149")
            #expect(ledger.stk.first?.accountReference == "COURSE\(started.courseID)")
            await stack.waitForCallbacks()
            let payment = try #require(try await stack.payment(started.id))
            #expect(payment.state.status == .completed && payment.state.receipt == ledger.stk.first?.receipt)
        }
    }

    @Test("mpesa-recon pay --json prints the row; bad input exits 2 with the reason")
    func payCommand() async throws {
        try await Stack.with { stack in
            let (user, course) = try await stack.seedLearner(price: 1500)
            let binary = try Subprocess.binary("mpesa-recon")
            let env = Subprocess.environment(stack)
            let result = try await Subprocess.run(
                binary, ["pay", "--user", "\(user)", "--course", "\(course)", "--phone", "0708374149", "--json"],
                environment: env)
            #expect(result.status == 0)
            let object = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any]
            #expect(object?["status"] as? String == "pending" && object?["amount"] as? String == "1500.00")
            #expect(!result.stdout.contains("254708374149"))
            let bad = try await Subprocess.run(
                binary, ["pay", "--user", "\(user)", "--course", "\(course)", "--phone", "0212345678"], environment: env
            )
            #expect(bad.status == 2 && bad.stderr.contains("--phone"))
            var missing = env
            missing["MPESA_PASSKEY"] = nil
            let unconfigured = try await Subprocess.run(
                binary, ["pay", "--user", "\(user)", "--course", "\(course)", "--phone", "0708374149"],
                environment: missing)
            #expect(unconfigured.status == 2 && unconfigured.stderr.contains("MPESA_PASSKEY"))
        }
    }

    @Test("settle killed with SIGKILL mid-run leaves nothing half-written, and the next run finishes the work")
    func killedMidRun() async throws {
        let clock = TestClock(.runningWithWallClock)
        try await Stack.with(clock: clock) { stack in
            let count = 40
            await stack.simulator.enqueue(
                Array(repeating: StkPlan(outcome: .paid, delivery: .lost, processingMs: 0), count: count))
            var ids: [Int64] = []
            for _ in 0..<count { ids.append(try await stack.pay().id) }
            try await stack.makeDue()
            var faults = Faults()
            faults.slowMs = 40
            await stack.simulator.setFaults(faults)
            // Killed once some payments are settled, whatever the machine's speed.
            let db = stack.db
            let result = try await Subprocess.run(
                try Subprocess.binary("mpesa-recon"), ["settle", "--rate", "25", "--concurrency", "2", "--lease", "1"],
                environment: Subprocess.environment(stack),
                killWhen: {
                    let done = try? await db.query("SELECT count(*) AS n FROM payments WHERE status = 'completed'")
                        .first?.decode(Int.self, "n")
                    return (done ?? 0) >= 5
                })
            #expect(result.killed)
            var settled = 0
            for id in ids {
                let payment = try #require(try await stack.payment(id))
                let events = try await stack.count(
                    "SELECT count(*) FROM payment_events WHERE payment_id = \(id) AND source = 'query'")
                if payment.state.status == .pending {
                    // Untouched: no attempt used, no event, no enrollment.
                    #expect(payment.state.checkAttempts == 0 && events == 0)
                    #expect(try await stack.count("SELECT count(*) FROM enrollments WHERE payment_id = \(id)") == 0)
                } else {
                    // Fully updated: status, event and enrollment together.
                    settled += 1
                    #expect(payment.state.status == .completed && events == 1)
                    #expect(try await stack.count("SELECT count(*) FROM enrollments WHERE payment_id = \(id)") == 1)
                }
            }
            #expect(settled > 0 && settled < count)
            // The dead run's claims expire after the lease (1 s); the next run, 1.2 s later, picks up the rest.
            await stack.simulator.setFaults(Faults())
            clock.advance(by: .milliseconds(1_200))
            let summary = try await stack.settle()
            #expect(summary.claimed == count - settled)
            #expect(try await stack.count("SELECT count(*) FROM payments WHERE status = 'completed'") == count)
            #expect(try await stack.count("SELECT count(*) FROM enrollments") == count)
        }
    }

    @Test("a second run while one holds the lock exits 75 at once and says so")
    func runLock() async throws {
        try await Stack.with { stack in
            let lock = try #require(try await RunLock.acquire(stack.database.settings))
            let result = try await Subprocess.run(
                try Subprocess.binary("mpesa-recon"), ["run"], environment: Subprocess.environment(stack))
            #expect(result.status == 75 && result.stderr.contains("another run holds the lock"))
            await lock.release()
            let free = try await Subprocess.run(
                try Subprocess.binary("mpesa-recon"), ["run", "--json"], environment: Subprocess.environment(stack))
            #expect(free.status == 0)
        }
    }

    @Test("daraja-sim --help describes it; it starts on a given port and its ledger is JSON")
    func darajaSim() async throws {
        let binary = try Subprocess.binary("daraja-sim")
        let help = try await Subprocess.run(binary, ["--help"], environment: [:])
        #expect(help.status == 0 && help.stdout.contains("USAGE: daraja-sim") && help.stdout.contains("--port"))
        let portFile = FileManager.default.temporaryDirectory.appendingPathComponent("sim-port-\(UUID().uuidString)")
        let process = Process()
        process.executableURL = binary
        process.arguments = ["--port", "0", "--port-file", portFile.path]
        process.standardError = FileHandle.nullDevice
        try process.run()
        defer {
            process.terminate()
            process.waitUntilExit()
            try? FileManager.default.removeItem(at: portFile)
        }
        var port: Int?
        for _ in 0..<100 where port == nil {
            try await Task.sleep(for: .milliseconds(50))
            port = (try? String(contentsOf: portFile, encoding: .utf8)).flatMap {
                Int($0.trimmingCharacters(in: .whitespacesAndNewlines))
            }
        }
        let bound = try #require(port)
        let response = try await HTTPClient().send(.get("http://127.0.0.1:\(bound)/sim/ledger"))
        #expect(response.status == 200)
        let ledger = try JSONDecoder().decode(LedgerShape.self, from: Data(response.body))
        #expect(ledger.stk.isEmpty && ledger.payouts.isEmpty)
    }

    struct LedgerShape: Decodable {
        var stk: [[String: String?]]
        var payouts: [[String: String?]]
    }
}
