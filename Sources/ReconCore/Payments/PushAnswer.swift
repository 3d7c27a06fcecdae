public import Foundation

/// What the STK Push request of a new payment led to, as the state machine sees it.
public enum PushAnswer: Sendable, Equatable {
    /// Daraja accepted it: the outcome comes by callback or query.
    case accepted
    /// Daraja refused it, or the request broke one of its rules: no prompt reached a phone.
    case rejected(code: String, description: String)
    /// The request never left this machine (no token, connection refused, …): no prompt reached a phone.
    case notSent(reason: String)
    /// The request went out but no usable answer came back: a prompt may have reached the phone.
    case noAnswer(reason: String)
}

extension PaymentStateMachine {
    /// Applies the answer to a new payment's STK Push. Only a `pending` payment without a push answer moves.
    ///
    /// Accepted: stays `pending`, first check scheduled. Refused or never sent: `failed` (nobody was asked to
    /// pay). Sent without a usable answer: `unknown` with a finding for a person — never `failed` by guess.
    public static func applyPush(
        _ answer: PushAnswer, to current: PaymentState, now: Date, schedule: RetrySchedule = .standard
    ) -> PaymentTransition {
        var next = current
        func result(_ summary: String, event: Bool, finding: PaymentFinding? = nil) -> PaymentTransition {
            PaymentTransition(
                next: next, recordsEvent: event, summary: summary, finding: finding, enroll: false, throttled: false,
                resolvesUnresolved: false)
        }
        guard current.status == .pending else { return result("push answer after a verdict ignored", event: false) }
        switch answer {
        case .accepted:
            next.nextCheckAt = schedule.firstCheck(createdAt: current.createdAt)
            next.lastAnswer = "push accepted"
            return result("push accepted", event: false)
        case .rejected(let code, let description):
            next.status = .failed
            next.resultCode = code
            next.resultDescription = description
            next.nextCheckAt = nil
            next.lastAnswer = description
            return result(description, event: true)
        case .notSent(let reason):
            next.status = .failed
            next.resultCode = "not_sent"
            next.resultDescription = "not_sent: \(reason)"
            next.nextCheckAt = nil
            next.lastAnswer = next.resultDescription
            return result("not sent: \(reason)", event: true)
        case .noAnswer(let reason):
            next.status = .unknown
            next.resultDescription = reason
            next.nextCheckAt = nil
            next.lastAnswer = reason
            return result(
                reason, event: true,
                finding: PaymentFinding(kind: .unresolved, detail: "the STK Push got no usable answer: \(reason)"))
        }
    }
}
