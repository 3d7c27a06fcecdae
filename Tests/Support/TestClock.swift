public import Foundation
public import ReconCore
import Synchronization

/// A ``ReconClock`` a test moves by hand: the retry schedule, leases, status-check deadlines and the rate budget of
/// the jobs pass when the test says so, not when the wall clock does.
///
/// `.frozen` stands still between the test's moves; a sleep on it returns once ``advance(by:)`` has moved the clock
/// to the sleep's end (time is kept as an exact `Duration`, so advancing by what was slept always wakes it).
/// `.runningWithWallClock` runs with the wall clock plus everything advanced so far, for jobs that talk to a peer on
/// real time (the simulator's processing delays and spike arrest): their short waits pass as they would, and the test
/// skips only the long idle stretches of a schedule.
public final class TestClock: ReconClock {
    /// How time passes between the test's moves.
    public enum Flow: Sendable {
        /// Only ``TestClock/advance(by:)`` moves it.
        case frozen
        /// The wall clock plus what was advanced.
        case runningWithWallClock
    }

    private struct Sleeper {
        /// On a frozen clock: how far it must have been advanced.
        let until: Duration
        let continuation: CheckedContinuation<Void, any Error>
    }

    private struct State {
        var advanced: Duration = .zero
        var sleepers: [Int: Sleeper] = [:]
        /// Sleeps cancelled before their continuation was stored.
        var cancelled: Set<Int> = []
        var nextID = 0
    }

    private let start: Date
    private let flow: Flow
    private let state = Mutex(State())

    /// A clock at `start`; a frozen one starts by default at the current whole second (a time PostgreSQL stores
    /// exactly), a running one at the wall clock.
    public init(_ flow: Flow = .frozen, start: Date? = nil) {
        self.flow = flow
        self.start = start ?? Date(timeIntervalSince1970: Date().timeIntervalSince1970.rounded(.down))
    }

    public var now: Date {
        let advanced = state.withLock { $0.advanced }
        switch flow {
        case .frozen: return start.addingTimeInterval(advanced.timeInterval)
        case .runningWithWallClock: return Date().addingTimeInterval(advanced.timeInterval)
        }
    }

    /// Sleeps waiting on a frozen clock.
    public var sleeping: Int {
        state.withLock { $0.sleepers.count }
    }

    /// Moves the clock forward by `duration` and wakes every sleep that ends by then.
    public func advance(by duration: Duration) {
        let woken = state.withLock { state in
            state.advanced += duration
            let due = state.sleepers.filter { [advanced = state.advanced] in $0.value.until <= advanced }
            for id in due.keys { state.sleepers[id] = nil }
            return due.values.map(\.continuation)
        }
        for continuation in woken { continuation.resume() }
    }

    /// Moves the clock forward to `date`, if that is later than now (to the microsecond, as PostgreSQL keeps it).
    public func advance(to date: Date) {
        let ahead = date.timeIntervalSince(now)
        if ahead > 0 { advance(by: .microseconds(Int64((ahead * 1_000_000).rounded(.up)))) }
    }

    /// Returns once `count` sleeps wait on this frozen clock: the test then knows the job got that far. Throws
    /// ``NotSleeping`` if they do not within `patience` of real time (a job that waits on the wall clock never does).
    public func untilSleeping(_ count: Int, patience: Duration = .seconds(30)) async throws {
        let end = ContinuousClock.now + patience
        while sleeping < count {
            guard ContinuousClock.now < end else { throw NotSleeping(expected: count, sleeping: sleeping) }
            try await Task.sleep(for: .milliseconds(1))
        }
    }

    /// Fewer sleeps than expected waited on the clock.
    public struct NotSleeping: Error, CustomStringConvertible {
        public var expected: Int
        public var sleeping: Int
        public var description: String { "\(sleeping) of \(expected) sleeps wait on the test clock" }
    }

    public func sleep(for duration: Duration) async throws {
        switch flow {
        case .runningWithWallClock:
            // Real time passes in short steps, so an `advance` past the end finishes the sleep within one step.
            let end = now.addingTimeInterval(duration.timeInterval)
            while case let left = end.timeIntervalSince(now), left > 0 {
                try await Task.sleep(for: .milliseconds(min(10, Int64((left * 1000).rounded(.up)))))
            }
        case .frozen:
            try await sleepFrozen(for: duration)
        }
    }

    private func sleepFrozen(for duration: Duration) async throws {
        let id = state.withLock { state in
            state.nextID += 1
            return state.nextID
        }
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                let outcome = state.withLock { state -> Result<Void, any Error>? in
                    if state.cancelled.remove(id) != nil { return .failure(CancellationError()) }
                    let until = state.advanced + duration
                    if until <= state.advanced { return .success(()) }
                    state.sleepers[id] = Sleeper(until: until, continuation: continuation)
                    return nil
                }
                if let outcome { continuation.resume(with: outcome) }
            }
        } onCancel: {
            let sleeper = state.withLock { state in
                guard let sleeper = state.sleepers.removeValue(forKey: id) else {
                    state.cancelled.insert(id)
                    return Sleeper?.none
                }
                return sleeper
            }
            sleeper?.continuation.resume(throwing: CancellationError())
        }
    }
}
