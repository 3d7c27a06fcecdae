import Foundation
import Hummingbird
import ReconApp
import ReconCore
import ReconIdentity
import ReconPostgres
import ReconPresentation

/// The console's pages and forms: each reads or acts through a desk or ConsoleStore and hands typed values to its
/// template (ConsoleViews); each form answers with a redirect that carries its banner.
extension Console {
    // MARK: Sign-in and sign-out

    /// `GET /console/login` (and the sign-in form again, refused): straight to the overview when signed in.
    func loginPage(
        _ request: Request, _ context: ConsoleRequestContext, error: String?, email: String = ""
    ) async -> Response {
        if (try? await signedIn(request, context)) != nil {
            return Self.redirect("/console/")
        }
        let token = randomToken()
        let page = LoginPage(
            loginToken: token, next: Self.safeNext(request.uri.queryParameters.get("next")), email: email)
        var headers: HTTPFields = [:]
        headers.append(
            FieldName.field(
                .setCookie,
                Self.cookie(Self.loginCookieName, token, secure: secureCookie(request, context), maxAge: 3_600)))
        // The one banner a signed-out page shows is the server's own fixed text, chosen by a flag.
        let signedOut = error == nil && request.uri.queryParameters.get("signed_out") == "1"
        return html(
            error == nil ? .ok : .unauthorized, title: "Sign in", page: page, viewer: nil,
            notice: signedOut ? "Signed out." : nil, error: error, extraHeaders: headers)
    }

    /// Only paths inside the console are followed after login.
    static func safeNext(_ next: String?) -> String {
        guard let next, next.hasPrefix("/console/"), !next.contains("//"), !next.contains("\\") else {
            return "/console/"
        }
        return next
    }

    /// `POST /console/login`: the form must carry the sign-in page's own token (its cookie), then the password
    /// decides, throttled as the API's login is.
    func login(_ request: Request, _ context: ConsoleRequestContext) async throws -> Response {
        guard let form = try? await request.decode(as: LoginForm.self, context: context),
            let cookieToken = cookieValue(request, context, Self.loginCookieName),
            constantTimeEqual(form.csrfToken ?? "", cookieToken)
        else {
            return message(
                .forbidden, title: "Forbidden", "This sign-in form has expired. Open the sign-in page again.",
                viewer: nil)
        }
        let email = (form.email ?? "").trimmingSpaces()
        let password = form.password ?? ""
        let address = clientAddress(request, context)
        guard !email.isEmpty, !password.isEmpty else {
            return await loginPage(request, context, error: "Enter your email and password.", email: email)
        }
        let door = PasswordLogin(pool: pool, throttle: configuration.throttle)
        switch try await door.attempt(
            email: email, password: password, address: address, mayLogIn: { ConsoleRole.staff.admits($0) })
        {
        case .throttled(let seconds):
            return await loginPage(
                request, context, error: "Too many failed sign-ins. Try again in \(max(1, seconds / 60)) minutes.",
                email: email)
        case .refused:
            return await loginPage(
                request, context, error: "Email or password is wrong, or this account may not use the console.",
                email: email)
        case .account(let account):
            let id = randomToken()
            let csrf = randomToken()
            let acting = ActingAccount(account: account, channel: .console, origin: address)
            try await pool.withConnection { db in
                try await db.withTransaction { db in
                    try ConsoleStore.createSession(
                        db, idSHA256: sha256Hex(Array(id.utf8)), userID: account.id, csrfToken: csrf, address: address,
                        now: Date())
                    try UserStore.audit(
                        db, acting: acting, action: "console.login", subject: "user", subjectID: account.id)
                }
            }
            let secure = secureCookie(request, context)
            return Self.redirect(
                Self.safeNext(form.next),
                cookies: [
                    Self.cookie(Self.sessionCookieName, id, secure: secure),
                    Self.cookie(Self.loginCookieName, "", secure: secure, maxAge: 0),
                ])
        }
    }

