/// A Daraja result or response code, kept as the exact text Daraja sent.
///
/// Daraja sends codes as JSON numbers (`0`, `1032`) or strings (`"0"`, `"R000001"`, `"SFC_IC0003"`), so a code is
/// text everywhere (DARAJA.md §7 "Model ResultCode as a string everywhere"). A JSON number is kept as the digits it
/// was written with, which makes the number `0` and the string `"0"` the same code. Nothing else is normalised:
/// `"00"` and `"0.0"` are different codes from `"0"`, and an unfamiliar form is a code nobody understands, which is
/// the safe reading for money.
public struct DarajaCode: Sendable, Hashable, CustomStringConvertible, ExpressibleByStringLiteral {
    /// The code exactly as sent: a JSON string's content or a JSON number's literal text.
    public let text: String

    /// A code from its text.
    public init(_ text: String) {
        self.text = text
    }

    /// A code from an integer, as a JSON number would carry it: `DarajaCode(0) == DarajaCode("0")`.
    public init(_ value: Int) {
        self.text = String(value)
    }

    /// A code from a literal.
    public init(stringLiteral value: String) {
        self.text = value
    }

    public var description: String { text }
}
