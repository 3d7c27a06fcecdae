import Foundation
import ReconDemo
import ReconTestSupport
import Testing

/// How the demo's workbook prints, as finance would print it: checked with openpyxl, and with
/// LibreOffice's own PDF export when LibreOffice is installed (`soffice` on PATH; `make test` installs it).
@Suite("The demo's workbook prints")
struct DemoPrintTests {
    @Test("every sheet landscape, one page wide, header row repeated; at most 8 pages as LibreOffice prints it")
    func demoWorkbookPrints() async throws {
        let name = "recon_demo_\(UUID().uuidString.prefix(8).lowercased())"
        let reports = FileManager.default.temporaryDirectory.appendingPathComponent("demo-print-\(name)")
        let result = try await DemoRunner.run(
            DemoOptions(
                adminURL: TestDatabase.adminURL, database: name, migrationsDirectory: TestDatabase.migrationsDirectory,
                reportsDirectory: reports.path)
        ) { _ in }
        try await TestDatabase(settings: TestDatabase.settings(database: name), name: name).drop()
        defer { try? FileManager.default.removeItem(at: reports) }
        let workbook = try #require(result.reports.first { $0.hasSuffix(".xlsx") })

        let script = """
            import sys, openpyxl
            wb = openpyxl.load_workbook(sys.argv[1])
            for ws in wb.worksheets:
                ps = ws.page_setup
                fit = ws.sheet_properties.pageSetUpPr
                print(ws.title, ps.orientation, ps.fitToWidth or 1, ps.fitToHeight, bool(fit and fit.fitToPage),
                      ws.print_title_rows)
            """
        let facts = try ProcessRunner.runBlocking(
            URL(fileURLWithPath: "/usr/bin/env"), ["python3", "-c", script, workbook])
        try #require(facts.status == 0, "openpyxl failed: \(facts.stderr)")
        let lines = facts.stdout.split(separator: "\n")
        #expect(lines.count == 6)  // Summary, Settled, Exceptions, Refunds, Pending, Statement
        for line in lines {
            #expect(line.hasSuffix(" landscape 1 0 True $1:$1"), "\(line)")
        }

        guard let soffice = Self.which("soffice") else { return }
        let folder = reports.appendingPathComponent("pdf")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let converted = try ProcessRunner.runBlocking(
            URL(fileURLWithPath: soffice),
            [
                "-env:UserInstallation=file://\(folder.path)/profile", "--headless", "--convert-to", "pdf", "--outdir",
                folder.path, workbook,
            ])
        try #require(converted.status == 0, "soffice failed: \(converted.stderr)")
        let pdf = folder.appendingPathComponent(
            URL(fileURLWithPath: workbook).deletingPathExtension().lastPathComponent + ".pdf")
        let pages = try Self.pageCount(Data(contentsOf: pdf))
        #expect(pages >= 5 && pages <= 8, "the demo's workbook prints on \(pages) pages")
    }

    /// The number of `/Type /Page` objects (not `/Pages`) in a PDF.
    static func pageCount(_ pdf: Data) throws -> Int {
        let text = String(decoding: pdf, as: UTF8.self)
        var count = 0
        var rest = text[...]
        while let range = rest.range(of: "/Type") {
            rest = rest[range.upperBound...]
            let after = rest.drop { $0 == " " || $0 == "\n" || $0 == "\r" }
            if after.hasPrefix("/Page"), !after.hasPrefix("/Pages") { count += 1 }
        }
        return count
    }

    static func which(_ program: String) -> String? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        for folder in path.split(separator: ":") {
            let candidate = "\(folder)/\(program)"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return nil
    }
}
