public import Daraja
public import Foundation
public import ReconCore
public import ReconPostgres

/// The one apply path of C2B money, for confirmations and for Pull alike (ARCHITECTURE.md §6): recorded once per
/// receipt, the receipt of an STK payment kept as that payment's provenance (never a second payment), else placed
/// by ``C2BRules`` with a learner and course, held for a waiting STK Push, or left unallocated for a person.
public enum C2BApplier {
    /// How long a transaction that names a waiting STK Push's account reference waits for that push's receipt.
    public static let holdSeconds: TimeInterval = 600

    /// What applying one transaction did.
    public enum Result: Sendable, Equatable {
        /// A new payment of this learner and course; `enrolled` when it reached the course price.
        case allocated(paymentID: Int64, enrolled: Bool)
        /// Unallocated money (an `unallocated_payment` finding), with the learner the evidence names.
        case unallocated(learner: Int64?)
        /// Held for a waiting STK Push's receipt.
        case held
        /// The receipt is an STK payment's: provenance added, no second payment.
        case stkCopy(paymentID: Int64)
        /// The receipt was already recorded (a repeat, or another route first): provenance counted.
        case duplicate

        /// The inbox outcome of a confirmation that led to this.
        public var outcome: CallbackOutcome {
            switch self {
            case .allocated, .unallocated, .held: .applied
            case .stkCopy, .duplicate: .duplicate
            }
        }
    }

    /// Applies one transaction inside the caller's transaction.
    public static func apply(
        _ db: isolated PostgresConnection, _ transaction: C2BTransaction, route: C2BRoute, inboxID: Int64?, now: Date
    ) throws(PostgresError) -> Result {
        guard let id = try C2BStore.insertIfNew(db, transaction, route: route, inboxID: inboxID, now: now) else {
            let existing = try C2BStore.load(db, receipt: transaction.receipt)
            try C2BStore.sighting(
                db, receipt: transaction.receipt, route: sightingRoute(route), paymentID: existing?.paymentID,
                inboxID: inboxID, now: now)
            return .duplicate
        }
        return try place(
            db, id: id, transaction, route: route, inboxID: inboxID, now: now,
            holdUntil: now.addingTimeInterval(holdSeconds))
    }

    /// Releases held transactions: linked to the STK payment that now holds the receipt, or placed on their own once
    /// their hold has passed. Returns how many changed.
    public static func releaseHeld(_ db: isolated PostgresConnection, now: Date) throws(PostgresError) -> Int {
        var changed = 0
        for record in try C2BStore.held(db) {
            let result = try place(
                db, id: record.id, record.transaction, route: record.firstSource, inboxID: nil, now: now,
                holdUntil: record.heldUntil, recordSighting: false)
            if result != .held { changed += 1 }
        }
        return changed
    }

