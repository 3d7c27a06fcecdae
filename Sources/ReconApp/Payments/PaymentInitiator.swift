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

/// Why a payment could not be started (`pay`, the API): a rule refused it, or the push never left this machine.
public struct PayError: Error, Sendable, CustomStringConvertible {
    /// Which rule or part refused; new codes may be added.
    public typealias Code = CodedError<PayErrorCodes>.Code

    /// Which rule or part refused.
    public var code: Code
    /// What is wrong, for the person at the terminal; never a phone number.
    public var message: String
    /// The learner's payment already pending for the course (``Code/pending``).
    public var pendingPaymentID: Int64?
    /// A new push may start after this many seconds (``Code/tooManyPrompts``).
    public var retryAfterSeconds: Int?
    /// The course's price, which a learner's amount must equal (``Code/amountNotPrice``).
    public var coursePrice: Money?

    /// An error.
    public init(
        _ code: Code, _ message: String, pendingPaymentID: Int64? = nil, retryAfterSeconds: Int? = nil,
        coursePrice: Money? = nil
    ) {
        self.code = code
        self.message = message
        self.pendingPaymentID = pendingPaymentID
        self.retryAfterSeconds = retryAfterSeconds
        self.coursePrice = coursePrice
    }

    /// Bad input rather than a failure: every refusal but ``Code/notSent``.
    public var isUsage: Bool { code != .notSent }
    /// The STK Push never left this machine; the payment is recorded as `failed`.
    public var notSent: Bool { code == .notSent }

    public var description: String { message }
}

/// The codes of ``PayError``.
public enum PayErrorCodes {}

extension CodedError.Code where Domain == PayErrorCodes {
    /// No user with the id.
    public static var learnerNotFound: Self { Self(raw: "learner not found") }
    /// No course with the id.
    public static var courseNotFound: Self { Self(raw: "course not found") }
    /// The course is not open for payment.
    public static var courseInactive: Self { Self(raw: "course inactive") }
    /// A learner's amount differs from the course price (``PaymentInitiator/Requester/learner`` only).
    public static var amountNotPrice: Self { Self(raw: "amount not the price") }
    /// The amount is not whole shillings from 1 to 250,000 (Daraja's limits).
    public static var amountOutOfRange: Self { Self(raw: "amount out of range") }
    /// The account reference is empty or longer than Daraja's 12 characters.
    public static var invalidReference: Self { Self(raw: "invalid account reference") }
    /// The transaction description is empty or longer than Daraja's 13 characters.
    public static var invalidDescription: Self { Self(raw: "invalid transaction description") }
    /// The learner already has a payment pending for the course.
    public static var pending: Self { Self(raw: "payment pending") }
    /// The learner or the phone reached the ``InitiationLimits``.
    public static var tooManyPrompts: Self { Self(raw: "too many prompts") }
    /// The STK Push never left this machine.
    public static var notSent: Self { Self(raw: "not sent") }
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
    /// The limits on pushes per learner and per phone (applied to a ``Requester/learner``).
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

    /// Whose request a start is: the rules it is held to differ.
    public enum Requester: Sendable, Equatable {
        /// A person at the terminal (`pay`, the demo): any amount in range (an overpayment to look into, say).
        case staff
        /// A learner through the JSON API: exactly the course price, at most one payment pending per course, and
        /// no more pushes than ``InitiationLimits`` allow.
        case learner
    }

