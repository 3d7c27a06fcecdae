/// The process exit statuses of ARCHITECTURE.md §9, the contract cron and systemd read.
public enum ExitStatus: Int32, Sendable {
    /// Done.
    case success = 0
    /// Something failed (the database, Daraja, a file); the message says what.
    case failure = 1
    /// Bad arguments or settings: nothing was done.
    case usage = 2
    /// Another `run` holds the lock: nothing was done (`SuccessExitStatus=75` in the systemd unit).
    case lockHeld = 75
}

/// An error that knows the exit status it ends the CLI with: the CLI has one catch for all of them.
public protocol ExitStatusConvertible: Error, CustomStringConvertible {
    /// The status the process exits with when this error ends a command.
    var exitStatus: ExitStatus { get }
}