    /// `POST /console/logout`.
    func logout(_ request: Request, _ context: ConsoleRequestContext) async throws -> Response {
        let session = try context.requireSession()
        let id = context.sessionID ?? ""
        let acting = ActingAccount(account: session.account, channel: .console, origin: clientAddress(request, context))
        try await pool.withConnection { db in
            try await db.withTransaction { db in
                try ConsoleStore.deleteSession(db, idSHA256: sha256Hex(Array(id.utf8)))
                try UserStore.audit(
                    db, acting: acting, action: "console.logout", subject: "user", subjectID: session.account.id)
            }
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

    /// Runs a form's action through a desk: its refusal is the banner on `path`; any other failure says nothing
    /// changed (`failed`).
    static func acting(
        on path: String, failed: String, _ action: () async throws -> Response
    ) async -> Response {
        do {
            return try await action()
        } catch let refusal as RefundRefusal {
            return back(path, error: refusal.message)
        } catch {
            return back(path, error: failed)
        }
    }

    static func callbacks(
        _ db: isolated PostgresConnection, reference: String?
    ) throws(PostgresError) -> [CallbackRow] {
        guard let reference else { return [] }
        return try ConsoleStore.callbacks(db, reference: reference)
    }

    // MARK: Overview

    func dashboard(_ request: Request, _ context: ConsoleRequestContext) async throws -> Response {
        let (board, computedAt) = try await dashboardCache.board()
        return try await page(DashboardPage(board, computedAt: computedAt, now: Date()), title: "Overview", context)
    }

    // MARK: Payments

    func payments(_ request: Request, _ context: ConsoleRequestContext) async throws -> Response {
        let viewer = try Viewer(context.requireSession())
        let q = (request.uri.queryParameters.get("q") ?? "").trimmingSpaces()
        var found: [PaymentOverview]?
        if !q.isEmpty {
            do {
                found = try await decisions.searchPayments(q, limit: 50, maskedViewer: !viewer.isAdmin)
            } catch let refusal as RefundRefusal {
                return Self.back("/console/payments", error: refusal.message)
            }
        }
        return try await page(PaymentsPage(q: q, found: found), title: "Payments", context)
    }

    func payment(_ request: Request, _ context: ConsoleRequestContext) async throws -> Response {
        let viewer = try Viewer(context.requireSession())
        guard let id = context.parameters.get("id", as: Int64.self),
            let overview = try await Self.found({
                try await decisions.payment(id: id, receipt: nil, checkoutRequestID: nil)
            })
        else { return notFound("payment", context) }
        let record = overview.record
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
        var refunds: [RefundView] = []
        for refundID in refundIDs { refunds.append(try await desk.show(refundID)) }
        let related = PaymentPage.Related(
            events: events, callbacks: callbacks, enrollment: enrollment, refunds: refunds, decision: decision)
        return try await page(PaymentPage(overview, related, viewer: viewer), title: "Payment \(id)", context)
    }

    func decide(_ request: Request, _ context: ConsoleRequestContext) async throws -> Response {
        let session = try context.requireSession()
        let form = try await request.decode(as: DecisionForm.self, context: context)
        guard let id = context.parameters.get("id", as: Int64.self) else {
            return Self.back("/console/payments", error: "No such payment.")
        }
        let path = "/console/payments/\(id)"
        let verdict: PaymentVerdict
        switch form.verdict {
        case "paid":
            let receipt = (form.receipt ?? "").trimmingSpaces().uppercased()
            guard !receipt.isEmpty else { return Self.back(path, error: "A paid decision needs the M-Pesa receipt.") }
            verdict = .paid(receipt: receipt)
        case "not_paid": verdict = .notPaid
        default: return Self.back(path, error: "Choose paid or not paid.")
        }
        let address = clientAddress(request, context)
        return await Self.acting(on: path, failed: "The decision could not be recorded; nothing changed. Try again.") {
            let decided = try await decisions.decide(
                paymentID: id, verdict: verdict, who: .id(session.account.id), via: .console, origin: address)
            let notice =
                decided.outcome == "applied"
                ? "Decision confirmed: the payment is now \(decided.status.rawValue)."
                : "Decision recorded; a second admin must confirm it."
            return Self.back(path, notice: notice)
        }
    }

    func callback(_ request: Request, _ context: ConsoleRequestContext) async throws -> Response {
        let viewer = try Viewer(context.requireSession())
        guard let id = context.parameters.get("id", as: Int64.self) else { return notFound("callback", context) }
        let found = try await pool.withConnection { db in
            try await db.run { db throws(PostgresError) in try ConsoleStore.callback(db, id: id) }
        }
        guard let found else { return notFound("callback", context) }
        return try await page(CallbackPage(found, viewer: viewer), title: "Callback \(id)", context)
    }

    // MARK: Refunds

    func refunds(_ request: Request, _ context: ConsoleRequestContext) async throws -> Response {
        let viewer = try Viewer(context.requireSession())
        let chosen = request.uri.queryParameters.get("status") ?? ""
        let list = try await desk.list(status: RefundStatus(rawValue: chosen), limit: 200)
        return try await page(RefundsPage(list, status: chosen, viewer: viewer), title: "Refunds", context)
    }

    func refund(_ request: Request, _ context: ConsoleRequestContext) async throws -> Response {
        let viewer = try Viewer(context.requireSession())
        guard let id = context.parameters.get("id", as: Int64.self),
            let refund = try await Self.found({ try await desk.show(id) })
        else { return notFound("refund", context) }
        return try await page(RefundPage(refund, viewer: viewer), title: "Refund \(id)", context)
    }

    func propose(_ request: Request, _ context: ConsoleRequestContext) async throws -> Response {
        let session = try context.requireSession()
        let form = try await request.decode(as: RefundProposalForm.self, context: context)
        guard let paymentID = Int64(form.paymentID ?? "") else {
            return Self.back("/console/payments", error: "Choose a payment to refund.")
        }
        let back = "/console/payments/\(paymentID)"
        guard let amount = try? Money.parse((form.amount ?? "").replacingOccurrences(of: ",", with: "")) else {
            return Self.back(back, error: "The amount must be a number of shillings, e.g. 1500.")
        }
        let address = clientAddress(request, context)
        return await Self.acting(on: back, failed: "The refund could not be proposed; nothing changed. Try again.") {
            let refund = try await desk.propose(
                paymentID: paymentID, amount: amount, reason: form.reason ?? "", who: .id(session.account.id),
                via: .console, origin: address)
            return Self.back("/console/refunds/\(refund.id)", notice: "Refund proposed; another admin must approve it.")
        }
    }

    func decideRefund(
        _ request: Request, _ context: ConsoleRequestContext, action: RefundAction
    ) async throws -> Response {
        let session = try context.requireSession()
        let form = try await request.decode(as: RefundDecisionForm.self, context: context)
        guard let id = context.parameters.get("id", as: Int64.self) else {
            return Self.back("/console/refunds", error: "No such refund.")
        }
        let path = "/console/refunds/\(id)"
        let who = RefundDesk.Who.id(session.account.id)
        let address = clientAddress(request, context)
        return await Self.acting(on: path, failed: "The decision could not be recorded; nothing changed. Try again.") {
            let refund: RefundView
            switch action {
            case .approve: refund = try await desk.approve(id, who: who, via: .console, origin: address)
            case .reject:
                refund = try await desk.reject(id, who: who, reason: form.reason ?? "", via: .console, origin: address)
            case .cancel:
                refund = try await desk.cancel(id, who: who, reason: form.reason, via: .console, origin: address)
            }
            return Self.back(path, notice: "Refund \(id) is now \(refund.status).")
        }
    }

    // MARK: Exceptions

    func exceptions(_ request: Request, _ context: ConsoleRequestContext) async throws -> Response {
        let viewer = try Viewer(context.requireSession())
        let query = request.uri.queryParameters
        let kind = query.get("kind").flatMap { $0.isEmpty ? nil : $0 }
        let status = query.get("status").map { $0.isEmpty ? nil : $0 } ?? "open"
        // Only the filters the page offers: anything else (a NUL byte, a made-up kind) is a clear refusal.
        guard kind.map({ ExceptionKind(rawValue: $0) != nil }) ?? true,
            status.map({ ["open", "resolved"].contains($0) }) ?? true
        else {
            return Self.back("/console/exceptions", error: "Choose a kind and a status from the lists.")
        }
        let records: [ExceptionRecord]
        do {
            records = try await decisions.exceptions(kind: kind, status: status, limit: 500)
        } catch let refusal as RefundRefusal {
            return Self.back("/console/exceptions", error: refusal.message)
        }
        return try await page(
            ExceptionsPage(records, kind: kind, status: status, viewer: viewer), title: "Exceptions", context)
    }

    func exception(_ request: Request, _ context: ConsoleRequestContext) async throws -> Response {
        let viewer = try Viewer(context.requireSession())
        guard let id = context.parameters.get("id", as: Int64.self),
            let record = try await Self.found({ try await decisions.exception(id) })
        else { return notFound("exception", context) }
        return try await page(ExceptionPage(ExceptionView(record), viewer: viewer), title: "Exception \(id)", context)
    }

    func resolve(_ request: Request, _ context: ConsoleRequestContext) async throws -> Response {
        let session = try context.requireSession()
        let form = try await request.decode(as: ResolutionForm.self, context: context)
        guard let id = context.parameters.get("id", as: Int64.self) else {
            return Self.back("/console/exceptions", error: "No such exception.")
        }
        let address = clientAddress(request, context)
        return await Self.acting(
            on: "/console/exceptions/\(id)", failed: "The exception could not be resolved; nothing changed. Try again."
        ) {
            _ = try await decisions.resolveException(
                id, note: form.note ?? "", who: .id(session.account.id), via: .console, origin: address)
            return Self.back("/console/exceptions", notice: "Exception \(id) resolved.")
        }
    }

    // MARK: Audit

    func audit(_ request: Request, _ context: ConsoleRequestContext) async throws -> Response {
        let viewer = try Viewer(context.requireSession())
        let before = request.uri.queryParameters.get("before").flatMap { Int64($0) }
        let entries = try await pool.withConnection { db in
            try await db.run { db throws(PostgresError) in
                try ConsoleStore.audit(db, beforeID: before, limit: AuditPage.pageSize)
            }
        }
        return try await page(AuditPage(entries, viewer: viewer), title: "Audit log", context)
    }
}
