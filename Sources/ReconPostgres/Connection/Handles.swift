internal import CLibPQ

/// Owns a `PGconn`: `PQfinish` runs exactly once, on close or when the owner goes away.
struct ConnectionHandle: ~Copyable {
    private(set) var pointer: OpaquePointer?

    init(_ pointer: OpaquePointer?) {
        self.pointer = pointer
    }

    mutating func close() {
        if let pointer { PQfinish(pointer) }
        pointer = nil
    }

    deinit {
        if let pointer { PQfinish(pointer) }
    }
}

/// Owns a `PGresult`: `PQclear` runs exactly once when the owner goes away, errors included.
struct ResultHandle: ~Copyable {
    let pointer: OpaquePointer

    deinit {
        PQclear(pointer)
    }

    var status: ExecStatusType { PQresultStatus(pointer) }

    /// Turns a failed result into an error carrying SQLSTATE, constraint, table and messages.
    func error(connection: OpaquePointer) -> PostgresError {
        func field(_ code: Character) -> String? {
            guard let ascii = code.asciiValue, let value = PQresultErrorField(pointer, Int32(ascii)) else {
                return nil
            }
            return String(cString: value)
        }
        let primary = field("M") ?? String(cString: PQresultErrorMessage(pointer)).trimmingTrailingNewlines()
        let lost = PQstatus(connection) == CONNECTION_BAD
        return PostgresError(
            code: lost ? .connectionFailed : .server,
            message: primary.isEmpty ? "the statement failed" : primary,
            sqlState: field("C"),
            constraint: field("n"),
            table: field("t"),
            detail: field("D")
        )
    }

    func columns() -> PostgresColumns {
        let count = PQnfields(pointer)
        var names: [String] = []
        names.reserveCapacity(Int(count))
        for index in 0..<count {
            names.append(PQfname(pointer, index).map { String(cString: $0) } ?? "?column?")
        }
        return PostgresColumns(names)
    }

    func row(_ index: Int32, columns: PostgresColumns) -> PostgresRow {
        StreamedRow(result: pointer, row: index, columns: columns).materialized()
    }
}

extension String {
    func trimmingTrailingNewlines() -> String {
        var text = self
        while let last = text.last, last.isNewline { text.removeLast() }
        return text
    }
}
