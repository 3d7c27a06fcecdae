/// What a B2C send led to, in the refund's terms: the Daraja client's answer to a B2C payment request.
public enum B2CSendVerdict: Sendable, Equatable {
    /// Accepted; the result comes to the ResultURL.
    case accepted(conversationID: String)
    /// `500.002.1001`: this OriginatorConversationID was accepted before, so the first send got through.
    case alreadyAccepted
    /// Refused before anything was paid (a bad request, an invalid number, a request that breaks a rule and was
    /// never sent, with code `invalid_request`): the refund failed.
    case notSent(code: String, message: String)
    /// Throttled: nothing was sent; send again later with the same id.
    case throttled(code: String)
    /// No usable answer: it may or may not have been accepted. Transaction Status decides; never a blind resend.
    case uncertain(String)
}

/// What a Transaction Status result says about the refund it was asked about (DARAJA.md §7).
public enum TransactionStatusVerdict: Sendable, Equatable {
    /// `TransactionStatus` `Completed`: the money was paid.
    case completed(receipt: String?, amount: Money?)
    /// `TransactionStatus` `Failed`: nothing was paid.
    case failed(description: String)
    /// M-Pesa does not know the id: the request never reached it, so it may be sent again with the same id.
    case notFound(code: String)
    /// The query itself failed or said something nobody understands: ask again later.
    case noVerdict(code: String, description: String)

    /// Classifies a result from its `ResultCode`, `TransactionStatus` and `ReceiptNo`.
    ///
    /// Only `R000002` ("could not be found") means not found; any other failure of the query (2001, bad
    /// credentials) leaves the refund as it is.
    public static func classify(
        resultCode: String, resultDescription: String, transactionStatus: String?, receipt: String?, amount: Money?
    ) -> TransactionStatusVerdict {
        switch resultCode {
        case "0":
            switch transactionStatus?.trimmingSpaces().lowercased() {
            case "completed": return .completed(receipt: receipt.flatMap { $0.isEmpty ? nil : $0 }, amount: amount)
            case "failed": return .failed(description: resultDescription)
            default:
                return .noVerdict(code: resultCode, description: "transaction status \(transactionStatus ?? "missing")")
            }
        case "R000002": return .notFound(code: resultCode)
        default: return .noVerdict(code: resultCode, description: resultDescription)
        }
    }

    /// The word stored with the status check.
    public var name: String {
        switch self {
        case .completed: "completed"
        case .failed: "failed"
        case .notFound: "not_found"
        case .noVerdict: "no_verdict"
        }
    }
}

/// Something that happens to a refund once it is approved.
public enum RefundEvent: Sendable, Equatable {
    /// The dispatcher takes an approved refund (with a fresh id) or one whose resend is due (keeping its id).
    case claim(freshID: String)
    /// The B2C request was answered (or not).
    case sendAnswered(B2CSendVerdict)
    /// A B2C result arrived on the ResultURL.
    case result(B2CAnswer, code: String, description: String, conversationID: String?, transactionID: String?)
    /// A Transaction Status result about the refund arrived.
    case statusAnswered(TransactionStatusVerdict)
    /// A queue timeout arrived: not final; Transaction Status decides.
    case queueTimeout
    /// Transaction Status was asked as often as allowed without a verdict: a person decides.
    case statusChecksExhausted(Int)
}

/// What an event does to the refund's row, for the store to write and callers to count.
public enum RefundEffect: Sendable, Equatable {
    /// The refund changed.
    case applied
    /// It repeated what was known.
    case duplicate
    /// It contradicts what is known: a finding for a person, the refund left as it is.
    case conflict
    /// Nothing to change (a stale or non-final answer).
    case ignored
    /// The event is not possible in this state (a programming or concurrency slip): nothing written.
    case refused
}

/// When Transaction Status should next be asked.
public enum StatusCheckPlan: Sendable, Equatable {
    /// Leave the schedule as it is.
    case unchanged
    /// After the stuck timeout: the result should have come by then.
    case afterTimeout
    /// At once (a queue timeout, an answer nobody understands).
    case now
    /// Never again (a final state, a resend, or a person decides).
    case never
}

/// The outcome of one event.
public struct RefundTransition: Sendable, Equatable {
    /// The state to store (equal to the old one when nothing changes).
    public var next: RefundState
    /// What it did.
    public var effect: RefundEffect
    /// The next Transaction Status check.
    public var statusCheck: StatusCheckPlan
    /// A finding for a person (kind and text), if any.
    public var finding: PaymentFinding?
    /// Whether the send counts as one more attempt (a claim).
    public var countsSendAttempt: Bool
    /// A short text of what happened, for logs.
    public var summary: String
}

