public import Foundation
import Hummingbird
import NIOCore
import ReconCore

/// Deliberate errors in the statements the simulator exports, so tests can prove each anomaly is found once.
///
/// The balances are computed after the anomalies, so the exported statement still ties out on its own
/// (opening + paid in − withdrawn = closing): only the comparison with our ledger shows them.
public struct StatementAnomalies: Sendable, Codable, Equatable {
    /// Receipts of paid STK transactions left off the statement (a payment missing from the statement).
    public var omittedReceipts: [String] = []
    /// Receipt → the amount (whole shillings) the statement shows instead of the one paid.
    public var amendedAmounts: [String: Int] = [:]
    /// Credits from a payer our system never asked (statement-only money), each with a fresh receipt.
    public var extraCredits = 0

    /// No anomalies.
    public init() {}
}

/// The file layouts `GET /sim/statement` writes.
public enum SimStatementFormat: String, Sendable, Codable, CaseIterable {
    /// The Org Portal CSV: header block rows, then the `Receipt No.` table.
    case csv
    /// A minimal workbook with the same rows in its first sheet (dates as spreadsheet serial numbers).
    case xlsx
}

/// One line of an exported statement; amounts in cents.
struct SimStatementLine: Sendable, Equatable {
    var receipt: String
    var completedAt: Date
    var initiatedAt: Date
    var details: String
    var paidIn: Int64
    var withdrawn: Int64
    var balance: Int64 = 0
    var reasonType: String
    var party: String
    var linked: String
    var account: String
}

/// A statement of the simulator's ledger for a period: its header values and its lines.
struct SimStatement: Sendable, Equatable {
    var shortCode: String
    var from: Date
    var to: Date
    var reportedAt: Date
    var opening: Int64
    var closing: Int64
    var paidIn: Int64
    var withdrawn: Int64
    var lines: [SimStatementLine]

    /// The float the utility account starts with before the first transaction, and keeps after each sweep.
    static let float: Int64 = 25_000_000
    /// What M-Pesa charges the organisation per B2C payout in the simulator's world (the Transaction Status
    /// answer's `DebitPartyCharges` says the same: KES 22.40).
    static let b2cCharge: Int64 = 2_240

