/// Where a payment came from (`payments.source`).
public enum PaymentSource: String, Sendable, Codable, CaseIterable {
    /// An STK Push we sent: one request for the whole price.
    case stk
    /// A C2B confirmation: money the payer sent from the SIM menu; several may add up to the price (instalments).
    case c2b
    /// Pull Transactions found it and no callback delivered it; otherwise like `c2b`.
    case pull

    /// Whether several such payments for one learner and course add up instead of duplicating each other.
    public var isInstalment: Bool { self != .stk }
}
