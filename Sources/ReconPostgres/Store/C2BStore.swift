public import Foundation
public import ReconCore

/// A stored C2B transaction and what became of it.
public struct C2BRecord: Sendable, Equatable {
    public var id: Int64
    public var receipt: String
    public var shortcode: String
    public var amount: Money
    public var billRef: String
    public var msisdn: String
    public var payerName: String?
    public var transactedAt: Date?
    public var firstSource: C2BRoute
    /// `allocated`, `unallocated`, `stk` or `held`.
    public var status: String
    public var allocation: String?
    public var paymentID: Int64?
    public var userID: Int64?
    public var heldUntil: Date?
    public var receivedAt: Date

    /// The transaction as the apply path reads it again (a held one released).
    public var transaction: C2BTransaction {
        C2BTransaction(
            receipt: receipt, shortcode: shortcode, transactionType: "", amount: amount, billRef: billRef,
            msisdn: msisdn, payerName: payerName, firstName: payerName?.split(separator: " ").first.map(String.init),
            transactedAt: transactedAt)
    }
}

/// The SQL of C2B money: transactions by receipt, their provenance, references, the facts the rules read, and the
/// payments C2B money becomes. Deciding is ReconCore's (``C2BRules``); call inside one transaction.
public enum C2BStore {
    static let columns: StaticString = """
        id, receipt, shortcode, amount, bill_ref, msisdn, payer_name, transacted_at, first_source, status, allocation,
        payment_id, user_id, held_until, received_at
        """

    static func record(_ row: PostgresRow) throws(PostgresError) -> C2BRecord {
        C2BRecord(
            id: try row.decode(Int64.self, "id"), receipt: try row.decode(String.self, "receipt"),
            shortcode: try row.decode(String.self, "shortcode"), amount: try row.decode(Money.self, "amount"),
            billRef: try row.decode(String.self, "bill_ref"), msisdn: try row.decode(String.self, "msisdn"),
            payerName: try row.decode(String?.self, "payer_name"),
            transactedAt: try row.decode(Date?.self, "transacted_at"),
            firstSource: C2BRoute(rawValue: try row.decode(String.self, "first_source")) ?? .confirmation,
            status: try row.decode(String.self, "status"), allocation: try row.decode(String?.self, "allocation"),
            paymentID: try row.decode(Int64?.self, "payment_id"), userID: try row.decode(Int64?.self, "user_id"),
            heldUntil: try row.decode(Date?.self, "held_until"), receivedAt: try row.decode(Date.self, "received_at"))
    }

    /// Records a transaction the first time its receipt is seen (as `unallocated` until the caller places it);
    /// `nil` when the receipt is already recorded (a duplicate, or another route was first).
    public static func insertIfNew(
        _ db: isolated PostgresConnection, _ transaction: C2BTransaction, route: C2BRoute, inboxID: Int64?, now: Date
    ) throws(PostgresError) -> Int64? {
        try db.query(
            """
            INSERT INTO c2b_transactions (receipt, shortcode, transaction_type, amount, bill_ref, invoice_number, msisdn,
                msisdn_form, payer_name, transacted_at, org_account_balance, third_party_trans_id, first_source,
                status, inbox_id, received_at, updated_at)
            VALUES (\(transaction.receipt), \(transaction.shortcode), \(transaction.transactionType),
                    \(transaction.amount), \(transaction.billRef), \(transaction.invoiceNumber), \(transaction.msisdn),
                    \(transaction.payer.form), \(transaction.payerName), \(transaction.transactedAt),
                    \(transaction.orgAccountBalance), \(transaction.thirdPartyTransID), \(route.rawValue),
                    'unallocated', \(inboxID), \(now), \(now))
            ON CONFLICT (receipt) DO NOTHING
            RETURNING id
            """
        ).first?.decode(Int64.self, "id")
    }

