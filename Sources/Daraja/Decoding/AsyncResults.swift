public import Foundation
public import ReconCore

/// The common `{"Result":{…}}` envelope of B2C and Transaction Status results (DARAJA.md §5, §7).
struct ResultEnvelope {
    let result: JSON
    let resultType: String?
    let resultCode: DarajaCode
    let resultDesc: String
    let originatorConversationID: String?
    let conversationID: String?
    let transactionID: String?
    let parameters: ParameterList
    let references: ParameterList

    init(json body: some Collection<UInt8>) throws(DarajaError) {
        let root = try Fields.object(body)
        result = try Fields.requiredObject(root, "Result")
        resultType = Fields.text(result["ResultType"])
        resultCode = try Fields.requiredCode(result, "ResultCode")
        resultDesc = result["ResultDesc"]?.scalarText ?? ""
        originatorConversationID = Fields.text(result["OriginatorConversationID"])
        conversationID = Fields.text(result["ConversationID"])
        transactionID = Fields.text(result["TransactionID"])
        parameters = ParameterList(result["ResultParameters"], listKey: "ResultParameter")
        references = ParameterList(result["ReferenceData"], listKey: "ReferenceItem")
    }
}

/// A B2C payment result delivered to our ResultURL, classified with the B2C result-code table.
public struct B2CResult: Sendable, Equatable {
    /// `ResultType` as text; `0` means completed, `1` "waiting for further messages".
    public let resultType: String?
    /// `ResultCode` as text; it may be a number or a string such as `R000001`.
    public let resultCode: String
    /// `ResultDesc` as sent; for people only.
    public let resultDesc: String
    /// `OriginatorConversationID`: our refund's ID on v3, the key that matches the result to the refund.
    public let originatorConversationID: String
    /// `ConversationID` assigned by Daraja (`AG_…`).
    public let conversationID: String?
    /// `TransactionID`; receipt-looking even on failures, so it proves nothing on its own.
    public let transactionID: String?
    /// Every `ResultParameter` in the order received.
    public let parameters: [ResultParameter]
    /// Every `ReferenceItem` in the order received.
    public let referenceItems: [ResultParameter]
    /// The classified answer: only `ResultCode` 0 on a completed result (`ResultType` absent or 0) is success.
    public let answer: B2CAnswer

    /// Decodes a result body; never traps, and throws ``DarajaError`` when the body cannot be trusted.
    public init(json body: some Collection<UInt8>) throws(DarajaError) {
        let envelope = try ResultEnvelope(json: body)
        guard let originator = envelope.originatorConversationID else {
            throw DarajaError(.missingField, field: "OriginatorConversationID", reason: "is missing")
        }
        resultType = envelope.resultType
        resultCode = envelope.resultCode.text
        resultDesc = envelope.resultDesc
        originatorConversationID = originator
        conversationID = envelope.conversationID
        transactionID = envelope.transactionID
        parameters = envelope.parameters.parameters
        referenceItems = envelope.references.parameters
        switch B2CResultCode.meaning(of: envelope.resultCode) {
        case .success:
            // ResultType 1 is documented as "waiting for further messages": not a final word, so not success.
            if let type = envelope.resultType, type != "0" {
                answer = .notUnderstood("result code 0 with ResultType \(type): \(envelope.resultDesc)")
                return
            }
            let list = envelope.parameters
            let registered: Bool? =
                switch Fields.text(list.value("B2CRecipientIsRegisteredCustomer")) {
                case "Y": true
                case "N": false
                default: nil
                }
            answer = .succeeded(
                B2CPaymentDetails(
                    receipt: Fields.text(list.value("TransactionReceipt")),
                    amount: try Fields.amount(list.value("TransactionAmount"), field: "TransactionAmount"),
                    receiverPartyPublicName: Fields.text(list.value("ReceiverPartyPublicName")),
                    completedDateTime: Fields.text(list.value("TransactionCompletedDateTime")),
                    recipientIsRegisteredCustomer: registered))
        case .failed(let reason):
            answer = .failed(code: envelope.resultCode.text, reason: reason, description: envelope.resultDesc)
        case .notUnderstood:
            answer = .notUnderstood("result code \(envelope.resultCode.text): \(envelope.resultDesc)")
        }
    }
}

