public import ReconCore

/// A failure talking to PostgreSQL, with the server's SQLSTATE and constraint when it sent them.
///
/// `description` is safe to print: it has the SQLSTATE, the constraint and the server's primary
/// message, never bind values or the server's DETAIL (which repeats row values such as phone numbers).
public struct PostgresError: Error, Sendable, CustomStringConvertible, CustomDebugStringConvertible {
    /// What kind of failure.
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        let raw: String
        /// Could not connect, or the connection broke.
        public static let connectionFailed = Code(raw: "connection failed")
        /// The server refused or failed a statement.
        public static let server = Code(raw: "server error")
        /// A value from the server could not be decoded to the asked type.
        public static let decoding = Code(raw: "decoding error")
        /// The caller used the API wrongly (a nested transaction, a closed connection).
        public static let misuse = Code(raw: "misuse")
        /// A value holds a NUL character, which libpq's C strings and PostgreSQL text cannot carry.
        public static let invalidText = Code(raw: "invalid text")
        /// A migration is missing, edited after it was applied, or failed.
        public static let migration = Code(raw: "migration error")
        /// The database was migrated by a newer program: its newest applied migration is unknown here.
        public static let schemaTooNew = Code(raw: "schema newer than this program")
        public var description: String { raw }
    }

    /// The kind of failure.
    public var code: Code
    /// Five-character SQLSTATE, e.g. `23505`.
    public var sqlState: String?
    /// The violated constraint's name, when the server names one.
    public var constraint: String?
    /// The table, when the server names one.
    public var table: String?
    /// The server's (or libpq's) primary message.
    public var message: String
    /// The server's DETAIL, which may hold row values: only in `debugDescription`.
    public var detail: String?

    /// An error value.
    public init(
        code: Code, message: String, sqlState: String? = nil, constraint: String? = nil, table: String? = nil,
        detail: String? = nil
    ) {
        self.code = code
        self.message = message
        self.sqlState = sqlState
        self.constraint = constraint
        self.table = table
        self.detail = detail
    }

    /// Whether this is a unique, check, foreign-key or not-null violation (SQLSTATE class 23).
    public var isIntegrityViolation: Bool { sqlState?.hasPrefix("23") ?? false }

    /// Whether the connection itself is gone (class 08 or a libpq connection failure).
    /// A failure that may not happen again: a deadlock or serialization failure (class 40), no resources (53), a
    /// lock or statement timeout (55P03, 57014), a server that is starting or stopping (57P03). Retry later.
    public var isTransient: Bool {
        guard let sqlState else { return false }
        return sqlState.hasPrefix("40") || sqlState.hasPrefix("53") || ["55P03", "57014", "57P03"].contains(sqlState)
    }

    /// The server (or the client's NUL check) refused what the statement carried, and would again: a constraint,
    /// a value it cannot store. Not a lost connection, not a transient failure.
    public var isRefusal: Bool {
        !isConnectionLoss && !isTransient && (code == .server || code == .invalidText)
    }

    public var isConnectionLoss: Bool {
        code == .connectionFailed || (sqlState?.hasPrefix("08") ?? false) || sqlState == "57P01"
    }

    public var description: String {
        var text = "postgres \(code)"
        if let sqlState { text += " SQLSTATE \(sqlState)" }
        if let constraint { text += " constraint \(constraint)" }
        return text + ": " + message
    }

    public var debugDescription: String {
        description + (detail.map { " DETAIL: \($0)" } ?? "")
    }
}

extension PostgresError: ExitStatusConvertible {
    public var exitStatus: ExitStatus { .failure }
}
