public import ReconCore

/// A validated STK Push request (DARAJA.md §2); building one checks every rule Daraja is known to enforce.
public struct StkPushRequest: Sendable, Equatable {
    /// Paybill or till payment.
    public enum TransactionType: String, Sendable, Hashable, CaseIterable {
        /// A paybill; PartyB is the paybill number.
        case customerPayBillOnline = "CustomerPayBillOnline"
        /// A till; PartyB is the till number and BusinessShortCode the store/HO number.
        case customerBuyGoodsOnline = "CustomerBuyGoodsOnline"
    }

    /// `BusinessShortCode`.
    public let businessShortCode: String
    /// `Password` and `Timestamp`.
    public let password: DarajaPassword
    /// `TransactionType`.
    public let transactionType: TransactionType
    /// `Amount`, whole shillings from 1 to 250,000.
    public let amount: Money
    /// `PartyA` and `PhoneNumber`: the payer, who receives the prompt.
    public let phone: MSISDN
    /// `PartyB`: the paybill or till that receives the money.
    public let partyB: String
    /// `CallBackURL`.
    public let callbackURL: String
    /// `AccountReference` after sanitising, 1–12 characters; shown to the payer.
    public let accountReference: String
    /// `TransactionDesc` after sanitising, at most 13 characters.
    public let transactionDesc: String

    /// Validates a request; throws ``DarajaError/Code/invalidRequest`` naming the field at fault.
    public init(
        businessShortCode: String, password: DarajaPassword, transactionType: TransactionType, amount: Money,
        phone: MSISDN, partyB: String, callbackURL: String, accountReference: String, transactionDesc: String
    ) throws(DarajaError) {
        try DarajaText.checkShortcode(businessShortCode, field: "BusinessShortCode")
        try DarajaText.checkShortcode(partyB, field: "PartyB")
        _ = try DarajaText.wholeShillings(amount, in: 1...250_000, field: "Amount")
        try DarajaText.checkCallbackURL(callbackURL, field: "CallBackURL")
        self.businessShortCode = businessShortCode
        self.password = password
        self.transactionType = transactionType
        self.amount = amount
        self.phone = phone
        self.partyB = partyB
        self.callbackURL = callbackURL
        self.accountReference = try DarajaText.sanitised(accountReference, length: 1...12, field: "AccountReference")
        self.transactionDesc = try DarajaText.sanitised(transactionDesc, length: 0...13, field: "TransactionDesc")
    }

    /// The JSON body: `Amount` as an integer, shortcodes and phone numbers as digit strings.
    public func jsonBody() -> [UInt8] {
        JSON.object([
            .init(key: "BusinessShortCode", value: .string(businessShortCode)),
            .init(key: "Password", value: .string(password.password)),
            .init(key: "Timestamp", value: .string(password.timestamp)),
            .init(key: "TransactionType", value: .string(transactionType.rawValue)),
            .init(key: "Amount", value: .number(String(amount.wholeShillings))),
            .init(key: "PartyA", value: .string(phone.digits)),
            .init(key: "PartyB", value: .string(partyB)),
            .init(key: "PhoneNumber", value: .string(phone.digits)),
            .init(key: "CallBackURL", value: .string(callbackURL)),
            .init(key: "AccountReference", value: .string(accountReference)),
            .init(key: "TransactionDesc", value: .string(transactionDesc)),
        ]).serialized()
    }
}

/// The body of an STK Push Query (DARAJA.md §3).
public struct StkQueryRequest: Sendable, Equatable {
    /// `BusinessShortCode`.
    public let businessShortCode: String
    /// `Password` and `Timestamp`.
    public let password: DarajaPassword
    /// `CheckoutRequestID` of the payment to ask about.
    public let checkoutRequestID: String

    /// Validates a query.
    public init(businessShortCode: String, password: DarajaPassword, checkoutRequestID: String) throws(DarajaError) {
        try DarajaText.checkShortcode(businessShortCode, field: "BusinessShortCode")
        self.businessShortCode = businessShortCode
        self.password = password
        self.checkoutRequestID = try DarajaText.plain(checkoutRequestID, field: "CheckoutRequestID")
    }

