import Foundation
import HTTPTypes
import Hummingbird
import Logging
import ReconCore
import ReconIdentity
import ReconJobs
import ReconPostgres

extension PaymentsAPI {
    // MARK: Initiate

    func initiate(_ request: Request) async -> Response {
        let account: Account
        switch await authenticate(request) {
        case .failure(let response): return response
        case .success(let found): account = found
        }
        guard let (bytes, body) = await Self.body(request) else { return Self.badJSON }
        let key = request.headers[HTTPField.Name("Idempotency-Key") ?? .contentType]?.trimmingSpaces()
        guard let key, !key.isEmpty else {
            return await startPayment(account: account, body: body)
        }
        guard key.count <= 255 else { return APIResponse.failure(.badRequest, "Idempotency-Key is too long") }
        let hash = sha256Hex(bytes)
        do {
            let claim = try await pool.withConnection { db in
                try await db.run { db throws(PostgresError) in
                    try IdempotencyStore.claim(
                        db, userID: account.id, key: key, route: "payments.initiate", requestSHA256: hash)
                }
            }
            switch claim {
            case .answered(let status, let text):
                var response = APIResponse.raw(HTTPResponse.Status(code: status), text)
                response.headers[HTTPField.Name("Idempotent-Replayed") ?? .contentType] = "true"
                return response
            case .inProgress:
                return APIResponse.failure(.conflict, "A request with this Idempotency-Key is still being processed")
            case .mismatch:
                return APIResponse.failure(
                    .unprocessableContent, "This Idempotency-Key was used for a different request")
            case .claimed:
                break
            }
        } catch {
            return unavailable(error)
        }
        let (status, object) = await initiateAnswer(account: account, body: body)
        let text = APIResponse.text(of: object)
        do {
            try await pool.withConnection { db in
                try await db.run { db throws(PostgresError) in
                    if (status.code >= 500 && status.code != 502 && status.code != 504) || status.code == 429 {
                        // Nothing happened that a retry could repeat (nothing was sent, or a limit refused it): let
                        // the retry run.
                        try IdempotencyStore.release(db, userID: account.id, key: key)
                    } else {
                        try IdempotencyStore.answer(db, userID: account.id, key: key, status: status.code, body: text)
                    }
                }
            }
        } catch {
            logger.error("idempotency answer not stored", metadata: ["recon.user_id": "\(account.id)"])
        }
        return APIResponse.raw(status, text)
    }

    func startPayment(account: Account, body: [String: Any]) async -> Response {
        let (status, object) = await initiateAnswer(account: account, body: body)
        return APIResponse.json(status, object)
    }

    static func failure(_ message: String, _ extra: [String: Any] = [:]) -> [String: Any] {
        var body: [String: Any] = ["success": false, "message": message]
        for (key, value) in extra { body[key] = value }
        return body
    }

    /// An id field: a JSON integer, or a string of digits (openapi.yaml allows both). Booleans (which Foundation
    /// hands over as numbers: `true` would read as id 1), fractions and anything else are refused.
    static func integer(_ value: Any?) -> Int64? {
        if let text = value as? String {
            guard !text.isEmpty, text.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else { return nil }
            return Int64(text)
        }
        guard let number = value as? NSNumber, !isBoolean(number) else { return nil }
        let literal = number.stringValue
        guard literal.utf8.allSatisfy({ ($0 >= 0x30 && $0 <= 0x39) || $0 == UInt8(ascii: "-") }) else { return nil }
        return Int64(literal)
    }

    /// Whether a value JSONSerialization produced is a JSON `true`/`false` (an `NSNumber` whose type is `char`).
    static func isBoolean(_ value: Any?) -> Bool {
        guard let number = value as? NSNumber else { return false }
        return String(cString: number.objCType) == "c"
    }

    /// An amount field: a JSON number or a decimal string; `.some(nil)` when absent or null, `nil` when it is
    /// anything else (a boolean: `"amount": true` is not KES 1).
    static func money(_ value: Any?) -> Money?? {
        guard let value, !(value is NSNull) else { return .some(nil) }
        let text: String
        if let string = value as? String {
            text = string
        } else if let number = value as? NSNumber, !isBoolean(number) {
            text = number.stringValue
        } else {
            return nil
        }
        return (try? Money.parse(text)).map { .some($0) }
    }

    /// A text field: absent or null is `.some(nil)`; a number, boolean, array or object is refused (`nil`).
    static func text(_ value: Any?) -> String?? {
        guard let value, !(value is NSNull) else { return .some(nil) }
        guard let text = value as? String else { return nil }
        return .some(text)
    }