    /// Builds the statement of `[from, to]` from what really happened: paid STK transactions, paid B2C payouts and
    /// their charges, and a sweep of everything above the float to the settlement account at 23:59:59 EAT each day.
    /// Lines before `from` count in the opening balance.
    static func build(
        ledger: Ledger, anomalies: StatementAnomalies, shortCode: String, from: Date, to: Date, now: Date
    ) -> SimStatement {
        let omitted = Set(anomalies.omittedReceipts)
        var events: [SimStatementLine] = []
        var lastCredit: Date?
        for transaction in ledger.stk where transaction.outcome == .paid {
            guard let receipt = transaction.receipt, !omitted.contains(receipt) else { continue }
            let shillings = anomalies.amendedAmounts[receipt] ?? transaction.reportedAmount
            let party = "\(maskedPhone(transaction.phone)) - M-PESA CUSTOMER"
            events.append(
                SimStatementLine(
                    receipt: receipt, completedAt: transaction.resolvesAt, initiatedAt: transaction.createdAt,
                    details: "Pay Bill Online from \(party) Acc. \(transaction.accountReference)",
                    paidIn: Int64(shillings) * 100, withdrawn: 0, reasonType: "Pay Bill Online", party: party,
                    linked: "", account: transaction.accountReference))
            lastCredit = max(lastCredit ?? transaction.resolvesAt, transaction.resolvesAt)
        }
        // SIM-menu payments (C2B): paybill lines name the account typed; till lines have none.
        for payment in ledger.c2b where payment.outcome == "paid" && !omitted.contains(payment.receipt) {
            let shillings = anomalies.amendedAmounts[payment.receipt] ?? payment.amount
            let party = "\(maskedPhone(payment.phone)) - \(payment.firstName)"
            let till = payment.kind == .till
            events.append(
                SimStatementLine(
                    receipt: payment.receipt, completedAt: payment.completedAt, initiatedAt: payment.completedAt,
                    details: till ? "Merchant Payment from \(party)" : "Pay Bill from \(party) Acc. \(payment.billRef)",
                    paidIn: Int64(shillings) * 100, withdrawn: 0,
                    reasonType: till ? "Customer Merchant Payment" : "Pay Bill", party: party, linked: "",
                    account: payment.billRef))
            lastCredit = max(lastCredit ?? payment.completedAt, payment.completedAt)
        }
        for payout in ledger.payouts where payout.paid {
            guard let receipt = payout.transactionID, let at = payout.createdAt else { continue }
            let party = "\(maskedPhone(payout.partyB)) - NG'ANG'A LEARNER"
            events.append(
                SimStatementLine(
                    receipt: receipt, completedAt: at, initiatedAt: at, details: "Business Payment to \(party)",
                    paidIn: 0, withdrawn: Int64(payout.amount) * 100,
                    reasonType: "Business Payment to Customer via API", party: party, linked: "", account: ""))
            events.append(
                SimStatementLine(
                    receipt: receipt, completedAt: at, initiatedAt: at, details: "Business Payment Charge",
                    paidIn: 0, withdrawn: b2cCharge, reasonType: "Business Payment to Customer via API Charge",
                    party: "", linked: receipt, account: ""))
        }
        if anomalies.extraCredits > 0 {
            let at = min(to, max(from, (lastCredit ?? from).addingTimeInterval(1)))
            for index in 0..<anomalies.extraCredits {
                let number = String(index + 1)
                let receipt = "UX" + String(repeating: "0", count: max(0, 8 - number.count)) + number
                let party = "\(maskedPhone("254799000111")) - WALK-IN PAYER"
                events.append(
                    SimStatementLine(
                        receipt: receipt, completedAt: at, initiatedAt: at,
                        details: "Pay Bill Online from \(party) Acc. WALKIN", paidIn: 432_100, withdrawn: 0,
                        reasonType: "Pay Bill Online", party: party, linked: "", account: "WALKIN"))
            }
        }
        // Stable: by time, a payout before its charge.
        events = events.enumerated()
            .sorted { ($0.element.completedAt, $0.offset) < ($1.element.completedAt, $1.offset) }
            .map(\.element)

        var balance = float
        var opening: Int64?
        var lines: [SimStatementLine] = []
        var nextSweep = events.first.map { dayEnd($0.completedAt) } ?? dayEnd(from)
        func post(_ line: SimStatementLine) {
            var line = line
            if line.completedAt >= from && opening == nil { opening = balance }
            balance += line.paidIn - line.withdrawn
            line.balance = balance
            if line.completedAt >= from && line.completedAt <= to { lines.append(line) }
        }
        func sweep(at instant: Date) {
            let amount = balance - float
            guard amount > 0 else { return }
            let parts = SimulatorState.eatParts(instant)
            post(
                SimStatementLine(
                    receipt: "SW\(parts.yyyymmdd)", completedAt: instant, initiatedAt: instant,
                    details: "Transfer of funds to Organization Settlement Account", paidIn: 0, withdrawn: amount,
                    reasonType: "Utility Account to Organization Settlement Account", party: "", linked: "",
                    account: ""))
        }
        for event in events where event.completedAt <= to {
            while nextSweep < event.completedAt {
                sweep(at: nextSweep)
                nextSweep = nextSweep.addingTimeInterval(86_400)
            }
            post(event)
        }
        while nextSweep <= to {
            sweep(at: nextSweep)
            nextSweep = nextSweep.addingTimeInterval(86_400)
        }
        let open = opening ?? balance
        return SimStatement(
            shortCode: shortCode, from: from, to: to, reportedAt: now, opening: open, closing: balance,
            paidIn: lines.reduce(0) { $0 + $1.paidIn }, withdrawn: lines.reduce(0) { $0 + $1.withdrawn }, lines: lines)
    }

