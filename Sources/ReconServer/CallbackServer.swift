public import Foundation
public import Hummingbird
public import Logging
import NIOCore
public import ReconCore
import ReconJobs
public import ReconPostgres
import ServerSupport
import Synchronization

/// Settings of the callback endpoint.
public struct CallbackServerConfiguration: Sendable {
    /// Address to listen on.
    public var host: String
    /// Port to listen on; 0 picks a free one.
    public var port: Int
    /// The secret every callback URL carries as `?token=…` (`MPESA_CALLBACK_TOKEN`).
    public var callbackToken: String
    /// Source-address policy (allow-list off by default).
    public var addressPolicy: AddressPolicy
    /// Where bodies go while PostgreSQL is unreachable.
    public var spoolDirectory: URL
    /// Bodies larger than this are refused with 413 (64 KiB).
    public var maxBodyBytes: Int
    /// The settlement schedule, used when a callback reschedules nothing but the state machine needs it.
    public var schedule: RetrySchedule
    /// How often the spool and unprocessed callbacks are retried, in seconds.
    public var sweepIntervalSeconds: Int

    /// A configuration with the documented defaults.
    public init(
        host: String = "127.0.0.1", port: Int = 8080, callbackToken: String,
        addressPolicy: AddressPolicy = AddressPolicy(),
        spoolDirectory: URL, maxBodyBytes: Int = 64 * 1024, schedule: RetrySchedule = .standard,
        sweepIntervalSeconds: Int = 5
    ) {
        self.host = host
        self.port = port
        self.callbackToken = callbackToken
        self.addressPolicy = addressPolicy
        self.spoolDirectory = spoolDirectory
        self.maxBodyBytes = maxBodyBytes
        self.schedule = schedule
        self.sweepIntervalSeconds = sweepIntervalSeconds
    }
}

/// Counters of what the endpoint did, for `/metrics` and tests.
public final class CallbackMetrics: Sendable {
    private let values = Mutex([String: Int]())

    /// Empty counters.
    public init() {}

    func increment(_ name: String) { values.withLock { $0[name, default: 0] += 1 } }

    /// The value of one counter.
    public subscript(name: String) -> Int { values.withLock { $0[name] ?? 0 } }

    /// `name value` lines, sorted.
    public var text: String {
        values.withLock { $0.sorted { $0.key < $1.key }.map { "mpesa_recon_\($0.key) \($0.value)" } }
            .joined(separator: "\n") + "\n"
    }
}

/// A request context that knows the peer's address.
public struct CallbackRequestContext: RequestContext, RemoteAddressRequestContext {
    public var coreContext: CoreRequestContextStorage
    public let remoteAddress: SocketAddress?

    public init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
        self.remoteAddress = source.channel.remoteAddress
    }
}

/// The callback endpoint (DESIGN §6 "Callbacks"): store every body first, apply it once, lose none.
public final class CallbackEndpoint: Sendable {
    let configuration: CallbackServerConfiguration
    let pool: ConnectionPool
    let spool: CallbackSpool
    /// What the endpoint counted.
    public let metrics: CallbackMetrics
    let logger: Logger

    /// An endpoint over a connection pool.
    public init(
        configuration: CallbackServerConfiguration, pool: ConnectionPool, metrics: CallbackMetrics = CallbackMetrics(),
        logger: Logger = Logger(label: "mpesa-recon.serve")
    ) {
        self.configuration = configuration
        self.pool = pool
        self.spool = CallbackSpool(directory: configuration.spoolDirectory)
        self.metrics = metrics
        self.logger = logger
    }

    static let accepted = #"{"ResultCode":0,"ResultDesc":"Accepted"}"#

