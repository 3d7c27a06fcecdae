/// The one error type of the Daraja module: what went wrong, which field, and a reason that is safe to print.
///
/// `description` never carries tokens, passwords, passkeys, phone numbers or raw bodies; `detail` may hold more
/// (for example OpenSSL's error queue) and is shown only by `debugDescription`.
public struct DarajaError: Error, Sendable, Hashable, CustomStringConvertible, CustomDebugStringConvertible {
    /// A kind of failure; new kinds are added as static members.
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        /// A stable name, e.g. `malformedJSON`.
        public let name: String

        /// A code with a stable name.
        public init(_ name: String) {
            self.name = name
        }

        /// The body is not JSON (or not UTF-8, or nested too deeply).
        public static let malformedJSON = Code("malformedJSON")
        /// The body is JSON but not the expected shape (e.g. an array where an object is needed).
        public static let unexpectedShape = Code("unexpectedShape")
        /// A required field is absent or empty.
        public static let missingField = Code("missingField")
        /// A field is present but its value cannot be used (e.g. an amount of `1.001`).
        public static let invalidField = Code("invalidField")
        /// A synchronous answer did not accept the request (`ResponseCode` other than `0`).
        public static let notAccepted = Code("notAccepted")
        /// A request we were about to send breaks one of Daraja's rules.
        public static let invalidRequest = Code("invalidRequest")
        /// OpenSSL could not read a key or certificate, or could not encrypt or decrypt.
        public static let crypto = Code("crypto")
        /// No HTTP answer at all (connection refused, DNS, timeout): Daraja was not reached.
        public static let transport = Code("transport")

        public var description: String { name }
    }

    /// What kind of failure this is.
    public var code: Code
    /// The Daraja field concerned, e.g. `CheckoutRequestID`, when there is one.
    public var field: String?
    /// Why, in words safe for logs.
    public var reason: String
    /// Extra detail for debugging (library messages); never secrets, but kept out of `description` all the same.
    public var detail: String?

    /// An error with its parts.
    public init(_ code: Code, field: String? = nil, reason: String, detail: String? = nil) {
        self.code = code
        self.field = field
        self.reason = reason
        self.detail = detail
    }

    public var description: String {
        if let field { return "daraja \(code): \(field): \(reason)" }
        return "daraja \(code): \(reason)"
    }

    public var debugDescription: String {
        guard let detail else { return description }
        return description + " (" + detail + ")"
    }
}
