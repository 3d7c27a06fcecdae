import Crypto
import Foundation
import ReconCore
import ReconHTTP
import ReconServer
import ReconTestSupport
import Testing

/// Every route's path parameters, query parameters, headers and JSON fields, and every claim of a validly signed
/// token, filled with hostile values: huge, negative, not digits, not UTF-8, booleans where numbers go. No answer
/// may be a 500, and `serve` must still answer `/healthz` afterwards (a trap would have stopped the process).
@Suite("Route fuzzing")
struct RouteFuzzTests {
    /// Text values for path and query parameters (already percent-encoded where they must be).
    static let hostileText = [
        "", "0", "-1", "1", "9223372036854775807", "9223372036854775808", "-9223372036854775808",
        "99999999999999999999999", "1e308", "NaN", "true", "null", "%00", "%FF%FE", "..%2F..%2Fetc%2Fpasswd",
        "%3Cscript%3E", "'%20OR%201%3D1--", "%D9%A3", "%F0%9F%92%B8", String(repeating: "9", count: 2_000),
        "2026-02-30", "9999999-01-01", "4611686018427387904",
    ]

    /// JSON values for body fields.
    static let hostileJSON = [
        "true", "false", "null", "0", "-1", "1.5", "1e400", "-1e400", "9223372036854775808", "[]", "{}", "\"\"",
        "\"9223372036854775807\"", "\"abc\"", "\"\\u0000\"",
        String(repeating: "[", count: 70) + String(repeating: "]", count: 70),
        "\"" + String(repeating: "x", count: 10_000) + "\"",
    ]

    static let queryNames = ["page", "page_size", "limit", "before_id", "status", "course_id", "from", "to", "q"]
    static let bodyNames = [
        "course_id", "phone", "amount", "payment_id", "reason", "email", "password", "refresh", "account_reference",
        "transaction_desc",
    ]

    @Test func everyAPIRouteSurvivesHostileParametersHeadersAndBodies() async throws {
        try await Stack.with(api: true) { stack in
            try await stack.account("finance@example.com", roles: [.finance])
            try await stack.account("admin@example.com", roles: [.admin])
            let tokens = [
                nil, try await stack.login("finance@example.com"), try await stack.login("admin@example.com"),
            ]
            var statuses: [Int: Int] = [:]
            var failures: [String] = []
            func note(_ answer: Stack.Answer, _ what: String) {
                statuses[answer.status, default: 0] += 1
                if answer.status >= 500 && answer.status != 502 && answer.status != 504 {
                    failures.append("\(answer.status) for \(what)")
                }
            }
            for route in APIRoute.allCases {
                for (index, value) in Self.hostileText.enumerated() {
                    let token = tokens[index % tokens.count]
                    let path = route.path.replacingOccurrences(of: ":id", with: value.isEmpty ? "0" : value)
                    if route.method == "GET" {
                        let name = Self.queryNames[index % Self.queryNames.count]
                        let answer = try await stack.call("GET", path + "?\(name)=\(value)", token: token)
                        note(answer, "GET \(path)?\(name)=…")
                    } else {
                        let field = Self.bodyNames[index % Self.bodyNames.count]
                        let json = Self.hostileJSON[index % Self.hostileJSON.count]
                        let headers = [
                            HTTPHeader(name: "Idempotency-Key", value: String(repeating: "k", count: index * 20))
                        ]
                        let answer = try await stack.call(
                            "POST", path, token: token, json: "{\"\(field)\": \(json)}", headers: headers)
                        note(answer, "POST \(path) \(field)=…")
                    }
                }
            }
            for header in [
                "Bearer", "Bearer ", "Bearer a.b.c", "Bearer " + String(repeating: "A", count: 9_000), "Basic YTpi",
                "bearer x", "Bearer \u{7f}",
            ] {
                let answer = try await stack.call(
                    "GET", "/api/payments/my/", headers: [HTTPHeader(name: "Authorization", value: header)])
                note(answer, "Authorization: \(header.prefix(20))")
            }
            #expect(failures.isEmpty, "\(failures)")
            #expect(try await stack.call("GET", "/healthz").status == 200)
        }
    }

