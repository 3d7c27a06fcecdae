import Foundation
import ReconPostgres

/// The overview's figures, computed at most every `maxAge` seconds: sums over a month of payments cost hundreds of
/// milliseconds at a million rows, so requests get the last figures (with their time) while one refresh runs behind.
actor DashboardCache {
    let maxAge: TimeInterval = 30
    var current: (board: Dashboard, at: Date)?
    var refreshing = false

    /// The figures and when they were computed; the first call computes them, later ones never wait for a refresh.
    func board(_ compute: @escaping @Sendable () async throws -> Dashboard) async throws -> (Dashboard, Date) {
        guard let current else {
            let board = try await compute()
            let now = Date()
            self.current = (board, now)
            return (board, now)
        }
        if Date().timeIntervalSince(current.at) >= maxAge, !refreshing {
            refreshing = true
            Task {
                let fresh = try? await compute()
                self.finish(fresh)
            }
        }
        return (current.board, current.at)
    }

    private func finish(_ board: Dashboard?) {
        if let board { current = (board, Date()) }
        refreshing = false
    }
}
