public import Foundation
public import ReconCore

/// Finds the `sql/` migrations folder for the executables that migrate (`mpesa-recon migrate`, the demo).
public enum MigrationsLocator {
    /// Why no folder was found.
    public struct NotFound: Error, CustomStringConvertible {
        /// The message, naming the flag and the variable that fix it.
        public var description: String {
            "cannot find the sql/ migrations folder; pass --sql-dir or set RECON_SQL_DIR"
        }
    }

    /// The flag, `RECON_SQL_DIR`, `./sql`, or the checkout the executable was built in (up to six folders up).
    public static func directory(flag: String?, env: Environment, executable: String) throws -> URL {
        if let path = flag ?? env.optional("RECON_SQL_DIR") { return URL(fileURLWithPath: path) }
        let fileManager = FileManager.default
        let local = URL(fileURLWithPath: fileManager.currentDirectoryPath).appendingPathComponent("sql")
        if fileManager.fileExists(atPath: local.appendingPathComponent("001_init.sql").path) { return local }
        var folder = URL(fileURLWithPath: executable).resolvingSymlinksInPath().deletingLastPathComponent()
        for _ in 0..<6 {
            let candidate = folder.appendingPathComponent("sql")
            if fileManager.fileExists(atPath: candidate.appendingPathComponent("001_init.sql").path) {
                return candidate
            }
            folder.deleteLastPathComponent()
        }
        throw NotFound()
    }
}
