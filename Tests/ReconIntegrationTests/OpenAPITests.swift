import DarajaSimulator
import Foundation
import ReconCore
import ReconHTTP
import ReconServer
import Testing

/// openapi.yaml stays true: it names exactly the routes the server registers, and real answers of every operation
/// (successes and refusals) match its status codes and schemas (checked with jsonschema by check_openapi.py).
@Suite("openapi.yaml describes the api and callbacks groups")
struct OpenAPITests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
    static let document = root.appendingPathComponent("openapi.yaml").path
    static let checker = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("check_openapi.py").path

    static func run(_ arguments: [String], stdin: String? = nil) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", checker] + arguments
        let out = Pipe()
        process.standardOutput = out
        let input = Pipe()
        process.standardInput = input
        try process.run()
        input.fileHandleForWriting.write(Data((stdin ?? "").utf8))
        try input.fileHandleForWriting.close()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }

    @Test("the document names every registered route and no other")
    func routes() throws {
        let (status, output) = try Self.run(["routes", Self.document])
        #expect(status == 0)
        let documented = try #require(try JSONSerialization.jsonObject(with: Data(output.utf8)) as? [[String]])
        var served = APIRoute.allCases.map { [$0.method, $0.path.replacingOccurrences(of: ":id", with: "{id}")] }
        served += [
            ["POST", "/api/payments/callback/"], ["POST", "/api/payments/b2c/result/"],
            ["POST", "/api/payments/b2c/timeout/"], ["GET", "/healthz"], ["GET", "/metrics"],
        ]
        #expect(Set(documented) == Set(served))
    }

    struct Observation: Encodable {
        var method: String
        var path: String
        var status: Int
        var body: String
    }

    @Test("every operation's real answers match the document (status codes and JSON schemas)")
    func answersMatch() async throws {
        try await Stack.with(api: true) { stack in
            try await stack.account("learner@example.com")
            try await stack.account("other@example.com")
            try await stack.account("finance@example.com", roles: [.finance])
            try await stack.account("admin1@example.com", roles: [.admin])
            try await stack.account("admin2@example.com", roles: [.admin])
            let course = try await stack.germanA1()
            let learner = try await stack.login("learner@example.com")
            let other = try await stack.login("other@example.com")
            let finance = try await stack.login("finance@example.com")
            let admin1 = try await stack.login("admin1@example.com")
            let admin2 = try await stack.login("admin2@example.com")
            var seen: [Observation] = []
            func observe(
                _ method: String, _ template: String, _ path: String, token: String? = nil, json: String? = nil,
                headers: [HTTPHeader] = []
            ) async throws -> Stack.Answer {
                let answer = try await stack.call(method, path, token: token, json: json, headers: headers)
                seen.append(Observation(method: method, path: template, status: answer.status, body: answer.text))
                return answer
            }
            let login = "/api/auth/login/"
            _ = try await observe(
                "POST", login, login, json: #"{"email":"learner@example.com","password":"pass-word-123"}"#)
            _ = try await observe("POST", login, login, json: #"{"email":"learner@example.com","password":"wrong"}"#)
            _ = try await observe("POST", login, login, json: "{}")
            let pair = try await stack.call(
                "POST", login, json: #"{"email":"learner@example.com","password":"pass-word-123"}"#)
            let refreshToken = pair.object["refresh"] as? String ?? ""
            let refresh = "/api/auth/refresh/"
            let rotated = try await observe("POST", refresh, refresh, json: #"{"refresh":"\#(refreshToken)"}"#)
            _ = try await observe("POST", refresh, refresh, json: #"{"refresh":"\#(refreshToken)"}"#)
            _ = try await observe("POST", refresh, refresh, json: #"{"refresh":"not.a.token"}"#)
            _ = try await observe("POST", refresh, refresh, json: "{}")
            let logout = "/api/auth/logout/"
            let newRefresh = rotated.object["refresh"] as? String ?? ""
            _ = try await observe("POST", logout, logout, json: #"{"refresh":"\#(newRefresh)"}"#)
            _ = try await observe("POST", logout, logout, json: #"{"refresh":"\#(newRefresh)"}"#)
            _ = try await observe("POST", logout, logout, json: "{}")

            let initiate = "/api/payments/initiate/"
            let body = #"{"phone":"254708374149","amount":5000,"course_id":\#(course)}"#
            let started = try await observe("POST", initiate, initiate, token: learner, json: body)
            _ = try await observe("POST", initiate, initiate, json: body)
            _ = try await observe(
                "POST", initiate, initiate, token: learner, json: #"{"phone":"1","amount":5000,"course_id":\#(course)}"#
            )
            _ = try await observe(
                "POST", initiate, initiate, token: other, json: body,
                headers: [HTTPHeader(name: "Idempotency-Key", value: "k1")])
            _ = try await observe(
                "POST", initiate, initiate, token: other, json: body,
                headers: [HTTPHeader(name: "Idempotency-Key", value: "k1")])
            await stack.waitForCallbacks()
            let id = started.object["payment_id"] as? Int ?? 0

            let status = "/api/payments/{id}/status/"
            _ = try await observe("GET", status, "/api/payments/\(id)/status/", token: learner)
            _ = try await observe("GET", status, "/api/payments/\(id)/status/", token: other)
            _ = try await observe("GET", status, "/api/payments/\(id)/status/", token: finance)
            _ = try await observe("GET", status, "/api/payments/\(id)/status/")
            let my = "/api/payments/my/"
            _ = try await observe("GET", my, my, token: learner)
            _ = try await observe("GET", my, my + "?limit=500", token: learner)
            let admin = "/api/payments/admin/"
            _ = try await observe("GET", admin, admin + "?page_size=1", token: admin1)
            _ = try await observe("GET", admin, admin + "?status=completed&from=2020-01-01&q=4149", token: finance)
            _ = try await observe("GET", admin, admin, token: learner)
            _ = try await observe("GET", admin, admin + "?status=nonsense", token: admin1)

            let b2c = "/api/payments/b2c/"
            let proposal = #"{"payment_id":\#(id),"amount":"100","reason":"goodwill"}"#
            let proposed = try await observe("POST", b2c, b2c, token: admin1, json: proposal)
            _ = try await observe("POST", b2c, b2c, token: learner, json: proposal)
            _ = try await observe(
                "POST", b2c, b2c, token: admin1, json: #"{"payment_id":999999,"amount":1,"reason":"x"}"#)
            _ = try await observe(
                "POST", b2c, b2c, token: admin1, json: #"{"payment_id":\#(id),"amount":"0.5","reason":"x"}"#)
            let refund = proposed.object["refund_id"] as? Int ?? 0
            let approve = "/api/payments/b2c/{id}/approve/"
            let reject = "/api/payments/b2c/{id}/reject/"
            _ = try await observe("POST", approve, "/api/payments/b2c/\(refund)/approve/", token: admin1)
            _ = try await observe("POST", reject, "/api/payments/b2c/\(refund)/reject/", token: admin2, json: "{}")
            _ = try await observe("POST", approve, "/api/payments/b2c/\(refund)/approve/", token: admin2)
            _ = try await observe("POST", approve, "/api/payments/b2c/\(refund)/approve/", token: admin2)
            _ = try await observe(
                "POST", reject, "/api/payments/b2c/999999/reject/", token: admin2, json: #"{"reason":"x"}"#)

            let callback = "/api/payments/callback/"
            _ = try await observe("POST", callback, callback + "?token=\(Stack.token)", json: Bodies.success("ws_none"))
            _ = try await observe("POST", callback, callback + "?token=wrong-token-000000000", json: "{}")
            _ = try await observe("GET", "/healthz", "/healthz")

            let encoder = JSONEncoder()
            let observations = String(decoding: try encoder.encode(seen), as: UTF8.self)
            let (code, problems) = try Self.run(["check", Self.document], stdin: observations)
            #expect(code == 0, "\(problems)")
            #expect(seen.count > 30)
        }
    }
}
