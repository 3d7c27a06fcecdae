public import Foundation
public import ReconCore

/// A stored callback older than the grace period that was never applied (unmatched, or failing to apply).
public struct StaleCallback: Sendable, Equatable {
    public var id: Int64
    public var kind: CallbackKind
    /// `unmatched`, or `nil` when it was never processed.
    public var outcome: CallbackOutcome?
    public var body: [UInt8]
}

/// An exception row as reconcile's upsert left it.
public struct UpsertedException: Sendable, Equatable {
    public var id: Int64
    /// `open` or `resolved` (a person's decision stays resolved).
    public var isOpen: Bool
    /// Whether this run created it.
    public var inserted: Bool
}

/// The set-based SQL of reconciliation (ARCHITECTURE.md §6.3): candidates in, findings and fixes out. Judging is
/// ReconCore's (``ReconcileRules``); this type only reads and writes.
public enum ReconcileStore {
    /// Serialises reconcile runs (a transaction-scoped advisory lock) and gives the set-based work more memory.
    public static func begin(_ db: isolated PostgresConnection) throws(PostgresError) {
        try db.query("SELECT pg_advisory_xact_lock(7236111001)")
        try db.query("SET LOCAL work_mem = '128MB'")
        // JIT-compiling the big join costs more than the join itself at this size.
        try db.query("SET LOCAL jit = off")
    }

    /// Streams every learner-course pair that may be wrong, with all its facts, one pair at a time.
    ///
    /// The SQL only narrows, in one pass without aggregation (a full join of the completed and unknown payments
    /// with the enrollments): a pair is a candidate when any rule *could* fire: an unknown payment; a completed one
    /// without an active enrollment, or that its enrollment does not name (every duplicate is such a payment), or
    /// at another price than the course's, or with a callback amount off the request; an active enrollment of a
    /// priced course without such a payment; a success after failure in the trail. ``ReconcileRules`` decides.
    ///
    /// A payment's confirmed amount is the paid-in of the statement line matched to it (at most one), else its
    /// requested amount; `paid_amount` (what a callback said) only feeds findings.
    public static func candidatePairs(
        _ db: isolated PostgresConnection, _ body: (PairFacts) throws -> Void
    ) throws {
        var current: PairFacts?
        try db.stream(
            """
            WITH pairs AS (
                SELECT coalesce(p.user_id, e.user_id) AS user_id, coalesce(p.course_id, e.course_id) AS course_id
                FROM (SELECT py.id, py.user_id, py.course_id, py.status, py.amount, py.paid_amount,
                             coalesce(sl.paid_in, py.amount) AS confirmed
                      FROM payments py LEFT JOIN statement_lines sl ON sl.payment_id = py.id
                      WHERE py.status IN ('completed', 'unknown')) p
                FULL JOIN enrollments e ON e.user_id = p.user_id AND e.course_id = p.course_id
                JOIN courses c ON c.id = coalesce(p.course_id, e.course_id)
                WHERE (p.id IS NULL AND e.status = 'active' AND c.price > 0)
                   OR p.status = 'unknown'
                   OR (p.id IS NOT NULL AND (e.id IS NULL OR e.status <> 'active'
                       OR e.payment_id IS DISTINCT FROM p.id
                       OR p.confirmed <> c.price OR p.paid_amount <> p.amount))
                UNION
                SELECT p.user_id, p.course_id FROM payment_events ev JOIN payments p ON p.id = ev.payment_id
                WHERE ev.to_status = 'completed' AND ev.from_status IN ('failed', 'unknown')
            )
            SELECT pr.user_id, pr.course_id, c.price, c.is_active, e.id AS enrollment_id,
                   e.status AS enrollment_status, e.payment_id AS enrollment_payment_id, p.id AS payment_id,
                   p.status AS payment_status, p.amount, p.paid_amount, sl.paid_in AS confirmed_amount,
                   p.created_at, p.source AS payment_source,
                   coalesce(rf.refunded, 0) AS refunded, coalesce(rf.committed, 0) AS committed,
                   EXISTS (SELECT 1 FROM payment_events ev WHERE ev.payment_id = p.id AND ev.to_status = 'completed'
                           AND ev.from_status IN ('failed', 'unknown')) AS late_success
            FROM pairs pr
            JOIN courses c ON c.id = pr.course_id
            LEFT JOIN enrollments e ON e.user_id = pr.user_id AND e.course_id = pr.course_id
            LEFT JOIN payments p ON p.user_id = pr.user_id AND p.course_id = pr.course_id
                AND p.status IN ('completed', 'unknown')
            LEFT JOIN statement_lines sl ON sl.payment_id = p.id
            LEFT JOIN LATERAL (
                SELECT sum(amount) FILTER (WHERE status = 'succeeded') AS refunded,
                       sum(amount) FILTER (WHERE status NOT IN ('rejected', 'failed')) AS committed
                FROM refunds WHERE payment_id = p.id) rf ON true
            ORDER BY pr.user_id, pr.course_id, p.id
            """
        ) { row in
            let userID = try row.decode(Int64.self, "user_id")
            let courseID = try row.decode(Int64.self, "course_id")
            if let pair = current, pair.userID != userID || pair.courseID != courseID {
                try body(pair)
                current = nil
            }
            if current == nil {
                let enrollment = try row.decode(Int64?.self, "enrollment_id").map { id throws(PostgresError) in
                    EnrollmentFacts(
                        id: id, active: try row.decode(String?.self, "enrollment_status") == "active",
                        paymentID: try row.decode(Int64?.self, "enrollment_payment_id"))
                }
                current = PairFacts(
                    userID: userID, courseID: courseID, price: try row.decode(Money.self, "price"),
                    courseActive: try row.decode(Bool.self, "is_active"), enrollment: enrollment, payments: [])
            }
            if let paymentID = try row.decode(Int64?.self, "payment_id") {
                let status = try row.decode(String.self, "payment_status")
                current?.payments.append(
                    PaymentFacts(
                        id: paymentID, status: PaymentStatus(rawValue: status) ?? .unknown,
                        amount: try row.decode(Money.self, "amount"),
                        paidAmount: try row.decode(Money?.self, "paid_amount"),
                        confirmedAmount: try row.decode(Money?.self, "confirmed_amount"),
                        createdAt: try row.decode(Date.self, "created_at"),
                        refunded: try row.decode(Money.self, "refunded"),
                        committed: try row.decode(Money.self, "committed"),
                        lateSuccess: try row.decode(Bool.self, "late_success"),
                        source: PaymentSource(rawValue: try row.decode(String.self, "payment_source")) ?? .stk))
            }
        }
        if let pair = current { try body(pair) }
    }

