import Foundation
public import ReconCore
import SpreadsheetReader

/// The layouts a statement file comes in, told apart by its first bytes (a zip is XLSX), never by its name.
public enum StatementFileFormat: String, Sendable, Codable {
    /// Comma-separated text.
    case csv
    /// An Office Open XML workbook; the first sheet is read.
    case xlsx
}

/// Reads a statement file in chunks through ``StatementParser``: lines stream to a closure, the header comes back.
public enum StatementFile {
    /// What a file held besides its lines.
    public struct Summary: Sendable, Equatable {
        /// The layout.
        public var format: StatementFileFormat
        /// The header block (empty fields when the layout has none).
        public var header: StatementHeader
        /// Transaction lines read (charges and sweeps included).
        public var lines: Int
    }

    /// The format of the file at `path`.
    public static func format(path: String) throws(StatementError) -> StatementFileFormat {
        guard let file = FileHandle(forReadingAtPath: path) else {
            throw StatementError(code: .unreadable, message: "cannot open the statement file")
        }
        defer { try? file.close() }
        let magic = [UInt8]((try? file.read(upToCount: 4)) ?? Data())
        return magic == [0x50, 0x4B, 0x03, 0x04] ? .xlsx : .csv
    }

    /// Reads every line of the file at `path`, in file order, handing each to `line`; a file past `limits` stops
    /// with a ``StatementError/Code/limitExceeded`` error naming the limit.
    public static func read(
        path: String, limits: StatementLimits = .standard, line: (StatementLine) throws -> Void
    ) throws -> Summary {
        let format = try format(path: path)
        var parser = StatementParser()
        var count = 0
        var pending: (any Error)?
        let consume: (StatementRow) throws(StatementError) -> Void = { row throws(StatementError) in
            guard pending == nil, let parsed = try parser.consume(row) else { return }
            count += 1
            do {
                try line(parsed)
            } catch {
                // The caller's own failure (a database error) stops the read and is rethrown as it was.
                pending = error
            }
        }
        switch format {
        case .xlsx:
            try XLSXRowReader.read(path: path, limits: limits, emit: consume)
        case .csv:
            guard let file = FileHandle(forReadingAtPath: path) else {
                throw StatementError(code: .unreadable, message: "cannot open the statement file")
            }
            defer { try? file.close() }
            var splitter = CSVRowSplitter(limits: limits)
            while pending == nil {
                let data: Data
                do {
                    data = try file.read(upToCount: 1 << 16) ?? Data()
                } catch {
                    throw StatementError(code: .unreadable, message: "cannot read the statement file")
                }
                if data.isEmpty { break }
                try splitter.feed(data, emit: consume)
            }
            try splitter.finish(emit: consume)
        }
        if let pending { throw pending }
        try parser.finish()
        return Summary(format: format, header: parser.header, lines: count)
    }
}
