import Foundation
import HTTPTypes
import Hummingbird
import Logging
import ReconApp
import ReconCore
import ReconIdentity
import ReconPostgres

extension PaymentsAPI {
    // MARK: Initiate

    /// `POST /api/payments/initiate/`. With an Idempotency-Key, the first answer for the key and body is stored and
    /// given again to every retry.
    func initiate(_ request: Request, _ context: APIRequestContext, by account: Account) async throws -> APIAnswer {
        var request = request
        let bytes: [UInt8]
        do {
            bytes = Array(try await request.collectBody(upTo: context.maxUploadSize).readableBytesView)
        } catch {
            throw APIAnswer.badJSON
        }
        let body = try await request.decode(as: Checked<InitiateRequest>.self, context: context).result
        let key = request.headers[HTTPField.Name("Idempotency-Key") ?? .contentType]?.trimmingSpaces()
        guard let key, !key.isEmpty else {
            return await initiateAnswer(account: account, body: body)
        }
        guard key.count <= 255 else { return .failure(.badRequest, "Idempotency-Key is too long") }
        let hash = sha256Hex(bytes)
        let claim = try await pool.withConnection { db in
            try await db.run { db throws(PostgresError) in
                try IdempotencyStore.claim(
                    db, userID: account.id, key: key, route: "payments.initiate", requestSHA256: hash)
            }
        }
        switch claim {
        case .answered(let status, let text):
            var headers: HTTPFields = [:]
            headers[HTTPField.Name("Idempotent-Replayed") ?? .contentType] = "true"
            return APIAnswer(HTTPResponse.Status(code: status), text: text, headers: headers)
        case .inProgress:
            return .failure(.conflict, "A request with this Idempotency-Key is still being processed")
        case .mismatch:
            return .failure(.unprocessableContent, "This Idempotency-Key was used for a different request")
        case .claimed:
            break
        }
        let answer = await initiateAnswer(account: account, body: body)
        let status = answer.status.code
        do {
            try await pool.withConnection { db in
                try await db.run { db throws(PostgresError) in
                    if (status >= 500 && status != 502 && status != 504) || status == 429 {
                        // Nothing happened that a retry could repeat (nothing was sent, or a limit refused it): let
                        // the retry run.
                        try IdempotencyStore.release(db, userID: account.id, key: key)
                    } else {
                        try IdempotencyStore.answer(db, userID: account.id, key: key, status: status, body: answer.text)
                    }
                }
            }
        } catch {
            logger.error("idempotency answer not stored", metadata: ["recon.user_id": "\(account.id)"])
        }
        return answer
    }

    /// The answer of an initiate (stored as it is for idempotent retries): the body's refusal, or what
    /// `PaymentInitiator` did with it as a learner's request.
    func initiateAnswer(account: Account, body: Result<InitiateRequest, APIAnswer>) async -> APIAnswer {
        let request: InitiateRequest
        switch body {
        case .failure(let refusal): return refusal
        case .success(let checked): request = checked
        }
        let started: StartedPayment
        do {
            started = try await configuration.initiator.start(
                userID: account.id, courseID: request.courseID, phone: request.phone, amount: request.amount,
                accountReference: request.accountReference, description: request.transactionDesc,
                requester: .learner)
        } catch let error as PayError {
            return Self.refused(error)
        } catch {
            logger.error("initiate failed", metadata: ["recon.user_id": "\(account.id)"])
            return .failure(.serviceUnavailable, "Service temporarily unavailable, try again later.")
        }
        switch started.status {
        case PaymentStatus.pending.rawValue:
            return APIAnswer(
                .ok,
                InitiateStarted(
                    checkoutRequestID: started.checkoutRequestID, merchantRequestID: started.merchantRequestID,
                    paymentID: started.id))
        case PaymentStatus.unknown.rawValue:
            return .failure(
                .gatewayTimeout,
                "M-Pesa did not answer; a prompt may have reached the phone. Check the payment's status before trying "
                    + "again.", paymentID: started.id, paymentStatus: "unknown")
        default:
            return .failure(
                .badGateway, started.resultDescription ?? "M-Pesa refused the request", paymentID: started.id,
                paymentStatus: started.status)
        }
    }

    /// `PaymentInitiator`'s refusals in the words and statuses the LMS has always been answered with.
    static func refused(_ error: PayError) -> APIAnswer {
        switch error.code {
        case .courseNotFound: .failure(.badRequest, "Course not found")
        case .courseInactive: .failure(.badRequest, "This course is not open for payment")
        case .amountNotPrice:
            .failure(
                .badRequest, "The amount must equal the course price (\(error.coursePrice?.decimalString ?? "?"))")
        case .invalidReference: .failure(.badRequest, "account_reference must be 1 to 12 characters")
        case .invalidDescription: .failure(.badRequest, "transaction_desc must be 1 to 13 characters")
        case .pending:
            .failure(.conflict, "A payment for this course is already pending", paymentID: error.pendingPaymentID)
        case .tooManyPrompts: .failure(.tooManyRequests, error.message)
        case .notSent:
            .failure(.serviceUnavailable, "The STK Push could not be sent; nothing was charged. Please try again.")
        default: .failure(.badRequest, error.message)
        }
    }

    // MARK: Reading

    func status(id: Int64?, by account: Account) async throws -> APIAnswer {
        guard let id else { return .notFound }
        let payment = try await pool.withConnection { db in
            try await db.run { db throws(PostgresError) in try PaymentQueryStore.payment(db, id: id) }
        }
        guard let payment, payment.userID == account.id || account.mayReadAllPayments else { return .notFound }
        return APIAnswer(.ok, PaymentStatusView(payment, for: account))
    }

