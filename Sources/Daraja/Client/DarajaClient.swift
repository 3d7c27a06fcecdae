public import Foundation
public import Logging
public import ReconCore
public import ReconHTTP

/// The Daraja client (ARCHITECTURE.md §2): OAuth token cache, STK Push, STK Query, B2C v3 and Transaction Status over
/// ReconHTTP. Every answer is classified; secrets and tokens never reach logs or error text.
public final class DarajaClient: Sendable {
    /// The settings in use.
    public let configuration: DarajaClientConfiguration
    private let http: HTTPClient
    private let tokens = TokenCache()
    private let logger: Logger
    private let now: @Sendable () -> Date

    /// A client; `now` is injectable for the timestamp tests.
    public init(
        configuration: DarajaClientConfiguration, http: HTTPClient,
        logger: Logger = Logger(label: "mpesa-recon.daraja"),
        now: @escaping @Sendable () -> Date = Date.init
    ) {
        self.configuration = configuration
        self.http = http
        self.logger = logger
        self.now = now
    }

    // MARK: OAuth

    /// A valid access token (cached, renewed before expiry). Throws `.notAccepted` when Daraja refuses the
    /// credentials and `.transport` when the token endpoint could not be reached at all.
    public func accessToken() async throws(DarajaError) -> String {
        let configuration = self.configuration
        let http = self.http
        let margin = TimeInterval(configuration.tokenRefreshMargin.components.seconds)
        do {
            return try await tokens.token(now: now(), margin: margin) {
                let basic = Data("\(configuration.consumerKey):\(configuration.consumerSecret)".utf8)
                    .base64EncodedString()
                let response: HTTPResponse
                do {
                    response = try await configuration.send(
                        .get(configuration.baseURL + "/oauth/v1/generate?grant_type=client_credentials"),
                        authorization: "Basic \(basic)", over: http)
                } catch {
                    throw DarajaError(
                        .transport, field: nil, reason: "transport failure reaching the token endpoint: \(error)")
                }
                guard (200..<300).contains(response.status) else {
                    let error = try? DarajaErrorBody(json: response.body)
                    throw DarajaError(
                        .notAccepted, field: nil,
                        reason: "the token endpoint answered HTTP \(response.status) \(error?.code ?? "")")
                }
                let token = try OAuthToken(json: response.body)
                return (token.accessToken, token.expiresIn)
            }
        } catch let error as DarajaError {
            throw error
        } catch {
            throw DarajaError(.notAccepted, field: nil, reason: "\(error)")
        }
    }

    /// Sends an authorised POST; on an invalid-token answer renews the token once and sends again.
    func post(_ path: String, body: [UInt8], api: DarajaAPI) async -> Result<HTTPResponse, DarajaCallFailure> {
        for attempt in 0..<2 {
            let token: String
            do {
                token = try await accessToken()
            } catch {
                if error.code == .transport { return .failure(.tokenUnreachable(error.reason)) }
                return .failure(.noToken(error.description))
            }
            let response: HTTPResponse
            do {
                response = try await configuration.send(
                    .postJSON(configuration.baseURL + path, body: body), authorization: "Bearer \(token)", over: http)
            } catch {
                let sent = error.requestMayHaveBeenSent
                return .failure(.transport("transport failure: \(error.description)", requestMayHaveBeenSent: sent))
            }
            if case .tokenInvalid = DarajaSyncAnswerClass.classify(
                api: api, httpStatus: response.status, body: response.body),
                attempt == 0
            {
                logger.notice("access token refused; renewing once", metadata: ["daraja.api": "\(api.rawValue)"])
                await tokens.invalidate(token)
                continue
            }
            return .success(response)
        }
        return .failure(.noToken("the renewed token was refused too"))
    }

    // MARK: STK Push

    /// The Lipa na M-Pesa password of a request sent now.
    private func password() -> DarajaPassword {
        DarajaPassword(shortcode: configuration.shortcode, passkey: configuration.passkey, date: now())
    }

