/// The Daraja API a synchronous answer came from; some error codes mean different things per API.
public enum DarajaAPI: String, Sendable, Hashable, CaseIterable {
    /// `GET /oauth/v1/generate`.
    case oauth
    /// `POST /mpesa/stkpush/v1/processrequest`.
    case stkPush
    /// `POST /mpesa/stkpushquery/v1/query`.
    case stkQuery
    /// `POST /mpesa/b2c/v3/paymentrequest`.
    case b2c
    /// `POST /mpesa/transactionstatus/v1/query`.
    case transactionStatus
    /// `POST /mpesa/c2b/v1|v2/registerurl`.
    case c2bRegister
    /// `POST /pulltransactions/v1/register`.
    case pullRegister
    /// `POST /pulltransactions/v1/query`.
    case pullQuery
}

/// An error body from a synchronous Daraja call: Daraja's own envelope or the Apigee gateway's fault object.
public enum DarajaErrorBody: Sendable, Hashable {
    /// `{"requestId"?, "errorCode", "errorMessage"}`; `requestId` is missing in some answers.
    case envelope(requestID: String?, errorCode: String, errorMessage: String)
    /// `{"fault": {"faultstring", "detail": {"errorcode"}}}` from the gateway, e.g. a spike-arrest violation.
    case fault(faultString: String?, errorCode: String?)

    /// The Daraja or gateway error code, when the body has one.
    public var code: String? {
        switch self {
        case .envelope(_, let errorCode, _): errorCode
        case .fault(_, let errorCode): errorCode
        }
    }

    /// The human message, when the body has one.
    public var message: String? {
        switch self {
        case .envelope(_, _, let errorMessage): errorMessage
        case .fault(let faultString, _): faultString
        }
    }
}

/// What a failed synchronous Daraja answer means for the caller (DARAJA.md §1–§3, §5).
public enum DarajaSyncAnswerClass: Sendable, Hashable {
    /// The access token was refused (`404.001.03`, `401.002.01`, `400.003.01`): renew it once.
    case tokenInvalid(code: String)
    /// Spike arrest, quota, a gateway fault or HTTP 429: slow down and try later.
    case throttled(code: String)
    /// `500.001.1001` from the STK query, whatever its message: no verdict yet, ask again later.
    case inFlight(code: String)
    /// `500.002.1001` from B2C v3: this OriginatorConversationID was already submitted, so no new payment was made.
    case duplicateOriginatorConversationID
    /// `400.002.02` "Bad Request - Invalid <Field>": our request is wrong; the field when the message names one.
    case badRequest(field: String?)
    /// `500.003.1001` or another 5xx: Daraja failed; the request may be retried later.
    case serverError(code: String)
    /// Anything else: a person must look.
    case notUnderstood(code: String)

    /// Classifies an answer from its HTTP status and error body.
    ///
    /// The code decides, never the message: `500.001.1001` on the query carries "being processed", "does not Exist"
    /// or nothing at all, and was seen intermittently for IDs that did exist (DARAJA.md §3), so it is never a verdict.
    public static func classify(api: DarajaAPI, httpStatus: Int, error: DarajaErrorBody?) -> DarajaSyncAnswerClass {
        let code = error?.code
        switch code {
        case "404.001.03", "401.002.01", "400.003.01":
            return .tokenInvalid(code: code ?? "")
        case "500.003.02", "500.003.03":
            return .throttled(code: code ?? "")
        case "500.001.1001" where api == .stkQuery:
            return .inFlight(code: "500.001.1001")
        case "500.002.1001" where api == .b2c:
            return .duplicateOriginatorConversationID
        case "400.002.02":
            return .badRequest(field: error?.message.flatMap(invalidField(in:)))
        default:
            break
        }
        if case .fault(let faultString, let faultCode) = error {
            // Daraja runs on Apigee (DARAJA.md §3). Only its rate-limit policies mean "nothing was done, slow
            // down"; a gateway timeout or 503 fault may come after the request reached M-Pesa, so it is a server
            // error (no verdict), never a licence to send again.
            let text = ((faultCode ?? "") + " " + (faultString ?? "")).lowercased()
            if httpStatus == 429 || text.contains("spikearrest") || text.contains("spike arrest")
                || text.contains("quota") || text.contains("ratelimit")
            {
                return .throttled(code: faultCode ?? "fault")
            }
            if text.contains("access_token") || text.contains("accesstoken") {
                return .tokenInvalid(code: faultCode ?? "fault")
            }
            return .serverError(code: faultCode ?? "fault")
        }
        if httpStatus == 429 {
            return .throttled(code: code ?? "HTTP 429")
        }
        if (500...599).contains(httpStatus) || code == "500.003.1001" {
            return .serverError(code: code ?? "HTTP \(httpStatus)")
        }
        return .notUnderstood(code: code ?? "HTTP \(httpStatus)")
    }

    /// `Bad Request - Invalid PhoneNumber` → `PhoneNumber`; `nil` when the message does not name a field.
    static func invalidField(in message: String) -> String? {
        guard let range = message.ranges(of: "Invalid ").last else { return nil }
        let field = message[range.upperBound...].trimmingSpaces()
        let isNameByte: (UInt8) -> Bool = { byte in
            (0x30...0x39).contains(byte) || (0x41...0x5A).contains(byte) || (0x61...0x7A).contains(byte)
        }
        guard !field.isEmpty, field.utf8.count <= 64, field.utf8.allSatisfy(isNameByte) else { return nil }
        return field
    }
}
