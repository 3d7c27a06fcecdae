/// A JSON value that keeps every number as the exact text it was written with.
///
/// Daraja amounts (`1.00`) and dates (`20221117155745`) must never pass through `Double`, and Foundation's
/// `JSONSerialization` hands numbers over as `NSNumber`/`Double`. This small strict parser keeps the literal, so
/// `Money.parse` sees `1.00` and an Int64 date stays digits. It never traps: every malformed input, invalid UTF-8,
/// a lone surrogate, a duplicate key or nesting deeper than ``JSON/maximumDepth`` is a thrown ``DarajaError``.
enum JSON: Sendable, Hashable {
    case object([Member])
    case array([JSON])
    case string(String)
    /// The literal text of a number, already checked against JSON's number grammar.
    case number(String)
    case bool(Bool)
    case null

    /// One `"key": value` pair; order is kept as received.
    struct Member: Sendable, Hashable {
        var key: String
        var value: JSON
    }

    /// Deeper bodies are refused so that hostile input cannot exhaust the stack.
    static let maximumDepth = 64

    /// Parses one JSON text; a UTF-8 byte order mark and surrounding whitespace are allowed.
    static func parse(_ bytes: some Collection<UInt8>) throws(DarajaError) -> JSON {
        var parser = Parser(bytes: Array(bytes))
        return try parser.parseDocument()
    }

    /// The members of an object, `nil` for any other value.
    var members: [Member]? {
        if case .object(let members) = self { return members }
        return nil
    }

    /// The value of `key` in an object; `nil` when absent or when this is not an object.
    subscript(key: String) -> JSON? {
        members?.first { $0.key == key }?.value
    }

    /// A string's content or a number's literal text; `nil` for anything else.
    var scalarText: String? {
        switch self {
        case .string(let text), .number(let text): text
        default: nil
        }
    }

    /// An array's elements, or a lone object as a one-element list: Daraja sends `ResultParameter` either way.
    var elementsOrSingle: [JSON] {
        switch self {
        case .array(let elements): elements
        case .object: [self]
        default: []
        }
    }

    /// Compact UTF-8 serialisation, keys in the stored order; numbers are written as their literal text.
    func serialized() -> [UInt8] {
        var out: [UInt8] = []
        write(into: &out)
        return out
    }

    private func write(into out: inout [UInt8]) {
        switch self {
        case .object(let members):
            out.append(UInt8(ascii: "{"))
            for (index, member) in members.enumerated() {
                if index > 0 { out.append(UInt8(ascii: ",")) }
                JSON.writeString(member.key, into: &out)
                out.append(UInt8(ascii: ":"))
                member.value.write(into: &out)
            }
            out.append(UInt8(ascii: "}"))
        case .array(let elements):
            out.append(UInt8(ascii: "["))
            for (index, element) in elements.enumerated() {
                if index > 0 { out.append(UInt8(ascii: ",")) }
                element.write(into: &out)
            }
            out.append(UInt8(ascii: "]"))
        case .string(let text): JSON.writeString(text, into: &out)
        case .number(let text): out.append(contentsOf: text.utf8)
        case .bool(let value): out.append(contentsOf: (value ? "true" : "false").utf8)
        case .null: out.append(contentsOf: "null".utf8)
        }
    }

    private static func writeString(_ text: String, into out: inout [UInt8]) {
        let hex = Array("0123456789abcdef".utf8)
        out.append(UInt8(ascii: "\""))
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "\""): out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\"")])
            case UInt8(ascii: "\\"): out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\\")])
            case 0x0A: out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "n")])
            case 0x0D: out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "r")])
            case 0x09: out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "t")])
            case 0x00..<0x20:
                out.append(contentsOf: Array("\\u00".utf8))
                out.append(hex[Int(byte >> 4)])
                out.append(hex[Int(byte & 0x0F)])
            default: out.append(byte)
            }
        }
        out.append(UInt8(ascii: "\""))
    }
}

private struct Parser {
    let bytes: [UInt8]
    var index = 0
    var depth = 0

    init(bytes: [UInt8]) {
        self.bytes = bytes
    }