/// The refund dispatch state machine: pure, total, and the only place that decides a refund's state after approval.
///
/// Rules, in words:
/// - an id is committed (`sending`) before any B2C call, and a resend always reuses it;
/// - an unclear send stays `sending`, and a queue timeout or silence is resolved by Transaction Status, never by
///   sending blind; only "M-Pesa does not know this id" (or throttling, which sent nothing) allows a resend;
/// - `succeeded` and `failed` are final; a contradicting answer is a finding, not applied;
/// - an answer nobody understands makes the refund `unknown`, and Transaction Status is asked.
public enum RefundStateMachine {
    /// Applies one event to a refund.
    public static func apply(_ event: RefundEvent, to current: RefundState) -> RefundTransition {
        var step = RefundStep(current)

        switch event {
        case .claim(let freshID):
            switch current.status {
            case .approved:
                step.next.status = .sending
                step.next.originatorConversationID = freshID
                step.next.resendDue = false
                return step.done("sending with a fresh id", .applied, check: .afterTimeout, attempt: true)
            case .sending where current.resendDue && current.originatorConversationID != nil:
                step.next.resendDue = false
                return step.done("sending again with the same id", .applied, check: .afterTimeout, attempt: true)
            default:
                return step.done("not claimable", .refused)
            }

        case .sendAnswered(let verdict):
            return sendAnswered(verdict, current: current)

        case .result(let answer, let code, let description, let conversationID, let transactionID):
            return result(
                answer, code: code, description: description, conversationID: conversationID,
                transactionID: transactionID, current: current)

        case .statusAnswered(let verdict):
            return statusAnswered(verdict, current: current)

        case .queueTimeout:
            guard current.status == .sending || current.status == .sent else {
                return step.done("queue timeout ignored", .ignored)
            }
            step.next.note = "queue timeout: to be resolved with Transaction Status"
            return step.done("queue timeout", .applied, check: .now)

        case .statusChecksExhausted(let count):
            guard current.status.isInFlight, !current.resendDue else {
                return step.done("nothing to give up", .ignored)
            }
            return step.personDecides(
                "gave up asking", note: "no verdict after \(count) Transaction Status checks: a person decides",
                finding: "refund: Transaction Status gave no verdict after \(count) checks; a person decides")
        }
    }

    private static func sendAnswered(_ verdict: B2CSendVerdict, current: RefundState) -> RefundTransition {
        var step = RefundStep(current)
        guard current.status == .sending, !current.resendDue else {
            // A result raced ahead of the send's own answer: keep the verdict, learn the ConversationID.
            if case .accepted(let conversationID) = verdict, current.conversationID == nil,
                current.status == .succeeded || current.status == .failed || current.status == .unknown
            {
                step.next.conversationID = conversationID
                return step.done("late send answer: conversation id noted", .applied)
            }
            return step.done("send answer for a refund no longer sending", .ignored)
        }
        switch verdict {
        case .accepted(let conversationID):
            step.next.status = .sent
            step.next.conversationID = conversationID
            return step.done("accepted", .applied, check: .afterTimeout)
        case .alreadyAccepted:
            step.next.status = .sent
            step.next.note = "500.002.1001: the first send with this id got through"
            return step.done("already accepted", .applied, check: .afterTimeout)
        case .notSent(let code, let message):
            step.next.status = .failed
            step.next.resultCode = code
            step.next.resultDescription = message
            return step.done("refused: nothing sent", .applied, check: .never)
        case .throttled(let code):
            step.next.resendDue = true
            step.next.note = "throttled (\(code)): nothing sent; sent again with the same id"
            return step.done("throttled", .applied, check: .never)
        case .uncertain(let reason):
            step.next.note = "no usable answer to the send: \(reason)"
            return step.done("uncertain", .applied, check: .afterTimeout)
        }
    }

    private static func result(
        _ answer: B2CAnswer, code: String, description: String, conversationID: String?, transactionID: String?,
        current: RefundState
    ) -> RefundTransition {
        var step = RefundStep(current)
        let newStatus: RefundStatus
        switch answer {
        case .succeeded: newStatus = .succeeded
        case .failed: newStatus = .failed
        case .notUnderstood: newStatus = .unknown
        }
        switch current.status {
        case .succeeded, .failed:
            if current.status == newStatus { return step.done("duplicate result", .duplicate) }
            if newStatus == .unknown { return step.done("unclear result after a verdict", .ignored) }
            return step.conflict(
                "contradicting result",
                "B2C result \(code) for a refund that is already \(current.status.rawValue)")
        case .unknown where newStatus == .unknown:
            return step.done("duplicate unclear result", .duplicate)
        case .sending, .sent, .unknown:
            step.next.status = newStatus
            step.next.resultCode = code
            step.next.resultDescription = description
            if let conversationID { step.next.conversationID = conversationID }
            if newStatus == .unknown {
                step.next.note = "B2C result not understood: Transaction Status decides"
                return step.done("result not understood", .applied, check: .now)
            }
            step.next.resendDue = false
            if case .succeeded(let details) = answer { step.next.receipt = details.receipt ?? transactionID }
            return step.done(newStatus == .succeeded ? "paid" : "failed", .applied, check: .never)
        case .proposed, .approved, .rejected:
            return step.conflict(
                "result for a refund never sent",
                "B2C result \(code) for a refund in state \(current.status.rawValue)")
        }
    }

