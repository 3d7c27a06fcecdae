import DarajaSimulator
import Foundation
import HTTPServerKit
import Logging
import ReconApp
import ReconCore
import ReconHTTP
import ReconPostgres
import ReconServer
import ReconTestSupport
import Testing

/// Money moves only on what Daraja or M-Pesa's statement confirmed: an unsigned callback's amount or phone never
/// completes a payment, enrolls a learner, sizes a refund or chooses where a refund goes.
@Suite("Confirmed money only: a callback's amount and phone are claims, not money")
struct ConfirmedMoneyTests {
    /// The number `seedPending` and `pay` push to.
    static let pushedPhone = "254708374149"
    /// A number nobody pushed to: the forger's.
    static let forgerPhone = "254799000111"

    /// An STK success callback reporting `amount` paid from `phone`.
    static func success(_ checkoutID: String, amount: String, phone: String, receipt: String) -> String {
        """
        {"Body":{"stkCallback":{"MerchantRequestID":"29115-34620561-1","CheckoutRequestID":"\(checkoutID)",\
        "ResultCode":0,"ResultDesc":"The service request is processed successfully.","CallbackMetadata":{"Item":[\
        {"Name":"Amount","Value":\(amount)},{"Name":"MpesaReceiptNumber","Value":"\(receipt)"},{"Name":"Balance"},\
        {"Name":"TransactionDate","Value":20261129093554},{"Name":"PhoneNumber","Value":\(phone)}]}}}}
        """
    }

