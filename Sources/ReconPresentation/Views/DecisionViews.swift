public import Foundation
public import ReconApp
import ReconCore
public import ReconPostgres

/// An exception as people and machines see it.
public struct ExceptionView: Sendable, Encodable, Equatable {
    public var id: Int64
    public var kind: String
    public var status: String
    public var paymentID: Int64?
    public var enrollmentID: Int64?
    public var expectedAmount: String?
    public var receivedAmount: String?
    /// The finding in words.
    public var summary: String
    /// The stored detail object.
    public var detail: [String: String]
    public var resolution: String?
    public var resolvedBy: String?
    public var firstSeen: Date
    public var lastSeen: Date
    public var resolvedAt: Date?

    /// The view of a stored exception.
    public init(_ record: ExceptionRecord) {
        id = record.id
        kind = record.kind
        status = record.status
        paymentID = record.paymentID
        enrollmentID = record.enrollmentID
        expectedAmount = record.expected?.decimalString
        receivedAmount = record.received?.decimalString
        let object = (try? JSONSerialization.jsonObject(with: Data(record.detailJSON.utf8))) as? [String: Any] ?? [:]
        detail = object.mapValues { "\($0)" }
        var words = (object["detail"] as? String) ?? (object["summary"] as? String) ?? ""
        if words.isEmpty {
            words = object.keys.sorted().map { "\($0): \(object[$0].map { "\($0)" } ?? "")" }.joined(separator: "; ")
        }
        if let expected = record.expected, let received = record.received {
            words =
                "expected \(Display.amount(expected)), received \(Display.amount(received))"
                + (words.isEmpty ? "" : "; " + words)
        }
        summary = words.isEmpty ? record.kind.replacingOccurrences(of: "_", with: " ") : words
        resolution = record.resolution
        resolvedBy = record.resolvedBy
        firstSeen = record.firstSeen
        lastSeen = record.lastSeen
        resolvedAt = record.resolvedAt
    }
}

/// Exceptions as a table fitted to 80 columns (`--wide`: whole cells), or a JSON array.
public struct ExceptionListView: JSONValueView {
    public var exceptions: [ExceptionView]
    /// Whole cells, however wide.
    public var wide: Bool

    /// A list.
    public init(exceptions: [ExceptionView], wide: Bool = false) {
        self.exceptions = exceptions
        self.wide = wide
    }

    /// The table, or `no exceptions`.
    public var text: String {
        guard !exceptions.isEmpty else { return "no exceptions" }
        return TextTable(
            header: ["ID", "KIND", "STATUS", "PAYMENT", "FIRST SEEN", "FINDING"],
            rows: exceptions.map {
                [
                    String($0.id), $0.kind, $0.status, $0.paymentID.map(String.init) ?? "-",
                    Display.time($0.firstSeen), $0.summary,
                ]
            }
        ).render(fittingIn: wide ? nil : 80, shrinkable: [1, 5])
    }

    /// The JSON: the bare array.
    public var jsonValue: [ExceptionView] { exceptions }
}

/// One exception with everything about it.
public struct ExceptionDetailView: JSONValueView {
    public var exception: ExceptionView

    /// The view of one exception.
    public init(exception: ExceptionView) {
        self.exception = exception
    }

    /// Several lines.
    public var text: String {
        let x = exception
        var lines = ["exception \(x.id): \(x.kind), \(x.status)", "  finding: \(x.summary)"]
        if let payment = x.paymentID { lines.append("  payment \(payment)") }
        if let enrollment = x.enrollmentID { lines.append("  enrollment \(enrollment)") }
        lines.append("  first seen \(Display.time(x.firstSeen)), last seen \(Display.time(x.lastSeen))")
        for key in x.detail.keys.sorted() { lines.append("  \(key): \(x.detail[key] ?? "")") }
        if let at = x.resolvedAt {
            lines.append("  resolved \(Display.time(at)) by \(x.resolvedBy ?? "reconcile"): \(x.resolution ?? "")")
        }
        return lines.joined(separator: "\n")
    }

    /// The JSON: the exception itself.
    public var jsonValue: ExceptionView { exception }
}

/// A payment as people and machines see it; the phone is masked.
public struct PaymentView: Sendable, Encodable, Equatable {
    public var id: Int64
    public var status: String
    public var amount: String
    public var paidAmount: String?
    public var receipt: String?
    public var checkoutRequestID: String?
    public var settledVia: String?
    public var resultCode: String?
    public var resultDescription: String?
    public var lastAnswer: String?
    public var learner: String?
    public var learnerEmail: String?
    public var course: String?
    public var phone: String
    public var createdAt: Date
    public var paidAt: Date?
    public var updatedAt: Date

