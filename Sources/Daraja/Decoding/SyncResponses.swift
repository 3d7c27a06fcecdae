public import ReconCore

/// A synchronous 2xx answer Daraja accepted: decoding checked that its `ResponseCode` is `0`.
public protocol DarajaAcceptedAnswer {
    /// `ResponseDescription` as sent.
    var responseDescription: String { get }
}

extension DarajaAcceptedAnswer {
    /// `ResponseCode`: always `"0"`, as a body with any other code does not decode.
    public var responseCode: String { "0" }
}

/// The synchronous answer to an accepted STK Push: the request was queued, its outcome comes later.
public struct StkPushAccepted: DarajaAcceptedAnswer, Sendable, Equatable {
    /// `MerchantRequestID`, when sent.
    public let merchantRequestID: String?
    /// `CheckoutRequestID`: opaque, the key of the payment from now on.
    public let checkoutRequestID: String
    /// `ResponseDescription` as sent.
    public let responseDescription: String
    /// `CustomerMessage` as sent.
    public let customerMessage: String

    /// Decodes a 2xx STK Push body; throws ``DarajaError/Code/notAccepted`` when `ResponseCode` is not `0`.
    public init(json body: some Collection<UInt8>) throws(DarajaError) {
        let root = try Fields.acceptedObject(body)
        checkoutRequestID = try Fields.requiredText(root, "CheckoutRequestID")
        merchantRequestID = Fields.text(root["MerchantRequestID"])
        responseDescription = root["ResponseDescription"]?.scalarText ?? ""
        customerMessage = root["CustomerMessage"]?.scalarText ?? ""
    }
}

/// The synchronous answer of the STK Push Query: no receipt, amount or phone, only codes (DARAJA.md §3).
public struct StkQueryResponse: Sendable, Equatable {
    /// `ResponseCode`, string or number, as text.
    public let responseCode: String?
    /// `ResponseDescription` as sent.
    public let responseDescription: String?
    /// `MerchantRequestID`, when sent.
    public let merchantRequestID: String?
    /// `CheckoutRequestID`, when sent.
    public let checkoutRequestID: String?
    /// `ResultCode`, string or number, as text.
    public let resultCode: String?
    /// `ResultDesc` as sent; never used to classify.
    public let resultDesc: String?
    /// The classified answer; `.paid(nil)` because the query never carries the receipt.
    public let answer: StkAnswer

    /// Decodes a 2xx query body; an answer without `ResultCode` is ``StkAnswer/notUnderstood(_:)``.
    public init(json body: some Collection<UInt8>) throws(DarajaError) {
        let root = try Fields.object(body)
        responseCode = Fields.text(root["ResponseCode"])
        responseDescription = root["ResponseDescription"]?.scalarText
        merchantRequestID = Fields.text(root["MerchantRequestID"])
        checkoutRequestID = Fields.text(root["CheckoutRequestID"])
        resultCode = Fields.text(root["ResultCode"])
        resultDesc = root["ResultDesc"]?.scalarText
        if let resultCode {
            answer = StkResultCode.answer(code: DarajaCode(resultCode), description: resultDesc ?? "", details: nil)
        } else {
            answer = .notUnderstood("query answer without ResultCode (ResponseCode \(responseCode ?? "none"))")
        }
    }

    /// Classifies any HTTP answer of the query, success or error, into an ``StkAnswer``; never throws.
    ///
    /// 2xx with a `ResultCode` goes through the STK table. Error bodies go through
    /// ``DarajaSyncAnswerClass/classify(api:httpStatus:error:)``; a server error means no answer was obtained, so it is
    /// ``StkAnswer/transportFailure(_:)`` (ask again later), while a bad request needs a person.
    public static func answer(httpStatus: Int, body: some Collection<UInt8>) -> StkAnswer {
        let bytes = Array(body)
        if (200..<300).contains(httpStatus), let response = try? StkQueryResponse(json: bytes),
            response.resultCode != nil
        {
            return response.answer
        }
        let error = try? DarajaErrorBody(json: bytes)
        switch DarajaSyncAnswerClass.classify(api: .stkQuery, httpStatus: httpStatus, error: error) {
        case .tokenInvalid(let code): return .tokenInvalid(code: code)
        case .throttled(let code): return .throttled(code: code)
        case .inFlight(let code): return .inFlight(code: code)
        case .serverError(let code): return .transportFailure("query answered HTTP \(httpStatus) \(code)")
        case .badRequest(let field): return .notUnderstood("query rejected as a bad request: \(field ?? "no field")")
        case .duplicateOriginatorConversationID: return .notUnderstood("query answered a duplicate-request error")
        case .notUnderstood(let code): return .notUnderstood("query answered HTTP \(httpStatus) \(code)")
        }
    }
}

