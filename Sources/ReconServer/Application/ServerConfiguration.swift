public import Foundation
public import HTTPServerKit
public import ReconCore

/// Everything one `serve` instance runs (ARCHITECTURE.md §7): the HTTP server's part, then one part per route
/// group. `routes` says which groups this instance serves; the operations routes (`/healthz`, `/metrics`) are on
/// every instance.
public struct ServerConfiguration: Sendable {
    /// The listening socket and its per-connection limits.
    public var http: HTTPServing
    /// Daraja's callbacks: store first, apply once, spool when the database is away.
    public var callbacks: CallbackRoutes.Configuration
    /// `/healthz` and `/metrics`.
    public var operations: OperationsRoutes.Configuration
    /// The LMS's JSON API; required when `routes` names `api`.
    public var api: APIConfiguration?
    /// The admin and finance console; required when `routes` names `console`.
    public var console: ConsoleConfiguration?
    /// Which route groups this instance serves (`callbacks` by default).
    public var routes: [RouteGroup]

    /// A configuration from its parts.
    public init(
        http: HTTPServing, callbacks: CallbackRoutes.Configuration,
        operations: OperationsRoutes.Configuration = .init(), api: APIConfiguration? = nil,
        console: ConsoleConfiguration? = nil, routes: [RouteGroup] = [.callbacks]
    ) {
        self.http = http
        self.callbacks = callbacks
        self.operations = operations
        self.api = api
        self.console = console
        self.routes = routes
    }

    /// A configuration with the documented defaults, the callbacks group's settings given flat (tests and the
    /// demo).
    public init(
        host: String = "127.0.0.1", port: Int = 8080, callbackToken: String,
        addressPolicy: AddressPolicy = AddressPolicy(),
        spoolDirectory: URL, maxBodyBytes: Int = 64 * 1024, schedule: RetrySchedule = .standard,
        sweepIntervalSeconds: Int = 5, sweepBatchSize: Int = 500, routes: [RouteGroup] = [.callbacks],
        idleTimeout: Duration = .seconds(60), headerTimeout: Duration = .seconds(10),
        bodyTimeout: Duration = .seconds(30), batching: CallbackBatching = CallbackBatching(),
        metricsToken: String? = nil, connectionLimits: ConnectionLimits = ConnectionLimits(),
        api: APIConfiguration? = nil, console: ConsoleConfiguration? = nil
    ) {
        self.init(
            http: HTTPServing(
                host: host, port: port, addressPolicy: addressPolicy, idleTimeout: idleTimeout,
                headerTimeout: headerTimeout, bodyTimeout: bodyTimeout, connectionLimits: connectionLimits),
            callbacks: CallbackRoutes.Configuration(
                callbackToken: callbackToken, addressPolicy: addressPolicy, spoolDirectory: spoolDirectory,
                maxBodyBytes: maxBodyBytes, schedule: schedule, sweepIntervalSeconds: sweepIntervalSeconds,
                sweepBatchSize: sweepBatchSize, batching: batching),
            operations: OperationsRoutes.Configuration(metricsToken: metricsToken),
            api: api, console: console, routes: routes)
    }
}

/// The HTTP server's part: where it listens and how long and how many connections it keeps.
public struct HTTPServing: Sendable {
    /// Address to listen on.
    public var host: String
    /// Port to listen on; 0 picks a free one.
    public var port: Int
    /// Trusted proxies count toward the total only, not per address.
    public var addressPolicy: AddressPolicy
    /// An open connection with no request in flight is closed after this (60 s).
    public var idleTimeout: Duration
    /// A request's head must arrive within this of its first byte (10 s).
    public var headerTimeout: Duration
    /// A request's body must arrive within this of its head (30 s).
    public var bodyTimeout: Duration
    /// Connections held at once per client address and in all.
    public var connectionLimits: ConnectionLimits

    /// The server's settings.
    public init(
        host: String = "127.0.0.1", port: Int = 8080, addressPolicy: AddressPolicy = AddressPolicy(),
        idleTimeout: Duration = .seconds(60), headerTimeout: Duration = .seconds(10),
        bodyTimeout: Duration = .seconds(30), connectionLimits: ConnectionLimits = ConnectionLimits()
    ) {
        self.host = host
        self.port = port
        self.addressPolicy = addressPolicy
        self.idleTimeout = idleTimeout
        self.headerTimeout = headerTimeout
        self.bodyTimeout = bodyTimeout
        self.connectionLimits = connectionLimits
    }

    /// The shared counter of open connections, trusted proxies held only to the total.
    func connectionLimiter() -> ConnectionLimiter {
        let proxies = addressPolicy.trustedProxies
        return ConnectionLimiter(limits: connectionLimits) { address in proxies.contains { $0.contains(address) } }
    }

    /// The per-connection deadlines of the HTTP server.
    var connectionTimeouts: ConnectionTimeouts {
        ConnectionTimeouts(idle: idleTimeout, header: headerTimeout, body: bodyTimeout)
    }
}
