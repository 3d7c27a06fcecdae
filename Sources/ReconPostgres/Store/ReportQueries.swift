public import Foundation

/// The SQL of the finance reports (ARCHITECTURE.md §6.5). Each sheet's rows and the Summary's checks on them share
/// one condition, so a sheet and its Summary line can never disagree. Column order is part of the contract: the
/// report row models read columns by position and check their names on the first row.
public enum ReportQueries {
    // MARK: Conditions shared by a sheet and the Summary

    /// Completed payments settled in `[start, end)` (paid, or for a query without a time, settled).
    public static func settledInPeriod(_ start: Date, _ end: Date) -> SQLQuery {
        """
        p.status = 'completed' AND coalesce(p.paid_at, p.updated_at) >= \(start) \
        AND coalesce(p.paid_at, p.updated_at) < \(end)
        """
    }

    /// Still pending or unknown now, and started before `end`.
    public static func stillOpen(_ end: Date) -> SQLQuery {
        "p.status IN ('pending', 'unknown') AND p.created_at < \(end)"
    }

    /// Exceptions open at some time during the period: first seen before its end, not resolved before its start.
    public static func exceptionOpenDuring(_ start: Date, _ end: Date) -> SQLQuery {
        "x.first_seen < \(end) AND (x.resolved_at IS NULL OR x.resolved_at >= \(start))"
    }

    /// Refunds open at some time during the period: proposed before its end and not closed before its start.
    public static func refundOpenDuring(_ start: Date, _ end: Date) -> SQLQuery {
        """
        r.proposed_at < \(end) AND (\(unescaped: refundClosedAt) IS NULL OR \(unescaped: refundClosedAt) >= \(start))
        """
    }

    /// Refunds whose money went back in the period.
    public static func refundSucceededIn(_ start: Date, _ end: Date) -> SQLQuery {
        """
        r.status = 'succeeded' AND coalesce(r.completed_at, r.updated_at) >= \(start) \
        AND coalesce(r.completed_at, r.updated_at) < \(end)
        """
    }

    /// When a refund stopped being open: rejected, succeeded or failed; NULL while it may still move.
    static let refundClosedAt: StaticString = """
        CASE r.status WHEN 'rejected' THEN coalesce(r.rejected_at, r.updated_at)
                      WHEN 'succeeded' THEN coalesce(r.completed_at, r.updated_at)
                      WHEN 'failed' THEN coalesce(r.completed_at, r.updated_at) END
        """

    // MARK: Sheets

    /// The Settled sheet's rows.
    public static func settledRows(_ start: Date, _ end: Date) -> SQLQuery {
        """
        SELECT p.mpesa_receipt AS receipt, coalesce(p.paid_at, p.updated_at) AS paid_at, p.id AS payment_id,
               p.user_id AS learner_id, coalesce(nullif(u.full_name, ''), u.email) AS learner,
               p.course_id, c.title AS course, coalesce(p.paid_amount, p.amount) AS amount,
               coalesce(p.paid_phone, p.phone) AS phone, p.checkout_request_id, p.settled_via, p.source,
               e.id AS enrollment_id, e.status AS enrollment_status
        FROM payments p
        JOIN users u ON u.id = p.user_id
        JOIN courses c ON c.id = p.course_id
        LEFT JOIN enrollments e ON e.user_id = p.user_id AND e.course_id = p.course_id
        WHERE \(settledInPeriod(start, end))
        ORDER BY coalesce(p.paid_at, p.updated_at), p.id
        """
    }

    /// The Pending sheet's rows.
    public static func pendingRows(_ end: Date) -> SQLQuery {
        """
        SELECT p.id AS payment_id, p.status, p.checkout_request_id, p.created_at, p.user_id AS learner_id,
               coalesce(nullif(u.full_name, ''), u.email) AS learner, p.course_id, c.title AS course,
               p.amount, p.phone, p.check_attempts, p.last_answer, p.next_check_at
        FROM payments p
        JOIN users u ON u.id = p.user_id
        JOIN courses c ON c.id = p.course_id
        WHERE \(stillOpen(end))
        ORDER BY p.created_at, p.id
        """
    }

