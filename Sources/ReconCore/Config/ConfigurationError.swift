/// A setting that is missing or malformed; names the variable, never its value.
public struct ConfigurationError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The environment variable at fault, e.g. `MPESA_SHORTCODE`.
    public let variable: String
    /// What is wrong with it, without the value (which may be a secret).
    public let problem: String

    /// A configuration error for one variable.
    public init(variable: String, problem: String) {
        self.variable = variable
        self.problem = problem
    }

    public var description: String { "configuration: \(variable) \(problem)" }
}

/// The process environment merged with a `.env` file: real environment variables win.
public struct Environment: Sendable {
    /// The merged variables.
    public var values: [String: String]

    /// An environment from explicit values (tests) or from the process (the CLI).
    public init(_ values: [String: String]) {
        self.values = values
    }

    /// `.env` first, the real environment on top.
    public init(dotEnv: String?, process: [String: String]) {
        var merged = dotEnv.map(Environment.parseDotEnv) ?? [:]
        for (key, value) in process { merged[key] = value }
        self.values = merged
    }

    /// Parses `KEY=value` lines; `#` comments, blank lines, `export ` and single or double quotes are understood.
    public static func parseDotEnv(_ text: String) -> [String: String] {
        var result: [String: String] = [:]
        for rawLine in text.split(omittingEmptySubsequences: true, whereSeparator: \.isNewline) {
            var line = rawLine.trimmingSpaces()
            if line.isEmpty || line.hasPrefix("#") { continue }
            if line.hasPrefix("export ") { line = String(line.dropFirst(7)).trimmingSpaces() }
            guard let eq = line.firstIndex(of: "=") else { continue }
            let key = String(line[..<eq]).trimmingSpaces()
            var value = String(line[line.index(after: eq)...]).trimmingSpaces()
            if value.count >= 2, let first = value.first, first == "\"" || first == "'", value.last == first {
                value = String(value.dropFirst().dropLast())
            } else if let hash = value.firstRange(of: " #") {
                value = String(value[..<hash.lowerBound]).trimmingSpaces()
            }
            if !key.isEmpty { result[key] = value }
        }
        return result
    }

    /// A value that is set and not blank.
    public func optional(_ name: String) -> String? {
        guard let value = values[name]?.trimmingSpaces(), !value.isEmpty else { return nil }
        return value
    }

    /// A value that must be set.
    public func required(_ name: String) throws(ConfigurationError) -> String {
        guard let value = optional(name) else { throw ConfigurationError(variable: name, problem: "is not set") }
        return value
    }

    /// A yes/no setting: `true`/`yes`/`on`/`1` or `false`/`no`/`off`/`0` (any case); `false` when unset.
    public func flag(_ name: String) throws(ConfigurationError) -> Bool {
        guard let text = optional(name)?.lowercased() else { return false }
        switch text {
        case "true", "yes", "on", "1": return true
        case "false", "no", "off", "0": return false
        default: throw ConfigurationError(variable: name, problem: "must be true or false")
        }
    }

    /// A whole number within a range, or the default when unset.
    public func integer(
        _ name: String, default defaultValue: Int, in range: ClosedRange<Int>
    ) throws(ConfigurationError) -> Int {
        guard let text = optional(name) else { return defaultValue }
        guard let value = Int(text), range.contains(value) else {
            throw ConfigurationError(
                variable: name, problem: "must be a whole number from \(range.lowerBound) to \(range.upperBound)")
        }
        return value
    }
}

extension StringProtocol {
    /// The text without leading and trailing spaces, tabs and line ends.
    public func trimmingSpaces() -> String {
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" || $0 == "\r" || $0 == "\n" }
        guard let start = firstIndex(where: { !isSpace($0) }), let end = lastIndex(where: { !isSpace($0) }) else {
            return ""
        }
        return String(self[start...end])
    }
}

extension ConfigurationError: ExitStatusConvertible {
    public var exitStatus: ExitStatus { .usage }
}