    /// Creates the payment and sends the push. `amount` defaults to the course price.
    ///
    /// Refusals are ``PayError`` values, checked in this order: the account reference (1 to 12 characters) and
    /// description (1 to 13, both trimmed; Daraja's limits), the learner, the course and whether it is active, for a
    /// ``Requester/learner`` that the amount is the price, that no payment for the course is pending and the
    /// ``InitiationLimits``, then the amount's range. The learner's row is locked while checking the pending and
    /// limit rules, so two concurrent requests cannot both pass.
    ///
    /// A push that never left this machine (no token, connection refused) fails the payment and throws
    /// ``PayError`` with ``PayErrorCodes`` `notSent` after recording it: nobody was asked to pay, so no person needs
    /// to look.
    public func start(
        userID: Int64, courseID: Int64, phone: MSISDN, amount: Money?, accountReference: String? = nil,
        description: String? = nil, requester: Requester = .staff
    ) async throws -> StartedPayment {
        let reference = try Self.pushText(
            accountReference, limit: 12, code: .invalidReference,
            "the account reference must be 1 to 12 characters")
        let pushDescription = try Self.pushText(
            description, limit: 13, code: .invalidDescription, "the description must be 1 to 13 characters")
        let clock = self.clock
        let created = clock.now
        let configurationID = self.configurationID
        let limits = self.limits
        let (paymentID, price) = try await pool.withConnection { db in
            try await db.withTransaction { db in
                guard try CatalogStore.learnerExists(db, id: userID) else {
                    throw PayError(.learnerNotFound, "no learner with id \(userID)")
                }
                guard let course = try CatalogStore.course(db, id: courseID) else {
                    throw PayError(.courseNotFound, "no course with id \(courseID)")
                }
                guard course.isActive else {
                    throw PayError(.courseInactive, "course \(courseID) is not active")
                }
                if requester == .learner {
                    if let amount, amount != course.price {
                        throw PayError(
                            .amountNotPrice, "the amount must equal the course price (\(course.price.decimalString))",
                            coursePrice: course.price)
                    }
                    _ = try PaymentQueryStore.lockLearner(db, userID: userID)
                    if let pending = try PaymentQueryStore.pending(db, userID: userID, courseID: courseID) {
                        throw PayError(
                            .pending, "payment \(pending) for this course is still pending", pendingPaymentID: pending)
                    }
                    try PaymentQueryStore.lockPhone(db, phone: phone.digits)
                    let since = created.addingTimeInterval(-TimeInterval(limits.windowSeconds))
                    let recent = try PaymentQueryStore.recentInitiations(
                        db, userID: userID, phone: phone.digits, since: since)
                    if recent.byLearner >= limits.perLearner || recent.byPhone >= limits.perPhone {
                        throw PayError(
                            .tooManyPrompts, "too many payment prompts were started; try again in a few minutes",
                            retryAfterSeconds: limits.windowSeconds)
                    }
                }
                let charge = amount ?? course.price
                guard charge.isWholeShillings, charge >= Money(minorUnits: 100), charge <= Money(minorUnits: 25_000_000)
                else {
                    throw PayError(.amountOutOfRange, "the amount must be whole shillings from 1 to 250,000")
                }
                let id = try PaymentStore.create(
                    db, userID: userID, courseID: courseID, amount: charge, phone: phone, now: created,
                    configurationID: configurationID, accountReference: reference ?? "COURSE\(courseID)")
                return (id, charge)
            }
        }
        let outcome = await client.stkPush(
            phone: phone, amount: price, accountReference: reference ?? "COURSE\(courseID)",
            description: pushDescription ?? "Course fee")
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
            throw PayError(.notSent, "payment \(paymentID) failed: the STK Push was never sent (\(reason))")
        }
        if case .accepted(let checkoutID, _) = outcome {
            // A callback that raced ahead of this update waits in the inbox as unmatched: apply it now.
            _ = try await pool.withConnection { db in
                try await CallbackProcessor.sweep(db, now: clock.now, schedule: schedule, reference: checkoutID)
            }
        }
        let loaded = try await pool.withConnection { db in
            try await db.run { db throws(PostgresError) in try PaymentStore.load(db, id: paymentID) }
        }
        guard let record = loaded else { throw ReconAppError(.inconsistent, "payment \(paymentID) vanished") }
        return StartedPayment(
            id: record.id, userID: record.userID, courseID: record.courseID,
            amount: record.state.amount.decimalString, phone: MSISDN.mask(record.phone),
            status: record.state.status.rawValue, checkoutRequestID: record.checkoutRequestID,
            merchantRequestID: record.merchantRequestID, resultCode: record.state.resultCode,
            resultDescription: record.state.resultDescription, nextCheckAt: record.state.nextCheckAt)
    }

    /// An optional text for the push, trimmed; a given one must be 1 to `limit` characters.
    static func pushText(
        _ text: String?, limit: Int, code: PayError.Code, _ message: String
    ) throws(PayError) -> String? {
        guard let text = text?.trimmingSpaces() else { return nil }
        guard !text.isEmpty, text.count <= limit else { throw PayError(code, message) }
        return text
    }
}
