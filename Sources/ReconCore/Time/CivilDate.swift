/// A calendar day with no time or zone: what a report's "Date" column means.
public struct CivilDate: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// The year, 1 to 9999.
    public let year: Int
    /// The month, 1 to 12.
    public let month: Int
    /// The day of the month, 1 to 31.
    public let day: Int

    /// A day that exists in the proleptic Gregorian calendar between years 1 and 9999; `nil` otherwise.
    public init?(checkedYear year: Int, month: Int, day: Int) {
        guard (1...9999).contains(year), (1...12).contains(month),
            (1...CivilDate.daysIn(month: month, year: year)).contains(day)
        else {
            return nil
        }
        self.init(unchecked: year, month, day)
    }

    package init(unchecked year: Int, _ month: Int, _ day: Int) {
        self.year = year
        self.month = month
        self.day = day
    }

    /// `yyyy-mm-dd`.
    public var description: String {
        String(unsafeUninitializedCapacity: 10) { buffer in
            guard let base = buffer.baseAddress else { return 0 }
            return EastAfricaTime.writeDate(self, to: UnsafeMutableRawPointer(base))
        }
    }

    public static func < (lhs: CivilDate, rhs: CivilDate) -> Bool {
        (lhs.year, lhs.month, lhs.day) < (rhs.year, rhs.month, rhs.day)
    }

    /// Days since 1970-01-01 (negative before it).
    public var daysSinceUnixEpoch: Int64 {
        CivilCalendar.days(year: Int64(year), month: Int64(month), day: Int64(day))
    }

    /// The day a count of days since 1970-01-01 falls on.
    ///
    /// The caller keeps `days` within years 1...9999 (see `EastAfricaTime.supportedSeconds`).
    package init(daysSinceUnixEpoch days: Int64) {
        let (year, month, day) = CivilCalendar.date(days: days)
        self.init(unchecked: Int(year), Int(month), Int(day))
    }

    static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }
}
