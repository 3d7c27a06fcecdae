import ArgumentParser
import Foundation
import Logging
import ReconApp
import ReconCore
import ReconPostgres

/// `statement import FILE…`: M-Pesa's own record into the database, then statement matching.
struct StatementCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "statement",
        abstract: "Import M-Pesa Org Portal statements and match them line by line.",
        subcommands: [StatementImportCommand.self]
    )
}

struct StatementImportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Import Org Portal statement files (CSV or XLSX), then match them against payments and refunds.",
        discussion: """
            Each file is one transaction: a bad file (its error names the row and column) leaves nothing behind. A \
            receipt is one line however often it is imported: the same file again, or an overlapping statement, \
            adds nothing twice. Findings: statement_only, missing_from_statement, statement_amount_mismatch, \
            refund_missing_from_statement, ambiguous_statement_line. reconcile (and run) repeat the matching. \
            A file past the importer's limits (about twice a busy month: 1 048 576 rows, 1 024 cells and 1 MiB a \
            row, 96 KiB a cell, 64 MiB of shared strings, 1 GiB and a 200:1 ratio a zip part) is refused with an \
            error naming the limit.
            """
    )

    @OptionGroup var common: CommonOptions
    @Argument(help: "Statement files (CSV or XLSX), in period order.") var files: [String]

    func run() async throws {
        let env = try Context.environment(common, needs: [.database])
        guard !files.isEmpty else {
            throw CLIError(message: "statement import needs at least one file", exitCode: ExitCodes.usage)
        }
        let summary = try await withConnectionPool(try Context.database(env), maxConnections: 2) { pool in
            try await StatementImportJob(pool: pool, logger: Logger(label: "mpesa-recon.statement")).run(paths: files)
        }
        if common.json {
            try Context.printJSON(summary)
        } else {
            print(Self.describe(summary))
        }
    }

    static func describe(_ s: StatementImportSummary) -> String {
        let opening = s.openingBalance.map(\.description) ?? "not stated"
        let closing = s.closingBalance.map(\.description) ?? "not stated"
        return "statement: \(s.files.count) file(s), \(s.lines) line(s) (\(s.skippedDuplicates) already stored); "
            + "\(s.matched) matched, \(s.receiptsFilled) receipt(s) filled; findings: \(s.statementOnly) statement-only, "
            + "\(s.missingFromStatement) missing from the statement, \(s.amountMismatches) amount mismatch(es), "
            + "\(s.ambiguous) ambiguous; opening \(opening), closing \(closing), balance \(s.balanceCheck)"
    }
}