    /// The Exceptions sheet's rows.
    public static func exceptionRows(_ start: Date, _ end: Date) -> SQLQuery {
        """
        SELECT x.id, x.kind, x.status, x.first_seen, x.resolved_at, x.payment_id, p.checkout_request_id,
               u.id AS learner_id, coalesce(nullif(u.full_name, ''), u.email) AS learner,
               c.id AS course_id, c.title AS course, x.expected_amount, x.received_amount, x.resolution,
               x.detail::text AS detail
        FROM reconciliation_exceptions x
        LEFT JOIN payments p ON p.id = x.payment_id
        LEFT JOIN enrollments en ON en.id = x.enrollment_id
        LEFT JOIN users u ON u.id = coalesce(p.user_id, en.user_id)
        LEFT JOIN courses c ON c.id = coalesce(p.course_id, en.course_id)
        WHERE \(exceptionOpenDuring(start, end))
        ORDER BY x.first_seen, x.id
        """
    }

    /// The Refunds sheet's rows.
    public static func refundRows(_ start: Date, _ end: Date) -> SQLQuery {
        """
        SELECT r.id, r.payment_id, r.exception_id, p.user_id AS learner_id,
               coalesce(nullif(u.full_name, ''), u.email) AS learner, coalesce(p.paid_phone, p.phone) AS phone,
               r.amount, r.reason, r.status, r.proposed_by, r.proposed_at, r.approved_by, r.approved_at,
               r.second_approved_by, r.second_approved_at, r.rejected_by, r.rejected_at, r.rejected_reason,
               r.originator_conversation_id, r.conversation_id, r.transaction_id, r.result_code,
               r.result_desc, r.completed_at
        FROM refunds r
        JOIN payments p ON p.id = r.payment_id
        JOIN users u ON u.id = p.user_id
        WHERE \(refundOpenDuring(start, end))
        ORDER BY r.proposed_at, r.id
        """
    }

    // MARK: Summary

    /// Payments started in the period by status: `key`, `n`, `amount`.
    public static func startedByStatus(_ start: Date, _ end: Date) -> SQLQuery {
        """
        SELECT status AS key, count(*) AS n, sum(coalesce(paid_amount, amount)) AS amount
        FROM payments WHERE created_at >= \(start) AND created_at < \(end) GROUP BY status
        """
    }

    /// Every completed payment without a receipt, any period: `n`, `amount`.
    public static let receiptsPending: SQLQuery = """
        SELECT count(*) AS n, sum(coalesce(paid_amount, amount)) AS amount
        FROM payments WHERE status = 'completed' AND mpesa_receipt IS NULL
        """

    /// The Pending sheet's rows by status: `key`, `n`, `amount`.
    public static func openByStatus(_ end: Date) -> SQLQuery {
        "SELECT p.status AS key, count(*) AS n, sum(p.amount) AS amount FROM payments p WHERE \(stillOpen(end)) GROUP BY p.status"
    }

    /// The Exceptions sheet's rows by kind and status: `kind`, `status`, `n`.
    public static func exceptionsByKindAndStatus(_ start: Date, _ end: Date) -> SQLQuery {
        """
        SELECT x.kind, x.status, count(*) AS n FROM reconciliation_exceptions x
        WHERE \(exceptionOpenDuring(start, end)) GROUP BY x.kind, x.status
        """
    }

    /// The Refunds sheet's rows by status: `key`, `n`, `amount`.
    public static func refundsByStatus(_ start: Date, _ end: Date) -> SQLQuery {
        """
        SELECT r.status AS key, count(*) AS n, sum(r.amount) AS amount FROM refunds r
        WHERE \(refundOpenDuring(start, end)) GROUP BY r.status
        """
    }

