import Foundation
import Logging
import ReconApp
import ReconCore
import ReconIdentity
import ReconPostgres
import ReconServer

/// After the story: the console over the demo's database, with two demo logins, until Ctrl-C (`make demo` on a
/// terminal, or `make console-demo`), so a new user can click through the day the demo just made.
public enum DemoConsole {
    /// The demo's admin (one of the two who approved the refunds) and a finance account.
    public static let adminEmail = DemoRunner.admins[0]
    public static let financeEmail = "fiona@example.com"

    /// Gives the two accounts fresh random passwords, then serves the console on `port` until SIGINT/SIGTERM.
    public static func serve(
        _ options: DemoOptions, port: Int, say: @escaping @Sendable (String) -> Void
    ) async throws {
        let settings = try DemoRunner.databaseSettings(options)
        let adminPassword = randomPassword()
        let financePassword = randomPassword()
        let adminHash = try DjangoPassword.make(adminPassword)
        let financeHash = try DjangoPassword.make(financePassword)
        var logger = Logger(label: "mpesa-recon.demo-console")
        logger.logLevel = .error
        let pool = ConnectionPool(settings: settings, maxConnections: 6, logger: logger)
        do {
            try await pool.withConnection { db in
                try await db.withTransaction { db in
                    guard let admin = try UserStore.account(db, email: adminEmail) else {
                        throw ReconAppError(.precondition, "run the demo first: no \(adminEmail)")
                    }
                    try UserStore.setPassword(db, id: admin.id, hash: adminHash)
                    let finance =
                        try UserStore.account(db, email: financeEmail)?.id
                        ?? UserStore.insert(db, email: financeEmail, fullName: "Fiona (finance)")
                    try UserStore.grant(db, id: finance, role: .finance)
                    try UserStore.setPassword(db, id: finance, hash: financeHash)
                }
            }
            let token = randomPassword()
            let application = try ReconApplication(
                ServerConfiguration(
                    port: port, callbackToken: token,
                    spoolDirectory: FileManager.default.temporaryDirectory.appendingPathComponent("demo-console-spool"),
                    routes: [.callbacks, .console],
                    console: ConsoleConfiguration(
                        reportsDirectory: options.reportsDirectory,
                        approvals: ApprovalSettings(dualApprovalAbove: Money(minorUnits: 1_000_000)),
                        // The demo serves plain http on loopback to a browser on this machine.
                        insecureLoopbackCookies: true)),
                pool: pool, ownsPool: true, logger: logger)
            try await application.serve { port in
                say(
                    """

                    The console: http://127.0.0.1:\(port)/console/
                      admin:   \(adminEmail) / \(adminPassword)
                      finance: \(financeEmail) / \(financePassword)
                    (passwords made for this run only). Ctrl-C stops it.
                    """)
            }
        } catch {
            await pool.close()
            throw error
        }
    }

    static func randomPassword() -> String {
        let alphabet = Array("abcdefghjkmnpqrstuvwxyz23456789")
        var generator = SystemRandomNumberGenerator()
        return String((0..<14).map { _ in alphabet[Int.random(in: 0..<alphabet.count, using: &generator)] })
    }
}
