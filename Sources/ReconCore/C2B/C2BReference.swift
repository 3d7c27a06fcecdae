public import Foundation

/// The account a payer typed (`BillRefNumber`) and the codes the LMS shows learners (C2B-PULL.md §3).
///
/// Payers type what they like: case is kept, punctuation and spaces occur (`Acc. 28 073760`), tills send it empty.
/// Matching trims, ignores case and inner spaces, and compares with codes made only of `A-Z0-9`; the raw text is kept.
public enum C2BReference {
    /// Letters and digits a code is made of: no `0/O`, `1/I/L`, `5/S` or `2/Z` a payer could confuse.
    public static let alphabet = Array("346789ABCDEFGHJKMNPQRTUVWXY")

    /// The form a typed account number is compared in: trimmed, inner spaces and dashes removed, upper case.
    /// `nil` when nothing is left (a till payment's empty BillRefNumber).
    public static func normalised(_ text: String) -> String? {
        let kept = text.uppercased().filter { !$0.isWhitespace && $0 != "-" }
        return kept.isEmpty ? nil : kept
    }

    /// A new code of `length` characters from ``alphabet`` with a prefix (`E` for an enrollment, `L` for a learner).
    public static func generate(
        prefix: Character, length: Int = 7, using generator: inout some RandomNumberGenerator
    )
        -> String
    {
        var code = String(prefix)
        for _ in 0..<max(3, length - 1) {
            code.append(alphabet[Int.random(in: 0..<alphabet.count, using: &generator)])
        }
        return code
    }

    /// Text safe to show in a finding: runs of 9 or more digits (a phone number typed as the account) are masked.
    public static func display(_ text: String) -> String {
        var out = ""
        var digits = ""
        func flush() {
            out += digits.count >= 9 ? MSISDN.mask(digits) : digits
            digits = ""
        }
        for character in text.prefix(40) {
            if character.isASCIIDigit {
                digits.append(character)
            } else {
                flush()
                out.append(character)
            }
        }
        flush()
        return out
    }
}

/// Where a C2B transaction came from.
public enum C2BRoute: String, Sendable, Codable, Hashable {
    /// A confirmation callback.
    case confirmation = "c2b"
    /// Pull Transactions, when no callback delivered it.
    case pull
}

/// One C2B transaction as a confirmation or Pull reported it, every field as received.
public struct C2BTransaction: Sendable, Equatable {
    /// `TransID` / `transactionId`: the M-Pesa receipt.
    public var receipt: String
    /// `BusinessShortCode` (or the shortcode Pull was asked about).
    public var shortcode: String
    /// `TransactionType` (`Pay Bill`, `Customer Merchant Payment`, `""`, …): kept, never switched on.
    public var transactionType: String
    /// `TransAmount`, exact.
    public var amount: Money
    /// `BillRefNumber` as typed.
    public var billRef: String
    /// `InvoiceNumber`.
    public var invoiceNumber: String?
    /// `MSISDN` as received.
    public var msisdn: String
    /// First, middle and last name as sent (often the first only).
    public var payerName: String?
    /// `FirstName` alone, upper case as registered.
    public var firstName: String?
    /// `TransTime` (Nairobi time) or Pull's `trxDate`.
    public var transactedAt: Date?
    /// `OrgAccountBalance`: absent is "not told", never 0.
    public var orgAccountBalance: Money?
    /// `ThirdPartyTransID`.
    public var thirdPartyTransID: String?

    /// A transaction.
    public init(
        receipt: String, shortcode: String, transactionType: String, amount: Money, billRef: String,
        invoiceNumber: String? = nil, msisdn: String, payerName: String? = nil, firstName: String? = nil,
        transactedAt: Date? = nil, orgAccountBalance: Money? = nil, thirdPartyTransID: String? = nil
    ) {
        self.receipt = receipt
        self.shortcode = shortcode
        self.transactionType = transactionType
        self.amount = amount
        self.billRef = billRef
        self.invoiceNumber = invoiceNumber
        self.msisdn = msisdn
        self.payerName = payerName
        self.firstName = firstName
        self.transactedAt = transactedAt
        self.orgAccountBalance = orgAccountBalance
        self.thirdPartyTransID = thirdPartyTransID
    }

    /// The payer's number's evidence.
    public var payer: PayerMSISDN { PayerMSISDN(msisdn) }
}
