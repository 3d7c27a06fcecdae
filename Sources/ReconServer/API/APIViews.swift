import Foundation
import ReconCore
import ReconPostgres

// The API's answers about payments and refunds, in the shapes openapi.yaml documents (keys in snake_case, sorted;
// absent values as null where the document has them nullable).

/// `POST /api/payments/initiate/` when M-Pesa accepted the push.
struct InitiateStarted: Encodable, Sendable {
    let success = true
    let message = "STK Push initiated successfully"
    @NullEncoded var checkoutRequestID: String?
    @NullEncoded var merchantRequestID: String?
    var paymentID: Int64
}

/// `GET /api/payments/{id}/status/`.
struct PaymentStatusView: Encodable, Sendable {
    var id: Int64
    @NullEncoded var checkoutRequestID: String?
    var amount: String
    var status: String
    var phone: String
    @NullEncoded var mpesaReceipt: String?
    var createdAt: String

    init(_ payment: PaymentListing, for account: Account) {
        id = payment.id
        checkoutRequestID = Self.checkout(payment, for: account)
        amount = payment.amount.decimalString
        status = payment.status.rawValue
        phone = Self.phone(payment, for: account)
        mpesaReceipt = payment.receipt
        createdAt = APIAnswer.time(payment.createdAt)
    }

    /// Phones: the owner sees their own number and admins see every number; finance sees them masked.
    static func phone(_ payment: PaymentListing, for account: Account) -> String {
        seesNumbers(payment, account) ? payment.phone : MSISDN.mask(payment.phone)
    }

    /// A CheckoutRequestID ends with the payer's number: masked exactly where the phone is.
    static func checkout(_ payment: PaymentListing, for account: Account) -> String? {
        guard let id = payment.checkoutRequestID else { return nil }
        return seesNumbers(payment, account) ? id : MSISDN.maskIdentifier(id)
    }

    static func seesNumbers(_ payment: PaymentListing, _ account: Account) -> Bool {
        account.isAdmin || payment.userID == account.id
    }
}

/// A row of `GET /api/payments/my/`.
struct MyPaymentRow: Encodable, Sendable {
    var id: Int64
    var course: String
    var amount: String
    var status: String
    var createdAt: String

    init(_ payment: PaymentListing) {
        id = payment.id
        course = payment.courseTitle
        amount = payment.amount.decimalString
        status = payment.status.rawValue
        createdAt = APIAnswer.time(payment.createdAt)
    }
}

/// A page of `GET /api/payments/admin/`, as DRF's page-number pagination answers it.
struct AdminPaymentPage: Encodable, Sendable {
    var count: Int
    @NullEncoded var next: String?
    @NullEncoded var previous: String?
    var results: [Row]

    /// One payment, its number masked for viewers who see numbers masked.
    struct Row: Encodable, Sendable {
        var id: Int64
        var userID: Int64
        var userEmail: String
        var courseID: Int64
        var course: String
        var amount: String
        var status: String
        var phone: String
        @NullEncoded var mpesaReceipt: String?
        @NullEncoded var checkoutRequestID: String?
        var createdAt: String
        @NullEncoded var paidAt: String?

        init(_ payment: PaymentListing, for account: Account) {
            id = payment.id
            userID = payment.userID
            userEmail = payment.userEmail
            courseID = payment.courseID
            course = payment.courseTitle
            amount = payment.amount.decimalString
            status = payment.status.rawValue
            phone = PaymentStatusView.phone(payment, for: account)
            mpesaReceipt = payment.receipt
            checkoutRequestID = PaymentStatusView.checkout(payment, for: account)
            createdAt = APIAnswer.time(payment.createdAt)
            paidAt = payment.paidAt.map(APIAnswer.time)
        }
    }
}

/// `POST /api/payments/b2c/` and the decisions on a refund.
struct RefundAnswer: Encodable, Sendable {
    let success = true
    var refundID: Int64
    var status: String
    var message: String
}
