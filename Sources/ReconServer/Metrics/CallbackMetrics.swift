import Foundation
import Logging
import NIOPosix
public import Prometheus
public import ReconApp
import ReconCore
public import ReconPostgres
import Synchronization

/// What the endpoint did and what the database says, in the Prometheus text format (`/metrics`).
///
/// Every series exists from the start (at zero), with `# HELP` and `# TYPE`, so an alert on a missing or stale
/// series works before the first callback. Database gauges are read at each scrape; `database_up` says whether
/// that read worked (when it did not, the gauges keep their last values).
public final class CallbackMetrics: CallbackApplyObserver {
    /// The registry `/metrics` emits; swift-metrics users can report into it through `PrometheusMetricsFactory`.
    public let registry: PrometheusCollectorRegistry

    /// What receiving a callback led to (before it is applied).
    public enum Received: String, Sendable, CaseIterable {
        case stored
        case spooled
        case lost
        case refusedToken = "refused_token"
        case refusedAddress = "refused_address"
        case refusedTooLarge = "refused_too_large"
        case incompleteBody = "incomplete_body"
    }

    private let received: [String: Counter]
    private let processed: [String: Counter]
    private let paymentsPending: Gauge
    private let oldestPendingAge: Gauge
    private let exceptionsOpen: [String: Gauge]
    private let refundsApprovedUnsent: Gauge
    private let lastSuccessfulRun: Gauge
    private let spoolBytes: Gauge
    private let databaseUp: Gauge
    private let storeBatches: Counter
    private let applyBatches: Counter
    /// Plain counts by the names tests and the demo read (`callbacks_stored_total`, …).
    private let values = Mutex([String: Int]())
    /// `pull_uncovered_seconds` by shortcode, made when a shortcode is first tracked.
    private let pullUncovered = Mutex([String: Gauge]())

    /// Every series, at zero.
    public init() {
        let registry = PrometheusCollectorRegistry()
        self.registry = registry
        var received: [String: Counter] = [:]
        var processed: [String: Counter] = [:]
        for route in CallbackKind.allCases {
            for outcome in Received.allCases {
                received["\(route.rawValue)/\(outcome.rawValue)"] = registry.makeCounter(
                    descriptor: Self.name(
                        "callbacks_received", unit: "total",
                        help: "Callbacks received by route and what receiving them led to (stored, spooled, refused)."),
                    labels: [("route", route.rawValue), ("outcome", outcome.rawValue)])
            }
            for outcome in CallbackOutcome.allCases.map(\.rawValue) + ["missing", "error"] {
                processed["\(route.rawValue)/\(outcome)"] = registry.makeCounter(
                    descriptor: Self.name(
                        "callbacks_processed", unit: "total",
                        help:
                            "Stored callbacks applied, by route and outcome (applied, duplicate, conflict, unmatched)."),
                    labels: [("route", route.rawValue), ("outcome", outcome)])
            }
        }
        self.received = received
        self.processed = processed
        paymentsPending = registry.makeGauge(
            descriptor: Self.name(
                "payments_pending", help: "Payments still pending (waiting for a callback or a query)."))
        oldestPendingAge = registry.makeGauge(
            descriptor: Self.name(
                "oldest_pending_payment_age_seconds",
                help: "Age of the oldest pending payment in seconds; 0 when none is pending."))
        var exceptions: [String: Gauge] = [:]
        for kind in ExceptionKind.allCases {
            exceptions[kind.rawValue] = registry.makeGauge(
                descriptor: Self.name(
                    "exceptions_open",
                    help: "Open reconciliation exceptions by kind (each waits for a person or for reconcile)."),
                labels: [("kind", kind.rawValue)])
        }
        exceptionsOpen = exceptions
        refundsApprovedUnsent = registry.makeGauge(
            descriptor: Self.name(
                "refunds_approved_unsent",
                help: "Refunds approved and not yet sent through B2C (run sends them; B2C must be configured)."))
        lastSuccessfulRun = registry.makeGauge(
            descriptor: Self.name(
                "last_successful_run_timestamp_seconds",
                help: "Unix time the last mpesa-recon run finished with every step done; 0 when never."))
        spoolBytes = registry.makeGauge(
            descriptor: Self.name(
                "spool_bytes",
                help: "Bytes of callbacks spooled on disk while PostgreSQL was unreachable, not yet replayed."))
        databaseUp = registry.makeGauge(
            descriptor: Self.name("database_up", help: "1 when the last scrape could read the database gauges, else 0.")
        )
        storeBatches = registry.makeCounter(
            descriptor: Self.name(
                "callback_store_batches", unit: "total",
                help: "Commits that stored received callbacks; several bodies share one under load (group commit)."))
        applyBatches = registry.makeCounter(
            descriptor: Self.name(
                "callback_apply_batches", unit: "total",
                help: "Passes of the applier that took stored callbacks and applied them together."))
    }

