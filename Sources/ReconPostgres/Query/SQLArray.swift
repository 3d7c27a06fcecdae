/// A PostgreSQL array literal bound as one text parameter (cast it in SQL: `$1::bigint[]`); elements are quoted,
/// so any text is safe, and `nil` is NULL.
struct SQLArray: SQLBindable {
    var elements: [String?]

    init(_ elements: [String?]) {
        self.elements = elements
    }

    init(_ elements: [String]) {
        self.elements = elements.map { $0 }
    }

    var sqlText: String {
        var out: [UInt8] = [UInt8(ascii: "{")]
        out.reserveCapacity(elements.reduce(2) { $0 + ($1?.utf8.count ?? 4) + 3 })
        for (index, element) in elements.enumerated() {
            if index > 0 { out.append(UInt8(ascii: ",")) }
            guard let element else {
                out.append(contentsOf: "NULL".utf8)
                continue
            }
            out.append(UInt8(ascii: "\""))
            for byte in element.utf8 {
                if byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") { out.append(UInt8(ascii: "\\")) }
                out.append(byte)
            }
            out.append(UInt8(ascii: "\""))
        }
        out.append(UInt8(ascii: "}"))
        return String(decoding: out, as: UTF8.self)
    }
}
