internal import CLibPQ
public import Foundation
public import ReconCore

/// One row of a result, in PostgreSQL's text format, with typed accessors.
public struct PostgresRow: Sendable {
    /// Column names shared by every row of one result.
    public let columns: PostgresColumns
    /// The values; `nil` is SQL NULL.
    public let values: [String?]

    /// A row from column names and values (used by the connection and by tests).
    public init(columns: PostgresColumns, values: [String?]) {
        self.columns = columns
        self.values = values
    }

    /// The raw text of a column by position.
    public subscript(index: Int) -> String? { values.indices.contains(index) ? values[index] : nil }

    /// Decodes a non-NULL column by name; NULL or a bad value is a decoding error.
    public func decode<T: PostgresDecodable>(_ type: T.Type, _ column: String) throws(PostgresError) -> T {
        let index = try columns.index(of: column)
        guard let text = values[index] else {
            throw PostgresError(code: .decoding, message: "column \(column) is NULL, expected \(T.self)")
        }
        return try T.decode(text, column: column)
    }

    /// Decodes a column by name that may be NULL.
    public func decode<T: PostgresDecodable>(_ type: T?.Type, _ column: String) throws(PostgresError) -> T? {
        let index = try columns.index(of: column)
        guard let text = values[index] else { return nil }
        return try T.decode(text, column: column)
    }

    /// Decodes a non-NULL column by position.
    public func decode<T: PostgresDecodable>(_ type: T.Type, at index: Int) throws(PostgresError) -> T {
        guard values.indices.contains(index) else {
            throw PostgresError(code: .misuse, message: "column index \(index) is out of range")
        }
        guard let text = values[index] else {
            throw PostgresError(code: .decoding, message: "column \(index) is NULL, expected \(T.self)")
        }
        return try T.decode(text, column: String(index))
    }
}

/// One row of a result, read where libpq holds it: no value is copied until it is decoded. Valid only
/// inside the ``PostgresConnection/streamRows(_:_:)`` callback that receives it: the result is freed afterwards.
public struct StreamedRow {
    /// The `PGresult` holding the row (in single-row mode, the row alone).
    let result: OpaquePointer
    /// The row's position in `result`.
    var row: Int32 = 0
    /// Column names shared by every row of one result.
    public let columns: PostgresColumns

    /// The bytes of a column by position, `nil` for SQL NULL; text format, never containing NUL.
    func bytes(at index: Int) -> UnsafeBufferPointer<UInt8>? {
        let column = Int32(index)
        guard PQgetisnull(result, row, column) == 0, let value = PQgetvalue(result, row, column) else { return nil }
        return UnsafeBufferPointer(
            start: UnsafeRawPointer(value).assumingMemoryBound(to: UInt8.self),
            count: Int(PQgetlength(result, row, column)))
    }

    /// Decodes a column by position that may be NULL; `column` names it in errors.
    public func decode<T: PostgresDecodable>(
        _ type: T?.Type, at index: Int, column: String
    ) throws(PostgresError) -> T? {
        guard columns.names.indices.contains(index) else {
            throw PostgresError(code: .misuse, message: "column index \(index) is out of range")
        }
        guard let bytes = bytes(at: index) else { return nil }
        return try T.decode(bytes, column: column)
    }

    /// The row as values that outlive the callback.
    public func materialized() -> PostgresRow {
        PostgresRow(
            columns: columns,
            values: columns.names.indices.map { index in bytes(at: index).map { String(decoding: $0, as: UTF8.self) } })
    }
}

/// The column names of a result.
public final class PostgresColumns: Sendable {
    /// Names in result order.
    public let names: [String]

    /// Column names.
    public init(_ names: [String]) {
        self.names = names
    }

    /// The position of a column; a missing name is a programming error reported as `.misuse`.
    public func index(of name: String) throws(PostgresError) -> Int {
        guard let index = names.firstIndex(of: name) else {
            throw PostgresError(code: .misuse, message: "no column named \(name) in the result")
        }
        return index
    }
}

/// The rows of a finished statement and how many rows it touched.
public struct PostgresRows: Sendable, Sequence {
    /// The rows, in order.
    public let rows: [PostgresRow]
    /// Rows inserted, updated or deleted (from `PQcmdTuples`), or the number returned.
    public let affected: Int

    /// A result value.
    public init(rows: [PostgresRow], affected: Int) {
        self.rows = rows
        self.affected = affected
    }

    /// The only row, or `nil` when there is none.
    public var first: PostgresRow? { rows.first }

    public func makeIterator() -> IndexingIterator<[PostgresRow]> { rows.makeIterator() }
}

/// A Swift type readable from PostgreSQL's text format.
public protocol PostgresDecodable: Sendable {
    /// Decodes the text of one column.
    static func decode(_ text: String, column: String) throws(PostgresError) -> Self
    /// Decodes the text of one column as libpq holds it (UTF-8, no NUL), without making a `String` first where
    /// the type can; by default through ``decode(_:column:)-(String,_)``.
    static func decode(_ bytes: UnsafeBufferPointer<UInt8>, column: String) throws(PostgresError) -> Self
}

extension PostgresDecodable {
    public static func decode(_ bytes: UnsafeBufferPointer<UInt8>, column: String) throws(PostgresError) -> Self {
        try decode(String(decoding: bytes, as: UTF8.self), column: column)
    }

    /// The text path of a type whose parser reads bytes: one parser serves rows read in place and rows of Strings.
    static func decodeUTF8(_ text: String, column: String) throws(PostgresError) -> Self {
        var text = text
        let result: Result<Self, PostgresError> = text.withUTF8 { bytes in
            do throws(PostgresError) {
                return .success(try decode(bytes, column: column))
            } catch {
                return .failure(error)
            }
        }
        return try result.get()
    }

