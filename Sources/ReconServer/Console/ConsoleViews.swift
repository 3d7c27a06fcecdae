import Foundation
import ReconApp
import ReconCore
import ReconPostgres
import ReconPresentation

// The values each template shows. Mustache reads stored properties by name (`{{paymentID}}`), so every property
// here is what a page prints, already formatted and masked for its viewer: templates decide nothing.

/// A page's values, rendered with its template inside the layout.
protocol ConsolePage: Sendable {
    /// The template that shows it.
    static var template: ConsolePages.Template { get }
}

/// Every page: the title, the signed-in viewer (none on the sign-in page), a banner, and the page itself, which
/// `layout.mustache` renders with the template named by `template`.
struct ConsoleLayout<Page: ConsolePage>: Sendable {
    let title: String
    let viewer: Viewer?
    let notice: String?
    let error: String?
    let template: String
    let page: Page

    init(title: String, viewer: Viewer?, notice: String?, error: String?, page: Page) {
        self.title = title
        self.viewer = viewer
        // Banners are the server's own words only (a stored flash or the handler's text), never the query string.
        self.notice = notice.flatMap { $0.isEmpty ? nil : $0 }
        self.error = error.flatMap { $0.isEmpty ? nil : $0 }
        self.template = Page.template.rawValue
        self.page = page
    }
}

/// One entry of a filter's `<select>`; the empty value reads "any".
struct Choice: Sendable {
    let value: String
    let label: String
    let selected: Bool

    static func list(_ values: [String], selected: String) -> [Choice] {
        values.map { Choice(value: $0, label: $0.isEmpty ? "any" : $0, selected: $0 == selected) }
    }
}

/// Formatting shared by the pages.
enum ConsoleText {
    /// `1234.00` as `1,234.00`.
    static func grouped(_ decimal: String) -> String {
        (try? Money.parse(decimal)).map(Display.amount) ?? decimal
    }

    static func age(since: Date, now: Date) -> String {
        let minutes = max(0, Int(now.timeIntervalSince(since) / 60))
        if minutes < 60 { return "\(minutes) min" }
        if minutes < 48 * 60 { return "\(minutes / 60) h \(minutes % 60) min" }
        return "\(minutes / 1_440) days"
    }

    /// `{"from":"proposed","to":"approved"}` as `proposed → approved`; other details as `key: value` pairs.
    static func auditDetail(_ json: String) -> String {
        guard let object = try? JSONDecoder().decode([String: AuditValue].self, from: Data(json.utf8)) else {
            return ""
        }
        var parts: [String] = []
        if let from = object["from"], let to = object["to"] { parts.append("\(from) → \(to)") }
        for key in object.keys.sorted() where key != "from" && key != "to" {
            if let value = object[key], !value.description.isEmpty { parts.append("\(key): \(value)") }
        }
        return parts.joined(separator: "; ")
    }
}

/// One value of an audit row's `detail` object, as the audit page shows it: text as it is, whole numbers and
/// decimals as written, booleans as `true`/`false`, `null` as nothing, a nested object or list as `…`.
struct AuditValue: Decodable, CustomStringConvertible {
    let description: String

    init(from decoder: any Decoder) throws {
        let value = try decoder.singleValueContainer()
        if value.decodeNil() {
            description = ""
        } else if let text = try? value.decode(String.self) {
            description = text
        } else if let whole = try? value.decode(Int64.self) {
            description = String(whole)
        } else if let decimal = try? value.decode(Decimal.self) {
            description = "\(decimal)"
        } else if let flag = try? value.decode(Bool.self) {
            description = flag ? "true" : "false"
        } else {
            description = "…"
        }
    }
}

// MARK: Sign-in and messages

struct LoginPage: ConsolePage {
    static let template = ConsolePages.Template.login
    /// The sign-in form's own CSRF token (its cookie holds the same).
    let loginToken: String
    let next: String
    let email: String
}

/// Not found, forbidden, unavailable: one sentence under the title.
struct MessagePage: ConsolePage {
    static let template = ConsolePages.Template.message
    let message: String
}

