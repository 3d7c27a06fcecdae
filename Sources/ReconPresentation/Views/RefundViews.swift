import Foundation
public import ReconApp
import ReconCore

/// Refunds as a list: a table for people, an array for machines.
public struct RefundListView: JSONValueView {
    /// The refunds, in the order shown.
    public var refunds: [RefundView]
    /// Every cell whole (`--wide`); otherwise the table fits 80 columns and cut text ends with `…`.
    public var wide: Bool

    /// A list of refunds.
    public init(refunds: [RefundView], wide: Bool = false) {
        self.refunds = refunds
        self.wide = wide
    }

    /// The table (or `no refunds`), 80 columns wide unless `wide`: the reason, then the names, give way first.
    public var text: String {
        guard !refunds.isEmpty else { return "no refunds" }
        return table.render(fittingIn: wide ? nil : 80, shrinkable: [4, 5, 7])
    }

    /// One row per refund; amounts with thousands separators, approvers joined by `+`, and a proposal that needs
    /// two says so.
    public var table: TextTable {
        TextTable(
            header: ["ID", "PAYMENT", "AMOUNT", "STATUS", "PROPOSED BY", "APPROVED BY", "PHONE", "REASON"],
            rows: refunds.map { refund in
                [
                    String(refund.id), String(refund.paymentID),
                    (try? Money.parse(refund.amount)).map(Display.amount) ?? refund.amount, refund.status,
                    refund.proposedBy,
                    [refund.approvedBy, refund.secondApprovedBy].compactMap(\.self).joined(separator: "+")
                        + (refund.status == "proposed" && refund.needsTwoApprovers ? " (needs 2)" : ""),
                    refund.phone, refund.reason,
                ]
            })
    }

    /// The JSON: the bare array of refunds.
    public var jsonValue: [RefundView] { refunds }
}

/// One refund with its approvals, ids and result.
public struct RefundDetailView: JSONValueView {
    /// The refund.
    public var refund: RefundView

    /// The view of one refund.
    public init(refund: RefundView) {
        self.refund = refund
    }

    /// Several lines: the headline, then who did what and what M-Pesa said.
    public var text: String {
        let refund = self.refund
        var lines = [
            "refund \(refund.id): \(refund.status), KES \(refund.amount) of payment \(refund.paymentID) to \(refund.phone)",
            "  reason: \(refund.reason)",
            "  proposed by \(refund.proposedBy) at \(Self.stamp(refund.proposedAt))",
        ]
        if let by = refund.approvedBy {
            lines.append("  approved by \(by) at \(refund.approvedAt.map(Self.stamp) ?? "?")")
        }
        if let by = refund.secondApprovedBy {
            lines.append("  second approval by \(by) at \(refund.secondApprovedAt.map(Self.stamp) ?? "?")")
        } else if refund.needsTwoApprovers && refund.status == "proposed" {
            lines.append("  needs two different approvers (above RECON_DUAL_APPROVAL_ABOVE)")
        }
        if let by = refund.rejectedBy {
            lines.append("  rejected by \(by): \(refund.rejectedReason ?? "")")
        }
        if let exception = refund.exceptionID { lines.append("  finding: reconciliation exception \(exception)") }
        if let id = refund.originatorConversationID {
            lines.append(
                "  OriginatorConversationID \(id), \(refund.sendAttempts) send(s), \(refund.statusChecks) status check(s)"
            )
        }
        if let id = refund.conversationID { lines.append("  ConversationID \(id)") }
        if let receipt = refund.receipt { lines.append("  M-Pesa receipt \(receipt)") }
        if let code = refund.resultCode { lines.append("  result \(code) \(refund.resultDescription ?? "")") }
        if let note = refund.note { lines.append("  note: \(note)") }
        return lines.joined(separator: "\n")
    }

    /// Times in UTC, ISO 8601.
    static func stamp(_ date: Date) -> String {
        ISO8601DateFormatter().string(from: date)
    }

    /// The JSON: the refund itself.
    public var jsonValue: RefundView { refund }
}
