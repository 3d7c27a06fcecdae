public import Foundation

/// Why an STK Push payment definitely did not happen; only codes with a documented or well-attested meaning.
public enum StkFailureReason: String, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    /// `1`: the payer's balance is too low.
    case insufficientBalance
    /// `2`: below the minimum amount.
    case belowMinimumAmount
    /// `3`: above the maximum amount.
    case aboveMaximumAmount
    /// `4`: would exceed the payer's daily limit.
    case dailyLimitExceeded
    /// `8`: would exceed the maximum balance.
    case maximumBalanceExceeded
    /// `17`: the same amount to the same customer within two minutes.
    case ruleLimited
    /// `1019`: the transaction expired.
    case expired
    /// `1025`: the push could not be sent, usually because the prompt was too long.
    case pushError
    /// `1031`, `1032`: the payer dismissed the prompt.
    case cancelledByUser
    /// `1036`: the SMSC did not acknowledge the prompt.
    case smscAckTimeout
    /// `1037`: the prompt was never answered or the phone could not be reached.
    case noResponse
    /// `2001`: in an STK result, the payer entered a wrong PIN (in B2C the same code means something else).
    case wrongPin
    /// `2028`: not permitted by product assignment (wrong TransactionType or PartyB).
    case notPermitted
    /// `8006`: the security credential is locked.
    case credentialLocked
    /// `SFC_IC0003`: the operator does not exist.
    case operatorDoesNotExist

    /// A sentence for finance and admins.
    public var explanation: String {
        switch self {
        case .insufficientBalance: "the payer's M-Pesa balance was insufficient"
        case .belowMinimumAmount: "the amount is below the M-Pesa minimum"
        case .aboveMaximumAmount: "the amount is above the M-Pesa maximum"
        case .dailyLimitExceeded: "the payment would exceed the payer's daily limit"
        case .maximumBalanceExceeded: "the payment would exceed the maximum account balance"
        case .ruleLimited: "the same amount was requested from the same customer within two minutes"
        case .expired: "the transaction expired before it was completed"
        case .pushError: "the payment prompt could not be sent (the prompt may be too long)"
        case .cancelledByUser: "the payer cancelled the payment prompt"
        case .smscAckTimeout: "the payment prompt was not acknowledged by the SMS centre"
        case .noResponse: "the payer did not answer the prompt or could not be reached"
        case .wrongPin: "the payer entered a wrong M-Pesa PIN"
        case .notPermitted: "the shortcode is not permitted to receive this kind of payment"
        case .credentialLocked: "the security credential is locked"
        case .operatorDoesNotExist: "the operator does not exist"
        }
    }

    public var description: String { explanation }
}

/// What an STK result code says about the payment, before any other context is considered.
public enum StkCodeMeaning: Sendable, Hashable {
    /// `0`: the payer paid.
    case paid
    /// A documented final failure: the payment did not happen for this CheckoutRequestID.
    case finalFailure(StkFailureReason)
    /// `4999`: still being processed; ask again later.
    case inFlight
    /// A code whose meaning is not established: a person must decide, it is never a failure.
    case notUnderstood
}

/// The STK Push result-code table shared by the callback and the query (DARAJA.md §3).
///
/// Classification uses the code only: ResultDesc wording varies by channel and year (DARAJA.md §3, "ResultCode is
/// the contract; ResultDesc is not"). Codes known only from unattributed tables (`1001`, `9999`, `26`) and any code
/// not listed here are ``StkCodeMeaning/notUnderstood`` so that an unexpected answer leads to review, not to a
/// payment wrongly marked failed.
public enum StkResultCode {
    /// The meaning of one result code.
    public static func meaning(of code: DarajaCode) -> StkCodeMeaning {
        switch code.text {
        case "0": .paid
        case "4999": .inFlight
        case "1": .finalFailure(.insufficientBalance)
        case "2": .finalFailure(.belowMinimumAmount)
        case "3": .finalFailure(.aboveMaximumAmount)
        case "4": .finalFailure(.dailyLimitExceeded)
        case "8": .finalFailure(.maximumBalanceExceeded)
        case "17": .finalFailure(.ruleLimited)
        case "1019": .finalFailure(.expired)
        case "1025": .finalFailure(.pushError)
        case "1031", "1032": .finalFailure(.cancelledByUser)
        case "1036": .finalFailure(.smscAckTimeout)
        case "1037": .finalFailure(.noResponse)
        case "2001": .finalFailure(.wrongPin)
        case "2028": .finalFailure(.notPermitted)
        case "8006": .finalFailure(.credentialLocked)
        case "SFC_IC0003": .finalFailure(.operatorDoesNotExist)
        default: .notUnderstood
        }
    }

    /// The classified answer for a result code from a callback (with details) or a query (`details` is `nil`).
    public static func answer(code: DarajaCode, description: String, details: StkPaymentDetails?) -> StkAnswer {
        switch meaning(of: code) {
        case .paid: .paid(details)
        case .finalFailure(let reason): .failed(code: code.text, reason: reason, description: description)
        case .inFlight: .inFlight(code: code.text)
        case .notUnderstood: .notUnderstood("result code \(code.text): \(description)")
        }
    }
}

/// What an STK callback says about a completed payment; every field is optional because Daraja omits items freely.
public struct StkPaymentDetails: Sendable, Hashable {
    /// The M-Pesa receipt, e.g. `QKH94M1Z11`.
    public var receipt: String?
    /// The amount paid, exact.
    public var amount: Money?
    /// The paying phone number as digits (e.g. `254712345678`); mask it before printing.
    public var phone: String?
    /// `TransactionDate` as sent, `YYYYMMDDHHmmss` Nairobi time.
    public var transactionDate: String?
    /// `transactionDate` as an instant, when it is a valid date.
    public var paidAt: Date?

    /// Details from their parts; `paidAt` is derived from `transactionDate` as Nairobi time (UTC+3).
    public init(receipt: String?, amount: Money?, phone: String?, transactionDate: String?) {
        self.receipt = receipt
        self.amount = amount
        self.phone = phone
        self.transactionDate = transactionDate
        self.paidAt = transactionDate.flatMap { EastAfricaTime.date(compact: $0) }
    }
}

/// Daraja's answer about one STK payment, classified for the settlement state machine.
public enum StkAnswer: Sendable, Equatable {
    /// Paid. Details come from a callback; `nil` from a query, which never carries the receipt (receipt pending).
    case paid(StkPaymentDetails?)
    /// A documented final failure.
    case failed(code: String, reason: StkFailureReason, description: String)
    /// Not finished yet (`4999`, or `500.001.1001` from the query): ask again later.
    case inFlight(code: String)
    /// Spike arrest, quota or HTTP 429: slow the whole run down and ask again later.
    case throttled(code: String)
    /// The access token was refused: renew it once and ask again.
    case tokenInvalid(code: String)
    /// No answer reached us (network, timeout, server error); ask again later.
    case transportFailure(String)
    /// An answer nobody understands: it must end as `unknown` for a person, never as failed.
    case notUnderstood(String)
}

extension StkPaymentDetails: CustomStringConvertible, CustomDebugStringConvertible {
    /// The details with the phone number masked, so that logging an answer never leaks it.
    public var description: String {
        "StkPaymentDetails(receipt: \(receipt ?? "nil"), amount: \(amount.map(\.decimalString) ?? "nil"), "
            + "phone: \(phone.map(MSISDN.mask) ?? "nil"), transactionDate: \(transactionDate ?? "nil"))"
    }

    public var debugDescription: String { description }
}