    /// Places a recorded transaction. `holdUntil` in the past (or `nil`) lets it be held no longer.
    static func place(
        _ db: isolated PostgresConnection, id: Int64, _ transaction: C2BTransaction, route: C2BRoute, inboxID: Int64?,
        now: Date, holdUntil: Date?, recordSighting: Bool = true
    ) throws(PostgresError) -> Result {
        let receipt = transaction.receipt
        let seen = { (paymentID: Int64?) throws(PostgresError) in
            if recordSighting {
                try C2BStore.sighting(
                    db, receipt: receipt, route: sightingRoute(route), paymentID: paymentID, inboxID: inboxID, now: now)
            }
        }
        if let holder = try C2BStore.receiptHolder(db, receipt: receipt) {
            try C2BStore.markStk(db, id: id, holder: holder, now: now)
            try C2BStore.sighting(
                db, receipt: receipt, route: holderRoute(holder), paymentID: holder.paymentID, inboxID: nil, now: now)
            try seen(holder.paymentID)
            try ExceptionStore.resolve(
                db, key: .receipt(.unallocatedPayment, receipt),
                resolution: "the receipt belongs to STK payment \(holder.paymentID)", now: now)
            return .stkCopy(paymentID: holder.paymentID)
        }
        let payer = transaction.payer
        let facts = try C2BStore.facts(
            db, billRef: transaction.billRef, amount: transaction.amount, payer: payer,
            firstName: transaction.firstName, now: now)
        let mayHold = holdUntil.map { $0 > now } ?? false
        switch C2BRules.allocate(facts, mayHold: mayHold) {
        case .holdForStk:
            try C2BStore.markHeld(db, id: id, until: holdUntil ?? now, now: now)
            try seen(nil)
            return .held
        case .enrollment(let reference, let basis):
            let known = try C2BStore.knownNumber(db, userID: reference.userID, payer: payer)
            // The number to refund to when one is known (a full MSISDN, or the learner's own number its hash named);
            // otherwise the MSISDN as received, which no B2C refund can be sent to.
            let phone = known ?? transaction.msisdn
            let paymentID = try C2BStore.createPayment(
                db, transaction: transaction, route: route, userID: reference.userID, courseID: reference.courseID,
                phone: phone, basis: basis, inboxID: inboxID, now: now)
            try C2BStore.markAllocated(
                db, id: id, paymentID: paymentID, userID: reference.userID, basis: basis, now: now)
            let (paid, price) = try C2BStore.paidTowards(db, userID: reference.userID, courseID: reference.courseID)
            var enrolled = false
            if paid >= price {
                enrolled = try C2BStore.enrollPaid(
                    db, userID: reference.userID, courseID: reference.courseID, paymentID: paymentID, now: now)
            }
            try ExceptionStore.resolve(
                db, key: .receipt(.unallocatedPayment, receipt), resolution: "allocated to payment \(paymentID)",
                now: now)
            try seen(paymentID)
            return .allocated(paymentID: paymentID, enrolled: enrolled)
        case .unallocated(let learner, let reason):
            try C2BStore.markUnallocated(db, id: id, userID: learner, now: now)
            var detail = [
                "detail": "KES \(transaction.amount.decimalString) reached shortcode \(transaction.shortcode) by "
                    + (route == .pull ? "Pull" : "C2B confirmation") + " with account '"
                    + C2BReference.display(transaction.billRef) + "': \(reason); allocate it to a learner and course "
                    + "or propose its refund",
                "receipt": receipt, "payer": payer.display,
            ]
            if let learner { detail["learner"] = String(learner) }
            try ExceptionStore.record(
                db, key: .receipt(.unallocatedPayment, receipt), received: transaction.amount, detail: detail, now: now)
            try seen(nil)
            return .unallocated(learner: learner)
        }
    }

    /// `receipt_sightings.route` of a C2B route.
    static func sightingRoute(_ route: C2BRoute) -> String {
        route == .pull ? "pull" : "c2b_confirmation"
    }

    /// `receipt_sightings.route` of how an STK payment got its receipt.
    static func holderRoute(_ holder: C2BStore.ReceiptHolder) -> String {
        switch holder.source {
        case .c2b: "c2b_confirmation"
        case .pull: "pull"
        case .stk:
            switch holder.settledVia {
            case "query": "stk_query"
            case "admin": "admin"
            default: "stk_callback"
            }
        }
    }
}

/// C2B validation: the answer from local data only, recorded (ARCHITECTURE.md §6).
public enum C2BValidator {
    /// Reads a validation request and decides; a request that cannot be read is answered `C2B00016`.
    public static func decide(
        _ db: isolated PostgresConnection, body: [UInt8], now: Date
    ) throws(PostgresError)
        -> (C2BValidationDecision, C2BNotification?)
    {
        guard let request = try? C2BNotification(json: body) else {
            return (.reject(C2BValidationDecision.otherError, "the validation request could not be read"), nil)
        }
        let facts = try C2BStore.facts(
            db, billRef: request.billRef, amount: request.amount, payer: PayerMSISDN(request.msisdn),
            firstName: request.firstName, now: now)
        return (C2BRules.validate(facts), request)
    }

    /// Records the answer given.
    public static func record(
        _ db: isolated PostgresConnection, decision: C2BValidationDecision, request: C2BNotification?, now: Date
    ) throws(PostgresError) {
        try C2BStore.recordValidation(
            db, inboxID: nil, receipt: request?.receipt, shortcode: request?.shortcode, billRef: request?.billRef,
            amount: request?.amount, decision: decision, now: now)
    }
}