    mutating func parseDocument() throws(DarajaError) -> JSON {
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { index = 3 }
        skipWhitespace()
        guard index < bytes.count else { throw failure("the body is empty") }
        let value = try parseValue()
        skipWhitespace()
        guard index == bytes.count else { throw failure("unexpected text after the JSON value") }
        return value
    }

    private func failure(_ reason: String) -> DarajaError {
        DarajaError(.malformedJSON, reason: reason + " at byte \(index)")
    }

    private mutating func skipWhitespace() {
        while index < bytes.count {
            switch bytes[index] {
            case 0x20, 0x09, 0x0A, 0x0D: index += 1
            default: return
            }
        }
    }

    private mutating func parseValue() throws(DarajaError) -> JSON {
        guard index < bytes.count else { throw failure("the body ends where a value is expected") }
        switch bytes[index] {
        case UInt8(ascii: "{"): return try parseObject()
        case UInt8(ascii: "["): return try parseArray()
        case UInt8(ascii: "\""): return .string(try parseString())
        case UInt8(ascii: "t"):
            try expectLiteral("true")
            return .bool(true)
        case UInt8(ascii: "f"):
            try expectLiteral("false")
            return .bool(false)
        case UInt8(ascii: "n"):
            try expectLiteral("null")
            return .null
        case UInt8(ascii: "-"), 0x30...0x39: return .number(try parseNumber())
        default: throw failure("unexpected character")
        }
    }

    private mutating func expectLiteral(_ word: String) throws(DarajaError) {
        let expected = Array(word.utf8)
        guard bytes.count - index >= expected.count, Array(bytes[index..<(index + expected.count)]) == expected else {
            throw failure("unexpected character")
        }
        index += expected.count
    }

    private mutating func enter() throws(DarajaError) {
        depth += 1
        guard depth <= JSON.maximumDepth else { throw failure("the JSON is nested too deeply") }
    }

    /// Consumes `closer` when it comes next, leaving the object or array it ends.
    private mutating func leave(at closer: Unicode.Scalar) -> Bool {
        guard index < bytes.count, bytes[index] == UInt8(ascii: closer) else { return false }
        index += 1
        depth -= 1
        return true
    }

    /// After a member or element: a `,` means another follows (false); `closer` ends the `container` (true).
    private mutating func ends(at closer: Unicode.Scalar, of container: String) throws(DarajaError) -> Bool {
        skipWhitespace()
        guard index < bytes.count else { throw failure("the \(container) is not closed") }
        if bytes[index] == UInt8(ascii: ",") {
            index += 1
            return false
        }
        guard leave(at: closer) else { throw failure("expected ',' or '\(closer)'") }
        return true
    }

    private mutating func parseObject() throws(DarajaError) -> JSON {
        try enter()
        index += 1
        var members: [JSON.Member] = []
        var seen: Set<String> = []
        skipWhitespace()
        if leave(at: "}") { return .object(members) }
        while true {
            skipWhitespace()
            guard index < bytes.count, bytes[index] == UInt8(ascii: "\"") else { throw failure("expected a key") }
            let key = try parseString()
            // A repeated key makes the body ambiguous (which ResultCode counts?), so it is refused outright.
            guard seen.insert(key).inserted else { throw failure("a key appears twice in one object") }
            skipWhitespace()
            guard index < bytes.count, bytes[index] == UInt8(ascii: ":") else { throw failure("expected ':'") }
            index += 1
            skipWhitespace()
            members.append(JSON.Member(key: key, value: try parseValue()))
            if try ends(at: "}", of: "object") { return .object(members) }
        }
    }

    private mutating func parseArray() throws(DarajaError) -> JSON {
        try enter()
        index += 1
        var elements: [JSON] = []
        skipWhitespace()
        if leave(at: "]") { return .array(elements) }
        while true {
            skipWhitespace()
            elements.append(try parseValue())
            if try ends(at: "]", of: "array") { return .array(elements) }
        }
    }

