public import Foundation

/// Credentials and limits the simulator holds, like a Daraja app and its shortcodes.
public struct SimulatorConfiguration: Sendable, Codable {
    /// OAuth client id the simulator accepts.
    public var consumerKey = "sim-consumer-key"
    /// OAuth client secret the simulator accepts.
    public var consumerSecret = "sim-consumer-secret"
    /// The STK Push shortcode.
    public var shortcode = "174379"
    /// The Lipa na M-Pesa passkey (Daraja's public sandbox passkey by default).
    public var passkey = "bfb279f9aa9bdbcf158e97dd71a467cd2e0c893059b10f78e6b72ada1ed2c919"
    /// The B2C shortcode refunds come from.
    public var b2cShortcode = "600999"
    /// The B2C initiator's user name.
    public var initiatorName = "testapi"
    /// The initiator password the SecurityCredential must decrypt to.
    public var initiatorPassword = "Safaricom999!*!"
    /// Seed of every random choice, so a run can be repeated.
    public var seed: UInt64 = 42

    /// The defaults above.
    public init() {}
}

/// What a learner does with an STK prompt, in the simulator's world.
public enum StkOutcome: String, Sendable, Codable, CaseIterable {
    /// Pays: ResultCode 0 with a receipt.
    case paid
    /// Dismisses the prompt: 1032.
    case cancelled
    /// Never answers or is unreachable: 1037.
    case noResponse
    /// Not enough money: 1.
    case insufficientFunds
    /// Wrong PIN: 2001.
    case wrongPin
    /// Never resolves: the query answers "in flight" forever and no callback comes.
    case neverResolves
    /// A code no reference documents (for "not understood" paths): 7777.
    case undocumentedCode

    /// The ResultCode and ResultDesc Daraja uses for it.
    var result: (code: String, description: String)? {
        switch self {
        case .paid: ("0", "The service request is processed successfully.")
        case .cancelled: ("1032", "Request cancelled by user")
        case .noResponse: ("1037", "DS timeout user cannot be reached")
        case .insufficientFunds: ("1", "The balance is insufficient for the transaction.")
        case .wrongPin: ("2001", "The initiator information is invalid.")
        case .undocumentedCode: ("7777", "Simulated undocumented result")
        case .neverResolves: nil
        }
    }
}

/// How the STK callback of one transaction reaches the merchant.
public enum CallbackDelivery: String, Sendable, Codable, CaseIterable {
    /// Once, after the normal delay.
    case once
    /// Once, much later (after the query already knows the outcome).
    case late
    /// Twice.
    case twice
    /// Never: the callback is lost.
    case lost
}

/// What happens to one B2C payment request.
public enum B2COutcome: String, Sendable, Codable, CaseIterable {
    /// Paid; the result is posted to the ResultURL.
    case paid
    /// Refused by M-Pesa (2040, recipient not registered); nothing paid.
    case failed
    /// A queue timeout is posted to the QueueTimeOutURL, and the payment is made anyway, result lost.
    case timeoutThenPaid
    /// Paid, but the result callback is lost.
    case paidResultLost
}

/// An explicit plan for the next STK Push, for deterministic tests.
public struct StkPlan: Sendable, Codable, Equatable {
    public var outcome: StkOutcome
    public var delivery: CallbackDelivery
    /// Milliseconds the payment stays "in flight" before the outcome is known.
    public var processingMs: Int?
    /// The amount the callback reports, when it should differ from the one asked (whole shillings).
    public var reportedAmount: Int?

    /// A plan.
    public init(
        outcome: StkOutcome, delivery: CallbackDelivery = .once, processingMs: Int? = nil, reportedAmount: Int? = nil
    ) {
        self.outcome = outcome
        self.delivery = delivery
        self.processingMs = processingMs
        self.reportedAmount = reportedAmount
    }
}

/// Weighted random behaviour for requests without an explicit plan.
public struct Scenario: Sendable, Codable, Equatable {
    /// Relative weights of STK outcomes (missing ones weigh 0).
    public var stkOutcomes: [StkOutcome: Int] = [.paid: 1]
    /// Relative weights of callback deliveries.
    public var deliveries: [CallbackDelivery: Int] = [.once: 1]
    /// Relative weights of B2C outcomes.
    public var b2cOutcomes: [B2COutcome: Int] = [.paid: 1]
    /// How long a payment stays in flight before its outcome is known, in milliseconds.
    public var processingMs = 200
    /// Delay of a callback after the outcome is known, in milliseconds.
    public var callbackDelayMs = 50
    /// Extra delay of a `late` callback, in milliseconds.
    public var lateDelayMs = 3_000
    /// Delay of a B2C result or timeout callback, in milliseconds.
    public var b2cResultDelayMs = 100
    /// Percentage of in-flight query answers given as HTTP 500 `500.001.1001` instead of HTTP 200 `4999`.
    public var inFlightEnvelopePercent = 50

    /// Every payment paid, every callback delivered once.
    public init() {}
}

/// Faults the simulator injects into Daraja routes (not into `/sim/…`).
public struct Faults: Sendable, Codable, Equatable {
    /// Requests per second above which Daraja answers spike arrest, a second's worth of burst allowed; `nil` is none.
    public var rateLimitPerSecond: Int?
    /// Answer spike arrest as Apigee's raw `fault` body instead of Daraja's error envelope.
    public var apigeeFaultBodies = false
    /// Percentage of requests answered with a 5xx.
    public var serverErrorPercent = 0
    /// Milliseconds added before every answer.
    public var slowMs = 0
    /// Percentage of successful answers whose JSON body is cut short.
    public var malformedPercent = 0
    /// Lifetime of new access tokens, in seconds (Daraja: 3599).
    public var tokenLifetimeSeconds = 3599

    /// No faults.
    public init() {}
}

/// One STK transaction as it really happened.
public struct LedgerStkTransaction: Sendable, Codable, Equatable {
    public var checkoutRequestID: String
    public var merchantRequestID: String
    public var phone: String
    public var amount: Int
    public var accountReference: String
    public var callbackURL: String
    public var outcome: StkOutcome
    public var delivery: CallbackDelivery
    public var resultCode: String?
    public var receipt: String?
    public var reportedAmount: Int
    public var createdAt: Date
    public var resolvesAt: Date
    public var callbacksDelivered: Int
    public var queries: Int
}

/// One B2C payment request as it really happened.
public struct LedgerPayout: Sendable, Codable, Equatable {
    public var originatorConversationID: String
    public var conversationID: String
    public var partyB: String
    public var amount: Int
    public var outcome: B2COutcome
    public var resultCode: String
    /// Whether money really left the B2C account; at most once per OriginatorConversationID.
    public var paid: Bool
    public var transactionID: String?
    /// Requests that carried this OriginatorConversationID, the accepted one and the duplicates.
    public var requests: Int
    public var resultURL: String
    public var timeoutURL: String
    /// When the request was accepted; the statement dates a paid payout by it.
    public var createdAt: Date?
}

/// Counts of faults injected, by kind.
public struct FaultCounts: Sendable, Codable, Equatable {
    public var spikeArrest = 0
    public var serverErrors = 0
    public var malformed = 0
    public var slowed = 0
    public var invalidToken = 0
}

/// What really happened, for tests and the demo to compare a database with.
public struct Ledger: Sendable, Codable, Equatable {
    public var stk: [LedgerStkTransaction]
    public var payouts: [LedgerPayout]
    public var faults: FaultCounts
    public var tokensIssued: Int
    /// C2B payments made from the SIM menu (paid, rejected by validation, or cancelled).
    public var c2b: [LedgerC2BPayment] = []
}
