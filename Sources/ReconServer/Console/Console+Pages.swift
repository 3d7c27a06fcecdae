import Foundation
import Hummingbird
import ReconApp
import ReconCore
import ReconIdentity
import ReconPostgres
import ReconPresentation

/// The console's pages: each reads through a desk or ConsoleStore and hands plain values to its template.
extension Console {
    // MARK: Login and logout

    func loginPage(
        _ request: Request, _ context: ReconRequestContext, error: String?, email: String? = nil
    ) async -> Response {
        if let session = try? await session(request, context), Self.mayEnter(session.account) {
            return Self.redirect("/console/")
        }
        let token = randomToken()
        let next = Self.safeNext(request.uri.queryParameters.get("next"))
        var values: [String: Any] = ["login_csrf": token, "next": next]
        if let email { values["email"] = email }
        var headers: HTTPFields = [:]
        headers.append(
            FieldName.field(
                .setCookie,
                Self.cookie(Self.loginCookieName, token, secure: secureCookie(request, context), maxAge: 3_600)))
        // The one banner a signed-out page shows is the server's own fixed text, chosen by a flag.
        let signedOut = error == nil && request.uri.queryParameters.get("signed_out") == "1"
        return html(
            error == nil ? .ok : .unauthorized, title: "Sign in", template: "login", values: values, session: nil,
            request: request, extraHeaders: headers, errorText: error, noticeText: signedOut ? "Signed out." : nil)
    }

    /// Only paths inside the console are followed after login.
    static func safeNext(_ next: String?) -> String {
        guard let next, next.hasPrefix("/console/"), !next.contains("//"), !next.contains("\\") else {
            return "/console/"
        }
        return next
    }

    func login(_ request: Request, _ context: ReconRequestContext) async -> Response {
        guard let fields = await Self.fields(request),
            let cookieToken = cookieValue(request, context, Self.loginCookieName),
            constantTimeEqual(fields["csrf_token"] ?? "", cookieToken)
        else {
            return html(
                .forbidden, title: "Forbidden", template: "message",
                values: ["message": "This sign-in form has expired. Open the sign-in page again."], session: nil,
                request: request)
        }
        let email = (fields["email"] ?? "").trimmingSpaces()
        let password = fields["password"] ?? ""
        let address = configuration.addressPolicy.clientAddress(request, context)
        guard !email.isEmpty, !password.isEmpty else {
            return await loginPage(request, context, error: "Enter your email and password.", email: email)
        }
        let door = PasswordLogin(pool: pool, throttle: configuration.throttle)
        do {
            switch try await door.attempt(
                email: email, password: password, address: address, mayLogIn: { Self.mayEnter($0) })
            {
            case .throttled(let seconds):
                return await loginPage(
                    request, context,
                    error: "Too many failed sign-ins. Try again in \(max(1, seconds / 60)) minutes.", email: email)
            case .refused:
                return await loginPage(
                    request, context,
                    error: "Email or password is wrong, or this account may not use the console.", email: email)
            case .account(let account):
                let id = randomToken()
                let csrf = randomToken()
                let acting = ActingAccount(account: account, channel: .console, origin: address)
                try await pool.withConnection { db in
                    try await db.withTransaction { db in
                        try ConsoleStore.createSession(
                            db, idSHA256: sha256Hex(Array(id.utf8)), userID: account.id, csrfToken: csrf,
                            address: address,
                            now: Date())
                        try UserStore.audit(
                            db, acting: acting, action: "console.login", subject: "user", subjectID: account.id)
                    }
                }
                let secure = secureCookie(request, context)
                return Self.redirect(
                    Self.safeNext(fields["next"]),
                    cookies: [
                        Self.cookie(Self.sessionCookieName, id, secure: secure),
                        Self.cookie(Self.loginCookieName, "", secure: secure, maxAge: 0),
                    ])
            }
        } catch {
            return failure(error, request: request)
        }
    }

