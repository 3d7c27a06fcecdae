import ReconCore
import ReconStatements

/// Reads the rows of an XLSX workbook's first sheet: the sheet named first in `xl/workbook.xml` (through its
/// relationship), shared strings from `xl/sharedStrings.xml`, inline strings, numbers as their stored literal.
/// Cells go by their reference (`C7`), so skipped empty cells land in the right column.
struct XLSXRowReader {
    /// Streams every row of the first sheet to `emit`.
    static func read(path: String, emit: (StatementRow) throws(StatementError) -> Void) throws(StatementError) {
        let archive = try ZipArchive(path: path)
        let sheetPath = try firstSheetPath(archive)
        var shared: [String] = []
        if archive.entries["xl/sharedStrings.xml"] != nil {
            shared = try sharedStrings(archive)
        }
        var scanner = XMLScanner()
        var builder = SheetRowBuilder(sharedStrings: shared)
        try archive.read(sheetPath) { chunk throws(StatementError) in
            try scanner.feed(chunk) { event throws(StatementError) in try builder.handle(event, emit: emit) }
        }
        try scanner.finish()
    }

    static func firstSheetPath(_ archive: ZipArchive) throws(StatementError) -> String {
        let fallback = "xl/worksheets/sheet1.xml"
        guard archive.entries["xl/workbook.xml"] != nil else { return fallback }
        var relationshipID: String?
        var scanner = XMLScanner()
        try archive.read("xl/workbook.xml") { chunk throws(StatementError) in
            try scanner.feed(chunk) { event throws(StatementError) in
                if relationshipID == nil, case .start(let name, let attributes, _) = event, name == "sheet" {
                    relationshipID = attributes.first { $0.0 == "id" }?.1
                }
            }
        }
        guard let relationshipID, archive.entries["xl/_rels/workbook.xml.rels"] != nil else { return fallback }
        var target: String?
        var relsScanner = XMLScanner()
        try archive.read("xl/_rels/workbook.xml.rels") { chunk throws(StatementError) in
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

    static func sharedStrings(_ archive: ZipArchive) throws(StatementError) -> [String] {
        var strings: [String] = []
        var current: [UInt8] = []
        var inText = false
        var inPhonetic = false
        var scanner = XMLScanner()
        try archive.read("xl/sharedStrings.xml") { chunk throws(StatementError) in
            try scanner.feed(chunk) { event throws(StatementError) in
                switch event {
                case .start(let name, _, let selfClosing):
                    switch name {
                    case "si": if !selfClosing { current.removeAll(keepingCapacity: true) } else { strings.append("") }
                    case "t": inText = !selfClosing && !inPhonetic
                    case "rPh": inPhonetic = !selfClosing
                    default: break
                    }
                case .end(let name):
                    switch name {
                    case "si": strings.append(String(decoding: current, as: UTF8.self))
                    case "t": inText = false
                    case "rPh": inPhonetic = false
                    default: break
                    }
                case .text(let bytes):
                    if inText { current.append(contentsOf: bytes) }
                }
            }
        }
        try scanner.finish()
        return strings
    }
}

/// Builds rows from a worksheet's XML events.
struct SheetRowBuilder {
    let sharedStrings: [String]
    private var rowNumber = 0
    private var cells: [StatementCell] = []
    private var nextColumn = 0
    private var column = 0
    private var type = "n"
    private var value: [UInt8] = []
    private var collecting = false
    private var inCell = false
    private var inPhonetic = false

    init(sharedStrings: [String]) {
        self.sharedStrings = sharedStrings
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
                rowNumber = stated ?? rowNumber + 1
                cells.removeAll(keepingCapacity: true)
                nextColumn = 0
                if selfClosing { try emit(StatementRow(number: rowNumber, cells: [])) }
            case "c":
                column = attributes.first { $0.0 == "r" }.flatMap { Self.columnIndex($0.1) } ?? nextColumn
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
                try place(cellValue())
            case "row":
                try emit(StatementRow(number: rowNumber, cells: cells))
                cells.removeAll(keepingCapacity: true)
            default: break
            }
        case .text(let bytes):
            if collecting { value.append(contentsOf: bytes) }
        }
    }

    private func cellValue() throws(StatementError) -> StatementCell {
        guard !value.isEmpty else { return .empty }
        let text = String(decoding: value, as: UTF8.self)
        switch type {
        case "s":
            guard let index = Int(text), index >= 0, index < sharedStrings.count else {
                throw StatementError(
                    code: .unreadable,
                    message: "row \(rowNumber): a cell names shared string \(text), which is missing",
                    row: rowNumber)
            }
            return .text(sharedStrings[index])
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
