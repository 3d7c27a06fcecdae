/// An amount of Kenyan shillings held as integer cents (minor units); never floating point.
public struct Money: Sendable, Hashable, Comparable, Codable, CustomStringConvertible {
    /// The amount in minor units (cents). KES has two decimal places.
    public var minorUnits: Int64

    /// The ISO 4217 code of the only currency M-Pesa moves here.
    public static let currency = "KES"

    /// An amount from minor units.
    public init(minorUnits: Int64) {
        self.minorUnits = minorUnits
    }

    /// An amount of whole shillings; `nil` when it would overflow.
    public init?(shillings: Int64) {
        let (value, overflow) = shillings.multipliedReportingOverflow(by: 100)
        if overflow { return nil }
        self.minorUnits = value
    }

    /// Zero shillings.
    public static let zero = Money(minorUnits: 0)

    /// Whether the amount has no cents.
    public var isWholeShillings: Bool { minorUnits % 100 == 0 }

    /// The whole-shilling part (truncated toward zero).
    public var wholeShillings: Int64 { minorUnits / 100 }

    /// Plain decimal text with two places and no grouping, e.g. `-1234.50`; the form SQL `numeric` and CSV take.
    public var decimalString: String {
        let negative = minorUnits < 0
        let magnitude = minorUnits.magnitude
        let cents = magnitude % 100
        let text = "\(magnitude / 100).\(cents < 10 ? "0" : "")\(cents)"
        return negative ? "-" + text : text
    }

    /// `KES 1,234.50`, for people.
    public var description: String {
        let negative = minorUnits < 0
        let magnitude = minorUnits.magnitude
        var whole = String(magnitude / 100)
        var grouped = ""
        while whole.count > 3 {
            grouped = "," + whole.suffix(3) + grouped
            whole.removeLast(3)
        }
        let cents = magnitude % 100
        return "KES \(negative ? "-" : "")\(whole)\(grouped).\(cents < 10 ? "0" : "")\(cents)"
    }

    public static func < (lhs: Money, rhs: Money) -> Bool { lhs.minorUnits < rhs.minorUnits }

    /// The sum, or `nil` on overflow.
    public func adding(_ other: Money) -> Money? {
        let (value, overflow) = minorUnits.addingReportingOverflow(other.minorUnits)
        return overflow ? nil : Money(minorUnits: value)
    }

    /// The difference, or `nil` on overflow.
    public func subtracting(_ other: Money) -> Money? {
        let (value, overflow) = minorUnits.subtractingReportingOverflow(other.minorUnits)
        return overflow ? nil : Money(minorUnits: value)
    }
}

extension Money {
    /// Why a text could not be read as an amount.
    public enum ParseError: Error, Sendable, Equatable, CustomStringConvertible {
        case empty
        case invalidCharacter
        case tooManyDecimals
        case misplacedGrouping
        case outOfRange

        public var description: String {
            switch self {
            case .empty: "the amount is empty"
            case .invalidCharacter: "the amount has a character that is not a digit, ',' or '.'"
            case .tooManyDecimals: "the amount has more than two decimal places"
            case .misplacedGrouping: "the amount has a ',' that does not separate thousands"
            case .outOfRange: "the amount is too large"
            }
        }
    }

    /// Reads `"1,000.00"`, `"1.00"`, `"1.5"`, `"1"`, `"-3.20"` exactly; JSON numbers go through their text too.
    ///
    /// Thousands separators must group by three; a third non-zero decimal is an error, never rounded.
    public static func parse(_ text: some StringProtocol) throws(ParseError) -> Money {
        var bytes = Array(text.utf8)
        while let last = bytes.last, last == 0x20 { bytes.removeLast() }
        while let first = bytes.first, first == 0x20 { bytes.removeFirst() }
        guard !bytes.isEmpty else { throw .empty }
        var negative = false
        if bytes[0] == UInt8(ascii: "-") || bytes[0] == UInt8(ascii: "+") {
            negative = bytes[0] == UInt8(ascii: "-")
            bytes.removeFirst()
        }
        guard !bytes.isEmpty else { throw .empty }
        let dot = bytes.firstIndex(of: UInt8(ascii: "."))
        let integerPart = bytes[..<(dot ?? bytes.endIndex)]
        let fractionPart = dot.map { bytes[($0 + 1)...] } ?? []
        guard !integerPart.isEmpty else { throw .invalidCharacter }

        // Validate grouping: either no commas, or groups of exactly three after the first.
        let groups = integerPart.split(separator: UInt8(ascii: ","), omittingEmptySubsequences: false)
        if groups.count > 1 {
            guard let first = groups.first, (1...3).contains(first.count),
                groups.dropFirst().allSatisfy({ $0.count == 3 })
            else { throw .misplacedGrouping }
        }
        var whole: Int64 = 0
        for byte in integerPart where byte != UInt8(ascii: ",") {
            guard (0x30...0x39).contains(byte) else { throw .invalidCharacter }
            let (times, o1) = whole.multipliedReportingOverflow(by: 10)
            let (plus, o2) = times.addingReportingOverflow(Int64(byte - 0x30))
            if o1 || o2 { throw .outOfRange }
            whole = plus
        }
        var cents: Int64 = 0
        var digits = 0
        for byte in fractionPart {
            guard (0x30...0x39).contains(byte) else { throw .invalidCharacter }
            digits += 1
            if digits > 2 {
                // "1.000" is exact; "1.001" is not a shilling amount.
                guard byte == 0x30 else { throw .tooManyDecimals }
                continue
            }
            cents = cents * 10 + Int64(byte - 0x30)
        }
        if digits == 1 { cents *= 10 }
        let (scaled, o1) = whole.multipliedReportingOverflow(by: 100)
        let (total, o2) = scaled.addingReportingOverflow(cents)
        if o1 || o2 { throw .outOfRange }
        return Money(minorUnits: negative ? -total : total)
    }
}