    func logout(
        _ request: Request, _ context: ReconRequestContext, _ session: ConsoleSession, address: String
    ) async -> Response {
        let id = sessionID(request, context) ?? ""
        let acting = ActingAccount(account: session.account, channel: .console, origin: address)
        do {
            try await pool.withConnection { db in
                try await db.withTransaction { db in
                    try ConsoleStore.deleteSession(db, idSHA256: sha256Hex(Array(id.utf8)))
                    try UserStore.audit(
                        db, acting: acting, action: "console.logout", subject: "user", subjectID: session.account.id)
                }
            }
        } catch {
            return failure(error, request: request)
        }
        return Self.redirect(
            "/console/login?signed_out=1",
            cookies: [Self.cookie(Self.sessionCookieName, "", secure: secureCookie(request, context), maxAge: 0)])
    }

    /// What a desk finds, or `nil` when it answers "not found" (other failures are thrown).
    static func found<T>(_ lookup: () async throws -> T) async throws -> T? {
        do {
            return try await lookup()
        } catch let refusal as RefundRefusal where refusal.code == .notFound {
            return nil
        }
    }

    static func callbacks(
        _ db: isolated PostgresConnection, reference: String?
    ) throws(PostgresError) -> [CallbackRow] {
        guard let reference else { return [] }
        return try ConsoleStore.callbacks(db, reference: reference)
    }

    // MARK: Overview

    func dashboard(_ session: ConsoleSession) async throws -> PageResult {
        let now = Date()
        let pool = self.pool
        let (board, computedAt) = try await dashboardCache.board {
            try await pool.withConnection { db in
                try await db.run { db throws(PostgresError) in try ConsoleStore.dashboard(db, now: Date()) }
            }
        }
        func net(_ collected: Money, _ refunded: Money) -> String {
            (collected.subtracting(refunded) ?? .zero).description
        }
        var lastRun = "never"
        if let started = board.lastRunStarted {
            lastRun = "\(Display.time(started)), \(board.lastRunOutcome ?? "running")"
        }
        let oldest = board.oldestPending.map { Self.age(since: $0, now: now) + " old" } ?? "none"
        return .html(
            title: "Overview", template: "dashboard",
            values: [
                "now": Display.time(computedAt),
                "today": [
                    "collected": board.collectedToday.description, "refunded": board.refundedToday.description,
                    "net": net(board.collectedToday, board.refundedToday),
                ],
                "month": [
                    "collected": board.collectedMonth.description, "refunded": board.refundedMonth.description,
                    "net": net(board.collectedMonth, board.refundedMonth),
                ],
                "pending_count": board.pendingCount, "oldest_pending": oldest, "unknown_count": board.unknownCount,
                "approved_waiting": board.approvedRefundsWaiting, "last_run": lastRun,
                "last_run_class": board.lastRunOutcome == "failed" ? "error" : "",
                "has_exceptions": !board.openExceptions.isEmpty,
                "open_exceptions": board.openExceptions.map {
                    ["kind": $0.kind, "count": $0.count] as [String: any Sendable]
                },
            ])
    }

    static func age(since: Date, now: Date) -> String {
        let minutes = max(0, Int(now.timeIntervalSince(since) / 60))
        if minutes < 60 { return "\(minutes) min" }
        if minutes < 48 * 60 { return "\(minutes / 60) h \(minutes % 60) min" }
        return "\(minutes / 1_440) days"
    }

    // MARK: Payments

    func payments(_ request: Request, _ session: ConsoleSession) async throws -> PageResult {
        let q = (request.uri.queryParameters.get("q") ?? "").trimmingSpaces()
        var values: [String: any Sendable] = ["q": q, "searched": !q.isEmpty]
        if !q.isEmpty {
            do {
                let found = try await decisions.searchPayments(
                    q, limit: 50, maskedViewer: !session.account.isAdmin)
                values["has_results"] = !found.isEmpty
                values["results"] = found.map { overview in
                    let record = overview.record
                    return [
                        "id": record.id, "created": Display.time(overview.createdAt),
                        "learner": overview.learnerEmail ?? "user \(record.userID)",
                        "course": overview.courseTitle ?? "course \(record.courseID)",
                        "phone": MSISDN.mask(record.phone), "amount": record.state.amount.description,
                        "status": record.state.status.rawValue, "receipt": record.state.receipt ?? "",
                    ] as [String: any Sendable]
                }
            } catch let refusal as RefundRefusal {
                values["searched"] = false
                return .response(Self.back("/console/payments", error: refusal.message))
            }
        }
        return .html(title: "Payments", template: "payments", values: values)
    }

