import ArgumentParser
import Foundation
import Logging
import ReconApp
import ReconCore
import ReconPostgres

/// Runs the parsed command and turns every outcome into the documented exit code (ARCHITECTURE.md §9).
enum CommandRunner {
    static func run(_ root: MpesaRecon.Type) async {
        // Everything mpesa-recon writes (reports, the spool, logs to files) holds payers' data: owner-only files.
        umask(0o077)
        bootstrapLogging()
        do {
            var command = try root.parseAsRoot()
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch let error as ConfigurationProblems {
            for problem in error.problems.dropLast() { Diagnostics.problem(problem.description) }
            fail(error.problems.last?.description ?? "configuration", code: ExitCodes.usage)
        } catch let error as any ExitStatusConvertible {
            // Every error of the project's own layers says its status (ARCHITECTURE.md §9): one mapping.
            fail(error.description, code: error.exitStatus.rawValue)
        } catch {
            let code = root.exitCode(for: error)
            if code == .success {
                root.exit(withError: error)
            } else if code == .validationFailure {
                let message = root.fullMessage(for: error)
                if LogOutput.json {
                    LogOutput.line(message, level: .error)
                } else {
                    FileHandle.standardError.write(Data((message + "\n").utf8))
                }
                Foundation.exit(ExitCodes.usage)
            } else if error is ExitCode {
                Foundation.exit(code.rawValue)
            } else {
                fail("\(error)", code: ExitCodes.failure)
            }
        }
    }

    static func fail(_ message: String, code: Int32) -> Never {
        Diagnostics.problem(message)
        Foundation.exit(code)
    }

    /// Logs go to stderr; `RECON_LOG_LEVEL` (trace…critical) sets the level, `info` by default;
    /// `RECON_LOG_FORMAT=json` makes every stderr line one JSON object.
    ///
    /// The settings are those the command reads: `--env-file` (found before the arguments are parsed) or `./.env`,
    /// then the process environment. A settings file that cannot be read leaves logging on the process environment;
    /// the command then reports the file itself.
    static func bootstrapLogging() {
        let envFile = Context.envFileArgument(Array(CommandLine.arguments.dropFirst()))
        let env =
            (try? Context.environment(envFile: envFile))
            ?? Environment(dotEnv: nil, process: ProcessInfo.processInfo.environment)
        LogOutput.bootstrap(env)
    }
}

/// The exit codes of ARCHITECTURE.md §9 (``ExitStatus``), as `exit(3)` takes them.
enum ExitCodes {
    static let success = ExitStatus.success.rawValue
    static let failure = ExitStatus.failure.rawValue
    static let usage = ExitStatus.usage.rawValue
    static let lockHeld = ExitStatus.lockHeld.rawValue
}

/// A failure the CLI reports with its own exit code.
struct CLIError: ExitStatusConvertible {
    var message: String
    var exitCode: Int32 = ExitCodes.failure

    var description: String { message }
    var exitStatus: ExitStatus { ExitStatus(rawValue: exitCode) ?? .failure }
}
