import Foundation

/// Builds small JSON objects for `jsonb` columns (event details, job summaries, callback headers) from pairs.
public enum JSONText {
    /// A JSON object with sorted keys; values are strings, integers or booleans.
    /// NUL characters are dropped: `jsonb` refuses `\u0000`, and a callback must never fail on one.
    ///
    /// Written by hand rather than with `JSONSerialization`, which boxes and casts every value: on the
    /// callback path (headers of every body, details of every payment event) it was a third of `serve`'s CPU.
    /// A value of any other type falls back to `JSONSerialization`, as before.
    public static func object(_ pairs: [String: any Sendable]) -> String {
        var clean: [String: any Sendable] = [:]
        clean.reserveCapacity(pairs.count)
        for (key, value) in pairs {
            clean[withoutNUL(key)] = (value as? String).map(withoutNUL) ?? value
        }
        var text = "{"
        for key in clean.keys.sorted() {
            guard let value = clean[key], let literal = literal(value) else { return serialized(clean) }
            if text.utf8.count > 1 { text += "," }
            appendString(key, to: &text)
            text += ":"
            text += literal
        }
        return text + "}"
    }

    /// The same object for the callback path's `[String: String]` (no casts at all).
    public static func object(_ pairs: [String: String]) -> String {
        var text = "{"
        var clean: [String: String] = [:]
        clean.reserveCapacity(pairs.count)
        for (key, value) in pairs { clean[withoutNUL(key)] = withoutNUL(value) }
        for key in clean.keys.sorted() {
            if text.utf8.count > 1 { text += "," }
            appendString(key, to: &text)
            text += ":"
            appendString(clean[key] ?? "", to: &text)
        }
        return text + "}"
    }

    private static func withoutNUL(_ text: String) -> String {
        text.utf8.contains(0) ? text.replacingOccurrences(of: "\u{0}", with: "") : text
    }

    private static func literal(_ value: any Sendable) -> String? {
        switch value {
        case let text as String:
            var literal = ""
            appendString(text, to: &literal)
            return literal
        case let flag as Bool: return flag ? "true" : "false"
        case let number as any BinaryInteger: return "\(number)"
        default: return nil
        }
    }

    /// Appends `text` as a JSON string literal: quotes, backslashes and control characters escaped (RFC 8259 §7).
    static func appendString(_ text: String, to output: inout String) {
        output += "\""
        var plain = true
        for byte in text.utf8 where byte < 0x20 || byte == 0x22 || byte == 0x5C {
            plain = false
            break
        }
        if plain {
            output += text
        } else {
            for scalar in text.unicodeScalars {
                switch scalar {
                case "\"": output += "\\\""
                case "\\": output += "\\\\"
                case "\n": output += "\\n"
                case "\r": output += "\\r"
                case "\t": output += "\\t"
                case _ where scalar.value < 0x20:
                    let hex = String(scalar.value, radix: 16)
                    output += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                default: output.unicodeScalars.append(scalar)
                }
            }
        }
        output += "\""
    }

    private static func serialized(_ object: [String: any Sendable]) -> String {
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data("{}".utf8)
        return String(decoding: data, as: UTF8.self)
    }
}
