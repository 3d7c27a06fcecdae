import Testing

@testable import ReconServer

/// The audit page's one-line summary of a row's `detail` JSON (typed decoding, no `[String: Any]`).
@Suite struct AuditDetailTests {
    @Test("a transition reads from → to, the other keys follow sorted, nulls and empty text are left out")
    func summary() {
        let json = #"{"to":"approved","from":"proposed","amount":"1500.00","count":3,"rate":2.5,"ok":true,"x":null}"#
        #expect(ConsoleText.auditDetail(json) == "proposed → approved; amount: 1500.00; count: 3; ok: true; rate: 2.5")
    }

    @Test("not a JSON object: nothing shown; a nested value shows as an ellipsis")
    func oddShapes() {
        #expect(ConsoleText.auditDetail("[1,2]") == "")
        #expect(ConsoleText.auditDetail("not json") == "")
        #expect(ConsoleText.auditDetail(#"{"roles":["admin"],"note":""}"#) == "roles: …")
    }
}