    /// The view of a payment.
    public init(_ overview: PaymentOverview) {
        let record = overview.record
        let state = record.state
        id = record.id
        status = state.status.rawValue
        amount = state.amount.decimalString
        paidAmount = state.paidAmount?.decimalString
        receipt = state.receipt
        checkoutRequestID = record.checkoutRequestID
        settledVia = state.settledVia?.rawValue
        resultCode = state.resultCode
        resultDescription = state.resultDescription
        lastAnswer = overview.lastAnswer
        learner = overview.learnerName
        learnerEmail = overview.learnerEmail
        course = overview.courseTitle
        phone = MSISDN.mask(record.phone)
        createdAt = overview.createdAt
        paidAt = state.paidAt
        updatedAt = record.updatedAt
        amountMoney = state.amount
    }

    /// The amount as money, for the table's thousands separators.
    var amountMoney: Money

    enum CodingKeys: String, CodingKey {
        case id, status, amount, paidAmount, receipt, checkoutRequestID, settledVia, resultCode, resultDescription
        case lastAnswer, learner, learnerEmail, course, phone, createdAt, paidAt, updatedAt
    }
}

/// Payments as a table fitted to 80 columns (`--wide`: whole cells), or a JSON array.
public struct PaymentListView: JSONValueView {
    public var payments: [PaymentView]
    /// Whole cells, however wide.
    public var wide: Bool

    /// A list.
    public init(payments: [PaymentView], wide: Bool = false) {
        self.payments = payments
        self.wide = wide
    }

    /// The table, or `no payments`.
    public var text: String {
        guard !payments.isEmpty else { return "no payments" }
        return TextTable(
            header: ["ID", "STATUS", "AMOUNT KES", "RECEIPT", "CREATED", "LEARNER", "COURSE"],
            rows: payments.map {
                [
                    String($0.id), $0.status, Display.amount($0.amountMoney), $0.receipt ?? "-",
                    Display.time($0.createdAt), $0.learner ?? $0.learnerEmail ?? "-", $0.course ?? "-",
                ]
            }
        ).render(fittingIn: wide ? nil : 80, shrinkable: [5, 6])
    }

    /// The JSON: the bare array.
    public var jsonValue: [PaymentView] { payments }
}

/// One payment with everything about it.
public struct PaymentDetailView: JSONValueView {
    public var payment: PaymentView

    /// The view of one payment.
    public init(payment: PaymentView) {
        self.payment = payment
    }

    /// Several lines.
    public var text: String {
        let p = payment
        var lines = [
            "payment \(p.id): \(p.status), KES \(Display.amount(p.amountMoney)) from \(p.phone)",
            "  learner: \(p.learner ?? "-") <\(p.learnerEmail ?? "-")>, course: \(p.course ?? "-")",
            "  created \(Display.time(p.createdAt)), updated \(Display.time(p.updatedAt))",
        ]
        if let checkout = p.checkoutRequestID { lines.append("  CheckoutRequestID \(checkout)") }
        if let receipt = p.receipt { lines.append("  M-Pesa receipt \(receipt)") }
        if let paidAt = p.paidAt { lines.append("  paid \(Display.time(paidAt))") }
        if let paid = p.paidAmount, paid != p.amount { lines.append("  M-Pesa reported \(paid) paid") }
        if let via = p.settledVia { lines.append("  settled via \(via)") }
        if let code = p.resultCode { lines.append("  result \(code) \(p.resultDescription ?? "")") }
        if let last = p.lastAnswer { lines.append("  last answer: \(last)") }
        if p.status == "unknown" {
            lines.append("  needs a person: payments decide \(p.id) --paid RECEIPT | --not-paid --by NAME (two admins)")
        }
        return lines.joined(separator: "\n")
    }

    /// The JSON: the payment itself.
    public var jsonValue: PaymentView { payment }
}

/// What `payments decide` did.
public struct PaymentDecisionView: Presentable {
    public var decided: DecisionDesk.Decided

    /// The view of a decision.
    public init(decided: DecisionDesk.Decided) {
        self.decided = decided
    }

    /// One line.
    public var text: String {
        let verdict = decided.verdict.receipt.map { "paid (receipt \($0))" } ?? "not paid"
        switch decided.outcome {
        case "applied":
            return
                "payment \(decided.paymentID): \(verdict) confirmed by a second admin; now \(decided.status.rawValue)"
        case "replaced":
            return "payment \(decided.paymentID): \(verdict) replaces the open proposal; a different admin must confirm"
        default:
            return "payment \(decided.paymentID): \(verdict) proposed; a different admin must confirm the same decision"
        }
    }

    enum CodingKeys: String, CodingKey {
        case outcome, paymentID, verdict, receipt, status
    }

    /// `{"outcome", "payment_id", "verdict", "receipt", "status"}`.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(decided.outcome, forKey: .outcome)
        try container.encode(decided.paymentID, forKey: .paymentID)
        try container.encode(decided.verdict.name, forKey: .verdict)
        try container.encodeIfPresent(decided.verdict.receipt, forKey: .receipt)
        try container.encode(decided.status.rawValue, forKey: .status)
    }
}