    /// The portal's masking: the first five and the last three digits shown.
    static func maskedPhone(_ digits: String) -> String {
        let characters = Array(digits)
        guard characters.count > 8 else { return digits }
        return String(characters.prefix(5)) + String(repeating: "*", count: characters.count - 8)
            + String(characters.suffix(3))
    }

    /// 23:59:59 EAT of the day `date` falls on.
    static func dayEnd(_ date: Date) -> Date {
        let local = Int64(date.timeIntervalSince1970.rounded(.down)) + 10_800
        var dayStart = local - local % 86_400
        if local % 86_400 < 0 { dayStart -= 86_400 }
        return Date(timeIntervalSince1970: Double(dayStart + 86_399 - 10_800))
    }

    /// 00:00:00 EAT of the day `date` falls on.
    static func dayStart(_ date: Date) -> Date { dayEnd(date).addingTimeInterval(-86_399) }

    // MARK: Rendering

    /// `DD-MM-YYYY HH:MM:SS`, EAT.
    static func portalDate(_ date: Date) -> String {
        let parts = SimulatorState.eatParts(date)
        let d = Array(parts.ddmmyyyy)
        let t = Array(parts.hhmmss)
        return "\(String(d[0...1]))-\(String(d[2...3]))-\(String(d[4...7])) "
            + "\(String(t[0...1])):\(String(t[2...3])):\(String(t[4...5]))"
    }

    /// Cents as the portal prints them: `12,345.60`, a minus sign in front when negative.
    static func amountText(_ cents: Int64) -> String {
        let magnitude = cents.magnitude
        var whole = String(magnitude / 100)
        var grouped = ""
        while whole.count > 3 {
            grouped = "," + String(whole.suffix(3)) + grouped
            whole = String(whole.dropLast(3))
        }
        let fraction = String(magnitude % 100)
        return (cents < 0 ? "-" : "") + whole + grouped + "." + (fraction.count == 1 ? "0" : "") + fraction
    }

    /// Cents as a plain decimal number, for a spreadsheet cell.
    static func numberText(_ cents: Int64) -> String {
        let magnitude = cents.magnitude
        let fraction = String(magnitude % 100)
        return (cents < 0 ? "-" : "") + String(magnitude / 100) + "." + (fraction.count == 1 ? "0" : "") + fraction
    }

    /// The spreadsheet serial number of an instant on the EAT wall clock (days since 1899-12-30), ten decimals.
    static func serialText(_ date: Date) -> String {
        let local = Int64(date.timeIntervalSince1970.rounded(.down)) + 10_800
        var days = local / 86_400
        var seconds = local % 86_400
        if seconds < 0 {
            seconds += 86_400
            days -= 1
        }
        let fraction = String((seconds * 10_000_000_000 + 43_200) / 86_400)
        return String(days + 25_569) + "." + String(repeating: "0", count: max(0, 10 - fraction.count)) + fraction
    }

    static let tableHeader = [
        "Receipt No.", "Completion Time", "Initiation Time", "Details", "Transaction Status", "Paid In", "Withdrawn",
        "Balance", "Balance Confirmed", "Reason Type", "Other Party Info", "Linked Transaction ID", "A/C No.",
    ]

    /// A cell of the rows both layouts share.
    enum Cell {
        case text(String)
        case amount(Int64)
        case date(Date)
        case empty
    }

