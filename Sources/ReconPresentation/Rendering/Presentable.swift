/// A view the CLI, the JSON API and the console can all show: its fields encode as JSON, and it has a text form.
public protocol Presentable: Encodable, Sendable {
    /// The text a person reads on a terminal (no trailing newline).
    var text: String { get }
}

extension Presentable {
    /// The JSON form (``JSONRendering``).
    public func json() throws -> String {
        try JSONRendering.render(self)
    }
}

/// A view whose JSON is one value it shows as it is (a summary, a record, a bare array); its text is its own.
public protocol JSONValueView: Presentable {
    associatedtype JSONValue: Encodable
    /// What the JSON encodes.
    var jsonValue: JSONValue { get }
}

extension JSONValueView {
    /// Encodes as ``jsonValue`` itself.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(jsonValue)
    }
}
