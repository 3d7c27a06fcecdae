import Logging
import ReconCore
import ServiceLifecycle

/// Retries what the endpoint could not finish, as a service: replays the spool and processes stored callbacks
/// that are unprocessed or due for another try, every `sweepIntervalSeconds` (the first pass one interval after
/// start-up, so the server is already listening and tests that sweep by hand are never raced).
///
/// On graceful shutdown it finishes the pass in progress (bounded by the sweep's batch size) and returns.
struct CallbackSweeper: Service {
    let endpoint: CallbackRoutes

    func run() async throws {
        let interval = Duration.seconds(max(1, endpoint.configuration.sweepIntervalSeconds))
        while true {
            // Sleeps until the next pass, or until shutdown begins.
            try? await cancelWhenGracefulShutdown { try await endpoint.clock.sleep(for: interval) }
            guard !Task.isShuttingDownGracefully && !Task.isCancelled else { return }
            do {
                try await endpoint.sweep()
            } catch {
                endpoint.logger.error("callback sweep failed; retrying later", metadata: ["db.error": "\(error)"])
            }
        }
    }
}