    /// One transaction by receipt; `forUpdate` locks it.
    public static func load(
        _ db: isolated PostgresConnection, receipt: String, forUpdate: Bool = false
    ) throws(PostgresError) -> C2BRecord? {
        let lock: StaticString = forUpdate ? " FOR UPDATE" : ""
        return try db.query(
            "SELECT \(unescaped: columns) FROM c2b_transactions WHERE receipt = \(receipt)\(unescaped: lock)"
        )
        .first.map(record)
    }

    /// Held transactions, locked, skipping those another worker holds.
    public static func held(_ db: isolated PostgresConnection, limit: Int = 500) throws(PostgresError) -> [C2BRecord] {
        try db.query(
            """
            SELECT \(unescaped: columns) FROM c2b_transactions WHERE status = 'held'
            ORDER BY id LIMIT \(limit) FOR UPDATE SKIP LOCKED
            """
        ).map(record)
    }

    /// Unallocated transactions, oldest first.
    public static func unallocated(
        _ db: isolated PostgresConnection, limit: Int = 500
    ) throws(PostgresError)
        -> [C2BRecord]
    {
        try db.query(
            "SELECT \(unescaped: columns) FROM c2b_transactions WHERE status = 'unallocated' ORDER BY id LIMIT \(limit)"
        ).map(record)
    }

    /// Which of `receipts` are C2B money we hold without a payment (unallocated, or held for an STK receipt).
    public static func unplacedReceipts(
        _ db: isolated PostgresConnection, among receipts: [String]
    ) throws(PostgresError) -> Set<String> {
        guard !receipts.isEmpty else { return [] }
        return Set(
            try db.query(
                """
                SELECT receipt FROM c2b_transactions
                WHERE receipt = ANY(\(SQLArray(receipts))::text[]) AND status IN ('unallocated', 'held')
                """
            ).map { row throws(PostgresError) in try row.decode(String.self, "receipt") })
    }

    /// Records that `receipt` reached us by `route` (once per route; a repeat counts up).
    public static func sighting(
        _ db: isolated PostgresConnection, receipt: String, route: String, paymentID: Int64?, inboxID: Int64?,
        now: Date
    ) throws(PostgresError) {
        try db.query(
            """
            INSERT INTO receipt_sightings (receipt, route, payment_id, inbox_id, first_seen, last_seen)
            VALUES (\(receipt), \(route), \(paymentID), \(inboxID), \(now), \(now))
            ON CONFLICT (receipt, route) DO UPDATE SET times = receipt_sightings.times + 1,
                last_seen = EXCLUDED.last_seen,
                payment_id = coalesce(receipt_sightings.payment_id, EXCLUDED.payment_id)
            """)
    }

    /// A payment already holding `receipt`: its id, learner, source and how it was settled.
    public struct ReceiptHolder: Sendable, Equatable {
        public var paymentID: Int64
        public var userID: Int64
        public var source: PaymentSource
        public var settledVia: String?
    }

    /// The payment holding `receipt`, if any.
    public static func receiptHolder(
        _ db: isolated PostgresConnection, receipt: String
    ) throws(PostgresError)
        -> ReceiptHolder?
    {
        guard
            let row = try db.query(
                "SELECT id, user_id, source, settled_via FROM payments WHERE mpesa_receipt = \(receipt)"
            ).first
        else { return nil }
        return ReceiptHolder(
            paymentID: try row.decode(Int64.self, "id"), userID: try row.decode(Int64.self, "user_id"),
            source: PaymentSource(rawValue: try row.decode(String.self, "source")) ?? .stk,
            settledVia: try row.decode(String?.self, "settled_via"))
    }

    /// Links a transaction to the STK payment that holds its receipt.
    public static func markStk(
        _ db: isolated PostgresConnection, id: Int64, holder: ReceiptHolder, now: Date
    ) throws(PostgresError) {
        try db.query(
            """
            UPDATE c2b_transactions SET status = 'stk', allocation = 'stk_receipt', payment_id = \(holder.paymentID),
                user_id = \(holder.userID), held_until = NULL, updated_at = \(now)
            WHERE id = \(id)
            """)
    }

