public import Foundation

/// Reads the values of statement cells: day-first EAT dates or Excel serial numbers, amounts with thousands
/// separators, and numbers as XLSX stores them. Pure functions; `nil` means "not such a value".
public enum StatementValues {
    /// East Africa Time's offset: the statement's clock.
    static let eatOffsetSeconds: Int64 = 3 * 3600

    /// The instant of a date cell: `DD-MM-YYYY HH:MM:SS` (or `/` `.` separators, seconds optional),
    /// `YYYY-MM-DD HH:MM:SS`, or an Excel serial number (days since 1899-12-30, EAT wall clock).
    public static func date(_ cell: StatementCell) -> Date? {
        switch cell {
        case .empty: return nil
        case .number(let literal): return serialDate(literal)
        case .text:
            let text = cell.text
            if text.isEmpty { return nil }
            if text.utf8.allSatisfy({ ($0 >= 0x30 && $0 <= 0x39) || $0 == UInt8(ascii: ".") }) {
                return serialDate(text)
            }
            return textDate(text)
        }
    }

    /// `DD-MM-YYYY HH:MM[:SS]`, `DD/MM/YYYY …`, `DD.MM.YYYY …` or `YYYY-MM-DD HH:MM[:SS]` in EAT.
    public static func textDate(_ text: String) -> Date? {
        let parts = text.split(separator: " ", omittingEmptySubsequences: true)
        guard parts.count == 2 || parts.count == 1 else { return nil }
        let dateFields = parts[0].split(whereSeparator: { $0 == "-" || $0 == "/" || $0 == "." }).map { Int64($0) }
        guard dateFields.count == 3, let a = dateFields[0], let b = dateFields[1], let c = dateFields[2] else {
            return nil
        }
        let yearFirst = parts[0].split(whereSeparator: { $0 == "-" || $0 == "/" || $0 == "." })[0].count == 4
        let (year, month, day) = yearFirst ? (a, b, c) : (c, b, a)
        var hour: Int64 = 0
        var minute: Int64 = 0
        var second: Int64 = 0
        if parts.count == 2 {
            let timeFields = parts[1].split(separator: ":").map { Int64($0) }
            guard timeFields.count == 2 || timeFields.count == 3, let h = timeFields[0], let m = timeFields[1] else {
                return nil
            }
            hour = h
            minute = m
            if timeFields.count == 3 {
                guard let s = timeFields[2] else { return nil }
                second = s
            }
        }
        // Ranges first: the fields come from outside and could overflow the arithmetic below.
        guard (0...23).contains(hour), (0...59).contains(minute), (0...59).contains(second) else { return nil }
        return eatInstant(
            year: year, month: month, day: day, seconds: hour * 3600 + minute * 60 + second, validTime: true)
    }

    /// An Excel serial date-time (`45412.5` is 2024-04-30 12:00 on the wall clock), read exactly from its decimal
    /// text and rounded to the second.
    public static func serialDate(_ literal: String) -> Date? {
        guard let (whole, numerator, denominator) = decimalParts(literal), whole >= 1, whole < 2_958_466 else {
            return nil
        }
        // Rounded to the nearest second; the fraction is read as an exact decimal, never through a Double.
        let seconds = (numerator * 86_400 + denominator / 2) / denominator
        let days = whole - 25_569  // 1899-12-30 + 25569 days = 1970-01-01
        let local = days * 86_400 + seconds
        return Date(timeIntervalSince1970: Double(local - eatOffsetSeconds))
    }

    /// A money cell: empty is zero; text may carry thousands separators, a sign, or `KES`; XLSX numbers may carry
    /// binary noise (`1234.5000000001`), which is dropped only when it is noise and not a third decimal.
    public static func amount(_ cell: StatementCell) -> Money? {
        switch cell {
        case .empty: return .zero
        case .number(let literal): return numberAmount(literal)
        case .text:
            var text = cell.text
            if text.isEmpty || text == "-" { return .zero }
            for prefix in ["KES", "Ksh", "KSH", "Kshs"] where text.hasPrefix(prefix) {
                text = String(text.dropFirst(prefix.count)).trimmingCharacters(in: .whitespaces)
            }
            if text.hasPrefix("("), text.hasSuffix(")") { text = "-" + text.dropFirst().dropLast() }
            if let money = try? Money.parse(text) { return money }
            // A CSV saved from Excel can carry the float text of a number cell.
            if !text.contains(","), text.utf8.allSatisfy({ ($0 >= 0x30 && $0 <= 0x39) || $0 == 0x2E || $0 == 0x2D }) {
                return numberAmount(text)
            }
            return nil
        }
    }