    private static func statusAnswered(_ verdict: TransactionStatusVerdict, current: RefundState) -> RefundTransition {
        var step = RefundStep(current)
        switch verdict {
        case .completed(let receipt, let amount):
            switch current.status {
            case .succeeded: return step.done("status confirms success", .duplicate)
            case .failed:
                return step.conflict(
                    "status says paid after failure",
                    "Transaction Status says a refund marked failed was paid: a person must check")
            case .sending, .sent, .unknown:
                step.next.status = .succeeded
                step.next.resendDue = false
                step.next.resultCode = "0"
                step.next.resultDescription = "Transaction Status: Completed"
                if let receipt { step.next.receipt = receipt }
                let mismatch = amount.flatMap { paid in
                    paid == current.amount
                        ? nil
                        : PaymentFinding(
                            kind: .callbackConflict,
                            detail: "Transaction Status reports \(paid.decimalString) paid for a refund of "
                                + current.amount.decimalString)
                }
                return step.done("paid (Transaction Status)", .applied, check: .never, finding: mismatch)
            case .proposed, .approved, .rejected:
                return step.done("status answer for a refund never sent", .ignored)
            }
        case .failed(let description):
            switch current.status {
            case .failed: return step.done("status confirms failure", .duplicate)
            case .succeeded:
                return step.conflict(
                    "status says failed after success",
                    "Transaction Status says a refund marked succeeded failed: a person must check")
            case .sending, .sent, .unknown:
                step.next.status = .failed
                step.next.resendDue = false
                step.next.resultDescription = "Transaction Status: Failed \(description)"
                return step.done("failed (Transaction Status)", .applied, check: .never)
            case .proposed, .approved, .rejected:
                return step.done("status answer for a refund never sent", .ignored)
            }
        case .notFound(let code):
            guard current.status.isInFlight else { return step.done("stale not-found answer", .ignored) }
            if current.resendDue { return step.done("resend already due", .duplicate) }
            // Only a send that never got any answer may go again. Once Daraja accepted the id (a ConversationID)
            // or a result came, "not found" contradicts what we know: a person decides, nothing is sent.
            guard current.status == .sending, current.conversationID == nil, current.resultCode == nil else {
                return step.personDecides(
                    "not found after acceptance: a person decides",
                    note: "Transaction Status \(code) for a refund Daraja had accepted: a person decides",
                    finding: "refund: Transaction Status says M-Pesa does not know a refund Daraja had accepted; "
                        + "check before anything is sent again")
            }
            step.next.status = .sending
            step.next.resendDue = true
            step.next.note = "Transaction Status \(code): M-Pesa does not know the id; sent again with the same id"
            return step.done("not found: resend with the same id", .applied, check: .never)
        case .noVerdict(let code, let description):
            guard current.status.isInFlight else { return step.done("status answer without verdict", .ignored) }
            step.next.note = "Transaction Status gave no verdict: \(code) \(description)"
            return step.done("no verdict", .applied)
        }
    }
}

/// One event's work on a refund: the state before the event, the one being built, and how the outcome is told.
private struct RefundStep {
    let current: RefundState
    var next: RefundState

    init(_ current: RefundState) {
        self.current = current
        next = current
    }

    /// The outcome: the built state when the event applied, else the refund as it was.
    func done(
        _ summary: String, _ effect: RefundEffect, check: StatusCheckPlan = .unchanged,
        finding: PaymentFinding? = nil, attempt: Bool = false
    ) -> RefundTransition {
        RefundTransition(
            next: effect == .applied ? next : current, effect: effect, statusCheck: check, finding: finding,
            countsSendAttempt: attempt, summary: summary)
    }

    /// An answer that contradicts what is known: the refund is left as it is, a person checks the finding.
    func conflict(_ summary: String, _ detail: String) -> RefundTransition {
        done(summary, .conflict, finding: PaymentFinding(kind: .callbackConflict, detail: detail))
    }

    /// No answer settles the refund: it becomes `unknown`, Transaction Status is no longer asked, a person decides.
    mutating func personDecides(_ summary: String, note: String, finding detail: String) -> RefundTransition {
        next.status = .unknown
        next.note = note
        return done(summary, .applied, check: .never, finding: PaymentFinding(kind: .unresolved, detail: detail))
    }
}
