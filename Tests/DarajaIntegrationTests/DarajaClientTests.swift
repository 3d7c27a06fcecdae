import Daraja
import DarajaSimulator
import Foundation
import ReconCore
import ReconHTTP
import Testing

@Suite("Daraja client against the simulator over loopback HTTP")
struct DarajaClientTests {
    func push(_ h: SimulatorHarness, amount: Int64 = 10) async throws -> String {
        let outcome = await h.client.stkPush(
            phone: try SimulatorHarness.phone(), amount: Money(minorUnits: amount * 100), accountReference: "COURSE1",
            description: "Course fee")
        guard case .accepted(let checkoutID, _) = outcome else {
            Issue.record("push not accepted: \(outcome)")
            return ""
        }
        return checkoutID
    }

    /// Queries until the answer is no longer in flight (the simulator resolves after `processingMs`).
    func settle(_ h: SimulatorHarness, _ id: String) async -> StkAnswer {
        for _ in 0..<100 {
            let answer = await h.client.stkQuery(checkoutRequestID: id)
            if case .inFlight = answer {
                try? await Task.sleep(for: .milliseconds(20))
                continue
            }
            return answer
        }
        return .notUnderstood("never settled")
    }

    @Test(
        "each STK outcome is classified on its code",
        arguments: [
            (StkOutcome.paid, "paid"), (.cancelled, "1032"), (.noResponse, "1037"), (.insufficientFunds, "1"),
            (.wrongPin, "2001"), (.undocumentedCode, "not understood"),
        ])
    func outcomes(outcome: StkOutcome, expected: String) async throws {
        try await SimulatorHarness.with { h in
            await h.simulator.enqueue([StkPlan(outcome: outcome, processingMs: 30)])
            let id = try await push(h)
            let answer = await settle(h, id)
            switch answer {
            case .paid(let details): #expect(expected == "paid" && details == nil)  // the query never has a receipt
            case .failed(let code, _, _): #expect(code == expected)
            case .notUnderstood: #expect(expected == "not understood")
            default: Issue.record("unexpected \(answer)")
            }
            let ledger = await h.simulator.ledger()
            #expect(ledger.stk.first?.checkoutRequestID == id && ledger.stk.first?.outcome == outcome)
        }
    }

    @Test("in flight is reported as 4999 and as 500.001.1001, both 'ask later'")
    func inFlight() async throws {
        try await SimulatorHarness.with { h in
            var scenario = Scenario()
            scenario.processingMs = 60_000
            for percent in [0, 100] {
                scenario.inFlightEnvelopePercent = percent
                await h.simulator.setScenario(scenario)
                let id = try await push(h)
                let answer = await h.client.stkQuery(checkoutRequestID: id)
                #expect(answer == .inFlight(code: percent == 0 ? "4999" : "500.001.1001"))
            }
            // An id Daraja does not know also answers 500.001.1001: never a verdict.
            #expect(await h.client.stkQuery(checkoutRequestID: "ws_CO_unknown") == .inFlight(code: "500.001.1001"))
        }
    }

    @Test("an expired token is renewed once and the call goes through; concurrent callers share one token")
    func tokenExpiry() async throws {
        try await SimulatorHarness.with { h in
            let id = try await push(h)
            #expect(await h.simulator.ledger().tokensIssued == 1)
            await h.simulator.expireTokens()
            let answer = await h.client.stkQuery(checkoutRequestID: id)
            if case .tokenInvalid = answer { Issue.record("token not renewed") }
            #expect(await h.simulator.ledger().tokensIssued == 2)
            #expect(await h.simulator.ledger().faults.invalidToken == 1)
            await withTaskGroup(of: Void.self) { group in
                for _ in 0..<20 { group.addTask { _ = await h.client.stkQuery(checkoutRequestID: id) } }
            }
            #expect(await h.simulator.ledger().tokensIssued == 2)
        }
    }

