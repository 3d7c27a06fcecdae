public import Foundation
public import ReconCore
import ReconHTTP

/// C2B RegisterURL (v1 or v2: the same body, C2B-PULL.md §1).
public struct C2BRegisterRequest: Sendable, Equatable {
    public let shortcode: String
    /// `Completed` or `Cancelled`: what M-Pesa does when validation does not answer in time.
    public let responseType: String
    public let confirmationURL: String
    public let validationURL: String

    /// Validates a registration; errors name the rule, never the URL (it carries the token).
    public init(
        shortcode: String, responseType: String, confirmationURL: String, validationURL: String
    )
        throws(DarajaError)
    {
        try DarajaText.checkShortcode(shortcode, field: "ShortCode")
        guard responseType == "Completed" || responseType == "Cancelled" else {
            throw DarajaError(.invalidRequest, field: "ResponseType", reason: "must be Completed or Cancelled")
        }
        try DarajaText.checkCallbackURL(confirmationURL, field: "ConfirmationURL")
        try DarajaText.checkCallbackURL(validationURL, field: "ValidationURL")
        self.shortcode = shortcode
        self.responseType = responseType
        self.confirmationURL = confirmationURL
        self.validationURL = validationURL
    }

    /// The JSON body, the shortcode as a string as the docs' samples send it.
    public func jsonBody() -> [UInt8] {
        JSON.object([
            .init(key: "ShortCode", value: .string(shortcode)),
            .init(key: "ResponseType", value: .string(responseType)),
            .init(key: "ConfirmationURL", value: .string(confirmationURL)),
            .init(key: "ValidationURL", value: .string(validationURL)),
        ]).serialized()
    }
}

/// Pull Transactions registration (once per shortcode; it cannot be changed afterwards).
public struct PullRegisterRequest: Sendable, Equatable {
    public let shortcode: String
    /// The number on the shortcode's KYC, in the 254 form (the 07 form is refused).
    public let nominatedNumber: MSISDN
    public let callbackURL: String

    /// Validates a registration.
    public init(shortcode: String, nominatedNumber: MSISDN, callbackURL: String) throws(DarajaError) {
        try DarajaText.checkShortcode(shortcode, field: "ShortCode")
        try DarajaText.checkCallbackURL(callbackURL, field: "CallBackURL")
        self.shortcode = shortcode
        self.nominatedNumber = nominatedNumber
        self.callbackURL = callbackURL
    }

    /// `{"ShortCode","RequestType":"Pull","NominatedNumber","CallBackURL"}`.
    public func jsonBody() -> [UInt8] {
        JSON.object([
            .init(key: "ShortCode", value: .string(shortcode)),
            .init(key: "RequestType", value: .string("Pull")),
            .init(key: "NominatedNumber", value: .string(nominatedNumber.digits)),
            .init(key: "CallBackURL", value: .string(callbackURL)),
        ]).serialized()
    }
}

/// One page of Pull Transactions: a window inside the last 48 hours, in Nairobi time.
public struct PullQueryRequest: Sendable, Equatable {
    public let shortcode: String
    public let start: Date
    public let end: Date
    /// `OffSetValue`: walked as a page index 0, 1, 2 … (safe whether Daraja reads it as a page or as a row offset).
    public let page: Int

    /// Validates a query.
    public init(shortcode: String, start: Date, end: Date, page: Int) throws(DarajaError) {
        try DarajaText.checkShortcode(shortcode, field: "ShortCode")
        guard start < end else {
            throw DarajaError(.invalidRequest, field: "StartDate", reason: "must be before EndDate")
        }
        guard end.timeIntervalSince(start) <= TimeInterval(PullPolicy.darajaReachSeconds) else {
            throw DarajaError(.invalidRequest, field: "StartDate", reason: "the window must not exceed 48 hours")
        }
        guard page >= 0 else {
            throw DarajaError(.invalidRequest, field: "OffSetValue", reason: "must not be negative")
        }
        self.shortcode = shortcode
        self.start = start
        self.end = end
        self.page = page
    }

    /// `{"ShortCode","StartDate","EndDate","OffSetValue"}`, dates `yyyy-MM-dd HH:mm:ss` EAT, the offset a string.
    public func jsonBody() -> [UInt8] {
        JSON.object([
            .init(key: "ShortCode", value: .string(shortcode)),
            .init(key: "StartDate", value: .string(EastAfricaTime.pullText(start))),
            .init(key: "EndDate", value: .string(EastAfricaTime.pullText(end))),
            .init(key: "OffSetValue", value: .string(String(page))),
        ]).serialized()
    }
}

extension DarajaClient {
    /// Registers the C2B confirmation and validation URLs with RegisterURL `version`; never throws.
    public func registerC2BURLs(
        version: C2BSettings.Version, shortcode: String, responseType: String, confirmationURL: String,
        validationURL: String
    ) async -> C2BRegisterOutcome {
        let request: C2BRegisterRequest
        do {
            request = try C2BRegisterRequest(
                shortcode: shortcode, responseType: responseType, confirmationURL: confirmationURL,
                validationURL: validationURL)
        } catch {
            return .refused(code: "invalid_request", message: error.description)
        }
        switch await post("/mpesa/c2b/\(version.rawValue)/registerurl", body: request.jsonBody(), api: .c2bRegister) {
        case .failure(let failure): return .failed(failure.description)
        case .success(let response):
            return C2BRegisterOutcome.classify(httpStatus: response.status, body: response.body)
        }
    }

    /// Registers a shortcode for Pull Transactions; never throws.
    public func registerPull(
        shortcode: String, nominatedNumber: MSISDN, callbackURL: String
    ) async
        -> PullRegisterOutcome
    {
        let request: PullRegisterRequest
        do {
            request = try PullRegisterRequest(
                shortcode: shortcode, nominatedNumber: nominatedNumber, callbackURL: callbackURL)
        } catch {
            return .refused(code: "invalid_request", message: error.description)
        }
        switch await post("/pulltransactions/v1/register", body: request.jsonBody(), api: .pullRegister) {
        case .failure(let failure): return .failed(failure.description)
        case .success(let response):
            return PullRegisterOutcome.classify(httpStatus: response.status, body: response.body)
        }
    }

    /// Asks for one page of a shortcode's transactions in `[start, end]`; never throws.
    public func pullTransactions(shortcode: String, start: Date, end: Date, page: Int) async -> PullPageOutcome {
        let request: PullQueryRequest
        do {
            request = try PullQueryRequest(shortcode: shortcode, start: start, end: end, page: page)
        } catch {
            return .refused(code: "invalid_request", message: error.description)
        }
        switch await post("/pulltransactions/v1/query", body: request.jsonBody(), api: .pullQuery) {
        case .failure(let failure): return .failed(failure.description)
        case .success(let response):
            guard let answer = try? PullQueryAnswer(json: response.body) else {
                let error = try? DarajaErrorBody(json: response.body)
                if let code = error?.code { return .refused(code: code, message: error?.message ?? "") }
                return .failed("Pull answered HTTP \(response.status) with a body that could not be read")
            }
            switch answer.code {
            case "1000" where (200..<300).contains(response.status): return .page(answer)
            case "1001": return .noData(message: answer.message)
            default:
                let error = try? DarajaErrorBody(json: response.body)
                return .refused(
                    code: error?.code ?? (answer.code.isEmpty ? "HTTP \(response.status)" : answer.code),
                    message: error?.message ?? answer.message)
            }
        }
    }
}
