import Foundation

/// Builds small JSON objects for `jsonb` columns (event details, job summaries) from string pairs.
public enum JSONText {
    /// A JSON object with sorted keys; values are strings, integers or booleans.
    /// NUL characters are dropped: `jsonb` refuses `\u0000`, and a callback must never fail on one.
    public static func object(_ pairs: [String: any Sendable]) -> String {
        var clean: [String: any Sendable] = [:]
        for (key, value) in pairs {
            clean[key.replacingOccurrences(of: "\u{0}", with: "")] =
                (value as? String).map { $0.replacingOccurrences(of: "\u{0}", with: "") } ?? value
        }
        let data = (try? JSONSerialization.data(withJSONObject: clean, options: [.sortedKeys])) ?? Data("{}".utf8)
        return String(decoding: data, as: UTF8.self)
    }
}