    /// Callbacks received before `cutoff` that no payment or refund claimed, that the database refused to apply
    /// (outcome `conflict`, e.g. a receipt another payment holds), or that never applied.
    public static func staleCallbacks(
        _ db: isolated PostgresConnection, receivedBefore cutoff: Date
    ) throws(PostgresError) -> [StaleCallback] {
        let rows = try db.query(
            """
            SELECT id, kind, outcome, encode(body, 'hex') AS body_hex FROM callback_inbox
            WHERE outcome IN ('unmatched', 'conflict') AND received_at < \(cutoff)
            UNION ALL
            SELECT id, kind, outcome, encode(body, 'hex') AS body_hex FROM callback_inbox
            WHERE processed_at IS NULL AND received_at < \(cutoff)
            ORDER BY id
            """)
        return try rows.map { row throws(PostgresError) in
            StaleCallback(
                id: try row.decode(Int64.self, "id"),
                kind: CallbackKind(rawValue: try row.decode(String.self, "kind")) ?? .stk,
                outcome: try row.decode(String?.self, "outcome").flatMap(CallbackOutcome.init(rawValue:)),
                body: InboxStore.bytes(fromHex: try row.decode(String.self, "body_hex")))
        }
    }

    /// Payment ids by CheckoutRequestID.
    public static func paymentIDs(
        _ db: isolated PostgresConnection, checkoutRequestIDs: [String]
    ) throws(PostgresError) -> [String: Int64] {
        guard !checkoutRequestIDs.isEmpty else { return [:] }
        var found: [String: Int64] = [:]
        for row in try db.query(
            """
            SELECT id, checkout_request_id FROM payments
            WHERE checkout_request_id = ANY(\(SQLArray(checkoutRequestIDs))::text[])
            """)
        {
            found[try row.decode(String.self, "checkout_request_id")] = try row.decode(Int64.self, "id")
        }
        return found
    }