    /// The JSON body.
    public func jsonBody() -> [UInt8] {
        JSON.object([
            .init(key: "BusinessShortCode", value: .string(businessShortCode)),
            .init(key: "Password", value: .string(password.password)),
            .init(key: "Timestamp", value: .string(password.timestamp)),
            .init(key: "CheckoutRequestID", value: .string(checkoutRequestID)),
        ]).serialized()
    }
}

/// A validated B2C v3 payment request (DARAJA.md §5), used for refunds.
public struct B2CPaymentRequest: Sendable, Equatable, CustomStringConvertible {
    /// `OriginatorConversationID`: the refund's own unique ID; v3 rejects a repeat with `500.002.1001`.
    public let originatorConversationID: String
    /// `InitiatorName`.
    public let initiatorName: String
    /// `SecurityCredential`; a secret derived from the initiator password.
    public let securityCredential: String
    /// `Amount`, whole shillings.
    public let amount: Money
    /// `PartyA`: the B2C shortcode that pays.
    public let partyA: String
    /// `PartyB`: the recipient.
    public let partyB: MSISDN
    /// `Remarks` after sanitising, 2–100 characters.
    public let remarks: String
    /// `QueueTimeOutURL`.
    public let queueTimeOutURL: String
    /// `ResultURL`.
    public let resultURL: String
    /// `Occassion` after sanitising, 1–100 characters, or `nil` to leave it out.
    public let occasion: String?

    /// Validates a request; throws ``DarajaError/Code/invalidRequest`` naming the field at fault.
    public init(
        originatorConversationID: String, initiatorName: String, securityCredential: String, amount: Money,
        partyA: String, partyB: MSISDN, remarks: String, queueTimeOutURL: String, resultURL: String,
        occasion: String? = nil
    ) throws(DarajaError) {
        try DarajaText.checkIdentifier(originatorConversationID, field: "OriginatorConversationID")
        try DarajaText.checkShortcode(partyA, field: "PartyA")
        _ = try DarajaText.wholeShillings(amount, in: 1...Int64(Int32.max), field: "Amount")
        try DarajaText.checkCallbackURL(queueTimeOutURL, field: "QueueTimeOutURL")
        try DarajaText.checkCallbackURL(resultURL, field: "ResultURL")
        self.originatorConversationID = originatorConversationID
        self.initiatorName = try DarajaText.plain(initiatorName, field: "InitiatorName")
        self.securityCredential = try DarajaText.securityCredential(securityCredential)
        self.amount = amount
        self.partyA = partyA
        self.partyB = partyB
        self.remarks = try DarajaText.sanitised(remarks, length: 2...100, field: "Remarks")
        self.queueTimeOutURL = queueTimeOutURL
        self.resultURL = resultURL
        self.occasion = try DarajaText.occasion(occasion, field: "Occassion")
    }

    /// The JSON body. The v3 key really is spelled `Occassion` (DARAJA.md §5).
    public func jsonBody() -> [UInt8] {
        var members: [JSON.Member] = [
            .init(key: "OriginatorConversationID", value: .string(originatorConversationID)),
            .init(key: "InitiatorName", value: .string(initiatorName)),
            .init(key: "SecurityCredential", value: .string(securityCredential)),
            .init(key: "CommandID", value: .string("BusinessPayment")),
            .init(key: "Amount", value: .number(String(amount.wholeShillings))),
            .init(key: "PartyA", value: .string(partyA)),
            .init(key: "PartyB", value: .string(partyB.digits)),
            .init(key: "Remarks", value: .string(remarks)),
            .init(key: "QueueTimeOutURL", value: .string(queueTimeOutURL)),
            .init(key: "ResultURL", value: .string(resultURL)),
        ]
        if let occasion { members.append(.init(key: "Occassion", value: .string(occasion))) }
        return JSON.object(members).serialized()
    }

    public var description: String {
        "B2CPaymentRequest(\(originatorConversationID), \(amount) to \(partyB.masked), credential <redacted>)"
    }
}