extension DarajaErrorBody {
    /// Decodes `{"requestId"?, "errorCode", "errorMessage"}` or an Apigee `{"fault": {…}}` body.
    public init(json body: some Collection<UInt8>) throws(DarajaError) {
        let root = try Fields.object(body)
        if let fault = root["fault"], fault.members != nil {
            self = .fault(
                faultString: Fields.text(fault["faultstring"]), errorCode: Fields.text(fault["detail"]?["errorcode"]))
            return
        }
        let code = try Fields.requiredText(root, "errorCode")
        self = .envelope(
            requestID: Fields.text(root["requestId"]), errorCode: code,
            errorMessage: root["errorMessage"]?.scalarText ?? "")
    }
}

extension DarajaSyncAnswerClass {
    /// Classifies an HTTP answer whose body may be an error envelope, a gateway fault, or not JSON at all.
    public static func classify(api: DarajaAPI, httpStatus: Int, body: some Collection<UInt8>) -> DarajaSyncAnswerClass
    {
        classify(api: api, httpStatus: httpStatus, error: try? DarajaErrorBody(json: body))
    }
}

/// An OAuth access token. Its `description` never shows the token.
public struct OAuthToken: Sendable, Equatable, CustomStringConvertible, CustomDebugStringConvertible {
    /// The bearer token; a secret.
    public let accessToken: String
    /// Seconds until expiry as Daraja announced it (`3599`, sent as a string or a number).
    public let expiresIn: Int

    /// Decodes `{"access_token", "expires_in"}`.
    public init(json body: some Collection<UInt8>) throws(DarajaError) {
        let root = try Fields.object(body)
        guard let token = root["access_token"]?.scalarText, !token.isEmpty else {
            throw DarajaError(.missingField, field: "access_token", reason: "is missing or empty")
        }
        let expiry = try Fields.requiredText(root, "expires_in")
        // A day is far beyond the documented hour; anything outside is a corrupt answer, not a long-lived token.
        guard let seconds = Int(expiry), (1...86_400).contains(seconds) else {
            throw DarajaError(
                .invalidField, field: "expires_in", reason: "is not a whole number of seconds from 1 to 86400")
        }
        accessToken = token
        expiresIn = seconds
    }

    public var description: String { "OAuthToken(<redacted>, expires in \(expiresIn) s)" }
    public var debugDescription: String { description }
}

/// The synchronous answer to an accepted B2C or Transaction Status request; the result comes later by callback.
public struct B2CAccepted: DarajaAcceptedAnswer, Sendable, Equatable {
    /// `ConversationID` assigned by Daraja (`AG_…`).
    public let conversationID: String
    /// `OriginatorConversationID` echoed back (ours on B2C v3).
    public let originatorConversationID: String?
    /// `ResponseDescription` as sent.
    public let responseDescription: String

    /// Decodes a 2xx body; throws ``DarajaError/Code/notAccepted`` when `ResponseCode` is not `0`.
    public init(json body: some Collection<UInt8>) throws(DarajaError) {
        let root = try Fields.acceptedObject(body)
        conversationID = try Fields.requiredText(root, "ConversationID")
        originatorConversationID = Fields.text(root["OriginatorConversationID"])
        responseDescription = root["ResponseDescription"]?.scalarText ?? ""
    }
}
