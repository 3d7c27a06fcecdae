public import Foundation
public import ReconCore

/// One `statement import` of one file, as stored.
public struct StatementImportRecord: Sendable, Equatable {
    public var id: Int64
    public var fileSHA256: String
    public var fileName: String
    public var periodStart: Date?
    public var periodEnd: Date?
}

/// A completed payment whose receipt is still pending (settled by STK Query), with what a statement line must match.
public struct ReceiptPendingPayment: Sendable, Equatable {
    public var id: Int64
    public var courseID: Int64
    public var amount: Money
    public var phone: String
    public var createdAt: Date

    /// A row of `id, course_id, amount, phone, created_at`.
    init(row: PostgresRow) throws(PostgresError) {
        id = try row.decode(Int64.self, "id")
        courseID = try row.decode(Int64.self, "course_id")
        amount = try row.decode(Money.self, "amount")
        phone = try row.decode(String.self, "phone")
        createdAt = try row.decode(Date.self, "created_at")
    }
}

/// A statement line no payment or refund claims yet.
public struct UnmatchedStatementLine: Sendable, Equatable {
    public var id: Int64
    public var receipt: String
    public var lineClass: StatementLineClass
    public var amount: Money
    public var completedAt: Date
    public var partyIdentifier: String?
    public var accountNumber: String?
}

/// A matched line whose amount differs from its payment's or refund's.
public struct StatementAmountMismatch: Sendable, Equatable {
    public var receipt: String
    public var paymentID: Int64?
    public var refundID: Int64?
    public var ours: Money
    public var statement: Money
}

/// The sums of the balance proof over the lines of the covered periods.
public struct StatementTotals: Sendable, Equatable, Codable {
    public var lines = 0
    public var paidIn = Money.zero
    public var withdrawn = Money.zero
    public var customerPaidIn = Money.zero
    public var customerLines = 0
    public var matchedCustomerPaidIn = Money.zero
    public var oursMatched = Money.zero
    public var byClass: [String: Int] = [:]

    public init() {}
}

/// Reads and writes `statement_imports` and `statement_lines`, and the statement side of matching.
public enum StatementStore {
    /// Serialises statement matching until the transaction ends (a transaction-scoped advisory lock).
    public static func lockForMatching(_ db: isolated PostgresConnection) throws(PostgresError) {
        try db.query("SELECT pg_advisory_xact_lock(7236111014)")
    }

    // MARK: Import

    /// Starts the record of one file's import; returns its id.
    public static func beginImport(
        _ db: isolated PostgresConnection, sha256: String, fileName: String, format: String, now: Date
    ) throws(PostgresError) -> Int64 {
        let row = try db.query(
            """
            INSERT INTO statement_imports (file_sha256, file_name, format, imported_at)
            VALUES (\(sha256), \(fileName), \(format), \(now))
            RETURNING id
            """
        ).first
        guard let row else { throw PostgresError(code: .decoding, message: "statement import row not returned") }
        return try row.decode(Int64.self, "id")
    }

    /// Stores lines the database does not hold yet (by receipt; a charge is its own line); returns how many were new.
    public static func insertLines(
        _ db: isolated PostgresConnection, importID: Int64, _ lines: [StatementLine]
    ) throws(PostgresError) -> Int {
        guard !lines.isEmpty else { return 0 }
        return try db.query(
            """
            INSERT INTO statement_lines
                (import_id, row_number, receipt, is_charge, completed_at, initiated_at, details, transaction_status,
                 paid_in, withdrawn, balance, reason_type, line_class, party_identifier, party_name,
                 linked_transaction_id, account_number)
            SELECT \(importID), l.row_number, l.receipt, l.line_class = 'charge', l.completed_at, l.initiated_at,
                   l.details, l.status, l.paid_in, l.withdrawn, l.balance, l.reason_type, l.line_class, l.party_id,
                   l.party_name, l.linked, l.account
            FROM unnest(\(SQLArray(lines.map { String($0.row) }))::integer[],
                        \(SQLArray(lines.map(\.receipt)))::text[],
                        \(SQLArray(lines.map(\.completedAt.sqlText)))::timestamptz[],
                        \(SQLArray(lines.map { $0.initiatedAt?.sqlText }))::timestamptz[],
                        \(SQLArray(lines.map(\.details)))::text[],
                        \(SQLArray(lines.map(\.status)))::text[],
                        \(SQLArray(lines.map(\.paidIn.sqlText)))::numeric[],
                        \(SQLArray(lines.map(\.withdrawn.sqlText)))::numeric[],
                        \(SQLArray(lines.map { $0.balance?.sqlText }))::numeric[],
                        \(SQLArray(lines.map(\.reasonType)))::text[],
                        \(SQLArray(lines.map(\.lineClass.rawValue)))::text[],
                        \(SQLArray(lines.map(\.party.identifier)))::text[],
                        \(SQLArray(lines.map(\.party.name)))::text[],
                        \(SQLArray(lines.map(\.linkedTransactionID)))::text[],
                        \(SQLArray(lines.map(\.accountNumber)))::text[])
                AS l(row_number, receipt, completed_at, initiated_at, details, status, paid_in, withdrawn, balance,
                     reason_type, line_class, party_id, party_name, linked, account)
            ON CONFLICT (receipt, is_charge) DO NOTHING
            """
        ).affected
    }