// MARK: Overview

struct DashboardPage: ConsolePage {
    static let template = ConsolePages.Template.dashboard

    struct Totals: Sendable {
        let collected: String
        let refunded: String
        let net: String

        init(collected: Money, refunded: Money) {
            self.collected = collected.description
            self.refunded = refunded.description
            self.net = (collected.subtracting(refunded) ?? .zero).description
        }
    }

    struct KindCount: Sendable {
        let kind: String
        let count: Int
    }

    let now: String
    let today: Totals
    let month: Totals
    let pendingCount: Int
    let oldestPending: String
    let unknownCount: Int
    let approvedWaiting: Int
    let lastRun: String
    let lastRunClass: String
    let hasExceptions: Bool
    let openExceptions: [KindCount]

    init(_ board: Dashboard, computedAt: Date, now: Date) {
        self.now = Display.time(computedAt)
        today = Totals(collected: board.collectedToday, refunded: board.refundedToday)
        month = Totals(collected: board.collectedMonth, refunded: board.refundedMonth)
        pendingCount = board.pendingCount
        oldestPending = board.oldestPending.map { ConsoleText.age(since: $0, now: now) + " old" } ?? "none"
        unknownCount = board.unknownCount
        approvedWaiting = board.approvedRefundsWaiting
        lastRun = board.lastRunStarted.map { "\(Display.time($0)), \(board.lastRunOutcome ?? "running")" } ?? "never"
        lastRunClass = board.lastRunOutcome == "failed" ? "error" : ""
        hasExceptions = !board.openExceptions.isEmpty
        openExceptions = board.openExceptions.map { KindCount(kind: $0.kind, count: $0.count) }
    }
}

// MARK: Payments

struct PaymentsPage: ConsolePage {
    static let template = ConsolePages.Template.payments

    /// A search result: the CLI's ``PaymentView`` (phone masked for everyone) as one table row.
    struct Row: Sendable {
        let id: Int64
        let created: String
        let learner: String
        let course: String
        let phone: String
        let amount: String
        let status: String
        let receipt: String

        init(_ overview: PaymentOverview) {
            let view = PaymentView(overview)
            id = view.id
            created = Display.time(view.createdAt)
            learner = view.learnerEmail ?? "user \(overview.record.userID)"
            course = view.course ?? "course \(overview.record.courseID)"
            phone = view.phone
            amount = overview.record.state.amount.description
            status = view.status
            receipt = view.receipt ?? ""
        }
    }

    let q: String
    let searched: Bool
    let hasResults: Bool
    let results: [Row]

    init(q: String, found: [PaymentOverview]?) {
        self.q = q
        searched = found != nil
        results = (found ?? []).map(Row.init)
        hasResults = !results.isEmpty
    }
}

struct PaymentPage: ConsolePage {
    static let template = ConsolePages.Template.payment

    struct Event: Sendable {
        let at: String
        let source: String
        let from: String
        let to: String
        let detail: String
    }

    struct Callback: Sendable {
        let id: Int64
        let received: String
        let outcome: String
    }

    struct Refund: Sendable {
        let id: Int64
        let amount: String
        let status: String
        let proposedBy: String
        let reason: String
    }

    /// What the page reads besides the payment itself.
    struct Related: Sendable {
        let events: [PaymentEventRow]
        let callbacks: [CallbackRow]
        let enrollment: (id: Int64, status: String, paymentID: Int64?)?
        let refunds: [RefundView]
        let decision: OpenPaymentDecision?
    }

    let id: Int64
    let status: String
    let learner: String
    let course: String
    let amount: String
    let paidAmount: String
    let phone: String
    let receipt: String
    let checkout: String
    let created: String
    let settledVia: String
    let lastAnswer: String
    let enrollment: String
    let events: [Event]
    let hasCallbacks: Bool
    let callbacks: [Callback]
    let hasRefunds: Bool
    let refunds: [Refund]
    /// Whether a refund may be proposed (and `refundable`, the most it may be, in whole shillings).
    let completed: Bool
    let refundable: String
    /// Whether the payment waits for two admins' decision (and `openDecision`, the first one, when made).
    let unknown: Bool
    let openDecision: String?