/// A validated Transaction Status request (DARAJA.md §7), which decides refunds after a crash or a timeout.
public struct TransactionStatusRequest: Sendable, Equatable, CustomStringConvertible {
    /// What to look up: the M-Pesa receipt, or our OriginatorConversationID when there is no receipt.
    public enum Target: Sendable, Hashable {
        /// `TransactionID`: an M-Pesa receipt.
        case transactionID(String)
        /// `OriginalConversationID`: the OriginatorConversationID of the transaction being checked.
        case originalConversationID(String)
    }

    /// `Initiator`.
    public let initiator: String
    /// `SecurityCredential`; a secret.
    public let securityCredential: String
    /// The transaction to look up.
    public let target: Target
    /// `PartyA`: our shortcode; `IdentifierType` is always `4` (shortcode).
    public let partyA: String
    /// `ResultURL`.
    public let resultURL: String
    /// `QueueTimeOutURL`.
    public let queueTimeOutURL: String
    /// `Remarks` after sanitising, 1–100 characters.
    public let remarks: String
    /// `Occasion` after sanitising, 1–100 characters, or `nil` to leave it out.
    public let occasion: String?

    /// Validates a request; throws ``DarajaError/Code/invalidRequest`` naming the field at fault.
    public init(
        initiator: String, securityCredential: String, target: Target, partyA: String, resultURL: String,
        queueTimeOutURL: String, remarks: String, occasion: String? = nil
    ) throws(DarajaError) {
        switch target {
        case .transactionID(let id): try DarajaText.checkIdentifier(id, field: "TransactionID")
        case .originalConversationID(let id): try DarajaText.checkIdentifier(id, field: "OriginalConversationID")
        }
        try DarajaText.checkShortcode(partyA, field: "PartyA")
        try DarajaText.checkCallbackURL(resultURL, field: "ResultURL")
        try DarajaText.checkCallbackURL(queueTimeOutURL, field: "QueueTimeOutURL")
        self.initiator = try DarajaText.plain(initiator, field: "Initiator")
        self.securityCredential = try DarajaText.securityCredential(securityCredential)
        self.target = target
        self.partyA = partyA
        self.resultURL = resultURL
        self.queueTimeOutURL = queueTimeOutURL
        self.remarks = try DarajaText.sanitised(remarks, length: 1...100, field: "Remarks")
        self.occasion = try DarajaText.occasion(occasion, field: "Occasion")
    }

    /// The JSON body: `CommandID` `TransactionStatusQuery`, `IdentifierType` `"4"`, and only the key of the target.
    public func jsonBody() -> [UInt8] {
        var members: [JSON.Member] = [
            .init(key: "Initiator", value: .string(initiator)),
            .init(key: "SecurityCredential", value: .string(securityCredential)),
            .init(key: "CommandID", value: .string("TransactionStatusQuery")),
        ]
        switch target {
        case .transactionID(let id): members.append(.init(key: "TransactionID", value: .string(id)))
        case .originalConversationID(let id): members.append(.init(key: "OriginalConversationID", value: .string(id)))
        }
        members += [
            .init(key: "PartyA", value: .string(partyA)),
            .init(key: "IdentifierType", value: .string("4")),
            .init(key: "ResultURL", value: .string(resultURL)),
            .init(key: "QueueTimeOutURL", value: .string(queueTimeOutURL)),
            .init(key: "Remarks", value: .string(remarks)),
        ]
        if let occasion { members.append(.init(key: "Occasion", value: .string(occasion))) }
        return JSON.object(members).serialized()
    }

    public var description: String { "TransactionStatusRequest(\(target), credential <redacted>)" }
}

extension DarajaText {
    /// An ID we send (OriginatorConversationID, a receipt): 1–100 ASCII letters, digits, `-`, `_` or `.`.
    static func checkIdentifier(_ value: String, field: String) throws(DarajaError) {
        let allowed: (UInt8) -> Bool = { byte in
            (0x30...0x39).contains(byte) || (0x41...0x5A).contains(byte) || (0x61...0x7A).contains(byte)
                || byte == UInt8(ascii: "-") || byte == UInt8(ascii: "_") || byte == UInt8(ascii: ".")
        }
        guard (1...100).contains(value.utf8.count), value.utf8.allSatisfy(allowed) else {
            throw DarajaError(
                .invalidRequest, field: field, reason: "must be 1 to 100 letters, digits, '-', '_' or '.'")
        }
    }
}
