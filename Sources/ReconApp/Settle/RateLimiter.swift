import Foundation
import ReconCore

/// A global request budget: at most `perSecond` starts per second, evenly spaced, slowed down for a while
/// whenever Daraja says it is throttling (spike arrest). Slots are times on `clock`, and the waits are its sleeps.
actor RateLimiter {
    private let clock: any ReconClock
    private let baseInterval: TimeInterval
    private var interval: TimeInterval
    private var nextSlot = Date.distantPast
    private var slowUntil = Date.distantPast
    private(set) var backoffs = 0

    init(perSecond: Int, clock: any ReconClock = .system) {
        self.clock = clock
        baseInterval = 1 / TimeInterval(max(1, perSecond))
        interval = baseInterval
    }

    /// Waits for the next slot.
    func acquire() async {
        let now = clock.now
        if now > slowUntil { interval = baseInterval }
        let slot = max(now, nextSlot)
        nextSlot = slot.addingTimeInterval(interval)
        let wait = slot.timeIntervalSince(now)
        if wait > 0 { try? await clock.sleep(for: .milliseconds(Int64((wait * 1000).rounded(.up)))) }
    }

    /// Daraja throttled us: pause every request for `pause` and halve the rate for `cooldown`.
    func throttled(pause: TimeInterval = 1, cooldown: TimeInterval = 10) {
        let now = clock.now
        backoffs += 1
        interval = min(interval * 2, 5)
        slowUntil = now.addingTimeInterval(cooldown)
        nextSlot = max(nextSlot, now.addingTimeInterval(pause))
    }
}
