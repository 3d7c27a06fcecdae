public import Daraja
public import Foundation
public import Logging
public import ReconCore
public import ReconPostgres

/// Anything that sends STK Pushes (the Daraja client).
public protocol StkPushing: Sendable {
    /// Sends one STK Push.
    func stkPush(phone: MSISDN, amount: Money, accountReference: String, description: String) async -> StkPushOutcome
}

extension DarajaClient: StkPushing {}

/// Why `pay` cannot start a payment.
public struct PayError: Error, CustomStringConvertible {
    /// What is wrong, for the person at the terminal.
    public var message: String
    /// Bad input rather than a failure.
    public var isUsage: Bool
    /// The STK Push never left this machine; the payment is recorded as `failed`.
    public var notSent: Bool
    /// The learner already has this payment pending for the course (only when asked to refuse a second one).
    public var pendingPaymentID: Int64?
    /// The learner or the phone reached the initiation limit; a new push may start after this many seconds.
    public var retryAfterSeconds: Int?

    /// An error.
    public init(
        message: String, isUsage: Bool, notSent: Bool = false, pendingPaymentID: Int64? = nil,
        retryAfterSeconds: Int? = nil
    ) {
        self.message = message
        self.isUsage = isUsage
        self.notSent = notSent
        self.pendingPaymentID = pendingPaymentID
        self.retryAfterSeconds = retryAfterSeconds
    }

    public var description: String { message }
}

/// The payment row `pay` created, for the CLI's output.
public struct StartedPayment: Sendable, Codable, Equatable {
    public var id: Int64
    public var userID: Int64
    public var courseID: Int64
    public var amount: String
    /// Masked.
    public var phone: String
    public var status: String
    public var checkoutRequestID: String?
    public var merchantRequestID: String?
    public var resultCode: String?
    public var resultDescription: String?
    public var nextCheckAt: Date?
}

/// How many STK Pushes the API lets one learner, and one phone, start within a window: a prompt on a phone is a
/// demand for a PIN, and without a limit one account can push prompts to anybody's phone every second.
public struct InitiationLimits: Sendable, Equatable {
    /// Pushes one learner may start within the window (3).
    public var perLearner: Int
    /// Pushes one phone may receive within the window, whoever starts them (3).
    public var perPhone: Int
    /// The window, in seconds (120).
    public var windowSeconds: Int

    /// Limits with the documented defaults.
    public init(perLearner: Int = 3, perPhone: Int = 3, windowSeconds: Int = 120) {
        self.perLearner = max(1, perLearner)
        self.perPhone = max(1, perPhone)
        self.windowSeconds = max(1, windowSeconds)
    }
}

/// Starts a course payment: the `pending` row first, then the STK Push, then what Daraja said (ARCHITECTURE.md §6.1).
public struct PaymentInitiator: Sendable {
    let pool: ConnectionPool
    let client: any StkPushing
    let schedule: RetrySchedule
    let logger: Logger
    /// The `mpesa_configurations` row `client` pushes with, recorded on each payment so settle asks with it too;
    /// `nil`: the `MPESA_*` environment's configuration.
    let configurationID: Int64?
    /// The API's limits on pushes per learner and per phone (applied with `refusePending`).
    let limits: InitiationLimits
    let clock: any ReconClock

    /// An initiator; the payment's creation, its first check and the initiation window are read on `clock`.
    public init(
        pool: ConnectionPool, client: any StkPushing, schedule: RetrySchedule, logger: Logger,
        configurationID: Int64? = nil, limits: InitiationLimits = InitiationLimits(), clock: any ReconClock = .system
    ) {
        self.pool = pool
        self.client = client
        self.schedule = schedule
        self.logger = logger
        self.configurationID = configurationID
        self.limits = limits
        self.clock = clock
    }