    /// Holds a transaction until `until` for the receipt of a waiting STK payment.
    public static func markHeld(
        _ db: isolated PostgresConnection, id: Int64, until: Date, now: Date
    ) throws(PostgresError) {
        try db.query(
            "UPDATE c2b_transactions SET status = 'held', held_until = \(until), updated_at = \(now) WHERE id = \(id)")
    }

    /// Leaves a transaction unallocated, with the learner the evidence names (if any).
    public static func markUnallocated(
        _ db: isolated PostgresConnection, id: Int64, userID: Int64?, now: Date
    ) throws(PostgresError) {
        try db.query(
            """
            UPDATE c2b_transactions SET status = 'unallocated', allocation = NULL, user_id = \(userID),
                held_until = NULL, updated_at = \(now)
            WHERE id = \(id)
            """)
    }

    /// Places a transaction on the payment it became.
    public static func markAllocated(
        _ db: isolated PostgresConnection, id: Int64, paymentID: Int64, userID: Int64, basis: C2BAllocationBasis,
        now: Date
    ) throws(PostgresError) {
        try db.query(
            """
            UPDATE c2b_transactions SET status = 'allocated', allocation = \(basis.rawValue), payment_id = \(paymentID),
                user_id = \(userID), held_until = NULL, updated_at = \(now)
            WHERE id = \(id)
            """)
    }

    // MARK: Facts

    /// Everything the rules read about a transaction: the references its BillRefNumber names, the learners its
    /// number names, their open references, waiting STK Pushes with this account reference and amount.
    public static func facts(
        _ db: isolated PostgresConnection, billRef: String, amount: Money?, payer: PayerMSISDN, firstName: String?,
        now: Date
    ) throws(PostgresError) -> C2BFacts {
        var facts = C2BFacts(amount: amount)
        let code = C2BReference.normalised(billRef)
        if let code {
            facts.enrollmentReference = try references(db, "WHERE er.code = \(code)").first
            if facts.enrollmentReference == nil {
                facts.learnerReference = try db.query("SELECT user_id FROM learner_references WHERE code = \(code)")
                    .first?.decode(Int64.self, "user_id")
            }
        }
        facts.phoneLearners = try phoneLearners(db, payer)
        if case .masked(let prefix, let suffix) = payer, let firstName = firstName?.trimmingSpaces(),
            !firstName.isEmpty, suffix.count >= 3
        {
            let head = String(prefix.prefix(5))
            let tail = String(suffix.suffix(3))
            facts.maskedLearners = Set(
                try db.query(
                    """
                    SELECT DISTINCT lp.user_id FROM learner_phones lp JOIN users u ON u.id = lp.user_id
                    WHERE lp.tail = \(tail) AND left(lp.head, length(\(head))) = \(head)
                      AND upper(split_part(trim(u.full_name), ' ', 1)) = upper(\(firstName))
                    """
                ).map { row throws(PostgresError) in try row.decode(Int64.self, "user_id") })
        }
        let learners = facts.phoneLearners.union(facts.maskedLearners).union(facts.learnerReference.map { [$0] } ?? [])
        if !learners.isEmpty {
            let ids = SQLArray(learners.sorted().map { String($0) })
            for reference in try references(db, "WHERE er.user_id = ANY(\(ids)::bigint[]) AND er.status = 'open'") {
                facts.openReferences[reference.userID, default: []].append(reference)
            }
        }
        let raw = billRef.trimmingSpaces().uppercased()
        if !raw.isEmpty, let amount {
            facts.waitingStkPayments = try db.query(
                """
                SELECT id FROM payments
                WHERE source = 'stk' AND status IN ('pending', 'unknown') AND upper(account_reference) = \(raw)
                  AND amount = \(amount) AND created_at > \(now.addingTimeInterval(-2 * 86_400))
                ORDER BY id
                """
            ).map { row throws(PostgresError) in try row.decode(Int64.self, "id") }
        }
        facts.highestPrice =
            try db.query("SELECT coalesce(max(price), 0) AS price FROM courses WHERE is_active").first?.decode(
                Money.self, "price") ?? .zero
        return facts
    }

