public import Foundation

/// When settlement asks Daraja about a pending payment: data, not code (ARCHITECTURE.md §6.2).
///
/// `delays[0]` is the wait from creation to the first check; `delays[n]` the wait after the n-th check.
/// After the last check without a verdict the payment becomes `unknown` for a person.
public struct RetrySchedule: Sendable, Equatable, Codable, CustomStringConvertible {
    /// Waits in seconds, in order.
    public var delays: [Int]

    /// The default: 90 s, then 3 min, 10 min, 30 min, 2 h, 12 h, 24 h.
    public static let standard = RetrySchedule(delays: [90, 180, 600, 1800, 7200, 43_200, 86_400])

    /// A schedule; every wait must be positive.
    public init(delays: [Int]) {
        self.delays = delays
    }

    /// Reads `90s,3m,10m,30m,2h,12h,24h` (units s, m, h, d; a bare number is seconds).
    public static func parse(_ text: String) -> RetrySchedule? {
        var delays: [Int] = []
        for part in text.split(separator: ",") {
            let item = part.trimmingSpaces()
            guard let last = item.last else { return nil }
            let multiplier: Int
            var digits = Substring(item)
            switch last {
            case "s": multiplier = 1
            case "m": multiplier = 60
            case "h": multiplier = 3600
            case "d": multiplier = 86_400
            default:
                guard last.isASCIIDigit else { return nil }
                multiplier = 1
            }
            if !last.isASCIIDigit { digits = digits.dropLast() }
            guard let value = Int(digits), value > 0 else { return nil }
            let (seconds, overflow) = value.multipliedReportingOverflow(by: multiplier)
            guard !overflow, seconds <= 365 * 86_400 else { return nil }
            delays.append(seconds)
        }
        return delays.isEmpty ? nil : RetrySchedule(delays: delays)
    }

    /// How many checks the schedule allows.
    public var maxAttempts: Int { delays.count }

    /// When the first check is due for a payment created at `createdAt`.
    public func firstCheck(createdAt: Date) -> Date {
        createdAt.addingTimeInterval(TimeInterval(delays.first ?? 90))
    }

    /// When the next check is due after `attempts` checks, or `nil` when the schedule is used up.
    public func nextCheck(afterAttempts attempts: Int, now: Date) -> Date? {
        guard attempts < delays.count else { return nil }
        return now.addingTimeInterval(TimeInterval(delays[attempts]))
    }

    /// The whole span of the schedule, in seconds; answers that never come stop mattering after twice that.
    public var totalSeconds: Int { delays.reduce(0, +) }

    public var description: String {
        delays.map { seconds in
            if seconds % 86_400 == 0 { return "\(seconds / 86_400)d" }
            if seconds % 3600 == 0 { return "\(seconds / 3600)h" }
            if seconds % 60 == 0 { return "\(seconds / 60)m" }
            return "\(seconds)s"
        }.joined(separator: ",")
    }
}