    /// Refunds that succeeded in the period: `n`, `amount`.
    public static func refundsSucceeded(_ start: Date, _ end: Date) -> SQLQuery {
        "SELECT count(*) AS n, sum(r.amount) AS amount FROM refunds r WHERE \(refundSucceededIn(start, end))"
    }

    /// The Statement sheet's rows: statement lines completed in the period, with the open finding each carries.
    public static func statementRows(_ start: Date, _ end: Date) -> SQLQuery {
        """
        SELECT sl.receipt, sl.completed_at, sl.line_class, sl.details, sl.reason_type, sl.party_identifier,
               sl.party_name, sl.account_number, sl.paid_in, sl.withdrawn, sl.balance, sl.payment_id, sl.refund_id,
               (SELECT string_agg(x.kind, ', ' ORDER BY x.kind) FROM reconciliation_exceptions x
                WHERE x.status = 'open' AND sl.line_class IN ('payment', 'refund')
                    AND x.key IN ('statement_only:receipt:' || sl.receipt,
                                  'statement_amount_mismatch:receipt:' || sl.receipt,
                                  'ambiguous_statement_line:receipt:' || sl.receipt,
                                  'unallocated_payment:receipt:' || sl.receipt)) AS finding,
               sl.import_id, sl.row_number
        FROM statement_lines sl
        WHERE \(statementLineIn(start, end))
        ORDER BY sl.completed_at, sl.id
        """
    }

    /// Statement lines completed in `[start, end)`.
    public static func statementLineIn(_ start: Date, _ end: Date) -> SQLQuery {
        "sl.completed_at >= \(start) AND sl.completed_at < \(end)"
    }

    /// The balance proof's sums over the statement lines of the period, ours next to the statement's, in one row.
    public static func statementProof(_ start: Date, _ end: Date) -> SQLQuery {
        """
        SELECT count(*) AS lines, coalesce(sum(sl.paid_in), 0) AS paid_in,
               coalesce(sum(sl.withdrawn), 0) AS withdrawn,
               count(*) FILTER (WHERE sl.line_class = 'payment') AS customer_n,
               coalesce(sum(sl.paid_in) FILTER (WHERE sl.line_class = 'payment'), 0) AS customer_amount,
               count(p.id) AS ours_n, coalesce(sum(coalesce(p.paid_amount, p.amount)), 0) AS ours_amount,
               count(*) FILTER (WHERE sl.line_class = 'payment' AND sl.payment_id IS NULL) AS only_n,
               coalesce(sum(sl.paid_in) FILTER (WHERE sl.line_class = 'payment' AND sl.payment_id IS NULL), 0)
                   AS only_amount,
               count(*) FILTER (WHERE sl.paid_in <> coalesce(p.paid_amount, p.amount)) AS mismatch_n,
               coalesce(sum(sl.paid_in - coalesce(p.paid_amount, p.amount))
                   FILTER (WHERE sl.paid_in <> coalesce(p.paid_amount, p.amount)), 0) AS mismatch_amount,
               count(*) FILTER (WHERE sl.line_class = 'refund') AS refund_n,
               coalesce(sum(sl.withdrawn) FILTER (WHERE sl.line_class = 'refund'), 0) AS refund_amount,
               count(r.id) AS refund_ours_n, coalesce(sum(r.amount), 0) AS refund_ours_amount,
               count(*) FILTER (WHERE sl.line_class = 'charge') AS charge_n,
               coalesce(sum(sl.withdrawn) FILTER (WHERE sl.line_class = 'charge'), 0) AS charge_amount,
               count(*) FILTER (WHERE sl.line_class = 'sweep') AS sweep_n,
               coalesce(sum(sl.withdrawn) FILTER (WHERE sl.line_class = 'sweep'), 0) AS sweep_amount,
               count(*) FILTER (WHERE sl.line_class = 'other') AS other_n,
               coalesce(sum(sl.paid_in - sl.withdrawn) FILTER (WHERE sl.line_class = 'other'), 0) AS other_amount
        FROM statement_lines sl
        LEFT JOIN payments p ON p.id = sl.payment_id
        LEFT JOIN refunds r ON r.id = sl.refund_id AND sl.line_class = 'refund'
        WHERE \(statementLineIn(start, end))
        """
    }

