public import ReconCore

/// Reads the rows of an XLSX workbook's first sheet: the sheet named first in `xl/workbook.xml` (through its
/// relationship), shared strings from `xl/sharedStrings.xml`, inline strings, numbers as their stored literal.
/// Cells go by their reference (`C7`), so skipped empty cells land in the right column. Every part, string, cell and
/// row is bounded by ``StatementLimits``.
public struct XLSXRowReader {
    /// Streams every row of the first sheet to `emit`.
    public static func read(
        path: String, limits: StatementLimits = .standard, emit: (StatementRow) throws(StatementError) -> Void
    ) throws(StatementError) {
        let archive = try ZipArchive(path: path, limits: limits)
        let sheetPath = try firstSheetPath(archive, limits: limits)
        var shared = SharedStrings()
        if archive.entries["xl/sharedStrings.xml"] != nil {
            shared = try sharedStrings(archive, limits: limits)
        }
        var scanner = XMLScanner(limits: limits)
        var builder = SheetRowBuilder(sharedStrings: shared, limits: limits)
        try archive.read(sheetPath, part: "sheet") { chunk throws(StatementError) in
            try scanner.feed(chunk) { event throws(StatementError) in try builder.handle(event, emit: emit) }
        }
        try scanner.finish()
    }

    static func firstSheetPath(_ archive: ZipArchive, limits: StatementLimits) throws(StatementError) -> String {
        let fallback = "xl/worksheets/sheet1.xml"
        guard archive.entries["xl/workbook.xml"] != nil else { return fallback }
        var relationshipID: String?
        var scanner = XMLScanner(limits: limits)
        try archive.read("xl/workbook.xml", part: "workbook") { chunk throws(StatementError) in
            try scanner.feed(chunk) { event throws(StatementError) in
                if relationshipID == nil, case .start(let name, let attributes, _) = event, name == "sheet" {
                    relationshipID = attributes.first { $0.0 == "id" }?.1
                }
            }
        }
        guard let relationshipID, archive.entries["xl/_rels/workbook.xml.rels"] != nil else { return fallback }
        var target: String?
        var relsScanner = XMLScanner(limits: limits)
        try archive.read("xl/_rels/workbook.xml.rels", part: "workbook relationships") { chunk throws(StatementError) in
            try relsScanner.feed(chunk) { event throws(StatementError) in
                if case .start(let name, let attributes, _) = event, name == "Relationship",
                    attributes.contains(where: { $0.0 == "Id" && $0.1 == relationshipID })
                {
                    target = attributes.first { $0.0 == "Target" }?.1
                }
            }
        }
        guard let target else { return fallback }
        let path = target.hasPrefix("/") ? String(target.dropFirst()) : "xl/" + target
        return archive.entries[path] != nil ? path : fallback
    }

    static func sharedStrings(_ archive: ZipArchive, limits: StatementLimits) throws(StatementError) -> SharedStrings {
        var strings = SharedStrings()
        var current = 0
        var inText = false
        var inPhonetic = false
        var scanner = XMLScanner(limits: limits)
        func close() throws(StatementError) {
            guard strings.count < limits.sharedStrings else {
                throw StatementLimits.exceeded(
                    "the statement holds more shared strings than", StatementLimits.count(limits.sharedStrings))
            }
            strings.close()
            current = 0
        }
        try archive.read("xl/sharedStrings.xml", part: "shared-string table") { chunk throws(StatementError) in
            try scanner.feed(chunk) { event throws(StatementError) in
                switch event {
                case .start(let name, _, let selfClosing):
                    switch name {
                    case "si":
                        strings.discardOpen()
                        current = 0
                        if selfClosing { try close() }
                    case "t": inText = !selfClosing && !inPhonetic
                    case "rPh": inPhonetic = !selfClosing
                    default: break
                    }
                case .end(let name):
                    switch name {
                    case "si": try close()
                    case "t": inText = false
                    case "rPh": inPhonetic = false
                    default: break
                    }
                case .text(let bytes):
                    guard inText else { return }
                    current += bytes.count
                    guard current <= limits.bytesPerCell else {
                        throw StatementLimits.exceeded(
                            "a shared string of the statement holds more than",
                            StatementLimits.size(limits.bytesPerCell))
                    }
                    guard strings.bytes.count + bytes.count <= limits.sharedStringBytes else {
                        throw StatementLimits.exceeded(
                            "the statement's shared strings hold more than",
                            StatementLimits.size(limits.sharedStringBytes))
                    }
                    strings.bytes.append(contentsOf: bytes)
                }
            }
        }
        try scanner.finish()
        return strings
    }
}

/// An XLSX's shared strings, their UTF-8 back to back in one buffer: a million short strings cost their bytes and an
/// offset each, not an allocation each.
struct SharedStrings {
    /// Every string's bytes, in order.
    var bytes: [UInt8] = []
    /// Where each string ends in ``bytes``.
    private var ends: [Int] = []

    var count: Int { ends.count }

    /// Ends the string being appended to ``bytes``.
    mutating func close() { ends.append(bytes.count) }

