/// The HTTP methods the client sends.
public enum HTTPMethod: String, Sendable, Hashable {
    /// A request without a body.
    case GET
    /// A request with a body.
    case POST
}

/// One header field, name and value as sent or received.
public struct HTTPHeader: Sendable, Hashable {
    /// The field name; compared case-insensitively.
    public var name: String
    /// The field value, without surrounding whitespace.
    public var value: String

    /// Creates a header field.
    public init(name: String, value: String) {
        self.name = name
        self.value = value
    }
}

/// One outbound request with its deadlines and response-size cap.
public struct HTTPRequest: Sendable {
    /// The method; a body is only allowed on POST.
    public var method: HTTPMethod
    /// An absolute `http` or `https` URL.
    public var url: String
    /// Header fields sent in this order.
    public var headers: [HTTPHeader]
    /// The request body, copied to libcurl when the transfer starts.
    public var body: [UInt8]?
    /// Time allowed to establish the connection (TCP and TLS); at most `totalTimeout` is used.
    public var connectTimeout: Duration
    /// Time allowed for the whole exchange, counted from `send`, queueing included.
    public var totalTimeout: Duration
    /// The largest response body accepted; a bigger one fails with `.responseTooLarge`.
    public var maxResponseBytes: Int

    /// Creates a request; the defaults are 5 s to connect, 30 s in total and a 1 MiB response cap.
    public init(
        method: HTTPMethod,
        url: String,
        headers: [HTTPHeader] = [],
        body: [UInt8]? = nil,
        connectTimeout: Duration = .seconds(5),
        totalTimeout: Duration = .seconds(30),
        maxResponseBytes: Int = 1 << 20
    ) {
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
        self.connectTimeout = connectTimeout
        self.totalTimeout = totalTimeout
        self.maxResponseBytes = maxResponseBytes
    }

    /// A GET request with the default deadlines and cap.
    public static func get(_ url: String, headers: [HTTPHeader] = []) -> HTTPRequest {
        HTTPRequest(method: .GET, url: url, headers: headers)
    }

    /// A POST of a JSON body; adds `Content-Type` and `Accept: application/json` unless `headers` set them.
    public static func postJSON(_ url: String, body: [UInt8], headers: [HTTPHeader] = []) -> HTTPRequest {
        var all: [HTTPHeader] = []
        for name in ["Content-Type", "Accept"]
        where !headers.contains(where: { $0.name.lowercased() == name.lowercased() }) {
            all.append(HTTPHeader(name: name, value: "application/json"))
        }
        all.append(contentsOf: headers)
        return HTTPRequest(method: .POST, url: url, headers: all, body: body)
    }
}
