import Daraja
import DarajaSimulator
import Foundation
import HTTPServerKit
import Logging
import ReconCore
import ReconHTTP

/// A simulator on a loopback port and a Daraja client pointed at it, for one test.
struct SimulatorHarness {
    let simulator: DarajaSimulator
    let server: RunningServer
    let client: DarajaClient
    let http: HTTPClient

    static let initiatorPassword = SimulatorConfiguration().initiatorPassword

    static func start(
        callbackURL: String = "http://127.0.0.1:9/api/payments/callback/?token=t", b2c: Bool = true
    ) async throws -> SimulatorHarness {
        let key = SimulatorKeys.privateKeyPEM
        let simulator = DarajaSimulator(decryptCredential: {
            try? SecurityCredential.decrypt(base64: $0, privateKeyPEM: key.utf8)
        })
        let server = try await RunningServer.start(
            simulator.router(), serverName: "daraja-sim", logger: Logger(label: "sim"))
        let config = SimulatorConfiguration()
        var b2cConfiguration: B2CConfiguration?
        if b2c {
            b2cConfiguration = B2CConfiguration(
                shortcode: config.b2cShortcode, initiatorName: config.initiatorName,
                securityCredential: try SecurityCredential.encrypt(
                    password: config.initiatorPassword, certificatePEM: SimulatorKeys.certificatePEM.utf8),
                resultURL: "http://127.0.0.1:9/api/payments/b2c/result/?token=t",
                timeoutURL: "http://127.0.0.1:9/api/payments/b2c/timeout/?token=t")
        }
        let http = HTTPClient()
        let client = DarajaClient(
            configuration: DarajaClientConfiguration(
                baseURL: server.baseURL, consumerKey: config.consumerKey, consumerSecret: config.consumerSecret,
                shortcode: config.shortcode, passkey: config.passkey, callbackURL: callbackURL, b2c: b2cConfiguration,
                requestTimeout: .seconds(5)),
            http: http)
        return SimulatorHarness(simulator: simulator, server: server, client: client, http: http)
    }

    func stop() async {
        await server.stop()
    }

    /// Runs `body` with a started harness and always stops it.
    static func with<T>(_ body: (SimulatorHarness) async throws -> T) async throws -> T {
        let harness = try await start()
        do {
            let value = try await body(harness)
            await harness.stop()
            return value
        } catch {
            await harness.stop()
            throw error
        }
    }

    static func phone(_ text: String = "254708374149") throws -> MSISDN {
        try MSISDN(parsing: text)
    }
}
