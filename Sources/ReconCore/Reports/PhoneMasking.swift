extension MSISDN {
    /// The same text as ``mask(_:)``, built straight from the bytes when `text` is already twelve digits
    /// `2547…` or `2541…` (how payments store numbers), which reports do a million times per run.
    public static func maskStored(_ text: String) -> String {
        let bytes = text.utf8
        guard bytes.count == 12, bytes.allSatisfy(isDigit), bytes.starts(with: [0x32, 0x35, 0x34]),
            bytes.dropFirst(3).first == UInt8(ascii: "7") || bytes.dropFirst(3).first == UInt8(ascii: "1")
        else { return mask(text) }
        var masked = Array(bytes)
        for index in 4..<8 { masked[index] = UInt8(ascii: "*") }
        return String(decoding: masked, as: UTF8.self)
    }

    /// Masks every phone number inside free text (a JSON detail, a raw callback body, a Daraja result description).
    ///
    /// Masking is a rule of personal data, not of phone-shaped strings: a number also hides inside identifiers
    /// (a CheckoutRequestID ends with the payer's number without `254`) and in bare nine-digit form. So:
    /// a run of digits (optionally after `+`) that reads as a Kenyan mobile number becomes `2547****1234`, and any
    /// other run of nine digits or more keeps only its last four (`ws_CO_17112022155730304796440427` becomes
    /// `ws_CO_…0427`). Text without such a run is returned unchanged and without copying.
    public static func maskNumbers(in text: String) -> String {
        let bytes = text.utf8
        guard bytes.count >= 9 else { return text }
        var output: [UInt8] = []
        var copiedUpTo = bytes.startIndex
        var index = bytes.startIndex
        while index < bytes.endIndex {
            guard isDigit(bytes[index]) else {
                index = bytes.index(after: index)
                continue
            }
            let runStart = index
            while index < bytes.endIndex, isDigit(bytes[index]) { index = bytes.index(after: index) }
            let run = bytes[runStart..<index]
            guard run.count >= 9 else { continue }
            // A leading `+` belongs to the number: `+254712345678` masks to `2547****5678`.
            var replaceFrom = runStart
            if replaceFrom > copiedUpTo {
                let before = bytes.index(before: replaceFrom)
                if bytes[before] == UInt8(ascii: "+") { replaceFrom = before }
            }
            if output.isEmpty { output.reserveCapacity(bytes.count) }
            output.append(contentsOf: bytes[copiedUpTo..<replaceFrom])
            if looksLikeMobile(run) {
                output.append(contentsOf: mask(String(decoding: run, as: UTF8.self)).utf8)
            } else {
                output.append(contentsOf: "…".utf8)
                output.append(contentsOf: run.suffix(4))
            }
            copiedUpTo = index
        }
        guard copiedUpTo > bytes.startIndex else { return text }
        output.append(contentsOf: bytes[copiedUpTo...])
        return String(decoding: output, as: UTF8.self)
    }

    /// An identifier that may embed a payer's number (CheckoutRequestID, MerchantRequestID, a conversation id) as a
    /// masked viewer sees it: its `ws_CO_` prefix, if any, and its last four characters (`ws_CO_…0427`). Whoever
    /// sees this can search by those four characters and nothing more.
    public static func maskIdentifier(_ text: String) -> String {
        guard text.count > 4 else { return text.isEmpty ? text : "…" }
        let prefix = text.hasPrefix("ws_CO_") ? "ws_CO_" : ""
        return prefix + "…" + String(text.suffix(4))
    }

    private static func isDigit(_ byte: UInt8) -> Bool { (0x30...0x39).contains(byte) }

    /// `2547…`/`2541…` with 12 digits or `07…`/`01…` with 10; bare nine-digit runs are too often other numbers.
    private static func looksLikeMobile(_ run: Substring.UTF8View) -> Bool {
        let digits = Array(run.prefix(4))
        switch run.count {
        case 12:
            return digits[0] == UInt8(ascii: "2") && digits[1] == UInt8(ascii: "5") && digits[2] == UInt8(ascii: "4")
                && (digits[3] == UInt8(ascii: "7") || digits[3] == UInt8(ascii: "1"))
        case 10:
            return digits[0] == UInt8(ascii: "0") && (digits[1] == UInt8(ascii: "7") || digits[1] == UInt8(ascii: "1"))
        default:
            return false
        }
    }
}
