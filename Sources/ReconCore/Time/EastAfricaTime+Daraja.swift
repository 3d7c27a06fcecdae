public import Foundation

/// Conversions between instants and the East Africa Time text Daraja reads and writes.
///
/// Daraja's timestamps (`Timestamp`, `TransactionDate`, `FinalisedTime`, `TransactionCompletedDateTime`) are
/// Nairobi local time (DARAJA.md §4, §9.6). Kenya keeps UTC+3 all year, so a fixed offset is exact and no time zone
/// database is consulted. The arithmetic is done by hand so that a malformed date such as 31 February is refused
/// instead of silently rolled over as a lenient calendar would do.
extension EastAfricaTime {
    /// `YYYYMMDDHHmmss` in Nairobi time, the form of STK `Timestamp`; fractions of a second are dropped.
    public static func compactTimestamp(_ date: Date) -> String {
        let fields = localFields(of: date)
        return pad(fields.year, 4) + pad(fields.month, 2) + pad(fields.day, 2) + pad(fields.hour, 2)
            + pad(fields.minute, 2) + pad(fields.second, 2)
    }

    /// The instant of a `YYYYMMDDHHmmss` Nairobi-time text (STK `TransactionDate`, `FinalisedTime`); `nil` if invalid.
    public static func date(compact text: some StringProtocol) -> Date? {
        let bytes = Array(text.utf8)
        guard bytes.count == 14 else { return nil }
        guard let year = number(bytes[0..<4]), let month = number(bytes[4..<6]), let day = number(bytes[6..<8]),
            let hour = number(bytes[8..<10]), let minute = number(bytes[10..<12]), let second = number(bytes[12..<14])
        else { return nil }
        return instant(year: year, month: month, day: day, hour: hour, minute: minute, second: second)
    }

    /// The instant of a `DD.MM.YYYY HH:mm:ss` Nairobi-time text (B2C `TransactionCompletedDateTime`); `nil` if invalid.
    public static func date(dotted text: some StringProtocol) -> Date? {
        let bytes = Array(text.utf8)
        guard bytes.count == 19, bytes[2] == UInt8(ascii: "."), bytes[5] == UInt8(ascii: "."),
            bytes[10] == UInt8(ascii: " "), bytes[13] == UInt8(ascii: ":"), bytes[16] == UInt8(ascii: ":")
        else { return nil }
        guard let day = number(bytes[0..<2]), let month = number(bytes[3..<5]), let year = number(bytes[6..<10]),
            let hour = number(bytes[11..<13]), let minute = number(bytes[14..<16]), let second = number(bytes[17..<19])
        else { return nil }
        return instant(year: year, month: month, day: day, hour: hour, minute: minute, second: second)
    }

    /// Midnight (00:00 EAT) of the Nairobi day that contains `date`.
    public static func startOfDay(_ date: Date) -> Date {
        let fields = localFields(of: date)
        return instant(year: fields.year, month: fields.month, day: fields.day, hour: 0, minute: 0, second: 0) ?? date
    }

    /// 00:00 EAT on the first of the Nairobi month that contains `date`.
    public static func startOfMonth(_ date: Date) -> Date {
        let fields = localFields(of: date)
        return instant(year: fields.year, month: fields.month, day: 1, hour: 0, minute: 0, second: 0) ?? date
    }

    private struct Fields {
        var year: Int64
        var month: Int64
        var day: Int64
        var hour: Int64
        var minute: Int64
        var second: Int64
    }

    // Years 0001–9999 keep every text at four digits; anything outside is clamped rather than trapping.
    private static let earliest: Int64 = -62_135_596_800
    private static let latest: Int64 = 253_402_300_799 - 3 * 3600

    private static func localFields(of date: Date) -> Fields {
        let interval = date.timeIntervalSince1970
        var seconds: Int64 = 0
        if interval.isFinite {
            let floored = interval.rounded(.down)
            if floored <= Double(earliest) {
                seconds = earliest
            } else if floored >= Double(latest) {
                seconds = latest
            } else {
                seconds = Int64(floored)
            }
        }
        seconds += secondsFromUTC
        var days = seconds / 86_400
        var rest = seconds % 86_400
        if rest < 0 {
            rest += 86_400
            days -= 1
        }
        let civil = civilFromDays(days)
        return Fields(
            year: civil.year, month: civil.month, day: civil.day, hour: rest / 3600, minute: rest % 3600 / 60,
            second: rest % 60)
    }

    private static func instant(
        year: Int64, month: Int64, day: Int64, hour: Int64, minute: Int64, second: Int64
    ) -> Date? {
        guard year >= 1, (1...12).contains(month), day >= 1, day <= daysInMonth(year: year, month: month),
            (0...23).contains(hour), (0...59).contains(minute), (0...59).contains(second)
        else { return nil }
        let days = daysFromCivil(year: year, month: month, day: day)
        let local = days * 86_400 + hour * 3600 + minute * 60 + second
        return Date(timeIntervalSince1970: Double(local - secondsFromUTC))
    }

    private static func daysInMonth(year: Int64, month: Int64) -> Int64 {
        switch month {
        case 2:
            let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
            return leap ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    private static func daysFromCivil(year: Int64, month: Int64, day: Int64) -> Int64 {
        CivilCalendar.days(year: year, month: month, day: day)
    }

    private static func civilFromDays(_ days: Int64) -> (year: Int64, month: Int64, day: Int64) {
        CivilCalendar.date(days: days)
    }

    private static func number(_ bytes: ArraySlice<UInt8>) -> Int64? {
        var value: Int64 = 0
        for byte in bytes {
            guard (0x30...0x39).contains(byte) else { return nil }
            value = value * 10 + Int64(byte - 0x30)
        }
        return value
    }

    private static func pad(_ value: Int64, _ width: Int) -> String {
        let text = String(value)
        return text.count >= width ? text : String(repeating: "0", count: width - text.count) + text
    }
}
