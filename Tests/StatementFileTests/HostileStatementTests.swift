import CZlib
import Foundation
import ReconApp
import ReconCore
import Testing

/// A zip file as a hostile sender would write one: true local headers and data, and a central directory that may
/// state other numbers (zip64 sizes and offsets near 2^64) than the data has.
struct HostileZip {
    struct Part {
        var name: String
        /// 0 stored, 8 deflated.
        var method: UInt16 = 0
        /// The bytes after the local header, as stored.
        var data: [UInt8]
        var crc: UInt32
        var size: UInt64
        /// Stated in the central directory's zip64 field instead of the true numbers.
        var statedSize: UInt64?
        var statedCompressedSize: UInt64?
        var statedOffset: UInt64?

        /// A stored part holding `text`.
        init(_ name: String, stored text: String) {
            self.name = name
            data = Array(text.utf8)
            crc = data.withUnsafeBufferPointer { UInt32(crc32(0, $0.baseAddress, uInt($0.count))) }
            size = UInt64(data.count)
        }

        /// A deflated part: `stream` from ``deflated(_:repeating:times:_:)``.
        init(_ name: String, deflated stream: (data: [UInt8], crc: UInt32, size: UInt64)) {
            self.name = name
            method = 8
            data = stream.data
            crc = stream.crc
            size = stream.size
        }
    }

    var parts: [Part]
    /// A zip64 end record stating these instead of the true directory numbers (nil: the true ones).
    var zip64Count: UInt64?
    var zip64DirectoryOffset: UInt64?
    /// The zip64 locator's pointer to the end record, instead of the true one.
    var zip64RecordOffset: UInt64?

    private static func le(_ value: some FixedWidthInteger, _ bytes: inout [UInt8]) {
        withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) }
    }

    func write(to path: String) throws {
        var out: [UInt8] = []
        var offsets: [UInt64] = []
        for part in parts {
            offsets.append(UInt64(out.count))
            Self.le(UInt32(0x0403_4b50), &out)
            Self.le(UInt16(45), &out)
            Self.le(UInt16(0), &out)
            Self.le(part.method, &out)
            Self.le(UInt32(0), &out)
            Self.le(part.crc, &out)
            Self.le(UInt32(truncatingIfNeeded: min(UInt64(part.data.count), 0xFFFF_FFFF)), &out)
            Self.le(UInt32(truncatingIfNeeded: min(part.size, 0xFFFF_FFFF)), &out)
            Self.le(UInt16(part.name.utf8.count), &out)
            Self.le(UInt16(0), &out)
            out.append(contentsOf: part.name.utf8)
            out.append(contentsOf: part.data)
        }
        let directoryOffset = UInt64(out.count)
        for (part, offset) in zip(parts, offsets) {
            var extra: [UInt8] = []
            for value in [part.statedSize, part.statedCompressedSize, part.statedOffset] {
                if let value { Self.le(value, &extra) }
            }
            Self.le(UInt32(0x0201_4b50), &out)
            Self.le(UInt16(45), &out)
            Self.le(UInt16(45), &out)
            Self.le(UInt16(0), &out)
            Self.le(part.method, &out)
            Self.le(UInt32(0), &out)
            Self.le(part.crc, &out)
            Self.le(part.statedCompressedSize == nil ? UInt32(part.data.count) : 0xFFFF_FFFF, &out)
            Self.le(part.statedSize == nil ? UInt32(truncatingIfNeeded: part.size) : 0xFFFF_FFFF, &out)
            Self.le(UInt16(part.name.utf8.count), &out)
            Self.le(UInt16(extra.isEmpty ? 0 : extra.count + 4), &out)
            Self.le(UInt32(0), &out)  // comment length, disk
            Self.le(UInt16(0), &out)  // internal attributes
            Self.le(UInt32(0), &out)  // external attributes
            Self.le(part.statedOffset == nil ? UInt32(offset) : 0xFFFF_FFFF, &out)
            out.append(contentsOf: part.name.utf8)
            if !extra.isEmpty {
                Self.le(UInt16(1), &out)
                Self.le(UInt16(extra.count), &out)
                out.append(contentsOf: extra)
            }
        }
        let directorySize = UInt64(out.count) - directoryOffset
        let zip64 = zip64Count != nil || zip64DirectoryOffset != nil || zip64RecordOffset != nil
        if zip64 {
            let recordOffset = UInt64(out.count)
            Self.le(UInt32(0x0606_4b50), &out)
            Self.le(UInt64(44), &out)
            Self.le(UInt32(0x002D_002D), &out)  // made by, needed
            Self.le(UInt64(0), &out)  // disks
            Self.le(UInt64(parts.count), &out)
            Self.le(zip64Count ?? UInt64(parts.count), &out)
            Self.le(directorySize, &out)
            Self.le(zip64DirectoryOffset ?? directoryOffset, &out)
            Self.le(UInt32(0x0706_4b50), &out)
            Self.le(UInt32(0), &out)
            Self.le(zip64RecordOffset ?? recordOffset, &out)
            Self.le(UInt32(1), &out)
        }
        Self.le(UInt32(0x0605_4b50), &out)
        Self.le(UInt32(0), &out)
        Self.le(zip64 ? 0xFFFF : UInt16(parts.count), &out)
        Self.le(zip64 ? 0xFFFF : UInt16(parts.count), &out)
        Self.le(zip64 ? 0xFFFF_FFFF : UInt32(directorySize), &out)
        Self.le(zip64 ? 0xFFFF_FFFF : UInt32(directoryOffset), &out)
        Self.le(UInt16(0), &out)
        try Data(out).write(to: URL(fileURLWithPath: path))
    }
}

