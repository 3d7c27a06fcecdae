public import Daraja
import Foundation
public import Logging
public import ReconCore
import ReconHTTP

/// Builds the Daraja client from settings, the same way for `mpesa-recon` and every tool that sends.
public enum DarajaWiring {
    /// The Daraja client; with `b2c` it also reads the certificate and builds the SecurityCredential.
    public static func client(
        _ env: Environment, b2c: Bool = false, logger: Logger = Logger(label: "mpesa-recon.daraja")
    ) throws -> DarajaClient {
        let settings = try DarajaSettings.load(from: env)
        var configuration = DarajaClientConfiguration(settings: settings)
        if b2c { configuration.b2c = try b2cConfiguration(env) }
        return DarajaClient(configuration: configuration, http: HTTPClient(), logger: logger)
    }

    /// The B2C settings with the initiator password encrypted under the configured certificate.
    public static func b2cConfiguration(_ env: Environment) throws -> B2CConfiguration {
        let settings = try B2CSettings.load(from: env)
        guard let pem = FileManager.default.contents(atPath: settings.certificatePath) else {
            throw ConfigurationError(variable: "MPESA_CERT_PATH", problem: "names a file that cannot be read")
        }
        let credential: String
        do {
            credential = try SecurityCredential.encrypt(password: settings.initiatorPassword, certificatePEM: pem)
        } catch {
            throw ConfigurationError(variable: "MPESA_CERT_PATH", problem: "is not a usable certificate: \(error)")
        }
        return B2CConfiguration(
            shortcode: settings.shortcode, initiatorName: settings.initiatorName, securityCredential: credential,
            resultURL: settings.resultURL, timeoutURL: settings.timeoutURL)
    }

    /// The variables of B2C: `run` skips refunds when none is set, and fails when only some are.
    public static let b2cVariables = [
        "MPESA_B2C_SHORTCODE", "MPESA_B2C_INITIATOR_NAME", "MPESA_B2C_INITIATOR_PASSWORD", "MPESA_CERT_PATH",
        "MPESA_B2C_RESULT_URL", "MPESA_B2C_TIMEOUT_URL",
    ]

    /// Whether any B2C setting is present.
    public static func b2cConfigured(_ env: Environment) -> Bool {
        b2cVariables.contains { env.optional($0) != nil }
    }
}
