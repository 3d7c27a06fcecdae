import Logging

/// The lines the CLI itself writes on stderr (problems, refusals), in the log format in force.
enum Diagnostics {
    /// One problem line: `mpesa-recon: message`, or a JSON object with `RECON_LOG_FORMAT=json`.
    static func problem(_ message: String) {
        LogOutput.line(message, level: .error)
    }

    /// One warning line, in the same format.
    static func warning(_ message: String) {
        LogOutput.line(message, level: .warning)
    }
}