    func payment(_ request: Request, _ session: ConsoleSession, id: Int64?) async throws -> PageResult {
        guard let id,
            let overview = try await Self.found({
                try await decisions.payment(id: id, receipt: nil, checkoutRequestID: nil)
            })
        else { return .notFound("payment") }
        let record = overview.record
        let state = record.state
        let (events, callbacks, enrollment, refundIDs, decision) = try await pool.withConnection { db in
            try await db.run { db throws(PostgresError) in
                (
                    try ConsoleStore.events(db, paymentID: id),
                    try Self.callbacks(db, reference: record.checkoutRequestID),
                    try ConsoleStore.enrollment(db, userID: record.userID, courseID: record.courseID),
                    try ConsoleStore.refundIDs(db, paymentID: id),
                    try DeskStore.openDecision(db, paymentID: id)
                )
            }
        }
        var refunds: [[String: any Sendable]] = []
        var committed = Money.zero
        for refundID in refundIDs {
            let refund = try await desk.show(refundID)
            if !["rejected", "failed"].contains(refund.status), let amount = try? Money.parse(refund.amount) {
                committed = committed.adding(amount) ?? committed
            }
            refunds.append([
                "id": refund.id, "amount": "KES " + refund.amount, "status": refund.status,
                "proposed_by": refund.proposedBy, "reason": Self.shown(refund.reason, to: session),
            ])
        }
        // What can be refunded is money M-Pesa confirmed: the amount pushed, or less when a callback said less (a
        // callback's higher figure is no evidence), as the database's cap reads it (sql/015).
        let paid = min(state.amount, state.paidAmount ?? state.amount)
        let refundable = max(.zero, paid.subtracting(committed) ?? .zero)
        var enrollmentText = "none"
        if let enrollment {
            enrollmentText =
                "enrollment \(enrollment.id), \(enrollment.status)"
                + (enrollment.paymentID == id ? " (by this payment)" : "")
        }
        var values: [String: any Sendable] = [
            "id": id, "status": state.status.rawValue,
            "learner": [overview.learnerName, overview.learnerEmail].compactMap { $0 }.joined(separator: ", "),
            "course": overview.courseTitle ?? "course \(record.courseID)", "amount": state.amount.description,
            "paid_amount": state.paidAmount?.description ?? "-",
            "phone": session.account.isAdmin ? record.phone : MSISDN.mask(record.phone),
            "receipt": state.receipt ?? "-",
            "checkout": record.checkoutRequestID.map { session.account.isAdmin ? $0 : MSISDN.maskIdentifier($0) }
                ?? "-",
            "created": Display.time(overview.createdAt), "settled_via": state.settledVia?.rawValue ?? "-",
            "last_answer": overview.lastAnswer ?? "-", "enrollment": enrollmentText,
            "events": events.map {
                [
                    "at": Display.time($0.at), "source": $0.source, "from": $0.fromStatus ?? "-", "to": $0.toStatus,
                    "detail": Self.shown(Self.auditDetail($0.detailJSON), to: session),
                ] as [String: any Sendable]
            },
            "has_callbacks": !callbacks.isEmpty,
            "callbacks": callbacks.map {
                ["id": $0.id, "received": Display.time($0.receivedAt), "outcome": $0.outcome ?? "not yet applied"]
                    as [String: any Sendable]
            },
            "has_refunds": !refunds.isEmpty, "refunds": refunds,
            "completed": state.status == .completed && refundable.minorUnits >= 100,
            "refundable": Money(minorUnits: refundable.minorUnits / 100 * 100).decimalString,
            "unknown": state.status == .unknown,
        ]
        if let decision {
            let what =
                decision.verdict.receipt.map { "paid with receipt \($0)" } ?? "not paid"
            values["open_decision"] = "\(decision.proposedBy) proposed \(what)"
        }
        return .html(title: "Payment \(id)", template: "payment", values: values)
    }

