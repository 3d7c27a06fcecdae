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
        var literals: [String: String] = [:]
        literals.reserveCapacity(pairs.count)
        for (key, value) in pairs {
            guard let literal = literal(value) else { return serialized(pairs) }
            literals[withoutNUL(key)] = literal
        }
        return assemble(literals)
    }

    /// The same object for the callback path's `[String: String]` (no casts at all).
    public static func object(_ pairs: [String: String]) -> String {
        var literals: [String: String] = [:]
        literals.reserveCapacity(pairs.count)
        for (key, value) in pairs { literals[withoutNUL(key)] = quoted(value) }
        return assemble(literals)
    }

    /// `{"key":literal,...}` with the keys sorted.
    private static func assemble(_ literals: [String: String]) -> String {
        var text = "{"
        for key in literals.keys.sorted() {
            if text.utf8.count > 1 { text += "," }
            appendString(key, to: &text)
            text += ":"
            text += literals[key] ?? "null"
        }
        return text + "}"
    }

    private static func withoutNUL(_ text: String) -> String {
        text.utf8.contains(0) ? text.replacingOccurrences(of: "\u{0}", with: "") : text
    }

    private static func literal(_ value: any Sendable) -> String? {
        switch value {
        case let text as String: return quoted(text)
        case let flag as Bool: return flag ? "true" : "false"
        case let number as any BinaryInteger: return "\(number)"
        default: return nil
        }
    }

    /// `text` without NULs as a JSON string literal.
    private static func quoted(_ text: String) -> String {
        var literal = ""
        appendString(withoutNUL(text), to: &literal)
        return literal
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

    private static func serialized(_ pairs: [String: any Sendable]) -> String {
        var object: [String: any Sendable] = [:]
        for (key, value) in pairs { object[withoutNUL(key)] = (value as? String).map(withoutNUL) ?? value }
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data("{}".utf8)
        return String(decoding: data, as: UTF8.self)
    }
}