    /// Finishes the import record with what the file's lines added up to.
    public static func finishImport(
        _ db: isolated PostgresConnection, id: Int64, header: StatementHeader, linesRead: Int, linesNew: Int,
        paidIn: Money, withdrawn: Money, firstLine: Date?, lastLine: Date?, balanceCheck: String
    ) throws(PostgresError) {
        try db.query(
            """
            UPDATE statement_imports SET account_holder = \(header.accountHolder), short_code = \(header.shortCode),
                opening_balance = \(header.openingBalance), closing_balance = \(header.closingBalance),
                total_paid_in = \(header.totalPaidIn), total_withdrawn = \(header.totalWithdrawn),
                lines_read = \(linesRead), lines_new = \(linesNew),
                lines_skipped = \(linesRead - linesNew), paid_in_sum = \(paidIn), withdrawn_sum = \(withdrawn),
                balance_check = \(balanceCheck),
                period_start = coalesce(\(header.periodStart)::timestamptz, \(firstLine)::timestamptz),
                period_end = coalesce(\(header.periodEnd)::timestamptz, \(lastLine)::timestamptz)
            WHERE id = \(id)
            """)
    }

    // MARK: Matching

    /// Ties payment lines to payments holding the same receipt, and refund lines to refunds with that TransactionID;
    /// returns how many lines were tied by this call.
    public static func linkByReceipt(_ db: isolated PostgresConnection, now: Date) throws(PostgresError) -> Int {
        let payments = try link(db, "payment", from: "payments", by: "mpesa_receipt", now: now)
        let refunds = try link(db, "refund", from: "refunds", by: "transaction_id", now: now)
        return payments + refunds
    }

    /// Ties the unclaimed lines of class `kind` to the row of `table` whose `key` column holds the line's receipt,
    /// through the line's `<kind>_id` column; returns how many lines were tied.
    private static func link(
        _ db: isolated PostgresConnection, _ kind: StaticString, from table: StaticString, by key: StaticString,
        now: Date
    ) throws(PostgresError) -> Int {
        try db.query(
            """
            UPDATE statement_lines sl SET \(unescaped: kind)_id = t.id, matched_at = \(now)
            FROM \(unescaped: table) t
            WHERE sl.payment_id IS NULL AND sl.refund_id IS NULL AND sl.line_class = '\(unescaped: kind)'
                AND t.\(unescaped: key) = sl.receipt
            """
        ).affected
    }

    /// Records each matched refund's B2C charge (the charge line linked to its TransactionID, or sharing it) as its
    /// fee and ties the charge line to the refund; returns how many refunds got a fee.
    public static func recordRefundFees(_ db: isolated PostgresConnection, now: Date) throws(PostgresError) -> Int {
        try db.query(
            """
            WITH charges AS (
                SELECT sl.id AS line_id, r.id AS refund_id, sl.withdrawn
                FROM statement_lines sl
                JOIN statement_lines b ON b.line_class = 'refund' AND b.refund_id IS NOT NULL
                    AND (sl.linked_transaction_id = b.receipt OR sl.receipt = b.receipt)
                JOIN refunds r ON r.id = b.refund_id
                WHERE sl.line_class = 'charge' AND sl.refund_id IS NULL),
            tied AS (
                UPDATE statement_lines sl SET refund_id = c.refund_id, matched_at = \(now)
                FROM charges c WHERE sl.id = c.line_id
                RETURNING c.refund_id, c.withdrawn)
            UPDATE refunds r SET statement_fee = coalesce(r.statement_fee, 0) + t.fee
            FROM (SELECT refund_id, sum(withdrawn) AS fee FROM tied GROUP BY refund_id) t
            WHERE r.id = t.refund_id
            """
        ).affected
    }

