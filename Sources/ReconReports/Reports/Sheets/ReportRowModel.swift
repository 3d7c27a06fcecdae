import Foundation
import ReconCore
import ReconPostgres

/// What every row query shares: the period's bounds and how values are shown.
struct ReportScope: Sendable {
    let period: ReportPeriod
    let maskPhoneNumbers: Bool
    /// The instant open exceptions' ages are measured to: the asked instant or now, capped at the period's end.
    let asOf: Date
    /// How the CSVs are written.
    var csvOptions = CSVOptions()

    /// A phone number as the report shows it.
    func phone(_ digits: String?) -> ReportValue {
        guard let digits else { return .empty }
        return .text(maskPhoneNumbers ? MSISDN.maskStored(digits) : digits)
    }

    /// An identifier that embeds the payer's number (a CheckoutRequestID), masked like phone numbers are.
    func identifier(_ text: String?) -> ReportValue {
        guard let text else { return .empty }
        return .text(maskPhoneNumbers ? MSISDN.maskIdentifier(text) : text)
    }

    /// How a sheet prints: its name and the period on every page, the phone-number policy in the footer.
    func pageSetup(_ sheet: ReportSheet) -> XLSXPageSetup {
        XLSXPageSetup(
            header: "M-Pesa report: \(sheet.title), \(period.first) to \(period.last) (EAT)",
            footer: "mpesa-recon, period \(period)" + (maskPhoneNumbers ? ", phone numbers masked" : ", UNMASKED"))
    }

    /// Free text written by other jobs or by Daraja, which may quote a phone number.
    func freeText(_ text: String?) -> ReportValue {
        guard let text else { return .empty }
        return .text(maskPhoneNumbers ? MSISDN.maskNumbers(in: text) : text)
    }
}

/// One row of a streamed sheet: its columns, the query that yields it, and how a result row becomes it.
protocol ReportRowModel: Sendable {
    static var sheet: ReportSheet { get }
    /// The columns in order; `values(_:)` returns one value per column.
    static var columns: [ReportColumn] { get }
    /// The rows of the period in a stable order (every ORDER BY ends with a unique key).
    static func query(_ scope: ReportScope) -> SQLQuery
    init(_ reader: inout RowReader) throws(PostgresError)
    func values(_ scope: ReportScope) -> [ReportValue]
}

/// Reads a result row's columns in SELECT order, so decoding costs no lookup by name per value.
///
/// On the first row of a result it checks each column's name against the one the model expects, so a
/// SELECT list edited out of step with its model fails loudly instead of shifting columns.
struct RowReader {
    private let row: StreamedRow
    private let checkNames: Bool
    private var index = 0

    init(_ row: StreamedRow, checkNames: Bool) {
        self.row = row
        self.checkNames = checkNames
    }

    /// The next column's position, its name checked on the first row.
    private mutating func position(_ name: String) throws(PostgresError) -> Int {
        let position = index
        index += 1
        if checkNames {
            guard row.columns.names.indices.contains(position), row.columns.names[position] == name else {
                throw PostgresError(
                    code: .misuse, message: "report query column \(position) is not \(name) as its row model expects")
            }
        }
        return position
    }

    /// The next column, which may not be NULL.
    mutating func next<T: PostgresDecodable>(_ name: String, _ type: T.Type) throws(PostgresError) -> T {
        guard let value = try optional(name, T.self) else {
            throw PostgresError(code: .decoding, message: "column \(name) is NULL, expected \(T.self)")
        }
        return value
    }

    /// The next column, NULL allowed.
    mutating func optional<T: PostgresDecodable>(_ name: String, _ type: T.Type) throws(PostgresError) -> T? {
        try row.decode(T?.self, at: position(name), column: name)
    }
}