    /// Creates the payment and sends the push. `amount` defaults to the course price.
    ///
    /// A push that never left this machine (no token, connection refused) fails the payment and throws
    /// ``PayError`` with `notSent` after recording it: nobody was asked to pay, so no person needs to look.
    ///
    /// With `refusePending` (the JSON API), a learner who already has a pending payment for the course gets
    /// ``PayError`` with `pendingPaymentID` instead of a second push; the learner's row is locked while checking, so
    /// two concurrent requests cannot both pass.
    public func start(
        userID: Int64, courseID: Int64, phone: MSISDN, amount: Money?, accountReference: String? = nil,
        description: String? = nil, refusePending: Bool = false
    ) async throws -> StartedPayment {
        let clock = self.clock
        let created = clock.now
        let configurationID = self.configurationID
        let limits = self.limits
        let (paymentID, price) = try await pool.withConnection { db in
            try await db.withTransaction { db in
                guard try CatalogStore.learnerExists(db, id: userID) else {
                    throw PayError(message: "no learner with id \(userID)", isUsage: true)
                }
                if refusePending {
                    _ = try PaymentQueryStore.lockLearner(db, userID: userID)
                    if let pending = try PaymentQueryStore.pending(db, userID: userID, courseID: courseID) {
                        throw PayError(
                            message: "payment \(pending) for this course is still pending", isUsage: true,
                            pendingPaymentID: pending)
                    }
                    try PaymentQueryStore.lockPhone(db, phone: phone.digits)
                    let since = created.addingTimeInterval(-TimeInterval(limits.windowSeconds))
                    let recent = try PaymentQueryStore.recentInitiations(
                        db, userID: userID, phone: phone.digits, since: since)
                    if recent.byLearner >= limits.perLearner || recent.byPhone >= limits.perPhone {
                        throw PayError(
                            message: "too many payment prompts were started; try again in a few minutes",
                            isUsage: true, retryAfterSeconds: limits.windowSeconds)
                    }
                }
                guard let course = try CatalogStore.course(db, id: courseID) else {
                    throw PayError(message: "no course with id \(courseID)", isUsage: true)
                }
                guard course.isActive else {
                    throw PayError(message: "course \(courseID) is not active", isUsage: true)
                }
                let charge = amount ?? course.price
                guard charge.isWholeShillings, charge >= Money(minorUnits: 100), charge <= Money(minorUnits: 25_000_000)
                else {
                    throw PayError(message: "the amount must be whole shillings from 1 to 250,000", isUsage: true)
                }
                let id = try PaymentStore.create(
                    db, userID: userID, courseID: courseID, amount: charge, phone: phone, now: created,
                    configurationID: configurationID)
                return (id, charge)
            }
        }
        let outcome = await client.stkPush(
            phone: phone, amount: price, accountReference: accountReference ?? "COURSE\(courseID)",
            description: description ?? "Course fee")
        let schedule = self.schedule
        let recorded = try await pool.withConnection { db in
            try await db.withTransaction { db -> PaymentTransition? in
                let now = clock.now
                switch outcome {
                case .accepted(let checkoutID, let merchantID):
                    return try PaymentStore.recordPush(
                        db, paymentID: paymentID, answer: .accepted, checkoutRequestID: checkoutID,
                        merchantRequestID: merchantID, now: now, schedule: schedule)
                case .rejected(let code, let message):
                    return try PaymentStore.recordPush(
                        db, paymentID: paymentID, answer: .rejected(code: code, description: message), now: now,
                        schedule: schedule)
                case .invalid(let reason):
                    return try PaymentStore.recordPush(
                        db, paymentID: paymentID, answer: .rejected(code: "invalid_request", description: reason),
                        now: now, schedule: schedule)
                case .notSent(let reason):
                    return try PaymentStore.recordPush(
                        db, paymentID: paymentID, answer: .notSent(reason: reason), now: now, schedule: schedule)
                case .noAnswer(let reason):
                    // A prompt may have gone out: no verdict by guess, a person looks.
                    return try PaymentStore.recordPush(
                        db, paymentID: paymentID, answer: .noAnswer(reason: reason), now: now, schedule: schedule)
                }
            }
        }
        // Only when this push's answer is what the payment now says (a concurrent orphan sweep may have made it
        // unknown first) is "never sent" the payment's story.
        if case .notSent(let reason) = outcome, recorded?.next.status == .failed {
            throw PayError(
                message: "payment \(paymentID) failed: the STK Push was never sent (\(reason))", isUsage: false,
                notSent: true)
        }
        if case .accepted(let checkoutID, _) = outcome {
            // A callback that raced ahead of this update waits in the inbox as unmatched: apply it now.
            _ = try await pool.withConnection { db in
                try await CallbackProcessor.sweep(db, now: clock.now, schedule: schedule, reference: checkoutID)
            }
        }
        return try await pool.withConnection { db in
            try await db.run { db throws(PostgresError) in
                guard let record = try PaymentStore.load(db, id: paymentID) else {
                    throw PostgresError(code: .misuse, message: "payment \(paymentID) vanished")
                }
                return StartedPayment(
                    id: record.id, userID: record.userID, courseID: record.courseID,
                    amount: record.state.amount.decimalString, phone: MSISDN.mask(record.phone),
                    status: record.state.status.rawValue, checkoutRequestID: record.checkoutRequestID,
                    merchantRequestID: record.merchantRequestID, resultCode: record.state.resultCode,
                    resultDescription: record.state.resultDescription, nextCheckAt: record.state.nextCheckAt)
            }
        }
    }
}