    /// Sends an STK Push for `amount` to `phone`; validates first (whole shillings 1…250 000, reference ≤ 12).
    public func stkPush(
        phone: MSISDN, amount: Money, accountReference: String, description: String
    ) async -> StkPushOutcome {
        let request: StkPushRequest
        do {
            request = try StkPushRequest(
                businessShortCode: configuration.shortcode,
                password: password(),
                transactionType: configuration.transactionType, amount: amount, phone: phone,
                partyB: configuration.partyB, callbackURL: configuration.callbackURL,
                accountReference: accountReference, transactionDesc: description)
        } catch {
            return .invalid(error.description)
        }
        switch await post("/mpesa/stkpush/v1/processrequest", body: request.jsonBody(), api: .stkPush) {
        case .failure(.noToken(let reason)):
            return .notSent("no access token: \(reason)")
        case .failure(.tokenUnreachable(let reason)):
            return .notSent(reason)
        case .failure(.transport(let reason, requestMayHaveBeenSent: false)):
            return .notSent(reason)
        case .failure(let failure):
            return .noAnswer(failure.description)
        case .success(let response):
            if (200..<300).contains(response.status) {
                if let accepted = try? StkPushAccepted(json: response.body) {
                    return .accepted(
                        checkoutRequestID: accepted.checkoutRequestID, merchantRequestID: accepted.merchantRequestID)
                }
                // A 2xx we cannot read may still have sent a prompt: never a rejection by guess.
                return .noAnswer("STK Push answered HTTP \(response.status) with a body that could not be read")
            }
            let error = try? DarajaErrorBody(json: response.body)
            switch DarajaSyncAnswerClass.classify(api: .stkPush, httpStatus: response.status, error: error) {
            case .badRequest,
                .notUnderstood where response.status < 500:
                return .rejected(code: error?.code ?? "HTTP \(response.status)", message: error?.message ?? "")
            case .serverError(let code) where code == "500.001.1001":
                // "Merchant does not exist", "Wrong credentials", "Unable to lock subscriber": no prompt was sent.
                return .rejected(code: code, message: error?.message ?? "")
            case .throttled(let code) where code != "500.003.02":
                // Spike arrest, quota or HTTP 429 from the gateway: refused before M-Pesa saw it.
                return .notSent("throttled (\(code))")
            case .throttled(let code):
                // 500.003.02 is also Daraja's "System is busy" (DARAJA.md §2): no guarantee nothing went out.
                return .noAnswer("STK Push answered \(code) (spike arrest or system busy); a prompt may have gone out")
            default:
                return .noAnswer("STK Push answered HTTP \(response.status) \(error?.code ?? "")")
            }
        }
    }

    // MARK: STK Query

    /// Asks for the state of one STK Push and classifies the answer; never throws.
    public func stkQuery(checkoutRequestID: String) async -> StkAnswer {
        let request: StkQueryRequest
        do {
            request = try StkQueryRequest(
                businessShortCode: configuration.shortcode,
                password: password(),
                checkoutRequestID: checkoutRequestID)
        } catch {
            return .notUnderstood("query not sent: \(error.description)")
        }
        switch await post("/mpesa/stkpushquery/v1/query", body: request.jsonBody(), api: .stkQuery) {
        case .failure(.noToken(let reason)): return .tokenInvalid(code: reason)
        case .failure(.tokenUnreachable(let reason)): return .transportFailure(reason)
        case .failure(.transport(let reason, _)): return .transportFailure(reason)
        case .success(let response):
            if response.status == 429 { return .throttled(code: "HTTP 429") }
            // A body that is not JSON at all (cut short, an HTML error page) is no answer: ask again later.
            // A JSON answer with a code nobody knows is an answer, and goes to a person.
            guard (try? JSONSerialization.jsonObject(with: Data(response.body))) != nil else {
                return .transportFailure("query answered HTTP \(response.status) with a body that is not JSON")
            }
            // An error status without Daraja's envelope or a gateway fault comes from something in between
            // (a proxy, a load balancer): no answer about the payment, so ask again later.
            if !(200..<300).contains(response.status), (try? DarajaErrorBody(json: response.body)) == nil {
                return .transportFailure("query answered HTTP \(response.status) without a Daraja error body")
            }
            return StkQueryResponse.answer(httpStatus: response.status, body: response.body)
        }
    }

    // MARK: B2C

