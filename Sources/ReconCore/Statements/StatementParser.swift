import Foundation

/// Turns the rows of an Org Portal statement (any layout: the portal's CSV or XLSX with or without its header block,
/// the shorter CSV variants, the raw `RECEIPT_NUMBER…` export) into a ``StatementHeader`` and ``StatementLine``s.
///
/// Header-driven, never by position: rows before the table are read as `Label: value` pairs; the table starts at the
/// first row whose first non-empty cell is `Receipt No.` (or `RECEIPT_NUMBER`), and its columns are found by name.
/// Fed one row at a time, so a month of a busy paybill never sits in memory.
public struct StatementParser: Sendable {
    /// What the header block said (empty fields when the layout has none).
    public private(set) var header = StatementHeader()
    /// Where the table's columns are, once its header row was seen.
    private var columns: ColumnMap?

    /// A parser at the start of a file.
    public init() {}

    /// Whether the table's header row has been seen.
    public var hasTable: Bool { columns != nil }

    /// Consumes one row: header-block rows update ``header``; table rows return their line; blank rows and
    /// footers without a receipt or an amount return `nil`.
    public mutating func consume(_ row: StatementRow) throws(StatementError) -> StatementLine? {
        if row.isBlank { return nil }
        guard let columns else {
            if let map = try ColumnMap(headerRow: row) {
                self.columns = map
            } else {
                readHeaderBlock(row)
            }
            return nil
        }
        return try columns.line(from: row)
    }

    /// Ends the file: a file without a table is an error, not an empty statement.
    public func finish() throws(StatementError) {
        guard columns != nil else {
            throw StatementError(
                code: .noTable,
                message: "no table header found: no row starts with \"Receipt No.\" (or \"RECEIPT_NUMBER\")")
        }
    }

    // MARK: - The header block

    static func normalized(_ text: String) -> String {
        String(
            text.lowercased().unicodeScalars.filter {
                $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0))
            })
    }

    private mutating func readHeaderBlock(_ row: StatementRow) {
        var index = 0
        while index < row.cells.count {
            let cell = row.cells[index]
            index += 1
            let text = cell.text
            guard !text.isEmpty else { continue }
            var label = text
            var inlineValue = ""
            if let colon = text.firstIndex(of: ":") {
                label = String(text[..<colon])
                inlineValue = String(text[text.index(after: colon)...]).trimmingCharacters(in: .whitespaces)
            }
            let key = Self.normalized(label)
            guard Self.headerLabels.contains(key) else { continue }
            var value: StatementCell = inlineValue.isEmpty ? .empty : .text(inlineValue)
            if inlineValue.isEmpty {
                // The value is the next non-empty cell that is not itself a label.
                var next = index
                while next < row.cells.count, row.cells[next].isBlank { next += 1 }
                if next < row.cells.count {
                    let candidate = row.cells[next]
                    let candidateKey = Self.normalized(
                        candidate.text.split(separator: ":").first.map(String.init) ?? "")
                    if !(candidate.text.hasSuffix(":") && Self.headerLabels.contains(candidateKey)) {
                        value = candidate
                        index = next + 1
                    }
                }
            }
            assign(key, value)
        }
    }

    static let headerLabels: Set<String> = [
        "accountholder", "shortcode", "account", "timeperiod", "openingbalance", "closingbalance",
        "availablebalance", "totalpaidin", "totalwithdrawn", "operator", "dateofreport", "organizationname",
    ]

    private mutating func assign(_ key: String, _ value: StatementCell) {
        let text = value.text
        switch key {
        case "accountholder", "organizationname": header.accountHolder = text.isEmpty ? nil : text
        case "shortcode": header.shortCode = text.isEmpty ? nil : text
        case "account": header.account = text.isEmpty ? nil : text
        case "timeperiod":
            if let (start, end) = StatementValues.period(text) {
                header.periodStart = start
                header.periodEnd = end
            }
        case "openingbalance": header.openingBalance = value.isBlank ? nil : StatementValues.amount(value)
        case "closingbalance": header.closingBalance = value.isBlank ? nil : StatementValues.amount(value)
        case "availablebalance": header.availableBalance = value.isBlank ? nil : StatementValues.amount(value)
        case "totalpaidin": header.totalPaidIn = value.isBlank ? nil : StatementValues.amount(value)
        case "totalwithdrawn": header.totalWithdrawn = value.isBlank ? nil : StatementValues.amount(value)
        default: break
        }
    }
}

