public import Foundation
public import ReconCore

/// The days a report covers: East Africa Time calendar days, both ends included.
public struct ReportPeriod: Sendable, Hashable, CustomStringConvertible {
    /// The first day (EAT).
    public let first: CivilDate
    /// The last day (EAT), included.
    public let last: CivilDate

    /// A period from `first` through `last`; `first` may not come after `last`.
    public init(first: CivilDate, last: CivilDate) throws(ReportError) {
        guard first <= last else {
            throw ReportError(
                code: .invalidArgument, operation: "period",
                message: "the period starts (\(first)) after it ends (\(last))")
        }
        self.first = first
        self.last = last
    }

    /// Yesterday and today in East Africa Time at `now`: the default of `mpesa-recon report`.
    public static func yesterdayAndToday(at now: Date = Date()) throws(ReportError) -> ReportPeriod {
        let today = try EastAfricaTime.civilDate(of: now)
        return try ReportPeriod(first: today.adding(days: -1), last: today)
    }

    /// Today in East Africa Time at `now`.
    public static func today(at now: Date = Date()) throws(ReportError) -> ReportPeriod {
        let today = try EastAfricaTime.civilDate(of: now)
        return try ReportPeriod(first: today, last: today)
    }

    /// The first instant of the period: 00:00 EAT on `first`.
    public var start: Date { Self.midnight(first) }

    /// The first instant after the period: 00:00 EAT on the day after `last` (exclusive).
    public var end: Date { Self.midnight(CivilDate(daysSinceUnixEpoch: last.daysSinceUnixEpoch + 1)) }

    /// Every day of the period in order.
    public var days: [CivilDate] {
        (first.daysSinceUnixEpoch...last.daysSinceUnixEpoch).map { CivilDate(daysSinceUnixEpoch: $0) }
    }

    /// `2026-11-28_2026-11-29`: the folder and file-name part.
    public var label: String { "\(first)_\(last)" }

    /// `2026-11-28 to 2026-11-29`.
    public var description: String { "\(first) to \(last)" }

    private static func midnight(_ day: CivilDate) -> Date {
        Date(timeIntervalSince1970: TimeInterval(day.daysSinceUnixEpoch * 86_400 - EastAfricaTime.secondsFromUTC))
    }
}

extension CivilDate {
    /// Reads `yyyy-mm-dd` (exactly ten characters) as a calendar day.
    public init(parsing text: String) throws(ReportError) {
        let bytes = Array(text.utf8)
        func number(_ range: Range<Int>) -> Int? {
            var value = 0
            for byte in bytes[range] {
                guard (0x30...0x39).contains(byte) else { return nil }
                value = value * 10 + Int(byte - 0x30)
            }
            return value
        }
        guard bytes.count == 10, bytes[4] == UInt8(ascii: "-"), bytes[7] == UInt8(ascii: "-"),
            let year = number(0..<4), let month = number(5..<7), let day = number(8..<10)
        else {
            throw ReportError(
                code: .invalidArgument, operation: "date", message: "a date must be written YYYY-MM-DD",
                detail: text)
        }
        try self.init(year: year, month: month, day: day)
    }

    /// The day `days` later (earlier when negative); throws outside years 1 to 9999.
    public func adding(days: Int) throws(ReportError) -> CivilDate {
        let target = daysSinceUnixEpoch + Int64(days)
        let first = CivilDate(unchecked: 1, 1, 1).daysSinceUnixEpoch
        let last = CivilDate(unchecked: 9999, 12, 31).daysSinceUnixEpoch
        guard (first...last).contains(target) else {
            throw ReportError(
                code: .valueOutOfRange, operation: "date", message: "the day is outside years 1 to 9999")
        }
        return CivilDate(daysSinceUnixEpoch: target)
    }
}