    /// Drops the bytes of a string never ended (an `<si>` left open), as a new one starts.
    mutating func discardOpen() { bytes.removeSubrange((ends.last ?? 0)...) }

    /// The string at `index`, or nil when there is none.
    func string(at index: Int) -> String? {
        guard index >= 0, index < ends.count else { return nil }
        let start = index == 0 ? 0 : ends[index - 1]
        return String(decoding: bytes[start..<ends[index]], as: UTF8.self)
    }
}

/// Builds rows from a worksheet's XML events.
struct SheetRowBuilder {
    let sharedStrings: SharedStrings
    let limits: StatementLimits
    private var rowNumber = 0
    /// Text bytes of the row's cells so far.
    private var rowBytes = 0
    private var cells: [StatementCell] = []
    private var nextColumn = 0
    private var column = 0
    private var type = "n"
    private var value: [UInt8] = []
    private var collecting = false
    private var inCell = false
    private var inPhonetic = false
    private var rowsSeen = 0

    init(sharedStrings: SharedStrings, limits: StatementLimits = .standard) {
        self.sharedStrings = sharedStrings
        self.limits = limits
    }

    /// `A` → 0, `AB` → 27; `nil` when the reference has no letters.
    static func columnIndex(_ reference: String) -> Int? {
        var index = 0
        var letters = 0
        for byte in reference.utf8 {
            guard byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z") else { break }
            index = index * 26 + Int(byte - UInt8(ascii: "A") + 1)
            letters += 1
        }
        return letters == 0 || letters > 3 ? nil : index - 1
    }

    mutating func handle(
        _ event: XMLEvent, emit: (StatementRow) throws(StatementError) -> Void
    ) throws(StatementError) {
        switch event {
        case .start(let name, let attributes, let selfClosing):
            switch name {
            case "row":
                let stated = attributes.first { $0.0 == "r" }.flatMap { Int($0.1) }
                // Rows are counted, and row numbers bounded, by one limit: a row number past it means as many rows.
                let number = stated ?? rowNumber + 1
                guard rowsSeen < limits.rowsPerFile, number <= limits.rowsPerFile else {
                    throw StatementLimits.exceeded(
                        "the statement holds more rows than", StatementLimits.count(limits.rowsPerFile))
                }
                rowsSeen += 1
                rowNumber = number
                cells.removeAll(keepingCapacity: true)
                rowBytes = 0
                nextColumn = 0
                if selfClosing { try emit(StatementRow(number: rowNumber, cells: [])) }
            case "c":
                column = attributes.first { $0.0 == "r" }.flatMap { Self.columnIndex($0.1) } ?? nextColumn
                guard column < limits.cellsPerRow else {
                    throw StatementLimits.exceeded(
                        "row \(rowNumber) holds more cells than", StatementLimits.count(limits.cellsPerRow),
                        row: rowNumber)
                }
                type = attributes.first { $0.0 == "t" }?.1 ?? "n"
                value.removeAll(keepingCapacity: true)
                inCell = !selfClosing
                if selfClosing { place(.empty) }
            case "v", "t":
                collecting = inCell && !selfClosing && !inPhonetic
            case "rPh":
                inPhonetic = !selfClosing
            default: break
            }
        case .end(let name):
            switch name {
            case "v", "t": collecting = false
            case "rPh": inPhonetic = false
            case "c":
                inCell = false
                let cell = try cellValue()
                switch cell {
                case .empty: break
                case .text(let text), .number(let text): rowBytes += text.utf8.count
                }
                guard rowBytes <= limits.bytesPerRow else {
                    throw StatementLimits.exceeded(
                        "row \(rowNumber) holds more text than", StatementLimits.size(limits.bytesPerRow),
                        row: rowNumber)
                }
                place(cell)
            case "row":
                try emit(StatementRow(number: rowNumber, cells: cells))
                cells.removeAll(keepingCapacity: true)
            default: break
            }
        case .text(let bytes):
            guard collecting else { return }
            guard value.count + bytes.count <= limits.bytesPerCell else {
                throw StatementLimits.exceeded(
                    "row \(rowNumber): a cell holds more than", StatementLimits.size(limits.bytesPerCell),
                    row: rowNumber)
            }
            value.append(contentsOf: bytes)
        }
    }

    private func cellValue() throws(StatementError) -> StatementCell {
        guard !value.isEmpty else { return .empty }
        let text = String(decoding: value, as: UTF8.self)
        switch type {
        case "s":
            guard let index = Int(text), let string = sharedStrings.string(at: index) else {
                throw StatementError(
                    code: .unreadable,
                    message: "row \(rowNumber): a cell names shared string \(text), which is missing",
                    row: rowNumber)
            }
            return .text(string)
        case "inlineStr", "str", "e": return .text(text)
        case "b": return .text(text == "1" ? "TRUE" : "FALSE")
        default: return .number(text)
        }
    }

    private mutating func place(_ cell: StatementCell) {
        if column >= cells.count {
            cells.append(contentsOf: repeatElement(StatementCell.empty, count: column - cells.count + 1))
        }
        cells[column] = cell
        nextColumn = column + 1
    }
}
