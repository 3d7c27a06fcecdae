import ArgumentParser
import Foundation
import Logging
import ReconApp
import ReconCore
import ReconPostgres

struct C2BCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "c2b",
        abstract: "Paybill and till payments made from the SIM menu: register the URLs, issue references.",
        subcommands: [
            C2BRegisterCommand.self, C2BReferenceCommand.self, C2BUnallocatedCommand.self, C2BAllocateCommand.self,
        ]
    )
}

struct C2BRegisterCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "register",
        abstract: "Register the C2B validation and confirmation URLs (RegisterURL v1 or v2) for a shortcode.",
        discussion: """
            Both URLs carry the callback token (derived from MPESA_CALLBACK_URL unless MPESA_C2B_CONFIRMATION_URL and \
            MPESA_C2B_VALIDATION_URL are set). MPESA_C2B_VERSION (v1 or v2, default v2) picks the API: a Daraja app \
            may call only the one its API product holds, and 401.003.01 ("no apiproduct match") is reported as the \
            wrong C2B version for this app and tried once with the other. MPESA_C2B_RESPONSE_TYPE (Completed or \
            Cancelled) is what M-Pesa does when validation does not answer in time. Every outcome, "already \
            registered" included, is stored per configuration and shown by `doctor`. Validation is called only \
            once Safaricom enables external validation for the shortcode (ask them); confirmations are handled \
            the same either way.
            """
    )

    @OptionGroup var common: CommonOptions
    @Option(help: "Register this stored M-Pesa configuration's shortcode instead of the MPESA_* environment's.")
    var config: String?

    func run() async throws {
        let env = try Context.environment(common, needs: [.database])
        if config == nil { try Context.check(env, needs: [.daraja, .c2b]) }
        let target = try await refusingAccount {
            try await RegistrationTarget.resolve(env, config: config, logger: Logger(label: "mpesa-recon.c2b"))
        }
        let records = try await Registration.registerC2B(
            try Context.database(env), configuration: target.name, client: target.client,
            shortcode: target.c2b.shortcode, version: target.c2b.version, responseType: target.c2b.responseType,
            confirmationURL: target.c2b.confirmationURL, validationURL: target.c2b.validationURL)
        try show(records, json: common.json)
        guard let last = records.last, last.isRegistered else { throw ExitCode(ExitCodes.failure) }
    }
}

struct C2BReferenceCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reference",
        abstract: "The codes a learner pays by paybill with: one per course (enrollment) and one per learner.",
        discussion: """
            An enrollment reference is open until the course price is reached (instalments add up); a payment whose \
            account number is it is allocated to that learner and course. The learner reference places money with \
            the learner (and with their one open course, when there is exactly one).
            """
    )

    @OptionGroup var common: CommonOptions
    @Option(help: "The learner's users.id.") var user: Int64
    @Option(help: "The course's courses.id (omit for the learner reference only).") var course: Int64?

    func run() async throws {
        let env = try Context.environment(common, needs: [.database])
        let (user, course) = (self.user, self.course)
        let codes = try await withConnectionPool(try Context.database(env)) { pool in
            try await pool.withConnection { db in
                try await db.withTransaction { db in
                    try References.issue(db, userID: user, courseID: course, now: Date())
                }
            }
        }
        if common.json {
            var out = ["learner_reference": codes.learner]
            if let enrollment = codes.enrollment { out["enrollment_reference"] = enrollment }
            try Context.printJSON(out)
        } else {
            if let enrollment = codes.enrollment {
                print("enrollment reference (course \(course ?? 0)): \(enrollment)")
            }
            print("learner reference: \(codes.learner)")
        }
    }
}

struct C2BUnallocatedCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "unallocated", abstract: "C2B money no reference or number placed, oldest first.")

    @OptionGroup var common: CommonOptions
    @Option(help: "At most this many.") var limit = 200

    func run() async throws {
        let env = try Context.environment(common, needs: [.database])
        let records = try await withConnectionPool(try Context.database(env)) { pool in
            try await C2BDesk(pool: pool).unallocated(limit: limit)
        }
        if common.json {
            try Context.printJSON(records.map(UnallocatedLine.init))
            return
        }
        if records.isEmpty { print("No unallocated C2B money.") }
        for line in records.map(UnallocatedLine.init) {
            print(
                "\(line.receipt)  KES \(line.amount)  shortcode \(line.shortcode)  account '\(line.account)'  "
                    + "payer \(line.payer)\(line.learner.map { "  learner \($0)" } ?? "")  \(line.source)")
        }
    }
}

/// One unallocated transaction as the CLI shows it: the payer's number masked, the account as safe text.
struct UnallocatedLine: Codable {
    var receipt: String
    var amount: String
    var shortcode: String
    var account: String
    var payer: String
    var learner: Int64?
    var source: String

