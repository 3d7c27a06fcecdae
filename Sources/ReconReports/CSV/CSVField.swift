public import Foundation
public import ReconCore

/// One typed CSV field.
public enum CSVField: Sendable, Hashable {
    /// Text; quoted when it holds `,` `"` CR or LF, and prefixed with `'` when it starts with `=` `+` `-` `@`
    /// tab or CR, so that a spreadsheet opening the file never runs it as a formula.
    case text(String)
    /// A whole number, e.g. `-42`; never neutralised.
    case integer(Int64)
    /// Shillings as a plain decimal with two places and no grouping, e.g. `-1234.50` (`Money.decimalString`);
    /// never neutralised.
    case money(Money)
    /// An instant in East Africa Time, as the writer's ``CSVDateTimeStyle`` says (`2026-11-29T09:35:54+03:00` or
    /// `2026-11-29 09:35:54`); fractions of a second are dropped.
    case dateTime(Date)
    /// A calendar day, e.g. `2026-11-29`.
    case date(CivilDate)
    /// An empty field.
    case empty
}

/// How a CSV file is written.
public struct CSVOptions: Sendable {
    /// `fsync` the file before closing it, so a completed report survives a power cut (default `false`).
    public var syncOnClose: Bool
    /// Start the file with a UTF-8 byte order mark, which older Excel needs to read non-ASCII text
    /// (default `false`: RFC 4180 has none).
    public var byteOrderMark: Bool
    /// Bytes gathered before each `write(2)` (default 64 KiB; at least 64).
    public var bufferCapacity: Int
    /// How date-times are written.
    public var dateTimeStyle: CSVDateTimeStyle

    /// Options; the defaults give plain RFC 4180 UTF-8.
    public init(
        syncOnClose: Bool = false, byteOrderMark: Bool = false, bufferCapacity: Int = 65_536,
        dateTimeStyle: CSVDateTimeStyle = .iso8601
    ) {
        self.syncOnClose = syncOnClose
        self.byteOrderMark = byteOrderMark
        self.bufferCapacity = bufferCapacity
        self.dateTimeStyle = dateTimeStyle
    }
}

/// How a CSV writes a date-time, always in East Africa Time.
public enum CSVDateTimeStyle: Sendable {
    /// `2026-11-29T09:35:54+03:00`: unambiguous for programs.
    case iso8601
    /// `2026-11-29 09:35:54`: what Excel and LibreOffice read as a date-time; the column's header says EAT.
    case spreadsheet
}
