import Foundation
import HTTPServerKit
import ReconApp
import ReconCore
import ReconHTTP
import ReconPostgres
import ReconServer
import ReconTestSupport
import Testing

@Suite("Reconcile: one finding per fact, stable keys, fixes recorded, re-running changes nothing")
struct ReconcileTests {
    /// Runs reconcile twice and checks that the second run changed nothing.
    func reconcileTwice(_ stack: some DatabaseFixture, grace: Int = 900) async throws -> ReconcileSummary {
        let first = try await stack.reconcile(grace: grace)
        let before = try await stack.reconcileState()
        let second = try await stack.reconcile(grace: grace)
        let after = try await stack.reconcileState()
        #expect(before == after, "re-running reconcile changed the database")
        #expect(second.opened == 0 && second.resolved == 0 && second.enrolled == 0 && second.refundsProposed == 0)
        return first
    }

    @Test("paid_not_enrolled on an active course: the learner is enrolled and the fix recorded")
    func paidNotEnrolled() async throws {
        try await DatabaseStack.with { stack in
            let (user, course) = try await stack.learnerAndCourse()
            let payment = try await stack.seedPayment(user: user, course: course)
            let summary = try await reconcileTwice(stack)
            #expect(summary.enrolled == 1 && summary.findings["paid_not_enrolled"] == 1)
            let finding = try #require(try await stack.exception("paid_not_enrolled:payment:\(payment)"))
            #expect(finding.status == "resolved" && finding.resolvedAt != nil)
            #expect(finding.resolution?.hasPrefix("fixed automatically: enrolled") == true)
            #expect(try await stack.count("SELECT count(*) FROM enrollments WHERE payment_id = \(payment)") == 1)
            #expect(
                try await stack.count(
                    "SELECT count(*) FROM payment_events WHERE payment_id = \(payment) AND source = 'reconcile'") == 1)
            #expect(try await stack.count("SELECT count(*) FROM refunds") == 0)
        }
    }

    @Test("paid_not_enrolled on an inactive course: a full refund is proposed by the system, once")
    func paidInactiveCourse() async throws {
        try await DatabaseStack.with { stack in
            let (user, course) = try await stack.learnerAndCourse(price: 3000, active: false)
            let payment = try await stack.seedPayment(user: user, course: course, amount: 3000)
            let summary = try await reconcileTwice(stack)
            #expect(summary.refundsProposed == 1 && summary.enrolled == 0)
            let finding = try #require(try await stack.exception("paid_not_enrolled:payment:\(payment)"))
            #expect(finding.status == "open")
            let refund = try #require(try await stack.desk.list().first)
            #expect(refund.paymentID == payment && refund.amount == "3000.00" && refund.status == "proposed")
            #expect(refund.proposedBy == "mpesa-recon" && refund.exceptionID == finding.id)
            #expect(try await stack.count("SELECT count(*) FROM enrollments") == 0)
        }
    }

    @Test("enrolled_not_paid is recorded, and resolved with a time once a completed payment appears")
    func enrolledNotPaid() async throws {
        try await DatabaseStack.with { stack in
            let (user, course) = try await stack.learnerAndCourse()
            let enrollment = try await stack.seedEnrollment(user: user, course: course, payment: nil)
            _ = try await reconcileTwice(stack)
            let key = "enrolled_not_paid:enrollment:\(enrollment)"
            #expect(try await stack.exception(key)?.status == "open")
            #expect(try await stack.count("SELECT count(*) FROM refunds") == 0)
            _ = try await stack.seedPayment(user: user, course: course)
            let later = try await stack.reconcile()
            #expect(later.resolved == 1)
            let finding = try #require(try await stack.exception(key))
            #expect(finding.status == "resolved" && finding.resolvedAt != nil)
        }
    }

    @Test("duplicate_payment: the second payment is refunded in full; the finding resolves once the refund succeeds")
    func duplicatePayment() async throws {
        try await DatabaseStack.with { stack in
            let (user, course) = try await stack.learnerAndCourse()
            let first = try await stack.seedPayment(user: user, course: course, minutesAgo: 90)
            let second = try await stack.seedPayment(user: user, course: course, minutesAgo: 60)
            try await stack.seedEnrollment(user: user, course: course, payment: first)
            let summary = try await reconcileTwice(stack)
            #expect(summary.findings == ["duplicate_payment": 1] && summary.refundsProposed == 1)
            let refund = try #require(try await stack.desk.list().first)
            #expect(refund.paymentID == second && refund.amount == "5000.00")
            // Paid out along the refund state machine's edges (the database refuses a shortcut).
            try await stack.db.query(
                """
                UPDATE refunds SET status = 'approved', approved_by = 'bob',
                    approved_by_user_id = (SELECT id FROM users WHERE email = 'bob@example.com')
                WHERE id = \(refund.id)
                """)
            try await stack.db.query(
                "UPDATE refunds SET status = 'sending', originator_conversation_id = 'x1' WHERE id = \(refund.id)")
            try await stack.db.query("UPDATE refunds SET status = 'succeeded' WHERE id = \(refund.id)")
            #expect(try await stack.reconcile().resolved == 1)
            #expect(try await stack.exception("duplicate_payment:payment:\(second)")?.status == "resolved")
        }
    }

    @Test("overpaid proposes the excess; underpaid is held for a decision with no refund")
    func overAndUnderpaid() async throws {
        try await DatabaseStack.with { stack in
            let (user, course) = try await stack.learnerAndCourse(price: 5000)
            let over = try await stack.seedPayment(user: user, course: course, amount: 6500)
            try await stack.seedEnrollment(user: user, course: course, payment: over)
            let (user2, course2) = try await stack.learnerAndCourse(price: 5000)
            let under = try await stack.seedPayment(user: user2, course: course2, amount: 4000)
            try await stack.seedEnrollment(user: user2, course: course2, payment: under)
            let summary = try await reconcileTwice(stack)
            #expect(summary.findings == ["overpaid": 1, "underpaid": 1] && summary.refundsProposed == 1)
            let overFinding = try #require(try await stack.exception("overpaid:payment:\(over)"))
            let refunds = try await stack.desk.list()
            #expect(refunds.count == 1 && refunds.first?.amount == "1500.00" && refunds.first?.paymentID == over)
            #expect(refunds.first?.exceptionID == overFinding.id)
            #expect(try await stack.exception("underpaid:payment:\(under)")?.status == "open")
        }
    }

    @Test("receipt_conflict: a callback amount off the request, and one receipt reported for two payments")
    func receiptConflict() async throws {
        try await Stack.with { stack in
            let (user, course) = try await stack.learnerAndCourse()
            let short = try await stack.seedPayment(user: user, course: course, amount: 5000, paid: 4000)
            try await stack.seedEnrollment(user: user, course: course, payment: short)
            let (user2, course2) = try await stack.learnerAndCourse()
            let owner = try await stack.seedPayment(user: user2, course: course2, receipt: "QKH94M1Z11")
            try await stack.seedEnrollment(user: user2, course: course2, payment: owner)
            let pending = try await stack.seedPending(checkoutID: "ws_CO_clash")
            // The callback for the pending payment names a receipt another payment holds: it cannot apply.
            _ = try await stack.post(body: Bodies.success("ws_CO_clash", receipt: "QKH94M1Z11"))
            #expect(try await stack.payment(pending)?.state.status == .pending)
            let summary = try await reconcileTwice(stack, grace: 0)
            #expect(summary.findings["receipt_conflict"] == 2)
            #expect(try await stack.exception("receipt_conflict:payment:\(short)")?.status == "open")
            let clash = try #require(try await stack.exception("receipt_conflict:receipt:QKH94M1Z11"))
            #expect(clash.status == "open" && clash.paymentID == pending && clash.callbackID != nil)
        }
    }

    @Test("late_success: found from the trail, under the same key the state machine uses, never duplicated")
    func lateSuccess() async throws {
        try await Stack.with { stack in
            let (user, course) = try await stack.learnerAndCourse()
            let seeded = try await stack.seedPayment(user: user, course: course)
            try await stack.seedEnrollment(user: user, course: course, payment: seeded)
            try await stack.db.query(
                """
                INSERT INTO payment_events (payment_id, source, from_status, to_status)
                VALUES (\(seeded), 'callback', 'failed', 'completed')
                """)
            // The live path: a failure, then a success with a receipt; the state machine records it itself.
            let live = try await stack.seedPending(checkoutID: "ws_CO_late")
            _ = try await stack.post(body: Bodies.failure("ws_CO_late", code: "1037"))
            _ = try await stack.post(body: Bodies.success("ws_CO_late", receipt: "QLATE00001"))
            #expect(try await stack.payment(live)?.state.status == .completed)
            let summary = try await reconcileTwice(stack)
            #expect(summary.findings["late_success"] == 2)
            #expect(try await stack.exception("late_success:payment:\(seeded)")?.status == "open")
            #expect(try await stack.exception("late_success:payment:\(live)")?.status == "open")
            #expect(
                try await stack.count("SELECT count(*) FROM reconciliation_exceptions WHERE kind = 'late_success'") == 2
            )
        }
    }

    @Test("unresolved: an unknown payment stays open until it gets a verdict, then resolves")
    func unresolved() async throws {
        try await DatabaseStack.with { stack in
            let (user, course) = try await stack.learnerAndCourse()
            let payment = try await stack.seedPayment(user: user, course: course, status: "unknown")
            _ = try await reconcileTwice(stack)
            let key = "unresolved:payment:\(payment)"
            #expect(try await stack.exception(key)?.status == "open")
            try await stack.db.query("UPDATE payments SET status = 'failed' WHERE id = \(payment)")
            _ = try await stack.reconcile()
            let finding = try #require(try await stack.exception(key))
            #expect(finding.status == "resolved" && finding.resolvedAt != nil)
        }
    }

    @Test("unmatched_callback: only after the grace period, and resolved once something claims it")
    func unmatchedCallback() async throws {
        try await Stack.with { stack in
            _ = try await stack.post(body: Bodies.failure("ws_CO_nobody", code: "1032"))
            let id = try #require(
                try await stack.db.query("SELECT id FROM callback_inbox WHERE outcome = 'unmatched'").first?
                    .decode(Int64.self, "id"))
            let key = "unmatched_callback:callback:\(id)"
            _ = try await stack.reconcile(grace: 3600)
            #expect(try await stack.exception(key) == nil)
            _ = try await reconcileTwice(stack, grace: 0)
            let finding = try #require(try await stack.exception(key))
            #expect(finding.status == "open" && finding.callbackID == id)
            // The payment appears and the sweep applies the callback: the finding no longer holds.
            _ = try await stack.seedPending(checkoutID: "ws_CO_nobody")
            _ = try await CallbackProcessor.sweep(stack.db, now: Date(), schedule: .standard)
            _ = try await stack.reconcile(grace: 0)
            #expect(try await stack.exception(key)?.status == "resolved")
        }
    }

    @Test("a refund rejected by an admin closes its finding for good; reconcile neither reopens nor re-proposes")
    func rejectedStaysClosed() async throws {
        try await DatabaseStack.with { stack in
            let (user, course) = try await stack.learnerAndCourse()
            let over = try await stack.seedPayment(user: user, course: course, amount: 7000)
            try await stack.seedEnrollment(user: user, course: course, payment: over)
            _ = try await stack.reconcile()
            let refund = try #require(try await stack.desk.list().first)
            _ = try await stack.desk.reject(
                refund.id, by: "carol@example.com", reason: "the learner bought extra materials")
            let finding = try #require(try await stack.exception("overpaid:payment:\(over)"))
            #expect(finding.status == "resolved" && finding.resolution?.contains("rejected") == true)
            _ = try await reconcileTwice(stack)
            #expect(try await stack.exception("overpaid:payment:\(over)")?.status == "resolved")
            #expect(try await stack.count("SELECT count(*) FROM refunds") == 1)
        }
    }

    @Test("a database seeded with every kind: each finding once; the second run changes nothing")
    func everyKindAtOnce() async throws {
        try await Stack.with { stack in
            let (u1, c1) = try await stack.learnerAndCourse()
            _ = try await stack.seedPayment(user: u1, course: c1)  // paid_not_enrolled
            let (u2, c2) = try await stack.learnerAndCourse()
            try await stack.seedEnrollment(user: u2, course: c2, payment: nil)  // enrolled_not_paid
            let (u3, c3) = try await stack.learnerAndCourse()
            let p3 = try await stack.seedPayment(user: u3, course: c3, minutesAgo: 90)
            _ = try await stack.seedPayment(user: u3, course: c3)  // duplicate_payment
            try await stack.seedEnrollment(user: u3, course: c3, payment: p3)
            let (u4, c4) = try await stack.learnerAndCourse()
            let p4 = try await stack.seedPayment(user: u4, course: c4, amount: 6000)  // overpaid
            try await stack.seedEnrollment(user: u4, course: c4, payment: p4)
            let (u7, c7) = try await stack.learnerAndCourse()
            // receipt_conflict: a callback's amount alone is never money (no overpaid, no refund).
            let p7 = try await stack.seedPayment(user: u7, course: c7, amount: 5000, paid: 6000)
            try await stack.seedEnrollment(user: u7, course: c7, payment: p7)
            let (u5, c5) = try await stack.learnerAndCourse()
            let p5 = try await stack.seedPayment(user: u5, course: c5, amount: 3000)  // underpaid
            try await stack.seedEnrollment(user: u5, course: c5, payment: p5)
            let (u6, c6) = try await stack.learnerAndCourse()
            _ = try await stack.seedPayment(user: u6, course: c6, status: "unknown")  // unresolved
            _ = try await stack.post(body: Bodies.failure("ws_CO_orphan", code: "1032"))  // unmatched_callback
            let first = try await reconcileTwice(stack, grace: 0)
            #expect(
                first.findings == [
                    "paid_not_enrolled": 1, "enrolled_not_paid": 1, "duplicate_payment": 1, "overpaid": 1,
                    "receipt_conflict": 1, "underpaid": 1, "unresolved": 1, "unmatched_callback": 1,
                ])
            #expect(first.enrolled == 1 && first.refundsProposed == 2)
            #expect(try await stack.count("SELECT count(*) FROM reconciliation_exceptions") == 8)
        }
    }
}
