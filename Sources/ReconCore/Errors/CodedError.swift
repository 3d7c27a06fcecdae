/// An error with a code programs compare and a message safe to show a person; `Domain` keeps each family's codes
/// apart (``RefundRefusal``, the identity module's `IdentityError`), so one shape serves them all.
public struct CodedError<Domain>: Error, Sendable, Equatable, CustomStringConvertible {
    /// Which rule or part refused; each domain lists its codes in an extension.
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        let raw: String

        /// A code with its word.
        public init(raw: String) { self.raw = raw }

        public var description: String { raw }
    }

    /// The code.
    public var code: Code
    /// What to tell the person, safe to print (never a phone number, a password or a secret).
    public var message: String

    /// An error value.
    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }
}