    func mine(_ request: Request, by account: Account) async throws -> APIAnswer {
        let query = request.uri.queryParameters
        let limitText = query["limit"].map(String.init)
        let beforeText = query["before_id"].map(String.init)
        guard let limit = limitText.map({ Int($0) }) ?? 50, (1...200).contains(limit) else {
            return .fields(["limit": ["Must be a number from 1 to 200."]])
        }
        let before = beforeText.flatMap { Int64($0) }
        if beforeText != nil && before == nil {
            return .fields(["before_id": ["Must be a payment id."]])
        }
        let rows = try await pool.withConnection { db in
            try await db.run { db throws(PostgresError) in
                try PaymentQueryStore.mine(db, userID: account.id, limit: limit, beforeID: before)
            }
        }
        return APIAnswer(.ok, rows.map(MyPaymentRow.init))
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

    func adminList(_ request: Request, by account: Account) async throws -> APIAnswer {
        guard account.mayReadAllPayments else { return .forbidden }
        let query = request.uri.queryParameters
        var filter = PaymentFilter()
        if let status = query["status"], !status.isEmpty {
            guard let parsed = PaymentStatus(rawValue: String(status)) else {
                return .fields(["status": ["Not a payment status."]])
            }
            filter.status = parsed
        }
        if let course = query["course_id"], !course.isEmpty {
            guard let id = Int64(course) else { return .fields(["course_id": ["Not an id."]]) }
            filter.courseID = id
        }
        guard let from = Self.date(query["from"], endOfDay: false), let to = Self.date(query["to"], endOfDay: true)
        else { return .fields(["from": ["Use YYYY-MM-DD or ISO-8601."]]) }
        filter.from = from
        filter.to = to
        if let text = query["q"], !text.isEmpty {
            filter.query = String(text)
            filter.maskedViewer = !account.isAdmin
            if filter.maskedViewer, !MaskedSearch.allows(String(text)) {
                return .fields(["q": [MaskedSearch.rule]])
            }
        }
        guard let page = query["page"].map({ Int(String($0)) }) ?? 1, page >= 1,
            let size = query["page_size"].map({ Int(String($0)) }) ?? 50, (1...200).contains(size),
            let offset = PaymentFilter.offset(page: page, size: size)
        else { return .detail(.notFound, "Invalid page.") }
        let chosen = filter
        let (count, rows) = try await pool.withConnection { db in
            try await db.run { db throws(PostgresError) in
                try PaymentQueryStore.all(db, filter: chosen, limit: size, offset: offset)
            }
        }
        let path = request.uri.path
        func link(_ number: Int) -> String {
            var items = query.filter { $0.key != "page" }.map { "\($0.key)=\($0.value)" }.sorted()
            items.append("page=\(number)")
            return path + "?" + items.joined(separator: "&")
        }
        // offset + size cannot overflow: offset(page:size:) keeps pages below a bound far from Int.max.
        return APIAnswer(
            .ok,
            AdminPaymentPage(
                count: count, next: offset + size < count ? link(page + 1) : nil,
                previous: page > 1 ? link(page - 1) : nil, results: rows.map { .init($0, for: account) }))
    }

    // MARK: Refunds (maker-checker; nothing is sent from here)

    func propose(_ request: Request, _ context: APIRequestContext, by account: Account) async throws -> APIAnswer {
        guard account.isAdmin else { return .forbidden }
        let body = try await request.decode(as: RefundProposal.self, context: context)
        let desk = RefundDesk(pool: pool, settings: configuration.approvals)
        do {
            let refund = try await desk.propose(
                paymentID: body.paymentID, amount: body.amount, reason: body.reason, who: .id(account.id), via: .api,
                origin: context.origin)
            return APIAnswer(
                .accepted,
                RefundAnswer(
                    refundID: refund.id, status: refund.status,
                    message: refund.needsTwoApprovers
                        ? "Refund proposed; two other admins must approve it before it is sent"
                        : "Refund proposed; another admin must approve it before it is sent"))
        } catch let refusal as RefundRefusal {
            return Self.refused(refusal)
        }
    }

    func decide(
        _ request: Request, _ context: APIRequestContext, id: Int64?, approve: Bool, by account: Account
    ) async throws -> APIAnswer {
        guard account.isAdmin else { return .forbidden }
        guard let id else { return .notFound }
        let body = try await request.decode(as: RefundDecision.self, context: context)
        let desk = RefundDesk(pool: pool, settings: configuration.approvals)
        do {
            let refund =
                approve
                ? try await desk.approve(id, who: .id(account.id), via: .api, origin: context.origin)
                : try await desk.reject(
                    id, who: .id(account.id), reason: body.reason, via: .api, origin: context.origin)
            let message: String
            switch refund.status {
            case RefundStatus.approved.rawValue: message = "Refund approved; it is sent on the next run"
            case RefundStatus.rejected.rawValue: message = "Refund rejected; nothing is sent"
            default: message = "Approval recorded; a second admin must approve"
            }
            return APIAnswer(.ok, RefundAnswer(refundID: refund.id, status: refund.status, message: message))
        } catch let refusal as RefundRefusal {
            return Self.refused(refusal)
        }
    }

    static func refused(_ refusal: RefundRefusal) -> APIAnswer {
        let status: HTTPResponse.Status
        switch refusal.code {
        case .notFound: status = .notFound
        case .ownRefund, .sameApprover, .notAdmin, .reservedName: status = .forbidden
        case .wrongStatus, .overRefund, .paymentNotCompleted: status = .conflict
        default: status = .badRequest
        }
        return .failure(status, refusal.message)
    }
}