    init(_ record: C2BRecord) {
        receipt = record.receipt
        amount = record.amount.decimalString
        shortcode = record.shortcode
        account = C2BReference.display(record.billRef)
        payer = PayerMSISDN(record.msisdn).display
        learner = record.userID
        source = record.firstSource == .pull ? "pull" : "c2b"
    }
}

struct C2BAllocateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "allocate",
        abstract: "Place unallocated C2B money with a learner and course: one admin proposes, another confirms.",
        discussion: """
            The first admin's call proposes; a second, different admin giving the same learner and course confirms \
            it, and the money becomes the learner's payment (enrolling them when the course price is reached). A \
            different learner or course replaces the open proposal. --by EMAIL is an active account with the admin \
            role.
            """
    )

    @OptionGroup var common: CommonOptions
    @Argument(help: "The M-Pesa receipt (TransID).") var receipt: String
    @Option(help: "The learner's users.id.") var user: Int64
    @Option(help: "The course's courses.id.") var course: Int64
    @Option(help: "Why (kept with the proposal).") var note = ""
    @Option(help: "Your email: an active account with the admin role.") var by: String

    func run() async throws {
        let env = try Context.environment(common, needs: [.database])
        let (receipt, user, course, note, by) = (self.receipt, self.user, self.course, self.note, self.by)
        let decided = try await withConnectionPool(try Context.database(env)) { pool in
            try await refusing {
                try await C2BDesk(pool: pool).allocate(
                    receipt: receipt, userID: user, courseID: course, note: note, who: .email(by), via: .cli,
                    origin: osUser())
            }
        }
        if common.json {
            try Context.printJSON(decided)
        } else {
            var line =
                "\(decided.receipt): \(decided.outcome) for learner \(decided.userID), course \(decided.courseID)"
            if let payment = decided.paymentID { line += "; payment \(payment)" }
            if decided.enrolled { line += "; enrolled" }
            if decided.outcome != "applied" { line += " (a second admin confirms with the same learner and course)" }
            print(line)
        }
    }
}

struct PullCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pull",
        abstract: "Pull Transactions: register a shortcode once; `run` then pulls it with a coverage proof.",
        subcommands: [PullRegisterCommand.self]
    )
}

struct PullRegisterCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "register",
        abstract: "Register a shortcode for Pull Transactions (once: Safaricom refuses to change it afterwards).",
        discussion: """
            Needs MPESA_PULL_NOMINATED_NUMBER: the number on the shortcode's KYC (M-Pesa portal, Organization > \
            Details), in the 254 form. 1000 is registered, 1001 already registered (both success); the outcome is \
            stored per configuration and `run` pulls every registered shortcode from then on. The CallBackURL \
            (MPESA_PULL_CALLBACK_URL, derived from MPESA_CALLBACK_URL) cannot be changed later: check it first.
            """
    )

    @OptionGroup var common: CommonOptions
    @Option(help: "Register this stored M-Pesa configuration's shortcode instead of the MPESA_* environment's.")
    var config: String?
    @Option(help: "The nominated number (overrides MPESA_PULL_NOMINATED_NUMBER).") var nominatedNumber: String?

    func run() async throws {
        let env = try Context.environment(common, needs: [.database])
        if config == nil { try Context.check(env, needs: [.daraja, .c2b]) }
        let target = try await refusingAccount {
            try await RegistrationTarget.resolve(env, config: config, logger: Logger(label: "mpesa-recon.pull"))
        }
        let number: MSISDN
        if let nominatedNumber {
            do {
                number = try MSISDN(parsing: nominatedNumber)
            } catch {
                throw CLIError(message: "--nominated-number: \(error.description)", exitCode: ExitCodes.usage)
            }
        } else if let configured = target.c2b.pullNominatedNumber {
            number = configured
        } else {
            throw CLIError(
                message: "MPESA_PULL_NOMINATED_NUMBER is not set (or give --nominated-number)",
                exitCode: ExitCodes.usage)
        }
        let record = try await Registration.registerPull(
            try Context.database(env), configuration: target.name, client: target.client,
            shortcode: target.c2b.shortcode, nominatedNumber: number, callbackURL: target.c2b.pullCallbackURL)
        try show([record], json: common.json)
        guard record.isRegistered else { throw ExitCode(ExitCodes.failure) }
    }
}

/// Prints registration outcomes, one line each.
private func show(_ records: [RegistrationRecord], json: Bool) throws {
    if json {
        try Context.printJSON(records)
        return
    }
    for record in records {
        let version = record.version.map { " \($0)" } ?? ""
        var line = "\(record.api)\(version) \(record.configuration) shortcode \(record.shortcode): \(record.outcome)"
        if record.outcome == "wrong_version" { line += " (wrong C2B version for this app)" }
        if let code = record.responseCode { line += " [\(code)]" }
        if !record.detail.isEmpty { line += " \(record.detail)" }
        print(line)
    }
}
