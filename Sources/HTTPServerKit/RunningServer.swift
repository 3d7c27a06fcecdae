public import Hummingbird
public import Logging
public import NIOCore
import ServiceLifecycle

/// A Hummingbird application run in the background on a known port until ``stop()``: how tests, the demo
/// and benchmarks start the simulator and the callback endpoint in-process.
public final class RunningServer: Sendable {
    /// The port the server listens on.
    public let port: Int
    /// The address it listens on.
    public let host: String
    private let task: Task<Void, any Error>
    private let group: ServiceGroup

    /// `http://HOST:PORT`.
    public var baseURL: String { "http://\(host):\(port)" }

    private init(host: String, port: Int, task: Task<Void, any Error>, group: ServiceGroup) {
        self.host = host
        self.port = port
        self.task = task
        self.group = group
    }

    /// Starts `router` on `host:port` (port 0 picks a free one) and returns once it listens.
    public static func start<Context: RequestContext>(
        _ router: Router<Context>, host: String = "127.0.0.1", port: Int = 0, serverName: String, logger: Logger
    ) async throws -> RunningServer where Context.Source == ApplicationRequestContextSource {
        try await start(host: host, serverName: serverName) { onServerRunning in
            Application(
                router: router,
                configuration: .init(address: .hostname(host, port: port), serverName: serverName),
                onServerRunning: onServerRunning,
                logger: logger
            )
        }
    }

    /// Starts the application `build` makes (it must call the closure it is given once it listens) and returns
    /// once it listens on `host`. Stopping cancels the application's services, the server among them.
    public static func start<App: ApplicationProtocol>(
        host: String, serverName: String,
        _ build: (_ onServerRunning: @escaping @Sendable (any Channel) async -> Void) -> App
    ) async throws -> RunningServer {
        let (stream, continuation) = AsyncStream.makeStream(of: Int.self)
        let app = build { channel in
            continuation.yield(channel.localAddress?.port ?? 0)
            continuation.finish()
        }
        // The application runs as a service so that stopping it is a graceful shutdown: requests in flight are
        // answered before the server closes (cancelling it mid-request trips NIO's "NIOAsyncWriter deinited"
        // assertion and kills the process).
        let group = ServiceGroup(
            configuration: .init(services: [app], gracefulShutdownSignals: [], logger: app.logger))
        // Owned: `stop()` shuts the group down and awaits this task.
        let task = Task {
            defer { continuation.finish() }
            try await group.run()
        }
        var bound = 0
        for await value in stream { bound = value }
        guard bound > 0 else {
            task.cancel()
            let failure = await task.result
            if case .failure(let error) = failure {
                throw ServerStartError(message: "\(serverName) could not listen on \(host): \(error)")
            }
            throw ServerStartError(message: "\(serverName) could not listen on \(host)")
        }
        return RunningServer(host: host, port: bound, task: task, group: group)
    }

    /// Serves `router` in the foreground until SIGTERM or SIGINT, then shuts down gracefully.
    public static func serve<Context: RequestContext>(
        _ router: Router<Context>, host: String, port: Int, serverName: String, logger: Logger,
        onListening: @escaping @Sendable (Int) -> Void
    ) async throws where Context.Source == ApplicationRequestContextSource {
        let app = Application(
            router: router,
            configuration: .init(address: .hostname(host, port: port), serverName: serverName),
            onServerRunning: { channel in onListening(channel.localAddress?.port ?? port) },
            logger: logger
        )
        try await app.runService()
    }

    /// Stops listening, lets requests in flight finish, and waits for the server to end; after `gracePeriod` it is
    /// cancelled.
    public func stop(gracePeriod: Duration = .seconds(5)) async {
        await group.triggerGracefulShutdown()
        let task = self.task
        // Owned: cancelled as soon as the server has stopped.
        let watchdog = Task {
            try await Task.sleep(for: gracePeriod)
            task.cancel()
        }
        _ = try? await task.value
        watchdog.cancel()
    }
}

/// A server that could not start listening.
public struct ServerStartError: Error, CustomStringConvertible {
    /// What went wrong.
    public var message: String
    public var description: String { message }
}
