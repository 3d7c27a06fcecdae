/// Why a request produced no response; `description` never shows a URL's path, query or user info.
public struct HTTPClientError: Error, Sendable, CustomStringConvertible, CustomDebugStringConvertible {
    /// The kind of failure.
    public enum Code: String, Sendable, Hashable {
        /// The URL could not be parsed.
        case invalidURL
        /// The URL's scheme is not http or https.
        case unsupportedScheme
        /// The request itself is malformed (a header with a line break, a body on GET).
        case invalidRequest
        /// The host could not be resolved or refused the connection.
        case connectFailed
        /// A deadline of the request passed.
        case timedOut
        /// The response exceeded the request's `maxResponseBytes`.
        case responseTooLarge
        /// The TLS handshake or the certificate check failed.
        case tls
        /// Any other transport failure.
        case transport
        /// The calling task was cancelled.
        case cancelled
        /// The client was shut down.
        case shutdown
    }

    /// Whether the request may have reached the server. `false` only for failures before a connection could carry
    /// it (a bad URL, a refused or unresolvable connection, a failed TLS handshake) and when libcurl reports that no
    /// byte of a request was sent: libcurl silently retries a request on a fresh connection when a reused one
    /// turns out dead, so a refused connection can follow a request that was written.
    public var requestMayHaveBeenSent: Bool {
        switch code {
        case .invalidURL, .unsupportedScheme, .invalidRequest, .connectFailed, .tls: (bytesSent ?? 0) > 0
        case .timedOut, .responseTooLarge, .transport, .cancelled, .shutdown: true
        }
    }

    /// How many bytes of request libcurl had sent when the transfer failed (`CURLINFO_REQUEST_SIZE`), when known.
    public var bytesSent: Int?

    /// The kind of failure.
    public var code: Code
    /// The request's `scheme://host:port`, when the URL could be parsed.
    public var origin: String?
    /// libcurl's `CURLcode` (or `CURLMcode` for multi-handle failures), when libcurl reported the failure.
    public var curlCode: Int32?
    /// libcurl's own message, with the URL's path, query and user info removed.
    public var curlMessage: String?

    /// Creates an error value.
    public init(code: Code, origin: String? = nil, curlCode: Int32? = nil, curlMessage: String? = nil) {
        self.code = code
        self.origin = origin
        self.curlCode = curlCode
        self.curlMessage = curlMessage
    }

    /// A one-line summary that is safe to log.
    public var description: String {
        var text = "HTTP request failed (\(code.rawValue))"
        if let origin {
            text += " for \(origin)"
        }
        text += ": " + code.summary
        if let curlCode {
            text += " [curl \(curlCode)"
            if let curlMessage {
                text += ": \(curlMessage)"
            }
            text += "]"
        }
        return text
    }

    /// The same text as `description`: nothing more detailed is kept, so nothing secret can leak.
    public var debugDescription: String {
        "HTTPClientError(\(description))"
    }
}

extension HTTPClientError.Code {
    fileprivate var summary: String {
        switch self {
        case .invalidURL: "the URL is not a valid absolute URL"
        case .unsupportedScheme: "only http and https URLs are allowed"
        case .invalidRequest: "the request is malformed"
        case .connectFailed: "could not connect"
        case .timedOut: "the deadline passed"
        case .responseTooLarge: "the response exceeds the size cap"
        case .tls: "TLS failed"
        case .transport: "the transfer failed"
        case .cancelled: "the task was cancelled"
        case .shutdown: "the client is shut down"
        }
    }
}