    @Test("a KES 1 success callback on a KES 5 000 payment completes nothing, enrolls nobody and opens a finding")
    func shortAmountIsHeld() async throws {
        try await Stack.with { stack in
            let id = try await stack.seedPending(checkoutID: "ws_CO_short", amount: 5000)
            let response = try await stack.post(
                body: Self.success("ws_CO_short", amount: "1.00", phone: Self.pushedPhone, receipt: "QKH94M1Z11"))
            #expect(response.status == 200)
            let payment = try #require(try await stack.payment(id))
            #expect(payment.state.status == .pending)
            #expect(payment.state.receipt == nil && payment.state.paidAmount == nil && payment.state.paidPhone == nil)
            #expect(try await stack.count("SELECT count(*) FROM enrollments") == 0)
            let finding = try #require(try await stack.exception("amount_mismatch:payment:\(id)"))
            #expect(finding.status == "open" && finding.paymentID == id)
            #expect(
                try await stack.count(
                    """
                    SELECT count(*) FROM reconciliation_exceptions WHERE key = \("amount_mismatch:payment:\(id)")
                        AND expected_amount = 5000 AND received_amount = 1
                    """) == 1)
            // Reconcile neither enrolls nor proposes anything for a payment that is not completed.
            let summary = try await stack.reconcile(grace: 0)
            #expect(summary.enrolled == 0 && summary.refundsProposed == 0)
            #expect(try await stack.count("SELECT count(*) FROM enrollments") == 0)
            #expect(try await stack.payment(id)?.state.status == .pending)
        }
    }

    @Test("a forged overpaid callback (KES 9 000, another phone) gets no refund, and STK Query settles the request")
    func forgedOverpaymentIsNeverRefunded() async throws {
        var scenario = Scenario()
        scenario.deliveries = [.lost: 1]  // The simulator's own callback never comes: only the forgery does.
        try await Stack.with(scenario: scenario) { stack in
            let started = try await stack.pay(price: 5000)
            let checkoutID = try #require(started.checkoutRequestID)
            _ = try await stack.post(
                body: Self.success(checkoutID, amount: "9000.00", phone: Self.forgerPhone, receipt: "FRG0000001"))
            #expect(try await stack.payment(started.id)?.state.status == .pending)
            #expect(try await stack.count("SELECT count(*) FROM enrollments") == 0)
            #expect(try await stack.exception("amount_mismatch:payment:\(started.id)")?.status == "open")
            let before = try await stack.reconcile(grace: 0)
            #expect(before.refundsProposed == 0)

            // Daraja's own answer about the request as pushed: paid, for the amount pushed.
            var payment = try await stack.payment(started.id)
            for _ in 0..<20 where payment?.state.status == .pending {
                try await stack.makeDue()
                _ = try await stack.settle()
                payment = try await stack.payment(started.id)
                if payment?.state.status == .pending { try await Task.sleep(for: .milliseconds(100)) }
            }
            let settled = try #require(payment)
            #expect(settled.state.status == .completed && settled.state.settledVia == .query)
            #expect(settled.state.paidAmount == nil && settled.state.paidPhone == nil && settled.state.receipt == nil)
            #expect(try await stack.count("SELECT count(*) FROM enrollments WHERE payment_id = \(started.id)") == 1)

            let after = try await stack.reconcile(grace: 0)
            #expect(after.refundsProposed == 0 && after.findings["overpaid"] == nil)
            #expect(try await stack.count("SELECT count(*) FROM refunds") == 0)
            #expect(try await stack.exception("amount_mismatch:payment:\(started.id)")?.status == "open")
        }
    }

    @Test("a callback-only overpayment on a completed payment is a finding for a person, never a refund proposal")
    func callbackOnlyOverpaymentProposesNothing() async throws {
        try await DatabaseStack.with { stack in
            // As a completed row recorded a callback's 9 000 before this rule: only the request's 5 000 is money.
            let (user, course) = try await stack.learnerAndCourse(price: 5000)
            let payment = try await stack.seedPayment(user: user, course: course, amount: 5000, paid: 9000)
            try await stack.seedEnrollment(user: user, course: course, payment: payment)
            let summary = try await stack.reconcile()
            #expect(summary.refundsProposed == 0 && summary.findings["overpaid"] == nil)
            #expect(try await stack.exception("receipt_conflict:payment:\(payment)")?.status == "open")
            #expect(try await stack.count("SELECT count(*) FROM refunds") == 0)
        }
    }

    @Test("an overpayment the imported statement confirms proposes the confirmed excess, to the number pushed to")
    func statementConfirmedOverpaymentIsProposed() async throws {
        try await DatabaseStack.with { stack in
            let (user, course) = try await stack.learnerAndCourse(price: 5000)
            let payment = try await stack.seedPayment(
                user: user, course: course, amount: 5000, paid: 9000, receipt: "QKH94M1Z22")
            try await stack.db.query("UPDATE payments SET paid_phone = \(Self.forgerPhone) WHERE id = \(payment)")
            try await stack.seedEnrollment(user: user, course: course, payment: payment)
            try await stack.db.query(
                """
                WITH i AS (INSERT INTO statement_imports (file_sha256, file_name, format)
                           VALUES (repeat('a', 64), 'statement.csv', 'csv') RETURNING id)
                INSERT INTO statement_lines (import_id, row_number, receipt, is_charge, completed_at, details,
                                             paid_in, withdrawn, line_class, payment_id, matched_at)
                SELECT i.id, 1, 'QKH94M1Z22', false, now(), 'Pay Bill Online', 5600, 0, 'payment', \(payment), now()
                FROM i
                """)
            let summary = try await stack.reconcile()
            #expect(summary.refundsProposed == 1)
            let refunds = try await stack.desk.list()
            #expect(refunds.count == 1 && refunds.first?.amount == "600.00" && refunds.first?.paymentID == payment)
            let refundID = try #require(refunds.first?.id)
            let refund = try #require(try await stack.refund(refundID))
            #expect(refund.phone == Self.pushedPhone)
        }
    }

    @Test("a success for the pushed amount completes and enrolls as before; its refund goes to the number pushed to")
    func equalAmountCompletesAndRefundsGoWherePushed() async throws {
        try await Stack.with { stack in
            let id = try await stack.seedPending(checkoutID: "ws_CO_equal", amount: 5000)
            _ = try await stack.post(
                body: Self.success("ws_CO_equal", amount: "5000.00", phone: Self.forgerPhone, receipt: "QKH94M1Z33"))
            let payment = try #require(try await stack.payment(id))
            #expect(payment.state.status == .completed && payment.state.receipt == "QKH94M1Z33")
            #expect(payment.state.paidAmount == Money(minorUnits: 500_000) && payment.state.settledVia == .callback)
            #expect(try await stack.count("SELECT count(*) FROM enrollments WHERE payment_id = \(id)") == 1)
            #expect(try await stack.count("SELECT count(*) FROM reconciliation_exceptions") == 0)

            let proposed = try await stack.desk.propose(
                paymentID: id, amount: Money(minorUnits: 100_000), reason: "goodwill", by: "alice@example.com")
            _ = try await stack.desk.approve(proposed.id, by: "bob@example.com")
            _ = try await stack.dispatcher().run()
            let refund = try #require(try await stack.refund(proposed.id))
            #expect(refund.phone == Self.pushedPhone)
            let payouts = await stack.payouts(refund.state.originatorConversationID)
            #expect(payouts.count == 1 && payouts.first?.partyB == Self.pushedPhone)
        }
    }

    @Test("in production the Safaricom allow-list is on by default; RECON_CALLBACK_ALLOWLIST=off turns it off")
    func productionAllowListByDefault() async throws {
        try await Stack.with { stack in
            let base = [
                "MPESA_ENVIRONMENT": "production", "MPESA_CALLBACK_TOKEN": Stack.token,
                "RECON_SPOOL_DIR": stack.spool.path,
            ]
            let on = try AddressPolicy(settings: try CallbackSettings.load(from: Environment(base)))
            #expect(on.allowed == AddressPolicy.safaricom)
            let refused = try await Self.post(stack, policy: on)
            #expect(refused == 403)
            #expect(try await stack.count("SELECT count(*) FROM callback_inbox") == 0)

            var off = base
            off["RECON_CALLBACK_ALLOWLIST"] = "off"
            let open = try AddressPolicy(settings: try CallbackSettings.load(from: Environment(off)))
            #expect(open.allowed == nil)
            let accepted = try await Self.post(stack, policy: open)
            #expect(accepted == 200)
            #expect(try await stack.count("SELECT count(*) FROM callback_inbox") == 1)
        }
    }

    /// Posts one failure callback from loopback to a callback server running with `policy`; returns the status.
    static func post(_ stack: Stack, policy: AddressPolicy) async throws -> Int {
        var logger = Logger(label: "allow-list")
        logger.logLevel = .critical
        let application = try ReconApplication(
            ServerConfiguration(
                port: 0, callbackToken: Stack.token, addressPolicy: policy, spoolDirectory: stack.spool,
                sweepIntervalSeconds: 3600),
            pool: stack.pool, logger: logger)
        let endpoint = application.callbacks
        let server = try await application.start()
        do {
            let response = try await stack.http.send(
                .postJSON(
                    server.baseURL + "/api/payments/callback/?token=\(Stack.token)",
                    body: Array(Bodies.failure("ws_CO_allow", code: "1032").utf8)))
            await endpoint.caughtUp()
            await server.stop()
            return Int(response.status)
        } catch {
            await server.stop()
            throw error
        }
    }
}
