public import DarajaSimulator
import Foundation
public import ReconPostgres

/// Compares the database with the simulator's ledger of what really happened (ARCHITECTURE.md §10).
public struct LedgerCheck: Sendable, Codable, Equatable {
    /// The ledger's STK transactions against our payments.
    public struct Payments: Sendable, Codable, Equatable {
        /// STK transactions in the ledger.
        public var transactions = 0
        /// Payments whose state, receipt and amount match the ledger.
        public var matching = 0
        /// Completed payments whose receipt is still pending (allowed only where the callback was lost).
        public var receiptsPending = 0
        /// Payments still pending.
        public var stillPending = 0
    }

    /// The ledger's B2C payouts against our refunds.
    public struct Payouts: Sendable, Codable, Equatable {
        /// Payouts M-Pesa really made.
        public var made = 0
        /// Of those, the ones no refund row explains or that paid one refund twice.
        public var refundsPaidTwice = 0
    }

    public var payments = Payments()
    public var payouts = Payouts()
    /// Every difference found, one line each (no phone numbers).
    public var mismatches: [String] = []

    /// Checks payments, enrollments and refunds against the ledger.
    public static func compare(_ db: PostgresConnection, ledger: Ledger) async throws -> LedgerCheck {
        try await db.run { db in try compare(db, ledger: ledger) }
    }

    static func compare(_ db: isolated PostgresConnection, ledger: Ledger) throws -> LedgerCheck {
        var check = LedgerCheck()
        check.payments.transactions = ledger.stk.count
        var rows: [String: PaymentOutcome] = [:]
        for outcome in try OutcomeStore.paymentOutcomes(db) { rows[outcome.checkoutRequestID] = outcome }
        let enrolled = Set(try OutcomeStore.activeEnrollments(db).map { "\($0.userID)/\($0.courseID)" })
        var paidCourses: Set<String> = []
        for transaction in ledger.stk {
            let id = transaction.checkoutRequestID
            guard let row = rows.removeValue(forKey: id) else {
                check.mismatches.append("\(id): in the ledger (\(transaction.outcome.rawValue)) but not in payments")
                continue
            }
            let expected: Set<String>
            switch transaction.outcome {
            case .paid: expected = ["completed"]
            case .cancelled, .noResponse, .insufficientFunds, .wrongPin: expected = ["failed"]
            case .undocumentedCode: expected = ["unknown"]
            case .neverResolves: expected = ["pending", "unknown"]
            }
            if row.status == "pending" { check.payments.stillPending += 1 }
            guard expected.contains(row.status) else {
                check.mismatches.append("\(id): \(row.status), but the ledger says \(transaction.outcome.rawValue)")
                continue
            }
            if transaction.outcome == .paid {
                paidCourses.insert("\(row.userID)/\(row.courseID)")
                if row.receipt == nil {
                    check.payments.receiptsPending += 1
                    guard transaction.delivery == .lost else {
                        check.mismatches.append("\(id): receipt pending although its callback was delivered")
                        continue
                    }
                } else if row.receipt != transaction.receipt {
                    check.mismatches.append(
                        "\(id): receipt \(row.receipt ?? "-") but the ledger has \(transaction.receipt ?? "-")")
                    continue
                }
                if let paid = row.paidAmount, paid != "\(transaction.reportedAmount).00" {
                    check.mismatches.append(
                        "\(id): paid amount \(paid) but the ledger has \(transaction.reportedAmount)")
                    continue
                }
                guard enrolled.contains("\(row.userID)/\(row.courseID)") else {
                    check.mismatches.append("\(id): paid but the learner is not enrolled")
                    continue
                }
            }
            check.payments.matching += 1
        }
        for id in rows.keys.sorted() { check.mismatches.append("\(id): in payments but not in the ledger") }

        // Refunds: every payout M-Pesa made is explained by exactly one refund row, and each refund paid once.
        var refunds: [String: String] = [:]
        for outcome in try OutcomeStore.payoutOutcomes(db) {
            refunds[outcome.originatorConversationID] = outcome.status
        }
        for payout in ledger.payouts where payout.paid {
            check.payouts.made += 1
            guard let status = refunds[payout.originatorConversationID] else {
                check.payouts.refundsPaidTwice += 1
                check.mismatches.append("payout \(payout.originatorConversationID): no refund row explains it")
                continue
            }
            if status != "succeeded" && status != "sent" && status != "sending" {
                check.mismatches.append("payout \(payout.originatorConversationID): paid, but the refund is \(status)")
            }
        }
        let paidIDs = Set(ledger.payouts.filter(\.paid).map(\.originatorConversationID))
        for (id, status) in refunds where status == "succeeded" && !paidIDs.contains(id) {
            check.mismatches.append("refund \(id): succeeded, but M-Pesa paid nothing")
        }
        return check
    }
}
