public import Foundation

/// Why a B2C payment (a refund) definitely did not happen.
///
/// The current table comes from the v3 documentation; `5`–`7`, `12`–`15`, `17`, `20` and `26` come from the original
/// v1 table (DARAJA.md §5). In B2C, `2001` means bad initiator credentials or certificate, not a wrong PIN.
public enum B2CFailureReason: String, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    /// `1`: the utility account's balance is insufficient.
    case insufficientBalance
    /// `2`: below the minimum amount.
    case belowMinimumAmount
    /// `3`: above the maximum amount.
    case aboveMaximumAmount
    /// `4`: would exceed the daily transfer limit.
    case dailyLimitExceeded
    /// `5` (v1): would exceed the minimum balance.
    case minimumBalanceExceeded
    /// `6` (v1): unresolved primary party.
    case unresolvedPrimaryParty
    /// `7` (v1): unresolved receiver party.
    case unresolvedReceiverParty
    /// `8`: would exceed the maximum balance.
    case maximumBalanceExceeded
    /// `11`: the debit party is in an invalid state.
    case debitPartyInvalidState
    /// `12` (v1): the credit account is invalid.
    case creditAccountInvalid
    /// `13` (v1): unresolved debit account.
    case unresolvedDebitAccount
    /// `14` (v1): unresolved credit account.
    case unresolvedCreditAccount
    /// `15` (v1): M-Pesa detected a duplicate.
    case duplicateDetected
    /// `17` (v1): internal failure.
    case internalFailure
    /// `20` (v1): unresolved initiator.
    case unresolvedInitiator
    /// `21`: the initiator lacks the B2C API initiator role.
    case initiatorLacksRole
    /// `26` (v1): traffic blocking condition in place.
    case trafficBlocking
    /// `2001`: wrong initiator name or password, or a credential built with the wrong certificate.
    case invalidInitiatorInformation
    /// `2006`: the account status does not allow the transaction.
    case accountStatusNotAllowed
    /// `2028`: not permitted by product assignment.
    case notPermitted
    /// `2040`: the recipient is not a registered M-Pesa customer.
    case recipientNotRegistered
    /// `8006`: the security credential is locked.
    case credentialLocked
    /// `SFC_IC0003`: the operator (MSISDN) does not exist.
    case operatorDoesNotExist

    /// A sentence for finance and admins.
    public var explanation: String {
        switch self {
        case .insufficientBalance: "the B2C utility account balance is insufficient"
        case .belowMinimumAmount: "the amount is below the M-Pesa minimum"
        case .aboveMaximumAmount: "the amount is above the M-Pesa maximum"
        case .dailyLimitExceeded: "the payment would exceed the daily transfer limit"
        case .minimumBalanceExceeded: "the payment would take the account below its minimum balance"
        case .unresolvedPrimaryParty: "M-Pesa could not resolve the paying party"
        case .unresolvedReceiverParty: "M-Pesa could not resolve the receiving party"
        case .maximumBalanceExceeded: "the payment would exceed the recipient's maximum balance"
        case .debitPartyInvalidState: "the paying shortcode is in an invalid state"
        case .creditAccountInvalid: "the receiving account is invalid"
        case .unresolvedDebitAccount: "M-Pesa could not resolve the debit account"
        case .unresolvedCreditAccount: "M-Pesa could not resolve the credit account"
        case .duplicateDetected: "M-Pesa rejected the payment as a duplicate"
        case .internalFailure: "M-Pesa reported an internal failure"
        case .unresolvedInitiator: "M-Pesa could not resolve the initiator"
        case .initiatorLacksRole: "the initiator lacks the B2C API initiator role"
        case .trafficBlocking: "M-Pesa is blocking traffic"
        case .invalidInitiatorInformation:
            "the initiator name, password or certificate is wrong"
        case .accountStatusNotAllowed: "the account status does not allow the payment"
        case .notPermitted: "the shortcode is not permitted to make this kind of payment"
        case .recipientNotRegistered: "the recipient is not a registered M-Pesa customer"
        case .credentialLocked: "the security credential is locked"
        case .operatorDoesNotExist: "the recipient's phone number does not exist"
        }
    }

    public var description: String { explanation }
}

/// What a B2C result code says about the payment.
public enum B2CCodeMeaning: Sendable, Hashable {
    /// `0`: the money was sent.
    case success
    /// A documented failure: the money was not sent by this request.
    case failed(B2CFailureReason)
    /// Any other code (including reversal codes such as `R000001`): a person must decide.
    case notUnderstood
}