/// Raw deflate of `prefix`, `unit` `times` over and `suffix`, streamed through zlib: a 600 MiB part costs its
/// compressed bytes (about 600 KB) and never sits inflated in memory.
func deflated(
    _ prefix: String, repeating unit: [UInt8], times: Int, _ suffix: String
) throws -> (data: [UInt8], crc: UInt32, size: UInt64) {
    let stream = UnsafeMutablePointer<z_stream>.allocate(capacity: 1)
    stream.initialize(to: z_stream())
    defer {
        deflateEnd(stream)
        stream.deinitialize(count: 1)
        stream.deallocate()
    }
    try #require(czlib_deflate_init_raw(stream, 6, Z_DEFAULT_STRATEGY) == Z_OK)
    var out: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 1 << 16)
    var crc = crc32(0, nil, 0)
    var size: UInt64 = 0
    func feed(_ piece: [UInt8], flush: Int32) {
        var piece = piece
        crc = piece.withUnsafeBufferPointer { crc32(crc, $0.baseAddress, uInt($0.count)) }
        size += UInt64(piece.count)
        piece.withUnsafeMutableBufferPointer { input in
            stream.pointee.next_in = input.baseAddress
            stream.pointee.avail_in = uInt(input.count)
            var status = Z_OK
            repeat {
                let written = buffer.withUnsafeMutableBufferPointer { output -> Int in
                    stream.pointee.next_out = output.baseAddress
                    stream.pointee.avail_out = uInt(output.count)
                    status = deflate(stream, flush)
                    return output.count - Int(stream.pointee.avail_out)
                }
                out.append(contentsOf: buffer[0..<written])
            } while stream.pointee.avail_in > 0 || (flush == Z_FINISH && status != Z_STREAM_END)
        }
    }
    feed(Array(prefix.utf8), flush: Z_NO_FLUSH)
    for _ in 0..<times { feed(unit, flush: Z_NO_FLUSH) }
    feed(Array(suffix.utf8), flush: Z_FINISH)
    return (out, UInt32(crc), size)
}

/// The error reading the statement at `path` under `limits`, or nil when it reads.
func statementError(_ path: String, limits: StatementLimits = .standard) -> StatementError? {
    do {
        _ = try StatementFile.read(path: path, limits: limits) { _ in }
        return nil
    } catch let error as StatementError {
        return error
    } catch {
        return StatementError(code: .unreadable, message: "unexpected: \(error)")
    }
}

/// The standard limits with a cell's and the shared strings' text unbounded, so the compression ratio behind them
/// shows.
let withoutTextCaps: StatementLimits = {
    var limits = StatementLimits.standard
    limits.bytesPerCell = .max
    limits.bytesPerRow = .max
    limits.sharedStringBytes = .max
    return limits
}()

let sheetXML = #"<worksheet><sheetData><row r="1"><c r="A1" t="s"><v>0</v></c></row></sheetData></worksheet>"#

/// How a bomb's 600 MiB of one character is laid out in its XML.
enum BombText: CaseIterable, Sendable {
    /// One text node.
    case oneRun
    /// Rich-text runs of 1 MiB each (`<r><t>…</t></r>`), which the reader joins into one string.
    case richTextRuns

    /// `prefix`, 600 MiB of `a` as this layout puts it, `suffix`, deflated.
    func deflate(_ prefix: String, _ suffix: String) throws -> (data: [UInt8], crc: UInt32, size: UInt64) {
        let mebibyte = 1 << 20
        switch self {
        case .oneRun:
            return try deflated(
                prefix + "<t>", repeating: [UInt8](repeating: UInt8(ascii: "a"), count: mebibyte), times: 600,
                "</t>" + suffix)
        case .richTextRuns:
            let unit =
                Array("<r><t>".utf8) + [UInt8](repeating: UInt8(ascii: "a"), count: mebibyte - 15)
                + Array("</t></r>".utf8)
            return try deflated(prefix, repeating: unit, times: 600, suffix)
        }
    }
}