    private mutating func parseString() throws(DarajaError) -> String {
        index += 1
        var buffer: [UInt8] = []
        while index < bytes.count {
            let byte = bytes[index]
            switch byte {
            case UInt8(ascii: "\""):
                index += 1
                guard let text = String(validating: buffer, as: UTF8.self) else {
                    throw failure("a string is not valid UTF-8")
                }
                return text
            case UInt8(ascii: "\\"):
                index += 1
                try parseEscape(into: &buffer)
            case 0x00..<0x20:
                throw failure("a string contains a control character")
            default:
                buffer.append(byte)
                index += 1
            }
        }
        throw failure("a string is not closed")
    }

    private mutating func parseEscape(into buffer: inout [UInt8]) throws(DarajaError) {
        guard index < bytes.count else { throw failure("a string is not closed") }
        let byte = bytes[index]
        index += 1
        switch byte {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): buffer.append(byte)
        case UInt8(ascii: "b"): buffer.append(0x08)
        case UInt8(ascii: "f"): buffer.append(0x0C)
        case UInt8(ascii: "n"): buffer.append(0x0A)
        case UInt8(ascii: "r"): buffer.append(0x0D)
        case UInt8(ascii: "t"): buffer.append(0x09)
        case UInt8(ascii: "u"):
            var scalarValue = try parseHex4()
            if (0xD800...0xDBFF).contains(scalarValue) {
                guard bytes.count - index >= 2, bytes[index] == UInt8(ascii: "\\"),
                    bytes[index + 1] == UInt8(ascii: "u")
                else { throw failure("a lone surrogate in a string") }
                index += 2
                let low = try parseHex4()
                guard (0xDC00...0xDFFF).contains(low) else { throw failure("a lone surrogate in a string") }
                scalarValue = 0x10000 + ((scalarValue - 0xD800) << 10) + (low - 0xDC00)
            }
            // U+0000 is no text anyone sends on purpose, and PostgreSQL text cannot hold it: the body is malformed.
            guard scalarValue != 0 else { throw failure("a string contains U+0000") }
            guard let scalar = Unicode.Scalar(scalarValue) else { throw failure("a lone surrogate in a string") }
            buffer.append(contentsOf: String(Character(scalar)).utf8)
        default:
            throw failure("an unknown escape in a string")
        }
    }

    private mutating func parseHex4() throws(DarajaError) -> UInt32 {
        guard bytes.count - index >= 4 else { throw failure("a short \\u escape") }
        var value: UInt32 = 0
        for _ in 0..<4 {
            let byte = bytes[index]
            let digit: UInt32
            switch byte {
            case 0x30...0x39: digit = UInt32(byte - 0x30)
            case 0x41...0x46: digit = UInt32(byte - 0x41 + 10)
            case 0x61...0x66: digit = UInt32(byte - 0x61 + 10)
            default: throw failure("a bad \\u escape")
            }
            value = value << 4 | digit
            index += 1
        }
        return value
    }

    private mutating func parseNumber() throws(DarajaError) -> String {
        let start = index
        if bytes[index] == UInt8(ascii: "-") { index += 1 }
        guard index < bytes.count, isDigit(bytes[index]) else { throw failure("a malformed number") }
        if bytes[index] == 0x30 {
            index += 1
        } else {
            while index < bytes.count, isDigit(bytes[index]) { index += 1 }
        }
        if index < bytes.count, bytes[index] == UInt8(ascii: ".") {
            index += 1
            guard index < bytes.count, isDigit(bytes[index]) else { throw failure("a malformed number") }
            while index < bytes.count, isDigit(bytes[index]) { index += 1 }
        }
        if index < bytes.count, bytes[index] == UInt8(ascii: "e") || bytes[index] == UInt8(ascii: "E") {
            index += 1
            if index < bytes.count, bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-") {
                index += 1
            }
            guard index < bytes.count, isDigit(bytes[index]) else { throw failure("a malformed number") }
            while index < bytes.count, isDigit(bytes[index]) { index += 1 }
        }
        // Every byte accepted above is ASCII, so this decoding is exact.
        return String(decoding: bytes[start..<index], as: UTF8.self)
    }

    private func isDigit(_ byte: UInt8) -> Bool { (0x30...0x39).contains(byte) }
}
