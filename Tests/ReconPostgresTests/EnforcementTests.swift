import Foundation
import ReconCore
import ReconPostgres
import ReconTestSupport
import Testing

/// What the database refuses by itself, whatever code (or person holding the application's login) writes the row.
@Suite("The database enforces the rules against SQL written with the application's login")
struct EnforcementTests {
    /// A completed payment of `amount` KES, its learner and course.
    static func completedPayment(_ db: PostgresConnection, amount: Int = 20_000) async throws -> Int64 {
        let user =
            try await db.query("INSERT INTO users (email) VALUES ('learner@x') RETURNING id").first?
            .decode(Int64.self, "id") ?? 0
        let course =
            try await db.query("INSERT INTO courses (title, price) VALUES ('German A1', \(amount)) RETURNING id")
            .first?.decode(Int64.self, "id") ?? 0
        return try await db.query(
            """
            INSERT INTO payments (user_id, course_id, amount, phone, status, settled_via, mpesa_receipt)
            VALUES (\(user), \(course), \(amount), '254712345678', 'completed', 'callback', 'QKH94M1Z11')
            RETURNING id
            """
        ).first?.decode(Int64.self, "id") ?? 0
    }

    /// An account, with the admin role when `admin`.
    static func account(
        _ db: PostgresConnection, _ email: String, admin: Bool = true, staff: Bool = false, active: Bool = true
    ) async throws -> Int64 {
        let id =
            try await db.query(
                """
                INSERT INTO users (email, full_name, is_staff, is_active) VALUES (\(email), \(email), \(staff), \(active))
                RETURNING id
                """
            ).first?.decode(Int64.self, "id") ?? 0
        if admin { try await db.query("INSERT INTO user_roles (user_id, role) VALUES (\(id), 'admin')") }
        return id
    }

    /// A refund proposed by `proposer`.
    static func proposal(_ db: PostgresConnection, payment: Int64, amount: Int, proposer: Int64) async throws -> Int64 {
        try await db.query(
            """
            INSERT INTO refunds (payment_id, amount, reason, proposed_by, proposed_by_user_id)
            VALUES (\(payment), \(amount), 'withdrawn', 'someone', \(proposer))
            RETURNING id
            """
        ).first?.decode(Int64.self, "id") ?? 0
    }

    static func status(_ db: PostgresConnection, refund: Int64) async throws -> String? {
        try await db.query("SELECT status FROM refunds WHERE id = \(refund)").first?.decode(String.self, "status")
    }