    static func failure(_ column: String) -> PostgresError {
        PostgresError(code: .decoding, message: "column \(column) is not a valid \(Self.self)")
    }
}

extension String: PostgresDecodable {
    public static func decode(_ text: String, column: String) throws(PostgresError) -> String { text }
}

/// A type read by one parser of libpq's bytes that returns `nil` for text it does not accept: rows read in place and
/// rows of `String`s go through the same parser.
public protocol PostgresParsedFromBytes: PostgresDecodable {
    /// The value of the UTF-8 text, or `nil` when it is not one.
    static func parse(_ bytes: UnsafeBufferPointer<UInt8>) -> Self?
}

extension PostgresParsedFromBytes {
    public static func decode(_ bytes: UnsafeBufferPointer<UInt8>, column: String) throws(PostgresError) -> Self {
        guard let value = parse(bytes) else { throw failure(column) }
        return value
    }

    public static func decode(_ text: String, column: String) throws(PostgresError) -> Self {
        try decodeUTF8(text, column: column)
    }
}

extension Int64: PostgresParsedFromBytes {
    /// `int2`/`int4`/`int8` text: an optional minus and decimal digits, within 64 bits.
    public static func parse(_ bytes: UnsafeBufferPointer<UInt8>) -> Int64? { PostgresNumber.integer(bytes) }
}

extension Int: PostgresParsedFromBytes {
    public static func parse(_ bytes: UnsafeBufferPointer<UInt8>) -> Int? {
        PostgresNumber.integer(bytes).flatMap(Int.init(exactly:))
    }
}

extension Bool: PostgresDecodable {
    public static func decode(_ text: String, column: String) throws(PostgresError) -> Bool {
        switch text {
        case "t", "true": return true
        case "f", "false": return false
        default: throw failure(column)
        }
    }
}

extension Money: PostgresDecodable {
    /// Reads `numeric` text exactly into minor units; more than two non-zero decimals is an error.
    public static func decode(_ text: String, column: String) throws(PostgresError) -> Money {
        do {
            return try Money.parse(text)
        } catch {
            throw PostgresError(code: .decoding, message: "column \(column) is not an amount: \(error)")
        }
    }

    /// `numeric` text as PostgreSQL writes it (`-1234.50`) read in place; anything else (grouping, `NaN`) takes the
    /// text path and its error.
    public static func decode(_ bytes: UnsafeBufferPointer<UInt8>, column: String) throws(PostgresError) -> Money {
        if let minorUnits = PostgresNumber.minorUnits(bytes) { return Money(minorUnits: minorUnits) }
        return try decode(String(decoding: bytes, as: UTF8.self), column: column)
    }
}

extension Date: PostgresParsedFromBytes {
    /// `timestamptz` text as the session (UTC, ISO) prints it.
    public static func parse(_ bytes: UnsafeBufferPointer<UInt8>) -> Date? { PostgresTime.parse(bytes) }
}

extension UUID: PostgresDecodable {
    public static func decode(_ text: String, column: String) throws(PostgresError) -> UUID {
        guard let value = UUID(uuidString: text) else { throw failure(column) }
        return value
    }
}

/// Number text as PostgreSQL writes it, read from bytes without allocating.
enum PostgresNumber {
    /// `-?[0-9]+` within 64 bits; `nil` otherwise.
    static func integer(_ bytes: UnsafeBufferPointer<UInt8>) -> Int64? {
        var rest = bytes[...]
        let negative = rest.first == UInt8(ascii: "-")
        if negative { rest = rest.dropFirst() }
        guard !rest.isEmpty else { return nil }
        var magnitude: UInt64 = 0
        for byte in rest {
            guard (0x30...0x39).contains(byte) else { return nil }
            let (times, o1) = magnitude.multipliedReportingOverflow(by: 10)
            let (plus, o2) = times.addingReportingOverflow(UInt64(byte - 0x30))
            if o1 || o2 { return nil }
            magnitude = plus
        }
        if negative {
            guard magnitude <= UInt64(Int64.max) + 1 else { return nil }
            return magnitude == UInt64(Int64.max) + 1 ? Int64.min : -Int64(magnitude)
        }
        return Int64(exactly: magnitude)
    }

    /// `-?[0-9]+(\.[0-9]+)?` as hundredths, when the decimals after the second are zeros and it fits in 64 bits;
    /// `nil` otherwise.
    static func minorUnits(_ bytes: UnsafeBufferPointer<UInt8>) -> Int64? {
        let dot = bytes.firstIndex(of: UInt8(ascii: "."))
        guard let whole = integer(UnsafeBufferPointer(rebasing: bytes[..<(dot ?? bytes.endIndex)])) else {
            return nil
        }
        var cents: Int64 = 0
        if let dot {
            let decimals = bytes[(dot + 1)...]
            guard !decimals.isEmpty else { return nil }
            for (position, byte) in decimals.enumerated() {
                guard (0x30...0x39).contains(byte) else { return nil }
                if position < 2 {
                    cents = cents * 10 + Int64(byte - 0x30)
                } else if byte != 0x30 {
                    return nil
                }
            }
            if decimals.count == 1 { cents *= 10 }
        }
        let negative = bytes.first == UInt8(ascii: "-")
        let (scaled, o1) = whole.multipliedReportingOverflow(by: 100)
        let (total, o2) = scaled.addingReportingOverflow(negative ? -cents : cents)
        return o1 || o2 ? nil : total
    }
}
