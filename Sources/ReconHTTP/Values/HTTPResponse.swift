/// A complete response, whatever its status: a 4xx or 5xx is a response, not an error.
public struct HTTPResponse: Sendable {
    /// The status code of the final response.
    public var status: Int
    /// The header fields of the final response, in the order received.
    public var headers: [HTTPHeader]
    /// The body, at most the request's `maxResponseBytes`.
    public var body: [UInt8]

    /// Creates a response value.
    public init(status: Int, headers: [HTTPHeader], body: [UInt8]) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// The value of the first header named `name`, compared case-insensitively.
    public func header(_ name: String) -> String? {
        let wanted = name.lowercased()
        return headers.first { $0.name.lowercased() == wanted }?.value
    }

    /// The body decoded as UTF-8, invalid sequences replaced.
    public var bodyText: String {
        String(decoding: body, as: UTF8.self)
    }
}
