public import Foundation

/// Where the jobs read the time and wait: the wall clock in production, a clock a test moves by hand.
///
/// One value gives both, so a test that moves it moves every deadline a job computes (due checks, leases, the rate
/// budget) and wakes every wait the job sleeps through, together; nothing in a job path reads `Date()` or calls
/// `Task.sleep` itself.
public protocol ReconClock: Sendable {
    /// The current time.
    var now: Date { get }
    /// Returns once `duration` has passed on this clock; throws `CancellationError` if the task is cancelled first.
    func sleep(for duration: Duration) async throws
}

/// The wall clock: `Date()` and `Task.sleep`.
public struct SystemClock: ReconClock {
    /// The wall clock.
    public init() {}

    public var now: Date { Date() }

    public func sleep(for duration: Duration) async throws {
        try await Task.sleep(for: duration)
    }
}

extension ReconClock where Self == SystemClock {
    /// The wall clock, the default of every job.
    public static var system: SystemClock { SystemClock() }
}

extension Duration {
    /// This duration in seconds, as `Date` arithmetic takes it.
    public var timeInterval: TimeInterval {
        let (seconds, attoseconds) = components
        return TimeInterval(seconds) + TimeInterval(attoseconds) / 1e18
    }
}
