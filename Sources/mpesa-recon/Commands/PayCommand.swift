import ArgumentParser
import Foundation
import Logging
import ReconApp
import ReconCore

struct PayCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pay",
        abstract: "Start a course payment: create the pending row, send the STK Push, record Daraja's answer.",
        discussion: """
            The amount defaults to the course price (whole shillings, 1 to 250,000). A Daraja rejection marks the \
            payment failed with its code; no usable answer marks it unknown for a person, since a prompt may have \
            gone out. Needs DATABASE_URL and the MPESA_* STK settings.
            """
    )

    @OptionGroup var common: CommonOptions
    @Option(help: "The learner's users.id.") var user: Int64
    @Option(help: "The course's courses.id.") var course: Int64
    @Option(help: "The paying phone: 07XXXXXXXX, 01XXXXXXXX, 2547XXXXXXXX or 2541XXXXXXXX.") var phone: String
    @Option(help: "Amount in KES (default: the course price).") var amount: String?
    @Option(
        help: """
            Push with this stored M-Pesa configuration (mpesa-recon config list; RECON_SECRETS_KEY opens it) \
            instead of the MPESA_* environment; settle asks about the payment with the same one.
            """)
    var config: String?

    func run() async throws {
        let env = try Context.environment(common, needs: [.database, .daraja, .schedule])
        let msisdn: MSISDN
        do {
            msisdn = try MSISDN(parsing: phone)
        } catch {
            throw CLIError(message: "--phone: \(error.description)", exitCode: ExitCodes.usage)
        }
        var money: Money?
        if let amount {
            do {
                money = try Money.parse(amount)
            } catch {
                throw CLIError(message: "--amount: \(error.description)", exitCode: ExitCodes.usage)
            }
        }
        let logger = Logger(label: "mpesa-recon.pay")
        var client: any StkPushing = try Wiring.darajaClient(env)
        var configurationID: Int64?
        if let config {
            do {
                (configurationID, client) = try await Configurations.pushClient(
                    try Context.database(env), name: config, secretsKey: env.optional("RECON_SECRETS_KEY"),
                    logger: logger)
            } catch let refusal as AccountRefusal {
                throw CLIError(message: "--config: \(refusal)", exitCode: ExitCodes.usage)
            }
        }
        let schedule = try RetrySchedule.load(from: env)
        let payment: StartedPayment
        do {
            payment = try await withConnectionPool(try Context.database(env), maxConnections: 2) { pool in
                try await PaymentInitiator(
                    pool: pool, client: client, schedule: schedule, logger: logger, configurationID: configurationID
                ).start(userID: user, courseID: course, phone: msisdn, amount: money)
            }
        } catch let error as PayError {
            throw CLIError(message: error.message, exitCode: error.isUsage ? ExitCodes.usage : ExitCodes.failure)
        }
        if common.json {
            try Context.printJSON(payment)
        } else {
            print("payment \(payment.id): \(payment.status) KES \(payment.amount) from \(payment.phone)")
            if let checkout = payment.checkoutRequestID { print("  CheckoutRequestID \(checkout)") }
            if let code = payment.resultCode { print("  Daraja: \(code) \(payment.resultDescription ?? "")") }
        }
        if payment.status == "failed" {
            throw CLIError(message: "Daraja rejected the STK Push", exitCode: ExitCodes.failure)
        }
    }
}
