import ReconCore

/// Reading Daraja's loosely typed fields out of a ``JSON`` value, with one error vocabulary.
enum Fields {
    /// Parses a body that must be a JSON object.
    static func object(_ bytes: some Collection<UInt8>) throws(DarajaError) -> JSON {
        let root = try JSON.parse(bytes)
        guard root.members != nil else {
            throw DarajaError(.unexpectedShape, reason: "the body is JSON but not an object")
        }
        return root
    }

    /// A nested object that must be present.
    static func requiredObject(_ value: JSON, _ key: String) throws(DarajaError) -> JSON {
        guard let nested = value[key] else { throw DarajaError(.missingField, field: key, reason: "is missing") }
        guard nested.members != nil else { throw DarajaError(.unexpectedShape, field: key, reason: "is not an object") }
        return nested
    }

    /// A string or number as text; `nil` when absent, `null`, empty, or of another type.
    static func text(_ value: JSON?) -> String? {
        guard let text = value?.scalarText, !text.isEmpty else { return nil }
        return text
    }

    /// A string or number as text that must be present and not empty.
    static func requiredText(_ value: JSON, _ key: String) throws(DarajaError) -> String {
        guard let field = value[key] else { throw DarajaError(.missingField, field: key, reason: "is missing") }
        guard let text = field.scalarText else {
            throw DarajaError(.invalidField, field: key, reason: "is neither a string nor a number")
        }
        guard !text.isEmpty else { throw DarajaError(.missingField, field: key, reason: "is empty") }
        return text
    }

    /// A result or response code: a JSON number keeps its digits, so `0` and `"0"` read the same.
    static func requiredCode(_ value: JSON, _ key: String) throws(DarajaError) -> DarajaCode {
        DarajaCode(try requiredText(value, key))
    }

    /// The object of a synchronous "accepted" answer; ``DarajaError/Code/notAccepted`` unless `ResponseCode` is 0.
    static func acceptedObject(_ body: some Collection<UInt8>) throws(DarajaError) -> JSON {
        let root = try object(body)
        let code = try requiredCode(root, "ResponseCode")
        guard code.text == "0" else {
            throw DarajaError(.notAccepted, field: "ResponseCode", reason: "is \(code.text), not 0")
        }
        return root
    }

    /// Text made only of ASCII digits (an MSISDN, a `YYYYMMDDHHmmss` date); `nil` for anything else, such as a
    /// masked number `25470****149` or a float literal.
    static func digits(_ value: JSON?) -> String? {
        guard let text = text(value), text.utf8.allSatisfy({ (0x30...0x39).contains($0) }) else { return nil }
        return text
    }

    /// An exact positive amount from a number literal or a string; `1`, `1.00` and `"1.00"` are 100 cents.
    ///
    /// The text goes straight to `Money.parse`, never through `Double`; `1.001`, `1e2` and negatives are refused.
    static func amount(_ value: JSON?, field: String) throws(DarajaError) -> Money? {
        guard let value, value != .null else { return nil }
        guard let text = value.scalarText else {
            throw DarajaError(.invalidField, field: field, reason: "is neither a string nor a number")
        }
        let money: Money
        do {
            money = try Money.parse(text)
        } catch {
            throw DarajaError(.invalidField, field: field, reason: "is not an exact amount: \(error)")
        }
        guard money.minorUnits > 0 else {
            throw DarajaError(.invalidField, field: field, reason: "is not a positive amount")
        }
        return money
    }

    /// `Originator Conversation ID` and `OriginatorConversationID` name the same key (DARAJA.md §7).
    static func normalisedKey(_ key: String) -> String {
        String(key.filter { $0 != " " }.lowercased())
    }
}

/// One `{Key, Value}` pair of a `ResultParameters` or `ReferenceData` list, in the order received.
public struct ResultParameter: Sendable, Hashable {
    /// The key as sent, e.g. `TransactionAmount` or `Originator Conversation ID`.
    public let key: String
    /// A string's content or a number's literal text; `nil` when the item has no usable `Value`.
    public let value: String?

    /// A parameter from its parts.
    public init(key: String, value: String?) {
        self.key = key
        self.value = value
    }
}

/// Reading `{Key, Value}` lists whose container may be an array or a single object.
struct ParameterList {
    let parameters: [ResultParameter]
    private let raw: [(key: String, value: JSON?)]

    /// `container[listKey]` as a list of items; a missing container is an empty list.
    init(_ container: JSON?, listKey: String) {
        var raw: [(key: String, value: JSON?)] = []
        for item in container?[listKey]?.elementsOrSingle ?? [] {
            guard let key = item["Key"]?.scalarText else { continue }
            raw.append((key, item["Value"]))
        }
        self.raw = raw
        self.parameters = raw.map { ResultParameter(key: $0.key, value: $0.value?.scalarText) }
    }

    /// The first value whose key matches any of `names`, ignoring spaces and case.
    func value(_ names: String...) -> JSON? {
        let wanted = Set(names.map(Fields.normalisedKey))
        return raw.first { wanted.contains(Fields.normalisedKey($0.key)) }?.value
    }

    /// Every value of a key that may repeat, such as `DebitPartyName`.
    func values(_ name: String) -> [String] {
        let wanted = Fields.normalisedKey(name)
        return raw.compactMap { Fields.normalisedKey($0.key) == wanted ? Fields.text($0.value) : nil }
    }
}
