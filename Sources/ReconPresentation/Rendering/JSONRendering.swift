public import Foundation

/// The one JSON form of every view: pretty, sorted keys, snake_case keys, ISO 8601 dates, slashes as they are.
public enum JSONRendering {
    /// The encoder every surface uses, so the CLI's `--json` and the API answer alike.
    public static func encoder() -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.dateEncodingStrategy = .iso8601
        return encoder
    }

    /// `value` as JSON text (no trailing newline).
    public static func render(_ value: some Encodable) throws -> String {
        String(decoding: try encoder().encode(value), as: UTF8.self)
    }
}