    init(_ overview: PaymentOverview, _ related: Related, viewer: Viewer) {
        let record = overview.record
        let state = record.state
        let view = PaymentView(overview)
        id = record.id
        status = view.status
        learner = [view.learner, view.learnerEmail].compactMap { $0 }.joined(separator: ", ")
        course = view.course ?? "course \(record.courseID)"
        amount = state.amount.description
        paidAmount = state.paidAmount?.description ?? "-"
        phone = viewer.phone(record.phone)
        receipt = view.receipt ?? "-"
        checkout = view.checkoutRequestID.map(viewer.identifier) ?? "-"
        created = Display.time(view.createdAt)
        settledVia = view.settledVia ?? "-"
        lastAnswer = view.lastAnswer ?? "-"
        enrollment =
            related.enrollment.map {
                "enrollment \($0.id), \($0.status)" + ($0.paymentID == record.id ? " (by this payment)" : "")
            } ?? "none"
        events = related.events.map {
            Event(
                at: Display.time($0.at), source: $0.source, from: $0.fromStatus ?? "-", to: $0.toStatus,
                detail: viewer.shown(ConsoleText.auditDetail($0.detailJSON)))
        }
        callbacks = related.callbacks.map {
            Callback(id: $0.id, received: Display.time($0.receivedAt), outcome: $0.outcome ?? "not yet applied")
        }
        hasCallbacks = !callbacks.isEmpty
        refunds = related.refunds.map {
            Refund(
                id: $0.id, amount: "KES " + $0.amount, status: $0.status, proposedBy: $0.proposedBy,
                reason: viewer.shown($0.reason))
        }
        hasRefunds = !refunds.isEmpty
        // What can be refunded is money M-Pesa confirmed: the amount pushed, or less when a callback said less (a
        // callback's higher figure is no evidence), as the database's cap reads it (sql/015), less what refunds
        // that may still pay out have committed.
        var committed = Money.zero
        for refund in related.refunds where !["rejected", "failed"].contains(refund.status) {
            if let amount = try? Money.parse(refund.amount) { committed = committed.adding(amount) ?? committed }
        }
        let paid = min(state.amount, state.paidAmount ?? state.amount)
        let left = max(.zero, paid.subtracting(committed) ?? .zero)
        completed = state.status == .completed && left.minorUnits >= 100
        refundable = Money(minorUnits: left.minorUnits / 100 * 100).decimalString
        unknown = state.status == .unknown
        openDecision = related.decision.map { decision in
            let what = decision.verdict.receipt.map { "paid with receipt \($0)" } ?? "not paid"
            return "\(decision.proposedBy) proposed \(what)"
        }
    }
}

struct CallbackPage: ConsolePage {
    static let template = ConsolePages.Template.callback
    let id: Int64
    let kind: String
    let outcome: String
    let received: String
    /// The body exactly as it arrived, masked for finance.
    let body: String

    init(_ callback: CallbackRow, viewer: Viewer) {
        id = callback.id
        kind = callback.kind
        outcome = callback.outcome ?? "not yet applied"
        received = Display.time(callback.receivedAt)
        body = viewer.shown(callback.body)
    }
}

// MARK: Refunds

struct RefundsPage: ConsolePage {
    static let template = ConsolePages.Template.refunds

    /// The refund statuses the filter offers ("" is any).
    static let statusChoices = [
        "", "proposed", "approved", "sending", "sent", "succeeded", "failed", "unknown", "rejected",
    ]

    /// A refund of the list: the desk's ``RefundView`` as one table row.
    struct Row: Sendable {
        let id: Int64
        let paymentID: Int64
        let amount: String
        let status: String
        let proposedBy: String
        let proposedAt: String
        let reason: String

        init(_ refund: RefundView, viewer: Viewer) {
            id = refund.id
            paymentID = refund.paymentID
            amount = "KES " + ConsoleText.grouped(refund.amount)
            status = refund.status
            proposedBy = refund.proposedBy
            proposedAt = Display.time(refund.proposedAt)
            reason = viewer.shown(refund.reason)
        }
    }

