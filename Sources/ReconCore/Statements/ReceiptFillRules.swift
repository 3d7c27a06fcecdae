public import Foundation

/// Decides which statement line gives a query-settled payment its receipt: the line must fit by amount, phone (the
/// statement's masked digits compatible with the payment's), account reference (when the line has one) and time
/// window, and the pairing must be the only one either side has. Pure: values in, decisions out.
public enum ReceiptFillRules {
    /// A payment waiting for its receipt.
    public struct Payment: Sendable, Equatable {
        public var id: Int64
        public var amount: Money
        public var phone: String
        public var accountReference: String
        public var createdAt: Date

        public init(id: Int64, amount: Money, phone: String, accountReference: String, createdAt: Date) {
            self.id = id
            self.amount = amount
            self.phone = phone
            self.accountReference = accountReference
            self.createdAt = createdAt
        }
    }

    /// An unclaimed customer line.
    public struct Line: Sendable, Equatable {
        public var id: Int64
        public var receipt: String
        public var amount: Money
        public var completedAt: Date
        public var party: StatementParty
        public var accountNumber: String?

        public init(
            id: Int64, receipt: String, amount: Money, completedAt: Date, party: StatementParty, accountNumber: String?
        ) {
            self.id = id
            self.receipt = receipt
            self.amount = amount
            self.completedAt = completedAt
            self.party = party
            self.accountNumber = accountNumber
        }
    }

    /// The outcome.
    public struct Decision: Sendable, Equatable {
        /// Payment id → the line that fills it.
        public var fills: [Int64: Line] = [:]
        /// Lines that several payments fit (receipt → those payments' ids).
        public var ambiguousLines: [String: [Int64]] = [:]
        /// Payments that several lines fit (payment id → those lines' receipts).
        public var ambiguousPayments: [Int64: [String]] = [:]

        public init() {}
    }

    /// How long before a payment's creation (clock skew) and after it (the customer's PIN, M-Pesa's queue) its line
    /// may be completed.
    public static let windowBefore: TimeInterval = 120
    public static let windowAfter: TimeInterval = 1800

    /// Whether `line` fits `payment`.
    public static func fits(_ line: Line, _ payment: Payment) -> Bool {
        guard line.amount == payment.amount, line.party.isCompatible(withPhone: payment.phone) else { return false }
        if let account = line.accountNumber, !account.isEmpty,
            normalize(account) != normalize(payment.accountReference)
        {
            return false
        }
        let offset = line.completedAt.timeIntervalSince(payment.createdAt)
        return offset >= -windowBefore && offset <= windowAfter
    }

    static func normalize(_ text: String) -> String {
        String(text.uppercased().filter { $0.isLetter || $0.isNumber })
    }

    /// Pairs payments with lines: only a payment with exactly one fitting line, which fits no other payment.
    ///
    /// `rivals` are payments that are never filled here (pending, unknown or failed, without a receipt) but may
    /// own a line all the same: a line one of them fits is ambiguous, never given to another payment.
    public static func decide(payments: [Payment], lines: [Line], rivals: [Payment] = []) -> Decision {
        var decision = Decision()
        // Lines sorted by time so the window is a range scan, not every pair.
        let sorted = lines.sorted { $0.completedAt < $1.completedAt }
        var linesOf: [Int64: [Line]] = [:]
        var paymentsOf: [String: [Int64]] = [:]
        let fillable = Set(payments.map(\.id))
        for payment in payments + rivals {
            let earliest = payment.createdAt.addingTimeInterval(-windowBefore)
            var low = 0
            var high = sorted.count
            while low < high {
                let mid = (low + high) / 2
                if sorted[mid].completedAt < earliest { low = mid + 1 } else { high = mid }
            }
            var index = low
            let latest = payment.createdAt.addingTimeInterval(windowAfter)
            while index < sorted.count, sorted[index].completedAt <= latest {
                let line = sorted[index]
                if fits(line, payment) {
                    if fillable.contains(payment.id) { linesOf[payment.id, default: []].append(line) }
                    paymentsOf[line.receipt, default: []].append(payment.id)
                }
                index += 1
            }
        }
        for payment in payments {
            guard let fitting = linesOf[payment.id] else { continue }
            if fitting.count > 1 {
                decision.ambiguousPayments[payment.id] = fitting.map(\.receipt)
                continue
            }
            guard let line = fitting.first else { continue }
            if let claimants = paymentsOf[line.receipt], claimants.count > 1 {
                decision.ambiguousLines[line.receipt] = claimants
                continue
            }
            decision.fills[payment.id] = line
        }
        return decision
    }
}
