import Foundation
import ReconCore
import ReconPostgres
import ReconTestSupport
import Testing

@Suite("PostgreSQL connection against the real server")
struct ConnectionTests {
    @Test("bound parameters carry hostile text as data, never as SQL")
    func boundParameters() async throws {
        try await TestDatabase.with { _, db in
            let hostile = "x'); DROP TABLE users; --"
            let row = try await db.query(
                "SELECT \(hostile)::text AS t, \(Int64.max)::bigint AS big, \(true)::bool AS b"
            )
            .first
            let value = try #require(row)
            #expect(try value.decode(String.self, "t") == hostile)
            #expect(try value.decode(Int64.self, "big") == Int64.max)
            #expect(try value.decode(Bool.self, "b") == true)
            let count = try await db.query("SELECT count(*) AS n FROM users").first?.decode(Int64.self, "n")
            #expect(count == 0)
        }
    }

    @Test("NULL decodes to nil as an optional and is an error as a non-optional")
    func nulls() async throws {
        try await TestDatabase.with { _, db in
            let none: String? = nil
            let row = try #require(try await db.query("SELECT \(none)::text AS t").first)
            #expect(try row.decode(String?.self, "t") == nil)
            #expect(throws: PostgresError.self) { try row.decode(String.self, "t") }
            #expect(throws: PostgresError.self) { try row.decode(String.self, "no_such_column") }
        }
    }

