/// A calendar day with no time or zone: what a report's "Date" column means.
public struct CivilDate: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// The year, 1 to 9999.
    public let year: Int
    /// The month, 1 to 12.
    public let month: Int
    /// The day of the month, 1 to 31.
    public let day: Int

    /// A day that exists in the proleptic Gregorian calendar between years 1 and 9999.
    public init(year: Int, month: Int, day: Int) throws(ReportError) {
        guard (1...9999).contains(year), (1...12).contains(month),
            (1...CivilDate.daysIn(month: month, year: year)).contains(day)
        else {
            throw ReportError(
                code: .invalidArgument, operation: "date", message: "not a calendar day between years 1 and 9999",
                detail: "\(year)-\(month)-\(day)")
        }
        self.init(unchecked: year, month, day)
    }

    init(unchecked year: Int, _ month: Int, _ day: Int) {
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

    /// Days since 1970-01-01 (negative before it); Howard Hinnant's `days_from_civil`.
    public var daysSinceUnixEpoch: Int64 {
        let y = Int64(month <= 2 ? year - 1 : year)
        let m = Int64(month)
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + Int64(day) - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    /// The day a count of days since 1970-01-01 falls on; Howard Hinnant's `civil_from_days`.
    ///
    /// The caller keeps `days` within years 1...9999 (see `EastAfricaTime.supportedSeconds`).
    init(daysSinceUnixEpoch days: Int64) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let shiftedMonth = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * shiftedMonth + 2) / 5 + 1
        let month = shiftedMonth < 10 ? shiftedMonth + 3 : shiftedMonth - 9
        let year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
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