    /// The routes: the STK callback (the LMS's existing path), B2C result and timeout, health and metrics.
    public func router() -> Router<CallbackRequestContext> {
        let router = Router(context: CallbackRequestContext.self)
        // Hummingbird matches these with or without the trailing slash the LMS's URL has.
        router.post("/api/payments/callback/") { request, context in await self.receive(request, context, kind: .stk) }
        router.post("/api/payments/b2c/result/") { request, context in
            await self.receive(request, context, kind: .b2cResult)
        }
        router.post("/api/payments/b2c/timeout/") { request, context in
            await self.receive(request, context, kind: .b2cTimeout)
        }
        router.get("/healthz") { _, _ in
            let healthy =
                (try? await self.pool.withConnection { db in
                    try await db.query("SELECT 1 AS one").first?.decode(Int.self, "one")
                }) == 1
            return Self.text(healthy ? .ok : .serviceUnavailable, healthy ? "ok\n" : "database unreachable\n")
        }
        router.get("/metrics") { _, _ in Self.text(.ok, self.metrics.text) }
        return router
    }

    static func text(_ status: HTTPResponse.Status, _ body: String) -> Response {
        Response(
            status: status, headers: [.contentType: "text/plain"], body: .init(byteBuffer: ByteBuffer(string: body)))
    }

    static func json(_ status: HTTPResponse.Status, _ body: String) -> Response {
        Response(
            status: status, headers: [.contentType: "application/json"],
            body: .init(byteBuffer: ByteBuffer(string: body)))
    }

