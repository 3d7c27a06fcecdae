// The console's forms as the browser posts them (`application/x-www-form-urlencoded`, decoded by Hummingbird's
// URLEncodedFormDecoder through ConsoleRequestContext). Every field is optional: an absent field is the handler's
// to refuse with a banner, as an empty one is.

/// The CSRF token every signed-in form carries; ``ConsoleCSRFMiddleware`` reads it before any handler runs.
struct CSRFForm: Decodable {
    var csrfToken: String?

    enum CodingKeys: String, CodingKey {
        case csrfToken = "csrf_token"
    }
}

/// `POST /console/login`; `csrf_token` matches the sign-in page's own cookie.
struct LoginForm: Decodable {
    var csrfToken: String?
    var email: String?
    var password: String?
    var next: String?

    enum CodingKeys: String, CodingKey {
        case csrfToken = "csrf_token"
        case email, password, next
    }
}

/// `POST /console/payments/:id/decide`: `paid` (with the receipt) or `not_paid`.
struct DecisionForm: Decodable {
    var verdict: String?
    var receipt: String?
}

/// `POST /console/refunds`: a refund proposal.
struct RefundProposalForm: Decodable {
    var paymentID: String?
    var amount: String?
    var reason: String?

    enum CodingKeys: String, CodingKey {
        case paymentID = "payment_id"
        case amount, reason
    }
}

/// `POST /console/refunds/:id/{approve,reject,cancel}`.
struct RefundDecisionForm: Decodable {
    var reason: String?
}

/// `POST /console/exceptions/:id/resolve`.
struct ResolutionForm: Decodable {
    var note: String?
}

/// `POST /console/reports`: a period, and `unmasked=1` for full phone numbers (admins only).
struct ReportRequestForm: Decodable {
    var from: String?
    var to: String?
    var unmasked: String?
}
