import Foundation
public import ReconCore
public import ReconPostgres

/// What people do about unallocated C2B money: list it, and place it with a learner and course, maker-checker (one
/// admin proposes, a different admin confirms the same learner and course). The CLI calls it; the console can too.
public struct C2BDesk: Sendable {
    let pool: ConnectionPool

    /// A desk over a pool.
    public init(pool: ConnectionPool) {
        self.pool = pool
    }

    /// Unallocated money, oldest first.
    public func unallocated(limit: Int = 200) async throws -> [C2BRecord] {
        try await pool.withConnection { db in
            try await db.run { db throws(PostgresError) in try C2BStore.unallocated(db, limit: limit) }
        }
    }

    /// What an allocation step did.
    public struct Decided: Sendable, Equatable, Codable {
        /// `proposed` (waits for a second admin), `replaced` (another learner or course replaced the open proposal),
        /// or `applied` (two admins agreed: the money is the learner's payment now).
        public var outcome: String
        public var receipt: String
        public var userID: Int64
        public var courseID: Int64
        /// The payment it became, once applied.
        public var paymentID: Int64?
        /// Whether the learner was enrolled (the course price reached).
        public var enrolled: Bool
    }

    /// Proposes, or confirms, placing the unallocated money of `receipt` with a learner and course.
    public func allocate(
        receipt: String, userID: Int64, courseID: Int64, note: String = "", who: AccountRef,
        via channel: DecisionChannel = .cli, origin: String? = nil
    ) async throws -> Decided {
        try await pool.withConnection { db in
            try await db.withTransaction { db in
                let acting = try AccountRef.acting(db, who, via: channel, origin: origin)
                guard let record = try C2BStore.load(db, receipt: receipt.trimmingSpaces(), forUpdate: true) else {
                    throw RefundRefusal(.notFound, "no C2B transaction with receipt \(receipt)")
                }
                guard record.status == "unallocated" else {
                    throw RefundRefusal(.wrongStatus, "C2B transaction \(record.receipt) is \(record.status)")
                }
                guard try CatalogStore.learnerExists(db, id: userID) else {
                    throw RefundRefusal(.notFound, "no learner with id \(userID)")
                }
                guard try CatalogStore.course(db, id: courseID) != nil else {
                    throw RefundRefusal(.notFound, "no course with id \(courseID)")
                }
                let now = Date()
                var decided = Decided(
                    outcome: "proposed", receipt: record.receipt, userID: userID, courseID: courseID, paymentID: nil,
                    enrolled: false)
                let open = try C2BStore.openAllocation(db, transactionID: record.id)
                if let open, open.userID == userID, open.courseID == courseID {
                    guard open.proposedByUserID != acting.account.id else {
                        throw RefundRefusal(
                            .sameApprover,
                            "\(open.proposedBy) proposed this allocation of \(record.receipt): a different admin must "
                                + "confirm it")
                    }
                    try C2BStore.closeAllocation(db, id: open.id, confirmedBy: acting.account, now: now)
                    let paymentID = try C2BStore.createPayment(
                        db, transaction: record.transaction, route: record.firstSource, userID: userID,
                        courseID: courseID,
                        phone: try C2BStore.knownNumber(db, userID: userID, payer: PayerMSISDN(record.msisdn))
                            ?? record.msisdn, basis: .admin, inboxID: nil, now: now)
                    try C2BStore.markAllocated(
                        db, id: record.id, paymentID: paymentID, userID: userID, basis: .admin, now: now)
                    let (paid, price) = try C2BStore.paidTowards(db, userID: userID, courseID: courseID)
                    if paid >= price {
                        decided.enrolled = try C2BStore.enrollPaid(
                            db, userID: userID, courseID: courseID, paymentID: paymentID, now: now)
                    }
                    try ExceptionStore.resolve(
                        db, key: .receipt(.unallocatedPayment, record.receipt),
                        resolution:
                            "allocated by \(open.proposedBy) and \(acting.account.email) to payment \(paymentID)",
                        now: now)
                    decided.outcome = "applied"
                    decided.paymentID = paymentID
                } else {
                    if let open {
                        try C2BStore.closeAllocation(db, id: open.id, confirmedBy: nil, now: now)
                        decided.outcome = "replaced"
                    }
                    _ = try C2BStore.proposeAllocation(
                        db, transactionID: record.id, userID: userID, courseID: courseID, note: note,
                        by: acting.account, now: now)
                }
                try UserStore.audit(
                    db, acting: acting, action: "c2b.allocate_\(decided.outcome)", subject: "c2b_transaction",
                    subjectID: record.id,
                    detail: JSONText.object([
                        "receipt": record.receipt, "user_id": String(userID), "course_id": String(courseID),
                        "payment_id": decided.paymentID.map(String.init) ?? "",
                    ]))
                return decided
            }
        }
    }
}