    let statuses: [Choice]
    let hasRefunds: Bool
    let refunds: [Row]

    init(_ refunds: [RefundView], status: String, viewer: Viewer) {
        statuses = Choice.list(Self.statusChoices, selected: status)
        self.refunds = refunds.map { Row($0, viewer: viewer) }
        hasRefunds = !refunds.isEmpty
    }
}

struct RefundPage: ConsolePage {
    static let template = ConsolePages.Template.refund
    let id: Int64
    let paymentID: Int64
    let amount: String
    let status: String
    let reason: String
    let phone: String
    let proposedBy: String
    let proposedAt: String
    let approved: String
    let needsTwo: Bool
    let secondApproved: String
    let rejected: String?
    let mpesa: String
    let exceptionID: Int64?
    /// Which of the approve, reject and cancel forms the viewer gets (the desk decides what is allowed).
    let ownProposal: Bool
    let mayDecide: Bool
    let mayCancel: Bool

    init(_ refund: RefundView, viewer: Viewer) {
        let me = viewer.email.lowercased()
        let ownProposal = refund.proposedBy.lowercased() == me
        let alreadyApproved = refund.approvedBy?.lowercased() == me
        id = refund.id
        paymentID = refund.paymentID
        amount = "KES " + ConsoleText.grouped(refund.amount)
        status = refund.status
        reason = viewer.shown(refund.reason)
        phone = refund.phone
        proposedBy = refund.proposedBy
        proposedAt = Display.time(refund.proposedAt)
        approved = refund.approvedBy.map { "\($0), \(refund.approvedAt.map(Display.time) ?? "")" } ?? "not yet"
        needsTwo = refund.needsTwoApprovers
        secondApproved =
            refund.secondApprovedBy.map { "\($0), \(refund.secondApprovedAt.map(Display.time) ?? "")" } ?? "not yet"
        rejected = refund.rejectedBy.map { "\($0): \(refund.rejectedReason ?? "")" }
        mpesa = [
            refund.receipt.map { "receipt \($0)" }, refund.resultDescription,
            refund.completedAt.map { "completed \(Display.time($0))" },
        ].compactMap { $0 }.joined(separator: "; ")
        exceptionID = refund.exceptionID
        self.ownProposal = ownProposal && refund.status == "proposed"
        mayDecide = refund.status == "proposed" && !ownProposal && !alreadyApproved
        mayCancel = refund.status == "approved" && !ownProposal
    }
}

// MARK: Exceptions

struct ExceptionsPage: ConsolePage {
    static let template = ConsolePages.Template.exceptions

    /// A finding of the list: the CLI's ``ExceptionView`` as one table row.
    struct Row: Sendable {
        let id: Int64
        let kind: String
        let status: String
        let firstSeen: String
        let summary: String
        let paymentID: Int64?

        init(_ view: ExceptionView, viewer: Viewer) {
            id = view.id
            kind = view.kind
            status = view.status
            firstSeen = Display.time(view.firstSeen)
            summary = viewer.shown(view.summary)
            paymentID = view.paymentID
        }
    }

    let kinds: [Choice]
    let statuses: [Choice]
    let hasExceptions: Bool
    let exceptions: [Row]

    init(_ records: [ExceptionRecord], kind: String?, status: String?, viewer: Viewer) {
        kinds = Choice.list([""] + ExceptionKind.allCases.map(\.rawValue), selected: kind ?? "")
        statuses = Choice.list(["open", "resolved", ""], selected: status ?? "")
        exceptions = records.map { Row(ExceptionView($0), viewer: viewer) }
        hasExceptions = !exceptions.isEmpty
    }
}

struct ExceptionPage: ConsolePage {
    static let template = ConsolePages.Template.exception
    let id: Int64
    let kind: String
    let status: String
    let summary: String
    let firstSeen: String
    let lastSeen: String
    /// Whether it may be resolved (for an admin).
    let open: Bool
    let paymentID: Int64?
    let refundID: String?
    let resolution: String?
    let resolvedBy: String
    let resolvedAt: String

