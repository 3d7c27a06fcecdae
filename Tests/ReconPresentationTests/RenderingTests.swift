import Foundation
import ReconApp
import ReconPostgres
import ReconPresentation
import Testing

@Suite("Presentation: text tables and JSON views")
struct RenderingTests {
    /// A refund as RefundDesk shows it, decoded from its Codable form (its stored-record initialiser needs a
    /// database row).
    static func refund(
        id: Int64, amount: String, status: String, approvedBy: String? = nil, secondApprovedBy: String? = nil,
        needsTwo: Bool = false, reason: String = "overpaid"
    ) throws -> RefundView {
        var object: [String: Any] = [
            "id": id, "paymentID": 40 + id, "amount": amount, "reason": reason, "status": status,
            "proposedBy": "mpesa-recon", "proposedAt": 0.0, "needsTwoApprovers": needsTwo, "resendDue": false,
            "sendAttempts": 0, "statusChecks": 0, "updatedAt": 0.0, "phone": "2547****4149",
        ]
        if let approvedBy { object["approvedBy"] = approvedBy }
        if let secondApprovedBy { object["secondApprovedBy"] = secondApprovedBy }
        return try JSONDecoder().decode(RefundView.self, from: JSONSerialization.data(withJSONObject: object))
    }

    @Test("a text table pads every column but the last to its widest cell, two spaces apart")
    func textTable() {
        let table = TextTable(header: ["ID", "NAME", "NOTE"], rows: [["1", "Wanjiku", "ok"], ["22", "Bo", "-"]])
        #expect(
            table.render() == """
                ID  NAME     NOTE
                1   Wanjiku  ok
                22  Bo       -
                """)
    }

    @Test("the refunds table: approvers joined, needs-two said, 80 columns with long reasons cut with …, --wide whole")
    func refundsTable() throws {
        let refunds = [
            try Self.refund(id: 7, amount: "15000.00", status: "proposed", approvedBy: "ann", needsTwo: true),
            try Self.refund(
                id: 8, amount: "500.00", status: "succeeded", approvedBy: "ann", secondApprovedBy: "bob",
                reason: String(repeating: "x", count: 60)),
        ]
        let view = RefundListView(refunds: refunds)
        #expect(
            view.text == """
                ID  PAYMENT  AMOUNT     STATUS     PROPOSED…  APPROVED…  PHONE         REASON
                7   47       15,000.00  proposed   mpesa-re…  ann (nee…  2547****4149  overpaid
                8   48       500.00     succeeded  mpesa-re…  ann+bob    2547****4149  xxxxxxxx…
                """)
        for line in view.text.split(separator: "\n") { #expect(line.count <= 80) }
        // The widest columns give way first: a short reason stays whole while the names are cut.
        let short = RefundListView(refunds: [refunds[0]]).text
        #expect(short.contains("overpaid") && short.split(separator: "\n").allSatisfy { $0.count <= 80 })
        let wide = RefundListView(refunds: refunds, wide: true).text
        #expect(wide.contains(String(repeating: "x", count: 60)) && !wide.contains("…"))
        #expect(RefundListView(refunds: []).text == "no refunds")
    }

    @Test("the refunds list's JSON is the bare array of refunds, snake_case, dates in ISO 8601")
    func refundsJSON() throws {
        let json = try RefundListView(refunds: [try Self.refund(id: 7, amount: "15000.00", status: "approved")]).json()
        #expect(
            json == """
                [
                  {
                    "amount" : "15000.00",
                    "id" : 7,
                    "needs_two_approvers" : false,
                    "payment_id" : 47,
                    "phone" : "2547****4149",
                    "proposed_at" : "2001-01-01T00:00:00Z",
                    "proposed_by" : "mpesa-recon",
                    "reason" : "overpaid",
                    "resend_due" : false,
                    "send_attempts" : 0,
                    "status" : "approved",
                    "status_checks" : 0,
                    "updated_at" : "2001-01-01T00:00:00Z"
                  }
                ]
                """)
    }

    @Test("one refund's detail names who did what")
    func refundDetail() throws {
        let view = RefundDetailView(
            refund: try Self.refund(id: 7, amount: "15000.00", status: "proposed", approvedBy: "ann", needsTwo: true))
        #expect(
            view.text == """
                refund 7: proposed, KES 15000.00 of payment 47 to 2547****4149
                  reason: overpaid
                  proposed by mpesa-recon at 2001-01-01T00:00:00Z
                  approved by ann at ?
                  needs two different approvers (above RECON_DUAL_APPROVAL_ABOVE)
                """)
    }

    @Test("settle's summary: one line of text, and JSON with every counter")
    func settleView() throws {
        var summary = SettleSummary()
        summary.claimed = 5
        summary.completed = 3
        summary.failed = 1
        summary.stillPending = 1
        summary.elapsedMilliseconds = 42
        let view = SettleView(summary: summary)
        #expect(
            view.text
                == "settle: 5 checked, 3 completed, 1 failed, 0 unknown, 1 still pending, 0 throttled, 0 back-offs in 42 ms"
        )
        #expect(
            try view.json() == """
                {
                  "backoffs" : 0,
                  "claimed" : 5,
                  "claims_lost" : 0,
                  "completed" : 3,
                  "elapsed_milliseconds" : 42,
                  "failed" : 1,
                  "not_understood" : 0,
                  "orphaned" : 0,
                  "still_pending" : 1,
                  "throttled" : 0,
                  "token_refused" : 0,
                  "transport_failures" : 0,
                  "unknown" : 0
                }
                """)
    }

    @Test("reconcile's summary lists finding kinds by name")
    func reconcileView() {
        var summary = ReconcileSummary()
        summary.pairsJudged = 9
        summary.findings = ["overpaid": 1, "duplicate_payment": 2]
        summary.opened = 3
        summary.refundsProposed = 2
        #expect(
            ReconcileView(summary: summary).text
                == "reconcile: 9 pair(s) and 0 callback(s) judged; findings: duplicate_payment 2, overpaid 1; "
                + "3 new, 0 resolved, 0 enrolled, 2 refund(s) proposed in 0 ms")
        #expect(ReconcileView(summary: ReconcileSummary()).text.contains("findings: none;"))
    }

    @Test("migrate's view: applied files or 'up to date', then every table with its rows; JSON has the same fields")
    func migrationView() throws {
        let report = try JSONDecoder().decode(
            MigrationReport.self,
            from: Data(#"{"applied":[],"alreadyApplied":["001_init.sql","002_refunds.sql"]}"#.utf8))
        let view = MigrationView(
            report: report, tables: [TableRowCount(name: "payments", rows: 12), TableRowCount(name: "users", rows: 3)])
        #expect(
            view.text == """
                schema up to date (2 migration(s) applied before)
                tables:
                  payments                     12 row(s)
                  users                        3 row(s)
                """)
        #expect(
            try view.json() == """
                {
                  "already_applied" : [
                    "001_init.sql",
                    "002_refunds.sql"
                  ],
                  "applied" : [

                  ],
                  "tables" : [
                    {
                      "name" : "payments",
                      "rows" : 12
                    },
                    {
                      "name" : "users",
                      "rows" : 3
                    }
                  ]
                }
                """)
    }
}