    static func references(
        _ db: isolated PostgresConnection, _ condition: SQLQuery
    ) throws(PostgresError)
        -> [ReferenceFacts]
    {
        try db.query(
            """
            SELECT er.id, er.code, er.user_id, er.course_id, er.status, c.price,
                   coalesce((SELECT sum(p.amount) FROM payments p WHERE p.user_id = er.user_id
                             AND p.course_id = er.course_id AND p.status = 'completed'), 0) AS paid
            FROM enrollment_references er JOIN courses c ON c.id = er.course_id
            \(condition)
            ORDER BY er.id
            """
        ).map { row throws(PostgresError) in
            ReferenceFacts(
                id: try row.decode(Int64.self, "id"), code: try row.decode(String.self, "code"),
                userID: try row.decode(Int64.self, "user_id"), courseID: try row.decode(Int64.self, "course_id"),
                status: try row.decode(String.self, "status"), price: try row.decode(Money.self, "price"),
                paid: try row.decode(Money.self, "paid"))
        }
    }

    /// Learners one of whose numbers is the payer's (a full number hashed here, a hash, or a masked hash).
    static func phoneLearners(
        _ db: isolated PostgresConnection, _ payer: PayerMSISDN
    ) throws(PostgresError)
        -> Set<Int64>
    {
        let rows: PostgresRows
        switch payer {
        case .full(let number):
            rows = try db.query(
                """
                SELECT DISTINCT user_id FROM learner_phones
                WHERE phone_sha256 = encode(sha256(convert_to(\(number.digits), 'UTF8')), 'hex')
                """)
        case .hashed(let hash):
            rows = try db.query("SELECT DISTINCT user_id FROM learner_phones WHERE phone_sha256 = \(hash)")
        case .hashedMasked(let prefix, let suffix):
            rows = try db.query(
                """
                SELECT DISTINCT user_id FROM learner_phones
                WHERE left(phone_sha256, length(\(prefix))) = \(prefix)
                  AND right(phone_sha256, length(\(suffix))) = \(suffix)
                """)
        case .masked, .none:
            return []
        }
        return Set(try rows.map { row throws(PostgresError) in try row.decode(Int64.self, "user_id") })
    }

    /// The number a learner paid from whose hash is the payer's (for a refund by B2C), if the payer was named by it.
    public static func knownNumber(
        _ db: isolated PostgresConnection, userID: Int64, payer: PayerMSISDN
    ) throws(PostgresError) -> String? {
        let condition: SQLQuery
        switch payer {
        case .hashed(let hash): condition = "lp.phone_sha256 = \(hash)"
        case .hashedMasked(let prefix, let suffix):
            condition =
                "left(lp.phone_sha256, length(\(prefix))) = \(prefix) AND right(lp.phone_sha256, length(\(suffix))) = \(suffix)"
        case .full(let number): return number.digits
        case .masked, .none: return nil
        }
        return try db.query(
            """
            SELECT p.phone FROM learner_phones lp JOIN payments p ON p.id = lp.payment_id
            WHERE lp.user_id = \(userID) AND \(condition)
            LIMIT 1
            """
        ).first?.decode(String.self, "phone")
    }

    // MARK: Payments of C2B money

