/// A plain-text table: a header and rows, columns padded to their widest cell and separated by two spaces.
public struct TextTable: Sendable, Equatable {
    /// The column titles.
    public var header: [String]
    /// The cells, one array per row, as many as the header.
    public var rows: [[String]]

    /// A table.
    public init(header: [String], rows: [[String]]) {
        self.header = header
        self.rows = rows
    }

    /// The table as lines; the last column is not padded.
    public func render() -> String {
        var widths = header.map(\.count)
        for row in rows {
            for (index, cell) in row.enumerated() where index < widths.count {
                widths[index] = max(widths[index], cell.count)
            }
        }
        func line(_ cells: [String]) -> String {
            cells.enumerated().map { index, cell in
                guard index < cells.count - 1, index < widths.count else { return cell }
                return cell + String(repeating: " ", count: max(0, widths[index] - cell.count))
            }.joined(separator: "  ")
        }
        return ([line(header)] + rows.map(line)).joined(separator: "\n")
    }
}