    /// The answer of an initiate as status and JSON object (stored as is for idempotent retries).
    func initiateAnswer(account: Account, body: [String: Any]) async -> (HTTPResponse.Status, [String: Any]) {
        guard let courseID = Self.integer(body["course_id"]) else {
            return (.badRequest, Self.failure("course_id is required"))
        }
        guard let phoneText = body["phone"] as? String, let phone = try? MSISDN(parsing: phoneText) else {
            return (.badRequest, Self.failure("Invalid phone number: use the format 2547XXXXXXXX"))
        }
        guard let amount = Self.money(body["amount"]) else {
            return (.badRequest, Self.failure("amount must be a number of KES"))
        }
        guard let referenceText = Self.text(body["account_reference"]),
            let descriptionText = Self.text(body["transaction_desc"])
        else {
            return (.badRequest, Self.failure("account_reference and transaction_desc must be text"))
        }
        do {
            let started = try await configuration.initiator.start(
                userID: account.id, courseID: courseID, phone: phone, amount: amount, accountReference: referenceText,
                description: descriptionText, requester: .learner)
            switch started.status {
            case PaymentStatus.pending.rawValue:
                return (
                    .ok,
                    [
                        "success": true, "message": "STK Push initiated successfully",
                        "checkout_request_id": APIResponse.orNull(started.checkoutRequestID),
                        "merchant_request_id": APIResponse.orNull(started.merchantRequestID),
                        "payment_id": started.id,
                    ]
                )
            case PaymentStatus.unknown.rawValue:
                return (
                    .gatewayTimeout,
                    Self.failure(
                        "M-Pesa did not answer; a prompt may have reached the phone. Check the payment's status "
                            + "before trying again.", ["payment_id": started.id, "status": "unknown"])
                )
            default:
                return (
                    .badGateway,
                    Self.failure(
                        started.resultDescription ?? "M-Pesa refused the request",
                        ["payment_id": started.id, "status": started.status])
                )
            }
        } catch let error as PayError {
            return Self.refused(error)
        } catch {
            logger.error("initiate failed", metadata: ["recon.user_id": "\(account.id)"])
            return (.serviceUnavailable, Self.failure("Service temporarily unavailable, try again later."))
        }
    }

    /// `PaymentInitiator`'s refusals in the words and statuses the LMS has always been answered with.
    static func refused(_ error: PayError) -> (HTTPResponse.Status, [String: Any]) {
        switch error.code {
        case .courseNotFound: (.badRequest, failure("Course not found"))
        case .courseInactive: (.badRequest, failure("This course is not open for payment"))
        case .amountNotPrice:
            (
                .badRequest,
                failure("The amount must equal the course price (\(error.coursePrice?.decimalString ?? "?"))")
            )
        case .invalidReference: (.badRequest, failure("account_reference must be 1 to 12 characters"))
        case .invalidDescription: (.badRequest, failure("transaction_desc must be 1 to 13 characters"))
        case .pending:
            (
                .conflict,
                failure(
                    "A payment for this course is already pending",
                    ["payment_id": APIResponse.orNull(error.pendingPaymentID)])
            )
        case .tooManyPrompts: (.tooManyRequests, failure(error.message))
        case .notSent:
            (.serviceUnavailable, failure("The STK Push could not be sent; nothing was charged. Please try again."))
        default: (.badRequest, failure(error.message))
        }
    }

    // MARK: Reading

    /// Phones: the owner sees their own number and admins see every number; finance sees them masked.
    static func phone(_ payment: PaymentListing, for account: Account) -> String {
        seesNumbers(payment, account) ? payment.phone : MSISDN.mask(payment.phone)
    }

    /// A CheckoutRequestID ends with the payer's number: masked exactly where the phone is.
    static func checkout(_ payment: PaymentListing, for account: Account) -> Any {
        guard let id = payment.checkoutRequestID else { return NSNull() }
        return seesNumbers(payment, account) ? id : MSISDN.maskIdentifier(id)
    }

    static func seesNumbers(_ payment: PaymentListing, _ account: Account) -> Bool {
        account.isAdmin || payment.userID == account.id
    }

