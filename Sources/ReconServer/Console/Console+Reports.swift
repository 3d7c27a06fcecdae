import Foundation
import Hummingbird
import Logging
import NIOCore
import ReconCore
import ReconPostgres
import ReconPresentation
import ReconReports
public import ServiceLifecycle

/// The reports page: ask for a period (written in the background), and download what `run` and the console wrote.
extension Console {
    /// A period folder's name, `2026-11-28_2026-11-29`.
    static func isPeriodFolder(_ name: String) -> Bool {
        let bytes = Array(name.utf8)
        guard bytes.count == 21, bytes[10] == UInt8(ascii: "_") else { return false }
        return (try? CivilDate(parsing: String(name.prefix(10)))) != nil
            && (try? CivilDate(parsing: String(name.suffix(10)))) != nil
    }

    /// A report file's name: letters, digits, `.`, `_`, `-`, never a path.
    static func isReportFile(_ name: String) -> Bool {
        !name.isEmpty && !name.hasPrefix(".")
            && name.unicodeScalars.allSatisfy {
                $0.isASCII && (CharacterSet.alphanumerics.contains($0) || "._-".unicodeScalars.contains($0))
            }
    }

    struct ReportFolder {
        var period: String
        var unmasked: Bool
        var written: Date
        var files: [(name: String, size: Int)]
    }

    /// The period folders under the reports directory (and its `unmasked/` when `includeUnmasked`), newest first.
    func reportFolders(includeUnmasked: Bool) -> [ReportFolder] {
        let fileManager = FileManager.default
        var roots = [(configuration.reportsDirectory, false)]
        if includeUnmasked {
            roots.append(((configuration.reportsDirectory as NSString).appendingPathComponent("unmasked"), true))
        }
        var folders: [ReportFolder] = []
        for (root, unmasked) in roots {
            let names = (try? fileManager.contentsOfDirectory(atPath: root)) ?? []
            for name in names where Self.isPeriodFolder(name) {
                let path = (root as NSString).appendingPathComponent(name)
                let entries = (try? fileManager.contentsOfDirectory(atPath: path)) ?? []
                var files: [(String, Int)] = []
                var written = Date.distantPast
                for entry in entries.sorted() where Self.isReportFile(entry) {
                    let attributes = try? fileManager.attributesOfItem(
                        atPath: (path as NSString).appendingPathComponent(entry))
                    guard (attributes?[.type] as? FileAttributeType) == .typeRegular else { continue }
                    files.append((entry, (attributes?[.size] as? Int) ?? 0))
                    if let modified = attributes?[.modificationDate] as? Date, modified > written { written = modified }
                }
                if !files.isEmpty {
                    // The workbook first: it is what finance opens.
                    files.sort { ($0.0.hasSuffix(".xlsx") ? 0 : 1, $0.0) < ($1.0.hasSuffix(".xlsx") ? 0 : 1, $1.0) }
                    folders.append(ReportFolder(period: name, unmasked: unmasked, written: written, files: files))
                }
            }
        }
        return folders.sorted { ($0.written, $0.period) > ($1.written, $1.period) }
    }

    func reports(_ request: Request, _ context: ConsoleRequestContext) async throws -> Response {
        let viewer = try Viewer(context.requireSession())
        let requests = try await pool.withConnection { db in
            try await db.run { db throws(PostgresError) in try ConsoleStore.reportRequests(db, limit: 20) }
        }
        let today = (try? EastAfricaTime.civilDate(of: Date())).map { "\($0)" } ?? ""
        let folders = reportFolders(includeUnmasked: viewer.isAdmin)
        return try await page(
            ReportsPage(today: today, requests: requests, folders: folders), title: "Reports", context)
    }