    /// The header block (rows 1–6, a blank row) and the table, as cells.
    var rows: [[Cell]] {
        var rows: [[Cell]] = [
            [.text("Account Holder:"), .text("Course Platform Ltd")],
            [.text("Short Code:"), .text(shortCode)],
            [.text("Account:"), .text("Utility Account")],
            [.text("Time Period: From \(Self.portalDate(from)) To \(Self.portalDate(to))")],
            [.text("Operator:"), .text("daraja-sim"), .text("Date of Report:"), .text(Self.portalDate(reportedAt))],
            [
                .text("Opening Balance:"), .amount(opening), .text("Closing Balance:"), .amount(closing),
                .text("Available Balance:"), .amount(closing), .text("Total Paid In:"), .amount(paidIn),
                .text("Total Withdrawn:"), .amount(withdrawn),
            ],
            [],
            Self.tableHeader.map(Cell.text),
        ]
        for line in lines {
            rows.append([
                .text(line.receipt), .date(line.completedAt), .date(line.initiatedAt), .text(line.details),
                .text("Completed"), line.paidIn == 0 ? .empty : .amount(line.paidIn),
                line.withdrawn == 0 ? .empty : .amount(line.withdrawn), .amount(line.balance), .text("true"),
                .text(line.reasonType), line.party.isEmpty ? .empty : .text(line.party),
                line.linked.isEmpty ? .empty : .text(line.linked), line.account.isEmpty ? .empty : .text(line.account),
            ])
        }
        return rows
    }

    /// The Org Portal CSV: amounts with thousands separators, dates `DD-MM-YYYY HH:MM:SS`.
    func csv() -> [UInt8] {
        var out = ""
        for row in rows {
            out += row.map { cell -> String in
                switch cell {
                case .text(let text): Self.csvField(text)
                case .amount(let cents): Self.csvField(Self.amountText(cents))
                case .date(let date): Self.portalDate(date)
                case .empty: ""
                }
            }.joined(separator: ",")
            out += "\r\n"
        }
        return Array(out.utf8)
    }

    static func csvField(_ text: String) -> String {
        guard text.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return text }
        return "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    /// The workbook: inline strings, amounts as numbers, dates as serial numbers (styled as dates).
    func xlsx() -> [UInt8]? {
        var sheet = """
            <?xml version="1.0" encoding="UTF-8" standalone="yes"?>
            <worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>
            """
        for (index, row) in rows.enumerated() {
            let number = index + 1
            sheet += "<row r=\"\(number)\">"
            for (column, cell) in row.enumerated() {
                let reference = Self.columnName(column) + String(number)
                switch cell {
                case .text(let text):
                    sheet += "<c r=\"\(reference)\" t=\"inlineStr\"><is><t>\(Self.xmlEscaped(text))</t></is></c>"
                case .amount(let cents): sheet += "<c r=\"\(reference)\" s=\"2\"><v>\(Self.numberText(cents))</v></c>"
                case .date(let date): sheet += "<c r=\"\(reference)\" s=\"1\"><v>\(Self.serialText(date))</v></c>"
                case .empty: break
                }
            }
            sheet += "</row>"
        }
        sheet += "</sheetData></worksheet>"
        return StoredZip.archive([
            ("[Content_Types].xml", Array(Self.contentTypes.utf8)), ("_rels/.rels", Array(Self.rootRels.utf8)),
            ("xl/workbook.xml", Array(Self.workbook.utf8)),
            ("xl/_rels/workbook.xml.rels", Array(Self.workbookRels.utf8)), ("xl/styles.xml", Array(Self.styles.utf8)),
            ("xl/worksheets/sheet1.xml", Array(sheet.utf8)),
        ])
    }

    /// `0` → `A`, `26` → `AA`.
    static func columnName(_ index: Int) -> String {
        var index = index
        var name = ""
        repeat {
            name = String(UnicodeScalar(UInt8(65 + index % 26))) + name
            index = index / 26 - 1
        } while index >= 0
        return name
    }

    static func xmlEscaped(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }

