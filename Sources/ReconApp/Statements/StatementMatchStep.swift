public import Foundation
public import ReconCore
public import ReconPostgres

/// What statement matching found and did.
public struct StatementMatchSummary: Sendable, Codable, Equatable {
    /// Lines tied to a payment or refund by receipt / TransactionID in this run.
    public var matched = 0
    /// Query-settled payments that got their receipt, phone and paid-at from the statement.
    public var receiptsFilled = 0
    /// Refunds that got their B2C charge as a fee.
    public var refundFees = 0
    /// Open findings by kind, as this run saw them.
    public var findings: [String: Int] = [:]
    /// The balance proof over every stored line: the statement's customer lines against our matched payments.
    public var totals = StatementTotals()
    /// Statement-only customer money (each unit a `statement_only` finding).
    public var statementOnlyAmount = Money.zero
    /// C2B money on the statement that we hold unallocated (each an `unallocated_payment` finding).
    public var unallocatedAmount = Money.zero
    /// Whether the statement's customer lines equal our matched payments plus statement-only and unallocated money,
    /// mismatches counted.
    public var customerLinesTieOut = true

    public init() {}
}

/// The statement step of reconcile: ties M-Pesa's statement lines to our payments and refunds, fills pending
/// receipts, and records each difference as a typed finding under a stable key (ARCHITECTURE.md §6.3).
public enum StatementMatchStep {
    /// Runs inside the caller's transaction.
    public static func run(_ db: isolated PostgresConnection, now: Date) throws -> StatementMatchSummary {
        var summary = StatementMatchSummary()
        // One matcher at a time: two runs must not fill one receipt twice.
        try StatementStore.lockForMatching(db)
        summary.matched = try StatementStore.linkByReceipt(db, now: now)

        // Receipts pending: the one line that fits, and only when exactly one does.
        let pending = try StatementStore.receiptPendingPayments(db)
        var unmatched = try StatementStore.unmatchedLines(db)
        var ambiguous = Set<String>()
        var ambiguousPayments = Set<Int64>()
        if !pending.isEmpty {
            // Payments that are not completed may own a line too: they compete, so a line one of them fits is
            // ambiguous rather than filled onto a completed payment it merely resembles.
            let paymentLines = unmatched.filter { $0.lineClass == .payment }
            let times = paymentLines.map(\.completedAt)
            let rivals =
                try times.min().map { first in
                    try StatementStore.receiptlessRivals(
                        db, from: first.addingTimeInterval(-ReceiptFillRules.windowAfter),
                        to: (times.max() ?? first).addingTimeInterval(ReceiptFillRules.windowBefore))
                } ?? []
            let decision = ReceiptFillRules.decide(
                payments: pending.map {
                    ReceiptFillRules.Payment(
                        id: $0.id, amount: $0.amount, phone: $0.phone, accountReference: "COURSE\($0.courseID)",
                        createdAt: $0.createdAt)
                },
                lines: unmatched.filter { $0.lineClass == .payment }.map {
                    ReceiptFillRules.Line(
                        id: $0.id, receipt: $0.receipt, amount: $0.amount, completedAt: $0.completedAt,
                        party: StatementParty(identifier: $0.partyIdentifier, name: nil),
                        accountNumber: $0.accountNumber)
                },
                rivals: rivals.map {
                    ReceiptFillRules.Payment(
                        id: $0.id, amount: $0.amount, phone: $0.phone, accountReference: "COURSE\($0.courseID)",
                        createdAt: $0.createdAt)
                })
            let byID = Dictionary(unmatched.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
            for (paymentID, line) in decision.fills.sorted(by: { $0.key < $1.key }) {
                guard let stored = byID[line.id] else { continue }
                if try StatementStore.fillReceipt(db, paymentID: paymentID, line: stored, now: now) {
                    summary.receiptsFilled += 1
                }
            }
            ambiguous.formUnion(decision.ambiguousLines.keys)
            ambiguous.formUnion(decision.ambiguousPayments.values.joined())
            ambiguousPayments.formUnion(decision.ambiguousLines.values.joined())
            ambiguousPayments.formUnion(decision.ambiguousPayments.keys)
            for (receipt, paymentIDs) in decision.ambiguousLines.sorted(by: { $0.key < $1.key }) {
                try record(
                    db, FindingKey.receipt(.ambiguousStatementLine, receipt), &summary, now: now,
                    detail: ["receipt": receipt, "payments": paymentIDs.map(String.init).joined(separator: ",")])
            }
            for (paymentID, receipts) in decision.ambiguousPayments.sorted(by: { $0.key < $1.key }) {
                try record(
                    db, FindingKey.payment(.ambiguousStatementLine, paymentID), &summary, paymentID: paymentID,
                    now: now, detail: ["receipts": receipts.joined(separator: ",")])
            }
            if summary.receiptsFilled > 0 { unmatched = try StatementStore.unmatchedLines(db) }
        }
        summary.refundFees = try StatementStore.recordRefundFees(db, now: now)

        // C2B money we hold as unallocated (or held for an STK receipt) is explained by its own finding.
        let c2b = try C2BStore.unplacedReceipts(db, among: unmatched.map(\.receipt))
        for line in unmatched where c2b.contains(line.receipt) && line.lineClass == .payment {
            summary.unallocatedAmount = try sum(summary.unallocatedAmount, line.amount)
        }
        // Money on the statement that no payment or refund of ours accounts for, except lines already in an
        // ambiguity finding (a person decides those).
        for line in unmatched where !ambiguous.contains(line.receipt) && !c2b.contains(line.receipt) {
            if line.lineClass == .payment {
                summary.statementOnlyAmount = try sum(summary.statementOnlyAmount, line.amount)
            }
            try record(
                db, FindingKey.receipt(.statementOnly, line.receipt), &summary, received: line.amount, now: now,
                detail: ["receipt": line.receipt, "class": line.lineClass.rawValue])
        }
        var mismatchDelta = Money.zero
        for mismatch in try StatementStore.amountMismatches(db) {
            if mismatch.paymentID != nil {
                mismatchDelta = try sum(mismatchDelta, try difference(mismatch.statement, mismatch.ours))
            }
            try record(
                db, FindingKey.receipt(.statementAmountMismatch, mismatch.receipt), &summary,
                paymentID: mismatch.paymentID, expected: mismatch.ours, received: mismatch.statement, now: now,
                detail: ["receipt": mismatch.receipt, "refund": mismatch.refundID.map(String.init) ?? ""])
        }
        // A payment in an ambiguity has a line that fits it: not missing, undecided.
        for missing in try StatementStore.paymentsMissingFromStatement(db)
        where !ambiguousPayments.contains(missing.paymentID) {
            try record(
                db, FindingKey.payment(.missingFromStatement, missing.paymentID), &summary,
                paymentID: missing.paymentID, expected: missing.amount, now: now, detail: [:])
        }
        for missing in try StatementStore.refundsMissingFromStatement(db) {
            try record(
                db, FindingKey(.refundMissingFromStatement, .refund(missing.refundID)), &summary,
                paymentID: missing.paymentID, expected: missing.amount, now: now,
                detail: ["refund": String(missing.refundID)])
        }
        _ = try StatementStore.resolveGone(db, stamp: now, now: now)

        summary.totals = try StatementStore.totals(db)
        // Statement customer money = what our matched payments say + each mismatch's difference + statement-only.
        var explained = try sum(
            try sum(try sum(summary.totals.oursMatched, mismatchDelta), summary.statementOnlyAmount),
            summary.unallocatedAmount)
        for line in unmatched where ambiguous.contains(line.receipt) && line.lineClass == .payment {
            explained = try sum(explained, line.amount)
        }
        summary.customerLinesTieOut = explained == summary.totals.customerPaidIn
        return summary
    }

    /// Sums never wrap or vanish: an amount beyond 64 bits stops the step with an error.
    private static func sum(_ a: Money, _ b: Money) throws -> Money {
        guard let total = a.adding(b) else { throw StatementMatchError.overflow }
        return total
    }

    private static func difference(_ a: Money, _ b: Money) throws -> Money {
        guard let result = a.subtracting(b) else { throw StatementMatchError.overflow }
        return result
    }

    private static func record(
        _ db: isolated PostgresConnection, _ key: FindingKey, _ summary: inout StatementMatchSummary,
        paymentID: Int64? = nil, expected: Money? = nil, received: Money? = nil, now: Date, detail: [String: String]
    ) throws {
        try ExceptionStore.record(
            db, key: key, paymentID: paymentID, expected: expected, received: received, detail: detail, now: now)
        summary.findings[key.kind.rawValue, default: 0] += 1
    }
}

/// A statement total that does not fit in 64 bits of minor units.
enum StatementMatchError: Error, CustomStringConvertible {
    case overflow

    var description: String { "a statement amount total does not fit in 64 bits" }
}
