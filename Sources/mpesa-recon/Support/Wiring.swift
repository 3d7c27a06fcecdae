import Daraja
import Foundation
import Logging
import ReconApp
import ReconCore
import ReconPostgres

/// Builds the concrete collaborators from settings: the only place that knows every concrete type.
enum Wiring {
    /// A pool for `serve`, which owns it for the server's lifetime; every other command uses `withConnectionPool`.
    static func pool(_ env: Environment, connections: Int = 8) throws -> ConnectionPool {
        ConnectionPool(settings: try DatabaseSettings.load(from: env), maxConnections: connections)
    }

    /// The Daraja client; with `b2c` it also reads the certificate and builds the SecurityCredential.
    static func darajaClient(_ env: Environment, b2c: Bool = false) throws -> DarajaClient {
        try DarajaWiring.client(env, b2c: b2c)
    }

    /// Progress on a terminal only: cron and pipes stay quiet.
    static var stderrIsTerminal: Bool { isatty(2) == 1 }

    static func progressPrinter(_ label: String) -> (@Sendable (Int, Int) -> Void)? {
        guard stderrIsTerminal else { return nil }
        return { done, total in
            FileHandle.standardError.write(Data("\r\(label): \(done)/\(total)".utf8))
        }
    }

    /// Ends a progress line, on a terminal only.
    static func endProgress() {
        if stderrIsTerminal { FileHandle.standardError.write(Data("\n".utf8)) }
    }
}
