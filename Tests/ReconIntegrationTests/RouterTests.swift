import Foundation
import HTTPTypes
import HummingbirdTesting
import Logging
import NIOCore
import ReconPostgres
import ReconServer
import ReconTestSupport
import Testing

@Suite("Router: each callback route through app.test(.router), against a real database")
struct RouterTests {
    static let token = "router-test-token-0123456789"
    static let metricsToken = "router-metrics-token-0123456789"

    static let b2cResult = """
        {"Result":{"ResultType":0,"ResultCode":0,"ResultDesc":"The service request is processed successfully.",\
        "OriginatorConversationID":"router-oc-1","ConversationID":"AG_20261129_1","TransactionID":"RKL0000001",\
        "ResultParameters":{"ResultParameter":[{"Key":"TransactionAmount","Value":100}]},\
        "ReferenceData":{"ReferenceItem":{"Key":"QueueTimeoutURL","Value":"https://example.invalid/timeout"}}}}
        """

    static let b2cTimeout = """
        {"Result":{"ResultType":0,"ResultCode":1,"ResultDesc":"The request timed out in the queue.",\
        "OriginatorConversationID":"router-oc-2","ConversationID":"AG_20261129_2"}}
        """

    static let routes: [(path: String, kind: String, body: String)] = [
        ("/api/payments/callback/", "stk", Bodies.success("ws_CO_router")),
        ("/api/payments/b2c/result/", "b2c_result", b2cResult),
        ("/api/payments/b2c/timeout/", "b2c_timeout", b2cTimeout),
    ]

    /// Sends `requests` to the application `serve` runs (router test client), over a fresh database; then
    /// `check` looks at what was stored.
    static func withApp(
        _ requests: @escaping @Sendable (any TestClientProtocol) async throws -> Void,
        check: (PostgresConnection) async throws -> Void = { _ in }
    ) async throws {
        let spool = FileManager.default.temporaryDirectory.appendingPathComponent("router-spool-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: spool) }
        try await TestDatabase.with { database, db in
            let pool = ConnectionPool(settings: database.settings, maxConnections: 4)
            var logger = Logger(label: "router-test")
            logger.logLevel = .critical
            let app = try buildApplication(
                ServerConfiguration(
                    port: 0, callbackToken: token, spoolDirectory: spool, sweepIntervalSeconds: 3600,
                    metricsToken: metricsToken),
                pool: pool, logger: logger)
            // The application owns the pool: it closes it when the test's services stop.
            try await app.test(.router, requests)
            try await check(db)
        }
    }

    static func count(_ db: PostgresConnection, kind: String) async throws -> Int {
        try await db.query("SELECT count(*) AS n FROM callback_inbox WHERE kind = \(kind)").first?.decode(
            Int.self, "n") ?? -1
    }

    @Test(
        "a valid body with the token is answered 200 with Daraja's accepted JSON and stored exactly as sent",
        arguments: [0, 1, 2])
    func accepted(route: Int) async throws {
        let (path, kind, body) = Self.routes[route]
        try await Self.withApp { client in
            let response = try await client.execute(
                uri: path + "?token=\(Self.token)", method: .post, headers: [.contentType: "application/json"],
                body: ByteBuffer(string: body))
            #expect(response.status == .ok)
            #expect(String(buffer: response.body) == #"{"ResultCode":0,"ResultDesc":"Accepted"}"#)
        } check: { (db: PostgresConnection) async throws in
            let stored = try await db.query(
                "SELECT convert_from(body, 'UTF8') AS b FROM callback_inbox WHERE kind = \(kind)")
            #expect(try stored.map { row throws(PostgresError) in try row.decode(String.self, "b") } == [body])
            #expect(try await db.query("SELECT count(*) AS n FROM callback_inbox").first?.decode(Int.self, "n") == 1)
        }
    }

    @Test("a request without the token is refused with 401 and nothing is stored", arguments: [0, 1, 2])
    func missingToken(route: Int) async throws {
        let (path, kind, body) = Self.routes[route]
        try await Self.withApp { client in
            let missing = try await client.execute(
                uri: path, method: .post, headers: [.contentType: "application/json"], body: ByteBuffer(string: body))
            #expect(missing.status == .unauthorized)
            let wrong = try await client.execute(
                uri: path + "?token=guess", method: .post, headers: [.contentType: "application/json"],
                body: ByteBuffer(string: body))
            #expect(wrong.status == .unauthorized)
        } check: { (db: PostgresConnection) async throws in
            #expect(try await Self.count(db, kind: kind) == 0)
            #expect(try await db.query("SELECT count(*) AS n FROM callback_inbox").first?.decode(Int.self, "n") == 0)
        }
    }

    @Test("/healthz is served with the callbacks group; /metrics only to its token")
    func operations() async throws {
        try await Self.withApp { client in
            let health = try await client.execute(uri: "/healthz", method: .get)
            #expect(health.status == .ok && String(buffer: health.body) == "ok\n")
            let anonymous = try await client.execute(uri: "/metrics", method: .get)
            #expect(anonymous.status == .unauthorized)
            let metrics = try await client.execute(
                uri: "/metrics", method: .get, headers: [.authorization: "Bearer \(Self.metricsToken)"])
            #expect(metrics.status == .ok)
        }
    }
}