    /// Sends a B2C v3 payment with our own OriginatorConversationID (the refund's id, reused on any resend).
    public func b2cPayment(
        originatorConversationID: String, amount: Money, phone: MSISDN, remarks: String, occasion: String? = nil
    ) async -> B2CSendVerdict {
        guard let b2c = configuration.b2c else {
            return .notSent(code: "invalid_request", message: "B2C is not configured")
        }
        let request: B2CPaymentRequest
        do {
            request = try B2CPaymentRequest(
                originatorConversationID: originatorConversationID, initiatorName: b2c.initiatorName,
                securityCredential: b2c.securityCredential, amount: amount, partyA: b2c.shortcode, partyB: phone,
                remarks: remarks, queueTimeOutURL: b2c.timeoutURL, resultURL: b2c.resultURL, occasion: occasion)
        } catch {
            return .notSent(code: "invalid_request", message: error.description)
        }
        switch await post("/mpesa/b2c/v3/paymentrequest", body: request.jsonBody(), api: .b2c) {
        case .failure(.noToken(let reason)): return .throttled(code: "no token: \(reason)")
        case .failure(.tokenUnreachable(let reason)): return .throttled(code: "not sent: \(reason)")
        case .failure(.transport(let reason, _)): return .uncertain(reason)
        case .success(let response):
            if (200..<300).contains(response.status), let accepted = try? B2CAccepted(json: response.body) {
                return .accepted(conversationID: accepted.conversationID)
            }
            let error = try? DarajaErrorBody(json: response.body)
            switch DarajaSyncAnswerClass.classify(api: .b2c, httpStatus: response.status, error: error) {
            case .duplicateOriginatorConversationID: return .alreadyAccepted
            case .throttled(let code): return .throttled(code: code)
            case .badRequest, .tokenInvalid:
                return .notSent(code: error?.code ?? "HTTP \(response.status)", message: error?.message ?? "")
            default:
                return .uncertain("B2C answered HTTP \(response.status) \(error?.code ?? "")")
            }
        }
    }

    // MARK: Transaction Status

    /// Asks for the state of a transaction by our OriginatorConversationID (or a receipt); the answer comes to
    /// the B2C result URL.
    public func transactionStatus(
        _ target: TransactionStatusRequest.Target, remarks: String = "refund check"
    ) async
        -> StatusQueryOutcome
    {
        guard let b2c = configuration.b2c else { return .failed("B2C is not configured") }
        let request: TransactionStatusRequest
        do {
            request = try TransactionStatusRequest(
                initiator: b2c.initiatorName, securityCredential: b2c.securityCredential, target: target,
                partyA: b2c.shortcode, resultURL: b2c.resultURL, queueTimeOutURL: b2c.timeoutURL, remarks: remarks)
        } catch {
            return .failed("not sent: \(error.description)")
        }
        switch await post("/mpesa/transactionstatus/v1/query", body: request.jsonBody(), api: .transactionStatus) {
        case .failure(let failure): return .failed(failure.description)
        case .success(let response):
            if (200..<300).contains(response.status), let accepted = try? B2CAccepted(json: response.body) {
                return .accepted(
                    originatorConversationID: accepted.originatorConversationID, conversationID: accepted.conversationID
                )
            }
            let error = try? DarajaErrorBody(json: response.body)
            return .failed("Transaction Status answered HTTP \(response.status) \(error?.code ?? "")")
        }
    }
}

/// Why a call got no HTTP answer worth classifying.
enum DarajaCallFailure: Error, CustomStringConvertible {
    case noToken(String)
    /// The token endpoint could not be reached at all: a transport failure, not a refused token; nothing was sent.
    case tokenUnreachable(String)
    /// `requestMayHaveBeenSent` is false only when the failure came before any byte of the request left.
    case transport(String, requestMayHaveBeenSent: Bool)

    var description: String {
        switch self {
        case .noToken(let reason): "no access token: \(reason)"
        case .tokenUnreachable(let reason): reason
        case .transport(let reason, _): reason
        }
    }
}

extension DarajaClientConfiguration {
    /// Sends `request` to Daraja with an `Authorization` header (appended to the others) and this
    /// configuration's timeouts.
    fileprivate func send(
        _ request: HTTPRequest, authorization: String, over http: HTTPClient
    ) async throws(HTTPClientError) -> HTTPResponse {
        var request = request
        request.headers.append(HTTPHeader(name: "Authorization", value: authorization))
        request.connectTimeout = connectTimeout
        request.totalTimeout = requestTimeout
        return try await http.send(request)
    }
}
