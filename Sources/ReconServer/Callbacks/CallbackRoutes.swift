public import Foundation
import HTTPServerKit
public import Hummingbird
public import Logging
import NIOCore
import ReconApp
public import ReconCore
import ReconIdentity
public import ReconPostgres
import ServiceLifecycle
import Synchronization

extension CallbackRoutes {
    /// The callbacks group's settings.
    public struct Configuration: Sendable {
        /// The secret every callback URL carries as `?token=…` (`MPESA_CALLBACK_TOKEN`).
        public var callbackToken: String
        /// Source-address policy (allow-list off by default; trusted proxies name the client).
        public var addressPolicy: AddressPolicy
        /// Where bodies go while PostgreSQL is unreachable.
        public var spoolDirectory: URL
        /// Bodies larger than this are refused with 413 (64 KiB).
        public var maxBodyBytes: Int
        /// The settlement schedule, used when a callback reschedules nothing but the state machine needs it.
        public var schedule: RetrySchedule
        /// How often the spool and unprocessed callbacks are retried, in seconds; also the first back-off of a
        /// callback that stays unmatched (doubling up to an hour).
        public var sweepIntervalSeconds: Int
        /// At most this many stored callbacks are retried per sweep (500).
        public var sweepBatchSize: Int
        /// How callbacks are stored and applied in batches.
        public var batching: CallbackBatching
        /// A C2B validation request is answered within this (3 s; M-Pesa waits about 8 s): from local data, else
        /// with the fallback acceptance.
        public var validationDeadline: Duration = .seconds(3)

        /// The settings, with the documented defaults.
        public init(
            callbackToken: String, addressPolicy: AddressPolicy = AddressPolicy(), spoolDirectory: URL,
            maxBodyBytes: Int = 64 * 1024, schedule: RetrySchedule = .standard, sweepIntervalSeconds: Int = 5,
            sweepBatchSize: Int = 500, batching: CallbackBatching = CallbackBatching()
        ) {
            self.callbackToken = callbackToken
            self.addressPolicy = addressPolicy
            self.spoolDirectory = spoolDirectory
            self.maxBodyBytes = maxBodyBytes
            self.schedule = schedule
            self.sweepIntervalSeconds = sweepIntervalSeconds
            self.sweepBatchSize = sweepBatchSize
            self.batching = batching
        }

        /// How the sweep retries stored callbacks.
        var sweepPolicy: InboxSweepPolicy {
            InboxSweepPolicy(batchSize: sweepBatchSize, firstDelaySeconds: sweepIntervalSeconds)
        }
    }
}

/// How the endpoint batches: bodies that arrive together share one INSERT and commit (group commit), and the
/// applier applies many stored callbacks per transaction.
public struct CallbackBatching: Sendable, Equatable {
    /// At most this many bodies are stored with one INSERT and one commit (256).
    public var storeBatchSize = 256
    /// At most this many batches are being stored at once (1: the next batch forms while one commits).
    public var storeWriters = 1
    /// The applier takes at most this many stored callbacks per transaction (2000).
    public var applyBatchSize = 2000

    /// The defaults, or other sizes (each at least 1).
    public init(storeBatchSize: Int = 256, storeWriters: Int = 1, applyBatchSize: Int = 2000) {
        (self.storeBatchSize, self.storeWriters) = (max(1, storeBatchSize), max(1, storeWriters))
        self.applyBatchSize = max(1, applyBatchSize)
    }
}

/// The callback endpoint (ARCHITECTURE.md §6.1): store every body first, apply it once, lose none.
///
/// A request is answered once its body is committed (with the others that arrived meanwhile: ``InboxWriter``);
/// applying it to its payment happens right after, off the request path (``CallbackApplier``).
public final class CallbackRoutes: Sendable {
    let configuration: Configuration
    let pool: ConnectionPool
    let spool: CallbackSpool
    /// What the endpoint counted.
    public let metrics: CallbackMetrics
    let logger: Logger
    let writer: InboxWriter
    let applier: CallbackApplier
    /// When callbacks arrive, are applied and are swept, and how long the sweeper sleeps between passes.
    let clock: any ReconClock