    /// The payment holding each receipt.
    public static func receiptOwners(
        _ db: isolated PostgresConnection, receipts: [String]
    ) throws(PostgresError) -> [String: Int64] {
        guard !receipts.isEmpty else { return [:] }
        var found: [String: Int64] = [:]
        for row in try db.query(
            "SELECT id, mpesa_receipt FROM payments WHERE mpesa_receipt = ANY(\(SQLArray(receipts))::text[])")
        {
            found[try row.decode(String.self, "mpesa_receipt")] = try row.decode(Int64.self, "id")
        }
        return found
    }

    /// Records findings under their stable keys in batches: new ones are inserted, known ones get `last_seen`, and
    /// one that reconcile itself had resolved is reopened; a person's resolution and recorded facts stay as they are.
    public static func upsert(
        _ db: isolated PostgresConnection, findings: [ReconcileFinding], stamp: Date, batchSize: Int = 5000
    ) throws(PostgresError) -> [String: UpsertedException] {
        let reopenable = ExceptionKind.allCases.filter(\.resolvesWhenGone).map(\.rawValue)
        var result: [String: UpsertedException] = [:]
        result.reserveCapacity(findings.count)
        var start = 0
        while start < findings.count {
            let batch = findings[start..<min(start + batchSize, findings.count)]
            start += batchSize
            let rows = try db.query(
                """
                INSERT INTO reconciliation_exceptions AS x
                    (kind, key, payment_id, enrollment_id, callback_id, expected_amount, received_amount, detail,
                     first_seen, last_seen)
                SELECT f.kind, f.key, f.payment_id, f.enrollment_id, f.callback_id, f.expected, f.received,
                       jsonb_build_object('detail', f.detail), \(stamp), \(stamp)
                FROM unnest(\(SQLArray(batch.map { $0.kind.rawValue }))::text[],
                            \(SQLArray(batch.map(\.key.rawValue)))::text[],
                            \(SQLArray(batch.map { $0.paymentID.map(String.init) }))::bigint[],
                            \(SQLArray(batch.map { $0.enrollmentID.map(String.init) }))::bigint[],
                            \(SQLArray(batch.map { $0.callbackID.map(String.init) }))::bigint[],
                            \(SQLArray(batch.map { $0.expected?.decimalString }))::numeric[],
                            \(SQLArray(batch.map { $0.received?.decimalString }))::numeric[],
                            \(SQLArray(batch.map(\.detail)))::text[])
                    AS f(kind, key, payment_id, enrollment_id, callback_id, expected, received, detail)
                ON CONFLICT (key) DO UPDATE SET
                    last_seen = EXCLUDED.last_seen,
                    status = CASE WHEN x.status = 'resolved' AND x.resolved_by IS NULL
                                       AND x.kind = ANY(\(SQLArray(reopenable))::text[]) THEN 'open' ELSE x.status END,
                    resolved_at = CASE WHEN x.status = 'resolved' AND x.resolved_by IS NULL
                                       AND x.kind = ANY(\(SQLArray(reopenable))::text[]) THEN NULL ELSE x.resolved_at END,
                    resolution = CASE WHEN x.status = 'resolved' AND x.resolved_by IS NULL
                                      AND x.kind = ANY(\(SQLArray(reopenable))::text[]) THEN NULL ELSE x.resolution END
                RETURNING x.id, x.key, x.status, (x.xmax = 0) AS inserted
                """)
            for row in rows {
                result[try row.decode(String.self, "key")] = UpsertedException(
                    id: try row.decode(Int64.self, "id"), isOpen: try row.decode(String.self, "status") == "open",
                    inserted: try row.decode(Bool.self, "inserted"))
            }
        }
        return result
    }