    /// Creates the completed payment C2B money becomes (its receipt unique across every source) and its event.
    public static func createPayment(
        _ db: isolated PostgresConnection, transaction: C2BTransaction, route: C2BRoute, userID: Int64,
        courseID: Int64, phone: String, basis: C2BAllocationBasis, inboxID: Int64?, now: Date
    ) throws(PostgresError) -> Int64 {
        let source: PaymentSource = route == .pull ? .pull : .c2b
        // The confirmation is a callback; Pull is a query we made.
        let settled = route == .pull ? AnswerSource.query : AnswerSource.callback
        let paidPhone = (try? MSISDN(parsing: phone))?.digits
        guard
            let id = try db.query(
                """
                INSERT INTO payments (user_id, course_id, amount, phone, status, result_code, result_desc, mpesa_receipt,
                    paid_amount, paid_phone, paid_at, settled_via, source, account_reference, last_answer, created_at,
                    updated_at)
                VALUES (\(userID), \(courseID), \(transaction.amount), \(phone), 'completed', '0',
                        \(transaction.transactionType.isEmpty ? "C2B payment" : transaction.transactionType),
                        \(transaction.receipt), \(transaction.amount), \(paidPhone), \(transaction.transactedAt ?? now),
                        \(settled.rawValue), \(source.rawValue), \(transaction.billRef),
                        \("C2B \(route == .pull ? "found by Pull" : "confirmation"), placed by \(basis.rawValue)"),
                        \(now), \(now))
                RETURNING id
                """
            ).first?.decode(Int64.self, "id")
        else { throw PostgresError(code: .misuse, message: "INSERT … RETURNING gave no payment id") }
        var detail = [
            "summary": "C2B money recorded (\(route == .pull ? "Pull" : "confirmation")), placed by \(basis.rawValue)",
            "receipt": transaction.receipt, "result_code": "0",
        ]
        if let inboxID { detail["inbox_id"] = String(inboxID) }
        try PaymentEventStore.append(
            db,
            PaymentEvent(
                paymentID: id, at: now, source: PaymentEventSource(settled), from: nil, to: .completed, detail: detail))
        return id
    }

    /// What the learner's completed payments for the course add up to, under a lock on the learner (concurrent
    /// instalments of one learner are summed one after the other).
    public static func paidTowards(
        _ db: isolated PostgresConnection, userID: Int64, courseID: Int64
    ) throws(PostgresError) -> (paid: Money, price: Money) {
        _ = try PaymentQueryStore.lockLearner(db, userID: userID)
        guard
            let row = try db.query(
                """
                SELECT c.price, coalesce((SELECT sum(p.amount) FROM payments p WHERE p.user_id = \(userID)
                         AND p.course_id = c.id AND p.status = 'completed'), 0) AS paid
                FROM courses c WHERE c.id = \(courseID)
                """
            ).first
        else { return (.zero, .zero) }
        return (try row.decode(Money.self, "paid"), try row.decode(Money.self, "price"))
    }

    /// Enrolls the learner on the payment that reached the price (a revoked enrollment becomes active, as for STK),
    /// and marks their open reference paid. Returns whether an enrollment was written.
    @discardableResult
    public static func enrollPaid(
        _ db: isolated PostgresConnection, userID: Int64, courseID: Int64, paymentID: Int64, now: Date
    ) throws(PostgresError) -> Bool {
        let written = try db.query(
            """
            INSERT INTO enrollments (user_id, course_id, payment_id, created_at)
            VALUES (\(userID), \(courseID), \(paymentID), \(now))
            ON CONFLICT (user_id, course_id) DO UPDATE SET status = 'active', payment_id = EXCLUDED.payment_id
            WHERE enrollments.status = 'revoked'
            """
        ).affected
        try db.query(
            """
            UPDATE enrollment_references SET status = 'paid', closed_at = \(now)
            WHERE user_id = \(userID) AND course_id = \(courseID) AND status = 'open'
            """)
        return written > 0
    }

    // MARK: References

    /// The open enrollment reference of a learner and course, created with `code` when there is none.
    public static func enrollmentReference(
        _ db: isolated PostgresConnection, userID: Int64, courseID: Int64, newCode: String, now: Date
    ) throws(PostgresError) -> String {
        if let existing = try db.query(
            """
            SELECT code FROM enrollment_references WHERE user_id = \(userID) AND course_id = \(courseID)
              AND status = 'open'
            """
        ).first {
            return try existing.decode(String.self, "code")
        }
        try db.query(
            """
            INSERT INTO enrollment_references (code, user_id, course_id, created_at)
            VALUES (\(newCode), \(userID), \(courseID), \(now))
            """)
        return newCode
    }