    func decide(_ session: ConsoleSession, _ fields: [String: String], id: Int64?, address: String) async -> Response {
        guard let id else { return Self.back("/console/payments", error: "No such payment.") }
        let path = "/console/payments/\(id)"
        let verdict: PaymentVerdict
        switch fields["verdict"] {
        case "paid":
            let receipt = (fields["receipt"] ?? "").trimmingSpaces().uppercased()
            guard !receipt.isEmpty else { return Self.back(path, error: "A paid decision needs the M-Pesa receipt.") }
            verdict = .paid(receipt: receipt)
        case "not_paid": verdict = .notPaid
        default: return Self.back(path, error: "Choose paid or not paid.")
        }
        do {
            let decided = try await decisions.decide(
                paymentID: id, verdict: verdict, who: .id(session.account.id), via: .console, origin: address)
            let notice =
                decided.outcome == "applied"
                ? "Decision confirmed: the payment is now \(decided.status.rawValue)."
                : "Decision recorded; a second admin must confirm it."
            return Self.back(path, notice: notice)
        } catch let refusal as RefundRefusal {
            return Self.back(path, error: refusal.message)
        } catch {
            return Self.back(path, error: "The decision could not be recorded; nothing changed. Try again.")
        }
    }

    func callback(_ session: ConsoleSession, id: Int64?) async throws -> PageResult {
        guard let id else { return .notFound("callback") }
        let found = try await pool.withConnection { db in
            try await db.run { db throws(PostgresError) in try ConsoleStore.callback(db, id: id) }
        }
        guard let found else { return .notFound("callback") }
        let body = Self.shown(found.body, to: session)
        return .html(
            title: "Callback \(id)", template: "callback",
            values: [
                "id": id, "kind": found.kind, "outcome": found.outcome ?? "not yet applied",
                "received": Display.time(found.receivedAt), "body": body,
            ])
    }

    // MARK: Refunds

    static let refundStatuses = [
        "", "proposed", "approved", "sending", "sent", "succeeded", "failed", "unknown", "rejected",
    ]

    func refunds(_ request: Request, _ session: ConsoleSession) async throws -> PageResult {
        let chosen = request.uri.queryParameters.get("status") ?? ""
        let status = RefundStatus(rawValue: chosen)
        let list = try await desk.list(status: status, limit: 200)
        return .html(
            title: "Refunds", template: "refunds",
            values: [
                "statuses": Self.refundStatuses.map {
                    ["value": $0, "label": $0.isEmpty ? "any" : $0, "selected": $0 == chosen] as [String: any Sendable]
                },
                "has_refunds": !list.isEmpty,
                "refunds": list.map {
                    [
                        "id": $0.id, "payment_id": $0.paymentID, "amount": "KES " + Self.grouped($0.amount),
                        "status": $0.status, "proposed_by": $0.proposedBy, "proposed_at": Display.time($0.proposedAt),
                        "reason": Self.shown($0.reason, to: session),
                    ] as [String: any Sendable]
                },
            ])
    }

    /// `1234.00` as `1,234.00`.
    static func grouped(_ decimal: String) -> String {
        (try? Money.parse(decimal)).map { String($0.description.dropFirst(4)) } ?? decimal
    }

    func refund(_ request: Request, _ session: ConsoleSession, id: Int64?) async throws -> PageResult {
        guard let id, let refund = try await Self.found({ try await desk.show(id) }) else {
            return .notFound("refund")
        }
        let me = session.account.email
        let ownProposal = refund.proposedBy.lowercased() == me.lowercased()
        let alreadyApproved = refund.approvedBy?.lowercased() == me.lowercased()
        var values: [String: any Sendable] = [
            "id": refund.id, "payment_id": refund.paymentID, "amount": "KES " + Self.grouped(refund.amount),
            "status": refund.status, "reason": Self.shown(refund.reason, to: session), "phone": refund.phone,
            "proposed_by": refund.proposedBy, "proposed_at": Display.time(refund.proposedAt),
            "approved": refund.approvedBy.map { "\($0), \(refund.approvedAt.map(Display.time) ?? "")" } ?? "not yet",
            "needs_two": refund.needsTwoApprovers,
            "second_approved": refund.secondApprovedBy.map {
                "\($0), \(refund.secondApprovedAt.map(Display.time) ?? "")"
            } ?? "not yet",
            "mpesa": [
                refund.receipt.map { "receipt \($0)" }, refund.resultDescription,
                refund.completedAt.map { "completed \(Display.time($0))" },
            ].compactMap { $0 }.joined(separator: "; "),
            "own_proposal": ownProposal && refund.status == "proposed",
            "may_decide": refund.status == "proposed" && !ownProposal && !alreadyApproved,
            "may_cancel": refund.status == "approved" && !ownProposal,
        ]
        if let rejectedBy = refund.rejectedBy {
            values["rejected"] = "\(rejectedBy): \(refund.rejectedReason ?? "")"
        }
        if let exception = refund.exceptionID { values["exception_id"] = exception }
        return .html(title: "Refund \(id)", template: "refund", values: values)
    }