    static let contentTypes = """
        <?xml version="1.0" encoding="UTF-8" standalone="yes"?>
        <Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">\
        <Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>\
        <Default Extension="xml" ContentType="application/xml"/>\
        <Override PartName="/xl/workbook.xml" \
        ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>\
        <Override PartName="/xl/worksheets/sheet1.xml" \
        ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>\
        <Override PartName="/xl/styles.xml" \
        ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>\
        </Types>
        """

    static let rootRels = """
        <?xml version="1.0" encoding="UTF-8" standalone="yes"?>
        <Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">\
        <Relationship Id="rId1" \
        Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" \
        Target="xl/workbook.xml"/></Relationships>
        """

    static let workbook = """
        <?xml version="1.0" encoding="UTF-8" standalone="yes"?>
        <workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" \
        xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">\
        <sheets><sheet name="Statement" sheetId="1" r:id="rId1"/></sheets></workbook>
        """

    static let workbookRels = """
        <?xml version="1.0" encoding="UTF-8" standalone="yes"?>
        <Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">\
        <Relationship Id="rId1" \
        Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" \
        Target="worksheets/sheet1.xml"/>\
        <Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" \
        Target="styles.xml"/></Relationships>
        """

    static let styles = """
        <?xml version="1.0" encoding="UTF-8" standalone="yes"?>
        <styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">\
        <numFmts count="1"><numFmt numFmtId="164" formatCode="dd\\-mm\\-yyyy\\ hh:mm:ss"/></numFmts>\
        <fonts count="1"><font><sz val="11"/><name val="Calibri"/></font></fonts>\
        <fills count="2"><fill><patternFill patternType="none"/></fill>\
        <fill><patternFill patternType="gray125"/></fill></fills>\
        <borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>\
        <cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>\
        <cellXfs count="3"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>\
        <xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>\
        <xf numFmtId="4" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/></cellXfs>\
        </styleSheet>
        """
}

/// A zip archive of stored (uncompressed) entries, written by hand: enough for a workbook the simulator hands out,
/// without a dependency on the product's report writer.
enum StoredZip {
    /// The archive bytes, or `nil` when an entry or the whole would need zip64 (4 GiB).
    static func archive(_ entries: [(name: String, data: [UInt8])]) -> [UInt8]? {
        var out: [UInt8] = []
        var directory: [UInt8] = []
        for entry in entries {
            guard let offset = UInt32(exactly: out.count), let size = UInt32(exactly: entry.data.count) else {
                return nil
            }
            let name = Array(entry.name.utf8)
            let crc = crc32(entry.data)
            // Version 2.0, no flags, stored, 1980-01-01 00:00.
            var common: [UInt8] = []
            append16(&common, 20)
            append16(&common, 0)
            append16(&common, 0)
            append16(&common, 0)
            append16(&common, 0x21)
            append32(&common, crc)
            append32(&common, size)
            append32(&common, size)
            append16(&common, UInt16(name.count))
            append16(&common, 0)
            append32(&out, 0x0403_4b50)
            out += common + name + entry.data
            append32(&directory, 0x0201_4b50)
            append16(&directory, 20)
            directory += common
            append16(&directory, 0)  // comment
            append16(&directory, 0)  // disk
            append16(&directory, 0)  // internal attributes
            append32(&directory, 0)  // external attributes
            append32(&directory, offset)
            directory += name
        }
        guard let directoryOffset = UInt32(exactly: out.count), let directorySize = UInt32(exactly: directory.count),
            let count = UInt16(exactly: entries.count)
        else { return nil }
        out += directory
        append32(&out, 0x0605_4b50)
        append16(&out, 0)
        append16(&out, 0)
        append16(&out, count)
        append16(&out, count)
        append32(&out, directorySize)
        append32(&out, directoryOffset)
        append16(&out, 0)
        return out
    }

    static func append16(_ bytes: inout [UInt8], _ value: UInt16) {
        bytes.append(UInt8(value & 0xFF))
        bytes.append(UInt8(value >> 8))
    }

