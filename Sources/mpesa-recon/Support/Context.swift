/// Options every command takes.
import ArgumentParser
import Foundation
import ReconApp
import ReconCore
import ReconPostgres
import ReconPresentation

struct CommonOptions: ParsableArguments {
    @Flag(name: .long, help: "Print a machine-readable JSON summary on stdout.")
    var json = false

    @Option(name: .long, help: "Read settings from this file instead of ./.env.")
    var envFile: String?
}

/// Resolves settings from `.env` and the process environment, in that order (the environment wins).
enum Context {
    /// The settings, checked at once for everything the command needs (plus logging): every problem in one go.
    static func environment(_ options: CommonOptions, needs: Set<SettingsNeed>) throws -> Environment {
        let env = try environment(options)
        try check(env, needs: needs)
        return env
    }

    /// Throws ``ConfigurationProblems`` listing every problem of the settings in `needs` (and of logging).
    static func check(_ env: Environment, needs: Set<SettingsNeed>) throws {
        let problems = ConfigurationCheck.problems(env, needs: needs.union([.logging]))
        if !problems.isEmpty { throw ConfigurationProblems(problems) }
    }

    static func environment(_ options: CommonOptions) throws -> Environment {
        try environment(envFile: options.envFile)
    }

    /// The settings from `envFile` (or `./.env` when it is `nil`) and the process environment: what the commands
    /// read, and what logging is bootstrapped from before the arguments are parsed.
    static func environment(envFile: String?) throws -> Environment {
        let path = envFile ?? FileManager.default.currentDirectoryPath + "/.env"
        var dotEnv: String?
        if FileManager.default.fileExists(atPath: path) {
            guard let data = FileManager.default.contents(atPath: path) else {
                throw CLIError(message: "cannot read \(path)", exitCode: ExitCodes.usage)
            }
            dotEnv = String(decoding: data, as: UTF8.self)
        } else if envFile != nil {
            throw CLIError(message: "no such settings file: \(path)", exitCode: ExitCodes.usage)
        }
        return Environment(dotEnv: dotEnv, process: ProcessInfo.processInfo.environment)
    }

    /// The value of `--env-file` among raw command-line arguments (`--env-file PATH` or `--env-file=PATH`, before
    /// any `--`), for the logging bootstrap that runs before the arguments are parsed.
    static func envFileArgument(_ arguments: [String]) -> String? {
        var index = 0
        while index < arguments.count {
            let argument = arguments[index]
            if argument == "--" { return nil }
            if argument == "--env-file" { return index + 1 < arguments.count ? arguments[index + 1] : nil }
            if argument.hasPrefix("--env-file=") { return String(argument.dropFirst("--env-file=".count)) }
            index += 1
        }
        return nil
    }

    /// The database settings (`DATABASE_URL` or the `DB_*` parts).
    static func database(_ env: Environment) throws -> DatabaseSettings {
        try DatabaseSettings.load(from: env)
    }

    /// The database settings of the command's settings, for a command that needs nothing else from them.
    static func database(_ options: CommonOptions) throws -> DatabaseSettings {
        try database(environment(options))
    }

    /// The migrations: the folder named by the flag or `RECON_SQL_DIR`, else the ones built into the binary.
    static func migrations(flag: String?, env: Environment) throws -> [Migration] {
        do {
            return try MigrationsSource.migrations(flag: flag, env: env)
        } catch {
            throw CLIError(message: error.message, exitCode: ExitCodes.usage)
        }
    }

    /// Writes a value as JSON on stdout (``JSONRendering``).
    static func printJSON(_ value: some Encodable) throws {
        print(try JSONRendering.render(value))
    }

    /// Prints a view on stdout: its JSON with `--json`, else its text.
    static func show(_ view: some Presentable, json: Bool) throws {
        print(json ? try view.json() : view.text)
    }
}