/// Which column holds what, found by the header row's names.
struct ColumnMap: Sendable {
    enum Field: CaseIterable {
        case receipt, completion, initiation, details, status, paidIn, withdrawn, balance, reasonType, party, linked
        case account
    }

    /// The names each field goes by, normalized (lowercase letters and digits only).
    static let names: [Field: [String]] = [
        .receipt: ["receiptno", "receiptnumber", "receipt"],
        .completion: ["completiontime", "starttimestamp", "completiondate", "transactiontime"],
        .initiation: ["initiationtime"],
        .details: ["details"],
        .status: ["transactionstatus", "status"],
        .paidIn: ["paidin", "creditamount"],
        .withdrawn: ["withdrawn", "debitamount", "withdrawals"],
        .balance: ["balance"],
        .reasonType: ["reasontype", "transactiontype"],
        .party: ["otherpartyinfo", "transactionpartydetails", "otherparty"],
        .linked: ["linkedtransactionid"],
        .account: ["acno", "accountno", "accountnumber", "billrefnumber"],
    ]

    var index: [Field: Int] = [:]
    var title: [Field: String] = [:]

    /// The map of a table header row, or `nil` when the row is not one.
    init?(headerRow row: StatementRow) throws(StatementError) {
        guard let first = row.cells.first(where: { !$0.isBlank }),
            let receiptNames = Self.names[.receipt],
            receiptNames.contains(StatementParser.normalized(first.text))
        else { return nil }
        for (position, cell) in row.cells.enumerated() {
            let key = StatementParser.normalized(cell.text)
            for (field, names) in Self.names where names.contains(key) && index[field] == nil {
                index[field] = position
                title[field] = cell.text
            }
        }
        guard index[.completion] != nil else {
            throw StatementError(
                code: .missingColumn, message: "row \(row.number): the table has no \"Completion Time\" column",
                row: row.number, column: "Completion Time")
        }
        guard index[.paidIn] != nil || index[.withdrawn] != nil else {
            throw StatementError(
                code: .missingColumn,
                message: "row \(row.number): the table has no \"Paid In\" or \"Withdrawn\" column",
                row: row.number, column: "Paid In")
        }
    }

    private func cell(_ row: StatementRow, _ field: Field) -> StatementCell {
        guard let position = index[field] else { return .empty }
        return row[position]
    }

    private func text(_ row: StatementRow, _ field: Field) -> String? {
        let text = cell(row, field).text
        return text.isEmpty ? nil : text
    }

    private func fail(_ row: StatementRow, _ field: Field, _ what: String, echo: Bool = true) -> StatementError {
        let column = title[field] ?? "\(field)"
        // A cell is quoted only when it is short and holds no run of 7 digits or more: a misaligned row can put a
        // phone number in any column, and error text must never carry one.
        let text = cell(row, field).text
        let safe = echo && text.count <= 40 && !Self.holdsLongDigitRun(text)
        let shown = safe ? "\"\(text)\" " : "the cell "
        return StatementError(
            code: .badCell, message: "row \(row.number), column \"\(column)\": \(shown)\(what)", row: row.number,
            column: column)
    }

    static func holdsLongDigitRun(_ text: String) -> Bool {
        var run = 0
        for scalar in text.unicodeScalars {
            run = ("0"..."9").contains(scalar) ? run + 1 : 0
            if run >= 7 { return true }
        }
        return false
    }

    private func money(_ row: StatementRow, _ field: Field) throws(StatementError) -> Money {
        guard let amount = StatementValues.amount(cell(row, field)) else {
            throw fail(row, field, "is not an amount")
        }
        return amount
    }

