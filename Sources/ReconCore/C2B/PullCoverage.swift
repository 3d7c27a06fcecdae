public import Foundation

/// How `run` pulls a shortcode's transactions (C2B-PULL.md §5): windows, overlap and lag, and when missing time
/// becomes a finding.
public struct PullPolicy: Sendable, Equatable {
    /// Each window starts this long before the end of what is covered, so a late-booked transaction is not missed.
    public var overlapSeconds: Int
    /// Each window ends this long before now: M-Pesa may still be booking the last minutes.
    public var lagSeconds: Int
    /// How far back a window may start: inside Daraja's 48 hours with a margin for clocks (47 h 30 min).
    public var reachSeconds: Int
    /// The span the gauge and `doctor` watch (the last 46 hours).
    public var watchedSeconds: Int
    /// Uncovered time older than this is a `coverage_gap` finding (it leaves Daraja's 48 hours soon: 42 h).
    public var gapAfterSeconds: Int

    /// The defaults: 15 min overlap, 2 min lag, 47.5 h reach, 46 h watched, gaps after 42 h.
    public init(
        overlapSeconds: Int = 900, lagSeconds: Int = 120, reachSeconds: Int = 171_000, watchedSeconds: Int = 165_600,
        gapAfterSeconds: Int = 151_200
    ) {
        self.overlapSeconds = max(0, overlapSeconds)
        self.lagSeconds = max(0, lagSeconds)
        self.reachSeconds = max(3600, min(reachSeconds, 48 * 3600))
        self.watchedSeconds = max(3600, watchedSeconds)
        self.gapAfterSeconds = max(0, gapAfterSeconds)
    }

    /// Daraja's own limit: "Transactions can only be pulled within 48 hours".
    public static let darajaReachSeconds = 48 * 3600
}

/// A span of time, `start` before `end`.
public struct TimeSpan: Sendable, Hashable, Codable {
    public var start: Date
    public var end: Date

    /// A span; `nil` when it is empty.
    public init?(start: Date, end: Date) {
        guard start < end else { return nil }
        self.start = start
        self.end = end
    }

    /// Its length in whole seconds.
    public var seconds: Int { Int(end.timeIntervalSince(start)) }
}

/// A piece of time no Pull vouched for, about to leave (or already out of) Daraja's 48 hours.
public struct CoverageGap: Sendable, Hashable {
    public var shortcode: String
    public var span: TimeSpan
    /// Whether Pull can no longer reach it (only the statement can account for it now).
    public var lost: Bool
}

/// Coverage arithmetic: pure, `now` is a parameter.
public enum PullCoverage {
    /// The next window to ask for: from the end of the coverage minus the overlap (or as far back as Daraja reaches,
    /// whichever is later) to now minus the lag; `nil` when that is empty.
    public static func window(coveredUntil: Date?, now: Date, policy: PullPolicy) -> TimeSpan? {
        let reach = now.addingTimeInterval(-TimeInterval(policy.reachSeconds))
        let end = now.addingTimeInterval(-TimeInterval(policy.lagSeconds))
        let start =
            coveredUntil.map { max($0.addingTimeInterval(-TimeInterval(policy.overlapSeconds)), reach) } ?? reach
        return TimeSpan(start: start, end: end)
    }

    /// The spans merged where they touch or overlap, in order.
    public static func merged(_ spans: [TimeSpan]) -> [TimeSpan] {
        var out: [TimeSpan] = []
        for span in spans.sorted(by: { ($0.start, $0.end) < ($1.start, $1.end) }) {
            if let last = out.last, span.start <= last.end {
                out[out.count - 1].end = max(last.end, span.end)
            } else {
                out.append(span)
            }
        }
        return out
    }

    /// The parts of `[from, to]` no span covers.
    public static func uncovered(_ covered: [TimeSpan], from: Date, to: Date) -> [TimeSpan] {
        var out: [TimeSpan] = []
        var cursor = from
        for span in merged(covered) where span.end > cursor {
            if span.start >= to { break }
            if let hole = TimeSpan(start: cursor, end: min(span.start, to)) { out.append(hole) }
            cursor = max(cursor, span.end)
            if cursor >= to { break }
        }
        if let tail = TimeSpan(start: cursor, end: to) { out.append(tail) }
        return out
    }

    /// Seconds of the watched span (the last 46 hours, not before tracking began, up to now minus the lag) that no
    /// covered window vouches for: the gauge and `doctor`'s figure.
    public static func uncoveredSeconds(
        _ covered: [TimeSpan], trackingSince: Date?, now: Date, policy: PullPolicy
    )
        -> Int
    {
        let end = now.addingTimeInterval(-TimeInterval(policy.lagSeconds))
        let watched = now.addingTimeInterval(-TimeInterval(policy.watchedSeconds))
        let start = max(watched, trackingSince ?? watched)
        return uncovered(covered, from: start, to: end).reduce(0) { $0 + $1.seconds }
    }

    /// Uncovered time since tracking began (the first covered window) that started more than `gapAfterSeconds` ago:
    /// it leaves Daraja's 48 hours soon, or already has (`lost`). One gap per uncovered stretch.
    public static func gaps(
        shortcode: String, covered: [TimeSpan], trackingSince: Date?, now: Date, policy: PullPolicy
    ) -> [CoverageGap] {
        guard let trackingSince else { return [] }
        let end = now.addingTimeInterval(-TimeInterval(policy.lagSeconds))
        let warnBefore = now.addingTimeInterval(-TimeInterval(policy.gapAfterSeconds))
        let reach = now.addingTimeInterval(-TimeInterval(PullPolicy.darajaReachSeconds))
        return uncovered(covered, from: trackingSince, to: end).filter { $0.start < warnBefore }.map { span in
            CoverageGap(shortcode: shortcode, span: span, lost: span.start < reach)
        }
    }
}

extension EastAfricaTime {
    /// `yyyy-MM-dd HH:mm:ss` in Nairobi time, zero-padded: Pull Transactions' `StartDate` and `EndDate`.
    public static func pullText(_ date: Date) -> String {
        let compact = Array(compactTimestamp(date))
        let part = { (range: Range<Int>) in String(compact[range]) }
        return "\(part(0..<4))-\(part(4..<6))-\(part(6..<8)) \(part(8..<10)):\(part(10..<12)):\(part(12..<14))"
    }

    /// A Pull `trxDate` or `StartDate`: `2020-08-05T10:13:00Z` (UTC), the same without `Z` or with a space, or
    /// `yyyy-MM-dd HH:mm[:ss]` (Nairobi time); `nil` for anything else.
    public static func date(pull text: String) -> Date? {
        var body = text.trimmingSpaces()
        var utc = false
        if body.hasSuffix("Z") || body.hasSuffix("z") {
            utc = true
            body.removeLast()
        }
        if let dot = body.firstIndex(of: ".") { body = String(body[..<dot]) }
        let digits = body.filter(\.isASCIIDigit)
        let compact: String
        switch digits.count {
        case 14: compact = digits
        case 12: compact = digits + "00"
        default: return nil
        }
        guard let local = date(compact: compact) else { return nil }
        return utc ? local.addingTimeInterval(TimeInterval(secondsFromUTC)) : local
    }
}
