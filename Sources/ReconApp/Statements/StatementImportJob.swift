public import Foundation
public import Logging
public import ReconCore
import ReconIdentity
public import ReconPostgres

/// What one file's import did. Its JSON keys are the property names in snake_case, as `JSONRendering` writes every
/// summary.
public struct StatementFileImport: Sendable, Codable, Equatable {
    public var file: String
    public var sha256: String
    public var format: String
    public var importID: Int64
    public var lines: Int
    public var newLines: Int
    public var skippedDuplicates: Int
    public var openingBalance: Money?
    public var closingBalance: Money?
    public var paidIn: Money
    public var withdrawn: Money
    public var balanceCheck: String
}

/// What `statement import` did for the files of one call; the `--json` output, its keys in snake_case.
public struct StatementImportSummary: Sendable, Codable, Equatable {
    public var files: [StatementFileImport] = []
    /// Every transaction line read, charges and sweeps included.
    public var lines = 0
    public var matched = 0
    public var receiptsFilled = 0
    public var statementOnly = 0
    public var missingFromStatement = 0
    public var amountMismatches = 0
    public var refundMissingFromStatement = 0
    public var ambiguous = 0
    public var skippedDuplicates = 0
    public var openingBalance: Money?
    public var closingBalance: Money?
    /// `ok` when every file's opening + paid in − withdrawn = closing (and its totals agree); `mismatch` otherwise;
    /// `unknown` when no file states its balances.
    public var balanceCheck = "unknown"
    /// Whether the statement's customer lines equal our matched payments, every difference a finding.
    public var customerLinesTieOut = true
    public var linesByClass: [String: Int] = [:]

    public init() {}
}

/// Imports Org Portal statement files (one transaction per file: a bad file leaves nothing behind) and then runs the
/// statement matching step.
public struct StatementImportJob: Sendable {
    let pool: ConnectionPool
    let logger: Logger
    /// Lines inserted per statement.
    public var batchSize = 2000
    /// What one file may hold and inflate to (``StatementLimits/standard`` unless a test narrows it).
    public var limits = StatementLimits.standard

    /// A job over a pool.
    public init(pool: ConnectionPool, logger: Logger) {
        self.pool = pool
        self.logger = logger
    }

    /// Imports the files in order, then matches.
    public func run(paths: [String], now: Date = Date()) async throws -> StatementImportSummary {
        var summary = StatementImportSummary()
        for path in paths {
            let file = try await importFile(path, now: now)
            summary.files.append(file)
            summary.lines += file.lines
            summary.skippedDuplicates += file.skippedDuplicates
            logger.info(
                "statement file imported",
                metadata: [
                    "statement.import_id": "\(file.importID)", "statement.lines": "\(file.lines)",
                    "statement.new_lines": "\(file.newLines)", "statement.balance_check": "\(file.balanceCheck)",
                ])
        }
        let withBalances = summary.files.filter { $0.balanceCheck != "unknown" }
        summary.openingBalance = summary.files.first?.openingBalance
        summary.closingBalance = summary.files.last?.closingBalance
        if !withBalances.isEmpty {
            summary.balanceCheck = withBalances.allSatisfy { $0.balanceCheck == "ok" } ? "ok" : "mismatch"
        }
        let match = try await pool.withConnection { db in
            try await db.withTransaction { db in try StatementMatchStep.run(db, now: now) }
        }
        summary.matched = match.matched
        summary.receiptsFilled = match.receiptsFilled
        summary.statementOnly = match.findings[ExceptionKind.statementOnly.rawValue] ?? 0
        summary.missingFromStatement = match.findings[ExceptionKind.missingFromStatement.rawValue] ?? 0
        summary.amountMismatches = match.findings[ExceptionKind.statementAmountMismatch.rawValue] ?? 0
        summary.refundMissingFromStatement = match.findings[ExceptionKind.refundMissingFromStatement.rawValue] ?? 0
        summary.ambiguous = match.findings[ExceptionKind.ambiguousStatementLine.rawValue] ?? 0
        summary.customerLinesTieOut = match.customerLinesTieOut
        summary.linesByClass = match.totals.byClass
        return summary
    }

    /// One file in one transaction.
    func importFile(_ path: String, now: Date) async throws -> StatementFileImport {
        let sha = try statementFileSHA256(path: path)
        let format = try StatementFile.format(path: path)
        let name = URL(fileURLWithPath: path).lastPathComponent
        let batchSize = self.batchSize
        let limits = self.limits
        return try await pool.withConnection { db in
            try await db.withTransaction { db in
                let importID = try StatementStore.beginImport(
                    db, sha256: sha, fileName: name, format: format.rawValue, now: now)
                var batch: [StatementLine] = []
                batch.reserveCapacity(batchSize)
                var newLines = 0
                var paidIn = Money.zero
                var withdrawn = Money.zero
                var first: Date?
                var last: Date?
                let read = try StatementFile.read(path: path, limits: limits) { line in
                    guard let sumIn = paidIn.adding(line.paidIn), let sumOut = withdrawn.adding(line.withdrawn) else {
                        throw StatementError(
                            code: .badCell, message: "row \(line.row): the totals overflow", row: line.row)
                    }
                    paidIn = sumIn
                    withdrawn = sumOut
                    first = min(first ?? line.completedAt, line.completedAt)
                    last = max(last ?? line.completedAt, line.completedAt)
                    batch.append(line)
                    if batch.count >= batchSize {
                        newLines += try StatementStore.insertLines(db, importID: importID, batch)
                        batch.removeAll(keepingCapacity: true)
                    }
                }
                newLines += try StatementStore.insertLines(db, importID: importID, batch)
                let check = Self.balanceCheck(read.header, paidIn: paidIn, withdrawn: withdrawn)
                try StatementStore.finishImport(
                    db, id: importID, header: read.header, linesRead: read.lines, linesNew: newLines, paidIn: paidIn,
                    withdrawn: withdrawn, firstLine: first, lastLine: last, balanceCheck: check)
                return StatementFileImport(
                    file: name, sha256: sha, format: format.rawValue, importID: importID, lines: read.lines,
                    newLines: newLines, skippedDuplicates: read.lines - newLines,
                    openingBalance: read.header.openingBalance, closingBalance: read.header.closingBalance,
                    paidIn: paidIn, withdrawn: withdrawn, balanceCheck: check)
            }
        }
    }

    /// `ok` when opening + paid in − withdrawn = closing and the stated totals equal the lines' sums.
    public static func balanceCheck(_ header: StatementHeader, paidIn: Money, withdrawn: Money) -> String {
        guard let opening = header.openingBalance, let closing = header.closingBalance else { return "unknown" }
        let computed = opening.adding(paidIn)?.subtracting(withdrawn)
        let totalsAgree =
            (header.totalPaidIn.map { $0 == paidIn } ?? true) && (header.totalWithdrawn.map { $0 == withdrawn } ?? true)
        return computed == closing && totalsAgree ? "ok" : "mismatch"
    }
}

/// The SHA-256 of the file at `path`, read in 1 MiB chunks: the statement's provenance.
func statementFileSHA256(path: String) throws(StatementError) -> String {
    guard let file = FileHandle(forReadingAtPath: path) else {
        throw StatementError(code: .unreadable, message: "cannot open the statement file")
    }
    defer { try? file.close() }
    var digest = SHA256Hasher()
    while true {
        let data: Data
        do {
            data = try file.read(upToCount: 1 << 20) ?? Data()
        } catch {
            throw StatementError(code: .unreadable, message: "cannot read the statement file")
        }
        if data.isEmpty { break }
        digest.update(data)
    }
    return digest.finishHex()
}
