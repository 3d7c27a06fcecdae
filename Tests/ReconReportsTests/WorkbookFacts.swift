import Foundation
import Testing

/// What openpyxl, an independent reader, finds in a workbook (see check_xlsx.py).
struct WorkbookFacts: Decodable {
    struct Sheet: Decodable {
        let name: String
        let freezePanes: String?
        let autoFilter: String?
        let widths: [String: Double]
        let cells: [String: Cell]
    }

    struct Cell: Decodable {
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
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", script.path, path]
        let output = Pipe()
        let errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        try process.run()
        // Read before waiting so a large output cannot fill the pipe and stall the script.
        let data = output.fileHandleForReading.readDataToEndOfFile()
        let errorText = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        try #require(process.terminationStatus == 0, "check_xlsx.py failed (is openpyxl installed?): \(errorText)")
        return try JSONDecoder().decode(WorkbookFacts.self, from: data)
    }
}

extension WorkbookFacts {
    /// The sheet with this tab name.
    func sheet(_ name: String) throws -> Sheet {
        try #require(sheets.first { $0.name == name }, "no sheet named \(name)")
    }
}