    /// Matched lines whose amount differs from what we hold.
    public static func amountMismatches(
        _ db: isolated PostgresConnection
    ) throws(PostgresError)
        -> [StatementAmountMismatch]
    {
        try db.query(
            """
            SELECT sl.receipt, p.id AS payment_id, NULL::bigint AS refund_id,
                   coalesce(p.paid_amount, p.amount) AS ours, sl.paid_in AS statement
            FROM statement_lines sl JOIN payments p ON p.id = sl.payment_id
            WHERE sl.paid_in <> coalesce(p.paid_amount, p.amount)
            UNION ALL
            SELECT sl.receipt, NULL, r.id, r.amount, sl.withdrawn
            FROM statement_lines sl JOIN refunds r ON r.id = sl.refund_id
            WHERE sl.line_class = 'refund' AND sl.withdrawn <> r.amount
            """
        ).map { row throws(PostgresError) in
            StatementAmountMismatch(
                receipt: try row.decode(String.self, "receipt"), paymentID: try row.decode(Int64?.self, "payment_id"),
                refundID: try row.decode(Int64?.self, "refund_id"), ours: try row.decode(Money.self, "ours"),
                statement: try row.decode(Money.self, "statement"))
        }
    }

    /// Payments without a receipt that are not completed (pending, unknown, failed) and were created between
    /// `from` and `to`: they may own a statement line too, so a line they fit is never filled onto another payment.
    public static func receiptlessRivals(
        _ db: isolated PostgresConnection, from: Date, to: Date
    ) throws(PostgresError)
        -> [ReceiptPendingPayment]
    {
        try receiptless(db, "status <> 'completed' AND created_at >= \(from) AND created_at <= \(to)")
    }

    /// Completed payments whose receipt is still pending.
    public static func receiptPendingPayments(
        _ db: isolated PostgresConnection
    ) throws(PostgresError)
        -> [ReceiptPendingPayment]
    {
        try receiptless(db, "status = 'completed'")
    }

    /// Payments without a receipt that meet `condition`, by id.
    private static func receiptless(
        _ db: isolated PostgresConnection, _ condition: SQLQuery
    ) throws(PostgresError) -> [ReceiptPendingPayment] {
        try db.query(
            """
            SELECT id, course_id, amount, phone, created_at FROM payments
            WHERE \(condition) AND mpesa_receipt IS NULL ORDER BY id
            """
        ).map(ReceiptPendingPayment.init(row:))
    }

    /// Payment and refund lines nobody claims, oldest first.
    public static func unmatchedLines(
        _ db: isolated PostgresConnection
    ) throws(PostgresError)
        -> [UnmatchedStatementLine]
    {
        try db.query(
            """
            SELECT id, receipt, line_class, CASE WHEN line_class = 'payment' THEN paid_in ELSE withdrawn END AS amount,
                   completed_at, party_identifier, account_number
            FROM statement_lines
            WHERE payment_id IS NULL AND refund_id IS NULL AND line_class IN ('payment', 'refund')
            ORDER BY completed_at, id
            """
        ).map { row throws(PostgresError) in
            UnmatchedStatementLine(
                id: try row.decode(Int64.self, "id"), receipt: try row.decode(String.self, "receipt"),
                lineClass: StatementLineClass(rawValue: try row.decode(String.self, "line_class")) ?? .other,
                amount: try row.decode(Money.self, "amount"), completedAt: try row.decode(Date.self, "completed_at"),
                partyIdentifier: try row.decode(String?.self, "party_identifier"),
                accountNumber: try row.decode(String?.self, "account_number"))
        }
    }

    /// Gives a query-settled payment the receipt, paid-at and (when the statement shows it whole) phone of the one line
    /// that fits it, and ties the line to it; the event goes to the payment trail. `false` when the payment already
    /// got a receipt meanwhile.
    public static func fillReceipt(
        _ db: isolated PostgresConnection, paymentID: Int64, line: UnmatchedStatementLine, now: Date
    ) throws(PostgresError) -> Bool {
        let wholePhone = line.partyIdentifier.flatMap { $0.contains("*") ? nil : $0 }
        let updated = try db.query(
            """
            UPDATE payments SET mpesa_receipt = \(line.receipt),
                paid_at = coalesce(paid_at, \(line.completedAt)::timestamptz),
                paid_amount = coalesce(paid_amount, \(line.amount)::numeric),
                paid_phone = coalesce(paid_phone, \(wholePhone)::text),
                updated_at = \(now)
            WHERE id = \(paymentID) AND status = 'completed' AND mpesa_receipt IS NULL
            """
        ).affected
        guard updated == 1 else { return false }
        try db.query(
            "UPDATE statement_lines SET payment_id = \(paymentID), matched_at = \(now) WHERE id = \(line.id)")
        try PaymentEventStore.append(
            db,
            PaymentEvent(
                paymentID: paymentID, at: now, source: .reconcile, from: .completed, to: .completed,
                detail: ["summary": "receipt filled from the M-Pesa statement", "receipt": line.receipt]))
        return true
    }

