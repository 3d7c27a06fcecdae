import Foundation
import ReconPostgres
import Testing

@Suite("JSONText builds the JSON objects stored in jsonb columns")
struct JSONTextTests {
    /// Parses `text` back with Foundation's parser, which is strict about escapes and control characters.
    private func parse(_ text: String) throws -> [String: Any] {
        let object = try JSONSerialization.jsonObject(with: Data(text.utf8))
        return try #require(object as? [String: Any])
    }

    @Test("every string survives the round trip: quotes, backslashes, control characters, non-ASCII")
    func strings() throws {
        let awkward = [
            "plain", "", "say \"hi\"", "back\\slash", "line\nbreak\r\ttab", "bell\u{7}\u{1F}", "Nairobi ✓ 🇰🇪",
            "</script>", "a/b",
        ]
        for (index, value) in awkward.enumerated() {
            let pairs = ["key \(index) \"q\"": value, "other": "x"]
            let text = JSONText.object(pairs)
            let parsed = try parse(text)
            #expect(parsed.count == 2, "\(text)")
            #expect(parsed["key \(index) \"q\""] as? String == value, "\(text)")
        }
    }

    @Test("keys are sorted and NUL characters are dropped from keys and values")
    func sortedWithoutNUL() throws {
        let text = JSONText.object(["b": "2", "a\u{0}": "1\u{0}x", "c": "3"])
        #expect(text == #"{"a":"1x","b":"2","c":"3"}"#)
        #expect(!text.utf8.contains(0))
    }

    @Test("integers and booleans are written as JSON numbers and booleans; other values fall back")
    func mixedValues() throws {
        let values: [String: any Sendable] = ["count": 42, "big": Int64.max, "ok": true, "no": false, "name": "x"]
        let text = JSONText.object(values)
        #expect(text == #"{"big":9223372036854775807,"count":42,"name":"x","no":false,"ok":true}"#)
        let fallback = JSONText.object(["list": ["a", "b"] as [String]])
        #expect(try parse(fallback)["list"] as? [String] == ["a", "b"])
    }
}
