public import Foundation
public import ReconCore

/// A C2B validation request or confirmation as posted to our URLs (C2B-PULL.md §2–§3): every field a JSON string
/// (numbers are read the same), `MiddleName`/`LastName` often absent, the MSISDN full, masked or hashed, and extra
/// keys ignored. Decoding never requires more than the receipt.
public struct C2BNotification: Sendable, Equatable {
    /// `TransID`, the receipt.
    public let receipt: String
    /// `TransAmount`; `nil` when it is not an exact positive amount (a validation is then answered `C2B00013`).
    public let amount: Money?
    /// `BusinessShortCode`.
    public let shortcode: String
    /// `TransactionType` verbatim (`Pay Bill`, `Customer Merchant Payment`, `""`).
    public let transactionType: String
    /// `BillRefNumber` verbatim (empty for tills).
    public let billRef: String
    /// `InvoiceNumber`, when not empty.
    public let invoiceNumber: String?
    /// `MSISDN` verbatim.
    public let msisdn: String
    /// `FirstName`, when sent.
    public let firstName: String?
    /// First, middle and last name joined, when any is sent.
    public let payerName: String?
    /// `TransTime` (`YYYYMMDDHHmmss`, Nairobi time), when it reads.
    public let transactedAt: Date?
    /// `OrgAccountBalance`, when sent and readable ("not told" is not 0).
    public let orgAccountBalance: Money?
    /// `ThirdPartyTransID`, when not empty.
    public let thirdPartyTransID: String?

    /// Decodes a body; throws ``DarajaError`` when it is not a JSON object or has no `TransID`.
    public init(json body: some Collection<UInt8>) throws(DarajaError) {
        let root = try Fields.object(body)
        receipt = try Fields.requiredText(root, "TransID").trimmingSpaces()
        amount = try? Fields.amount(root["TransAmount"], field: "TransAmount")
        shortcode = root["BusinessShortCode"]?.scalarText?.trimmingSpaces() ?? ""
        transactionType = root["TransactionType"]?.scalarText ?? ""
        billRef = root["BillRefNumber"]?.scalarText ?? ""
        invoiceNumber = Fields.text(root["InvoiceNumber"])
        msisdn = root["MSISDN"]?.scalarText ?? ""
        let names = ["FirstName", "MiddleName", "LastName"].compactMap { Fields.text(root[$0])?.trimmingSpaces() }
            .filter { !$0.isEmpty }
        firstName = Fields.text(root["FirstName"])?.trimmingSpaces()
        payerName = names.isEmpty ? nil : names.joined(separator: " ")
        transactedAt = Fields.digits(root["TransTime"]).flatMap { EastAfricaTime.date(compact: $0) }
        orgAccountBalance = Fields.text(root["OrgAccountBalance"]).flatMap { try? Money.parse($0) }
        thirdPartyTransID = Fields.text(root["ThirdPartyTransID"])
    }

    /// The transaction a confirmation reports; throws when its amount cannot be read (money that moved needs one).
    public func transaction() throws(DarajaError) -> C2BTransaction {
        guard let amount else {
            throw DarajaError(.invalidField, field: "TransAmount", reason: "is not an exact positive amount")
        }
        return C2BTransaction(
            receipt: receipt, shortcode: shortcode, transactionType: transactionType, amount: amount, billRef: billRef,
            invoiceNumber: invoiceNumber, msisdn: msisdn, payerName: payerName, firstName: firstName,
            transactedAt: transactedAt, orgAccountBalance: orgAccountBalance, thirdPartyTransID: thirdPartyTransID)
    }
}

/// What Daraja answered to C2B RegisterURL (C2B-PULL.md §1).
public enum C2BRegisterOutcome: Sendable, Equatable {
    /// `ResponseCode` 0, or a `ResponseDescription` of "success" in any case.
    case registered(description: String)
    /// "already registered", in any of its shapes (a 200 without a code, or `500.003.1001` "Urls are already …").
    case alreadyRegistered(description: String)
    /// `401.003.01` "no apiproduct match": this app holds the other C2B version.
    case wrongVersion(code: String)
    /// Any other refusal.
    case refused(code: String, message: String)
    /// No usable answer (transport, a body nobody can read).
    case failed(String)

    /// Classifies an answer by its status and body; the code decides where there is one.
    public static func classify(httpStatus: Int, body: some Collection<UInt8>) -> C2BRegisterOutcome {
        let bytes = Array(body)
        guard let root = try? Fields.object(bytes) else {
            return .failed("RegisterURL answered HTTP \(httpStatus) with a body that is not a JSON object")
        }
        let description = root["ResponseDescription"]?.scalarText ?? ""
        if let error = try? DarajaErrorBody(json: bytes), let code = error.code {
            let message = error.message ?? ""
            if code == "401.003.01" { return .wrongVersion(code: code) }
            if message.lowercased().contains("already registered") { return .alreadyRegistered(description: message) }
            return .refused(code: code, message: message)
        }
        if description.lowercased().contains("already registered") {
            return .alreadyRegistered(description: description)
        }
        if (200..<300).contains(httpStatus) {
            if let code = Fields.text(root["ResponseCode"]) {
                return code == "0"
                    ? .registered(description: description)
                    : .refused(code: code, message: description)
            }
            if description.lowercased() == "success" { return .registered(description: description) }
        }
        return .refused(code: "HTTP \(httpStatus)", message: description)
    }
}

