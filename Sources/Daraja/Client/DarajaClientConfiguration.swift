import Foundation
public import ReconCore

/// Everything the Daraja client needs to call the APIs; built by the CLI from ARCHITECTURE.md §4 settings.
public struct DarajaClientConfiguration: Sendable {
    /// `https://sandbox.safaricom.co.ke`, `https://api.safaricom.co.ke` or the simulator's address.
    public var baseURL: String
    /// OAuth client id. A secret: never printed.
    public var consumerKey: String
    /// OAuth client secret. A secret: never printed.
    public var consumerSecret: String
    /// STK shortcode (`BusinessShortCode`).
    public var shortcode: String
    /// Lipa na M-Pesa passkey. A secret: never printed.
    public var passkey: String
    /// Paybill or till.
    public var transactionType: StkPushRequest.TransactionType
    /// `PartyB`: the paybill, or the till number for Buy Goods; defaults to the shortcode.
    public var partyB: String
    /// `CallBackURL` for STK results (with the callback token).
    public var callbackURL: String
    /// B2C and Transaction Status settings; `nil` when refunds are not configured.
    public var b2c: B2CConfiguration?
    /// Deadline to connect.
    public var connectTimeout: Duration
    /// Deadline of one whole request.
    public var requestTimeout: Duration
    /// A token is renewed this long before Daraja says it expires.
    public var tokenRefreshMargin: Duration

    /// A configuration with default deadlines (5 s to connect, 20 s per request, renew 60 s early).
    public init(
        baseURL: String, consumerKey: String, consumerSecret: String, shortcode: String, passkey: String,
        transactionType: StkPushRequest.TransactionType = .customerPayBillOnline, partyB: String? = nil,
        callbackURL: String, b2c: B2CConfiguration? = nil, connectTimeout: Duration = .seconds(5),
        requestTimeout: Duration = .seconds(20), tokenRefreshMargin: Duration = .seconds(60)
    ) {
        self.baseURL = baseURL.hasSuffix("/") ? String(baseURL.dropLast()) : baseURL
        self.consumerKey = consumerKey
        self.consumerSecret = consumerSecret
        self.shortcode = shortcode
        self.passkey = passkey
        self.transactionType = transactionType
        self.partyB = partyB ?? shortcode
        self.callbackURL = callbackURL
        self.b2c = b2c
        self.connectTimeout = connectTimeout
        self.requestTimeout = requestTimeout
        self.tokenRefreshMargin = tokenRefreshMargin
    }

    /// From the validated settings of ARCHITECTURE.md §4.
    public init(settings: DarajaSettings, b2c: B2CConfiguration? = nil) {
        self.init(
            baseURL: settings.baseURL, consumerKey: settings.consumerKey, consumerSecret: settings.consumerSecret,
            shortcode: settings.shortcode, passkey: settings.passkey, callbackURL: settings.callbackURL, b2c: b2c)
    }
}

/// B2C v3 and Transaction Status settings.
public struct B2CConfiguration: Sendable {
    /// The B2C shortcode (`PartyA`).
    public var shortcode: String
    /// The API initiator's user name.
    public var initiatorName: String
    /// The initiator password encrypted with Safaricom's certificate (``SecurityCredential``). A secret.
    public var securityCredential: String
    /// Where results are posted.
    public var resultURL: String
    /// Where queue timeouts are posted.
    public var timeoutURL: String

    /// B2C settings.
    public init(
        shortcode: String, initiatorName: String, securityCredential: String, resultURL: String, timeoutURL: String
    ) {
        self.shortcode = shortcode
        self.initiatorName = initiatorName
        self.securityCredential = securityCredential
        self.resultURL = resultURL
        self.timeoutURL = timeoutURL
    }
}

/// What an STK Push request led to.
public enum StkPushOutcome: Sendable, Equatable {
    /// Daraja accepted it: the outcome comes by callback or query.
    case accepted(checkoutRequestID: String, merchantRequestID: String?)
    /// Daraja refused it (no prompt was sent): the payment failed with this code.
    case rejected(code: String, message: String)
    /// Refused before sending: the request breaks a rule Daraja enforces.
    case invalid(String)
    /// The request never left this machine (no access token, connection refused, throttled before it was
    /// processed): no prompt reached a phone.
    case notSent(String)
    /// The request went out but no usable answer came back: whether a prompt went out is not known.
    case noAnswer(String)
}

/// What a Transaction Status request led to (the answer itself comes to the ResultURL).
public enum StatusQueryOutcome: Sendable, Equatable {
    /// Accepted: the result will name these ids.
    case accepted(originatorConversationID: String?, conversationID: String)
    /// Refused or failed: ask again later.
    case failed(String)
}