    func propose(_ session: ConsoleSession, _ fields: [String: String], address: String) async -> Response {
        guard let paymentID = Int64(fields["payment_id"] ?? "") else {
            return Self.back("/console/payments", error: "Choose a payment to refund.")
        }
        let back = "/console/payments/\(paymentID)"
        guard let amount = try? Money.parse((fields["amount"] ?? "").replacingOccurrences(of: ",", with: "")) else {
            return Self.back(back, error: "The amount must be a number of shillings, e.g. 1500.")
        }
        do {
            let refund = try await desk.propose(
                paymentID: paymentID, amount: amount, reason: fields["reason"] ?? "", who: .id(session.account.id),
                via: .console, origin: address)
            return Self.back("/console/refunds/\(refund.id)", notice: "Refund proposed; another admin must approve it.")
        } catch let refusal as RefundRefusal {
            return Self.back(back, error: refusal.message)
        } catch {
            return Self.back(back, error: "The refund could not be proposed; nothing changed. Try again.")
        }
    }

    func decideRefund(
        _ session: ConsoleSession, _ fields: [String: String], id: Int64?, action: RefundAction, address: String
    ) async -> Response {
        guard let id else { return Self.back("/console/refunds", error: "No such refund.") }
        let path = "/console/refunds/\(id)"
        let who = RefundDesk.Who.id(session.account.id)
        do {
            let refund: RefundView
            switch action {
            case .approve: refund = try await desk.approve(id, who: who, via: .console, origin: address)
            case .reject:
                refund = try await desk.reject(
                    id, who: who, reason: fields["reason"] ?? "", via: .console, origin: address)
            case .cancel:
                refund = try await desk.cancel(
                    id, who: who, reason: fields["reason"], via: .console, origin: address)
            }
            return Self.back(path, notice: "Refund \(id) is now \(refund.status).")
        } catch let refusal as RefundRefusal {
            return Self.back(path, error: refusal.message)
        } catch {
            return Self.back(path, error: "The decision could not be recorded; nothing changed. Try again.")
        }
    }

    // MARK: Exceptions

    func exceptions(_ request: Request, _ session: ConsoleSession) async throws -> PageResult {
        let query = request.uri.queryParameters
        let kind = query.get("kind").flatMap { $0.isEmpty ? nil : $0 }
        let status = query.get("status").map { $0.isEmpty ? nil : $0 } ?? "open"
        // Only the filters the page offers: anything else (a NUL byte, a made-up kind) is a clear refusal.
        guard kind.map({ ExceptionKind(rawValue: $0) != nil }) ?? true,
            status.map({ ["open", "resolved"].contains($0) }) ?? true
        else {
            return .response(Self.back("/console/exceptions", error: "Choose a kind and a status from the lists."))
        }
        let records: [ExceptionRecord]
        do {
            records = try await decisions.exceptions(kind: kind, status: status, limit: 500)
        } catch let refusal as RefundRefusal {
            return .response(Self.back("/console/exceptions", error: refusal.message))
        }
        return .html(
            title: "Exceptions", template: "exceptions",
            values: [
                "kinds": ([""] + ExceptionKind.allCases.map(\.rawValue)).map {
                    ["value": $0, "label": $0.isEmpty ? "any" : $0, "selected": $0 == (kind ?? "")]
                        as [String: any Sendable]
                },
                "statuses": ["open", "resolved", ""].map {
                    ["value": $0, "label": $0.isEmpty ? "any" : $0, "selected": $0 == (status ?? "")]
                        as [String: any Sendable]
                },
                "has_exceptions": !records.isEmpty,
                "exceptions": records.map(ExceptionView.init).map { view in
                    var row: [String: any Sendable] = [
                        "id": view.id, "kind": view.kind, "status": view.status,
                        "first_seen": Display.time(view.firstSeen), "summary": Self.shown(view.summary, to: session),
                    ]
                    if let payment = view.paymentID { row["payment_id"] = payment }
                    return row
                },
            ])
    }

