public import ReconApp

/// What a settlement run did.
public struct SettleView: JSONValueView {
    /// The job's summary.
    public var summary: SettleSummary

    /// The view of a summary.
    public init(summary: SettleSummary) {
        self.summary = summary
    }

    /// One line.
    public var text: String {
        let s = summary
        return "settle: \(s.claimed) checked, \(s.completed) completed, \(s.failed) failed, "
            + "\(s.unknown) unknown, \(s.stillPending) still pending, "
            + "\(s.throttled) throttled, \(s.backoffs) back-offs in \(s.elapsedMilliseconds) ms"
    }

    /// The JSON: the summary itself.
    public var jsonValue: SettleSummary { summary }
}

/// What a reconciliation run did.
public struct ReconcileView: JSONValueView {
    /// The job's summary.
    public var summary: ReconcileSummary

    /// The view of a summary.
    public init(summary: ReconcileSummary) {
        self.summary = summary
    }

    /// One line; finding kinds in name order.
    public var text: String {
        let s = summary
        let kinds = s.findings.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
        return "reconcile: \(s.pairsJudged) pair(s) and \(s.callbacksJudged) callback(s) judged; "
            + "findings: \(kinds.isEmpty ? "none" : kinds); \(s.opened) new, \(s.resolved) resolved, "
            + "\(s.enrolled) enrolled, \(s.refundsProposed) refund(s) proposed in \(s.elapsedMilliseconds) ms"
    }

    /// The JSON: the summary itself.
    public var jsonValue: ReconcileSummary { summary }
}

/// What a refund dispatch run did.
public struct RefundDispatchView: JSONValueView {
    /// The job's summary.
    public var summary: RefundDispatchSummary

    /// The view of a summary.
    public init(summary: RefundDispatchSummary) {
        self.summary = summary
    }

    /// One line.
    public var text: String {
        let s = summary
        return "refunds: \(s.claimed) sent (\(s.resent) resent with the same id): \(s.accepted) accepted, "
            + "\(s.alreadyAccepted) already accepted, \(s.refused) refused, \(s.throttled) throttled, "
            + "\(s.uncertain) uncertain; \(s.statusChecks) status check(s) asked, \(s.statusCheckFailures) failed, "
            + "\(s.handedToPerson) handed to a person"
    }

    /// The JSON: the summary itself.
    public var jsonValue: RefundDispatchSummary { summary }
}

/// What `run` did: callbacks, settle, reconcile, refunds, reports.
public struct RunView: JSONValueView {
    /// The run's summary.
    public var summary: RunJob.Summary

    /// The view of a summary.
    public init(summary: RunJob.Summary) {
        self.summary = summary
    }

    /// One line per step.
    public var text: String {
        let s = summary.settle
        var lines = [
            "run: \(summary.callbacksApplied) stored callback(s) applied; settle: \(s.claimed) checked, "
                + "\(s.completed) completed, \(s.failed) failed, \(s.unknown) unknown, \(s.stillPending) pending"
                + noAnswer(s),
            ReconcileView(summary: summary.reconcile).text,
        ]
        if let pull = summary.pull {
            let windows = pull.windows.map { window in
                "\(window.shortcode) \(window.outcome) (\(window.transactions) listed, \(window.recovered) recovered)"
            }
            let uncovered = pull.uncoveredSeconds.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value) s" }
            lines.append(
                "pull: " + (windows.isEmpty ? "no shortcode registered for Pull" : windows.joined(separator: ", "))
                    + (uncovered.isEmpty ? "" : "; uncovered in the last 46 h: " + uncovered.joined(separator: ", ")))
        }
        if let refunds = summary.refunds {
            lines.append(RefundDispatchView(summary: refunds).text)
        } else {
            lines.append("refunds: skipped: \(summary.refundsSkipped ?? "")")
        }
        if let first = summary.reports.first {
            let folder = first.split(separator: "/", omittingEmptySubsequences: false).dropLast()
                .joined(separator: "/")
            lines.append("reports: \(summary.reports.count) file(s) in \(folder.isEmpty ? "." : folder)")
        }
        if !summary.problems.isEmpty {
            lines.append("problems: \(summary.problems.count) step(s) could not do their work (listed on stderr)")
        }
        return lines.joined(separator: "\n")
    }

    /// The lines cron's log gets on stderr, one per step that could not do its work.
    public var problemLines: [String] { summary.problems.map(\.description) }

    private func noAnswer(_ s: SettleSummary) -> String {
        var parts: [String] = []
        if s.transportFailures > 0 { parts.append("\(s.transportFailures) transport failure(s)") }
        if s.tokenRefused > 0 { parts.append("\(s.tokenRefused) token refusal(s)") }
        return parts.isEmpty ? "" : ", " + parts.joined(separator: ", ")
    }

    /// The JSON: the summary itself.
    public var jsonValue: RunJob.Summary { summary }
}
