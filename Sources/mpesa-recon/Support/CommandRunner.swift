import ArgumentParser
import Foundation
import Logging
import ReconCore
import ReconOperations
import ReconPostgres

/// Runs the parsed command and turns every outcome into the documented exit code (DESIGN §7).
enum CommandRunner {
    static func run(_ root: MpesaRecon.Type) async {
        bootstrapLogging()
        do {
            var command = try root.parseAsRoot()
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch let error as ConfigurationError {
            fail(error.description, code: ExitCodes.usage)
        } catch let error as CLIError {
            fail(error.message, code: error.exitCode)
        } catch let error as Operations.RunLockHeld {
            fail(error.description, code: ExitCodes.lockHeld)
        } catch let error as PostgresError {
            fail(error.description, code: ExitCodes.failure)
        } catch {
            let code = root.exitCode(for: error)
            if code == .success {
                root.exit(withError: error)
            } else if code == .validationFailure {
                FileHandle.standardError.write(Data((root.fullMessage(for: error) + "\n").utf8))
                Foundation.exit(ExitCodes.usage)
            } else if error is ExitCode {
                Foundation.exit(code.rawValue)
            } else {
                fail("\(error)", code: ExitCodes.failure)
            }
        }
    }

    static func fail(_ message: String, code: Int32) -> Never {
        FileHandle.standardError.write(Data("mpesa-recon: \(message)\n".utf8))
        Foundation.exit(code)
    }

    /// Logs go to stderr; `RECON_LOG_LEVEL` (trace…critical) sets the level, `info` by default.
    static func bootstrapLogging() {
        let level = ProcessInfo.processInfo.environment["RECON_LOG_LEVEL"].flatMap(Logger.Level.init(rawValue:))
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level ?? .info
            return handler
        }
    }
}

/// The exit codes of DESIGN §7.
enum ExitCodes {
    static let success: Int32 = 0
    static let failure: Int32 = 1
    static let usage: Int32 = 2
    static let lockHeld: Int32 = 75
}

/// A failure the CLI reports with its own exit code.
struct CLIError: Error {
    var message: String
    var exitCode: Int32 = ExitCodes.failure
}
