public import Foundation

/// A payment's lifecycle state (ARCHITECTURE.md §5).
public enum PaymentStatus: String, Sendable, Codable, CaseIterable {
    case pending
    case completed
    case failed
    case unknown
}

/// How a payment reached its settled state: the source of the answer that settled it (same values, same words).
public typealias SettledVia = AnswerSource

/// Where an answer about a payment came from.
public enum AnswerSource: String, Sendable, Codable {
    case callback
    case query
    /// Two admins agreed on a decision about an `unknown` payment (`payments decide`).
    case admin
}

/// The fields of a payment the state machine reads and writes.
public struct PaymentState: Sendable, Equatable {
    public var status: PaymentStatus
    /// What the learner was asked to pay.
    public var amount: Money
    public var resultCode: String?
    public var resultDescription: String?
    public var receipt: String?
    /// What M-Pesa reported as paid (the callback's Amount).
    public var paidAmount: Money?
    /// The paying number as M-Pesa reported it (digits).
    public var paidPhone: String?
    public var paidAt: Date?
    public var settledVia: SettledVia?
    public var checkAttempts: Int
    public var nextCheckAt: Date?
    public var createdAt: Date
    /// A short text of the last answer, for the Pending report.
    public var lastAnswer: String?

    /// A state value.
    public init(
        status: PaymentStatus, amount: Money, resultCode: String? = nil, resultDescription: String? = nil,
        receipt: String? = nil, paidAmount: Money? = nil, paidPhone: String? = nil, paidAt: Date? = nil,
        settledVia: SettledVia? = nil, checkAttempts: Int = 0, nextCheckAt: Date? = nil, createdAt: Date,
        lastAnswer: String? = nil
    ) {
        self.status = status
        self.amount = amount
        self.resultCode = resultCode
        self.resultDescription = resultDescription
        self.receipt = receipt
        self.paidAmount = paidAmount
        self.paidPhone = paidPhone
        self.paidAt = paidAt
        self.settledVia = settledVia
        self.checkAttempts = checkAttempts
        self.nextCheckAt = nextCheckAt
        self.createdAt = createdAt
        self.lastAnswer = lastAnswer
    }

    /// Completed without a receipt yet: a query said paid and no callback has filled it in.
    public var receiptPending: Bool { status == .completed && receipt == nil }
}

/// A finding for a person that a transition raises (recorded in `reconciliation_exceptions`).
public struct PaymentFinding: Sendable, Equatable {
    /// The exception kind.
    public var kind: ExceptionKind
    /// What happened, without phone numbers.
    public var detail: String
    /// What an answer claimed arrived when the payment does not record it (a held callback's amount), for a person.
    public var reported: Money? = nil
}

/// What applying one answer does to a payment.
public struct PaymentTransition: Sendable, Equatable {
    /// The state to store (equal to the old one when nothing changes).
    public var next: PaymentState
    /// Whether a `payment_events` row should be written (a status or receipt change).
    public var recordsEvent: Bool
    /// A short name of what happened, for the event and logs.
    public var summary: String
    /// A finding for a person, if any.
    public var finding: PaymentFinding?
    /// Whether the learner must now be enrolled (the payment became completed).
    public var enroll: Bool
    /// Whether the answer says Daraja is throttling: the run should slow down.
    public var throttled: Bool
    /// Whether an `unresolved` finding about this payment no longer holds (a verdict came).
    public var resolvesUnresolved: Bool
}

