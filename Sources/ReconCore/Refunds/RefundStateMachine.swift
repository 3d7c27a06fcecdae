/// What a B2C send led to, in the refund's terms (the Daraja client's outcome, mapped by the dispatcher).
public enum B2CSendVerdict: Sendable, Equatable {
    /// Accepted; the result comes to the ResultURL.
    case accepted(conversationID: String)
    /// `500.002.1001`: this OriginatorConversationID was accepted before, so the first send got through.
    case alreadyAccepted
    /// Refused before anything was paid (a bad request, an invalid number): the refund failed.
    case notSent(code: String, message: String)
    /// Throttled: nothing was sent; send again later with the same id.
    case throttled(code: String)
    /// No usable answer: it may or may not have been accepted. Transaction Status decides; never a blind resend.
    case uncertain(String)
}

/// What a Transaction Status result says about the refund it was asked about (REFERENCE §7).
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
        var next = current
        func done(
            _ summary: String, _ effect: RefundEffect, check: StatusCheckPlan = .unchanged,
            finding: PaymentFinding? = nil, attempt: Bool = false
        ) -> RefundTransition {
            RefundTransition(
                next: effect == .applied ? next : current, effect: effect, statusCheck: check, finding: finding,
                countsSendAttempt: attempt, summary: summary)
        }

        switch event {
        case .claim(let freshID):
            switch current.status {
            case .approved:
                next.status = .sending
                next.originatorConversationID = freshID
                next.resendDue = false
                return done("sending with a fresh id", .applied, check: .afterTimeout, attempt: true)
            case .sending where current.resendDue && current.originatorConversationID != nil:
                next.resendDue = false
                return done("sending again with the same id", .applied, check: .afterTimeout, attempt: true)
            default:
                return done("not claimable", .refused)
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
                return done("queue timeout ignored", .ignored)
            }
            next.note = "queue timeout: to be resolved with Transaction Status"
            return done("queue timeout", .applied, check: .now)

        case .statusChecksExhausted(let count):
            guard current.status.isInFlight, !current.resendDue else { return done("nothing to give up", .ignored) }
            next.status = .unknown
            next.note = "no verdict after \(count) Transaction Status checks: a person decides"
            return done(
                "gave up asking", .applied, check: .never,
                finding: PaymentFinding(
                    kind: .unresolved,
                    detail: "refund: Transaction Status gave no verdict after \(count) checks; a person decides"))
        }
    }

    private static func sendAnswered(_ verdict: B2CSendVerdict, current: RefundState) -> RefundTransition {
        var next = current
        func done(_ summary: String, _ effect: RefundEffect, check: StatusCheckPlan = .unchanged) -> RefundTransition {
            RefundTransition(
                next: effect == .applied ? next : current, effect: effect, statusCheck: check, finding: nil,
                countsSendAttempt: false, summary: summary)
        }
        guard current.status == .sending, !current.resendDue else {
            // A result raced ahead of the send's own answer: keep the verdict, learn the ConversationID.
            if case .accepted(let conversationID) = verdict, current.conversationID == nil,
                current.status == .succeeded || current.status == .failed || current.status == .unknown
            {
                next.conversationID = conversationID
                return done("late send answer: conversation id noted", .applied)
            }
            return done("send answer for a refund no longer sending", .ignored)
        }
        switch verdict {
        case .accepted(let conversationID):
            next.status = .sent
            next.conversationID = conversationID
            return done("accepted", .applied, check: .afterTimeout)
        case .alreadyAccepted:
            next.status = .sent
            next.note = "500.002.1001: the first send with this id got through"
            return done("already accepted", .applied, check: .afterTimeout)
        case .notSent(let code, let message):
            next.status = .failed
            next.resultCode = code
            next.resultDescription = message
            return done("refused: nothing sent", .applied, check: .never)
        case .throttled(let code):
            next.resendDue = true
            next.note = "throttled (\(code)): nothing sent; sent again with the same id"
            return done("throttled", .applied, check: .never)
        case .uncertain(let reason):
            next.note = "no usable answer to the send: \(reason)"
            return done("uncertain", .applied, check: .afterTimeout)
        }
    }

    private static func result(
        _ answer: B2CAnswer, code: String, description: String, conversationID: String?, transactionID: String?,
        current: RefundState
    ) -> RefundTransition {
        var next = current
        func done(
            _ summary: String, _ effect: RefundEffect, check: StatusCheckPlan = .unchanged,
            finding: PaymentFinding? = nil
        ) -> RefundTransition {
            RefundTransition(
                next: effect == .applied ? next : current, effect: effect, statusCheck: check, finding: finding,
                countsSendAttempt: false, summary: summary)
        }
        let newStatus: RefundStatus
        switch answer {
        case .succeeded: newStatus = .succeeded
        case .failed: newStatus = .failed
        case .notUnderstood: newStatus = .unknown
        }
        switch current.status {
        case .succeeded, .failed:
            if current.status == newStatus { return done("duplicate result", .duplicate) }
            if newStatus == .unknown { return done("unclear result after a verdict", .ignored) }
            return done(
                "contradicting result", .conflict,
                finding: PaymentFinding(
                    kind: .callbackConflict,
                    detail: "B2C result \(code) for a refund that is already \(current.status.rawValue)"))
        case .unknown where newStatus == .unknown:
            return done("duplicate unclear result", .duplicate)
        case .sending, .sent, .unknown:
            next.status = newStatus
            next.resultCode = code
            next.resultDescription = description
            if let conversationID { next.conversationID = conversationID }
            if newStatus == .unknown {
                next.note = "B2C result not understood: Transaction Status decides"
                return done("result not understood", .applied, check: .now)
            }
            next.resendDue = false
            if case .succeeded(let details) = answer { next.receipt = details.receipt ?? transactionID }
            return done(newStatus == .succeeded ? "paid" : "failed", .applied, check: .never)
        case .proposed, .approved, .rejected:
            return done(
                "result for a refund never sent", .conflict,
                finding: PaymentFinding(
                    kind: .callbackConflict,
                    detail: "B2C result \(code) for a refund in state \(current.status.rawValue)"))
        }
    }

    private static func statusAnswered(_ verdict: TransactionStatusVerdict, current: RefundState) -> RefundTransition {
        var next = current
        func done(
            _ summary: String, _ effect: RefundEffect, check: StatusCheckPlan = .unchanged,
            finding: PaymentFinding? = nil
        ) -> RefundTransition {
            RefundTransition(
                next: effect == .applied ? next : current, effect: effect, statusCheck: check, finding: finding,
                countsSendAttempt: false, summary: summary)
        }
        switch verdict {
        case .completed(let receipt, let amount):
            switch current.status {
            case .succeeded: return done("status confirms success", .duplicate)
            case .failed:
                return done(
                    "status says paid after failure", .conflict,
                    finding: PaymentFinding(
                        kind: .callbackConflict,
                        detail: "Transaction Status says a refund marked failed was paid: a person must check"))
            case .sending, .sent, .unknown:
                next.status = .succeeded
                next.resendDue = false
                next.resultCode = "0"
                next.resultDescription = "Transaction Status: Completed"
                if let receipt { next.receipt = receipt }
                let mismatch = amount.flatMap { paid in
                    paid == current.amount
                        ? nil
                        : PaymentFinding(
                            kind: .callbackConflict,
                            detail: "Transaction Status reports \(paid.decimalString) paid for a refund of "
                                + current.amount.decimalString)
                }
                return done("paid (Transaction Status)", .applied, check: .never, finding: mismatch)
            case .proposed, .approved, .rejected:
                return done("status answer for a refund never sent", .ignored)
            }
        case .failed(let description):
            switch current.status {
            case .failed: return done("status confirms failure", .duplicate)
            case .succeeded:
                return done(
                    "status says failed after success", .conflict,
                    finding: PaymentFinding(
                        kind: .callbackConflict,
                        detail: "Transaction Status says a refund marked succeeded failed: a person must check"))
            case .sending, .sent, .unknown:
                next.status = .failed
                next.resendDue = false
                next.resultDescription = "Transaction Status: Failed \(description)"
                return done("failed (Transaction Status)", .applied, check: .never)
            case .proposed, .approved, .rejected:
                return done("status answer for a refund never sent", .ignored)
            }
        case .notFound(let code):
            guard current.status.isInFlight else { return done("stale not-found answer", .ignored) }
            if current.resendDue { return done("resend already due", .duplicate) }
            // Only a send that never got any answer may go again. Once Daraja accepted the id (a ConversationID)
            // or a result came, "not found" contradicts what we know: a person decides, nothing is sent.
            guard current.status == .sending, current.conversationID == nil, current.resultCode == nil else {
                next.status = .unknown
                next.note = "Transaction Status \(code) for a refund Daraja had accepted: a person decides"
                return done(
                    "not found after acceptance: a person decides", .applied, check: .never,
                    finding: PaymentFinding(
                        kind: .unresolved,
                        detail: "refund: Transaction Status says M-Pesa does not know a refund Daraja had accepted; "
                            + "check before anything is sent again"))
            }
            next.status = .sending
            next.resendDue = true
            next.note = "Transaction Status \(code): M-Pesa does not know the id; sent again with the same id"
            return done("not found: resend with the same id", .applied, check: .never)
        case .noVerdict(let code, let description):
            guard current.status.isInFlight else { return done("status answer without verdict", .ignored) }
            next.note = "Transaction Status gave no verdict: \(code) \(description)"
            return done("no verdict", .applied)
        }
    }
}