    @Test(
        "money goes through numeric exactly, in minor units",
        arguments: [
            "0.10", "1.00", "1234567.89", "-20.05", "9999999999.99",
        ])
    func moneyRoundTrip(text: String) async throws {
        let money = try Money.parse(text)
        try await TestDatabase.with { _, db in
            let row = try #require(
                try await db.query("SELECT \(money)::numeric(12,2) AS m, \(money)::numeric(12,2)::text AS t").first)
            #expect(try row.decode(Money.self, "m") == money)
            #expect(try row.decode(String.self, "t") == money.decimalString)
        }
    }

    @Test("a numeric with a third decimal place is refused, not rounded")
    func moneyRefusesFractions() async throws {
        try await TestDatabase.with { _, db in
            let row = try #require(try await db.query("SELECT 1.005::numeric AS m").first)
            #expect(throws: PostgresError.self) { try row.decode(Money.self, "m") }
        }
    }

    @Test("timestamptz round-trips with microseconds, whatever the server's zone")
    func dates() async throws {
        try await TestDatabase.with { _, db in
            let date = Date(timeIntervalSince1970: 1_795_926_954.123456)
            let row = try #require(
                try await db.query("SELECT \(date)::timestamptz AS at, '2026-11-29 09:35:54+03'::timestamptz AS eat")
                    .first)
            let back = try row.decode(Date.self, "at")
            #expect(abs(back.timeIntervalSince(date)) < 0.000_001)
            #expect(try row.decode(Date.self, "eat") == Date(timeIntervalSince1970: 1_795_934_154))
        }
    }

    @Test("withTransaction commits on return and rolls back on throw")
    func transactions() async throws {
        struct Boom: Error {}
        try await TestDatabase.with { _, db in
            try await db.withTransaction { db in
                try db.query("INSERT INTO users (email, full_name) VALUES ('a@x', 'A')")
            }
            await #expect(throws: Boom.self) {
                try await db.withTransaction { db in
                    try db.query("INSERT INTO users (email, full_name) VALUES ('b@x', 'B')")
                    throw Boom()
                }
            }
            let emails = try await db.query("SELECT email FROM users ORDER BY email").map {
                try $0.decode(String.self, "email")
            }
            #expect(emails == ["a@x"])
            // The connection is usable after a rollback.
            #expect(await db.isHealthy)
        }
    }

    @Test("a constraint violation carries SQLSTATE and constraint; its description leaves out row values")
    func constraintViolation() async throws {
        try await TestDatabase.with { _, db in
            try await db.query("INSERT INTO users (email) VALUES ('learner@example.com')")
            let error = await #expect(throws: PostgresError.self) {
                try await db.query("INSERT INTO users (email) VALUES ('learner@example.com')")
            }
            let failure = try #require(error)
            #expect(failure.sqlState == "23505")
            #expect(failure.constraint == "users_email_key")
            #expect(failure.isIntegrityViolation)
            #expect(failure.description.contains("SQLSTATE 23505"))
            #expect(!failure.description.contains("learner@example.com"))
            #expect(failure.debugDescription.contains("learner@example.com"))
        }
    }

    @Test("a server that is not there is a clear connection error")
    func badServer() async throws {
        let error = await #expect(throws: PostgresError.self) {
            _ = try await PostgresConnection.connect(
                DatabaseSettings(connectionString: "postgresql://postgres:hunter2@127.0.0.1:1/none?connect_timeout=2"))
        }
        let failure = try #require(error)
        #expect(failure.code == .connectionFailed)
        #expect(failure.description.contains("127.0.0.1"))
        #expect(!failure.description.contains("hunter2"))
    }

    @Test("a malformed connection string is a clear error")
    func malformedURL() async throws {
        let error = await #expect(throws: PostgresError.self) {
            _ = try await PostgresConnection.connect(DatabaseSettings(connectionString: "postgresql://[::1"))
        }
        #expect(error?.code == .connectionFailed)
    }

    @Test("streaming reads many rows one at a time and stops cleanly when the reader throws")
    func streaming() async throws {
        struct Enough: Error {}
        try await TestDatabase.with { _, db in
            let total = try await db.run { db in
                var sum: Int64 = 0
                var count = 0
                try db.stream("SELECT g AS n FROM generate_series(1, \(200_000)) g") { row in
                    sum += try row.decode(Int64.self, "n")
                    count += 1
                }
                return [Int64(count), sum]
            }
            #expect(total == [200_000, 200_000 * 200_001 / 2])
            let seen = try await db.run { db in
                var seen = 0
                do {
                    try db.stream("SELECT g FROM generate_series(1, 10000000) g") { _ in
                        seen += 1
                        if seen == 10 { throw Enough() }
                    }
                } catch is Enough {}
                return seen
            }
            #expect(seen == 10)
            let after = try await db.query("SELECT 1 AS one").first?.decode(Int.self, "one")
            #expect(after == 1)
        }
    }

    @Test("a streamed row decodes in place to what the text of a materialized row decodes to")
    func streamedRowsDecodeInPlace() async throws {
        try await TestDatabase.with { _, db in
            let sql: SQLQuery = """
                SELECT v.i, v.m, v.at, v.b, v.t FROM (VALUES
                  (9223372036854775807::int8, 0.10::numeric, '2026-11-29 09:35:54.123456+00'::timestamptz, true, 'Wanjikũ'),
                  ('-9223372036854775808'::int8, -20.05, '1970-01-01 00:00:00+00', false, ''),
                  (0, 1.5, '2026-11-28 21:00:00+03', NULL, NULL),
                  (-42, 12.340, '0001-01-01 00:00:00+00', true, 'a "quoted", text'),
                  (7, -0.50, NULL, false, 'x'),
                  (NULL, 9999999999.99, '2026-02-28 23:59:59.5+00', true, 'y')) AS v(i, m, at, b, t)
                """
            let materialized = try await db.query(sql).rows
            struct Decoded: Equatable {
                var i: Int64?
                var m: Money?
                var at: Date?
                var b: Bool?
                var t: String?
            }
            let inPlace = try await db.run { db in
                var rows: [Decoded] = []
                try db.streamRows(sql) { row in
                    rows.append(
                        Decoded(
                            i: try row.decode(Int64?.self, at: 0, column: "i"),
                            m: try row.decode(Money?.self, at: 1, column: "m"),
                            at: try row.decode(Date?.self, at: 2, column: "at"),
                            b: try row.decode(Bool?.self, at: 3, column: "b"),
                            t: try row.decode(String?.self, at: 4, column: "t")))
                }
                return rows
            }
            let viaText = try materialized.map { row in
                Decoded(
                    i: try row.decode(Int64?.self, "i"), m: try row.decode(Money?.self, "m"),
                    at: try row.decode(Date?.self, "at"), b: try row.decode(Bool?.self, "b"),
                    t: try row.decode(String?.self, "t"))
            }
            #expect(inPlace.count == 6)
            #expect(inPlace == viaText)
            #expect(inPlace[0].i == .max && inPlace[1].i == .min && inPlace[3].i == -42)
            #expect(inPlace.map(\.m?.minorUnits) == [10, -2005, 150, 1234, -50, 999_999_999_999])
            #expect(inPlace[2].at == Date(timeIntervalSince1970: 1_795_888_800))
            // What is not a shilling amount, or not a number at all, is refused in place just as from text.
            for bad in ["1.005", "'NaN'", "'Infinity'"] {
                await #expect(throws: PostgresError.self) {
                    try await db.run { db in
                        try db.streamRows(SQLQuery(unsafeSQL: "SELECT \(bad)::numeric AS m", binds: [])) { row in
                            _ = try row.decode(Money?.self, at: 0, column: "m")
                        }
                    }
                }
            }
        }
    }

    @Test("a server error inside a stream is thrown with its SQLSTATE")
    func streamingError() async throws {
        try await TestDatabase.with { _, db in
            let error = await #expect(throws: PostgresError.self) {
                try await db.run { db in try db.stream("SELECT 1 / (g - 5) FROM generate_series(1, 10) g") { _ in } }
            }
            #expect(error?.sqlState == "22012")
        }
    }

    @Test("bytea keeps bytes that are not UTF-8 exactly")
    func bytes() async throws {
        try await TestDatabase.with { _, db in
            let raw: [UInt8] = [0x00, 0xff, 0xfe, 0x7b, 0x22, 0x0a]
            let row = try #require(try await db.query("SELECT encode(\(SQLBytes(raw))::bytea, 'hex') AS h").first)
            #expect(try row.decode(String.self, "h") == "00fffe7b220a")
        }
    }
}
