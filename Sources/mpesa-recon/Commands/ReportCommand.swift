import ArgumentParser
import Foundation
import Logging
import ReconApp
import ReconCore
import ReconPresentation
import ReconReports

struct ReportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Write a period's finance report: one CSV per sheet and one XLSX workbook.",
        discussion: """
            Sheets: Summary, Settled, Exceptions, Refunds, Pending (reports/README.md documents every column). \
            Days are East Africa Time (UTC+3) calendar days, both ends included; every time shown is EAT. \
            Files go to OUT/<from>_<to>/ and replace an earlier report of the same period only once all of them \
            are complete. Phone numbers are masked as 2547****1234 unless --unmasked. \
            Needs DATABASE_URL (or DB_HOST, DB_PORT, DB_NAME, DB_USER, DB_PASSWORD).
            """
    )

    @OptionGroup var common: CommonOptions

    @Option(name: .long, help: "First day, YYYY-MM-DD in East Africa Time (default: the day before --to).")
    var from: String?

    @Option(name: .long, help: "Last day, included, YYYY-MM-DD in East Africa Time (default: today).")
    var to: String?

    @Option(name: .long, help: "What to write: csv, xlsx or csv,xlsx.")
    var format = "csv,xlsx"

    @Option(name: .long, help: "The folder the period's folder is created in.")
    var out = "reports"

    @Flag(name: .long, help: "Show full phone numbers instead of 2547****1234 (written under OUT/unmasked/).")
    var unmasked = false

    @Option(
        name: .customLong("csv-bom"),
        help: "Start each CSV with a UTF-8 byte order mark, so Excel on Windows reads it right (true or false).")
    var csvBOM = true

    func validate() throws {
        _ = try period()
        _ = try formats()
    }

    /// `--to` or today (EAT), and `--from` or the day before `--to`.
    func period(now: Date = Date()) throws -> ReportPeriod {
        do {
            let last = try to.map { try CivilDate(parsing: $0) } ?? EastAfricaTime.civilDate(of: now)
            let first = try from.map { try CivilDate(parsing: $0) } ?? last.adding(days: -1)
            return try ReportPeriod(first: first, last: last)
        } catch let error as ReportError {
            throw ValidationError("\(error.message) (--from \(from ?? "default"), --to \(to ?? "default"))")
        }
    }

    func formats() throws -> Set<ReportFormat> {
        var formats: Set<ReportFormat> = []
        for part in format.split(separator: ",", omittingEmptySubsequences: false) {
            let name = part.trimmingCharacters(in: .whitespaces).lowercased()
            guard let value = ReportFormat(rawValue: name) else {
                throw ValidationError("--format takes csv, xlsx or csv,xlsx; \"\(name)\" is neither")
            }
            formats.insert(value)
        }
        return formats
    }

    func run() async throws {
        let env = try Context.environment(common, needs: [.database])
        let options = ReportOptions(
            period: try period(), formats: try formats(), outputDirectory: out, maskPhoneNumbers: !unmasked,
            csvByteOrderMark: csvBOM)
        let outcome = try await Operations.report(
            try Context.database(env), options: options, logger: Logger(label: "mpesa-recon.reports"),
            progress: Wiring.stderrIsTerminal ? Self.showProgress : nil)
        try Context.show(ReportView(outcome), json: common.json)
    }

    /// One overwritten line per large sheet on a terminal; cron (no terminal) sees nothing.
    @Sendable static func showProgress(_ progress: ReportProgress) {
        guard progress.rowsTotal >= 10_000 else { return }
        let done = progress.rowsWritten >= progress.rowsTotal
        let percent = progress.rowsTotal > 0 ? progress.rowsWritten * 100 / progress.rowsTotal : 100
        let line =
            "\r\u{1B}[K\(progress.sheet.title): \(progress.rowsWritten) of \(progress.rowsTotal) rows (\(percent)%)"
            + (done ? "\n" : "")
        FileHandle.standardError.write(Data(line.utf8))
    }
}