    /// The routes over a connection pool.
    public init(
        configuration: Configuration, pool: ConnectionPool, metrics: CallbackMetrics = CallbackMetrics(),
        logger: Logger = Logger(label: "mpesa-recon.serve"), clock: any ReconClock = .system
    ) {
        self.configuration = configuration
        self.pool = pool
        self.spool = CallbackSpool(directory: configuration.spoolDirectory)
        self.metrics = metrics
        self.logger = logger
        self.clock = clock
        let applier = CallbackApplier(
            pool: pool, batchSize: configuration.batching.applyBatchSize, schedule: configuration.schedule,
            metrics: metrics, logger: logger, clock: clock)
        self.applier = applier
        self.writer = InboxWriter(
            pool: pool, maxBatch: configuration.batching.storeBatchSize,
            maxWriters: configuration.batching.storeWriters
        ) { _ in
            metrics.storedBatch()
            applier.wake()
        }
    }

    /// The services the callbacks need wherever they are served, in start order (shutdown runs in reverse): the
    /// applier, the writer (it wakes the applier), the sweeper (it uses both). The sweeper also runs where the
    /// instance serves only `api` and `console`: stored callbacks are retried by every instance.
    var services: [any Service] { [applier, writer, CallbackSweeper(endpoint: self)] }

    /// Returns once every callback answered before the call has been through the applier (applied, or left for the
    /// sweep after a database error): tests and benchmarks read the outcome after it.
    public func caughtUp() async {
        await applier.caughtUp()
    }

    static let accepted = #"{"ResultCode":0,"ResultDesc":"Accepted"}"#

    /// The `callbacks` group: the STK callback (the LMS's existing path), B2C result and timeout, C2B validation and
    /// confirmation, and the Pull registration's CallBackURL.
    public func addRoutes(to router: Router<ReconRequestContext>) {
        // Hummingbird matches these with or without the trailing slash the LMS's URL has.
        router.post("/api/payments/callback/") { request, context in await self.receive(request, context, kind: .stk) }
        router.post("/api/payments/b2c/result/") { request, context in
            await self.receive(request, context, kind: .b2cResult)
        }
        router.post("/api/payments/b2c/timeout/") { request, context in
            await self.receive(request, context, kind: .b2cTimeout)
        }
        router.post(RouterPath(C2BSettings.confirmationPath)) { request, context in
            await self.receive(request, context, kind: .c2bConfirmation)
        }
        router.post(RouterPath(C2BSettings.validationPath)) { request, context in
            await self.validate(request, context)
        }
        router.post(RouterPath(C2BSettings.pullCallbackPath)) { request, context in
            await self.receive(request, context, kind: .pullCallback)
        }
    }

    static func json(_ status: HTTPResponse.Status, _ body: String) -> Response {
        Response(
            status: status, headers: [.contentType: "application/json"],
            body: .init(byteBuffer: ByteBuffer(string: body)))
    }

    func receive(_ request: Request, _ context: ReconRequestContext, kind: CallbackKind) async -> Response {
        switch await admit(request, context, kind: kind) {
        case .failure(let refusal): return refusal.response
        case .success(let arrival):
            if let failed = await keep(arrival) { return failed }
            return Self.json(.ok, Self.accepted)
        }
    }

    /// A refused request's answer.
    struct Refusal: Error {
        var response: Response
    }