    func receive(_ request: Request, _ context: CallbackRequestContext, kind: CallbackKind) async -> Response {
        metrics.increment("callbacks_received_total")
        let peer = context.remoteAddress?.ipAddress
        let client = configuration.addressPolicy.clientAddress(
            peer: peer,
            forwardedFor: request.headers.first { $0.name.canonicalName == "x-forwarded-for" }?.value)
        // The token is checked first: without it nothing is read, stored or applied.
        let token = request.uri.queryParameters.get("token") ?? ""
        guard constantTimeEquals(token, configuration.callbackToken) else {
            metrics.increment("callbacks_refused_token_total")
            logger.warning(
                "callback refused: missing or wrong token",
                metadata: ["recon.callback_kind": "\(kind.rawValue)", "net.peer": "\(client ?? "?")"])
            return Self.json(.unauthorized, #"{"ResultCode":1,"ResultDesc":"Rejected"}"#)
        }
        guard configuration.addressPolicy.allows(client) else {
            metrics.increment("callbacks_refused_address_total")
            logger.warning(
                "callback refused: source address not allowed",
                metadata: ["recon.callback_kind": "\(kind.rawValue)", "net.peer": "\(client ?? "?")"])
            return Self.json(.forbidden, #"{"ResultCode":1,"ResultDesc":"Rejected"}"#)
        }
        let body: [UInt8]
        do {
            var request = request
            let buffer = try await request.collectBody(upTo: configuration.maxBodyBytes)
            body = Array(buffer.readableBytesView)
        } catch {
            metrics.increment("callbacks_refused_too_large_total")
            logger.warning("callback refused: body too large", metadata: ["recon.callback_kind": "\(kind.rawValue)"])
            return Self.json(.contentTooLarge, #"{"ResultCode":1,"ResultDesc":"Body too large"}"#)
        }
        var headers: [String: String] = [:]
        for field in request.headers { headers[field.name.canonicalName] = field.value }
        let received = SpooledCallback(
            kind: kind.rawValue, receivedAt: Date(), remoteAddress: client, headers: headers, body: Data(body))
        do {
            let id = try await store(received)
            metrics.increment("callbacks_stored_total")
            await process(inboxID: id)
        } catch {
            // PostgreSQL is unreachable: keep the body on disk; Daraja still gets its 200.
            do {
                try spool.append(received)
                metrics.increment("callbacks_spooled_total")
                logger.error("database unreachable, callback spooled", metadata: ["db.error": "\(error)"])
            } catch {
                metrics.increment("callbacks_lost_total")
                logger.critical("callback could be neither stored nor spooled", metadata: ["spool.error": "\(error)"])
                return Self.json(.internalServerError, #"{"ResultCode":1,"ResultDesc":"Not stored"}"#)
            }
        }
        return Self.json(.ok, Self.accepted)
    }

    /// Stores a body in `callback_inbox` in its own committed statement; idempotent for spooled bodies.
    func store(_ callback: SpooledCallback, spoolID: String? = nil) async throws -> Int64 {
        guard let kind = CallbackKind(rawValue: callback.kind) else {
            throw PostgresError(code: .misuse, message: "unknown callback kind \(callback.kind)")
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

    /// Applies a stored callback; a failure leaves it unprocessed for the next sweep.
    func process(inboxID: Int64) async {
        let schedule = configuration.schedule
        do {
            let outcome = try await pool.withConnection { db in
                try await CallbackProcessor.processIsolated(db, inboxID: inboxID, now: Date(), schedule: schedule)
            }
            metrics.increment("callbacks_\(outcome?.rawValue ?? "missing")_total")
        } catch {
            metrics.increment("callbacks_processing_errors_total")
            logger.error(
                "callback stored but not applied; the sweep retries it",
                metadata: ["recon.inbox_id": "\(inboxID)", "db.error": "\(error)"])
        }
    }

    /// Replays the spool into the inbox (each body exactly once) and processes what was never processed.
    @discardableResult
    public func sweep() async throws -> Int {
        var ids: [Int64] = []
        let replayed = try await spool.replay { callback in
            ids.append(try await self.store(callback, spoolID: callback.id))
        }
        if replayed > 0 { logger.notice("spooled callbacks replayed", metadata: ["recon.count": "\(replayed)"]) }
        for id in ids { await process(inboxID: id) }
        let schedule = configuration.schedule
        _ = try await pool.withConnection { db in
            try await CallbackProcessor.sweep(db, now: Date(), schedule: schedule)
        }
        return replayed
    }
}

/// Runs the endpoint: a sweep at start-up and every few seconds (spool replay, unprocessed callbacks).
public enum CallbackServer {
    /// Starts in the background on the configured address (tests, the demo); stop it with `stop()`.
    public static func start(_ endpoint: CallbackEndpoint) async throws -> RunningCallbackServer {
        let sweeper = Task { await endpoint.sweepForever() }
        do {
            let server = try await RunningServer.start(
                endpoint.router(), host: endpoint.configuration.host, port: endpoint.configuration.port,
                serverName: "mpesa-recon", logger: endpoint.logger)
            return RunningCallbackServer(server: server, sweeper: sweeper)
        } catch {
            sweeper.cancel()
            throw error
        }
    }

    /// Serves in the foreground until SIGTERM or SIGINT (`mpesa-recon serve`).
    public static func serve(_ endpoint: CallbackEndpoint, onListening: @escaping @Sendable (Int) -> Void) async throws
    {
        let sweeper = Task { await endpoint.sweepForever() }
        defer { sweeper.cancel() }
        try await RunningServer.serve(
            endpoint.router(), host: endpoint.configuration.host, port: endpoint.configuration.port,
            serverName: "mpesa-recon", logger: endpoint.logger, onListening: onListening)
    }
}

/// A callback endpoint running in the background.
public struct RunningCallbackServer: Sendable {
    let server: RunningServer
    let sweeper: Task<Void, Never>

    /// The port it listens on.
    public var port: Int { server.port }
    /// `http://HOST:PORT`.
    public var baseURL: String { server.baseURL }

    /// Stops the sweeper and the server.
    public func stop() async {
        sweeper.cancel()
        await server.stop()
    }
}

extension CallbackEndpoint {
    /// Sweeps at once, then every `sweepIntervalSeconds`, until cancelled; errors are logged, never fatal.
    func sweepForever() async {
        while !Task.isCancelled {
            do {
                try await sweep()
            } catch {
                logger.error("callback sweep failed; retrying later", metadata: ["db.error": "\(error)"])
            }
            try? await Task.sleep(for: .seconds(configuration.sweepIntervalSeconds))
        }
    }
}
