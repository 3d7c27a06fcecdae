import Foundation
public import Logging
import ReconCore
public import ReconPostgres

/// Writes a period's finance report: one CSV per sheet and one XLSX workbook (ARCHITECTURE.md §6.5).
///
/// Every sheet is read in one read-only REPEATABLE READ transaction, so all files show the same
/// snapshot; rows are streamed from PostgreSQL straight into the files. Files are written under
/// temporary names in the period's folder and renamed into place only when all of them are complete
/// and consistent with the Summary, so a failed run publishes nothing and leaves an earlier report intact.
public enum ReportJob {
    /// Writes the report described by `options` and returns what was written.
    ///
    /// `progress`, when given, is called every few thousand rows and at the end of each sheet, on the
    /// connection's executor: it should only print. `summaryConnection`, when given (a second connection to the
    /// same database, idle), runs the Summary's queries in the same snapshot while `connection` streams the
    /// Settled sheet; it is idle again when this returns or throws.
    public static func write(
        _ options: ReportOptions, on connection: PostgresConnection, summaryConnection: PostgresConnection? = nil,
        logger: Logger = Logger(label: "mpesa-recon.reports"),
        progress: (@Sendable (ReportProgress) -> Void)? = nil
    ) async throws -> ReportOutcome {
        guard !options.formats.isEmpty else {
            throw ReportError(code: .invalidArgument, operation: "report", message: "no format asked for")
        }
        let period = options.period
        let directory = options.periodDirectory
        do {
            try privateFolders(from: options.outputDirectory, to: directory)
        } catch {
            throw ReportError(
                code: .io, operation: "create folder", message: "cannot create the report folder", path: directory,
                detail: "\(error)")
        }
        let plan = OutputPlan(directory: directory, period: period, formats: options.formats)
        let scope = ReportScope(
            period: period, maskPhoneNumbers: options.maskPhoneNumbers,
            asOf: min(options.asOf ?? Date(), period.end), csvOptions: options.csvOptions)
        let temporaryDirectory = options.temporaryDirectory
        logger.info(
            "writing report",
            metadata: [
                "report.period": "\(period)", "report.directory": "\(directory)",
                "report.formats": "\(options.formats.sorted().map(\.rawValue).joined(separator: ","))",
            ])
        let written: WrittenReport
        do {
            written = try await connection.withTransaction(.repeatableRead) { db in
                try ReportQueries.beginReadOnly(db)
                return try ReportAssembly.write(
                    scope: scope, plan: plan, temporaryDirectory: temporaryDirectory, progress: progress,
                    summaryConnection: summaryConnection, db: db)
            }
            try plan.publish()
        } catch {
            plan.discard()
            throw error
        }
        let summary = written.summary
        logger.info(
            "report written",
            metadata: [
                "report.period": "\(period)", "report.directory": "\(directory)",
                "report.settled_rows": "\(summary.settled.count)",
                "report.settled_kes": "\(summary.settled.amount.decimalString)",
                "report.net_kes": "\(summary.net.decimalString)",
            ])
        return ReportOutcome(
            period: period, directory: directory, files: plan.files, rows: written.rows, settled: summary.settled,
            refunded: summary.refunded, net: summary.net)
    }
}

/// Creates the report folders with mode 0700 and tightens existing ones: reports carry learners' names and, in
/// `unmasked/`, full phone numbers, so only the account that runs mpesa-recon may list or read them.
func privateFolders(from root: String, to directory: String) throws {
    try FileManager.default.createDirectory(
        atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
    var folder = directory
    let top = (root as NSString).standardizingPath
    while true {
        _ = chmod(folder, 0o700)
        let standard = (folder as NSString).standardizingPath
        let parent = (folder as NSString).deletingLastPathComponent
        if standard == top || parent.isEmpty || parent == folder { break }
        folder = parent
    }
}

/// What the transaction hands back once every file is complete.
struct WrittenReport: Sendable {
    var summary: ReportSummary
    var rows: [(sheet: ReportSheet, count: Int)]
}

/// Where each file goes: written under a hidden temporary name, renamed to its final name at the end.
struct OutputPlan: Sendable {
    let directory: String
    /// Final and temporary paths of each CSV, in sheet order.
    let csv: [(sheet: ReportSheet, final: String, temporary: String)]
    let workbook: (final: String, temporary: String)?

    init(directory: String, period: ReportPeriod, formats: Set<ReportFormat>) {
        self.directory = directory
        // Unique per run, so two runs for the same period never write into each other's files.
        let token = UUID().uuidString.lowercased()
        func paths(_ name: String) -> (final: String, temporary: String) {
            let folder = directory as NSString
            return (folder.appendingPathComponent(name), folder.appendingPathComponent(".\(name).\(token).partial"))
        }
        csv =
            formats.contains(.csv)
            ? ReportSheet.allCases.map { sheet in
                let (final, temporary) = paths(sheet.csvFileName)
                return (sheet, final, temporary)
            } : []
        workbook = formats.contains(.xlsx) ? paths("mpesa-recon-\(period.label).xlsx") : nil
    }

    func csvTemporary(_ sheet: ReportSheet) -> String? {
        csv.first { $0.sheet == sheet }?.temporary
    }

    var files: [ReportFile] {
        csv.map { ReportFile(format: .csv, sheet: $0.sheet, path: $0.final) }
            + (workbook.map { [ReportFile(format: .xlsx, sheet: nil, path: $0.final)] } ?? [])
    }

    private var all: [(final: String, temporary: String)] {
        csv.map { ($0.final, $0.temporary) } + (workbook.map { [$0] } ?? [])
    }

    /// Renames every temporary file to its final name (replacing an earlier report's file atomically).
    func publish() throws(ReportError) {
        // Files are readable by their owner only (libxlsxwriter creates its file with the process's umask).
        for file in all { _ = chmod(file.temporary, 0o600) }
        for file in all where rename(file.temporary, file.final) != 0 {
            let system = errno
            throw ReportError(
                code: .io, operation: "rename", message: systemErrorText(system), path: file.final,
                underlyingCode: system)
        }
    }

    /// Removes whatever temporary files exist; final files are left as they were.
    func discard() {
        for file in all { unlink(file.temporary) }
    }
}
