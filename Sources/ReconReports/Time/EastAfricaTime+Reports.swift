public import Foundation
public import ReconCore

/// ReconCore's East Africa Time and calendar days, refusing out-of-range values with a ``ReportError``.
extension EastAfricaTime {
    /// `2026-11-29T09:35:54+03:00`; fractions of a second are dropped (rounded toward the past).
    public static func iso8601(_ date: Date) throws(ReportError) -> String {
        guard let text = iso8601Text(date) else { throw outOfRange("format date") }
        return text
    }

    /// The calendar day in East Africa Time on which `date` falls.
    public static func civilDate(of date: Date) throws(ReportError) -> CivilDate {
        guard let day = civilDay(of: date) else { throw outOfRange("date") }
        return day
    }

    /// The whole Unix seconds of `date`, rounded toward the past, checked against `supportedSeconds`.
    static func unixSeconds(_ date: Date, operation: String) throws(ReportError) -> Int64 {
        guard let seconds = unixSeconds(date) else { throw outOfRange(operation) }
        return seconds
    }

    private static func outOfRange(_ operation: String) -> ReportError {
        ReportError(code: .valueOutOfRange, operation: operation, message: "the date is outside years 1 to 9999")
    }
}

extension CivilDate {
    /// A day that exists in the proleptic Gregorian calendar between years 1 and 9999.
    public init(year: Int, month: Int, day: Int) throws(ReportError) {
        guard let date = CivilDate(checkedYear: year, month: month, day: day) else {
            throw ReportError(
                code: .invalidArgument, operation: "date", message: "not a calendar day between years 1 and 9999",
                detail: "\(year)-\(month)-\(day)")
        }
        self = date
    }
}
