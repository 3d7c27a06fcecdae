import Foundation
import HTTPServerKit
import ReconCore
import ReconHTTP
import ReconPostgres
import ReconServer
import ReconTestSupport
import Testing

@Suite("Mutated callback bodies through the real endpoint")
struct CallbackFuzzTests {
    @Test("every mutated body is stored byte for byte and classified; none moves a payment it does not name")
    func mutatedBodiesAreStoredAndClassified() async throws {
        try await Stack.with { stack in
            let id = try await stack.seedPending(checkoutID: "ws_CO_FUZZ")
            let original = Array(Bodies.success("ws_CO_FUZZ").utf8)
            var generator = SeededGenerator(seed: 0x5AFA_41C0)
            let alphabet = Array("{}[]\":,0123456789.eE-+ \\utrfn".utf8) + [0x00, 0xFF, 0xC3]
            var sent: [[UInt8]] = []
            for _ in 0..<150 {
                var mutated = original
                for _ in 0..<Int(generator.next() % 4 + 1) {
                    let position = Int(generator.next() % UInt64(mutated.count))
                    mutated[position] = alphabet[Int(generator.next() % UInt64(alphabet.count))]
                }
                let response = try await stack.http.send(
                    .postJSON(
                        stack.callbackServer.baseURL + "/api/payments/callback/?token=\(Stack.token)", body: mutated))
                #expect(response.status == 200)
                sent.append(mutated)
            }
            await stack.endpoint.caughtUp()
            let stored = try await stack.db.query(
                "SELECT encode(body, 'hex') AS hex, outcome, processed_at IS NOT NULL AS done FROM callback_inbox ORDER BY id"
            )
            #expect(stored.rows.count == sent.count)
            for (row, body) in zip(stored.rows, sent) {
                #expect(try row.decode(String.self, "hex") == body.map { String(format: "%02x", $0) }.joined())
                let outcome = try row.decode(String?.self, "outcome")
                #expect(outcome.flatMap(CallbackOutcome.init(rawValue:)) != nil, "every body gets an outcome")
                #expect(try row.decode(Bool.self, "done"))
            }
            // Only a body that still names this payment may settle it; nothing else was created or moved.
            #expect(try await stack.count("SELECT count(*) FROM payments") == 1)
            let payment = try #require(try await stack.payment(id))
            if payment.state.status != .pending {
                #expect(
                    try await stack.count(
                        "SELECT count(*) FROM callback_inbox WHERE outcome = 'applied' AND reference = 'ws_CO_FUZZ'")
                        >= 1
                )
            }
        }
    }
}