    func requestReport(_ request: Request, _ context: ConsoleRequestContext) async throws -> Response {
        let session = try context.requireSession()
        let form = try await request.decode(as: ReportRequestForm.self, context: context)
        let from = (form.from ?? "").trimmingSpaces()
        let to = (form.to ?? "").trimmingSpaces()
        let unmasked = form.unmasked == "1"
        let period: ReportPeriod
        do {
            period = try ReportPeriod(first: try CivilDate(parsing: from), last: try CivilDate(parsing: to))
        } catch {
            return Self.back("/console/reports", error: "Choose a period: \(error.message)")
        }
        guard period.days.count <= 366 else {
            return Self.back("/console/reports", error: "A report covers at most a year.")
        }
        guard !unmasked || ConsoleRole.admin.admits(session.account) else {
            return Self.back("/console/reports", error: "Only an admin may ask for full phone numbers.")
        }
        let acting = ActingAccount(account: session.account, channel: .console, origin: clientAddress(request, context))
        do {
            let queueing = try await pool.withConnection { db in
                try await db.withTransaction { db in
                    let queueing = try ConsoleStore.requestReport(
                        db, by: session.account.id, from: "\(period.first)", to: "\(period.last)", unmasked: unmasked)
                    if case .queued(let id) = queueing {
                        try UserStore.audit(
                            db, acting: acting, action: "report.request", subject: "report", subjectID: id,
                            detail: JSONText.object(["period": period.label, "phones": unmasked ? "full" : "masked"]))
                    }
                    return queueing
                }
            }
            switch queueing {
            case .queued(let id):
                return Self.back(
                    "/console/reports", notice: "Report \(id) for \(period) is being written; it appears below.")
            case .alreadyQueued(let id):
                return Self.back(
                    "/console/reports", notice: "Report \(id) for \(period) is already being written; it appears below."
                )
            case .accountBusy:
                return Self.back(
                    "/console/reports",
                    error: "You have \(ConsoleStore.reportsPerAccount) reports waiting; ask again when one is written.")
            case .queueFull:
                return Self.back("/console/reports", error: "The report queue is full; try again in a few minutes.")
            }
        } catch {
            return Self.back("/console/reports", error: "The report could not be requested. Try again.")
        }
    }

    /// A report file; the unmasked ones only behind the admin's ``ConsoleRoleMiddleware``.
    func download(_ request: Request, _ context: ConsoleRequestContext, unmasked: Bool) -> Response {
        let folder = context.parameters.get("folder") ?? ""
        let file = context.parameters.get("file") ?? ""
        var root = configuration.reportsDirectory
        if unmasked { root = (root as NSString).appendingPathComponent("unmasked") }
        let path = ((root as NSString).appendingPathComponent(folder) as NSString).appendingPathComponent(file)
        guard Self.isPeriodFolder(folder), Self.isReportFile(file),
            let data = FileManager.default.contents(atPath: path)
        else {
            return message(.notFound, title: "Not found", "No such report file.", viewer: context.viewer)
        }
        let type =
            file.hasSuffix(".xlsx")
            ? "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet" : "text/csv; charset=utf-8"
        var headers = Self.securityHeaders
        headers[.contentType] = type
        headers[.contentDisposition] = "attachment; filename=\"\(file)\""
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }
}

/// Writes the reports asked for in the console, one at a time, in the background of `serve` (never inside a
/// request). A request left `running` by a stopped server is not resumed: it shows as running until asked again.
public struct ConsoleReportWorker: Service {
    let pool: ConnectionPool
    let reportsDirectory: String
    let logger: Logger

    public func run() async throws {
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            var worked = false
            do {
                worked = try await runOne()
            } catch {
                logger.error("console report worker failed; retrying", metadata: ["recon.error": "\(type(of: error))"])
            }
            if !worked {
                try? await cancelWhenGracefulShutdown { try await Task.sleep(for: .milliseconds(500)) }
            }
        }
    }

    /// Writes the oldest queued report; `false` when none waits.
    func runOne() async throws -> Bool {
        let claimed = try await pool.withConnection { db in
            try await db.run { db throws(PostgresError) in try ConsoleStore.claimReport(db) }
        }
        guard let claimed else { return false }
        var folder: String?
        var failure: String?
        do {
            let period = try ReportPeriod(
                first: try CivilDate(parsing: claimed.from), last: try CivilDate(parsing: claimed.to))
            let options = ReportOptions(
                period: period, outputDirectory: reportsDirectory, maskPhoneNumbers: !claimed.unmasked)
            let outcome = try await pool.withConnection { db in
                try await ReportJob.write(options, on: db, logger: logger)
            }
            folder = outcome.directory
        } catch let error as ReportError {
            failure = error.message
        } catch {
            failure = "the report could not be written (\(type(of: error)))"
        }
        let finishedFolder = folder
        let finishedFailure = failure
        try await pool.withConnection { db in
            try await db.run { db throws(PostgresError) in
                try ConsoleStore.finishReport(
                    db, id: claimed.id, folder: finishedFolder, error: finishedFailure, now: Date())
            }
        }
        return true
    }
}
