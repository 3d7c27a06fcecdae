/// A Kenyan mobile number in Daraja's form `2547XXXXXXXX` or `2541XXXXXXXX`.
///
/// Its `description` is masked so that a number printed by accident never leaks; use ``digits`` to send it.
public struct MSISDN: Sendable, Hashable, Codable, CustomStringConvertible {
    /// The twelve digits, e.g. `254712345678`.
    public let digits: String

    /// Why a text is not a number Daraja accepts.
    public enum ParseError: Error, Sendable, Equatable, CustomStringConvertible {
        case empty
        case invalidCharacter
        case wrongLength(Int)
        case notKenyanMobile

        public var description: String {
            switch self {
            case .empty: "the phone number is empty"
            case .invalidCharacter: "the phone number has a character that is not a digit"
            case .wrongLength(let n):
                "the phone number has \(n) digits; expected 07XXXXXXXX, 01XXXXXXXX, 2547XXXXXXXX or 2541XXXXXXXX"
            case .notKenyanMobile: "the phone number is not a Kenyan mobile number (07…, 01…, 2547…, 2541…)"
            }
        }
    }

    /// Normalises `07…`, `01…`, `7…`, `1…`, `+2547…`, `2547…`, `2541…`; spaces and dashes are ignored.
    public init(parsing text: some StringProtocol) throws(ParseError) {
        var raw = ""
        for ch in text where ch != " " && ch != "-" {
            raw.append(ch)
        }
        if raw.hasPrefix("+") { raw.removeFirst() }
        guard !raw.isEmpty else { throw .empty }
        guard raw.utf8.allSatisfy({ (0x30...0x39).contains($0) }) else { throw .invalidCharacter }
        let national: Substring
        if raw.hasPrefix("254") {
            national = raw.dropFirst(3)
        } else if raw.hasPrefix("0") {
            national = raw.dropFirst(1)
        } else {
            national = Substring(raw)
        }
        guard national.count == 9 else {
            throw .wrongLength(raw.count)
        }
        guard let first = national.first, first == "7" || first == "1" else { throw .notKenyanMobile }
        digits = "254" + national
    }

    /// `2547****1234`: the prefix and the last four digits, safe for logs and reports.
    public var masked: String {
        String(digits.prefix(4)) + "****" + String(digits.suffix(4))
    }

    public var description: String { masked }

    /// Masks any text that looks like a phone number the same way; for values that failed to parse.
    public static func mask(_ text: String) -> String {
        if let parsed = try? MSISDN(parsing: text) { return parsed.masked }
        guard text.count > 8 else { return String(repeating: "*", count: text.count) }
        return String(text.prefix(4)) + "****" + String(text.suffix(4))
    }

    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        do {
            try self.init(parsing: text)
        } catch {
            throw DecodingError.dataCorrupted(
                .init(codingPath: decoder.codingPath, debugDescription: error.description))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(digits)
    }
}