    func status(_ request: Request, id: Int64?) async -> Response {
        let account: Account
        switch await authenticate(request) {
        case .failure(let response): return response
        case .success(let found): account = found
        }
        guard let id else { return APIResponse.notFound }
        do {
            let payment = try await pool.withConnection { db in
                try await db.run { db throws(PostgresError) in try PaymentQueryStore.payment(db, id: id) }
            }
            guard let payment, payment.userID == account.id || account.mayReadAllPayments else {
                return APIResponse.notFound
            }
            return APIResponse.json(
                .ok,
                [
                    "id": payment.id, "checkout_request_id": Self.checkout(payment, for: account),
                    "amount": payment.amount.decimalString, "status": payment.status.rawValue,
                    "phone": Self.phone(payment, for: account), "mpesa_receipt": APIResponse.orNull(payment.receipt),
                    "created_at": APIResponse.time(payment.createdAt),
                ])
        } catch {
            return unavailable(error)
        }
    }

    func mine(_ request: Request) async -> Response {
        let account: Account
        switch await authenticate(request) {
        case .failure(let response): return response
        case .success(let found): account = found
        }
        let query = request.uri.queryParameters
        let limitText = query["limit"].map(String.init)
        let beforeText = query["before_id"].map(String.init)
        guard let limit = limitText.map({ Int($0) }) ?? 50, (1...200).contains(limit) else {
            return APIResponse.json(.badRequest, ["limit": ["Must be a number from 1 to 200."]])
        }
        let before = beforeText.flatMap { Int64($0) }
        if beforeText != nil && before == nil {
            return APIResponse.json(.badRequest, ["before_id": ["Must be a payment id."]])
        }
        do {
            let rows = try await pool.withConnection { db in
                try await db.run { db throws(PostgresError) in
                    try PaymentQueryStore.mine(db, userID: account.id, limit: limit, beforeID: before)
                }
            }
            let items: [[String: Any]] = rows.map {
                [
                    "id": $0.id, "course": $0.courseTitle, "amount": $0.amount.decimalString,
                    "status": $0.status.rawValue, "created_at": APIResponse.time($0.createdAt),
                ]
            }
            return APIResponse.json(.ok, items)
        } catch {
            return unavailable(error)
        }
    }

    static func date(_ text: Substring?, endOfDay: Bool) -> Date?? {
        guard let text, !text.isEmpty else { return .some(nil) }
        if let full = try? Date(String(text), strategy: .iso8601) { return .some(full) }
        let parts = text.split(separator: "-")
        guard parts.count == 3, let year = Int(parts[0]), let month = Int(parts[1]), let day = Int(parts[2]),
            (1...9999).contains(year), (1...12).contains(month), (1...31).contains(day)
        else {
            return nil
        }
        var components = DateComponents(year: year, month: month, day: day)
        components.timeZone = TimeZone(identifier: "UTC")
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC") ?? .current
        guard let start = calendar.date(from: components) else { return nil }
        return .some(endOfDay ? start.addingTimeInterval(86_400) : start)
    }

    func adminList(_ request: Request) async -> Response {
        let account: Account
        switch await authenticate(request) {
        case .failure(let response): return response
        case .success(let found): account = found
        }
        guard account.mayReadAllPayments else { return APIResponse.forbidden }
        let query = request.uri.queryParameters
        var filter = PaymentFilter()
        if let status = query["status"], !status.isEmpty {
            guard let parsed = PaymentStatus(rawValue: String(status)) else {
                return APIResponse.json(.badRequest, ["status": ["Not a payment status."]])
            }
            filter.status = parsed
        }
        if let course = query["course_id"], !course.isEmpty {
            guard let id = Int64(course) else { return APIResponse.json(.badRequest, ["course_id": ["Not an id."]]) }
            filter.courseID = id
        }
        guard let from = Self.date(query["from"], endOfDay: false), let to = Self.date(query["to"], endOfDay: true)
        else { return APIResponse.json(.badRequest, ["from": ["Use YYYY-MM-DD or ISO-8601."]]) }
        filter.from = from
        filter.to = to
        if let text = query["q"], !text.isEmpty {
            filter.query = String(text)
            filter.maskedViewer = !account.isAdmin
            if filter.maskedViewer, !MaskedSearch.allows(String(text)) {
                return APIResponse.json(.badRequest, ["q": [MaskedSearch.rule]])
            }
        }
        guard let page = query["page"].map({ Int(String($0)) }) ?? 1, page >= 1,
            let size = query["page_size"].map({ Int(String($0)) }) ?? 50, (1...200).contains(size),
            let offset = PaymentFilter.offset(page: page, size: size)
        else { return APIResponse.detail(.notFound, "Invalid page.") }
        let chosen = filter
        do {
            let (count, rows) = try await pool.withConnection { db in
                try await db.run { db throws(PostgresError) in
                    try PaymentQueryStore.all(db, filter: chosen, limit: size, offset: offset)
                }
            }
            let results: [[String: Any]] = rows.map {
                [
                    "id": $0.id, "user_id": $0.userID, "user_email": $0.userEmail, "course_id": $0.courseID,
                    "course": $0.courseTitle, "amount": $0.amount.decimalString, "status": $0.status.rawValue,
                    "phone": Self.phone($0, for: account), "mpesa_receipt": APIResponse.orNull($0.receipt),
                    "checkout_request_id": Self.checkout($0, for: account),
                    "created_at": APIResponse.time($0.createdAt), "paid_at": APIResponse.time($0.paidAt),
                ]
            }
            let path = request.uri.path
            func link(_ number: Int) -> String {
                var items = query.filter { $0.key != "page" }.map { "\($0.key)=\($0.value)" }.sorted()
                items.append("page=\(number)")
                return path + "?" + items.joined(separator: "&")
            }
            // offset + size cannot overflow: offset(page:size:) keeps pages below a bound far from Int.max.
            let next: Any = offset + size < count ? link(page + 1) : NSNull()
            let previous: Any = page > 1 ? link(page - 1) : NSNull()
            return APIResponse.json(.ok, ["count": count, "next": next, "previous": previous, "results": results])
        } catch {
            return unavailable(error)
        }
    }

