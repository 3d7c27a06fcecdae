public import Foundation
public import ReconCore

/// A SQL statement whose interpolated values become bound parameters (`$1`, `$2`, …), never SQL text.
///
/// ```swift
/// let q: SQLQuery = "SELECT id FROM payments WHERE checkout_request_id = \(checkoutID)"
/// ```
/// Text that must be spliced in as SQL needs the explicit ``init(unsafeSQL:binds:)``.
public struct SQLQuery: Sendable, ExpressibleByStringInterpolation, CustomStringConvertible {
    /// The SQL text with `$n` placeholders.
    public private(set) var sql: String
    /// The parameters in text form; `nil` is SQL NULL.
    public private(set) var binds: [String?]

    /// Raw SQL, for statements built from trusted constants (migrations, identifiers); values still bind.
    public init(unsafeSQL sql: String, binds: [(any SQLBindable)?] = []) {
        self.sql = sql
        self.binds = binds.map { $0?.sqlText }
    }

    public init(stringLiteral value: String) {
        self.sql = value
        self.binds = []
    }

    public init(stringInterpolation: StringInterpolation) {
        self.sql = stringInterpolation.sql
        self.binds = stringInterpolation.binds
    }

    /// Builds SQL text and binds: literals are SQL, interpolations are parameters.
    public struct StringInterpolation: StringInterpolationProtocol {
        var sql = ""
        var binds: [String?] = []

        public init(literalCapacity: Int, interpolationCount: Int) {
            sql.reserveCapacity(literalCapacity + interpolationCount * 3)
            binds.reserveCapacity(interpolationCount)
        }

        public mutating func appendLiteral(_ literal: String) {
            sql += literal
        }

        /// A bound parameter.
        public mutating func appendInterpolation(_ value: some SQLBindable) {
            binds.append(value.sqlText)
            sql += "$\(binds.count)"
        }

        /// A bound parameter that may be NULL.
        public mutating func appendInterpolation(_ value: (some SQLBindable)?) {
            binds.append(value?.sqlText)
            sql += "$\(binds.count)"
        }

        /// Trusted SQL text written in the program itself (a column list, a lock clause): a `StaticString`, so
        /// it can never carry a value from outside.
        public mutating func appendInterpolation(unescaped fragment: StaticString) {
            sql += fragment.description
        }

        /// Another query's text and parameters, e.g. a shared `WHERE` condition: its `$n` are renumbered after
        /// the parameters already bound here.
        public mutating func appendInterpolation(_ fragment: SQLQuery) {
            sql += SQLQuery.renumber(fragment.sql, by: binds.count)
            binds += fragment.binds
        }
    }

    /// `sql` with each `$n` placeholder shifted by `offset`. Fragments come from ``StringInterpolation``, whose
    /// literal text is the program's own, so a `$` followed by digits is always a placeholder there.
    static func renumber(_ sql: String, by offset: Int) -> String {
        guard offset > 0 else { return sql }
        var out = ""
        out.reserveCapacity(sql.utf8.count + 8)
        var digits = ""
        var inPlaceholder = false
        for character in sql {
            if inPlaceholder, let digit = character.wholeNumberValue, character.isASCII {
                digits.append(String(digit))
                continue
            }
            if inPlaceholder {
                out += digits.isEmpty ? "$" : "$\((Int(digits) ?? 0) + offset)"
                inPlaceholder = false
                digits = ""
            }
            if character == "$" {
                inPlaceholder = true
            } else {
                out.append(character)
            }
        }
        if inPlaceholder { out += digits.isEmpty ? "$" : "$\((Int(digits) ?? 0) + offset)" }
        return out
    }

    /// The SQL text only: bind values are never printed.
    public var description: String { sql }
}

/// A Swift value that can be sent to PostgreSQL as a text-format parameter.
public protocol SQLBindable: Sendable {
    /// The value in PostgreSQL's text input format.
    var sqlText: String { get }
}

extension String: SQLBindable {
    public var sqlText: String { self }
}

extension Substring: SQLBindable {
    public var sqlText: String { String(self) }
}

extension Int: SQLBindable {
    public var sqlText: String { String(self) }
}

extension Int64: SQLBindable {
    public var sqlText: String { String(self) }
}

extension Int32: SQLBindable {
    public var sqlText: String { String(self) }
}

extension Bool: SQLBindable {
    public var sqlText: String { self ? "t" : "f" }
}

extension Money: SQLBindable {
    /// Plain decimal text that `numeric` reads exactly.
    public var sqlText: String { decimalString }
}

extension UUID: SQLBindable {
    public var sqlText: String { uuidString.lowercased() }
}

extension Date: SQLBindable {
    /// UTC ISO-8601 with microseconds, the resolution of `timestamptz`.
    public var sqlText: String { PostgresTime.format(self) }
}

/// Bytes bound as `bytea` (hex input form), e.g. a callback body exactly as received.
public struct SQLBytes: SQLBindable {
    /// The raw bytes.
    public var bytes: [UInt8]

    /// Wraps bytes.
    public init(_ bytes: [UInt8]) {
        self.bytes = bytes
    }

    public var sqlText: String {
        let digits: [UInt8] = Array("0123456789abcdef".utf8)
        var out = [UInt8](repeating: 0, count: 2 + bytes.count * 2)
        out[0] = UInt8(ascii: "\\")
        out[1] = UInt8(ascii: "x")
        for (index, byte) in bytes.enumerated() {
            out[2 + index * 2] = digits[Int(byte >> 4)]
            out[3 + index * 2] = digits[Int(byte & 0x0f)]
        }
        return String(decoding: out, as: UTF8.self)
    }
}
