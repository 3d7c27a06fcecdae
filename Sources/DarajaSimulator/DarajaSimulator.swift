import Foundation
public import Hummingbird
public import Logging
import NIOCore
import ReconHTTP

/// A local Daraja for tests, the demo and benchmarks (ARCHITECTURE.md §10): the real routes, validations and
/// error envelopes, seeded outcomes, late/doubled/lost callbacks, switchable faults, and a ledger of
/// what really happened.
public final class DarajaSimulator: Sendable {
    let state: SimulatorState
    let poster: CallbackPoster
    let decryptCredential: @Sendable (String) -> String?
    let logger: Logger

    /// A simulator. `decryptCredential` turns a SecurityCredential into the initiator password, or `nil`.
    public init(
        configuration: SimulatorConfiguration = SimulatorConfiguration(),
        decryptCredential: @escaping @Sendable (String) -> String?,
        logger: Logger = Logger(label: "daraja-sim")
    ) {
        self.state = SimulatorState(configuration: configuration)
        self.poster = CallbackPoster(logger: logger)
        self.decryptCredential = decryptCredential
        self.logger = logger
    }

    /// The Hummingbird router with every Daraja route and the `/sim/…` control API.
    public func router() -> Router<BasicRequestContext> {
        let router = Router()
        router.get("/oauth/v1/generate") { request, _ in
            let now = Date()
            if let fault = await self.applyFaults(now: now) { return fault }
            let answer = await self.state.issueToken(
                authorization: request.headers[.authorization],
                grantType: request.uri.queryParameters.get("grant_type"), now: now)
            return await self.respond(answer)
        }
        router.post("/mpesa/stkpush/v1/processrequest") { request, _ in
            try await self.handle(request) { body, now in
                let (answer, deliveries) = await self.state.stkPush(body, now: now)
                self.poster.schedule(deliveries, state: self.state)
                return answer
            }
        }
        router.post("/mpesa/stkpushquery/v1/query") { request, _ in
            try await self.handle(request) { body, now in await self.state.stkQuery(body, now: now) }
        }
        router.post("/mpesa/b2c/v3/paymentrequest") { request, _ in
            try await self.handle(request) { body, now in
                let password = body.text("SecurityCredential").flatMap(self.decryptCredential)
                let ok = password == self.state.configuration.initiatorPassword
                let (answer, deliveries) = await self.state.b2c(body, credentialOK: ok, now: now)
                self.poster.schedule(deliveries, state: self.state)
                return answer
            }
        }
        router.post("/mpesa/transactionstatus/v1/query") { request, _ in
            try await self.handle(request) { body, now in
                let password = body.text("SecurityCredential").flatMap(self.decryptCredential)
                let ok = password == self.state.configuration.initiatorPassword
                let (answer, deliveries) = await self.state.transactionStatus(body, credentialOK: ok, now: now)
                self.poster.schedule(deliveries, state: self.state)
                return answer
            }
        }
        addControlRoutes(router)
        addStatementRoutes(router)
        addC2BRoutes(router)
        return router
    }