@Suite struct HostileStatementTests {
    @Test(arguments: BombText.allCases)
    func aSharedStringThatInflatesTo600MiBStopsAtALimit(_ layout: BombText) throws {
        try withTemporaryFile("bomb.xlsx") { path in
            let strings = try layout.deflate("<sst><si>", "</si></sst>")
            #expect(strings.data.count < 2 << 20)
            try HostileZip(parts: [
                .init("xl/worksheets/sheet1.xml", stored: sheetXML),
                .init("xl/sharedStrings.xml", deflated: strings),
            ]).write(to: path)
            let error = statementError(path)
            #expect(error?.code == .limitExceeded)
            #expect(error?.description == "a shared string of the statement holds more than 96 KiB (limit)")
            // Behind the text caps, the part stops at the compression ratio, still early.
            #expect(
                statementError(path, limits: withoutTextCaps)?.description
                    == "the statement's shared-string table inflates to more than 200 times its compressed size (limit)"
            )
        }
    }

    @Test(arguments: BombText.allCases)
    func anInlineStringCellThatInflatesTo600MiBStopsAtALimit(_ layout: BombText) throws {
        try withTemporaryFile("bomb.xlsx") { path in
            let sheet = try layout.deflate(
                #"<worksheet><sheetData><row r="1"><c r="A1" t="inlineStr"><is>"#,
                "</is></c></row></sheetData></worksheet>")
            try HostileZip(parts: [.init("xl/worksheets/sheet1.xml", deflated: sheet)]).write(to: path)
            let error = statementError(path)
            #expect(error?.code == .limitExceeded)
            #expect(error?.description == "row 1: a cell holds more than 96 KiB (limit)")
            #expect(error?.row == 1)
            #expect(
                statementError(path, limits: withoutTextCaps)?.description
                    == "the statement's sheet inflates to more than 200 times its compressed size (limit)")
        }
    }

    @Test func aCSVRowOf96MiEmptyCellsStopsAtTheCellsPerRowLimit() throws {
        try withTemporaryFile("bomb.csv") { path in
            #expect(FileManager.default.createFile(atPath: path, contents: nil))
            let file = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
            let commas = Data(repeating: UInt8(ascii: ","), count: 1 << 20)
            for _ in 0..<96 { try file.write(contentsOf: commas) }
            try file.close()
            let error = statementError(path)
            #expect(error?.code == .limitExceeded)
            #expect(error?.description == "row 1 holds more cells than 1 024 (limit)")
        }
    }

    /// Numbers a zip file states near 2^64, each once where it would overflow an unchecked `+`.
    enum Zip64Lie: CaseIterable, Sendable {
        case uncompressedSize, compressedSize, localHeaderOffset, directoryOffset, endRecordOffset, entryCount
    }

    @Test(arguments: Zip64Lie.allCases)
    func zip64NumbersNear2To64AreRefusedWithoutATrap(_ lie: Zip64Lie) throws {
        let huge = UInt64.max - 20
        var sheet = HostileZip.Part("xl/worksheets/sheet1.xml", stored: sheetXML)
        var zip = HostileZip(parts: [])
        let expected: String
        switch lie {
        case .uncompressedSize:
            (sheet.statedSize, sheet.statedCompressedSize) = (huge, huge)
            expected = "the statement's sheet inflates past 1 GiB (limit)"
        case .compressedSize:
            (sheet.statedSize, sheet.statedCompressedSize) = (sheet.size, huge)
            expected = "the XLSX is not a valid zip file: xl/worksheets/sheet1.xml runs past the end"
        case .localHeaderOffset:
            sheet.statedOffset = huge
            expected = "the XLSX is not a valid zip file: xl/worksheets/sheet1.xml starts past the end"
        case .directoryOffset:
            zip.zip64DirectoryOffset = huge
            expected = "the XLSX is not a valid zip file: directory out of bounds"
        case .endRecordOffset:
            zip.zip64RecordOffset = huge
            expected = "the XLSX is not a valid zip file: zip64 end record out of bounds"
        case .entryCount:
            zip.zip64Count = huge
            expected = "the XLSX holds more zip entries than 4 096 (limit)"
        }
        zip.parts = [sheet]
        let error = try withTemporaryFile("zip64.xlsx") { path in
            try zip.write(to: path)
            return statementError(path)
        }
        #expect(error?.description == expected)
    }

    @Test func aPartIsCountedAsItInflatesNotTakenAtItsWord() throws {
        var limits = StatementLimits.standard
        limits.bytesPerPart = 1 << 10
        var sheet = HostileZip.Part(
            "xl/worksheets/sheet1.xml",
            stored: "<worksheet><sheetData>" + String(repeating: "<row/>", count: 400) + "</sheetData></worksheet>")
        // The directory claims 100 bytes; the data holds 2 446.
        sheet.statedSize = 100
        let error = try withTemporaryFile("lies.xlsx") { path in
            try HostileZip(parts: [sheet]).write(to: path)
            return statementError(path, limits: limits)
        }
        #expect(error?.description == "the statement's sheet inflates past 1 KiB (limit)")
    }

    @Test func sharedStringsAreBoundedInNumberAndInTotalSize() throws {
        var limits = StatementLimits.standard
        limits.sharedStrings = 3
        limits.sharedStringBytes = 20
        func error(_ strings: String) throws -> StatementError? {
            try withTemporaryFile("strings.xlsx") { path in
                try HostileZip(parts: [
                    .init("xl/worksheets/sheet1.xml", stored: sheetXML),
                    .init("xl/sharedStrings.xml", stored: "<sst>\(strings)</sst>"),
                ]).write(to: path)
                return statementError(path, limits: limits)
            }
        }
        #expect(
            try error("<si/><si><t>a</t></si><si/><si/>")?.description
                == "the statement holds more shared strings than 3 (limit)")
        #expect(
            try error("<si><t>0123456789</t></si><si><t>0123456789x</t></si>")?.description
                == "the statement's shared strings hold more than 20 bytes (limit)")
        // Within both: the sheet reads (and, having no table, says so).
        #expect(try error("<si><t>Account</t></si>")?.code == .noTable)
        // An <si> left open leaves nothing in the next string: string 0 is the table's header cell alone.
        #expect(try error("<si><t>junk</t><si><t>Receipt No.</t></si>")?.code == .missingColumn)
    }

    @Test func sheetRowsAndCellsAreBounded() throws {
        var limits = StatementLimits.standard
        limits.cellsPerRow = 26
        limits.bytesPerRow = 100
        limits.rowsPerFile = 3
        limits.xmlTokenBytes = 1 << 10
        func error(_ rows: String) throws -> StatementError? {
            try withTemporaryFile("sheet.xlsx") { path in
                try HostileZip(parts: [
                    .init("xl/worksheets/sheet1.xml", stored: "<worksheet><sheetData>\(rows)</sheetData></worksheet>")
                ]).write(to: path)
                return statementError(path, limits: limits)
            }
        }
        func inline(_ reference: String, _ text: String) -> String {
            #"<c r="\#(reference)" t="inlineStr"><is><t>\#(text)</t></is></c>"#
        }
        #expect(
            try error(#"<row r="1">\#(inline("AA1", "x"))</row>"#)?.description
                == "row 1 holds more cells than 26 (limit)")
        let sixty = String(repeating: "x", count: 60)
        #expect(
            try error(#"<row r="2">\#(inline("A2", sixty))\#(inline("B2", sixty))</row>"#)?.description
                == "row 2 holds more text than 100 bytes (limit)")
        #expect(try error("<row/><row/><row/><row/>")?.description == "the statement holds more rows than 3 (limit)")
        #expect(try error(#"<row r="4"/>"#)?.description == "the statement holds more rows than 3 (limit)")
        #expect(
            try error(#"<row r="1" x="\#(String(repeating: "y", count: 2000))"/>"#)?.description
                == "the XLSX holds an XML tag, comment or CDATA section longer than 1 KiB (limit)")
        // A row number at Int.max is refused, not incremented into a trap.
        #expect(
            try error(#"<row r="9223372036854775807"/><row/>"#)?.description
                == "the statement holds more rows than 3 (limit)")
    }

    @Test func csvRowsAndCellsAreBounded() throws {
        var limits = StatementLimits.standard
        limits.bytesPerCell = 64
        limits.bytesPerRow = 100
        limits.rowsPerFile = 3
        func error(_ csv: String) throws -> StatementError? {
            try withTemporaryFile("rows.csv") { path in
                try Data(csv.utf8).write(to: URL(fileURLWithPath: path))
                return statementError(path, limits: limits)
            }
        }
        let fifty = String(repeating: "x", count: 50)
        #expect(
            try error("a,b\n\"\(fifty)\(fifty)\"\n")?.description == "row 2: a cell holds more than 64 bytes (limit)")
        #expect(try error("a\n\(fifty),\(fifty),x\n")?.description == "row 2 holds more text than 100 bytes (limit)")
        #expect(try error("a\nb\nc\nd\n")?.description == "the statement holds more rows than 3 (limit)")
    }
}