    @Test("spike arrest is classified as throttled, in Daraja's envelope and as an Apigee fault")
    func spikeArrest() async throws {
        try await SimulatorHarness.with { h in
            let id = try await push(h)
            for apigee in [false, true] {
                var faults = Faults()
                faults.rateLimitPerSecond = 1
                faults.apigeeFaultBodies = apigee
                await h.simulator.setFaults(faults)
                // Five at once against a budget of one per second: at least one is arrested, whatever the timing.
                var answers: [StkAnswer] = []
                for _ in 0..<5 { answers.append(await h.client.stkQuery(checkoutRequestID: id)) }
                let throttled = answers.filter { if case .throttled = $0 { true } else { false } }
                #expect(!throttled.isEmpty)
                #expect(
                    answers.allSatisfy { answer in
                        switch answer {
                        case .throttled, .paid, .inFlight: true
                        default: false
                        }
                    })
            }
            #expect(await h.simulator.ledger().faults.spikeArrest >= 2)
        }
    }

    @Test("server errors and malformed bodies are 'no answer', never a verdict")
    func faults() async throws {
        try await SimulatorHarness.with { h in
            let id = try await push(h)
            var faults = Faults()
            faults.serverErrorPercent = 100
            await h.simulator.setFaults(faults)
            let error = await h.client.stkQuery(checkoutRequestID: id)
            guard case .transportFailure = error else { throw Unexpected(error) }
            faults = Faults()
            faults.malformedPercent = 100
            await h.simulator.setFaults(faults)
            try await Task.sleep(for: .milliseconds(300))
            let malformed = await h.client.stkQuery(checkoutRequestID: id)
            guard case .transportFailure = malformed else { throw Unexpected(malformed) }
        }
    }

    @Test("Daraja's rejections of a push are reported with their code; bad input never leaves the machine")
    func pushRejections() async throws {
        try await SimulatorHarness.with { h in
            let tooBig = await h.client.stkPush(
                phone: try SimulatorHarness.phone(), amount: Money(minorUnits: 25_000_100), accountReference: "C1",
                description: "x")
            guard case .invalid = tooBig else { throw Unexpected(tooBig) }
            let cents = await h.client.stkPush(
                phone: try SimulatorHarness.phone(), amount: Money(minorUnits: 150), accountReference: "C1",
                description: "x")
            guard case .invalid = cents else { throw Unexpected(cents) }
            #expect(await h.simulator.ledger().stk.isEmpty)

            var wrong = h.client.configuration
            wrong.passkey = "not-the-passkey"
            let client = DarajaClient(configuration: wrong, http: h.http)
            let rejected = await client.stkPush(
                phone: try SimulatorHarness.phone(), amount: Money(minorUnits: 100), accountReference: "C1",
                description: "x")
            #expect(rejected == .rejected(code: "500.001.1001", message: "[MerchantValidate] - Wrong credentials"))
        }
    }

    @Test("a push answered 200 with a body that cannot be read is 'no answer', never a rejection")
    func unreadablePushAnswer() async throws {
        try await SimulatorHarness.with { h in
            _ = try await h.client.accessToken()
            var faults = Faults()
            faults.malformedPercent = 100
            await h.simulator.setFaults(faults)
            let outcome = await h.client.stkPush(
                phone: try SimulatorHarness.phone(), amount: Money(minorUnits: 100), accountReference: "C1",
                description: "x")
            guard case .noAnswer = outcome else { throw Unexpected(outcome) }
            // The simulator did accept it: a prompt went out, which is why this must not become "failed".
            #expect(await h.simulator.ledger().stk.count == 1)
        }
    }

    @Test("wrong consumer credentials give a clear error that leaks no secret")
    func badCredentials() async throws {
        try await SimulatorHarness.with { h in
            var wrong = h.client.configuration
            wrong.consumerSecret = "hunter2-secret"
            let client = DarajaClient(configuration: wrong, http: h.http)
            let error = await #expect(throws: DarajaError.self) { _ = try await client.accessToken() }
            #expect(error?.description.contains("400") == true)
            #expect(error?.description.contains("hunter2") == false)
        }
    }

    @Test("B2C: a SecurityCredential the simulator decrypts pays once; the same id again is 'already accepted'")
    func b2c() async throws {
        try await SimulatorHarness.with { h in
            let id = UUID().uuidString.lowercased()
            let first = await h.client.b2cPayment(
                originatorConversationID: id, amount: Money(minorUnits: 50_000), phone: try SimulatorHarness.phone(),
                remarks: "Refund of duplicate payment")
            guard case .accepted = first else { throw Unexpected(first) }
            let again = await h.client.b2cPayment(
                originatorConversationID: id, amount: Money(minorUnits: 50_000), phone: try SimulatorHarness.phone(),
                remarks: "Refund of duplicate payment")
            #expect(again == .alreadyAccepted)
            let ledger = await h.simulator.ledger()
            #expect(ledger.payouts.count == 1)
            #expect(ledger.payouts.first?.paid == true && ledger.payouts.first?.requests == 2)
            #expect(ledger.payouts.first?.resultCode == "0")

            let status = await h.client.transactionStatus(.originalConversationID(id))
            guard case .accepted = status else { throw Unexpected(status) }
        }
    }

    @Test("B2C with a credential made from the wrong password is refused in the result (2001), nothing paid")
    func wrongCredential() async throws {
        try await SimulatorHarness.with { h in
            var configuration = h.client.configuration
            configuration.b2c?.securityCredential = try SecurityCredential.encrypt(
                password: "wrong-password", certificatePEM: SimulatorKeys.certificatePEM.utf8)
            let client = DarajaClient(configuration: configuration, http: h.http)
            let outcome = await client.b2cPayment(
                originatorConversationID: UUID().uuidString, amount: Money(minorUnits: 10_000),
                phone: try SimulatorHarness.phone(), remarks: "Refund")
            guard case .accepted = outcome else { throw Unexpected(outcome) }
            let payout = await h.simulator.ledger().payouts.first
            #expect(payout?.paid == false && payout?.resultCode == "2001")
        }
    }
}

struct Unexpected: Error, CustomStringConvertible {
    let value: String
    init(_ value: Any) { self.value = "\(value)" }
    var description: String { "unexpected: \(value)" }
}
