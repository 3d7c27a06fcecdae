/// One table of the public schema and how many rows it holds.
public struct TableRowCount: Sendable, Equatable, Codable {
    /// The table's name.
    public var name: String
    /// Its rows, counted exactly.
    public var rows: Int64

    /// A table and its row count.
    public init(name: String, rows: Int64) {
        self.name = name
        self.rows = rows
    }
}

/// The state of the schema as a whole: its tables, and whole databases on a cluster (the demo's fresh database).
public enum SchemaStore {
    /// Every base table of the `public` schema with its row count, by name.
    public static func tableRowCounts(_ db: isolated PostgresConnection) throws(PostgresError) -> [TableRowCount] {
        let names = try db.query(
            """
            SELECT table_name AS name FROM information_schema.tables
            WHERE table_schema = 'public' AND table_type = 'BASE TABLE' ORDER BY table_name
            """
        ).map { row throws(PostgresError) in try row.decode(String.self, "name") }
        var counts: [TableRowCount] = []
        for name in names {
            // Identifiers cannot be bound: the name comes from the catalog and is quoted as an identifier.
            let escaped = name.split(separator: "\"", omittingEmptySubsequences: false).joined(separator: "\"\"")
            let quoted = "\"" + escaped + "\""
            let rows =
                try db.query(SQLQuery(unsafeSQL: "SELECT count(*) AS n FROM " + quoted)).first?
                .decode(Int64.self, "n") ?? 0
            counts.append(TableRowCount(name: name, rows: rows))
        }
        return counts
    }

    /// Drops the database `name` (closing its sessions) and creates it empty; run on the maintenance database.
    ///
    /// The name must be letters, digits and `_` only: identifiers cannot be bound.
    public static func recreateDatabase(_ db: isolated PostgresConnection, named name: String) throws(PostgresError) {
        guard !name.isEmpty, name.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_") }) else {
            throw PostgresError(code: .misuse, message: "a database name must be ASCII letters, digits and _")
        }
        try db.query(SQLQuery(unsafeSQL: "DROP DATABASE IF EXISTS \(name) WITH (FORCE)"))
        try db.query(SQLQuery(unsafeSQL: "CREATE DATABASE \(name)"))
    }
}