/// A Transaction Status result delivered to our ResultURL (DARAJA.md §7).
///
/// `ResultCode` says whether the status query itself worked (same table as B2C); the queried transaction's state is
/// in ``transactionStatus`` (`Completed`) and its receipt in ``receiptNo``. Deciding what that means for a refund
/// is left to the refund state machine.
public struct TransactionStatusResult: Sendable, Equatable {
    /// `ResultType` as text.
    public let resultType: String?
    /// `ResultCode` of the status query, as text.
    public let resultCode: String
    /// The meaning of ``resultCode`` from the B2C table (2001 = bad initiator credentials).
    public let resultCodeMeaning: B2CCodeMeaning
    /// `ResultDesc` as sent.
    public let resultDesc: String
    /// Top-level `OriginatorConversationID`: the ID of the status query request.
    public let originatorConversationID: String?
    /// Top-level `ConversationID` of the status query request.
    public let conversationID: String?
    /// Top-level `TransactionID`, usually a zero-padded placeholder (`MBN0000000`).
    public let transactionID: String?
    /// `TransactionStatus` parameter, e.g. `Completed`.
    public let transactionStatus: String?
    /// `ReceiptNo`: the queried transaction's M-Pesa receipt.
    public let receiptNo: String?
    /// `Amount` (a string in v3, a number in v1), exact.
    public let amount: Money?
    /// The `OriginatorConversationID` parameter (also spelled `Originator Conversation ID`): the queried transaction's.
    public let queriedOriginatorConversationID: String?
    /// The `ConversationID` parameter (also `Conversation ID`): the queried transaction's.
    public let queriedConversationID: String?
    /// `FinalisedTime` / `FinalizedTime` as sent, `YYYYMMDDHHmmss` Nairobi time.
    public let finalisedTime: String?
    /// ``finalisedTime`` as an instant, when it is a valid date.
    public let finalisedAt: Date?
    /// Every `DebitPartyName` value; the key can appear twice in one result.
    public let debitPartyNames: [String]
    /// `CreditPartyName`; it may contain a phone number, so never log it.
    public let creditPartyName: String?
    /// `ReasonType`, e.g. `Pay Bill Online` or `Business Payment to Customer via API`.
    public let reasonType: String?
    /// Every `ResultParameter` in the order received.
    public let parameters: [ResultParameter]
    /// Every `ReferenceItem` in the order received (it echoes `Occasion`).
    public let referenceItems: [ResultParameter]

    /// Decodes a result body; never traps, and throws ``DarajaError`` when the body cannot be trusted.
    public init(json body: some Collection<UInt8>) throws(DarajaError) {
        let envelope = try ResultEnvelope(json: body)
        let list = envelope.parameters
        resultType = envelope.resultType
        resultCode = envelope.resultCode.text
        resultCodeMeaning = B2CResultCode.meaning(of: envelope.resultCode)
        resultDesc = envelope.resultDesc
        originatorConversationID = envelope.originatorConversationID
        conversationID = envelope.conversationID
        transactionID = envelope.transactionID
        transactionStatus = Fields.text(list.value("TransactionStatus"))
        receiptNo = Fields.text(list.value("ReceiptNo"))
        amount = try Fields.amount(list.value("Amount"), field: "Amount")
        queriedOriginatorConversationID = Fields.text(list.value("OriginatorConversationID"))
        queriedConversationID = Fields.text(list.value("ConversationID"))
        finalisedTime = Fields.digits(list.value("FinalisedTime", "FinalizedTime"))
        finalisedAt = finalisedTime.flatMap { EastAfricaTime.date(compact: $0) }
        debitPartyNames = list.values("DebitPartyName")
        creditPartyName = Fields.text(list.value("CreditPartyName"))
        reasonType = Fields.text(list.value("ReasonType"))
        parameters = list.parameters
        referenceItems = envelope.references.parameters
    }
}

/// A body posted to a QueueTimeOutURL. No real or documented example exists (DARAJA.md §5), so any JSON is accepted.
///
/// A timeout is never a failure: the refund stays unresolved until Transaction Status answers.
public struct QueueTimeoutNotice: Sendable, Equatable {
    /// `OriginatorConversationID` found at the top level or under `Result`, if any.
    public let originatorConversationID: String?
    /// `ConversationID` found at the top level or under `Result`, if any.
    public let conversationID: String?

    /// Decodes any JSON body; only a body that is not JSON at all throws.
    public init(json body: some Collection<UInt8>) throws(DarajaError) {
        let root = try JSON.parse(body)
        let places = [root] + (QueueTimeoutNotice.member(root, "Result").map { [$0] } ?? [])
        originatorConversationID =
            places.lazy.compactMap {
                Fields.text(QueueTimeoutNotice.member($0, "OriginatorConversationID"))
            }.first
        conversationID = places.lazy.compactMap { Fields.text(QueueTimeoutNotice.member($0, "ConversationID")) }.first
    }

    // Unknown shape: match keys ignoring case and spaces.
    private static func member(_ value: JSON, _ key: String) -> JSON? {
        let wanted = Fields.normalisedKey(key)
        return value.members?.first { Fields.normalisedKey($0.key) == wanted }?.value
    }
}

extension B2CResult: CustomStringConvertible, CustomDebugStringConvertible {
    /// Codes and IDs only: the parameters carry the receiver's name and phone number.
    public var description: String {
        "B2CResult(originator: \(originatorConversationID), code: \(resultCode), answer: \(answer))"
    }

    public var debugDescription: String { description }
}

extension TransactionStatusResult: CustomStringConvertible, CustomDebugStringConvertible {
    /// Codes, IDs and status only: the parameters carry party names and phone numbers.
    public var description: String {
        "TransactionStatusResult(code: \(resultCode), status: \(transactionStatus ?? "nil"), "
            + "receipt: \(receiptNo ?? "nil"), queried: \(queriedOriginatorConversationID ?? "nil"))"
    }

    public var debugDescription: String { description }
}
