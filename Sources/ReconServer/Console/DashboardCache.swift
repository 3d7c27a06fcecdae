import Foundation
import ReconApp
import ReconPostgres
import ServiceLifecycle
import Synchronization

/// The overview's figures, computed at most every `maxAge` seconds: sums over a month of payments cost hundreds of
/// milliseconds at a million rows, so requests get the last figures (with their time) while one refresh runs behind.
///
/// A service: the refresh runs in ``run()``, asked for by a request that found the figures stale; it stops with the
/// console on graceful shutdown.
final class DashboardCache: Service, Sendable {
    let maxAge: TimeInterval = 30
    private let compute: @Sendable () async throws -> Dashboard
    private let current = Mutex<(board: Dashboard, at: Date)?>(nil)
    private let refresh = WorkSignal()

    init(compute: @escaping @Sendable () async throws -> Dashboard) {
        self.compute = compute
    }

    /// The figures and when they were computed; the first call computes them, later ones never wait for a refresh.
    func board() async throws -> (Dashboard, Date) {
        guard let current = current.withLock({ $0 }) else {
            let board = try await compute()
            let now = Date()
            self.current.withLock { $0 = (board, now) }
            return (board, now)
        }
        if Date().timeIntervalSince(current.at) >= maxAge { refresh.signal() }
        return (current.board, current.at)
    }

    func run() async throws {
        await withDiscardingTaskGroup { group in
            group.addTask {
                try? await gracefulShutdown()
                self.refresh.end()
            }
            group.addTask {
                while await self.refresh.wait() {
                    guard let fresh = try? await self.compute() else { continue }
                    self.current.withLock { $0 = (fresh, Date()) }
                }
            }
        }
    }
}