    func exception(_ request: Request, _ session: ConsoleSession, id: Int64?) async throws -> PageResult {
        guard let id, let record = try await Self.found({ try await decisions.exception(id) }) else {
            return .notFound("exception")
        }
        let view = ExceptionView(record)
        var values: [String: any Sendable] = [
            "id": view.id, "kind": view.kind, "status": view.status, "summary": Self.shown(view.summary, to: session),
            "first_seen": Display.time(view.firstSeen), "last_seen": Display.time(view.lastSeen),
            "open": view.status == "open",
        ]
        if let payment = view.paymentID { values["payment_id"] = payment }
        if let refund = view.detail["refund_id"] { values["refund_id"] = refund }
        if let resolution = view.resolution {
            values["resolution"] = Self.shown(resolution, to: session)
            values["resolved_by"] = view.resolvedBy ?? "?"
            values["resolved_at"] = view.resolvedAt.map(Display.time) ?? ""
        }
        return .html(title: "Exception \(id)", template: "exception", values: values)
    }

    func resolve(_ session: ConsoleSession, _ fields: [String: String], id: Int64?, address: String) async -> Response {
        guard let id else { return Self.back("/console/exceptions", error: "No such exception.") }
        let path = "/console/exceptions/\(id)"
        do {
            _ = try await decisions.resolveException(
                id, note: fields["note"] ?? "", who: .id(session.account.id), via: .console, origin: address)
            return Self.back("/console/exceptions", notice: "Exception \(id) resolved.")
        } catch let refusal as RefundRefusal {
            return Self.back(path, error: refusal.message)
        } catch {
            return Self.back(path, error: "The exception could not be resolved; nothing changed. Try again.")
        }
    }

    // MARK: Audit

    func audit(_ request: Request, _ session: ConsoleSession) async throws -> PageResult {
        let before = request.uri.queryParameters.get("before").flatMap { Int64($0) }
        let entries = try await pool.withConnection { db in
            try await db.run { db throws(PostgresError) in try ConsoleStore.audit(db, beforeID: before, limit: 100) }
        }
        var values: [String: any Sendable] = [
            "entries": entries.map { entry in
                var row: [String: any Sendable] = [
                    "at": Display.time(entry.at), "who": entry.who ?? "system", "channel": entry.channel,
                    "origin": entry.osUser ?? entry.address ?? "", "action": entry.action,
                    "subject": entry.subjectID.map { "\(entry.subject) \($0)" } ?? entry.subject,
                    "detail": Self.shown(Self.auditDetail(entry.detailJSON), to: session),
                ]
                if let subjectID = entry.subjectID, ["payment", "refund", "exception"].contains(entry.subject) {
                    row["href"] =
                        "/console/\(entry.subject == "payment" ? "payments" : entry.subject + "s")/\(subjectID)"
                }
                return row
            }
        ]
        if entries.count == 100, let last = entries.last { values["older"] = last.id }
        return .html(title: "Audit log", template: "audit", values: values)
    }

    /// Free text as this session may see it: whole for an admin; for finance every number in it masked, those
    /// inside identifiers included (a CheckoutRequestID ends with the payer's number).
    static func shown(_ text: String, to session: ConsoleSession) -> String {
        session.account.isAdmin ? text : MSISDN.maskNumbers(in: text)
    }

    /// `{"from":"proposed","to":"approved"}` as `proposed → approved`; other details as `key: value` pairs.
    static func auditDetail(_ json: String) -> String {
        guard let object = (try? JSONSerialization.jsonObject(with: Data(json.utf8))) as? [String: Any] else {
            return ""
        }
        var parts: [String] = []
        if let from = object["from"], let to = object["to"] { parts.append("\(from) → \(to)") }
        for key in object.keys.sorted() where key != "from" && key != "to" {
            if let value = object[key], "\(value)" != "" { parts.append("\(key): \(value)") }
        }
        return parts.joined(separator: "; ")
    }
}
