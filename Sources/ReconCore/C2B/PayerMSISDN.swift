/// The payer's number as a C2B confirmation, validation or Pull carries it (C2B-PULL.md §4): an opaque text whose
/// form tells what it can prove. Never an integer, never validated as `^254\d{9}$`.
public enum PayerMSISDN: Sendable, Hashable {
    /// `254708374149` (C2B v1 until 2022, and the 2017 docs): the number itself.
    case full(MSISDN)
    /// `2547 ***** 126` or `25470****149`: the visible leading and trailing digits only.
    case masked(prefix: String, suffix: String)
    /// 64 lower-case hex characters: the SHA-256 of the ASCII `2547XXXXXXXX`.
    case hashed(String)
    /// A hash with its middle masked (`ec59…5053 ***** 134b…bb95`): its visible leading and trailing hex.
    case hashedMasked(prefix: String, suffix: String)
    /// Empty, or a shape no source documents: proves nothing.
    case none

    /// Classifies the text as received (surrounding spaces ignored, case kept for everything but hex).
    public init(_ text: String) {
        let trimmed = text.trimmingSpaces()
        guard !trimmed.isEmpty else {
            self = .none
            return
        }
        let isHex: (Character) -> Bool = { $0.isHexDigit && $0.isASCII }
        if trimmed.count == 64, trimmed.allSatisfy(isHex) {
            self = .hashed(trimmed.lowercased())
            return
        }
        if let star = trimmed.firstIndex(of: "*") {
            let head = trimmed[..<star].trimmingSpaces()
            let tail = trimmed[star...].drop { $0 == "*" || $0 == " " }.trimmingSpaces()
            guard !head.isEmpty, !tail.isEmpty, !tail.contains("*") else {
                self = .none
                return
            }
            if head.allSatisfy(\.isASCIIDigit), tail.allSatisfy(\.isASCIIDigit), head.hasPrefix("254") {
                self = .masked(prefix: head, suffix: tail)
            } else if head.allSatisfy(isHex), tail.allSatisfy(isHex), head.count + tail.count >= 40 {
                self = .hashedMasked(prefix: head.lowercased(), suffix: tail.lowercased())
            } else {
                self = .none
            }
            return
        }
        if trimmed.allSatisfy(\.isASCIIDigit), let number = try? MSISDN(parsing: trimmed) {
            self = .full(number)
            return
        }
        self = .none
    }

    /// The form's name as `c2b_transactions.msisdn_form` stores it.
    public var form: String {
        switch self {
        case .full: "full"
        case .masked: "masked"
        case .hashed: "hashed"
        case .hashedMasked: "hashed_masked"
        case .none: "none"
        }
    }

    /// Safe to log or show: a full number masked, a hash shortened; never the number.
    public var display: String {
        switch self {
        case .full(let number): number.masked
        case .masked(let prefix, let suffix): "\(prefix)****\(suffix)"
        case .hashed(let hash): "sha256:\(hash.prefix(8))…"
        case .hashedMasked(let prefix, _): "sha256:\(prefix.prefix(8))…(masked)"
        case .none: "none"
        }
    }

    /// Whether this evidence alone names one number (full or hashed forms); a masked number only narrows.
    public var identifiesNumber: Bool {
        switch self {
        case .full, .hashed, .hashedMasked: true
        case .masked, .none: false
        }
    }
}