    /// Checks the token, the source address and the body's size; the body as received when all pass. Nothing of a
    /// refused request is read further, stored or applied.
    func admit(
        _ request: Request, _ context: ReconRequestContext, kind: CallbackKind
    ) async -> Result<InboxArrival, Refusal> {
        metrics.count("callbacks_received_total")
        let peer = context.remoteAddress?.ipAddress
        // Every X-Forwarded-For line counts (a proxy may add its own line after the client's).
        let client: String? = peer == nil ? nil : configuration.addressPolicy.clientAddress(request, context)
        // The token is checked first: without it nothing is read, stored or applied.
        let token = request.uri.queryParameters.get("token") ?? ""
        guard constantTimeEqual(token, configuration.callbackToken) else {
            metrics.received(.refusedToken, route: kind)
            logger.warning(
                "callback refused: missing or wrong token",
                metadata: ["recon.callback_kind": "\(kind.rawValue)", "net.peer": "\(client ?? "?")"])
            return .failure(Refusal(response: Self.json(.unauthorized, #"{"ResultCode":1,"ResultDesc":"Rejected"}"#)))
        }
        guard configuration.addressPolicy.allows(client) else {
            metrics.received(.refusedAddress, route: kind)
            logger.warning(
                "callback refused: source address not allowed",
                metadata: ["recon.callback_kind": "\(kind.rawValue)", "net.peer": "\(client ?? "?")"])
            return .failure(Refusal(response: Self.json(.forbidden, #"{"ResultCode":1,"ResultDesc":"Rejected"}"#)))
        }
        let body: [UInt8]
        do {
            var request = request
            let buffer = try await request.collectBody(upTo: configuration.maxBodyBytes)
            body = Array(buffer.readableBytesView)
        } catch let error as any HTTPResponseError where error.status == .contentTooLarge {
            metrics.received(.refusedTooLarge, route: kind)
            logger.warning("callback refused: body too large", metadata: ["recon.callback_kind": "\(kind.rawValue)"])
            return .failure(
                Refusal(response: Self.json(.contentTooLarge, #"{"ResultCode":1,"ResultDesc":"Body too large"}"#)))
        } catch {
            // The client went away or its body stalled past the deadline: nothing was received, nothing stored.
            metrics.received(.incompleteBody, route: kind)
            logger.warning("callback body incomplete", metadata: ["recon.callback_kind": "\(kind.rawValue)"])
            return .failure(
                Refusal(response: Self.json(.badRequest, #"{"ResultCode":1,"ResultDesc":"Body incomplete"}"#)))
        }
        var headers: [String: String] = [:]
        for field in request.headers { headers[field.name.canonicalName] = field.value }
        return .success(
            InboxArrival(
                kind: kind, receivedAt: clock.now, remoteAddress: client, headersJSON: JSONText.object(headers),
                body: body
            ))
    }

    /// Stores an admitted body (spools it when PostgreSQL is away); `nil` once it is kept, else the 500 to answer.
    func keep(_ arrival: InboxArrival) async -> Response? {
        let kind = arrival.kind
        do {
            try await writer.store(arrival)
            metrics.received(.stored, route: kind)
        } catch {
            // PostgreSQL is unreachable: keep the body on disk; Daraja still gets its 200.
            let headers =
                (try? JSONDecoder().decode([String: String].self, from: Data(arrival.headersJSON.utf8))) ?? [:]
            let received = SpooledCallback(
                kind: kind.rawValue, receivedAt: arrival.receivedAt, remoteAddress: arrival.remoteAddress,
                headers: headers, body: Data(arrival.body))
            do {
                try await spool.appendOffEventLoop(received)
                metrics.received(.spooled, route: kind)
                logger.error("database unreachable, callback spooled", metadata: ["db.error": "\(error)"])
            } catch {
                metrics.received(.lost, route: kind)
                logger.critical("callback could be neither stored nor spooled", metadata: ["spool.error": "\(error)"])
                return Self.json(.internalServerError, #"{"ResultCode":1,"ResultDesc":"Not stored"}"#)
            }
        }
        return nil
    }

    /// `POST /api/payments/c2b/validation/`: the request is stored first, then answered from local data only within
    /// ``Configuration/validationDeadline`` (C2B-PULL.md §2): `0`, `C2B00012` (no such account) or `C2B00013`
    /// (amount). When the database cannot answer in time the payment is accepted: money that arrives is then
    /// allocated or kept as unallocated money, which is better than a payer refused because a lookup was slow.
    func validate(_ request: Request, _ context: ReconRequestContext) async -> Response {
        let arrival: InboxArrival
        switch await admit(request, context, kind: .c2bValidation) {
        case .failure(let refusal): return refusal.response
        case .success(let admitted): arrival = admitted
        }
        if let failed = await keep(arrival) { return failed }
        let decision = await decide(arrival.body)
        metrics.count(decision.accepts ? "c2b_validations_accepted_total" : "c2b_validations_rejected_total")
        return Self.json(.ok, decision.body)
    }

    /// The decision, within the deadline; the answer given is the one recorded.
    func decide(_ body: [UInt8]) async -> C2BValidationDecision {
        let fallback = C2BValidationDecision.accept(
            "no local answer within \(configuration.validationDeadline): accepted (the confirmation is allocated or "
                + "kept as unallocated money)")
        let answer = FirstAnswer<C2BValidationDecision>()
        let (pool, logger, deadline) = (self.pool, self.logger, configuration.validationDeadline)
        return await withCheckedContinuation { (continuation: CheckedContinuation<C2BValidationDecision, Never>) in
            answer.arm(continuation)
            // Both tasks end by themselves: the lookup under the statement timeout, the timer at the deadline.
            Task {
                do {
                    try await pool.withConnection { db in
                        try await db.withTransaction { db in
                            try db.query("SELECT set_config('statement_timeout', '2000', true)")
                            let (decision, request) = try C2BValidator.decide(db, body: body, now: Date())
                            let given = answer.give(decision) ? decision : fallback
                            try C2BValidator.record(db, decision: given, request: request, now: Date())
                        }
                    }
                } catch {
                    logger.error("C2B validation not decided from local data", metadata: ["db.error": "\(error)"])
                    _ = answer.give(fallback)
                }
            }
            Task {
                try? await Task.sleep(for: deadline)
                if answer.give(fallback) {
                    logger.warning("C2B validation answered by the fallback: the lookup took too long")
                }
            }
        }
    }

    /// Stores a body in `callback_inbox` in its own committed statement; idempotent for spooled bodies.
    func store(_ callback: SpooledCallback, spoolID: String? = nil) async throws -> Int64 {
        guard let kind = CallbackKind(rawValue: callback.kind) else {
            throw ReconAppError(.inconsistent, "unknown callback kind \(callback.kind)")
        }
        let headersJSON = JSONText.object(callback.headers)
        return try await pool.withConnection { db in
            try await db.run { db throws(PostgresError) in
                try InboxStore.store(
                    db, kind: kind, receivedAt: callback.receivedAt, remoteAddress: callback.remoteAddress,
                    headersJSON: headersJSON, body: Array(callback.body), spoolID: spoolID)
            }
        }
    }

    /// Replays the spool into the inbox (each body exactly once) and processes what was never processed.
    @discardableResult
    public func sweep() async throws -> Int {
        let replayed = try await spool.replay { callback in
            _ = try await self.store(callback, spoolID: callback.id)
        }
        if replayed > 0 { logger.notice("spooled callbacks replayed", metadata: ["recon.count": "\(replayed)"]) }
        // Replayed callbacks and any never processed (a crash or a database error after storing) are the
        // applier's: it takes them in batches. The sweep itself retries the unmatched ones that are due.
        applier.wake()
        await applier.caughtUp(within: .seconds(30))
        let (schedule, policy, clock) = (configuration.schedule, configuration.sweepPolicy, clock)
        _ = try await pool.withConnection { db in
            try await CallbackProcessor.sweep(
                db, now: clock.now, schedule: schedule, policy: policy, unprocessed: false)
        }
        // C2B money held for an STK Push's receipt: linked once the receipt is there, placed alone once the hold ends.
        _ = try await pool.withConnection { db in
            try await db.withTransaction { db in try C2BApplier.releaseHeld(db, now: Date()) }
        }
        return replayed
    }
}

/// The first of several racing answers, given once to a waiting continuation.
final class FirstAnswer<Value: Sendable>: Sendable {
    private let state = Mutex<(continuation: CheckedContinuation<Value, Never>?, given: Bool)>((nil, false))

    /// The continuation the first answer resumes.
    func arm(_ continuation: CheckedContinuation<Value, Never>) {
        state.withLock { $0.continuation = continuation }
    }

    /// Gives `value` if no answer was given yet; returns whether this one was.
    func give(_ value: Value) -> Bool {
        let continuation = state.withLock { state -> CheckedContinuation<Value, Never>? in
            guard !state.given else { return nil }
            state.given = true
            defer { state.continuation = nil }
            return state.continuation
        }
        continuation?.resume(returning: value)
        return continuation != nil
    }
}