    private func addControlRoutes(_ router: Router<BasicRequestContext>) {
        router.get("/sim/ledger") { _, _ in
            Self.jsonResponse(200, try Self.encoder.encode(await self.state.ledger()))
        }
        router.post("/sim/scenario") { request, _ in
            let scenario = try Self.decoder.decode(Scenario.self, from: try await Self.bodyData(request))
            await self.state.setScenario(scenario)
            return Self.jsonResponse(200, Data(#"{"ok":true}"#.utf8))
        }
        router.post("/sim/faults") { request, _ in
            let faults = try Self.decoder.decode(Faults.self, from: try await Self.bodyData(request))
            await self.state.setFaults(faults)
            return Self.jsonResponse(200, Data(#"{"ok":true}"#.utf8))
        }
        router.post("/sim/plans/stk") { request, _ in
            let plans = try Self.decoder.decode([StkPlan].self, from: try await Self.bodyData(request))
            await self.state.enqueue(stk: plans)
            return Self.jsonResponse(200, Data(#"{"ok":true}"#.utf8))
        }
        router.post("/sim/plans/b2c") { request, _ in
            let plans = try Self.decoder.decode([B2COutcome].self, from: try await Self.bodyData(request))
            await self.state.enqueue(b2c: plans)
            return Self.jsonResponse(200, Data(#"{"ok":true}"#.utf8))
        }
        router.post("/sim/expire-tokens") { _, _ in
            await self.state.expireTokens()
            return Self.jsonResponse(200, Data(#"{"ok":true}"#.utf8))
        }
        router.post("/sim/reset") { _, _ in
            await self.state.reset()
            return Self.jsonResponse(200, Data(#"{"ok":true}"#.utf8))
        }
        router.get("/sim/certificate") { _, _ in
            Response(
                status: .ok, headers: [.contentType: "application/x-pem-file"],
                body: .init(byteBuffer: ByteBuffer(string: SimulatorKeys.certificatePEM)))
        }
    }

    // MARK: Direct control (tests and the demo in the same process)

    /// What really happened so far.
    public func ledger() async -> Ledger { await state.ledger() }
    /// Sets the weighted scenario.
    public func setScenario(_ scenario: Scenario) async { await state.setScenario(scenario) }
    /// Sets the faults.
    public func setFaults(_ faults: Faults) async { await state.setFaults(faults) }
    /// Queues explicit plans for the next STK Pushes.
    public func enqueue(_ plans: [StkPlan]) async { await state.enqueue(stk: plans) }
    /// Queues explicit outcomes for the next B2C requests.
    public func enqueue(_ plans: [B2COutcome]) async { await state.enqueue(b2c: plans) }
    /// Invalidates every access token now.
    public func expireTokens() async { await state.expireTokens() }
    /// Waits until every scheduled callback has been posted.
    public func waitForCallbacks() async { await poster.waitForIdle() }

    // MARK: Plumbing

    static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        encoder.dateEncodingStrategy = .iso8601
        return encoder
    }()

    static let decoder: JSONDecoder = {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return decoder
    }()

    func handle(
        _ request: Request, _ body: @Sendable (Fields, Date) async -> SimAnswer
    ) async throws -> Response {
        let now = Date()
        if let fault = await applyFaults(now: now) { return fault }
        if let refused = await state.checkToken(request.headers[.authorization], now: now) {
            return await respond(refused)
        }
        guard request.headers[.contentType]?.lowercased().hasPrefix("application/json") == true else {
            return await respond(
                .envelope(400, code: "400.002.02", message: "Bad Request - Invalid Content-Type", requestID: "sim"))
        }
        let data = try await Self.bodyData(request)
        guard let object = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] else {
            return await respond(
                .envelope(400, code: "400.002.02", message: "Bad Request - Invalid JSON", requestID: "sim"))
        }
        let answer = await body(Fields(object), now)
        return await respond(answer)
    }

    private func applyFaults(now: Date) async -> Response? {
        let (answer, slowMs) = await state.fault(now: now)
        if slowMs > 0 { try? await Task.sleep(for: .milliseconds(slowMs)) }
        guard let answer else { return nil }
        return Self.jsonResponse(answer.status, Data(answer.body))
    }

    private func respond(_ answer: SimAnswer) async -> Response {
        let final = await state.maybeMalform(answer)
        return Self.jsonResponse(final.status, Data(final.body))
    }

    static func jsonResponse(_ status: Int, _ body: Data) -> Response {
        Response(
            status: HTTPResponse.Status(code: status), headers: [.contentType: "application/json"],
            body: .init(byteBuffer: ByteBuffer(bytes: body)))
    }

    static func bodyData(_ request: Request) async throws -> Data {
        var request = request
        let buffer = try await request.collectBody(upTo: 1 << 20)
        return Data(buffer.readableBytesView)
    }
}
