/// Splits CSV bytes (RFC 4180: quoted fields, doubled quotes, CRLF or LF, a UTF-8 byte-order mark) into rows, fed in
/// chunks of any size, so a file of any length streams through a fixed buffer: a cell, a row's cells and a row's
/// bytes are bounded by ``StatementLimits``.
public struct CSVRowSplitter: Sendable {
    private let limits: StatementLimits
    private var field: [UInt8] = []
    /// Bytes of the finished cells of the row being read.
    private var rowBytes = 0
    private var cells: [StatementCell] = []
    private var inQuotes = false
    private var quoteSeen = false
    private var afterQuote = false
    private var pendingCR = false
    private var atStart = true
    private var bomChecked = 0
    private var rowNumber = 0

    /// A splitter at the start of a file.
    public init(limits: StatementLimits = .standard) {
        self.limits = limits
    }

    /// Feeds bytes; `emit` gets every row completed by them.
    public mutating func feed(
        _ bytes: some Sequence<UInt8>, emit: (StatementRow) throws(StatementError) -> Void
    ) throws(StatementError) {
        for byte in bytes {
            if bomChecked < 3 {
                // Skip EF BB BF at the very start.
                let bom: [UInt8] = [0xEF, 0xBB, 0xBF]
                if atStart && byte == bom[bomChecked] && field.count == bomChecked {
                    bomChecked += 1
                    field.append(byte)
                    if bomChecked == 3 { field.removeAll() }
                    continue
                }
                bomChecked = 3
            }
            atStart = false
            if pendingCR {
                pendingCR = false
                if byte == 0x0A { continue }
            }
            if inQuotes {
                if byte == 0x22 {
                    inQuotes = false
                    afterQuote = true
                } else {
                    try append(byte)
                }
                continue
            }
            switch byte {
            case 0x22:  // "
                if afterQuote {
                    // A doubled quote inside a quoted field.
                    try append(0x22)
                    inQuotes = true
                    afterQuote = false
                } else if field.allSatisfy({ $0 == 0x20 }) && !quoteSeen {
                    field.removeAll()
                    inQuotes = true
                    quoteSeen = true
                } else {
                    try append(byte)
                }
            case 0x2C:  // ,
                try endField()
            case 0x0D:
                pendingCR = true
                try endRow(emit)
            case 0x0A:
                try endRow(emit)
            default:
                afterQuote = false
                try append(byte)
            }
        }
    }

    /// Ends the file: a last row without a line break is still a row; an open quote is an error.
    public mutating func finish(emit: (StatementRow) throws(StatementError) -> Void) throws(StatementError) {
        if inQuotes {
            throw StatementError(
                code: .unreadable, message: "row \(rowNumber + 1): a quoted field is never closed", row: rowNumber + 1)
        }
        if !field.isEmpty || !cells.isEmpty || quoteSeen { try endRow(emit) }
    }

    private mutating func append(_ byte: UInt8) throws(StatementError) {
        guard field.count < limits.bytesPerCell else {
            throw StatementLimits.exceeded(
                "row \(rowNumber + 1): a cell holds more than", StatementLimits.size(limits.bytesPerCell),
                row: rowNumber + 1)
        }
        field.append(byte)
    }

    private mutating func endField() throws(StatementError) {
        guard cells.count < limits.cellsPerRow else {
            throw StatementLimits.exceeded(
                "row \(rowNumber + 1) holds more cells than", StatementLimits.count(limits.cellsPerRow),
                row: rowNumber + 1)
        }
        rowBytes += field.count
        guard rowBytes <= limits.bytesPerRow else {
            throw StatementLimits.exceeded(
                "row \(rowNumber + 1) holds more text than", StatementLimits.size(limits.bytesPerRow),
                row: rowNumber + 1)
        }
        let text = String(decoding: field, as: UTF8.self)
        cells.append(text.isEmpty ? .empty : .text(text))
        field.removeAll(keepingCapacity: true)
        quoteSeen = false
        afterQuote = false
    }

    private mutating func endRow(_ emit: (StatementRow) throws(StatementError) -> Void) throws(StatementError) {
        try endField()
        guard rowNumber < limits.rowsPerFile else {
            throw StatementLimits.exceeded(
                "the statement holds more rows than", StatementLimits.count(limits.rowsPerFile))
        }
        rowNumber += 1
        let row = StatementRow(number: rowNumber, cells: cells)
        cells.removeAll(keepingCapacity: true)
        rowBytes = 0
        try emit(row)
    }
}