    static func numberAmount(_ literal: String) -> Money? {
        var text = Substring(literal)
        var negative = false
        if text.first == "-" {
            negative = true
            text = text.dropFirst()
        }
        let pieces = text.split(separator: ".", omittingEmptySubsequences: false)
        guard pieces.count <= 2, let wholeText = pieces.first, !wholeText.isEmpty, wholeText.count <= 15,
            wholeText.allSatisfy({ $0.isASCII && $0.isNumber }), let whole = Int64(wholeText)
        else { return nil }
        var fraction = pieces.count == 2 ? Array(pieces[1]) : []
        guard fraction.allSatisfy({ $0.isASCII && $0.isNumber }) else { return nil }
        while fraction.count < 2 { fraction.append("0") }
        guard let cents = Int64(String(fraction[0..<2])) else { return nil }
        var total = whole * 100 + cents
        let rest = fraction[2...]
        if !rest.allSatisfy({ $0 == "0" }) {
            // Binary noise of a stored double: many zeros or nines after the cents; anything else is a real
            // third decimal, which no shilling amount has.
            if rest.count >= 6, rest.prefix(5).allSatisfy({ $0 == "0" }) {
                // noise above the exact value
            } else if rest.count >= 6, rest.prefix(5).allSatisfy({ $0 == "9" }) {
                total += 1
            } else {
                return nil
            }
        }
        return Money(minorUnits: negative ? -total : total)
    }

    /// `whole`, and the fraction as `numerator / denominator`, of a plain decimal literal (at most 12 decimals).
    static func decimalParts(_ literal: String) -> (Int64, Int64, Int64)? {
        let pieces = literal.split(separator: ".", omittingEmptySubsequences: false)
        guard pieces.count <= 2, let wholeText = pieces.first, !wholeText.isEmpty, wholeText.count <= 9,
            let whole = Int64(wholeText), whole >= 0
        else { return nil }
        guard pieces.count == 2 else { return (whole, 0, 1) }
        let fraction = pieces[1].prefix(12)
        guard fraction.allSatisfy({ $0.isASCII && $0.isNumber }) else { return nil }
        if fraction.isEmpty { return (whole, 0, 1) }
        guard let numerator = Int64(fraction) else { return nil }
        var denominator: Int64 = 1
        for _ in 0..<fraction.count { denominator *= 10 }
        return (whole, numerator, denominator)
    }

    static func eatInstant(year: Int64, month: Int64, day: Int64, seconds: Int64, validTime: Bool) -> Date? {
        guard validTime, (1900...9999).contains(year), (1...12).contains(month), (1...31).contains(day) else {
            return nil
        }
        let days = CivilCalendar.days(year: year, month: month, day: day)
        // 31 February rolls over in the arithmetic; refuse it instead.
        let back = CivilCalendar.date(days: days)
        guard back.year == year, back.month == month, back.day == day else { return nil }
        return Date(timeIntervalSince1970: Double(days * 86_400 + seconds - eatOffsetSeconds))
    }

    /// `From 01-05-2024 00:00:00 To 31-05-2024 23:59:59` → both instants.
    public static func period(_ text: String) -> (Date, Date)? {
        let lower = text.lowercased()
        guard let from = lower.range(of: "from"),
            let to = lower.range(of: " to ", range: from.upperBound..<lower.endIndex)
        else { return nil }
        let startText = String(text[from.upperBound..<to.lowerBound]).trimmingCharacters(in: .whitespaces)
        let endText = String(text[to.upperBound...]).trimmingCharacters(in: .whitespaces)
        guard let start = textDate(startText), let end = textDate(endText) else { return nil }
        return (start, end)
    }
}
