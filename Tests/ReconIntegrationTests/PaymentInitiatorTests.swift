import DarajaSimulator
import Foundation
import Logging
import ReconApp
import ReconCore
import ReconPostgres
import ReconTestSupport
import Testing

/// `PaymentInitiator.start` decides every rule of a new payment, for `pay`, the demo and the API alike; the API only
/// maps its codes to HTTP (APITests).
@Suite("Starting a payment: one function decides the rules")
struct PaymentInitiatorTests {
    static let phone = "0708374149"

    static func initiator(_ stack: Stack) -> PaymentInitiator {
        PaymentInitiator(pool: stack.pool, client: stack.client, schedule: stack.schedule, logger: Logger(label: "t"))
    }

    /// The code `start` refused with, or `nil` when it started the payment.
    static func refusal(_ start: () async throws -> StartedPayment) async throws -> PayError.Code? {
        do {
            _ = try await start()
            return nil
        } catch let error as PayError {
            #expect(error.isUsage, "\(error.code) is a refusal of the request, not a failure")
            return error.code
        }
    }

    @Test("pay's path refuses an account reference or description Daraja would refuse, before any row or push")
    func pushTextsAreCheckedForEveryCaller() async throws {
        try await Stack.with { stack in
            let (user, course) = try await stack.seedLearner()
            let initiator = Self.initiator(stack)
            let phone = try MSISDN(parsing: Self.phone)
            let cases: [(String?, String?, PayError.Code)] = [
                ("1234567890123", nil, .invalidReference), ("   ", nil, .invalidReference),
                (nil, "12345678901234", .invalidDescription), ("REF", "", .invalidDescription),
            ]
            for (reference, description, code) in cases {
                let refused = try await Self.refusal {
                    try await initiator.start(
                        userID: user, courseID: course, phone: phone, amount: nil, accountReference: reference,
                        description: description)
                }
                #expect(refused == code, "reference \(reference ?? "-"), description \(description ?? "-")")
            }
            #expect(try await stack.count("SELECT count(*) FROM payments") == 0)
            #expect(await stack.simulator.ledger().stk.isEmpty)

            // Texts within Daraja's limits are pushed trimmed.
            let started = try await initiator.start(
                userID: user, courseID: course, phone: phone, amount: nil, accountReference: " GER-A1 ",
                description: "German A1")
            #expect(started.status == PaymentStatus.pending.rawValue)
            #expect(await stack.simulator.ledger().stk.map(\.accountReference) == ["GER-A1"])
        }
    }

    @Test(
        "a learner pays exactly the price of an open course; staff may charge another amount (the demo's overpayment)")
    func priceRuleIsTheLearners() async throws {
        try await Stack.with { stack in
            let (user, course) = try await stack.seedLearner(price: 5000)
            let closed = try await stack.course(active: false)
            let initiator = Self.initiator(stack)
            let phone = try MSISDN(parsing: Self.phone)
            func start(
                _ courseID: Int64, _ amount: Int64?, _ requester: PaymentInitiator.Requester
            ) async throws
                -> PayError.Code?
            {
                try await Self.refusal {
                    try await initiator.start(
                        userID: user, courseID: courseID, phone: phone,
                        amount: amount.map { Money(minorUnits: $0 * 100) },
                        requester: requester)
                }
            }
            #expect(try await start(999_999, nil, .staff) == .courseNotFound)
            #expect(try await start(closed, nil, .staff) == .courseInactive)
            #expect(try await start(closed, nil, .learner) == .courseInactive)
            do {
                _ = try await initiator.start(
                    userID: user, courseID: course, phone: phone, amount: Money(minorUnits: 400_000),
                    requester: .learner)
                Issue.record("a learner's amount other than the price was accepted")
            } catch let error as PayError {
                #expect(error.code == .amountNotPrice && error.coursePrice == Money(minorUnits: 500_000))
            }
            #expect(try await stack.count("SELECT count(*) FROM payments") == 0)

            let overpaid = try await initiator.start(
                userID: user, courseID: course, phone: phone, amount: Money(minorUnits: 800_000))
            #expect(overpaid.amount == "8000.00")
            #expect(try await start(course, 5000, .learner) == .pending, "the staff payment is pending for the course")
            #expect(try await start(course, nil, .staff) == nil, "staff are not held to the pending guard")
        }
    }
}
