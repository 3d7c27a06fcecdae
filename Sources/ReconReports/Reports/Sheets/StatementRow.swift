import Foundation
import ReconCore
import ReconPostgres

/// A line of the M-Pesa statement completed in the period: one row of the Statement sheet, with its class, what it
/// was matched to and the open finding it carries, so every line of the balance proof can be looked up.
struct StatementRow: ReportRowModel, Hashable {
    var receipt: String
    var completedAt: Date
    var lineClass: String
    var details: String
    var reasonType: String?
    var party: StatementParty
    var accountNumber: String?
    var paidIn: Money
    var withdrawn: Money
    var balance: Money?
    var paymentID: Int64?
    var refundID: Int64?
    var finding: String?
    var importID: Int64
    var rowNumber: Int64

    static let sheet = ReportSheet.statement

    static let columns = [
        ReportColumn("receipt", "Receipt", .text, width: 14),
        ReportColumn("completed_at_eat", "Completed at (EAT)", .dateTime, width: 20),
        ReportColumn("class", "Class", .text, width: 9),
        ReportColumn("matched_to", "Matched to", .text, width: 18),
        ReportColumn("finding", "Open finding", .text, width: 24),
        ReportColumn("paid_in_kes", "Paid in (KES)", .money, width: 14, totalled: true),
        ReportColumn("withdrawn_kes", "Withdrawn (KES)", .money, width: 14, totalled: true),
        ReportColumn("balance_kes", "Balance (KES)", .money, width: 14),
        ReportColumn("payment_id", "Payment", .integer, width: 10),
        ReportColumn("refund_id", "Refund", .integer, width: 9),
        ReportColumn("reason_type", "Reason type", .text, width: 30, wide: true),
        ReportColumn("details", "Details", .text, width: 36, wide: true),
        ReportColumn("other_party", "Other party", .text, width: 15),
        ReportColumn("other_party_name", "Other party name", .text, width: 22),
        ReportColumn("account_number", "A/C No.", .text, width: 12),
        ReportColumn("import_id", "Import", .integer, width: 8),
        ReportColumn("row_number", "Row in file", .integer, width: 9),
    ]

    static func query(_ scope: ReportScope) -> SQLQuery {
        ReportQueries.statementRows(scope.period.start, scope.period.end)
    }

    init(_ reader: inout RowReader) throws(PostgresError) {
        receipt = try reader.next("receipt", String.self)
        completedAt = try reader.next("completed_at", Date.self)
        lineClass = try reader.next("line_class", String.self)
        details = try reader.next("details", String.self)
        reasonType = try reader.optional("reason_type", String.self)
        party = StatementParty(
            identifier: try reader.optional("party_identifier", String.self),
            name: try reader.optional("party_name", String.self))
        accountNumber = try reader.optional("account_number", String.self)
        paidIn = try reader.next("paid_in", Money.self)
        withdrawn = try reader.next("withdrawn", Money.self)
        balance = try reader.optional("balance", Money.self)
        paymentID = try reader.optional("payment_id", Int64.self)
        refundID = try reader.optional("refund_id", Int64.self)
        finding = try reader.optional("finding", String.self)
        importID = try reader.next("import_id", Int64.self)
        rowNumber = try reader.next("row_number", Int64.self)
    }

    /// What the line is tied to, in words: a payment, a refund, a refund's fee, or only its class.
    var matchedTo: String {
        if let paymentID { return "payment \(paymentID)" }
        if let refundID { return lineClass == "charge" ? "fee of refund \(refundID)" : "refund \(refundID)" }
        switch lineClass {
        case "payment", "refund": return "nothing"
        default: return "classified (\(lineClass))"
        }
    }

    func values(_ scope: ReportScope) -> [ReportValue] {
        // The portal usually masks the party already (25471****678); a whole number is masked like ours.
        let identifier: ReportValue =
            party.identifier.map { $0.contains("*") ? .text($0) : scope.phone($0) } ?? .empty
        return [
            .text(receipt), .dateTime(completedAt), .text(lineClass), .text(matchedTo),
            .text(finding?.replacingOccurrences(of: "_", with: " ")), .money(paidIn), .money(withdrawn),
            .money(balance), .integer(paymentID), .integer(refundID), .text(reasonType), scope.freeText(details),
            identifier, .text(party.name), .text(accountNumber), .integer(importID), .integer(rowNumber),
        ]
    }
}
