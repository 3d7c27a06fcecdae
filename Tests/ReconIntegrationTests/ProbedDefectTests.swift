import Daraja
import DarajaSimulator
import Foundation
import ReconApp
import ReconCore
import ReconHTTP
import ReconPostgres
import ReconTestSupport
import Testing

/// Defects found by probing the code with hostile input (a NUL in callback strings, a push that was never sent):
/// each test failed before its fix.
@Suite("Probed defects: NUL in callback strings, a push that was never sent")
struct ProbedDefectTests {
    @Test(
        "a callback string with U+0000 is stored, marked malformed and never applied",
        arguments: [
            (checkout: #"ws_CO_E_1\u0000evil"#, receipt: "QKH94M1Z11"),
            (checkout: "ws_CO_E_1", receipt: #"EDG\u0000NUL12"#),
        ])
    func nulInCallbackStrings(checkout: String, receipt: String) async throws {
        try await Stack.with { stack in
            let id = try await stack.seedPending(checkoutID: "ws_CO_E_1")
            let before = try #require(try await stack.payment(id))
            let response = try await stack.post(body: Bodies.success(checkout, receipt: receipt))
            #expect(response.status == 200)
            let after = try #require(try await stack.payment(id))
            #expect(after == before)
            #expect(try await stack.count("SELECT count(*) FROM callback_inbox WHERE outcome = 'malformed'") == 1)
            #expect(try await stack.count("SELECT count(*) FROM callback_inbox") == 1)
            #expect(try await stack.count("SELECT count(*) FROM payment_events WHERE payment_id = \(id)") == 0)
            #expect(try await stack.count("SELECT count(*) FROM enrollments") == 0)
            #expect(try await stack.count("SELECT count(*) FROM payments WHERE mpesa_receipt LIKE 'EDG%'") == 0)
        }
    }

    @Test("the database wrapper refuses text with a NUL instead of cutting it short")
    func wrapperRefusesNUL() async throws {
        try await DatabaseStack.with { stack in
            let id = try await stack.seedPending(checkoutID: "ws_CO_N")
            let cut = "ws_CO_N\u{0}evil"
            await #expect(throws: PostgresError.self) {
                try await stack.db.query("SELECT id FROM payments WHERE checkout_request_id = \(cut)")
            }
            do {
                _ = try await stack.db.query("UPDATE payments SET mpesa_receipt = \("EDG\u{0}X") WHERE id = \(id)")
                Issue.record("a NUL reached the database")
            } catch let error as PostgresError {
                #expect(error.code == .invalidText)
                #expect(error.description.contains("NUL") && error.description.contains("$1"))
            }
            #expect(try await stack.payment(id)?.state.receipt == nil)
        }
    }

    @Test("pay against a closed port: exit 1, one line on stderr, the payment failed with no finding")
    func payNeverSent() async throws {
        try await Stack.with { stack in
            let (user, course) = try await stack.seedLearner()
            var env = Subprocess.environment(stack)
            env["MPESA_BASE_URL"] = "http://127.0.0.1:\(try Self.closedPort())"
            let result = try await Subprocess.run(
                try Subprocess.binary("mpesa-recon"),
                ["pay", "--user", "\(user)", "--course", "\(course)", "--phone", "0708374149"], environment: env)
            #expect(result.status == 1)
            let lines = result.stderr.split(separator: "\n").filter { !$0.isEmpty }
            #expect(lines.count == 1)
            #expect(lines.first?.contains("never sent") == true)
            #expect(!result.stderr.contains("0708374149") && !result.stderr.contains("708374149"))
            #expect(try await stack.count("SELECT count(*) FROM payments WHERE status = 'failed'") == 1)
            #expect(
                try await stack.count(
                    "SELECT count(*) FROM payments WHERE result_desc LIKE 'not_sent: %' AND checkout_request_id IS NULL"
                ) == 1)
            #expect(try await stack.count("SELECT count(*) FROM reconciliation_exceptions") == 0)
            #expect(
                try await stack.count(
                    "SELECT count(*) FROM payment_events WHERE source = 'pay' AND to_status = 'failed'") == 1)
        }
    }

    @Test("a push that went out and got no usable answer still makes the payment unknown for a person")
    func sentNoAnswerStaysUnknown() async throws {
        try await Stack.with { stack in
            _ = try await stack.client.accessToken()
            var faults = Faults()
            faults.malformedPercent = 100
            await stack.simulator.setFaults(faults)
            let started = try await stack.pay()
            #expect(started.status == "unknown")
            #expect(
                try await stack.count("SELECT count(*) FROM reconciliation_exceptions WHERE kind = 'unresolved'") == 1)
        }
    }

    /// A loopback port nothing listens on: bound, read, and closed again.
    static func closedPort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw SubprocessError(message: "socket() failed") }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { generic in
                bind(fd, generic, length) == 0 && getsockname(fd, generic, &length) == 0
            }
        }
        guard bound else { throw SubprocessError(message: "bind() failed") }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}
