import Foundation
import Hummingbird
import NIOCore

/// JSON answers in the shapes DRF and the LMS's guide use.
enum APIResponse {
    /// A JSON object answer; keys sorted so answers are stable (and repeatable for idempotent retries).
    static func json(_ status: HTTPResponse.Status, _ object: Any, headers: HTTPFields = [:]) -> Response {
        let data =
            (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes]))
            ?? Data(#"{"detail":"internal error"}"#.utf8)
        return raw(status, String(decoding: data, as: UTF8.self), headers: headers)
    }

    /// A stored JSON text.
    static func raw(_ status: HTTPResponse.Status, _ body: String, headers: HTTPFields = [:]) -> Response {
        var fields = headers
        fields[.contentType] = "application/json"
        return Response(status: status, headers: fields, body: .init(byteBuffer: ByteBuffer(string: body)))
    }

    static func text(of object: Any) -> String {
        let data =
            (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes]))
            ?? Data("{}".utf8)
        return String(decoding: data, as: UTF8.self)
    }

    static func detail(_ status: HTTPResponse.Status, _ detail: String, code: String? = nil) -> Response {
        var body: [String: Any] = ["detail": detail]
        if let code { body["code"] = code }
        var headers: HTTPFields = [:]
        if status == .unauthorized { headers[.wwwAuthenticate] = #"Bearer realm="api""# }
        return json(status, body, headers: headers)
    }

    static var notAuthenticated: Response { detail(.unauthorized, "Authentication credentials were not provided.") }
    static var forbidden: Response { detail(.forbidden, "You do not have permission to perform this action.") }
    static var notFound: Response { detail(.notFound, "Not found.") }

    /// `{"success": false, "message": …}` as the guide's payment views answer errors.
    static func failure(_ status: HTTPResponse.Status, _ message: String, extra: [String: Any] = [:]) -> Response {
        var body: [String: Any] = ["success": false, "message": message]
        for (key, value) in extra { body[key] = value }
        return json(status, body)
    }

    /// ISO-8601 in UTC with `Z`, as the guide shows times.
    static func time(_ date: Date?) -> Any {
        guard let date else { return NSNull() }
        return date.formatted(Date.ISO8601FormatStyle(timeZone: TimeZone(identifier: "UTC") ?? .current))
    }

    /// `nil` as JSON null.
    static func orNull(_ value: (any Sendable)?) -> Any { value ?? NSNull() }
}