    init(_ view: ExceptionView, viewer: Viewer) {
        id = view.id
        kind = view.kind
        status = view.status
        summary = viewer.shown(view.summary)
        firstSeen = Display.time(view.firstSeen)
        lastSeen = Display.time(view.lastSeen)
        open = view.status == "open"
        paymentID = view.paymentID
        refundID = view.detail["refund_id"]
        resolution = view.resolution.map(viewer.shown)
        resolvedBy = view.resolvedBy ?? "?"
        resolvedAt = view.resolvedAt.map(Display.time) ?? ""
    }
}

// MARK: Reports and audit

struct ReportsPage: ConsolePage {
    static let template = ConsolePages.Template.reports

    struct Request: Sendable {
        let id: Int64
        let period: String
        let by: String
        let asked: String
        let status: String
        /// Never `nil`: an absent key would let the template read the layout's error banner instead.
        let error: String

        init(_ request: ReportRequest) {
            id = request.id
            period = "\(request.from) to \(request.to)" + (request.unmasked ? " (full phone numbers)" : "")
            by = request.requestedBy
            asked = Display.time(request.requestedAt)
            status = request.status
            error = request.error ?? ""
        }
    }

    struct Folder: Sendable {
        struct File: Sendable {
            let name: String
            let size: String
            let href: String
        }

        let period: String
        let unmasked: Bool
        let written: String
        let files: [File]

        init(_ folder: Console.ReportFolder) {
            period = folder.period
            unmasked = folder.unmasked
            written = Display.time(folder.written)
            files = folder.files.map {
                File(
                    name: $0.name, size: Self.size($0.size),
                    href: "/console/reports/\(folder.unmasked ? "unmasked" : "files")/\(folder.period)/\($0.name)")
            }
        }

        static func size(_ bytes: Int) -> String {
            if bytes < 1_024 { return "\(bytes) B" }
            if bytes < 1_048_576 { return "\(bytes / 1_024) KB" }
            return String(format: "%.1f MB", Double(bytes) / 1_048_576)
        }
    }

    let defaultFrom: String
    let defaultTo: String
    let hasRequests: Bool
    let requests: [Request]
    let hasFolders: Bool
    let folders: [Folder]

    init(today: String, requests: [ReportRequest], folders: [Console.ReportFolder]) {
        defaultFrom = today
        defaultTo = today
        self.requests = requests.map(Request.init)
        hasRequests = !requests.isEmpty
        self.folders = folders.map(Folder.init)
        hasFolders = !folders.isEmpty
    }
}

struct AuditPage: ConsolePage {
    static let template = ConsolePages.Template.audit

    struct Entry: Sendable {
        let at: String
        let who: String
        let channel: String
        let origin: String
        let action: String
        let subject: String
        let detail: String
        /// The subject's page, for payments, refunds and exceptions.
        let href: String?

        init(_ entry: AuditEntry, viewer: Viewer) {
            at = Display.time(entry.at)
            who = entry.who ?? "system"
            channel = entry.channel
            origin = entry.osUser ?? entry.address ?? ""
            action = entry.action
            subject = entry.subjectID.map { "\(entry.subject) \($0)" } ?? entry.subject
            detail = viewer.shown(ConsoleText.auditDetail(entry.detailJSON))
            href = entry.subjectID.flatMap { id in
                ["payment", "refund", "exception"].contains(entry.subject)
                    ? "/console/\(entry.subject == "payment" ? "payments" : entry.subject + "s")/\(id)" : nil
            }
        }
    }

    /// How many entries a page shows.
    static let pageSize = 100

    let entries: [Entry]
    /// The id to read older entries before, when this page is full.
    let older: Int64?

    init(_ entries: [AuditEntry], viewer: Viewer) {
        self.entries = entries.map { Entry($0, viewer: viewer) }
        older = entries.count == Self.pageSize ? entries.last?.id : nil
    }
}
