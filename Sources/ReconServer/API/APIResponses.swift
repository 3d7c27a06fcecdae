import Foundation
import Hummingbird
import Logging
import NIOCore

/// A JSON answer of the API: status, encoded body and extra headers. Handlers return it, and throw it to refuse (it
/// is an `HTTPResponseError`); an initiate's answer is stored as it is for an Idempotency-Key's retries.
struct APIAnswer: HTTPResponseError, Sendable {
    var status: HTTPResponse.Status
    /// The JSON text.
    var text: String
    var headers: HTTPFields

    /// An answer with a stored JSON text (an idempotent replay).
    init(_ status: HTTPResponse.Status, text: String, headers: HTTPFields = [:]) {
        self.status = status
        self.text = text
        self.headers = headers
    }

    /// An answer with a typed body, encoded as the LMS has always seen it: snake_case keys, sorted (answers are
    /// stable, and repeatable for idempotent retries), slashes unescaped.
    init(_ status: HTTPResponse.Status, _ body: some Encodable, headers: HTTPFields = [:]) {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.keyEncodingStrategy = .convertToSnakeCase
        let data = (try? encoder.encode(body)) ?? Data(#"{"detail":"internal error"}"#.utf8)
        self.init(status, text: String(decoding: data, as: UTF8.self), headers: headers)
    }

    var response: Response {
        var fields = headers
        fields[.contentType] = "application/json"
        return Response(status: status, headers: fields, body: .init(byteBuffer: ByteBuffer(string: text)))
    }

    func response(from request: Request, context: some RequestContext) -> Response { response }
}

// MARK: The shapes DRF and the LMS's guide use

/// DRF's `{"detail": …, "code": …}`.
struct Detail: Encodable, Sendable {
    var detail: String
    var code: String?
}

/// `{"success": false, "message": …}` as the guide's payment views answer errors, with the payment concerned.
struct Failure: Encodable, Sendable {
    let success = false
    var message: String
    var paymentID: Int64?
    var status: String?
}

/// An empty JSON object (`{}`).
struct EmptyObject: Encodable, Sendable {
    func encode(to encoder: any Encoder) throws {
        _ = encoder.container(keyedBy: Key.self)
    }

    enum Key: CodingKey {}
}

/// An optional written as JSON `null` when absent (synthesized `Encodable` leaves the key out).
@propertyWrapper
struct NullEncoded<Value: Encodable & Sendable>: Encodable, Sendable {
    var wrappedValue: Value?

    init(wrappedValue: Value?) { self.wrappedValue = wrappedValue }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        if let wrappedValue { try container.encode(wrappedValue) } else { try container.encodeNil() }
    }
}

extension APIAnswer {
    static func detail(_ status: HTTPResponse.Status, _ detail: String, code: String? = nil) -> APIAnswer {
        var headers: HTTPFields = [:]
        if status == .unauthorized { headers[.wwwAuthenticate] = #"Bearer realm="api""# }
        return APIAnswer(status, Detail(detail: detail, code: code), headers: headers)
    }

    static func failure(
        _ status: HTTPResponse.Status, _ message: String, paymentID: Int64? = nil, paymentStatus: String? = nil
    ) -> APIAnswer {
        APIAnswer(status, Failure(message: message, paymentID: paymentID, status: paymentStatus))
    }

    /// DRF's validation answer: each field with its messages.
    static func fields(_ errors: [String: [String]]) -> APIAnswer { APIAnswer(.badRequest, errors) }

    static var notAuthenticated: APIAnswer { detail(.unauthorized, "Authentication credentials were not provided.") }
    static var forbidden: APIAnswer { detail(.forbidden, "You do not have permission to perform this action.") }
    static var notFound: APIAnswer { detail(.notFound, "Not found.") }
    static var badJSON: APIAnswer { detail(.badRequest, "JSON parse error.", code: "parse_error") }

    /// The answer to a failure of the database or another part: logged by its type only, never its text.
    static func unavailable(_ error: any Error, logger: Logger) -> APIAnswer {
        logger.error("api request failed", metadata: ["recon.error": "\(String(describing: type(of: error)))"])
        return detail(.serviceUnavailable, "Service temporarily unavailable, try again later.")
    }

    /// ISO-8601 in UTC with `Z`, as the guide shows times.
    static func time(_ date: Date) -> String {
        date.formatted(Date.ISO8601FormatStyle(timeZone: TimeZone(identifier: "UTC") ?? .current))
    }
}
