import Foundation
import ReconCore
import ReconPostgres
import ReconTestSupport
import Testing

@Suite("Schema invariants enforced by PostgreSQL itself")
struct SchemaTests {
    static func seedPayment(_ db: PostgresConnection, amount: String = "1000.00") async throws -> Int64 {
        let money = try Money.parse(amount)
        return try await db.withTransaction { db in
            let user =
                try db.query("INSERT INTO users (email) VALUES ('u@x') RETURNING id").first?
                .decode(Int64.self, "id") ?? 0
            let course =
                try db.query(
                    "INSERT INTO courses (title, price) VALUES ('German A1', \(money)) RETURNING id"
                ).first?.decode(Int64.self, "id") ?? 0
            return try db.query(
                """
                INSERT INTO payments (user_id, course_id, amount, phone, status, settled_via, mpesa_receipt)
                VALUES (\(user), \(course), \(money), '254712345678', 'completed', 'callback', 'QKH94M1Z11')
                RETURNING id
                """
            ).first?.decode(Int64.self, "id") ?? 0
        }
    }

    @Test("refunds of a payment can never add up to more than it paid")
    func overRefundRefused() async throws {
        try await TestDatabase.with { _, db in
            let payment = try await Self.seedPayment(db)
            try await db.query(
                "INSERT INTO refunds (payment_id, amount, reason, proposed_by) VALUES (\(payment), 600, 'dup', 'mpesa-recon')"
            )
            let error = await #expect(throws: PostgresError.self) {
                try await db.query(
                    "INSERT INTO refunds (payment_id, amount, reason, proposed_by) VALUES (\(payment), 400.01, 'x', 'mpesa-recon')"
                )
            }
            #expect(error?.constraint == "refunds_within_payment_amount")
            #expect(error?.sqlState == "23514")
            // A rejected refund no longer counts, so the rest can be proposed.
            let bob = try await Self.admin(db, "bob@example.com")
            try await db.query(
                """
                UPDATE refunds SET status = 'rejected', rejected_by = 'bob', rejected_by_user_id = \(bob)
                WHERE payment_id = \(payment)
                """)
            try await db.query(
                "INSERT INTO refunds (payment_id, amount, reason, proposed_by) VALUES (\(payment), 1000, 'x', 'mpesa-recon')"
            )
        }
    }

    @Test("a payment that is not completed cannot be refunded; a completed one up to what M-Pesa reported paid")
    func refundsFollowWhatWasPaid() async throws {
        try await TestDatabase.with { _, db in
            let payment = try await Self.seedPayment(db)
            try await db.query("UPDATE payments SET paid_amount = 600 WHERE id = \(payment)")
            let over = await #expect(throws: PostgresError.self) {
                try await db.query(
                    "INSERT INTO refunds (payment_id, amount, reason, proposed_by) VALUES (\(payment), 600.01, 'x', 'mpesa-recon')"
                )
            }
            #expect(over?.constraint == "refunds_within_payment_amount")
            let failedPayment =
                try await db.query(
                    """
                    INSERT INTO payments (user_id, course_id, amount, phone, status)
                    SELECT user_id, course_id, amount, phone, 'failed' FROM payments WHERE id = \(payment)
                    RETURNING id
                    """
                ).first?.decode(Int64.self, "id") ?? 0
            let failed = await #expect(throws: PostgresError.self) {
                try await db.query(
                    """
                    INSERT INTO refunds (payment_id, amount, reason, proposed_by)
                    VALUES (\(failedPayment), 1, 'x', 'mpesa-recon')
                    """)
            }
            #expect(failed?.constraint == "refunds_within_payment_amount")
        }
    }

    @Test("the system proposes at most one refund per finding, even from two overlapping reconciles")
    func oneSystemProposalPerFinding() async throws {
        try await TestDatabase.with { _, db in
            let payment = try await Self.seedPayment(db)
            let finding =
                try await db.query(
                    "INSERT INTO reconciliation_exceptions (kind, key, payment_id) VALUES ('overpaid', 'k', \(payment)) RETURNING id"
                ).first?.decode(Int64.self, "id") ?? 0
            let insert: SQLQuery = """
                INSERT INTO refunds (payment_id, exception_id, amount, reason, proposed_by)
                VALUES (\(payment), \(finding), 100, 'excess', 'mpesa-recon')
                """
            try await db.query(insert)
            let error = await #expect(throws: PostgresError.self) { try await db.query(insert) }
            #expect(error?.constraint == "refunds_one_system_proposal_per_exception")
        }
    }

    @Test("an approver must differ from the proposer")
    func selfApprovalRefused() async throws {
        try await TestDatabase.with { _, db in
            let payment = try await Self.seedPayment(db)
            let ann = try await Self.admin(db, "ann@example.com")
            let error = await #expect(throws: PostgresError.self) {
                try await db.query(
                    """
                    INSERT INTO refunds (payment_id, amount, reason, proposed_by, proposed_by_user_id, approved_by,
                                         approved_by_user_id)
                    VALUES (\(payment), 10, 'x', 'ann', \(ann), 'ann', \(ann))
                    """)
            }
            // Both the account rule and the name rule hold; PostgreSQL reports the first by name.
            #expect(
                ["refunds_approver_account_not_proposer", "refunds_approver_not_proposer"].contains(
                    error?.constraint ?? ""))
        }
    }

    /// An active account with the admin role.
    static func admin(_ db: PostgresConnection, _ email: String) async throws -> Int64 {
        let id =
            try await db.query(
                "INSERT INTO users (email, full_name) VALUES (\(email), \(email)) RETURNING id"
            ).first?.decode(Int64.self, "id") ?? 0
        try await db.query("INSERT INTO user_roles (user_id, role) VALUES (\(id), 'admin')")
        return id
    }

    @Test("one enrollment per learner and course; one payment per receipt and per CheckoutRequestID")
    func uniqueness() async throws {
        try await TestDatabase.with { _, db in
            let payment = try await Self.seedPayment(db)
            try await db.query(
                "INSERT INTO enrollments (user_id, course_id, payment_id) SELECT user_id, course_id, id FROM payments")
            let enrollment = await #expect(throws: PostgresError.self) {
                try await db.query(
                    "INSERT INTO enrollments (user_id, course_id) SELECT user_id, course_id FROM payments")
            }
            #expect(enrollment?.constraint == "enrollments_one_per_learner_course")
            let receipt = await #expect(throws: PostgresError.self) {
                try await db.query(
                    """
                    INSERT INTO payments (user_id, course_id, amount, phone, status, settled_via, mpesa_receipt)
                    SELECT user_id, course_id, amount, phone, status, settled_via, mpesa_receipt
                    FROM payments WHERE id = \(payment)
                    """)
            }
            #expect(receipt?.constraint == "payments_mpesa_receipt_key")
        }
    }
}
