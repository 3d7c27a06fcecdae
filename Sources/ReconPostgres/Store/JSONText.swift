import Foundation

/// Builds small JSON objects for `jsonb` columns (event details, job summaries) from string pairs.
public enum JSONText {
    /// A JSON object with sorted keys; values are strings, integers or booleans.
    public static func object(_ pairs: [String: any Sendable]) -> String {
        let data = (try? JSONSerialization.data(withJSONObject: pairs, options: [.sortedKeys])) ?? Data("{}".utf8)
        return String(decoding: data, as: UTF8.self)
    }
}
