public import ReconCore

/// Splits CSV bytes (RFC 4180: quoted fields, doubled quotes, CRLF or LF, a UTF-8 byte-order mark) into rows, fed in
/// chunks of any size, so a file of any length streams through a fixed buffer.
public struct CSVRowSplitter: Sendable {
    private var field: [UInt8] = []
    private var cells: [StatementCell] = []
    private var inQuotes = false
    private var quoteSeen = false
    private var afterQuote = false
    private var pendingCR = false
    private var atStart = true
    private var bomChecked = 0
    private var rowNumber = 0

    /// A splitter at the start of a file.
    public init() {}

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
                    field.append(byte)
                }
                continue
            }
            switch byte {
            case 0x22:  // "
                if afterQuote {
                    // A doubled quote inside a quoted field.
                    field.append(0x22)
                    inQuotes = true
                    afterQuote = false
                } else if field.allSatisfy({ $0 == 0x20 }) && !quoteSeen {
                    field.removeAll()
                    inQuotes = true
                    quoteSeen = true
                } else {
                    field.append(byte)
                }
            case 0x2C:  // ,
                endField()
            case 0x0D:
                pendingCR = true
                try endRow(emit)
            case 0x0A:
                try endRow(emit)
            default:
                afterQuote = false
                field.append(byte)
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

    private mutating func endField() {
        let text = String(decoding: field, as: UTF8.self)
        cells.append(text.isEmpty ? .empty : .text(text))
        field.removeAll(keepingCapacity: true)
        quoteSeen = false
        afterQuote = false
    }

    private mutating func endRow(_ emit: (StatementRow) throws(StatementError) -> Void) throws(StatementError) {
        endField()
        rowNumber += 1
        let row = StatementRow(number: rowNumber, cells: cells)
        cells.removeAll(keepingCapacity: true)
        try emit(row)
    }
}