/// The payment state machine (ARCHITECTURE.md §6.1): pure, total, and the only place that decides a payment's state.
///
/// Rules, in words:
/// - confirmed money only: a success whose amount differs from the one pushed completes nothing and enrolls
///   nobody; the payment is held (a pending one is asked about again at once) with an `amount_mismatch` finding,
///   and the callback's amount, phone and receipt are not stored: callbacks carry no signature, and an STK Push's
///   amount is fixed by the push, so only Daraja's own answer about the request (STK Query) or two admins settle it;
/// - money that moved wins: a success with a receipt is applied whatever came before, and flagged when it
///   contradicts an earlier verdict; `completed` never goes back;
/// - a failure is final for a pending or unknown payment, and only recorded as a conflict after a success;
/// - "in flight" uses up one check of the schedule; after the last one the payment becomes `unknown`;
/// - throttling, transport failures and refused tokens reschedule without using up a check;
/// - an answer nobody understands makes the payment `unknown` for a person, never `failed`.
public enum PaymentStateMachine {
    /// Applies one classified answer to a payment.
    public static func apply(
        _ answer: StkAnswer, source: AnswerSource, to current: PaymentState, now: Date,
        schedule: RetrySchedule = .standard
    ) -> PaymentTransition {
        var next = current
        func result(
            _ summary: String, event: Bool, finding: PaymentFinding? = nil, enroll: Bool = false,
            throttled: Bool = false, resolves: Bool = false
        ) -> PaymentTransition {
            PaymentTransition(
                next: next, recordsEvent: event, summary: summary, finding: finding, enroll: enroll,
                throttled: throttled, resolvesUnresolved: resolves)
        }

        switch answer {
        case .paid(let details):
            return applyPaid(details, source: source, current: current, now: now)

        case .failed(let code, let reason, let description):
            switch current.status {
            case .pending, .unknown:
                next.status = .failed
                next.resultCode = code
                next.resultDescription = description
                next.settledVia = source
                next.nextCheckAt = nil
                next.lastAnswer = "\(code) \(reason.rawValue)"
                return result("failed: \(reason.rawValue)", event: true, resolves: current.status == .unknown)
            case .failed:
                return result(
                    current.resultCode == code ? "duplicate failure" : "failure with another code", event: false)
            case .completed:
                return result(
                    "failure after completion ignored", event: false,
                    finding: PaymentFinding(
                        kind: .callbackConflict,
                        detail: "a \(source.rawValue) reported failure \(code) after the payment was completed"))
            }

        case .inFlight(let code):
            guard current.status == .pending else { return result("in flight, no change", event: false) }
            next.lastAnswer = "in flight (\(code))"
            guard source == .query else { return result("in flight callback", event: false) }
            next.checkAttempts += 1
            if let due = schedule.nextCheck(afterAttempts: next.checkAttempts, now: now) {
                next.nextCheckAt = due
                return result("still in flight, rescheduled", event: false)
            }
            return giveUp(&next, reason: "still in flight after \(next.checkAttempts) checks")

        case .throttled(let code):
            guard current.status == .pending else { return result("throttled", event: false, throttled: true) }
            next.lastAnswer = "throttled (\(code))"
            next.nextCheckAt = now.addingTimeInterval(TimeInterval(min(60, schedule.delays.first ?? 60)))
            return result("throttled, rescheduled", event: false, throttled: true)

        case .tokenInvalid(let code):
            return retryLater(&next, current: current, now: now, schedule: schedule, note: "token refused (\(code))")

        case .transportFailure(let reason):
            // Connection failures arrive named "transport failure: …"; other non-answers (a proxy's page) are not.
            let note = reason.hasPrefix("transport failure") ? reason : "no answer: \(reason)"
            return retryLater(&next, current: current, now: now, schedule: schedule, note: note)

        case .notUnderstood(let reason):
            guard current.status == .pending else {
                return result(
                    "answer not understood", event: false,
                    finding: current.status == .unknown
                        ? nil : PaymentFinding(kind: .callbackConflict, detail: "answer not understood: \(reason)"))
            }
            next.lastAnswer = "not understood"
            next.status = .unknown
            next.nextCheckAt = nil
            return result(
                "not understood, needs a person", event: true,
                finding: PaymentFinding(kind: .unresolved, detail: "Daraja answer not understood: \(reason)"))
        }
    }