    /// The statement files that cover some of the period: how many (distinct files), how many balance, the opening
    /// balance of the earliest and the closing balance of the latest.
    public static func statementBalances(_ start: Date, _ end: Date) -> SQLQuery {
        """
        SELECT count(DISTINCT i.file_sha256) AS files,
               count(DISTINCT i.file_sha256) FILTER (WHERE i.balance_check = 'ok') AS files_ok,
               (array_agg(i.opening_balance ORDER BY i.period_start, i.id))[1] AS opening,
               (array_agg(i.closing_balance ORDER BY i.period_end DESC, i.id DESC))[1] AS closing
        FROM statement_imports i
        WHERE i.period_start < \(end) AND i.period_end >= \(start)
        """
    }

    /// Completed payments settled in the period inside a period a statement covers that no statement line claims:
    /// `n`, `amount`. The first, uncorrelated EXISTS is a one-time filter: with no statement imported at all the
    /// payments are not scanned (0.8 s of a report over a million payments).
    public static func settledMissingFromStatement(_ start: Date, _ end: Date) -> SQLQuery {
        """
        SELECT count(*) AS n, sum(coalesce(p.paid_amount, p.amount)) AS amount FROM payments p
        WHERE EXISTS (SELECT 1 FROM statement_imports)
            AND \(settledInPeriod(start, end))
            AND EXISTS (SELECT 1 FROM statement_imports i
                        WHERE coalesce(p.paid_at, p.created_at) BETWEEN i.period_start AND i.period_end)
            AND NOT EXISTS (SELECT 1 FROM statement_lines sl WHERE sl.payment_id = p.id)
        """
    }

    /// The Settled sheet's size alone: `n`, `amount` (an index-only scan; the breakdown's total row, without it).
    public static func settledTotal(_ start: Date, _ end: Date) -> SQLQuery {
        "SELECT count(*) AS n, sum(coalesce(p.paid_amount, p.amount)) AS amount FROM payments p WHERE \(settledInPeriod(start, end))"
    }

    /// Makes the report's transaction read-only (call first in a REPEATABLE READ transaction).
    public static func beginReadOnly(_ db: isolated PostgresConnection) throws(PostgresError) {
        try db.query("SET TRANSACTION READ ONLY")
    }

    /// Names the report transaction's snapshot, so a second connection can read the very same data
    /// (``useSnapshot(_:_:)``) while the first streams rows; valid while this transaction stays open.
    public static func exportSnapshot(_ db: isolated PostgresConnection) throws(PostgresError) -> String {
        guard let name = try db.query("SELECT pg_export_snapshot() AS name").first?.decode(String.self, "name") else {
            throw PostgresError(code: .decoding, message: "pg_export_snapshot returned no row")
        }
        return name
    }

    /// Makes this REPEATABLE READ transaction see the snapshot `name` of another, still open, transaction.
    /// Call before any query of the transaction.
    public static func useSnapshot(_ db: isolated PostgresConnection, _ name: String) throws(PostgresError) {
        // SET TRANSACTION takes no parameters: the name is checked to be what pg_export_snapshot makes
        // (hexadecimal digits and dashes) before it is spliced in.
        guard !name.isEmpty, name.utf8.allSatisfy({ $0 == UInt8(ascii: "-") || isHexDigit($0) }) else {
            throw PostgresError(code: .invalidText, message: "not a snapshot name")
        }
        try db.query(SQLQuery(unsafeSQL: "SET TRANSACTION SNAPSHOT '\(name)'", binds: []))
    }

    private static func isHexDigit(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) || (UInt8(ascii: "A")...UInt8(ascii: "F")).contains(byte)
            || (UInt8(ascii: "a")...UInt8(ascii: "f")).contains(byte)
    }
}
