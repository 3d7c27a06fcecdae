public import Foundation

/// What a statement line is, for the balance proof: every line is exactly one of these.
public enum StatementLineClass: String, Sendable, Codable, CaseIterable {
    /// A customer paid the organisation (STK `Pay Bill Online`, `Pay Utility`, Fuliza variants, C2B).
    case payment
    /// The organisation paid a customer through B2C (`Business Payment to Customer via API`): a refund here.
    case refund
    /// A charge M-Pesa took (`… Charge`).
    case charge
    /// Money moved between the organisation's own accounts (`… to Organization Settlement Account`).
    case sweep
    /// Anything else (reversals, manual adjustments); counted in the balance, matched by nobody.
    case other
}

/// The block above the table of an Org Portal statement; every field is optional because shorter exports omit it.
public struct StatementHeader: Sendable, Equatable, Codable {
    /// `Account Holder`.
    public var accountHolder: String?
    /// `Short Code` (digits).
    public var shortCode: String?
    /// `Account`, e.g. `Utility Account`.
    public var account: String?
    /// Start of `Time Period` (EAT on the statement, an instant here).
    public var periodStart: Date?
    /// End of `Time Period`.
    public var periodEnd: Date?
    /// `Opening Balance`.
    public var openingBalance: Money?
    /// `Closing Balance`.
    public var closingBalance: Money?
    /// `Available Balance`.
    public var availableBalance: Money?
    /// `Total Paid In`.
    public var totalPaidIn: Money?
    /// `Total Withdrawn`.
    public var totalWithdrawn: Money?

    /// An empty header.
    public init() {}
}

/// The other party of a line as the statement shows it: `254712345678 - JANE DOE` or `25471****678 - JANE DOE`.
public struct StatementParty: Sendable, Hashable, Codable {
    /// The identifier as shown: digits, with `*` where the portal masked them; `nil` when there is none.
    public var identifier: String?
    /// The name after ` - `.
    public var name: String?

    /// A party.
    public init(identifier: String?, name: String?) {
        self.identifier = identifier
        self.name = name
    }

    /// Reads `ID - NAME`, `ID`, or `NAME`; the identifier is the part made of digits and `*` only.
    public init(parsing text: some StringProtocol) {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        var idPart = trimmed
        var namePart: String?
        if let range = trimmed.range(of: " - ") {
            idPart = String(trimmed[..<range.lowerBound]).trimmingCharacters(in: .whitespaces)
            namePart = String(trimmed[range.upperBound...]).trimmingCharacters(in: .whitespaces)
        }
        if !idPart.isEmpty, idPart.allSatisfy({ $0.isASCII && ($0.isNumber || $0 == "*") }) {
            identifier = idPart
            name = namePart.flatMap { $0.isEmpty ? nil : $0 }
        } else {
            identifier = nil
            name = trimmed.isEmpty ? nil : trimmed
        }
    }

    /// Whether the identifier may be this phone (`2547…` digits): same length, equal wherever it is not masked.
    public func isCompatible(withPhone digits: String) -> Bool {
        guard let identifier else { return false }
        let shown = Array(identifier.utf8)
        let phone = Array(digits.utf8)
        guard shown.count == phone.count else { return false }
        for (s, p) in zip(shown, phone) where s != UInt8(ascii: "*") && s != p { return false }
        return true
    }

    /// The identifier with at most the first five and last three digits shown, for storage and reports.
    public var maskedIdentifier: String? {
        guard let identifier else { return nil }
        let chars = Array(identifier)
        guard chars.count > 8 else { return identifier }
        return String(chars.prefix(5)) + String(repeating: "*", count: chars.count - 8) + String(chars.suffix(3))
    }
}

/// One transaction line of a statement.
public struct StatementLine: Sendable, Equatable, Codable {
    /// The row (1-based, as a spreadsheet counts) the line was read from.
    public var row: Int
    /// `Receipt No.`: M-Pesa's transaction id.
    public var receipt: String
    /// `Completion Time`.
    public var completedAt: Date
    /// `Initiation Time`, when the layout has it.
    public var initiatedAt: Date?
    /// `Details`.
    public var details: String
    /// `Transaction Status`, e.g. `Completed`.
    public var status: String?
    /// `Paid In` (zero when empty).
    public var paidIn: Money
    /// `Withdrawn`, as a positive amount (zero when empty).
    public var withdrawn: Money
    /// `Balance` after the line.
    public var balance: Money?
    /// `Reason Type`, or the raw export's `TRANSACTION_TYPE`.
    public var reasonType: String?
    /// `Other Party Info`.
    public var party: StatementParty
    /// `Linked Transaction ID`.
    public var linkedTransactionID: String?
    /// `A/C No.`: the account reference the customer typed.
    public var accountNumber: String?
    /// What the line is.
    public var lineClass: StatementLineClass

    /// A line.
    public init(
        row: Int, receipt: String, completedAt: Date, initiatedAt: Date? = nil, details: String, status: String? = nil,
        paidIn: Money, withdrawn: Money, balance: Money? = nil, reasonType: String? = nil, party: StatementParty,
        linkedTransactionID: String? = nil, accountNumber: String? = nil, lineClass: StatementLineClass
    ) {
        self.row = row
        self.receipt = receipt
        self.completedAt = completedAt
        self.initiatedAt = initiatedAt
        self.details = details
        self.status = status
        self.paidIn = paidIn
        self.withdrawn = withdrawn
        self.balance = balance
        self.reasonType = reasonType
        self.party = party
        self.linkedTransactionID = linkedTransactionID
        self.accountNumber = accountNumber
        self.lineClass = lineClass
    }
}

/// Why a statement could not be read; names the row and column, never a phone number or a bound value.
public struct StatementError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What went wrong.
    public enum Code: String, Sendable {
        /// The file is not CSV or XLSX as expected (a broken zip, XML, or an unreadable file).
        case unreadable
        /// No header row starting with `Receipt No.` (or the raw export's `RECEIPT_NUMBER`).
        case noTable
        /// A column the lines need is missing from the header row.
        case missingColumn
        /// A cell is not what its column holds.
        case badCell
        /// Two lines of one file carry the same receipt with different contents.
        case conflictingReceipt
        /// The file exceeds one of the importer's size limits (a zip or XML bomb, or a file far past a busy month);
        /// the message names the limit.
        case limitExceeded
    }

    /// The kind.
    public var code: Code
    /// Safe text: the row, the column and at most the offending cell of a non-party column.
    public var message: String
    /// The row, when one is at fault.
    public var row: Int?
    /// The column's header, when one is at fault.
    public var column: String?

    /// An error.
    public init(code: Code, message: String, row: Int? = nil, column: String? = nil) {
        self.code = code
        self.message = message
        self.row = row
        self.column = column
    }

    public var description: String { message }
}