    @Test("one approval above the dual-approval threshold cannot make a refund approved; a second approver can")
    func singleApprovalAboveThresholdRefused() async throws {
        try await TestDatabase.with { _, db in
            let payment = try await Self.completedPayment(db)
            let ann = try await Self.account(db, "ann@x")
            let bob = try await Self.account(db, "bob@x")
            let cat = try await Self.account(db, "cat@x")
            let refund = try await Self.proposal(db, payment: payment, amount: 15_000, proposer: ann)
            let single = await #expect(throws: PostgresError.self) {
                try await db.query(
                    """
                    UPDATE refunds SET status = 'approved', approved_by = 'bob', approved_by_user_id = \(bob)
                    WHERE id = \(refund)
                    """)
            }
            #expect(single?.constraint == "refunds_status_matches_approvals" && single?.sqlState == "23514")
            // The first approval alone leaves it proposed, as RefundApproval does.
            try await db.query(
                "UPDATE refunds SET approved_by = 'bob', approved_by_user_id = \(bob) WHERE id = \(refund)")
            try await db.query(
                """
                UPDATE refunds SET status = 'approved', second_approved_by = 'cat', second_approved_by_user_id = \(cat)
                WHERE id = \(refund)
                """)
            #expect(try await Self.status(db, refund: refund) == "approved")
        }
    }

    @Test("the threshold is the one the owner wrote to recon_settings, compared strictly as in Swift")
    func thresholdComesFromSettings() async throws {
        try await TestDatabase.with { _, db in
            let payment = try await Self.completedPayment(db)
            let ann = try await Self.account(db, "ann@x")
            let bob = try await Self.account(db, "bob@x")
            #expect(
                try await db.run { db throws(PostgresError) in try EnforcementStore.dualApprovalAbove(db) }
                    == Money(minorUnits: 1_000_000))
            // Exactly at the threshold one approver is enough.
            let atThreshold = try await Self.proposal(db, payment: payment, amount: 10_000, proposer: ann)
            try await db.query(
                """
                UPDATE refunds SET status = 'approved', approved_by = 'bob', approved_by_user_id = \(bob)
                WHERE id = \(atThreshold)
                """)
            try await db.query(
                "UPDATE refunds SET status = 'rejected', rejected_by = 'bob', rejected_by_user_id = \(bob) WHERE id = \(atThreshold)"
            )
            let changed = try await db.run { db throws(PostgresError) in
                try EnforcementStore.setDualApprovalAbove(db, Money(minorUnits: 500_000))
            }
            #expect(changed)
            let above = try await Self.proposal(db, payment: payment, amount: 6_000, proposer: ann)
            await #expect(throws: PostgresError.self) {
                try await db.query(
                    """
                    UPDATE refunds SET status = 'approved', approved_by = 'bob', approved_by_user_id = \(bob)
                    WHERE id = \(above)
                    """)
            }
            let unchanged = try await db.run { db throws(PostgresError) in
                try EnforcementStore.setDualApprovalAbove(db, Money(minorUnits: 500_000))
            }
            #expect(!unchanged)
        }
    }

    @Test("a refund is born proposed and moves only along the state machine's edges; its approvals are then fixed")
    func refundTransitionsFollowStateMachine() async throws {
        try await TestDatabase.with { _, db in
            let payment = try await Self.completedPayment(db)
            let ann = try await Self.account(db, "ann@x")
            let bob = try await Self.account(db, "bob@x")
            let cat = try await Self.account(db, "cat@x")
            let born = await #expect(throws: PostgresError.self) {
                try await db.query(
                    """
                    INSERT INTO refunds (payment_id, amount, reason, proposed_by, proposed_by_user_id, status,
                                         approved_by, approved_by_user_id)
                    VALUES (\(payment), 100, 'x', 'ann', \(ann), 'approved', 'bob', \(bob))
                    """)
            }
            #expect(born?.constraint == "refunds_follow_state_machine")
            let refund = try await Self.proposal(db, payment: payment, amount: 500, proposer: ann)
            let skip = await #expect(throws: PostgresError.self) {
                try await db.query(
                    """
                    UPDATE refunds SET status = 'sending', originator_conversation_id = 'oc-1', approved_by = 'bob',
                        approved_by_user_id = \(bob)
                    WHERE id = \(refund)
                    """)
            }
            #expect(skip?.constraint == "refunds_follow_state_machine")
            try await db.query(
                "UPDATE refunds SET status = 'approved', approved_by = 'bob', approved_by_user_id = \(bob) WHERE id = \(refund)"
            )
            let swapped = await #expect(throws: PostgresError.self) {
                try await db.query(
                    "UPDATE refunds SET approved_by = 'cat', approved_by_user_id = \(cat) WHERE id = \(refund)")
            }
            #expect(swapped?.constraint == "refunds_follow_state_machine")
            let bigger = await #expect(throws: PostgresError.self) {
                try await db.query("UPDATE refunds SET amount = 900 WHERE id = \(refund)")
            }
            #expect(bigger?.constraint == "refunds_follow_state_machine")
            for step in ["sending", "sending", "sent", "unknown", "succeeded"] {
                try await db.query(
                    "UPDATE refunds SET status = \(step), originator_conversation_id = 'oc-1' WHERE id = \(refund)")
            }
            for illegal in ["failed", "sending", "approved", "proposed"] {
                let refused = await #expect(throws: PostgresError.self) {
                    try await db.query("UPDATE refunds SET status = \(illegal) WHERE id = \(refund)")
                }
                #expect(refused?.constraint == "refunds_follow_state_machine")
            }
            // A late answer still fills in what it may.
            try await db.query("UPDATE refunds SET conversation_id = 'AG_1', statement_fee = 15 WHERE id = \(refund)")
            #expect(try await Self.status(db, refund: refund) == "succeeded")
        }
    }

    @Test("a sent refund is never made sendable again, and a rejected one stays rejected")
    func noSecondPayout() async throws {
        try await TestDatabase.with { _, db in
            let payment = try await Self.completedPayment(db)
            let ann = try await Self.account(db, "ann@x")
            let bob = try await Self.account(db, "bob@x")
            let refund = try await Self.proposal(db, payment: payment, amount: 500, proposer: ann)
            try await db.query(
                "UPDATE refunds SET status = 'approved', approved_by = 'bob', approved_by_user_id = \(bob) WHERE id = \(refund)"
            )
            try await db.query(
                "UPDATE refunds SET status = 'sending', originator_conversation_id = 'oc-1' WHERE id = \(refund)")
            try await db.query("UPDATE refunds SET status = 'sent', conversation_id = 'AG_1' WHERE id = \(refund)")
            let resend = await #expect(throws: PostgresError.self) {
                try await db.query("UPDATE refunds SET status = 'sending', resend_due = true WHERE id = \(refund)")
            }
            #expect(resend?.constraint == "refunds_follow_state_machine")
            let other = try await Self.proposal(db, payment: payment, amount: 500, proposer: ann)
            try await db.query(
                """
                UPDATE refunds SET status = 'rejected', rejected_by = 'bob', rejected_by_user_id = \(bob),
                    rejected_reason = 'no'
                WHERE id = \(other)
                """)
            let revived = await #expect(throws: PostgresError.self) {
                try await db.query(
                    "UPDATE refunds SET status = 'approved', approved_by = 'bob', approved_by_user_id = \(bob) WHERE id = \(other)"
                )
            }
            #expect(revived?.constraint == "refunds_follow_state_machine")
        }
    }

    @Test("a payment moves only along the payment state machine's edges: completed never goes back")
    func paymentTransitionsFollowStateMachine() async throws {
        try await TestDatabase.with { _, db in
            let payment = try await Self.completedPayment(db)
            for illegal in ["pending", "unknown"] {
                let refused = await #expect(throws: PostgresError.self) {
                    try await db.query("UPDATE payments SET status = \(illegal) WHERE id = \(payment)")
                }
                #expect(refused?.constraint == "payments_follow_state_machine")
            }
            let undone = await #expect(throws: PostgresError.self) {
                try await db.query(
                    "UPDATE payments SET status = 'failed', mpesa_receipt = NULL WHERE id = \(payment)")
            }
            #expect(undone?.constraint == "payments_follow_state_machine")
            let pending =
                try await db.query(
                    """
                    INSERT INTO payments (user_id, course_id, amount, phone)
                    SELECT user_id, course_id, amount, phone FROM payments WHERE id = \(payment) RETURNING id
                    """
                ).first?.decode(Int64.self, "id") ?? 0
            try await db.query("UPDATE payments SET status = 'unknown' WHERE id = \(pending)")
            let backToPending = await #expect(throws: PostgresError.self) {
                try await db.query("UPDATE payments SET status = 'pending' WHERE id = \(pending)")
            }
            #expect(backToPending?.constraint == "payments_follow_state_machine")
            try await db.query("UPDATE payments SET status = 'failed', settled_via = 'admin' WHERE id = \(pending)")
            // A late success with a receipt overturns a failure (money that moved wins).
            try await db.query(
                """
                UPDATE payments SET status = 'completed', settled_via = 'callback', mpesa_receipt = 'QKH94M1Z12'
                WHERE id = \(pending)
                """)
        }
    }

    @Test("a payment decision is proposed and confirmed only by active accounts holding the admin role")
    func decisionsNeedAdminAccounts() async throws {
        try await TestDatabase.with { _, db in
            let payment = try await Self.completedPayment(db)
            let ann = try await Self.account(db, "ann@x")
            let bob = try await Self.account(db, "bob@x")
            let staff = try await Self.account(db, "staff@x", admin: false, staff: true)
            let finance = try await Self.account(db, "finance@x", admin: false)
            try await db.query("INSERT INTO user_roles (user_id, role) VALUES (\(finance), 'finance')")
            let gone = try await Self.account(db, "gone@x", active: false)
            for outsider in [staff, finance, gone] {
                let refused = await #expect(throws: PostgresError.self) {
                    try await db.query(
                        """
                        INSERT INTO payment_decisions (payment_id, verdict, proposed_by, proposed_by_user_id)
                        VALUES (\(payment), 'not_paid', 'x', \(outsider))
                        """)
                }
                #expect(refused?.constraint == "payment_decisions_need_admins")
            }
            let decision =
                try await db.query(
                    """
                    INSERT INTO payment_decisions (payment_id, verdict, proposed_by, proposed_by_user_id)
                    VALUES (\(payment), 'not_paid', 'ann', \(ann)) RETURNING id
                    """
                ).first?.decode(Int64.self, "id") ?? 0
            let notAdmin = await #expect(throws: PostgresError.self) {
                try await db.query(
                    """
                    UPDATE payment_decisions SET status = 'confirmed', confirmed_by = 'staff',
                        confirmed_by_user_id = \(staff), confirmed_at = now()
                    WHERE id = \(decision)
                    """)
            }
            #expect(notAdmin?.constraint == "payment_decisions_need_admins")
            try await db.query(
                """
                UPDATE payment_decisions SET status = 'confirmed', confirmed_by = 'bob', confirmed_by_user_id = \(bob),
                    confirmed_at = now()
                WHERE id = \(decision)
                """)
            let reopened = await #expect(throws: PostgresError.self) {
                try await db.query(
                    "UPDATE payment_decisions SET verdict = 'paid', receipt = 'R' WHERE id = \(decision)")
            }
            #expect(reopened?.constraint == "payment_decisions_need_admins")
        }
    }

    @Test("a finding resolved by a person names an active admin account; the system resolves without a name")
    func findingResolutionsNeedAdmin() async throws {
        try await TestDatabase.with { _, db in
            let payment = try await Self.completedPayment(db)
            let ann = try await Self.account(db, "ann@x")
            let learner = try await Self.account(db, "learner2@x", admin: false)
            var findings: [Int64] = []
            for key in ["a", "b", "c"] {
                findings.append(
                    try await db.query(
                        """
                        INSERT INTO reconciliation_exceptions (kind, key, payment_id) VALUES ('overpaid', \(key), \(payment))
                        RETURNING id
                        """
                    ).first?.decode(Int64.self, "id") ?? 0)
            }
            for byWhom: Int64? in [learner, nil] {
                let refused = await #expect(throws: PostgresError.self) {
                    try await db.query(
                        """
                        UPDATE reconciliation_exceptions SET status = 'resolved', resolved_at = now(),
                            resolved_by = 'someone', resolved_by_user_id = \(byWhom), resolution = 'ok'
                        WHERE id = \(findings[0])
                        """)
                }
                #expect(refused?.constraint == "reconciliation_exceptions_resolutions_need_admins")
            }
            try await db.query(
                """
                UPDATE reconciliation_exceptions SET status = 'resolved', resolved_at = now(), resolved_by = 'ann@x',
                    resolved_by_user_id = \(ann), resolution = 'refunded by hand'
                WHERE id = \(findings[1])
                """)
            try await db.query(
                """
                UPDATE reconciliation_exceptions SET status = 'resolved', resolved_at = now(), resolution = 'cleared'
                WHERE id = \(findings[2])
                """)
        }
    }

    @Test("TRUNCATE audit_log is refused, even to its owner")
    func truncateAuditLogRefused() async throws {
        try await TestDatabase.with { _, db in
            try await db.query(
                "INSERT INTO audit_log (channel, action, subject) VALUES ('system', 'test', 'audit')")
            let refused = await #expect(throws: PostgresError.self) { try await db.query("TRUNCATE audit_log") }
            #expect(refused?.sqlState == "23000")
            #expect(try await db.query("SELECT count(*)::bigint AS n FROM audit_log").first?.decode(Int.self, "n") == 1)
        }
    }

    @Test("the read-only role reads the records but no password hash, credential or session, and writes nothing")
    func readOnlyRoleReadsRecordsOnly() async throws {
        try await TestDatabase.with { _, db in
            try await db.run { db throws(PostgresError) in
                try EnforcementStore.grantReadOnlyRole(db, role: "mpesa_recon_readonly")
                try EnforcementStore.grantReadOnlyRole(db, role: "mpesa_recon_readonly")
            }
            _ = try await Self.completedPayment(db)
            try await db.query("SET ROLE mpesa_recon_readonly")
            #expect(try await db.query("SELECT count(*)::bigint AS n FROM payments").first?.decode(Int.self, "n") == 1)
            #expect(try await db.query("SELECT email FROM users").first?.decode(String.self, "email") == "learner@x")
            let forbidden: [SQLQuery] = [
                "SELECT password FROM users",
                "SELECT * FROM mpesa_configurations",
                "SELECT * FROM console_sessions",
                "SELECT * FROM api_idempotency_keys",
                "INSERT INTO audit_log (channel, action, subject) VALUES ('system', 'x', 'y')",
                "UPDATE payments SET phone = phone",
                "TRUNCATE refunds",
            ]
            for statement in forbidden {
                let refused = await #expect(throws: PostgresError.self, "\(statement)") {
                    try await db.query(statement)
                }
                #expect(refused?.sqlState == "42501", "\(statement): \(refused?.message ?? "")")
            }
            try await db.query("RESET ROLE")
        }
    }

    @Test("a temporary table of the runtime role cannot stand in for the threshold or the accounts the triggers read")
    func temporaryTablesDoNotShadow() async throws {
        try await TestDatabase.with { _, db in
            try await db.run { db throws(PostgresError) in
                try EnforcementStore.grantAppRole(db, role: EnforcementStore.defaultAppRole)
            }
            let payment = try await Self.completedPayment(db)
            let ann = try await Self.account(db, "ann@x")
            let bob = try await Self.account(db, "bob@x")
            let learner = try await Self.account(db, "learner2@x", admin: false)
            let refund = try await Self.proposal(db, payment: payment, amount: 15_000, proposer: ann)
            try await db.query("SET ROLE mpesa_recon_app")
            // PostgreSQL looks up relations in the session's temporary schema first unless a function says otherwise.
            try await db.query("CREATE TEMPORARY TABLE recon_settings (key text, value numeric)")
            try await db.query("INSERT INTO recon_settings VALUES ('dual_approval_above', 99999999)")
            try await db.query("CREATE TEMPORARY TABLE user_roles (user_id bigint, role text)")
            try await db.query("INSERT INTO user_roles VALUES (\(learner), 'admin')")
            let single = await #expect(throws: PostgresError.self) {
                try await db.query(
                    """
                    UPDATE refunds SET status = 'approved', approved_by = 'bob', approved_by_user_id = \(bob)
                    WHERE id = \(refund)
                    """)
            }
            #expect(single?.constraint == "refunds_status_matches_approvals")
            let decision = await #expect(throws: PostgresError.self) {
                try await db.query(
                    """
                    INSERT INTO payment_decisions (payment_id, verdict, proposed_by, proposed_by_user_id)
                    VALUES (\(payment), 'not_paid', 'learner', \(learner))
                    """)
            }
            #expect(decision?.constraint == "payment_decisions_need_admins")
            let approval = await #expect(throws: PostgresError.self) {
                try await db.query(
                    "UPDATE refunds SET approved_by = 'x', approved_by_user_id = \(learner) WHERE id = \(refund)")
            }
            #expect(approval?.constraint == "refunds_decisions_need_accounts")
            try await db.query("RESET ROLE")
            #expect(try await Self.status(db, refund: refund) == "proposed")
        }
    }

    @Test(
        "the runtime role reads and writes rows but cannot truncate, alter, disable triggers or rewrite the audit log")
    func runtimeRoleHasRowsOnly() async throws {
        try await TestDatabase.with { _, db in
            try await db.run { db throws(PostgresError) in
                try EnforcementStore.grantAppRole(db, role: EnforcementStore.defaultAppRole)
                // Idempotent: a second migrate grants the same.
                try EnforcementStore.grantAppRole(db, role: EnforcementStore.defaultAppRole)
            }
            try await db.query("INSERT INTO audit_log (channel, action, subject) VALUES ('system', 'test', 'audit')")
            try await db.query("SET ROLE mpesa_recon_app")
            try await db.query("INSERT INTO audit_log (channel, action, subject) VALUES ('system', 'app', 'audit')")
            try await db.query("INSERT INTO courses (title, price) VALUES ('German A2', 100)")
            try await db.query("UPDATE courses SET price = 200")
            let forbidden: [SQLQuery] = [
                "TRUNCATE audit_log",
                "TRUNCATE payments",
                "ALTER TABLE payments ADD COLUMN shadow text",
                "ALTER TABLE audit_log DISABLE TRIGGER ALL",
                "ALTER TABLE refunds DISABLE TRIGGER refunds_follow_state_machine",
                "DROP TRIGGER audit_log_no_truncate ON audit_log",
                "UPDATE audit_log SET action = 'nothing'",
                "DELETE FROM audit_log",
                "DELETE FROM payments",
                "UPDATE recon_settings SET value = 0",
                "DELETE FROM recon_settings",
                "SELECT recon_grant_app_role('mpesa_recon_app')",
            ]
            for statement in forbidden {
                let refused = await #expect(throws: PostgresError.self, "\(statement)") {
                    try await db.query(statement)
                }
                #expect(refused?.sqlState == "42501", "\(statement): \(refused?.message ?? "")")
            }
            #expect(try await db.run { db throws(PostgresError) in try EnforcementStore.maySetSettings(db) } == false)
            try await db.query("RESET ROLE")
            #expect(try await db.query("SELECT count(*)::bigint AS n FROM audit_log").first?.decode(Int.self, "n") == 2)
            #expect(try await db.run { db throws(PostgresError) in try EnforcementStore.maySetSettings(db) })
        }
    }
}