/// What Pull Transactions' register answered (C2B-PULL.md §5): `ResponseStatus` (or `Response Status`) 1000 or 1001.
public enum PullRegisterOutcome: Sendable, Equatable {
    /// 1000 "Shortcode Registered Successfully".
    case registered(description: String)
    /// 1001 "ShortCode already Registered": registration cannot be changed, so this is success.
    case alreadyRegistered(description: String)
    /// Any other answer.
    case refused(code: String, message: String)
    /// No usable answer.
    case failed(String)

    /// Classifies an answer; keys are read with or without their spaces.
    public static func classify(httpStatus: Int, body: some Collection<UInt8>) -> PullRegisterOutcome {
        let bytes = Array(body)
        guard let root = try? Fields.object(bytes) else {
            return .failed("Pull register answered HTTP \(httpStatus) with a body that is not a JSON object")
        }
        let fields = NormalisedFields(root)
        let description = fields.text("ResponseDescription") ?? fields.text("errorMessage") ?? ""
        switch fields.text("ResponseStatus") ?? fields.text("ResponseCode") {
        case "1000": return .registered(description: description)
        case "1001": return .alreadyRegistered(description: description)
        default:
            if let error = try? DarajaErrorBody(json: bytes), let code = error.code {
                return .refused(code: code, message: error.message ?? "")
            }
            return .refused(code: fields.text("ResponseStatus") ?? "HTTP \(httpStatus)", message: description)
        }
    }
}

/// One transaction of a Pull Transactions page (lower-case keys, C2B-PULL.md §5).
public struct PullTransaction: Sendable, Equatable {
    /// `transactionId`: the receipt.
    public let receipt: String
    /// `trxDate`, when it reads.
    public let date: Date?
    /// `msisdn` as text (a number or a string; its real form is unknown).
    public let msisdn: String
    /// `sender`, presumably the payer's name.
    public let sender: String?
    /// `transactiontype` (`c2b-pay-bill-debit`).
    public let transactionType: String
    /// `billreference`.
    public let billRef: String
    /// `amount`, a string or a number.
    public let amount: Money

    /// The transaction as the C2B apply path takes it.
    public func transaction(shortcode: String) -> C2BTransaction {
        C2BTransaction(
            receipt: receipt, shortcode: shortcode, transactionType: transactionType, amount: amount, billRef: billRef,
            msisdn: msisdn, payerName: sender, firstName: sender?.split(separator: " ").first.map(String.init),
            transactedAt: date)
    }
}

/// A Pull Transactions query answer: `ResponseCode` 1000 with a page of transactions, or 1001 (nothing found *or*
/// not provisioned: ambiguous), or something else.
public struct PullQueryAnswer: Sendable, Equatable {
    /// `ResponseCode` as text.
    public let code: String
    /// `ResponseMessage` as sent.
    public let message: String
    /// The page's transactions; `Response` may be `[[…]]`, `[…]` or a lone object. Items without a receipt or a
    /// readable amount are counted in ``unreadable``, never guessed.
    public let transactions: [PullTransaction]
    /// Items that could not be read.
    public let unreadable: Int
    /// `TotalPages`, when an answer carries it (undocumented; navariltd's production code follows it).
    public let totalPages: Int?

    /// Decodes an answer body.
    public init(json body: some Collection<UInt8>) throws(DarajaError) {
        let root = try Fields.object(body)
        let fields = NormalisedFields(root)
        code = fields.text("ResponseCode") ?? fields.text("ResponseStatus") ?? ""
        message = fields.text("ResponseMessage") ?? fields.text("ResponseDescription") ?? ""
        totalPages = fields.text("TotalPages").flatMap { Int($0) }
        var items: [JSON] = []
        func collect(_ value: JSON) {
            switch value {
            case .array(let elements): for element in elements { collect(element) }
            case .object: items.append(value)
            default: break
            }
        }
        if let response = fields.value("Response") { collect(response) }
        var transactions: [PullTransaction] = []
        var unreadable = 0
        for item in items {
            let fields = NormalisedFields(item)
            guard let receipt = fields.text("transactionId")?.trimmingSpaces(), !receipt.isEmpty,
                let amount = try? Fields.amount(fields.value("amount"), field: "amount")
            else {
                unreadable += 1
                continue
            }
            transactions.append(
                PullTransaction(
                    receipt: receipt, date: fields.text("trxDate").flatMap { EastAfricaTime.date(pull: $0) },
                    msisdn: fields.text("msisdn") ?? "", sender: fields.text("sender"),
                    transactionType: fields.text("transactiontype") ?? "", billRef: fields.text("billreference") ?? "",
                    amount: amount))
        }
        self.transactions = transactions
        self.unreadable = unreadable
    }
}

/// What one Pull Transactions page request led to.
public enum PullPageOutcome: Sendable, Equatable {
    /// 1000: a page (possibly empty).
    case page(PullQueryAnswer)
    /// 1001: "No records found or Organization Name not available" — no records, or not set up: vouches for nothing.
    case noData(message: String)
    /// Any other answer.
    case refused(code: String, message: String)
    /// No usable answer.
    case failed(String)
}

/// An object's members looked up ignoring spaces and case in their keys (`Response Status`, `ResponseStatus`).
struct NormalisedFields {
    let members: [String: JSON]

    init(_ object: JSON) {
        var members: [String: JSON] = [:]
        for member in object.members ?? [] where members[Fields.normalisedKey(member.key)] == nil {
            members[Fields.normalisedKey(member.key)] = member.value
        }
        self.members = members
    }

    func value(_ key: String) -> JSON? { members[Fields.normalisedKey(key)] }

    func text(_ key: String) -> String? { Fields.text(value(key)) }
}