/// The B2C result-code table (DARAJA.md §5); a separate table from STK because the same numbers differ in meaning.
///
/// Only `0` is success. A non-empty `TransactionID` proves nothing: failed results carry receipt-looking IDs.
public enum B2CResultCode {
    /// The meaning of one result code.
    public static func meaning(of code: DarajaCode) -> B2CCodeMeaning {
        switch code.text {
        case "0": .success
        case "1": .failed(.insufficientBalance)
        case "2": .failed(.belowMinimumAmount)
        case "3": .failed(.aboveMaximumAmount)
        case "4": .failed(.dailyLimitExceeded)
        case "5": .failed(.minimumBalanceExceeded)
        case "6": .failed(.unresolvedPrimaryParty)
        case "7": .failed(.unresolvedReceiverParty)
        case "8": .failed(.maximumBalanceExceeded)
        case "11": .failed(.debitPartyInvalidState)
        case "12": .failed(.creditAccountInvalid)
        case "13": .failed(.unresolvedDebitAccount)
        case "14": .failed(.unresolvedCreditAccount)
        // 15 "Duplicate detected" may mean an earlier send with the id got through: never a failure that
        // frees the amount for another refund; Transaction Status (or a person) decides.
        case "15": .notUnderstood
        case "17": .failed(.internalFailure)
        case "20": .failed(.unresolvedInitiator)
        case "21": .failed(.initiatorLacksRole)
        case "26": .failed(.trafficBlocking)
        case "2001": .failed(.invalidInitiatorInformation)
        case "2006": .failed(.accountStatusNotAllowed)
        case "2028": .failed(.notPermitted)
        case "2040": .failed(.recipientNotRegistered)
        case "8006": .failed(.credentialLocked)
        case "SFC_IC0003": .failed(.operatorDoesNotExist)
        default: .notUnderstood
        }
    }
}

/// What a successful B2C result reports; every field is optional because parameters may be missing or lack a value.
public struct B2CPaymentDetails: Sendable, Hashable {
    /// `TransactionReceipt`, the M-Pesa receipt of the payment.
    public var receipt: String?
    /// `TransactionAmount`, exact.
    public var amount: Money?
    /// `ReceiverPartyPublicName`, e.g. `2547… - NAME`; it contains a phone number, so never log it.
    public var receiverPartyPublicName: String?
    /// `TransactionCompletedDateTime` as sent, `DD.MM.YYYY HH:mm:ss` Nairobi time.
    public var completedDateTime: String?
    /// `completedDateTime` as an instant, when it is a valid date.
    public var completedAt: Date?
    /// `B2CRecipientIsRegisteredCustomer`: `Y` is true, `N` is false, anything else `nil`.
    public var recipientIsRegisteredCustomer: Bool?

    /// Details from their parts; `completedAt` is derived from `completedDateTime` as Nairobi time (UTC+3).
    public init(
        receipt: String?, amount: Money?, receiverPartyPublicName: String?, completedDateTime: String?,
        recipientIsRegisteredCustomer: Bool?
    ) {
        self.receipt = receipt
        self.amount = amount
        self.receiverPartyPublicName = receiverPartyPublicName
        self.completedDateTime = completedDateTime
        self.completedAt = completedDateTime.flatMap { EastAfricaTime.date(dotted: $0) }
        self.recipientIsRegisteredCustomer = recipientIsRegisteredCustomer
    }
}

/// A B2C result, classified for the refund state machine.
public enum B2CAnswer: Sendable, Equatable {
    /// `ResultCode` 0 on a completed result: the money was sent.
    case succeeded(B2CPaymentDetails)
    /// A documented failure code: this request sent no money.
    case failed(code: String, reason: B2CFailureReason, description: String)
    /// Anything else: the refund must become `unknown` and be resolved by Transaction Status or a person.
    case notUnderstood(String)
}

extension B2CPaymentDetails: CustomStringConvertible, CustomDebugStringConvertible {
    /// The details without the receiver's name and number, so that logging an answer never leaks them.
    public var description: String {
        "B2CPaymentDetails(receipt: \(receipt ?? "nil"), amount: \(amount.map(\.decimalString) ?? "nil"), "
            + "receiver: \(receiverPartyPublicName == nil ? "nil" : "<hidden>"), "
            + "completed: \(completedDateTime ?? "nil"))"
    }

    public var debugDescription: String { description }
}
