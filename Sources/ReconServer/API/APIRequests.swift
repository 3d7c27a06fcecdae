import Foundation
import HTTPTypes
import ReconCore

// The API's request bodies. Each decodes into checked values or throws the answer that refuses it, field by field in
// the order the LMS has always been answered; a body that is not a JSON object never gets here
// (``APIRequestDecoder``). Fields are lenient as openapi.yaml says (ids as numbers or digit strings, amounts as
// numbers or decimal strings), but a boolean is never a number.

/// `POST /api/auth/login/`.
struct LoginRequest: Decodable {
    var email: String
    var password: String

    init(from decoder: any Decoder) throws {
        let body = try decoder.container(keyedBy: CodingKeys.self)
        guard let email = body.text(.email)?.trimmingSpaces(), !email.isEmpty,
            let password = body.text(.password), !password.isEmpty
        else {
            throw APIAnswer.fields(["email": [Self.required], "password": [Self.required]])
        }
        self.email = email
        self.password = password
    }

    static let required = "This field is required."

    enum CodingKeys: String, CodingKey {
        case email, password
    }
}

/// `POST /api/auth/refresh/` and `POST /api/auth/logout/`: a refresh token.
struct RefreshRequest: Decodable {
    var refresh: String

    init(from decoder: any Decoder) throws {
        let body = try decoder.container(keyedBy: CodingKeys.self)
        guard let refresh = body.text(.refresh), !refresh.isEmpty else {
            throw APIAnswer.fields(["refresh": [LoginRequest.required]])
        }
        self.refresh = refresh
    }

    enum CodingKeys: String, CodingKey {
        case refresh
    }
}

/// `POST /api/payments/initiate/`. The rules on the course, the amount and the texts are `PaymentInitiator`'s.
struct InitiateRequest: Decodable {
    var courseID: Int64
    var phone: MSISDN
    /// `nil`: the course price.
    var amount: Money?
    var accountReference: String?
    var transactionDesc: String?

    init(from decoder: any Decoder) throws {
        let body = try decoder.container(keyedBy: CodingKeys.self)
        courseID = try body.id(.courseID, else: .failure(.badRequest, "course_id is required"))
        let badPhone = APIAnswer.failure(.badRequest, "Invalid phone number: use the format 2547XXXXXXXX")
        guard let phoneText = body.text(.phone), let phone = try? MSISDN(parsing: phoneText) else { throw badPhone }
        self.phone = phone
        amount = try body.optionalMoney(.amount, else: .failure(.badRequest, "amount must be a number of KES"))
        let notText = APIAnswer.failure(.badRequest, "account_reference and transaction_desc must be text")
        accountReference = try body.optionalText(.accountReference, else: notText)
        transactionDesc = try body.optionalText(.transactionDesc, else: notText)
    }

    enum CodingKeys: String, CodingKey {
        case courseID = "course_id"
        case phone, amount
        case accountReference = "account_reference"
        case transactionDesc = "transaction_desc"
    }
}

/// `POST /api/payments/b2c/`: a refund proposal.
struct RefundProposal: Decodable {
    var paymentID: Int64
    var amount: Money
    var reason: String

    init(from decoder: any Decoder) throws {
        let body = try decoder.container(keyedBy: CodingKeys.self)
        paymentID = try body.id(.paymentID, else: .failure(.badRequest, "payment_id is required"))
        let noAmount = APIAnswer.failure(.badRequest, "amount is required: whole KES")
        guard let amount = try body.optionalMoney(.amount, else: noAmount) else { throw noAmount }
        self.amount = amount
        reason = try body.optionalText(.reason, else: .failure(.badRequest, "reason must be text")) ?? ""
    }

    enum CodingKeys: String, CodingKey {
        case paymentID = "payment_id"
        case amount, reason
    }
}

/// `POST /api/payments/b2c/{id}/approve/` and `…/reject/`.
struct RefundDecision: Decodable {
    var reason: String

    init(from decoder: any Decoder) throws {
        let body = try decoder.container(keyedBy: CodingKeys.self)
        reason = try body.optionalText(.reason, else: .failure(.badRequest, "reason must be text")) ?? ""
    }

    enum CodingKeys: String, CodingKey {
        case reason
    }
}

extension KeyedDecodingContainer {
    /// A text field, or `nil` when it is absent, null or not text.
    func text(_ key: Key) -> String? { try? decode(String.self, forKey: key) }

    /// A text field that may be absent or null (`nil`); anything but text is refused.
    func optionalText(_ key: Key, else refusal: APIAnswer) throws(APIAnswer) -> String? {
        if isAbsent(key) { return nil }
        guard let text = text(key) else { throw refusal }
        return text
    }

    /// An id field: a JSON integer or a string of digits.
    func id(_ key: Key, else refusal: APIAnswer) throws(APIAnswer) -> Int64 {
        if let text = text(key) {
            guard !text.isEmpty, text.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }), let id = Int64(text) else {
                throw refusal
            }
            return id
        }
        guard let id = try? decode(Int64.self, forKey: key) else { throw refusal }
        return id
    }

    /// An amount field that may be absent or null (`nil`): a JSON number or a decimal string of KES.
    func optionalMoney(_ key: Key, else refusal: APIAnswer) throws(APIAnswer) -> Money? {
        if isAbsent(key) { return nil }
        guard let literal = text(key) ?? (try? decode(Decimal.self, forKey: key))?.description,
            let money = try? Money.parse(literal)
        else { throw refusal }
        return money
    }

    func isAbsent(_ key: Key) -> Bool {
        !contains(key) || ((try? decodeNil(forKey: key)) ?? false)
    }
}