    @Test func validlySignedTokensWithHostileClaimsAreRefusedNotTrapped() async throws {
        try await Stack.with(api: true) { stack in
            let learner = try await stack.account("learner@example.com")
            let now = Int64(Date().timeIntervalSince1970)
            let numbers = [
                "9223372036854775807", "-9223372036854775808", "9223372036854775808", "1e300", "-1e300", "1.5",
                "\"x\"", "null", "true", "[]", "\(now + 3_600)", "\(now - 3_600)", "0",
            ]
            var failures: [String] = []
            for claim in ["exp", "iat", "nbf", "user_id"] {
                for value in numbers {
                    var claims: [String: String] = [
                        "token_type": "\"access\"", "exp": "\(now + 3_600)", "iat": "\(now)", "jti": "\"j\"",
                        "user_id": "\(learner)",
                    ]
                    claims[claim] = value
                    let token = Self.sign(claims, key: Stack.jwtKey)
                    let answer = try await stack.call("GET", "/api/payments/my/", token: token)
                    if ![200, 401].contains(answer.status) { failures.append("\(claim)=\(value): \(answer.status)") }
                    // The same claims in a refresh token, refreshed and logged out (both write its expiry).
                    claims["token_type"] = "\"refresh\""
                    let refresh = Self.sign(claims, key: Stack.jwtKey)
                    for path in ["/api/auth/refresh/", "/api/auth/logout/"] {
                        let answer = try await stack.call("POST", path, json: #"{"refresh": "\#(refresh)"}"#)
                        if ![200, 401].contains(answer.status) {
                            failures.append("\(path) \(claim)=\(value): \(answer.status)")
                        }
                    }
                }
            }
            #expect(failures.isEmpty, "\(failures)")
            #expect(try await stack.call("GET", "/healthz").status == 200)
        }
    }

    @Test func everyConsoleRouteSurvivesHostileParameters() async throws {
        try await DatabaseStack.with { stack in
            try await ConsoleSafetyTests.withConsole(stack, roles: [.finance]) { console in
                var failures: [String] = []
                let paths = [
                    "/console/", "/console/payments", "/console/payments/:id", "/console/callbacks/:id",
                    "/console/refunds", "/console/refunds/:id", "/console/exceptions", "/console/exceptions/:id",
                    "/console/reports", "/console/audit", "/console/reports/files/:id/:id",
                    "/console/reports/unmasked/:id/:id", "/console/login",
                ]
                for path in paths {
                    for value in Self.hostileText {
                        let filled = path.replacingOccurrences(of: ":id", with: value.isEmpty ? "0" : value)
                        for query in ["q", "status", "kind", "before", "next", "page"] {
                            let answer = try await console.get(filled + "?\(query)=\(value)")
                            if answer.status >= 500 { failures.append("\(answer.status) for \(filled)?\(query)") }
                        }
                    }
                }
                for path in ["/console/refunds", "/console/reports", "/console/payments/1/decide", "/console/login"] {
                    for value in Self.hostileText {
                        let body = "csrf_token=csrf-token&amount=\(value)&payment_id=\(value)&from=\(value)&to=\(value)"
                        let answer = try await console.http.send(
                            HTTPRequest(
                                method: .POST, url: console.base + path,
                                headers: [
                                    console.cookie,
                                    HTTPHeader(name: "Content-Type", value: "application/x-www-form-urlencoded"),
                                ],
                                body: Array(body.utf8)))
                        if answer.status >= 500 { failures.append("\(answer.status) for POST \(path)") }
                    }
                }
                #expect(failures.isEmpty, "\(failures.prefix(20))")
                #expect(try await console.http.send(.get(console.base + "/healthz")).status == 200)
            }
        }
    }

    /// An HS256 JWT over claims given as JSON literals (so that any value, legal or not, can be signed).
    static func sign(_ claims: [String: String], key: String) -> String {
        func base64url(_ data: some DataProtocol) -> String {
            Data(data).base64EncodedString().replacingOccurrences(of: "+", with: "-")
                .replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
        }
        let payload =
            "{" + claims.keys.sorted().map { "\"\($0)\":\(claims[$0] ?? "null")" }.joined(separator: ",") + "}"
        let input = base64url(Data(#"{"alg":"HS256","typ":"JWT"}"#.utf8)) + "." + base64url(Data(payload.utf8))
        let signature = HMAC<SHA256>.authenticationCode(
            for: Data(input.utf8), using: SymmetricKey(data: Data(key.utf8)))
        return input + "." + base64url(Data(signature))
    }
}