    func line(from row: StatementRow) throws(StatementError) -> StatementLine? {
        let paidIn = try money(row, .paidIn)
        let withdrawnSigned = try money(row, .withdrawn)
        guard let receipt = text(row, .receipt) else {
            // A footer ("Total", a disclaimer) has no receipt and moves no money.
            if paidIn == .zero && withdrawnSigned == .zero { return nil }
            throw fail(row, .receipt, "is empty on a line that moves money")
        }
        guard receipt.count >= 6, receipt.count <= 24,
            receipt.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber) })
        else {
            // A footer ("Total", a disclaimer) moves no money; a line that does needs a real receipt.
            if paidIn == .zero && withdrawnSigned == .zero { return nil }
            throw fail(row, .receipt, "is not a receipt number")
        }
        guard let completedAt = StatementValues.date(cell(row, .completion)) else {
            throw fail(row, .completion, "is not a date (DD-MM-YYYY HH:MM:SS or a spreadsheet date)")
        }
        var initiatedAt: Date?
        if !cell(row, .initiation).isBlank {
            guard let date = StatementValues.date(cell(row, .initiation)) else {
                throw fail(row, .initiation, "is not a date (DD-MM-YYYY HH:MM:SS or a spreadsheet date)")
            }
            initiatedAt = date
        }
        var balance: Money?
        if !cell(row, .balance).isBlank { balance = try money(row, .balance) }
        guard paidIn.minorUnits >= 0 else { throw fail(row, .paidIn, "is negative") }
        // Some exports sign withdrawals; the column already says the direction.
        guard withdrawnSigned.minorUnits != Int64.min else { throw fail(row, .withdrawn, "is not an amount") }
        let withdrawn = Money(minorUnits: abs(withdrawnSigned.minorUnits))
        let details = text(row, .details) ?? ""
        let reasonType = text(row, .reasonType)
        var party = text(row, .party).map { StatementParty(parsing: $0) }
        var account = text(row, .account)
        if party == nil || account == nil {
            let fromDetails = DetailsText(details)
            if party == nil { party = fromDetails.party }
            if account == nil { account = fromDetails.account }
        }
        return StatementLine(
            row: row.number, receipt: receipt, completedAt: completedAt, initiatedAt: initiatedAt, details: details,
            status: text(row, .status), paidIn: paidIn, withdrawn: withdrawn, balance: balance,
            reasonType: reasonType, party: party ?? StatementParty(identifier: nil, name: nil),
            linkedTransactionID: text(row, .linked), accountNumber: account,
            lineClass: StatementClassifier.classify(
                reasonType: reasonType, details: details, paidIn: paidIn, withdrawn: withdrawn))
    }
}

/// What the `Details` text of the short layouts says: `Pay Bill Online from 254712345678 - JANE DOE Acc. C-12`.
struct DetailsText {
    var party: StatementParty?
    var account: String?

    init(_ details: String) {
        var rest = Substring(details)
        if let acc = rest.range(of: " Acc. ") ?? rest.range(of: " Acc.") {
            let value = rest[acc.upperBound...].trimmingCharacters(in: .whitespaces)
            account = value.isEmpty ? nil : value
            rest = rest[..<acc.lowerBound]
        }
        for marker in [" from ", " to "] {
            if let range = rest.range(of: marker) {
                party = StatementParty(parsing: rest[range.upperBound...])
                break
            }
        }
    }
}

/// Classifies a line by its reason type (or, in the short layouts, its details text) and its direction.
public enum StatementClassifier {
    /// The class of a line; every line gets exactly one.
    public static func classify(
        reasonType: String?, details: String, paidIn: Money, withdrawn: Money
    ) -> StatementLineClass {
        let text = (reasonType ?? details).lowercased()
        if text.contains("charge") { return .charge }
        if text.contains("settlement account") || text.contains("to organization settlement")
            || text.contains("funds transfer") && text.contains("organization")
        {
            return .sweep
        }
        if text.contains("reversal") { return .other }
        if text.contains("business payment to customer") || text.contains("salary payment")
            || text.contains("promotion payment") || text.contains("b2c")
        {
            return withdrawn > .zero ? .refund : .other
        }
        if text.contains("pay bill") || text.contains("pay utility") || text.contains("paybill")
            || text.contains("customer payment") || text.contains("buy goods") || text.contains("c2b")
            // Till lines: `Customer Merchant Payment`, `Online Merchant Payment` (C2B-PULL.md §8).
            || text.contains("merchant payment")
        {
            return paidIn > .zero && withdrawn == .zero ? .payment : .other
        }
        return .other
    }
}
