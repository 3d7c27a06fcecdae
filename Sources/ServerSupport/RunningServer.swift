public import Hummingbird
public import Logging
public import NIOCore

/// A Hummingbird application run in the background on a known port until ``stop()``: how tests, the demo
/// and benchmarks start the simulator and the callback endpoint in-process.
public final class RunningServer: Sendable {
    /// The port the server listens on.
    public let port: Int
    /// The address it listens on.
    public let host: String
    private let task: Task<Void, any Error>

    /// `http://HOST:PORT`.
    public var baseURL: String { "http://\(host):\(port)" }

    private init(host: String, port: Int, task: Task<Void, any Error>) {
        self.host = host
        self.port = port
        self.task = task
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
        let task = Task {
            defer { continuation.finish() }
            try await app.run()
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
        return RunningServer(host: host, port: bound, task: task)
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

    /// Stops listening and waits for the server to finish.
    public func stop() async {
        task.cancel()
        _ = try? await task.value
    }
}

/// A server that could not start listening.
public struct ServerStartError: Error, CustomStringConvertible {
    /// What went wrong.
    public var message: String
    public var description: String { message }
}
