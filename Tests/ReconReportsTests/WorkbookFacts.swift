import Foundation
import ReconTestSupport
import Testing

/// What openpyxl, an independent reader, finds in a workbook (see check_xlsx.py).
struct WorkbookFacts: Decodable {
    struct Sheet: Decodable, Equatable {
        let name: String
        let freezePanes: String?
        let autoFilter: String?
        let widths: [String: Double]
        let cells: [String: Cell]
        let orientation: String?
        let fitToWidth: Int?
        let fitToHeight: Int?
        /// Whether "fit to page" scaling is on (without it, fitToWidth is ignored by Excel).
        let fitToPage: Bool
        /// E.g. `1:1`: the rows printed again at the top of every page.
        let printTitleRows: String?
        let header: String?
        let footer: String?
    }

    struct Cell: Decodable, Equatable {
        let dataType: String
        let pythonType: String
        let value: String?
        let cached: String?
        let numberFormat: String
        let bold: Bool
    }

    let sheets: [Sheet]
    let properties: [String: String?]

    /// Reads `path` with check_xlsx.py; python3 with openpyxl must be on PATH.
    static func read(_ path: String) throws -> WorkbookFacts {
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("check_xlsx.py")
        let output = try ProcessRunner.runBlocking(
            URL(fileURLWithPath: "/usr/bin/env"), ["python3", script.path, path])
        try #require(output.status == 0, "check_xlsx.py failed (is openpyxl installed?): \(output.stderr)")
        return try JSONDecoder().decode(WorkbookFacts.self, from: Data(output.stdout.utf8))
    }
}

extension WorkbookFacts {
    /// The sheet with this tab name.
    func sheet(_ name: String) throws -> Sheet {
        try #require(sheets.first { $0.name == name }, "no sheet named \(name)")
    }
}