    /// Completed payments inside a covered period that no statement line claims.
    public static func paymentsMissingFromStatement(
        _ db: isolated PostgresConnection
    ) throws(PostgresError)
        -> [(paymentID: Int64, amount: Money)]
    {
        try db.query(
            """
            SELECT p.id, p.amount FROM payments p
            WHERE p.status = 'completed'
                AND \(missingFromStatement(at: "coalesce(p.paid_at, p.created_at)", id: "p.id", claimedBy: "payment_id"))
            ORDER BY p.id
            """
        ).map { row throws(PostgresError) in (try row.decode(Int64.self, "id"), try row.decode(Money.self, "amount")) }
    }

    /// Succeeded refunds completed inside a covered period that no statement line claims.
    public static func refundsMissingFromStatement(
        _ db: isolated PostgresConnection
    ) throws(PostgresError)
        -> [(refundID: Int64, paymentID: Int64, amount: Money)]
    {
        try db.query(
            """
            SELECT r.id, r.payment_id, r.amount FROM refunds r
            WHERE r.status = 'succeeded'
                AND \(missingFromStatement(at: "coalesce(r.completed_at, r.updated_at)", id: "r.id", claimedBy: "refund_id"))
            ORDER BY r.id
            """
        ).map { row throws(PostgresError) in
            (
                try row.decode(Int64.self, "id"), try row.decode(Int64.self, "payment_id"),
                try row.decode(Money.self, "amount")
            )
        }
    }

    /// The condition "inside a period a statement covers and claimed by no line": the row `id` happened at `time`
    /// and no statement line points at it through `column`. The uncorrelated `EXISTS` is a one-time filter: with no
    /// statement imported yet, PostgreSQL skips the scan of every candidate row.
    private static func missingFromStatement(
        at time: StaticString, id: StaticString, claimedBy column: StaticString
    ) -> SQLQuery {
        """
        EXISTS (SELECT 1 FROM statement_imports)
            AND EXISTS (SELECT 1 FROM statement_imports i
                        WHERE \(unescaped: time) BETWEEN i.period_start AND i.period_end)
            AND NOT EXISTS (SELECT 1 FROM statement_lines sl WHERE sl.\(unescaped: column) = \(unescaped: id))
        """
    }

    /// Resolves open statement findings that this run did not see again (`last_seen` before `stamp`).
    public static func resolveGone(
        _ db: isolated PostgresConnection, stamp: Date, now: Date
    ) throws(PostgresError)
        -> Int
    {
        let kinds: [ExceptionKind] = [
            .statementOnly, .missingFromStatement, .statementAmountMismatch, .refundMissingFromStatement,
            .ambiguousStatementLine,
        ]
        return try db.query(
            """
            UPDATE reconciliation_exceptions SET status = 'resolved', resolved_at = \(now),
                resolution = 'no longer holds (statement matching)'
            WHERE status = 'open' AND last_seen < \(stamp) AND resolved_by IS NULL
                AND kind = ANY(\(SQLArray(kinds.map(\.rawValue)))::text[])
            """
        ).affected
    }

    /// The sums of the balance proof over every stored line.
    public static func totals(_ db: isolated PostgresConnection) throws(PostgresError) -> StatementTotals {
        var totals = StatementTotals()
        for row in try db.query(
            """
            SELECT sl.line_class, count(*) AS lines, coalesce(sum(sl.paid_in), 0) AS paid_in,
                   coalesce(sum(sl.withdrawn), 0) AS withdrawn,
                   coalesce(sum(sl.paid_in) FILTER (WHERE sl.payment_id IS NOT NULL), 0) AS matched_in,
                   coalesce(sum(coalesce(p.paid_amount, p.amount)), 0) AS ours
            FROM statement_lines sl LEFT JOIN payments p ON p.id = sl.payment_id
            GROUP BY sl.line_class
            """)
        {
            let lineClass = try row.decode(String.self, "line_class")
            let lines = try row.decode(Int.self, "lines")
            let paidIn = try row.decode(Money.self, "paid_in")
            totals.lines += lines
            totals.byClass[lineClass] = lines
            totals.paidIn = totals.paidIn.adding(paidIn) ?? totals.paidIn
            totals.withdrawn = totals.withdrawn.adding(try row.decode(Money.self, "withdrawn")) ?? totals.withdrawn
            if lineClass == StatementLineClass.payment.rawValue {
                totals.customerLines = lines
                totals.customerPaidIn = paidIn
                totals.matchedCustomerPaidIn = try row.decode(Money.self, "matched_in")
                totals.oursMatched = try row.decode(Money.self, "ours")
            }
        }
        return totals
    }
}