    // MARK: Refunds (maker-checker; nothing is sent from here)

    func proposeRefund(_ request: Request, origin: String?) async -> Response {
        let account: Account
        switch await authenticate(request) {
        case .failure(let response): return response
        case .success(let found): account = found
        }
        guard account.isAdmin else { return APIResponse.forbidden }
        guard let (_, body) = await Self.body(request) else { return Self.badJSON }
        guard let paymentID = Self.integer(body["payment_id"]) else {
            return APIResponse.failure(.badRequest, "payment_id is required")
        }
        guard let parsed = Self.money(body["amount"]), let amount = parsed else {
            return APIResponse.failure(.badRequest, "amount is required: whole KES")
        }
        guard let reasonText = Self.text(body["reason"]) else {
            return APIResponse.failure(.badRequest, "reason must be text")
        }
        let reason = reasonText ?? ""
        let desk = RefundDesk(pool: pool, settings: configuration.approvals)
        do {
            let refund = try await desk.propose(
                paymentID: paymentID, amount: amount, reason: reason, who: .id(account.id), via: .api, origin: origin)
            return APIResponse.json(
                .accepted,
                [
                    "success": true, "refund_id": refund.id, "status": refund.status,
                    "message": refund.needsTwoApprovers
                        ? "Refund proposed; two other admins must approve it before it is sent"
                        : "Refund proposed; another admin must approve it before it is sent",
                ])
        } catch let refusal as RefundRefusal {
            return Self.refused(refusal)
        } catch {
            return unavailable(error)
        }
    }

    func decideRefund(_ request: Request, id: Int64?, approve: Bool, origin: String?) async -> Response {
        let account: Account
        switch await authenticate(request) {
        case .failure(let response): return response
        case .success(let found): account = found
        }
        guard account.isAdmin else { return APIResponse.forbidden }
        guard let id else { return APIResponse.notFound }
        guard let (_, body) = await Self.body(request) else { return Self.badJSON }
        guard let reasonText = Self.text(body["reason"]) else {
            return APIResponse.failure(.badRequest, "reason must be text")
        }
        let desk = RefundDesk(pool: pool, settings: configuration.approvals)
        do {
            let refund =
                approve
                ? try await desk.approve(id, who: .id(account.id), via: .api, origin: origin)
                : try await desk.reject(
                    id, who: .id(account.id), reason: reasonText ?? "", via: .api, origin: origin)
            let message: String
            switch refund.status {
            case RefundStatus.approved.rawValue: message = "Refund approved; it is sent on the next run"
            case RefundStatus.rejected.rawValue: message = "Refund rejected; nothing is sent"
            default: message = "Approval recorded; a second admin must approve"
            }
            return APIResponse.json(
                .ok, ["success": true, "refund_id": refund.id, "status": refund.status, "message": message])
        } catch let refusal as RefundRefusal {
            return Self.refused(refusal)
        } catch {
            return unavailable(error)
        }
    }

    static func refused(_ refusal: RefundRefusal) -> Response {
        let status: HTTPResponse.Status
        switch refusal.code {
        case .notFound: status = .notFound
        case .ownRefund, .sameApprover, .notAdmin, .reservedName: status = .forbidden
        case .wrongStatus, .overRefund, .paymentNotCompleted: status = .conflict
        default: status = .badRequest
        }
        return APIResponse.failure(status, refusal.message)
    }
}
