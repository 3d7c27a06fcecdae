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
}

extension PostgresDecodable {
    static func failure(_ column: String) -> PostgresError {
        PostgresError(code: .decoding, message: "column \(column) is not a valid \(Self.self)")
    }
}

extension String: PostgresDecodable {
    public static func decode(_ text: String, column: String) throws(PostgresError) -> String { text }
}

extension Int64: PostgresDecodable {
    public static func decode(_ text: String, column: String) throws(PostgresError) -> Int64 {
        guard let value = Int64(text) else { throw failure(column) }
        return value
    }
}

extension Int: PostgresDecodable {
    public static func decode(_ text: String, column: String) throws(PostgresError) -> Int {
        guard let value = Int(text) else { throw failure(column) }
        return value
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
}

extension Date: PostgresDecodable {
    /// Reads `timestamptz` text as the session (UTC, ISO) prints it.
    public static func decode(_ text: String, column: String) throws(PostgresError) -> Date {
        guard let date = PostgresTime.parse(text) else { throw failure(column) }
        return date
    }
}

extension UUID: PostgresDecodable {
    public static func decode(_ text: String, column: String) throws(PostgresError) -> UUID {
        guard let value = UUID(uuidString: text) else { throw failure(column) }
        return value
    }
}
