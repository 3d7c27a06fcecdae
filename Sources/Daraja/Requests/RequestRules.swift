import ReconCore

/// Text rules shared by the request builders.
public enum DarajaText {
    /// Keeps ASCII letters, digits, space, `-`, `_` and `.`; drops everything else and trims spaces.
    ///
    /// Special characters such as `@ # &` in `AccountReference`, `TransactionDesc` or `Remarks` have made Daraja fail
    /// silently (DARAJA.md §9.8), and `AccountReference` is documented as alphanumeric (§2). The few punctuation marks
    /// kept are common in references and harmless; anything outside ASCII is dropped because the prompt and SMS
    /// channels are not known to carry it.
    public static func sanitised(_ text: String) -> String {
        var kept = ""
        for scalar in text.unicodeScalars {
            let value = scalar.value
            let isLetterOrDigit =
                (0x30...0x39).contains(value) || (0x41...0x5A).contains(value) || (0x61...0x7A).contains(value)
            if isLetterOrDigit || scalar == " " || scalar == "-" || scalar == "_" || scalar == "." {
                kept.unicodeScalars.append(scalar)
            }
        }
        return kept.trimmingSpaces()
    }

    /// Words Safaricom says must not appear anywhere in a callback URL, in any case (DARAJA.md §8).
    public static let forbiddenURLWords = ["m-pesa", "mpesa", "safaricom", "exec", "exe", "cmd", "sql", "query"]

    /// Checks a CallBackURL, ResultURL or QueueTimeOutURL against the rules Daraja is known to enforce (DARAJA.md §8).
    ///
    /// Errors name the rule, never the URL, because the URL carries the callback's secret token.
    public static func checkCallbackURL(_ url: String, field: String) throws(DarajaError) {
        guard !url.isEmpty else { throw DarajaError(.invalidRequest, field: field, reason: "is empty") }
        guard url.unicodeScalars.allSatisfy({ $0.isASCII && $0.value > 0x20 && $0.value != 0x7F }) else {
            throw DarajaError(.invalidRequest, field: field, reason: "contains spaces or characters that are not ASCII")
        }
        let rest: Substring
        if url.hasPrefix("https://") {
            rest = url.dropFirst(8)
        } else if url.hasPrefix("http://") {
            rest = url.dropFirst(7)
        } else {
            throw DarajaError(
                .invalidRequest, field: field, reason: "must start with https:// (or http:// in the sandbox)")
        }
        let authority = rest.prefix { $0 != "/" && $0 != "?" && $0 != "#" }
        let host = authority.split(separator: "@").last.map { $0.prefix { $0 != ":" } } ?? ""
        guard !host.isEmpty else { throw DarajaError(.invalidRequest, field: field, reason: "has no host") }
        // A host with capitals was rejected by the sandbox (DARAJA.md §8, unconfirmed cause); lowercase costs nothing.
        guard !host.contains(where: \.isUppercase) else {
            throw DarajaError(.invalidRequest, field: field, reason: "has uppercase letters in its host")
        }
        let lowered = url.lowercased()
        if let word = forbiddenURLWords.first(where: { lowered.contains($0) }) {
            throw DarajaError(.invalidRequest, field: field, reason: "contains the word '\(word)', which Daraja blocks")
        }
    }

    /// A shortcode, till or store number: digits only.
    static func checkShortcode(_ value: String, field: String) throws(DarajaError) {
        guard (5...10).contains(value.utf8.count), value.utf8.allSatisfy({ (0x30...0x39).contains($0) }) else {
            throw DarajaError(.invalidRequest, field: field, reason: "must be 5 to 10 digits")
        }
    }

    /// A whole-shilling amount within `range`, as the integer Daraja expects.
    static func wholeShillings(
        _ amount: Money, in range: ClosedRange<Int64>, field: String
    ) throws(DarajaError) -> Int64 {
        // Decimals make Daraja answer "Invalid Amount" (DARAJA.md §2): cents are refused, never rounded.
        guard amount.isWholeShillings else {
            throw DarajaError(.invalidRequest, field: field, reason: "must be whole shillings, without cents")
        }
        guard range.contains(amount.wholeShillings) else {
            throw DarajaError(
                .invalidRequest, field: field,
                reason: "must be from \(range.lowerBound) to \(range.upperBound) shillings")
        }
        return amount.wholeShillings
    }

    /// Sanitised text whose length must fall in `range`.
    static func sanitised(_ text: String, length range: ClosedRange<Int>, field: String) throws(DarajaError) -> String {
        let clean = sanitised(text)
        guard range.contains(clean.count) else {
            throw DarajaError(
                .invalidRequest, field: field,
                reason:
                    "must have \(range.lowerBound) to \(range.upperBound) characters after removing special characters")
        }
        return clean
    }

    /// A value with no control characters that must not be empty.
    static func plain(_ text: String, field: String, maximumLength: Int = 200) throws(DarajaError) -> String {
        guard !text.isEmpty, text.count <= maximumLength,
            text.unicodeScalars.allSatisfy({ $0.value >= 0x20 && $0.value != 0x7F })
        else {
            throw DarajaError(
                .invalidRequest, field: field,
                reason: "must be 1 to \(maximumLength) characters without control characters")
        }
        return text
    }

    /// A `SecurityCredential`: the encrypted initiator password, base64, longer than other plain values.
    static func securityCredential(_ text: String) throws(DarajaError) -> String {
        try plain(text, field: "SecurityCredential", maximumLength: 4096)
    }

    /// An optional occasion after sanitising, 1–100 characters; `field` is the key's spelling in the request.
    static func occasion(_ text: String?, field: String) throws(DarajaError) -> String? {
        try text.map { (text) throws(DarajaError) in try sanitised(text, length: 1...100, field: field) }
    }
}
