import Foundation
public import HTTPServerKit
public import Hummingbird
public import Logging
public import NIOCore
public import ReconCore
public import ReconPostgres
import ServiceLifecycle

/// A set of routes one instance can choose to serve (ARCHITECTURE.md §7).
///
/// `serve --routes` picks groups by these names, so the internet-facing callback route can run alone on a
/// public host while other groups run on an internal one. Each group is one function adding its routes.
public enum RouteGroup: String, Sendable, CaseIterable {
    /// Daraja's callbacks: STK, B2C result, B2C queue timeout (token in the query string).
    case callbacks
    /// The LMS guide's JSON API: `/api/auth/*` and `/api/payments/*` with SimpleJWT bearer tokens.
    case api
    /// The admin and finance console: HTML pages under `/console/` with server-side sessions.
    case console

    /// The groups `serve --routes` names (comma-separated); without the option, `callbacks` alone: the public
    /// instance's one group. `api` and `console` are served only where they are named.
    public static func parse(_ text: String?) throws(RouteGroupError) -> [RouteGroup] {
        guard let text else { return [.callbacks] }
        let names = text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        guard !names.isEmpty else { throw RouteGroupError(message: "--routes names no route group.") }
        var groups: [RouteGroup] = []
        for name in names {
            guard let group = RouteGroup(rawValue: name) else {
                let known = allCases.map(\.rawValue).joined(separator: ", ")
                throw RouteGroupError(message: "--routes: unknown route group '\(name)' (known: \(known)).")
            }
            groups.append(group)
        }
        return groups
    }
}

/// Why `--routes` was refused.
public struct RouteGroupError: Error, Sendable, CustomStringConvertible {
    /// What is wrong, for the person at the terminal.
    public var message: String
    public var description: String { message }
}

/// The application one instance runs, built the Hummingbird way from one ``ServerConfiguration``: the router with
/// the chosen route groups, the HTTP server with its connection deadlines and limits, and the services under one
/// `ServiceGroup`. `serve`, the tests and the demo all build it here.
///
/// Services start in this order and stop in reverse, after the HTTP server has answered its last request: the pool
/// (when the application owns it), the callback applier, the callback writer, the sweeper, then the console's
/// report worker and overview refresh. SIGTERM therefore drains the writer's queue and the applier's pass before the pool closes.
public struct ReconApplication: Sendable {
    /// What it was built from.
    public let configuration: ServerConfiguration
    /// The callbacks group (also on instances that do not route it: its sweeper retries stored callbacks).
    public let callbacks: CallbackRoutes
    /// `/healthz` and `/metrics`.
    public let operations: OperationsRoutes
    /// The API, when `routes` names `api`.
    public let api: PaymentsAPI?
    /// The console, when `routes` names `console`.
    public let console: Console?
    let pool: ConnectionPool
    let ownsPool: Bool
    let logger: Logger

    /// Builds the parts; the callbacks' times and the sweeper's waits are read on `clock`. With `ownsPool`, the pool
    /// is a service: it closes after every other service stopped.
    /// Throws when `routes` names a group whose configuration is missing, or when the console's templates cannot
    /// be loaded.
    public init(
        _ configuration: ServerConfiguration, pool: ConnectionPool, ownsPool: Bool = false,
        logger: Logger = Logger(label: "mpesa-recon.serve"), clock: any ReconClock = .system
    ) throws {
        let routes = Set(configuration.routes)
        if routes.contains(.api), configuration.api == nil {
            throw RouteGroupError(message: "--routes names api, but the API has no settings.")
        }
        if routes.contains(.console), configuration.console == nil {
            throw RouteGroupError(message: "--routes names console, but the console has no settings.")
        }
        let metrics = CallbackMetrics()
        self.configuration = configuration
        self.pool = pool
        self.ownsPool = ownsPool
        self.logger = logger
        self.callbacks = CallbackRoutes(
            configuration: configuration.callbacks, pool: pool, metrics: metrics, logger: logger, clock: clock)
        self.operations = OperationsRoutes(
            configuration: configuration.operations, pool: pool, metrics: metrics,
            spoolDirectory: configuration.callbacks.spoolDirectory, logger: logger)
        var apiLogger = logger
        apiLogger[metadataKey: "recon.group"] = "api"
        var consoleLogger = logger
        consoleLogger[metadataKey: "recon.group"] = "console"
        self.api = configuration.api.flatMap { api in
            routes.contains(.api) ? PaymentsAPI(configuration: api, pool: pool, logger: apiLogger) : nil
        }
        self.console = try configuration.console.flatMap { console in
            routes.contains(.console) ? try Console(configuration: console, pool: pool, logger: consoleLogger) : nil
        }
    }

    /// The services, in start order.
    var services: [any Service] {
        var services: [any Service] = ownsPool ? [ConnectionPoolService(pool: pool)] : []
        services += callbacks.services
        if let console { services += console.services }
        return services
    }

    /// The router: the operations routes every instance has, then each chosen group's routes.
    public func router() -> Router<ReconRequestContext> {
        let router = Router(context: ReconRequestContext.self)
        operations.addRoutes(to: router)
        for group in Set(configuration.routes) {
            switch group {
            case .callbacks: callbacks.addRoutes(to: router)
            case .api: api?.addRoutes(to: router)
            case .console: console?.addRoutes(to: router)
            }
        }
        return router
    }

    /// The Hummingbird application: router, server, services.
    public func application(
        onServerRunning: @escaping @Sendable (any Channel) async -> Void = { _ in }
    ) -> some ApplicationProtocol {
        let http = configuration.http
        return Application(
            router: router(),
            server: .http1(timeouts: http.connectionTimeouts, limiter: http.connectionLimiter()),
            configuration: .init(address: .hostname(http.host, port: http.port), serverName: "mpesa-recon"),
            services: services,
            onServerRunning: onServerRunning,
            logger: logger
        )
    }

    /// Starts in the background and returns once it listens (tests, the demo); stop it with
    /// ``RunningServer/stop(gracePeriod:)``.
    public func start() async throws -> RunningServer {
        try await RunningServer.start(host: configuration.http.host, serverName: "mpesa-recon") { onServerRunning in
            application(onServerRunning: onServerRunning)
        }
    }

    /// Serves in the foreground until SIGTERM or SIGINT, then shuts down gracefully: the server stops accepting
    /// and finishes its requests, then the services stop in reverse order (`mpesa-recon serve`).
    public func serve(onListening: @escaping @Sendable (Int) -> Void) async throws {
        let port = configuration.http.port
        try await application { channel in onListening(channel.localAddress?.port ?? port) }.runService()
    }
}

/// The application `serve` runs: ``ReconApplication`` owning its pool.
public func buildApplication(
    _ configuration: ServerConfiguration, pool: ConnectionPool, logger: Logger = Logger(label: "mpesa-recon.serve"),
    onServerRunning: @escaping @Sendable (any Channel) async -> Void = { _ in }
) throws -> some ApplicationProtocol {
    try ReconApplication(configuration, pool: pool, ownsPool: true, logger: logger)
        .application(onServerRunning: onServerRunning)
}

/// The connection pool as a service: it closes once every service started after it has stopped.
struct ConnectionPoolService: Service {
    let pool: ConnectionPool

    func run() async throws {
        try? await gracefulShutdown()
        await pool.close()
    }
}
