public import Foundation
public import Hummingbird
public import Logging
import NIOCore
public import ReconCore
import ReconIdentity
public import ReconPostgres

/// What every instance serves, whatever its groups: `/healthz` (PostgreSQL answers), and `/metrics` to a scraper
/// that presents the metrics token (when none is configured, `/metrics` answers 404).
public struct OperationsRoutes: Sendable {
    /// The operations routes' settings.
    public struct Configuration: Sendable {
        /// The bearer token `/metrics` asks for (`RECON_METRICS_TOKEN`); without one, `/metrics` is not served: its
        /// business figures never reach whoever can reach the public callbacks instance.
        public var metricsToken: String?
        /// The backups and the standby whose gauges `/metrics` adds (none by default).
        public var monitoring: MonitoringSettings

        /// The settings; an empty token is none.
        public init(metricsToken: String? = nil, monitoring: MonitoringSettings = MonitoringSettings()) {
            self.metricsToken = metricsToken.flatMap { $0.isEmpty ? nil : $0 }
            self.monitoring = monitoring
        }
    }

    let configuration: Configuration
    let pool: ConnectionPool
    let metrics: CallbackMetrics
    let deployment: DeploymentGauges
    /// The spool whose size `/metrics` reports.
    let spoolDirectory: URL
    let logger: Logger

    /// The routes over `pool`, reporting `metrics`.
    public init(
        configuration: Configuration, pool: ConnectionPool, metrics: CallbackMetrics, spoolDirectory: URL,
        logger: Logger
    ) {
        self.configuration = configuration
        self.pool = pool
        self.metrics = metrics
        deployment = DeploymentGauges(registry: metrics.registry, settings: configuration.monitoring)
        self.spoolDirectory = spoolDirectory
        self.logger = logger
    }

    /// Adds `/healthz` and `/metrics`.
    public func addRoutes(to router: Router<ReconRequestContext>) {
        router.get("/healthz") { _, _ in
            let healthy = await pool.ping()
            return Self.text(healthy ? .ok : .serviceUnavailable, healthy ? "ok\n" : "database unreachable\n")
        }
        router.get("/metrics") { request, _ in
            guard let expected = configuration.metricsToken else {
                return Self.text(.notFound, "not found\n")
            }
            let presented = request.headers[.authorization].flatMap { header -> String? in
                let parts = header.split(separator: " ", maxSplits: 1)
                return parts.count == 2 && parts[0] == "Bearer" ? String(parts[1]) : nil
            }
            guard let presented, constantTimeEqual(presented, expected) else {
                var response = Self.text(.unauthorized, "metrics need the bearer token (RECON_METRICS_TOKEN)\n")
                response.headers[.wwwAuthenticate] = #"Bearer realm="metrics""#
                return response
            }
            let text = await metrics.scrape(
                pool: pool, spoolDirectory: spoolDirectory, deployment: deployment, logger: logger)
            return Response(
                status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                body: .init(byteBuffer: ByteBuffer(string: text)))
        }
    }

    static func text(_ status: HTTPResponse.Status, _ body: String) -> Response {
        Response(
            status: status, headers: [.contentType: "text/plain"], body: .init(byteBuffer: ByteBuffer(string: body)))
    }
}