    /// Enrolls learners on their payments (the automatic fix of `paid_not_enrolled`), writes a `reconcile` event on
    /// each payment, and resolves each finding naming the new enrollment. Returns the enrollments made.
    public static func enroll(
        _ db: isolated PostgresConnection, fixes: [(paymentID: Int64, exceptionID: Int64)], now: Date
    ) throws(PostgresError) -> Int {
        guard !fixes.isEmpty else { return 0 }
        let rows = try db.query(
            """
            WITH todo AS (
                SELECT * FROM unnest(\(SQLArray(fixes.map { String($0.paymentID) }))::bigint[],
                                     \(SQLArray(fixes.map { String($0.exceptionID) }))::bigint[])
                    AS t(payment_id, exception_id)
            ), made AS (
                INSERT INTO enrollments (user_id, course_id, payment_id, created_at)
                SELECT p.user_id, p.course_id, p.id, \(now) FROM todo JOIN payments p ON p.id = todo.payment_id
                ON CONFLICT (user_id, course_id) DO NOTHING
                RETURNING id, payment_id
            )
            UPDATE reconciliation_exceptions x SET status = 'resolved', resolved_at = \(now),
                resolution = 'fixed automatically: enrolled (enrollment ' || made.id || ')',
                enrollment_id = made.id
            FROM made JOIN todo ON todo.payment_id = made.payment_id
            WHERE x.id = todo.exception_id
            RETURNING made.id AS enrollment_id, made.payment_id
            """)
        try PaymentEventStore.append(
            db,
            try rows.map { row throws(PostgresError) in
                PaymentEvent(
                    paymentID: try row.decode(Int64.self, "payment_id"), at: now, source: .reconcile, from: .completed,
                    to: .completed,
                    detail: [
                        "summary": "enrolled by reconcile",
                        "enrollment_id": String(try row.decode(Int64.self, "enrollment_id")),
                    ])
            })
        return rows.rows.count
    }

    /// One automatic refund proposal.
    public struct RefundProposal: Sendable, Equatable {
        public var paymentID: Int64
        public var exceptionID: Int64
        public var amount: Money
        public var reason: String

        /// A proposal.
        public init(paymentID: Int64, exceptionID: Int64, amount: Money, reason: String) {
            self.paymentID = paymentID
            self.exceptionID = exceptionID
            self.amount = amount
            self.reason = reason
        }
    }

    /// Proposes refunds as the system, each only if its finding has none yet (at most one automatic proposal per
    /// finding; a failed one is re-proposed by a person). All or nothing: the database refuses the statement when
    /// one would over-refund its payment, and the caller retries one by one.
    public static func proposeRefunds(
        _ db: isolated PostgresConnection, _ proposals: [RefundProposal], now: Date
    ) throws(PostgresError) -> Int {
        guard !proposals.isEmpty else { return 0 }
        return try db.query(
            """
            INSERT INTO refunds (payment_id, exception_id, amount, reason, status, proposed_by, proposed_at, updated_at)
            SELECT t.payment_id, t.exception_id, t.amount, t.reason, 'proposed', \(RefundApproval.systemName),
                   \(now), \(now)
            FROM unnest(\(SQLArray(proposals.map { String($0.paymentID) }))::bigint[],
                        \(SQLArray(proposals.map { String($0.exceptionID) }))::bigint[],
                        \(SQLArray(proposals.map(\.amount.decimalString)))::numeric[],
                        \(SQLArray(proposals.map(\.reason)))::text[]) AS t(payment_id, exception_id, amount, reason)
            WHERE NOT EXISTS (SELECT 1 FROM refunds r WHERE r.exception_id = t.exception_id)
            ORDER BY t.payment_id
            ON CONFLICT DO NOTHING
            """
        ).affected
    }

    /// Resolves, with a time, every open finding in reconcile's own key space that this run did not see again.
    public static func resolveGone(
        _ db: isolated PostgresConnection, stamp: Date, now: Date
    ) throws(PostgresError) -> Int {
        try db.query(
            """
            UPDATE reconciliation_exceptions SET status = 'resolved', resolved_at = \(now),
                resolution = 'no longer holds (reconcile)'
            WHERE status = 'open' AND last_seen < \(stamp)
                AND key LIKE ANY(\(SQLArray(ReconcileRules.resolvablePrefixes.map { $0 + "%" }))::text[])
            """
        ).affected
    }
}
