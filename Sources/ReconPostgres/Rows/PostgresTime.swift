import Foundation
import ReconCore

/// Fast, allocation-light conversion between `Date` and PostgreSQL's ISO timestamp text.
///
/// Sessions run with `TimeZone=UTC` and `DateStyle=ISO`, so `timestamptz` arrives as
/// `2026-11-29 06:35:54.123456+00`.
enum PostgresTime {
    /// `2026-11-29T06:35:54.123456Z`.
    /// `0001-01-01T00:00:00Z` and `9999-12-31T23:59:59Z`: a date outside (a token's `exp` near Int64.max) is bound
    /// as the nearest of them instead of trapping on the conversion to microseconds.
    static let earliest: TimeInterval = -62_135_596_800
    static let latest: TimeInterval = 253_402_300_799

    static func format(_ date: Date) -> String {
        let raw = date.timeIntervalSince1970
        let clamped = raw.isNaN ? latest : Swift.min(Swift.max(raw, earliest), latest)
        let micros = Int64((clamped * 1_000_000).rounded(.down))
        var seconds = micros / 1_000_000
        var fraction = micros % 1_000_000
        if fraction < 0 {
            fraction += 1_000_000
            seconds -= 1
        }
        var days = seconds / 86_400
        var secondOfDay = seconds % 86_400
        if secondOfDay < 0 {
            secondOfDay += 86_400
            days -= 1
        }
        let (year, month, day) = civil(fromDays: days)
        func pad(_ value: Int64, _ width: Int) -> String {
            let text = String(value)
            return text.count >= width ? text : String(repeating: "0", count: width - text.count) + text
        }
        return "\(pad(year, 4))-\(pad(month, 2))-\(pad(day, 2))T\(pad(secondOfDay / 3600, 2)):"
            + "\(pad(secondOfDay / 60 % 60, 2)):\(pad(secondOfDay % 60, 2)).\(pad(fraction, 6))Z"
    }

    /// Parses `YYYY-MM-DD HH:MM:SS[.ffffff][+HH[:MM]]` from UTF-8 bytes; `nil` for anything else (e.g. `infinity`).
    static func parse(_ bytes: UnsafeBufferPointer<UInt8>) -> Date? {
        guard bytes.count >= 19 else { return nil }
        var index = 0
        func number(_ count: Int) -> Int64? {
            guard index + count <= bytes.count else { return nil }
            var value: Int64 = 0
            for _ in 0..<count {
                let byte = bytes[index]
                guard (0x30...0x39).contains(byte) else { return nil }
                value = value * 10 + Int64(byte - 0x30)
                index += 1
            }
            return value
        }
        func expect(_ one: UInt8, or other: UInt8? = nil) -> Bool {
            guard index < bytes.count, bytes[index] == one || bytes[index] == other else { return false }
            index += 1
            return true
        }
        guard let year = number(4), expect(0x2D), let month = number(2), expect(0x2D), let day = number(2),
            expect(0x20, or: 0x54), let hour = number(2), expect(0x3A), let minute = number(2), expect(0x3A),
            let second = number(2)
        else { return nil }
        var micros: Int64 = 0
        if index < bytes.count, bytes[index] == 0x2E {
            index += 1
            var digits = 0
            while index < bytes.count, (0x30...0x39).contains(bytes[index]) {
                if digits < 6 { micros = micros * 10 + Int64(bytes[index] - 0x30) }
                digits += 1
                index += 1
            }
            for _ in digits..<6 where digits < 6 { micros *= 10 }
        }
        var offsetSeconds: Int64 = 0
        if index < bytes.count {
            if bytes[index] == UInt8(ascii: "Z") {
                index += 1
            } else {
                let sign: Int64 = bytes[index] == 0x2D ? -1 : 1
                guard expect(0x2B, or: 0x2D), let offsetHours = number(2) else { return nil }
                var offsetMinutes: Int64 = 0
                if index < bytes.count {
                    _ = expect(0x3A)
                    guard let m = number(2) else { return nil }
                    offsetMinutes = m
                }
                offsetSeconds = sign * (offsetHours * 3600 + offsetMinutes * 60)
            }
        }
        guard index == bytes.count, (1...12).contains(month), (1...31).contains(day), hour < 24, minute < 60,
            second < 61
        else { return nil }
        let days = daysFromCivil(year: year, month: month, day: day)
        let seconds = days * 86_400 + hour * 3600 + minute * 60 + second - offsetSeconds
        return Date(timeIntervalSince1970: TimeInterval(seconds) + TimeInterval(micros) / 1_000_000)
    }

    /// Days since 1970-01-01 of a date.
    static func daysFromCivil(year: Int64, month: Int64, day: Int64) -> Int64 {
        CivilCalendar.days(year: year, month: month, day: day)
    }

    /// The civil date of a day number since 1970-01-01.
    static func civil(fromDays days: Int64) -> (year: Int64, month: Int64, day: Int64) {
        CivilCalendar.date(days: days)
    }
}
