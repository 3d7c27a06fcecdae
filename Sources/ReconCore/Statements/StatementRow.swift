import Foundation

/// One cell as a reader found it: CSV gives text; XLSX gives text or a number in its stored decimal form.
public enum StatementCell: Sendable, Equatable {
    /// Nothing in the cell.
    case empty
    /// Text (CSV fields, shared or inline strings).
    case text(String)
    /// A number cell's literal, e.g. `45412.5` or `1500`: amounts and Excel serial dates.
    case number(String)

    /// The cell as text, trimmed; `""` for an empty cell.
    public var text: String {
        switch self {
        case .empty: ""
        case .text(let text): text.trimmingCharacters(in: .whitespacesAndNewlines)
        case .number(let literal): literal
        }
    }

    /// Whether the cell holds nothing but whitespace.
    public var isBlank: Bool { text.isEmpty }
}

/// One row of a statement file, cells by column index (0 is `A`).
public struct StatementRow: Sendable, Equatable {
    /// The row's number as a spreadsheet shows it (1-based; for CSV the physical record number).
    public var number: Int
    /// The cells from column `A` on; missing trailing cells are empty.
    public var cells: [StatementCell]

    /// A row.
    public init(number: Int, cells: [StatementCell]) {
        self.number = number
        self.cells = cells
    }

    /// The cell at `index`, empty past the end.
    public subscript(index: Int) -> StatementCell {
        index < cells.count ? cells[index] : .empty
    }

    /// Whether every cell is blank.
    public var isBlank: Bool { cells.allSatisfy(\.isBlank) }
}
