public import ReconCore

/// The application layer's own failures, those that are not a database's, Daraja's or a rule's refusal: a lock
/// another process holds, a store that took no batch in time, a row that contradicts what was just written.
public typealias ReconAppError = CodedError<ReconAppErrorCodes>

/// The codes of ``ReconAppError``.
public enum ReconAppErrorCodes {}

extension CodedError.Code where Domain == ReconAppErrorCodes {
    /// Another process holds the lock; nothing was done.
    public static var lockHeld: Self { Self(raw: "lock held") }
    /// The callback store took no batch within its deadline, or has stopped (the body is spooled).
    public static var storeTimeout: Self { Self(raw: "store timeout") }
    /// What the database holds contradicts what this process just wrote or read (a bug or a concurrent delete).
    public static var inconsistent: Self { Self(raw: "inconsistent") }
    /// An outside part the command needs answered something it cannot use.
    public static var unavailable: Self { Self(raw: "unavailable") }
    /// The command cannot start from this state (the message says what to do first).
    public static var precondition: Self { Self(raw: "precondition") }
}

extension CodedError: ExitStatusConvertible where Domain == ReconAppErrorCodes {
    public var exitStatus: ExitStatus { code == .lockHeld ? .lockHeld : .failure }
}

extension PayError: ExitStatusConvertible {
    public var exitStatus: ExitStatus { isUsage ? .usage : .failure }
}

extension AccountRefusal: ExitStatusConvertible {
    public var exitStatus: ExitStatus { .usage }
}
