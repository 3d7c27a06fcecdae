internal import CLibPQ
public import Logging
public import ReconCore

#if canImport(Glibc)
    import Glibc
#endif

/// One libpq connection. Every blocking call runs on the connection's own serial queue, never on
/// Swift's cooperative pool.
///
/// A connection serves one caller at a time: run a unit of work inside ``run(_:)`` or
/// ``withTransaction(_:_:)``, whose closures execute on the connection without suspending, so no
/// other task's statement can interleave with them.
public actor PostgresConnection {
    private let executor: QueueExecutor
    private var handle = ConnectionHandle(nil)
    private let settings: DatabaseSettings
    private let logger: Logger

    nonisolated public var unownedExecutor: UnownedSerialExecutor { executor.asUnownedSerialExecutor() }

    private init(settings: DatabaseSettings, logger: Logger) {
        self.settings = settings
        self.logger = logger
        self.executor = QueueExecutor(label: "mpesa-recon.postgres")
    }

    /// Opens a connection, sets the session to UTC and ISO dates, and checks it answers.
    public static func connect(
        _ settings: DatabaseSettings, logger: Logger = Logger(label: "mpesa-recon.postgres")
    ) async throws(PostgresError) -> PostgresConnection {
        let connection = PostgresConnection(settings: settings, logger: logger)
        try await connection.open()
        return connection
    }

    private func open() throws(PostgresError) {
        handle.close()
        handle = ConnectionHandle(PQconnectdb(Self.withConnectTimeout(settings.connectionString)))
        guard let pointer = handle.pointer else {
            throw PostgresError(code: .connectionFailed, message: "libpq could not allocate a connection")
        }
        guard PQstatus(pointer) == CONNECTION_OK else {
            let message = String(cString: PQerrorMessage(pointer)).trimmingTrailingNewlines()
            handle.close()
            throw PostgresError(code: .connectionFailed, message: message.isEmpty ? "could not connect" : message)
        }
        // NOTICEs would otherwise go straight to stderr, around the program's own logging.
        PQsetNoticeProcessor(pointer, { _, _ in }, nil)
        try executeScript(
            unsafeSQL: "SET TimeZone = 'UTC'; SET DateStyle = 'ISO, YMD'; SET client_encoding = 'UTF8'; "
                + "SET application_name = 'mpesa-recon'; SET recon.staff_is_admin = "
                + (settings.staffIsAdmin ? "'on'" : "'off'"))
    }

    /// Adds `connect_timeout=5` unless the string sets one: a silent network must not hold a caller for minutes.
    static func withConnectTimeout(_ conninfo: String) -> String {
        guard !conninfo.contains("connect_timeout") else { return conninfo }
        if conninfo.hasPrefix("postgres://") || conninfo.hasPrefix("postgresql://") {
            return conninfo + (conninfo.contains("?") ? "&" : "?") + "connect_timeout=5"
        }
        return conninfo + " connect_timeout=5"
    }

    /// Closes the connection; later calls fail with `.misuse`.
    public func close() {
        handle.close()
    }

    /// Whether the connection is open and libpq considers it good.
    public var isHealthy: Bool {
        guard let pointer = handle.pointer else { return false }
        return PQstatus(pointer) == CONNECTION_OK
    }

    /// Re-establishes a connection that broke (e.g. the server restarted).
    public func reconnect() throws(PostgresError) {
        try open()
    }

    private func live() throws(PostgresError) -> OpaquePointer {
        guard let pointer = handle.pointer else {
            throw PostgresError(code: .misuse, message: "the connection is closed")
        }
        return pointer
    }

    // MARK: Statements

    /// Runs one statement with bound parameters and returns all its rows.
    @discardableResult
    public func query(_ query: SQLQuery) throws(PostgresError) -> PostgresRows {
        let connection = try live()
        try Self.refuseNUL(query)
        let raw = withCStrings(query.binds) { values in
            PQexecParams(connection, query.sql, Int32(values.count), nil, values, nil, nil, 0)
        }
        guard let raw else { throw connectionError(connection) }
        let result = ResultHandle(pointer: raw)
        switch result.status {
        case PGRES_TUPLES_OK, PGRES_COMMAND_OK, PGRES_EMPTY_QUERY:
            let columns = result.columns()
            let count = PQntuples(raw)
            var rows: [PostgresRow] = []
            rows.reserveCapacity(Int(count))
            for index in 0..<count { rows.append(result.row(index, columns: columns)) }
            let affected = Int(String(cString: PQcmdTuples(raw))) ?? Int(count)
            return PostgresRows(rows: rows, affected: affected)
        default:
            throw result.error(connection: connection)
        }
    }

    /// Runs several `;`-separated statements without parameters (migrations). Needs the explicit label.
    public func executeScript(unsafeSQL sql: String) throws(PostgresError) {
        let connection = try live()
        guard !sql.utf8.contains(0) else {
            throw PostgresError(code: .invalidText, message: "the SQL script contains a NUL character")
        }
        guard let raw = PQexec(connection, sql) else { throw connectionError(connection) }
        let result = ResultHandle(pointer: raw)
        switch result.status {
        case PGRES_TUPLES_OK, PGRES_COMMAND_OK, PGRES_EMPTY_QUERY: return
        default: throw result.error(connection: connection)
        }
    }

    /// Streams a large result one row at a time (libpq single-row mode): memory stays flat however
    /// many rows there are. When `body` throws, the statement is cancelled and the error rethrown.
    public func stream(_ query: SQLQuery, _ body: (PostgresRow) throws -> Void) throws {
        try streamRows(query) { row in try body(row.materialized()) }
    }

    /// Like ``stream(_:_:)``, but each row is read where libpq holds it (``StreamedRow``), valid only during the
    /// call: for large results, where making every value a `String` first would cost more than the query.
    public func streamRows(_ query: SQLQuery, _ body: (StreamedRow) throws -> Void) throws {
        let connection = try live()
        try Self.refuseNUL(query)
        let sent = withCStrings(query.binds) { values in
            PQsendQueryParams(connection, query.sql, Int32(values.count), nil, values, nil, nil, 0)
        }
        guard sent == 1 else { throw connectionError(connection) }
        guard PQsetSingleRowMode(connection) == 1 else {
            drain(connection)
            throw PostgresError(code: .misuse, message: "libpq refused single-row mode")
        }
        var failure: (any Error)?
        var columns: PostgresColumns?
        while let raw = PQgetResult(connection) {
            let result = ResultHandle(pointer: raw)
            guard failure == nil else { continue }
            switch result.status {
            case PGRES_SINGLE_TUPLE:
                let names = columns ?? result.columns()
                columns = names
                do {
                    try body(StreamedRow(result: result.pointer, columns: names))
                } catch {
                    failure = error
                    cancel(connection)
                }
            case PGRES_TUPLES_OK, PGRES_COMMAND_OK:
                continue
            default:
                failure = result.error(connection: connection)
            }
        }
        if let failure { throw failure }
    }

    // MARK: Units of work

    /// Runs `body` on the connection without suspension: nothing else uses the connection meanwhile.
    @discardableResult
    public func run<T: Sendable, E: Error>(
        _ body: @Sendable (isolated PostgresConnection) throws(E) -> T
    ) throws(E) -> T {
        try body(self)
    }

    /// Transaction isolation levels.
    public enum IsolationLevel: String, Sendable {
        case readCommitted = "READ COMMITTED"
        case repeatableRead = "REPEATABLE READ"
        case serializable = "SERIALIZABLE"
    }

    /// Runs `body` in a transaction: committed when it returns, rolled back when it throws.
    @discardableResult
    public func withTransaction<T: Sendable>(
        _ isolation: IsolationLevel = .readCommitted,
        _ body: @Sendable (isolated PostgresConnection) throws -> T
    ) throws -> T {
        let connection = try live()
        guard PQtransactionStatus(connection) == PQTRANS_IDLE else {
            throw PostgresError(code: .misuse, message: "a transaction is already open on this connection")
        }
        try executeScript(unsafeSQL: "BEGIN ISOLATION LEVEL \(isolation.rawValue)")
        let value: T
        do {
            value = try body(self)
        } catch {
            rollbackQuietly()
            throw error
        }
        do {
            try executeScript(unsafeSQL: "COMMIT")
        } catch {
            rollbackQuietly()
            throw error
        }
        return value
    }

    private func rollbackQuietly() {
        guard let connection = handle.pointer, PQtransactionStatus(connection) != PQTRANS_IDLE else { return }
        do {
            try executeScript(unsafeSQL: "ROLLBACK")
        } catch {
            logger.warning("rollback failed", metadata: ["db.error": "\(error)"])
        }
    }

    // MARK: libpq plumbing

    private func connectionError(_ connection: OpaquePointer) -> PostgresError {
        let message = String(cString: PQerrorMessage(connection)).trimmingTrailingNewlines()
        let lost = PQstatus(connection) == CONNECTION_BAD
        return PostgresError(
            code: lost ? .connectionFailed : .server, message: message.isEmpty ? "libpq failed" : message)
    }

    private func cancel(_ connection: OpaquePointer) {
        guard let token = PQgetCancel(connection) else { return }
        defer { PQfreeCancel(token) }
        var buffer = [CChar](repeating: 0, count: 256)
        _ = PQcancel(token, &buffer, Int32(buffer.count))
    }

    /// libpq takes text as C strings, which end at the first NUL: a value holding one would reach the database cut
    /// short (`ws_CO_1\0evil` as `ws_CO_1`). Such a statement is refused before anything is sent.
    static func refuseNUL(_ query: SQLQuery) throws(PostgresError) {
        guard !query.sql.utf8.contains(0) else {
            throw PostgresError(code: .invalidText, message: "the SQL text contains a NUL character")
        }
        for (index, bind) in query.binds.enumerated() where bind?.utf8.contains(0) == true {
            throw PostgresError(
                code: .invalidText,
                message: "parameter $\(index + 1) contains a NUL character, which PostgreSQL text cannot hold")
        }
    }

    private func drain(_ connection: OpaquePointer) {
        while let raw = PQgetResult(connection) { PQclear(raw) }
    }
}

/// Calls `body` with NUL-terminated copies of `strings` that live exactly as long as the call.
private func withCStrings<R>(_ strings: [String?], _ body: ([UnsafePointer<CChar>?]) -> R) -> R {
    let copies: [UnsafeMutablePointer<CChar>?] = strings.map { $0.flatMap { strdup($0) } }
    defer { for copy in copies { free(copy) } }
    return body(copies.map { $0.map { UnsafePointer($0) } })
}
