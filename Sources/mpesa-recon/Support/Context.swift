/// Options every command takes.
import ArgumentParser
import Foundation
import ReconCore
import ReconPostgres

struct CommonOptions: ParsableArguments {
    @Flag(name: .long, help: "Print a machine-readable JSON summary on stdout.")
    var json = false

    @Option(name: .long, help: "Read settings from this file instead of ./.env.")
    var envFile: String?
}

/// Resolves settings from `.env` and the process environment, in that order (the environment wins).
enum Context {
    static func environment(_ options: CommonOptions) throws -> Environment {
        let path = options.envFile ?? FileManager.default.currentDirectoryPath + "/.env"
        var dotEnv: String?
        if FileManager.default.fileExists(atPath: path) {
            guard let data = FileManager.default.contents(atPath: path) else {
                throw CLIError(message: "cannot read \(path)", exitCode: ExitCodes.usage)
            }
            dotEnv = String(decoding: data, as: UTF8.self)
        } else if options.envFile != nil {
            throw CLIError(message: "no such settings file: \(path)", exitCode: ExitCodes.usage)
        }
        return Environment(dotEnv: dotEnv, process: ProcessInfo.processInfo.environment)
    }

    /// Connects to the configured database.
    static func connect(_ env: Environment) async throws -> PostgresConnection {
        let settings = try DatabaseSettings.load(from: env)
        return try await PostgresConnection.connect(settings)
    }

    /// Finds `sql/`: the flag, `RECON_SQL_DIR`, `./sql`, or the checkout the executable was built in.
    static func migrationsDirectory(flag: String?, env: Environment) throws -> URL {
        if let path = flag ?? env.optional("RECON_SQL_DIR") { return URL(fileURLWithPath: path) }
        let fileManager = FileManager.default
        let local = URL(fileURLWithPath: fileManager.currentDirectoryPath).appendingPathComponent("sql")
        if fileManager.fileExists(atPath: local.appendingPathComponent("001_init.sql").path) { return local }
        var folder = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
            .deletingLastPathComponent()
        for _ in 0..<6 {
            let candidate = folder.appendingPathComponent("sql")
            if fileManager.fileExists(atPath: candidate.appendingPathComponent("001_init.sql").path) {
                return candidate
            }
            folder.deleteLastPathComponent()
        }
        throw CLIError(
            message: "cannot find the sql/ migrations folder; pass --sql-dir or set RECON_SQL_DIR",
            exitCode: ExitCodes.usage)
    }

    /// Writes a value as pretty JSON with sorted keys to stdout.
    static func printJSON(_ value: some Encodable) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.dateEncodingStrategy = .iso8601
        FileHandle.standardOutput.write(try encoder.encode(value))
        FileHandle.standardOutput.write(Data("\n".utf8))
    }
}
