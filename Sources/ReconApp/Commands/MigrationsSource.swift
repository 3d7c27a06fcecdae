public import Foundation
public import ReconCore
public import ReconPostgres

/// Which migrations `migrate`, `doctor` and the demo use: the ones built into the binary (`Migration.embedded`), or
/// a folder the operator names. Nothing is looked for beside the executable or in the working directory.
public enum MigrationsSource {
    /// The folder named by the flag (`--sql-dir`) or `RECON_SQL_DIR`; nil means the embedded migrations.
    public static func folder(flag: String?, env: Environment) -> URL? {
        (flag ?? env.optional("RECON_SQL_DIR")).map { URL(fileURLWithPath: $0) }
    }

    /// The migrations of that folder when one is named, else the embedded ones.
    public static func migrations(flag: String?, env: Environment) throws(PostgresError) -> [Migration] {
        try migrations(folder: folder(flag: flag, env: env))
    }

    /// The migrations of `folder`, or the embedded ones when it is nil.
    public static func migrations(folder: URL?) throws(PostgresError) -> [Migration] {
        guard let folder else { return Migration.embedded }
        return try Migration.load(from: folder)
    }
}
