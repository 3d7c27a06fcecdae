public import Foundation
public import ReconCore

/// How people read amounts and times in the CLI's tables: thousands separators, East Africa Time.
public enum Display {
    /// `1,234.50` (the currency is in the column's header).
    public static func amount(_ money: Money) -> String {
        let text = money.description
        return text.hasPrefix("KES ") ? String(text.dropFirst(4)) : text
    }

    /// `2026-12-01 08:05 EAT`.
    public static func time(_ date: Date) -> String {
        let c = Array(EastAfricaTime.compactTimestamp(date))
        guard c.count == 14 else { return String(c) }
        return
            "\(String(c[0..<4]))-\(String(c[4..<6]))-\(String(c[6..<8])) \(String(c[8..<10])):\(String(c[10..<12])) EAT"
    }

    /// A cell cut to `width` characters, ending with `…` when cut.
    public static func cut(_ text: String, _ width: Int) -> String {
        guard text.count > width else { return text }
        guard width > 1 else { return "…" }
        return String(text.prefix(width - 1)) + "…"
    }
}

extension TextTable {
    /// The table fitted into `width` columns: the widest of the `shrinkable` columns are narrowed first (to no less
    /// than 6 characters), and every cut cell ends with `…`. `nil` width: every cell whole (`--wide`).
    public func render(fittingIn width: Int?, shrinkable: Set<Int>) -> String {
        guard let width else { return render() }
        var widths = header.map(\.count)
        for row in rows {
            for (index, cell) in row.enumerated() where index < widths.count {
                widths[index] = max(widths[index], cell.count)
            }
        }
        var total = widths.reduce(0, +) + 2 * max(0, widths.count - 1)
        while total > width {
            guard
                let widest = widths.indices.filter({ shrinkable.contains($0) && widths[$0] > 6 })
                    .max(by: { widths[$0] < widths[$1] })
            else { break }
            widths[widest] -= 1
            total -= 1
        }
        let cutHeader = header.enumerated().map { Display.cut($1, widths[$0]) }
        let cutRows = rows.map { row in row.enumerated().map { $0 < widths.count ? Display.cut($1, widths[$0]) : $1 } }
        return TextTable(header: cutHeader, rows: cutRows).render()
    }
}
