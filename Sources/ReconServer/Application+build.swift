import Foundation
import HTTPServerKit
public import Hummingbird
public import Logging
public import NIOCore
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

/// Builds the application `serve` runs and tests call: the router with the chosen route groups, the HTTP
/// server with its connection deadlines, and the sweeper as a service under graceful shutdown.
public func buildApplication(
    configuration: CallbackServerConfiguration, pool: ConnectionPool,
    logger: Logger = Logger(label: "mpesa-recon.serve"),
    onServerRunning: @escaping @Sendable (any Channel) async -> Void = { _ in }
) -> some ApplicationProtocol {
    buildApplication(
        endpoint: CallbackEndpoint(configuration: configuration, pool: pool, logger: logger),
        onServerRunning: onServerRunning)
}

/// Builds the application around an existing endpoint (tests and the demo keep it to read its metrics).
public func buildApplication(
    endpoint: CallbackEndpoint, api: PaymentsAPI? = nil, console: Console? = nil,
    onServerRunning: @escaping @Sendable (any Channel) async -> Void = { _ in }
) -> some ApplicationProtocol {
    let configuration = endpoint.configuration
    var services: [any Service] = [CallbackSweeper(endpoint: endpoint)]
    if let console, configuration.routes.contains(.console) { services.append(console.reportWorker) }
    return Application(
        router: buildRouter(endpoint: endpoint, routes: configuration.routes, api: api, console: console),
        server: .http1(timeouts: configuration.connectionTimeouts, limiter: configuration.connectionLimiter()),
        configuration: .init(
            address: .hostname(configuration.host, port: configuration.port), serverName: "mpesa-recon"),
        services: services,
        onServerRunning: onServerRunning,
        logger: endpoint.logger
    )
}

/// The router: the operations routes every instance has, then each chosen group's routes.
/// The `api` group is served only when an API is given (`serve` refuses `--routes api` without its settings).
func buildRouter(
    endpoint: CallbackEndpoint, routes: [RouteGroup], api: PaymentsAPI? = nil, console: Console? = nil
) -> Router<ReconRequestContext> {
    let router = Router(context: ReconRequestContext.self)
    endpoint.addOperationsRoutes(to: router)
    for group in Set(routes) {
        switch group {
        case .callbacks: endpoint.addCallbackRoutes(to: router)
        case .api: api?.addRoutes(to: router)
        case .console: console?.addRoutes(to: router)
        }
    }
    return router
}