    /// `mpesa_recon_NAME[_UNIT]` with its help text.
    static func name(_ name: String, unit: String = "", help: String) -> MetricNameDescriptor {
        MetricNameDescriptor(namespace: "mpesa_recon", metricName: name, unitName: unit, helpText: help)
    }

    func received(_ outcome: Received, route: CallbackKind) {
        received["\(route.rawValue)/\(outcome.rawValue)"]?.increment()
        count("callbacks_\(outcome.rawValue)_total")
    }

    public func processed(_ outcome: String, route: CallbackKind) {
        processed["\(route.rawValue)/\(outcome)"]?.increment()
        count(outcome == "error" ? "callbacks_processing_errors_total" : "callbacks_\(outcome)_total")
    }

    /// One commit stored a batch of callbacks.
    func storedBatch() {
        storeBatches.increment()
        count("callbacks_store_batches_total")
    }

    /// One applier pass took callbacks.
    public func appliedBatch() {
        applyBatches.increment()
        count("callbacks_apply_batches_total")
    }

    func count(_ name: String) { values.withLock { $0[name, default: 0] += 1 } }

    /// The value of one plain count, e.g. `callbacks_spooled_total`.
    public subscript(name: String) -> Int { values.withLock { $0[name] ?? 0 } }

    /// Sets the database gauges from a snapshot.
    public func update(_ snapshot: OpsStore.Snapshot) {
        paymentsPending.set(Int64(snapshot.paymentsPending))
        oldestPendingAge.set(snapshot.oldestPendingAgeSeconds)
        for (kind, gauge) in exceptionsOpen { gauge.set(Int64(snapshot.exceptionsOpen[kind] ?? 0)) }
        refundsApprovedUnsent.set(Int64(snapshot.refundsApprovedUnsent))
        lastSuccessfulRun.set(snapshot.lastSuccessfulRun)
        databaseUp.set(Int64(1))
    }

    /// Sets `mpesa_recon_pull_uncovered_seconds{shortcode}`: seconds of the last 46 hours no Pull vouched for.
    public func updatePullCoverage(_ uncovered: [String: Int]) {
        for (shortcode, seconds) in uncovered {
            let gauge = pullUncovered.withLock { gauges in
                if let gauge = gauges[shortcode] { return gauge }
                let gauge = registry.makeGauge(
                    descriptor: Self.name(
                        "pull_uncovered_seconds",
                        help: "Seconds of the last 46 hours of a shortcode that no Pull Transactions window covered."),
                    labels: [("shortcode", shortcode)])
                gauges[shortcode] = gauge
                return gauge
            }
            gauge.set(Int64(seconds))
        }
    }

    /// Reads the database, the spool and (when given) the deployment around it, then renders every series.
    func scrape(
        pool: ConnectionPool, spoolDirectory: URL, deployment: DeploymentGauges? = nil, logger: Logger
    ) async -> String {
        do {
            let now = Date()
            let (snapshot, uncovered) = try await pool.withConnection { db in
                try await db.run { db throws(PostgresError) in
                    (try OpsStore.snapshot(db), try PullStore.uncoveredSeconds(db, now: now))
                }
            }
            update(snapshot)
            updatePullCoverage(uncovered)
        } catch {
            databaseUp.set(Int64(0))
            logger.warning("metrics: database gauges not read", metadata: ["db.error": "\(error)"])
        }
        let path = spoolDirectory.path
        let bytes = (try? await NIOThreadPool.singleton.runIfActive { Self.folderBytes(path) }) ?? 0
        spoolBytes.set(bytes)
        await deployment?.refresh(pool: pool, logger: logger)
        return registry.emitToString()
    }

    /// The bytes of the spool's files (the lock file is empty).
    static func folderBytes(_ path: String) -> Int64 {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []
        var total: Int64 = 0
        for name in names {
            let attributes = try? FileManager.default.attributesOfItem(atPath: path + "/" + name)
            total += (attributes?[.size] as? NSNumber)?.int64Value ?? 0
        }
        return total
    }
}