    private static func applyPaid(
        _ details: StkPaymentDetails?, source: AnswerSource, current: PaymentState, now: Date
    ) -> PaymentTransition {
        var next = current
        let receipt = details?.receipt
        func fill() {
            next.status = .completed
            next.resultCode = "0"
            next.resultDescription = "paid"
            next.nextCheckAt = nil
            if let receipt { next.receipt = receipt }
            if let amount = details?.amount { next.paidAmount = amount }
            if let phone = details?.phone { next.paidPhone = phone }
            if let paidAt = details?.paidAt { next.paidAt = paidAt }
            next.lastAnswer = "paid"
        }
        func transition(
            _ summary: String, event: Bool, finding: PaymentFinding? = nil, enroll: Bool = false, resolves: Bool = false
        ) -> PaymentTransition {
            PaymentTransition(
                next: next, recordsEvent: event, summary: summary, finding: finding, enroll: enroll, throttled: false,
                resolvesUnresolved: resolves)
        }
        if let reported = details?.amount, reported != current.amount {
            return hold(reported: reported, receipt: receipt, source: source, current: current, now: now)
        }

        switch current.status {
        case .pending:
            fill()
            next.settledVia = source
            return transition(receipt == nil ? "completed, receipt pending" : "completed", event: true, enroll: true)
        case .unknown:
            fill()
            next.settledVia = source
            if source == .admin {
                // Two people decided with the receipt in hand: a decision, not a surprise to flag.
                next.lastAnswer = "paid: decided by two admins"
                return transition("paid: decided by two admins", event: true, enroll: true, resolves: true)
            }
            return transition(
                "late success after unknown", event: true,
                finding: PaymentFinding(kind: .lateSuccess, detail: "paid after the payment was marked unknown"),
                enroll: true, resolves: true)
        case .failed:
            guard receipt != nil else {
                // A query's "paid" carries no receipt: too weak to overturn a verdict; a person decides.
                return transition(
                    "paid without receipt after failure", event: false,
                    finding: PaymentFinding(
                        kind: .lateSuccess, detail: "a query reported paid after the payment had failed"))
            }
            fill()
            next.settledVia = source
            return transition(
                "late success after failure", event: true,
                finding: PaymentFinding(
                    kind: .lateSuccess, detail: "paid (receipt received) after the payment had failed"),
                enroll: true)
        case .completed:
            guard let receipt else { return transition("already completed", event: false) }
            if let existing = current.receipt {
                if existing == receipt { return transition("duplicate success", event: false) }
                return transition(
                    "different receipt ignored", event: false,
                    finding: PaymentFinding(
                        kind: .receiptConflict,
                        detail:
                            "a \(source.rawValue) reported receipt \(receipt) for a payment completed with \(existing)")
                )
            }
            // Completed by a query with the receipt pending: the callback fills it in.
            fill()
            return transition("receipt filled in", event: true)
        }
    }

    /// A success whose amount differs from the one pushed: nothing about the money changes. A pending payment is
    /// held and asked about again at once (STK Query confirms or refutes the request as pushed); any other keeps its
    /// state. The finding tells a person what the callback claimed, receipt included (never the phone).
    private static func hold(
        reported: Money, receipt: String?, source: AnswerSource, current: PaymentState, now: Date
    ) -> PaymentTransition {
        var next = current
        let claimed =
            "a \(source.rawValue) reported \(reported.decimalString) paid"
            + (receipt.map { " (receipt \($0))" } ?? "") + " for a request of \(current.amount.decimalString)"
        let consequence: String
        switch current.status {
        case .pending:
            next.nextCheckAt = now
            next.lastAnswer = "held: success reported for another amount"
            consequence =
                "held, not completed and nobody enrolled, until STK Query confirms the request or two admins decide"
        case .unknown:
            consequence = "the payment stays unknown for a decision; nobody enrolled"
        case .failed:
            consequence = "the payment stays failed; nobody enrolled"
        case .completed:
            consequence = "ignored: the payment was completed for the amount pushed"
        }
        return PaymentTransition(
            next: next, recordsEvent: false, summary: "held: amount differs from the request",
            finding: PaymentFinding(
                kind: .amountMismatch, detail: "\(claimed): unconfirmed, \(consequence)", reported: reported),
            enroll: false, throttled: false, resolvesUnresolved: false)
    }

    private static func retryLater(
        _ next: inout PaymentState, current: PaymentState, now: Date, schedule: RetrySchedule, note: String
    ) -> PaymentTransition {
        guard current.status == .pending else {
            return PaymentTransition(
                next: next, recordsEvent: false, summary: note, finding: nil, enroll: false, throttled: false,
                resolvesUnresolved: false)
        }
        next.lastAnswer = note
        // No verdict at all for twice the schedule's span: stop asking and hand it to a person.
        if now.timeIntervalSince(current.createdAt) > TimeInterval(schedule.totalSeconds * 2) {
            return giveUp(&next, reason: "no answer from Daraja for longer than twice the retry schedule")
        }
        let gap =
            schedule.delays.indices.contains(current.checkAttempts)
            ? schedule.delays[current.checkAttempts] : (schedule.delays.last ?? 60)
        next.nextCheckAt = now.addingTimeInterval(TimeInterval(gap))
        return PaymentTransition(
            next: next, recordsEvent: false, summary: "rescheduled: \(note)", finding: nil, enroll: false,
            throttled: false, resolvesUnresolved: false)
    }

    private static func giveUp(_ next: inout PaymentState, reason: String) -> PaymentTransition {
        next.status = .unknown
        next.nextCheckAt = nil
        return PaymentTransition(
            next: next, recordsEvent: true, summary: "unknown: \(reason)",
            finding: PaymentFinding(kind: .unresolved, detail: reason), enroll: false, throttled: false,
            resolvesUnresolved: false)
    }
}
