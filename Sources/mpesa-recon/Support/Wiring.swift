import Daraja
import Foundation
import Logging
import ReconCore
import ReconHTTP
import ReconPostgres

/// Builds the concrete collaborators from settings: the only place that knows every concrete type.
enum Wiring {
    static func pool(_ env: Environment, connections: Int = 8) throws -> ConnectionPool {
        ConnectionPool(settings: try DatabaseSettings.load(from: env), maxConnections: connections)
    }

    /// The Daraja client; with `b2c` it also reads the certificate and builds the SecurityCredential.
    static func darajaClient(_ env: Environment, b2c: Bool = false) throws -> DarajaClient {
        let settings = try DarajaSettings.load(from: env)
        var configuration = DarajaClientConfiguration(settings: settings)
        if b2c { configuration.b2c = try b2cConfiguration(env) }
        return DarajaClient(
            configuration: configuration, http: HTTPClient(), logger: Logger(label: "mpesa-recon.daraja"))
    }

    static func b2cConfiguration(_ env: Environment) throws -> B2CConfiguration {
        let settings = try B2CSettings.load(from: env)
        guard let pem = FileManager.default.contents(atPath: settings.certificatePath) else {
            throw ConfigurationError(variable: "MPESA_CERT_PATH", problem: "names a file that cannot be read")
        }
        let credential: String
        do {
            credential = try SecurityCredential.encrypt(
                password: settings.initiatorPassword, certificatePEM: pem)
        } catch {
            throw ConfigurationError(variable: "MPESA_CERT_PATH", problem: "is not a usable certificate: \(error)")
        }
        return B2CConfiguration(
            shortcode: settings.shortcode, initiatorName: settings.initiatorName, securityCredential: credential,
            resultURL: settings.resultURL, timeoutURL: settings.timeoutURL)
    }

    /// Progress on a terminal only: cron and pipes stay quiet.
    static var stderrIsTerminal: Bool { isatty(2) == 1 }

    static func progressPrinter(_ label: String) -> (@Sendable (Int, Int) -> Void)? {
        guard stderrIsTerminal else { return nil }
        return { done, total in
            FileHandle.standardError.write(Data("\r\(label): \(done)/\(total)".utf8))
        }
    }
}
