import ArgumentParser
import Foundation
import HTTPServerKit
import Logging
import ReconApp
import ReconCore
import ReconIdentity
import ReconPostgres
import ReconServer

struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Run the callback endpoint (and the LMS's payments API): store every callback first, lose none.",
        discussion: """
            Route groups: callbacks = POST /api/payments/callback/ (STK), /api/payments/b2c/result/, \
            /api/payments/b2c/timeout/; api = /api/auth/login/, /api/auth/refresh/, /api/auth/logout/, \
            /api/payments/initiate/, \
            /api/payments/<id>/status/, /api/payments/my/, /api/payments/admin/, /api/payments/b2c/ (proposes), \
            /api/payments/b2c/<id>/approve/ and /reject/ (SimpleJWT bearer tokens: LMS_JWT_SIGNING_KEY or \
            LMS_JWT_VERIFYING_KEY; see openapi.yaml); console = the admin and finance pages under /console/ (LMS \
            accounts with the admin or finance role; `mpesa-recon users`). Always: GET /healthz; GET /metrics only with \
            RECON_METRICS_TOKEN set, to a scraper sending it as a bearer token; it adds the newest good pgBackRest \
            backup with RECON_PGBACKREST_STANZA, the last archived WAL segment when archive_mode is on, and the \
            standby's state and lag with RECON_READ_DATABASE_URL. Every \
            callback URL must carry ?token=MPESA_CALLBACK_TOKEN. While PostgreSQL is down, bodies are appended to RECON_SPOOL_DIR (fsync'd) and replayed when it is back. \
            RECON_CALLBACK_ALLOWLIST=safaricom (or a list of CIDRs) turns on the source-address allow-list, and \
            =off turns it off; unset, it is on (safaricom) when MPESA_ENVIRONMENT=production and off otherwise; \
            RECON_TRUSTED_PROXIES names proxies whose X-Forwarded-For is believed. Connections idle longer than \
            --idle-timeout, or slower than --header-timeout to send a request's head or --body-timeout to send its \
            body, are closed. A callback is answered 200 once its body is committed; bodies arriving together share one \
            INSERT and commit (at most --store-batch, --store-writers batches at once), and an applier completes \
            their payments right after, --apply-batch callbacks per transaction. Stops gracefully on SIGTERM/SIGINT: the server finishes its requests, then the sweeper \
            its current pass.
            """
    )

    @OptionGroup var common: CommonOptions
    @Option(help: "Address to listen on.") var host = "127.0.0.1"
    @Option(help: "Port to listen on (0-65535; 0 picks a free one).") var port = 8080
    @Option(
        help: """
            Route groups to serve, comma-separated (callbacks, api, console). Default: callbacks only (the public \
            side); name api and console for the internal instance. /healthz is always served.
            """)
    var routes: String?
    @Option(help: "At most this many connections open at once from one client address (trusted proxies excepted).")
    var maxConnectionsPerAddress = 64
    @Option(help: "At most this many connections open at once in all.") var maxConnections = 1_024
    @Option(help: "Where the console lists reports and writes the ones asked for there (as `run --reports-dir`).")
    var reportsDir = "reports"
    @Option(help: "Seconds an open connection may stay idle between requests.") var idleTimeout = 60
    @Option(help: "Seconds a client has to send a request's head, from its first byte.") var headerTimeout = 10
    @Option(help: "Seconds a client has to send a request's body, after its head.") var bodyTimeout = 30
    @Option(help: "At most this many callback bodies are stored with one INSERT and one commit.") var storeBatch = 256
    @Option(help: "At most this many of those batches are being stored at once.") var storeWriters = 1
    @Option(help: "The applier applies at most this many stored callbacks per transaction.") var applyBatch = 2000

    func validate() throws {
        guard (0...65535).contains(port) else {
            throw ValidationError("--port must be between 0 and 65535, not \(port).")
        }
        for (name, value) in [
            ("--idle-timeout", idleTimeout), ("--header-timeout", headerTimeout), ("--body-timeout", bodyTimeout),
        ] where value <= 0 {
            throw ValidationError("\(name) must be a positive number of seconds, not \(value).")
        }
        // The pool has 16 connections: writers beyond 8 would starve the applier and the API.
        for (name, value, most) in [
            ("--store-batch", storeBatch, 10_000), ("--store-writers", storeWriters, 8),
            ("--apply-batch", applyBatch, 10_000), ("--max-connections-per-address", maxConnectionsPerAddress, 100_000),
            ("--max-connections", maxConnections, 100_000),
        ] where value <= 0 || value > most {
            throw ValidationError("\(name) must be between 1 and \(most), not \(value).")
        }
        _ = try routeGroups()
    }

    /// The groups named by --routes; without it, the callbacks group alone (what the public instance serves).
    func routeGroups() throws -> [RouteGroup] {
        do {
            return try RouteGroup.parse(routes)
        } catch {
            throw ValidationError(error.message)
        }
    }

    func run() async throws {
        let env = try Context.environment(common, needs: [.database, .callback, .schedule, .monitoring])
        let settings = try CallbackSettings.load(from: env)
        var configuration = ServerConfiguration(
            host: host, port: port, callbackToken: settings.token,
            addressPolicy: try Self.policy(settings), spoolDirectory: URL(fileURLWithPath: settings.spoolDirectory),
            schedule: try RetrySchedule.load(from: env), routes: try routeGroups(),
            idleTimeout: .seconds(idleTimeout), headerTimeout: .seconds(headerTimeout),
            bodyTimeout: .seconds(bodyTimeout),
            batching: CallbackBatching(
                storeBatchSize: storeBatch, storeWriters: storeWriters, applyBatchSize: applyBatch),
            metricsToken: try Self.metricsToken(env),
            connectionLimits: ConnectionLimits(perAddress: maxConnectionsPerAddress, total: maxConnections))
        configuration.operations.monitoring = try MonitoringSettings.load(from: env)
        let routes = Set(configuration.routes)
        if routes.contains(.console), !Self.isLoopback(host) {
            Diagnostics.warning(
                "the console is served on \(host), not a loopback address: put it behind a TLS proxy on an internal "
                    + "network, never on the public callbacks instance")
        }
        let pool = try Wiring.pool(env, connections: 16)
        let application: ReconApplication
        do {
            if routes.contains(.api) || routes.contains(.console) {
                // The console and the API approve refunds: the database must enforce the same threshold.
                try await Operations.checkApprovalThreshold(pool, try ApprovalSettings.load(from: env))
            }
            if routes.contains(.api) { configuration.api = try await apiConfiguration(env, pool: pool, configuration) }
            if routes.contains(.console) {
                configuration.console = ConsoleConfiguration(
                    reportsDirectory: reportsDir, approvals: try ApprovalSettings.load(from: env),
                    schedule: try RetrySchedule.load(from: env), addressPolicy: configuration.http.addressPolicy,
                    insecureLoopbackCookies: try env.flag("RECON_CONSOLE_INSECURE_COOKIES"))
            }
            // The application owns the pool from here: it closes after the last service stopped.
            application = try ReconApplication(
                configuration, pool: pool, ownsPool: true, logger: Logger(label: "mpesa-recon.serve"))
        } catch {
            await pool.close()
            throw error
        }
        let names = configuration.routes.map(\.rawValue).joined(separator: ", ")
        let host = configuration.http.host
        try await application.serve { port in
            FileHandle.standardError.write(
                Data("mpesa-recon serve listening on http://\(host):\(port) (routes: \(names))\n".utf8))
        }
    }

    /// The `api` group's settings: the token service, the payment initiator over Daraja, the approvals.
    func apiConfiguration(
        _ env: Environment, pool: ConnectionPool, _ configuration: ServerConfiguration
    ) async throws -> APIConfiguration {
        let tokens: TokenService
        do {
            tokens = try await TokenService(settings: try TokenSettings.load(from: env))
        } catch let error as IdentityError {
            throw ConfigurationError(variable: "LMS_JWT_SIGNING_KEY", problem: error.message)
        }
        let initiator = PaymentInitiator(
            pool: pool, client: try Wiring.darajaClient(env), schedule: try RetrySchedule.load(from: env),
            logger: Logger(label: "mpesa-recon.api"))
        return APIConfiguration(
            tokens: tokens, initiator: initiator, approvals: try ApprovalSettings.load(from: env),
            addressPolicy: configuration.http.addressPolicy)
    }

    /// `RECON_METRICS_TOKEN`, when set: at least 16 characters, like the callback token.
    static func metricsToken(_ env: Environment) throws -> String? {
        guard let token = env.optional("RECON_METRICS_TOKEN") else { return nil }
        guard token.count >= 16 else {
            throw ConfigurationError(variable: "RECON_METRICS_TOKEN", problem: "must be at least 16 characters")
        }
        return token
    }

    /// Whether a listen address reaches only this machine.
    static func isLoopback(_ host: String) -> Bool {
        host == "localhost" || host == "::1" || host.hasPrefix("127.")
    }

    static func policy(_ settings: CallbackSettings) throws -> AddressPolicy {
        try AddressPolicy(settings: settings)
    }
}