    static func append32(_ bytes: inout [UInt8], _ value: UInt32) {
        for shift in stride(from: 0, to: 32, by: 8) { bytes.append(UInt8((value >> UInt32(shift)) & 0xFF)) }
    }

    static let table: [UInt32] = (0..<256).map { index -> UInt32 in
        var value = UInt32(index)
        for _ in 0..<8 { value = value & 1 == 1 ? 0xEDB8_8320 ^ (value >> 1) : value >> 1 }
        return value
    }

    /// CRC-32 (IEEE), as zip checks it.
    static func crc32(_ bytes: [UInt8]) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        for byte in bytes { crc = table[Int((crc ^ UInt32(byte)) & 0xFF)] ^ (crc >> 8) }
        return crc ^ 0xFFFF_FFFF
    }
}

extension DarajaSimulator {
    /// The statement of the ledger for `[from, to]` (default: the EAT days from the first transaction to now) in
    /// `format`, with the anomalies set by ``setStatementAnomalies(_:)``; `nil` only if a workbook would exceed 4 GiB.
    public func statement(from: Date? = nil, to: Date? = nil, format: SimStatementFormat) async -> [UInt8]? {
        let now = Date()
        let ledger = await state.ledger()
        let anomalies = await state.statementAnomalies
        let first = ledger.stk.map(\.createdAt).min() ?? now
        let statement = SimStatement.build(
            ledger: ledger, anomalies: anomalies, shortCode: state.configuration.shortcode,
            from: from ?? SimStatement.dayStart(first), to: to ?? SimStatement.dayEnd(now), now: now)
        switch format {
        case .csv: return statement.csv()
        case .xlsx: return statement.xlsx()
        }
    }

    /// Sets the deliberate errors of the statements exported from now on.
    public func setStatementAnomalies(_ anomalies: StatementAnomalies) async {
        await state.setStatementAnomalies(anomalies)
    }

    /// `from`/`to` as ISO 8601 (`2024-05-01T00:00:00Z`) or Unix seconds.
    static func statementDate(_ text: String?) -> (ok: Bool, date: Date?) {
        guard let text, !text.isEmpty else { return (true, nil) }
        if let seconds = Int64(text) { return (true, Date(timeIntervalSince1970: Double(seconds))) }
        if let date = try? Date(text, strategy: .iso8601) { return (true, date) }
        return (false, nil)
    }
}

extension DarajaSimulator {
    /// `GET /sim/statement?from=&to=&format=csv|xlsx` and `POST /sim/statement/anomalies`.
    func addStatementRoutes(_ router: Router<BasicRequestContext>) {
        router.get("/sim/statement") { request, _ in
            let query = request.uri.queryParameters
            let from = Self.statementDate(query.get("from"))
            let to = Self.statementDate(query.get("to"))
            guard let format = SimStatementFormat(rawValue: query.get("format") ?? "csv"), from.ok, to.ok else {
                return Self.jsonResponse(
                    400, Data(#"{"error":"format must be csv or xlsx; from/to ISO 8601 or Unix seconds"}"#.utf8))
            }
            guard let bytes = await self.statement(from: from.date, to: to.date, format: format) else {
                return Self.jsonResponse(500, Data(#"{"error":"statement too large for a workbook"}"#.utf8))
            }
            let type =
                format == .csv
                ? "text/csv; charset=utf-8" : "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
            return Response(
                status: .ok,
                headers: [
                    .contentType: type, .contentDisposition: "attachment; filename=\"statement.\(format.rawValue)\"",
                ],
                body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
        }
        router.post("/sim/statement/anomalies") { request, _ in
            let anomalies = try Self.decoder.decode(StatementAnomalies.self, from: try await Self.bodyData(request))
            await self.setStatementAnomalies(anomalies)
            return Self.jsonResponse(200, Data(#"{"ok":true}"#.utf8))
        }
    }
}
