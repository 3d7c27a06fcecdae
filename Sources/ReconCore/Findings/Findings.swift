/// The kinds of `reconciliation_exceptions` (the schema's list).
///
/// Adding a kind is one case here plus one migration line that widens the table's CHECK; the compiler then points
/// at every `switch` that must say how the new kind behaves.
public enum ExceptionKind: String, Sendable, Codable, CaseIterable {
    case paidNotEnrolled = "paid_not_enrolled"
    case enrolledNotPaid = "enrolled_not_paid"
    case duplicatePayment = "duplicate_payment"
    case underpaid
    case overpaid
    case receiptConflict = "receipt_conflict"
    /// A success callback reported another amount than the one pushed: the payment is held (not completed, nobody
    /// enrolled) until Daraja confirms it or a person decides; the callback's amount is never used as money.
    case amountMismatch = "amount_mismatch"
    case lateSuccess = "late_success"
    case unresolved
    case unmatchedCallback = "unmatched_callback"
    case callbackConflict = "callback_conflict"
    /// Money on M-Pesa's statement that no payment (or refund) of ours accounts for.
    case statementOnly = "statement_only"
    /// A completed payment inside a period a statement covers, absent from that statement.
    case missingFromStatement = "missing_from_statement"
    /// A statement line and the payment or refund it belongs to disagree on the amount.
    case statementAmountMismatch = "statement_amount_mismatch"
    /// A refund M-Pesa confirmed inside a covered period, absent from the statement.
    case refundMissingFromStatement = "refund_missing_from_statement"
    /// Several payments fit one statement line (or several lines one payment): a person decides.
    case ambiguousStatementLine = "ambiguous_statement_line"
    /// C2B money (a confirmation or Pull) that no reference or number places with a learner and course: an admin
    /// allocates it or proposes its refund.
    case unallocatedPayment = "unallocated_payment"
    /// Time on a shortcode that no Pull vouched for, about to leave (or already out of) Daraja's 48 hours.
    case coverageGap = "coverage_gap"

    /// Whether reconcile resolves the finding by itself once it no longer holds.
    ///
    /// Receipt conflicts, amount mismatches and late successes record something that happened; it stays true, so
    /// only a person closes them. Callback conflicts belong to the callback processor.
    public var resolvesWhenGone: Bool {
        switch self {
        case .paidNotEnrolled, .enrolledNotPaid, .duplicatePayment, .underpaid, .overpaid, .unresolved,
            .unmatchedCallback:
            true
        case .receiptConflict, .amountMismatch, .lateSuccess, .callbackConflict:
            false
        // The statement step resolves its own findings (a later callback, a later statement can explain them).
        case .statementOnly, .missingFromStatement, .statementAmountMismatch, .refundMissingFromStatement,
            .ambiguousStatementLine:
            false
        // The C2B applier and the pull step own theirs (an allocation, a later pull resolve them).
        case .unallocatedPayment, .coverageGap:
            false
        }
    }
}

/// The stable key of a finding: its kind and what it is about. The same fact always gets the same key, so
/// re-running a job never duplicates a finding; the kind travels inside the key, so the two cannot disagree.
public struct FindingKey: Sendable, Hashable, CustomStringConvertible {
    /// What a finding is about.
    public enum Subject: Sendable, Hashable {
        /// A payment.
        case payment(Int64)
        /// An enrollment.
        case enrollment(Int64)
        /// A stored callback that reconcile looked at.
        case callback(Int64)
        /// A stored callback that the callback processor could not apply.
        case inbox(Int64)
        /// An M-Pesa receipt number.
        case receipt(String)
        /// A refund; `qualifier` tells two findings of one kind about the same refund apart.
        case refund(Int64, qualifier: String? = nil)
        /// A shortcode's uncovered time starting at `since` (Unix seconds).
        case shortcode(String, since: Int64)

        /// The subject's word in the key.
        public var name: String {
            switch self {
            case .payment: "payment"
            case .enrollment: "enrollment"
            case .callback: "callback"
            case .inbox: "inbox"
            case .receipt: "receipt"
            case .refund: "refund"
            case .shortcode: "shortcode"
            }
        }

        var identity: String {
            switch self {
            case .payment(let id), .enrollment(let id), .callback(let id), .inbox(let id): String(id)
            case .receipt(let receipt): receipt
            case .refund(let id, let qualifier): qualifier.map { "\(id):\($0)" } ?? String(id)
            case .shortcode(let code, let since): "\(code)@\(since)"
            }
        }
    }

    /// The finding's kind.
    public let kind: ExceptionKind
    /// What it is about.
    public let subject: Subject

    /// A key.
    public init(_ kind: ExceptionKind, _ subject: Subject) {
        self.kind = kind
        self.subject = subject
    }

    /// A finding about a payment.
    public static func payment(_ kind: ExceptionKind, _ id: Int64) -> FindingKey { FindingKey(kind, .payment(id)) }
    /// A finding about an enrollment.
    public static func enrollment(_ kind: ExceptionKind, _ id: Int64) -> FindingKey {
        FindingKey(kind, .enrollment(id))
    }
    /// A finding about a stored callback.
    public static func callback(_ kind: ExceptionKind, _ id: Int64) -> FindingKey { FindingKey(kind, .callback(id)) }
    /// A finding about an M-Pesa receipt.
    public static func receipt(_ kind: ExceptionKind, _ receipt: String) -> FindingKey {
        FindingKey(kind, .receipt(receipt))
    }

    /// The key as stored in `reconciliation_exceptions.key`, e.g. `unresolved:payment:42`.
    public var rawValue: String { "\(kind.rawValue):\(subject.name):\(subject.identity)" }

    public var description: String { rawValue }

    /// The prefix every key of this kind about this sort of subject starts with, for `LIKE 'prefix%'`.
    public static func prefix(_ kind: ExceptionKind, _ subject: Subject) -> String {
        "\(kind.rawValue):\(subject.name):"
    }
}
