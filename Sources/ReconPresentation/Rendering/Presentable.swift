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