    /// The learner reference of a learner, created with `code` when there is none.
    public static func learnerReference(
        _ db: isolated PostgresConnection, userID: Int64, newCode: String, now: Date
    ) throws(PostgresError) -> String {
        try db.query(
            """
            INSERT INTO learner_references (user_id, code, created_at) VALUES (\(userID), \(newCode), \(now))
            ON CONFLICT (user_id) DO NOTHING
            """)
        guard let row = try db.query("SELECT code FROM learner_references WHERE user_id = \(userID)").first else {
            throw PostgresError(code: .misuse, message: "the learner reference was neither stored nor found")
        }
        return try row.decode(String.self, "code")
    }

    // MARK: Validation

    /// Records a validation request's decision.
    public static func recordValidation(
        _ db: isolated PostgresConnection, inboxID: Int64?, receipt: String?, shortcode: String?, billRef: String?,
        amount: Money?, decision: C2BValidationDecision, now: Date
    ) throws(PostgresError) {
        try db.query(
            """
            INSERT INTO c2b_validations (inbox_id, receipt, shortcode, bill_ref, amount, result_code, reason,
                enrollment_reference_id, user_id, decided_at)
            VALUES (\(inboxID), \(receipt), \(shortcode), \(billRef), \(amount), \(decision.resultCode),
                    \(decision.reason), \(decision.referenceID), \(decision.learner), \(now))
            """)
    }
}

/// A proposal (or decision) to place unallocated C2B money with a learner and course.
public struct C2BAllocationRecord: Sendable, Equatable, Codable {
    public var id: Int64
    public var transactionID: Int64
    public var userID: Int64
    public var courseID: Int64
    public var note: String
    public var status: String
    public var proposedBy: String
    public var proposedByUserID: Int64
    public var proposedAt: Date
}

extension C2BStore {
    /// The open proposal for a transaction, locked.
    public static func openAllocation(
        _ db: isolated PostgresConnection, transactionID: Int64
    ) throws(PostgresError) -> C2BAllocationRecord? {
        try db.query(
            """
            SELECT id, c2b_transaction_id, user_id, course_id, note, status, proposed_by, proposed_by_user_id,
                   proposed_at
            FROM c2b_allocations WHERE c2b_transaction_id = \(transactionID) AND status = 'proposed' FOR UPDATE
            """
        ).first.map { row throws(PostgresError) in
            C2BAllocationRecord(
                id: try row.decode(Int64.self, "id"), transactionID: try row.decode(Int64.self, "c2b_transaction_id"),
                userID: try row.decode(Int64.self, "user_id"), courseID: try row.decode(Int64.self, "course_id"),
                note: try row.decode(String.self, "note"), status: try row.decode(String.self, "status"),
                proposedBy: try row.decode(String.self, "proposed_by"),
                proposedByUserID: try row.decode(Int64.self, "proposed_by_user_id"),
                proposedAt: try row.decode(Date.self, "proposed_at"))
        }
    }

    /// Proposes placing a transaction with a learner and course; returns the proposal's id.
    public static func proposeAllocation(
        _ db: isolated PostgresConnection, transactionID: Int64, userID: Int64, courseID: Int64, note: String,
        by account: Account, now: Date
    ) throws(PostgresError) -> Int64 {
        guard
            let id = try db.query(
                """
                INSERT INTO c2b_allocations (c2b_transaction_id, user_id, course_id, note, proposed_by,
                                             proposed_by_user_id, proposed_at)
                VALUES (\(transactionID), \(userID), \(courseID), \(note), \(account.email), \(account.id), \(now))
                RETURNING id
                """
            ).first?.decode(Int64.self, "id")
        else { throw PostgresError(code: .misuse, message: "INSERT … RETURNING gave no allocation id") }
        return id
    }

    /// Closes a proposal: confirmed by `account`, or superseded when `account` is nil.
    public static func closeAllocation(
        _ db: isolated PostgresConnection, id: Int64, confirmedBy account: Account?, now: Date
    ) throws(PostgresError) {
        try db.query(
            """
            UPDATE c2b_allocations SET status = \(account == nil ? "superseded" : "confirmed"),
                confirmed_by = \(account?.email), confirmed_by_user_id = \(account?.id), closed_at = \(now)
            WHERE id = \(id)
            """)
    }
}
