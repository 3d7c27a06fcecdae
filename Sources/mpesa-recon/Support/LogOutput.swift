import Foundation
import Logging
import ReconCore

/// How the CLI writes on stderr: swift-log's text lines, or one JSON object per line (`RECON_LOG_FORMAT=json`).
///
/// In JSON every stderr line is an object (`timestamp` with its zone, in EAT like the reports; `level`; `label`;
/// `message`; `metadata`), the CLI's own problem lines included, so a log shipper never meets plain text.
enum LogOutput {
    /// `text` or `json`, from the environment or `./.env` (read before arguments are parsed).
    nonisolated(unsafe) static var json = false

    /// Bootstraps swift-log once, at start, from the settings the command reads.
    static func bootstrap(_ env: Environment) {
        let level = env.optional("RECON_LOG_LEVEL").flatMap(Logger.Level.init(rawValue:)) ?? .info
        let json = env.optional("RECON_LOG_FORMAT") == "json"
        Self.json = json
        LoggingSystem.bootstrap { label in
            if json { return JSONLogHandler(label: label, logLevel: level) }
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
    }

    /// Writes one line the CLI itself reports (a problem, a refusal) in the format in force.
    static func line(_ message: String, level: Logger.Level) {
        let text =
            json
            ? JSONLogHandler.render(date: Date(), level: level, label: "mpesa-recon", message: message, metadata: [:])
            : "mpesa-recon: \(message)"
        FileHandle.standardError.write(Data((text + "\n").utf8))
    }
}

/// One JSON object per log line on stderr.
struct JSONLogHandler: LogHandler {
    let label: String
    var logLevel: Logger.Level
    var metadata: Logger.Metadata = [:]
    var metadataProvider: Logger.MetadataProvider?

    init(label: String, logLevel: Logger.Level) {
        self.label = label
        self.logLevel = logLevel
    }

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        var merged = metadata
        if let provided = metadataProvider?.get() { merged.merge(provided) { $1 } }
        if let extra = event.metadata { merged.merge(extra) { $1 } }
        if let error = event.error { merged["error"] = "\(error)" }
        let line = Self.render(
            date: Date(), level: event.level, label: label, message: event.message.description, metadata: merged)
        FileHandle.standardError.write(Data((line + "\n").utf8))
    }

    /// The JSON object of one line, keys sorted.
    static func render(
        date: Date, level: Logger.Level, label: String, message: String, metadata: Logger.Metadata
    ) -> String {
        let line = Line(
            timestamp: timestamp(date), level: level.rawValue, label: label, message: message,
            metadata: metadata.mapValues(Value.init))
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        guard let data = try? encoder.encode(line) else { return #"{"message":"unencodable log line"}"# }
        return String(decoding: data, as: UTF8.self)
    }

    /// `2026-12-01T08:05:03.123+03:00`: East Africa Time, as the reports.
    static func timestamp(_ date: Date) -> String {
        let compact = Array(EastAfricaTime.compactTimestamp(date))
        guard compact.count == 14 else { return compact.map(String.init).joined() }
        func part(_ range: Range<Int>) -> String { String(compact[range]) }
        let millis = Int64((date.timeIntervalSince1970 * 1000).rounded(.down)) % 1000
        let fraction = String(repeating: "0", count: 3 - String(max(0, millis)).count) + String(max(0, millis))
        return "\(part(0..<4))-\(part(4..<6))-\(part(6..<8))T\(part(8..<10)):\(part(10..<12)):\(part(12..<14))"
            + ".\(fraction)+03:00"
    }

    struct Line: Encodable {
        var timestamp: String
        var level: String
        var label: String
        var message: String
        var metadata: [String: Value]
    }

    /// A metadata value as JSON.
    enum Value: Encodable {
        case string(String)
        case array([Value])
        case object([String: Value])

        init(_ value: Logger.Metadata.Value) {
            switch value {
            case .string(let text): self = .string(text)
            case .stringConvertible(let convertible): self = .string(convertible.description)
            case .array(let values): self = .array(values.map(Value.init))
            case .dictionary(let values): self = .object(values.mapValues(Value.init))
            }
        }

        func encode(to encoder: any Encoder) throws {
            var container = encoder.singleValueContainer()
            switch self {
            case .string(let text): try container.encode(text)
            case .array(let values): try container.encode(values)
            case .object(let values): try container.encode(values)
            }
        }
    }
}
