import DarajaSimulator
import Foundation
import HTTPServerKit
import Logging
import ReconApp
import ReconCore
import ReconPostgres
import ReconServer
import ReconTestSupport
import Testing

extension Stack {
    static let approvals = ApprovalSettings(dualApprovalAbove: Money(minorUnits: 1_000_000))
}

/// A reconciliation exception as the tests read it.
struct ExceptionRow: Sendable {
    var id: Int64
    var kind: String
    var status: String
    var resolution: String?
    var resolvedAt: Date?
    var paymentID: Int64?
    var callbackID: Int64?
}

/// Seeding, reading and running helpers for the reconcile and refund tests (kept out of Stack.swift).
extension DatabaseFixture {
    var desk: RefundDesk { RefundDesk(pool: pool, settings: Stack.approvals, clock: clock) }

    /// A learner and a course with a fixed id-free title; returns (user id, course id).
    func learnerAndCourse(price: Int64 = 5000, active: Bool = true) async throws -> (Int64, Int64) {
        try await seedLearner(price: price, active: active)
    }

    /// A course for an existing learner.
    func course(price: Int64 = 5000, active: Bool = true) async throws -> Int64 {
        try await db.query(
            "INSERT INTO courses (title, price, is_active) VALUES ('Course', \(price), \(active)) RETURNING id"
        ).first?.decode(Int64.self, "id") ?? 0
    }

    /// A payment inserted as it would stand after settlement (no STK Push).
    func seedPayment(
        user: Int64, course: Int64, amount: Int64 = 5000, paid: Int64? = nil, status: String = "completed",
        receipt: String? = nil, minutesAgo: Int = 60
    ) async throws -> Int64 {
        let created = clock.now.addingTimeInterval(TimeInterval(-60 * minutesAgo))
        let settled: String? = status == "completed" ? "callback" : nil
        let paidAmount: Int64? = status == "completed" ? (paid ?? amount) : nil
        return try await db.query(
            """
            INSERT INTO payments (user_id, course_id, amount, phone, status, settled_via, mpesa_receipt, paid_amount,
                                  paid_phone, created_at, updated_at)
            VALUES (\(user), \(course), \(amount), '254708374149', \(status), \(settled), \(receipt), \(paidAmount),
                    \(status == "completed" ? "254708374149" : nil), \(created), \(created))
            RETURNING id
            """
        ).first?.decode(Int64.self, "id") ?? 0
    }

    @discardableResult
    func seedEnrollment(user: Int64, course: Int64, payment: Int64?, active: Bool = true) async throws -> Int64 {
        try await db.query(
            """
            INSERT INTO enrollments (user_id, course_id, payment_id, status)
            VALUES (\(user), \(course), \(payment), \(active ? "active" : "revoked")) RETURNING id
            """
        ).first?.decode(Int64.self, "id") ?? 0
    }

    func reconcile(grace: Int = 900) async throws -> ReconcileSummary {
        try await ReconcileJob(
            pool: pool, options: ReconcileOptions(callbackGraceSeconds: grace), logger: Logger(label: "t"), clock: clock
        ).run()
    }

    /// Everything reconcile may change, except `last_seen` (which records that a run saw the finding again).
    func reconcileState() async throws -> [String] {
        var lines: [String] = []
        for row in try await db.query(
            """
            SELECT id, kind, key, payment_id, enrollment_id, callback_id, expected_amount, received_amount, status,
                   resolution, resolved_at, resolved_by, first_seen FROM reconciliation_exceptions ORDER BY id
            """)
        {
            lines.append("exception " + row.values.map { $0 ?? "NULL" }.joined(separator: "|"))
        }
        for row in try await db.query(
            "SELECT id, payment_id, exception_id, amount, status, proposed_by, reason FROM refunds ORDER BY id")
        {
            lines.append("refund " + row.values.map { $0 ?? "NULL" }.joined(separator: "|"))
        }
        for row in try await db.query("SELECT id, user_id, course_id, payment_id, status FROM enrollments ORDER BY id")
        {
            lines.append("enrollment " + row.values.map { $0 ?? "NULL" }.joined(separator: "|"))
        }
        let events = try await count("SELECT count(*) FROM payment_events")
        lines.append("events \(events)")
        return lines
    }

    func exception(_ key: String) async throws -> ExceptionRow? {
        guard
            let row = try await db.query(
                """
                SELECT id, kind, status, resolution, resolved_at, payment_id, callback_id
                FROM reconciliation_exceptions WHERE key = \(key)
                """
            ).first
        else { return nil }
        return ExceptionRow(
            id: try row.decode(Int64.self, "id"), kind: try row.decode(String.self, "kind"),
            status: try row.decode(String.self, "status"), resolution: try row.decode(String?.self, "resolution"),
            resolvedAt: try row.decode(Date?.self, "resolved_at"), paymentID: try row.decode(Int64?.self, "payment_id"),
            callbackID: try row.decode(Int64?.self, "callback_id"))
    }

    func refund(_ id: Int64) async throws -> RefundRecord? {
        try await db.run { db throws(PostgresError) in try RefundStore.load(db, id: id) }
    }

    /// A completed payment proposed for refund by alice and approved by bob; returns the refund's id.
    func approvedRefund(amount: Int64 = 1000, paid: Int64 = 5000) async throws -> Int64 {
        let (user, course) = try await learnerAndCourse(price: paid)
        let payment = try await seedPayment(user: user, course: course, amount: paid)
        try await seedEnrollment(user: user, course: course, payment: payment)
        let refund = try await desk.propose(
            paymentID: payment, amount: Money(minorUnits: amount * 100), reason: "goodwill", by: "alice@example.com")
        _ = try await desk.approve(refund.id, by: "bob@example.com")
        return refund.id
    }
}

/// Refund helpers that reach the simulator.
extension Stack {
    func dispatcher(stuckAfter: Int = 900) -> RefundDispatcher {
        RefundDispatcher(
            pool: pool, gateway: client,
            options: RefundDispatchOptions(stuckAfterSeconds: stuckAfter, recheckAfterSeconds: 0),
            logger: Logger(label: "t"), clock: clock)
    }

    /// The simulator's payouts for one OriginatorConversationID.
    func payouts(_ originatorConversationID: String?) async -> [LedgerPayout] {
        await simulator.ledger().payouts.filter { $0.originatorConversationID == originatorConversationID }
    }
}
