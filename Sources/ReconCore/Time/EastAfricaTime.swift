public import Foundation

/// East Africa Time (UTC+3, no daylight saving): the zone every report shows, formatted without `DateFormatter`.
///
/// Reports write millions of timestamps, so this works from the Unix time with integer arithmetic only.
public enum EastAfricaTime {
    /// The fixed offset from UTC: +03:00.
    public static let secondsFromUTC: Int64 = 10_800

    /// Unix seconds from 0001-01-01T00:00:00+03:00 to 9999-12-31T23:59:59+03:00: what four-digit years can show.
    public static let supportedSeconds: ClosedRange<Int64> = (-62_135_596_800 - 10_800)...(253_402_300_799 - 10_800)

    /// `2026-11-29T09:35:54+03:00`; fractions of a second are dropped (rounded toward the past); `nil` outside
    /// `supportedSeconds`.
    public static func iso8601Text(_ date: Date) -> String? {
        guard let seconds = unixSeconds(date) else { return nil }
        return String(unsafeUninitializedCapacity: iso8601Length) { buffer in
            guard let base = buffer.baseAddress else { return 0 }
            return writeISO8601(unixSeconds: seconds, to: UnsafeMutableRawPointer(base))
        }
    }

    /// The calendar day in East Africa Time on which `date` falls; `nil` outside `supportedSeconds`.
    public static func civilDay(of date: Date) -> CivilDate? {
        guard let seconds = unixSeconds(date) else { return nil }
        return CivilDate(daysSinceUnixEpoch: floorDivide(seconds + secondsFromUTC, 86_400).quotient)
    }

    /// The whole Unix seconds of `date`, rounded toward the past, checked against `supportedSeconds`.
    package static func unixSeconds(_ date: Date) -> Int64? {
        let interval = date.timeIntervalSince1970.rounded(.down)
        // Compare as floating point first: converting a huge or non-finite value to Int64 would trap.
        guard interval.isFinite, interval >= Double(supportedSeconds.lowerBound),
            interval <= Double(supportedSeconds.upperBound)
        else {
            return nil
        }
        return Int64(interval)
    }

    /// Length of `yyyy-mm-ddThh:mm:ss+03:00`.
    package static let iso8601Length = 25

    /// Writes `yyyy-mm-ddThh:mm:ss+03:00` (25 bytes); `unixSeconds` must be within `supportedSeconds`.
    package static func writeISO8601(unixSeconds: Int64, to out: UnsafeMutableRawPointer) -> Int {
        var at = writeDateTime(unixSeconds: unixSeconds, separator: UInt8(ascii: "T"), to: out)
        for byte in "+03:00".utf8 {
            out.storeBytes(of: byte, toByteOffset: at, as: UInt8.self)
            at += 1
        }
        return at
    }

    /// Writes `yyyy-mm-dd hh:mm:ss` in EAT without the offset (19 bytes), the form spreadsheets read as a date-time.
    package static func writeLocal(unixSeconds: Int64, to out: UnsafeMutableRawPointer) -> Int {
        writeDateTime(unixSeconds: unixSeconds, separator: UInt8(ascii: " "), to: out)
    }

    /// The EAT date, `separator`, and the time of day (19 bytes).
    private static func writeDateTime(unixSeconds: Int64, separator: UInt8, to out: UnsafeMutableRawPointer) -> Int {
        let (days, secondOfDay) = floorDivide(unixSeconds + secondsFromUTC, 86_400)
        var at = writeDate(CivilDate(daysSinceUnixEpoch: days), to: out)
        out.storeBytes(of: separator, toByteOffset: at, as: UInt8.self)
        at += 1
        at += writeTime(secondOfDay: Int(secondOfDay), to: out + at)
        return at
    }

    /// Writes `yyyy-mm-dd` (10 bytes).
    package static func writeDate(_ date: CivilDate, to out: UnsafeMutableRawPointer) -> Int {
        writeDigits(date.year, count: 4, to: out)
        out.storeBytes(of: UInt8(ascii: "-"), toByteOffset: 4, as: UInt8.self)
        writeDigits(date.month, count: 2, to: out + 5)
        out.storeBytes(of: UInt8(ascii: "-"), toByteOffset: 7, as: UInt8.self)
        writeDigits(date.day, count: 2, to: out + 8)
        return 10
    }

    /// Writes `hh:mm:ss` (8 bytes).
    package static func writeTime(secondOfDay: Int, to out: UnsafeMutableRawPointer) -> Int {
        writeDigits(secondOfDay / 3600, count: 2, to: out)
        out.storeBytes(of: UInt8(ascii: ":"), toByteOffset: 2, as: UInt8.self)
        writeDigits(secondOfDay / 60 % 60, count: 2, to: out + 3)
        out.storeBytes(of: UInt8(ascii: ":"), toByteOffset: 5, as: UInt8.self)
        writeDigits(secondOfDay % 60, count: 2, to: out + 6)
        return 8
    }

    private static func writeDigits(_ value: Int, count: Int, to out: UnsafeMutableRawPointer) {
        var rest = value
        for index in stride(from: count - 1, through: 0, by: -1) {
            out.storeBytes(of: UInt8(truncatingIfNeeded: 0x30 + rest % 10), toByteOffset: index, as: UInt8.self)
            rest /= 10
        }
    }

    /// Division rounding toward negative infinity, so times before 1970 land on the right day.
    package static func floorDivide(_ value: Int64, _ divisor: Int64) -> (quotient: Int64, remainder: Int64) {
        var (quotient, remainder) = value.quotientAndRemainder(dividingBy: divisor)
        if remainder < 0 {
            quotient -= 1
            remainder += divisor
        }
        return (quotient, remainder)
    }
}
