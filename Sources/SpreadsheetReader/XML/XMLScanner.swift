import ReconCore

/// One thing an ``XMLScanner`` found. Names are local (a namespace prefix such as `x:` is dropped).
enum XMLEvent {
    /// `<name a="v">`; `selfClosing` for `<name/>`, which gets no separate end event.
    case start(name: String, attributes: [(String, String)], selfClosing: Bool)
    /// `</name>`.
    case end(name: String)
    /// Character data with entities decoded (CDATA included).
    case text([UInt8])
}

/// A small streaming XML tokenizer for SpreadsheetML: enough XML for the parts of an XLSX file (elements,
/// attributes, the five entities and numeric references, CDATA, comments, declarations). Fed in chunks of any size;
/// keeps only an unfinished tag, comment or CDATA section between chunks (at most
/// ``StatementLimits/xmlTokenBytes``); character data streams out as it comes, however long, for its reader to bound.
/// It does not validate; the sheet reader checks what it needs.
struct XMLScanner {
    private var buffer: [UInt8] = []
    private let tokenLimit: Int

    /// A scanner at the start of a part.
    init(limits: StatementLimits = .standard) {
        tokenLimit = limits.xmlTokenBytes
    }

    /// Feeds bytes; `emit` gets each complete token.
    mutating func feed(
        _ chunk: some Collection<UInt8>, emit: (XMLEvent) throws(StatementError) -> Void
    )
        throws(StatementError)
    {
        buffer.append(contentsOf: chunk)
        var position = 0
        let count = buffer.count
        scanning: while position < count {
            if buffer[position] != UInt8(ascii: "<") {
                guard let open = buffer[position...].firstIndex(of: UInt8(ascii: "<")) else {
                    // Text up to the chunk's end goes out now, but for an entity that may be cut in two.
                    var end = count
                    if let amp = buffer[max(position, count - 12)...].lastIndex(of: UInt8(ascii: "&")),
                        !buffer[amp...].contains(UInt8(ascii: ";"))
                    {
                        end = amp
                    }
                    if end > position { try emit(.text(Self.decode(buffer[position..<end]))) }
                    position = end
                    break scanning
                }
                try emit(.text(Self.decode(buffer[position..<open])))
                position = open
                continue
            }
            guard position + 1 < count else { break scanning }
            let next = buffer[position + 1]
            if next == UInt8(ascii: "!") || next == UInt8(ascii: "?") {
                guard position + 9 <= count else { break scanning }
                if Self.starts(buffer, at: position, with: "<!--") {
                    guard let end = Self.find(buffer, "-->", from: position + 4) else { break scanning }
                    try checkToken(from: position, to: end + 3)
                    position = end + 3
                } else if Self.starts(buffer, at: position, with: "<![CDATA[") {
                    guard let end = Self.find(buffer, "]]>", from: position + 9) else { break scanning }
                    try checkToken(from: position, to: end + 3)
                    try emit(.text(Array(buffer[(position + 9)..<end])))
                    position = end + 3
                } else {
                    guard let end = buffer[position...].firstIndex(of: UInt8(ascii: ">")) else { break scanning }
                    try checkToken(from: position, to: end + 1)
                    position = end + 1
                }
                continue
            }
            // A tag: find its '>' outside quoted attribute values.
            var quote: UInt8 = 0
            var end = -1
            var index = position + 1
            while index < count {
                let byte = buffer[index]
                if quote != 0 {
                    if byte == quote { quote = 0 }
                } else if byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "'") {
                    quote = byte
                } else if byte == UInt8(ascii: ">") {
                    end = index
                    break
                }
                index += 1
            }
            guard end >= 0 else { break scanning }
            try checkToken(from: position, to: end + 1)
            try emit(try Self.tag(buffer[(position + 1)..<end]))
            position = end + 1
        }
        buffer.removeFirst(position)
        // What is left is one unfinished token.
        try checkToken(from: 0, to: buffer.count)
    }

    private func checkToken(from start: Int, to end: Int) throws(StatementError) {
        guard end - start <= tokenLimit else {
            throw StatementLimits.exceeded(
                "the XLSX holds an XML tag, comment or CDATA section longer than", StatementLimits.size(tokenLimit))
        }
    }

    /// Ends the part: anything left but whitespace is a truncated document.
    func finish() throws(StatementError) {
        guard buffer.allSatisfy({ $0 == 0x20 || $0 == 0x0A || $0 == 0x0D || $0 == 0x09 }) else {
            throw StatementError(code: .unreadable, message: "the XLSX holds truncated XML")
        }
    }

    private static func starts(_ bytes: [UInt8], at position: Int, with text: StaticString) -> Bool {
        let pattern = text.withUTF8Buffer { Array($0) }
        guard position + pattern.count <= bytes.count else { return false }
        return bytes[position..<(position + pattern.count)].elementsEqual(pattern)
    }

    private static func find(_ bytes: [UInt8], _ text: StaticString, from start: Int) -> Int? {
        let pattern = text.withUTF8Buffer { Array($0) }
        guard let first = pattern.first else { return nil }
        var index = start
        while index + pattern.count <= bytes.count {
            if bytes[index] == first, bytes[index..<(index + pattern.count)].elementsEqual(pattern) { return index }
            index += 1
        }
        return nil
    }

    private static func isSpace(_ byte: UInt8) -> Bool { byte == 0x20 || byte == 0x0A || byte == 0x0D || byte == 0x09 }

    private static func localName(_ bytes: ArraySlice<UInt8>) -> String {
        let name = bytes.lastIndex(of: UInt8(ascii: ":")).map { bytes[($0 + 1)...] } ?? bytes
        return String(decoding: name, as: UTF8.self)
    }

    private static func tag(_ body: ArraySlice<UInt8>) throws(StatementError) -> XMLEvent {
        var body = body
        if body.first == UInt8(ascii: "/") {
            body = body.dropFirst()
            while let last = body.last, isSpace(last) { body = body.dropLast() }
            return .end(name: localName(body))
        }
        var selfClosing = false
        if body.last == UInt8(ascii: "/") {
            selfClosing = true
            body = body.dropLast()
        }
        var index = body.startIndex
        while index < body.endIndex, !isSpace(body[index]) { index += 1 }
        let name = localName(body[body.startIndex..<index])
        var attributes: [(String, String)] = []
        while index < body.endIndex {
            while index < body.endIndex, isSpace(body[index]) { index += 1 }
            guard index < body.endIndex else { break }
            let nameStart = index
            while index < body.endIndex, body[index] != UInt8(ascii: "="), !isSpace(body[index]) { index += 1 }
            let attributeName = localName(body[nameStart..<index])
            while index < body.endIndex, isSpace(body[index]) || body[index] == UInt8(ascii: "=") { index += 1 }
            guard index < body.endIndex else { break }
            let quote = body[index]
            guard quote == UInt8(ascii: "\"") || quote == UInt8(ascii: "'") else {
                throw StatementError(code: .unreadable, message: "the XLSX holds an attribute without quotes")
            }
            index += 1
            let valueStart = index
            while index < body.endIndex, body[index] != quote { index += 1 }
            attributes.append((attributeName, String(decoding: decode(body[valueStart..<index]), as: UTF8.self)))
            index += 1
        }
        return .start(name: name, attributes: attributes, selfClosing: selfClosing)
    }

    /// Decodes `&amp;` `&lt;` `&gt;` `&quot;` `&apos;` `&#N;` `&#xH;`; an unknown entity stays as written.
    static func decode(_ bytes: ArraySlice<UInt8>) -> [UInt8] {
        guard bytes.contains(UInt8(ascii: "&")) else { return Array(bytes) }
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var index = bytes.startIndex
        while index < bytes.endIndex {
            let byte = bytes[index]
            guard byte == UInt8(ascii: "&"),
                let semicolon = bytes[index...].prefix(12).firstIndex(of: UInt8(ascii: ";"))
            else {
                out.append(byte)
                index += 1
                continue
            }
            let entity = String(decoding: bytes[(index + 1)..<semicolon], as: UTF8.self)
            var scalar: Unicode.Scalar?
            switch entity {
            case "amp": scalar = "&"
            case "lt": scalar = "<"
            case "gt": scalar = ">"
            case "quot": scalar = "\""
            case "apos": scalar = "'"
            default:
                if entity.hasPrefix("#x") || entity.hasPrefix("#X") {
                    scalar = UInt32(entity.dropFirst(2), radix: 16).flatMap(Unicode.Scalar.init)
                } else if entity.hasPrefix("#") {
                    scalar = UInt32(entity.dropFirst(), radix: 10).flatMap(Unicode.Scalar.init)
                }
            }
            // XML 1.0 forbids U+0000 even as a reference; such a cell is left as written, never a NUL.
            if let scalar, scalar.value != 0 {
                out.append(contentsOf: Array(String(Character(scalar)).utf8))
                index = semicolon + 1
            } else {
                out.append(byte)
                index += 1
            }
        }
        return out
    }
}
