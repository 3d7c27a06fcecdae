import Foundation
import Logging
public import Prometheus
import ReconApp
public import ReconCore
import ReconPostgres
import Synchronization

/// The gauges of the deployment around the program (deploy/prometheus/alerts.yml): the newest good pgBackRest
/// backup by type, the last archived WAL segment, and a standby's state and lag. A gauge is absent when what it
/// measures is not set up (no stanza configured, `archive_mode = off`, no `RECON_READ_DATABASE_URL`), so that
/// `MpesaReconGaugeMissing` says so instead of an alert staying silent on a made-up value.
public final class DeploymentGauges: Sendable {
    /// The backup types pgBackRest takes.
    static let backupTypes = ["full", "diff", "incr"]

    let registry: PrometheusCollectorRegistry
    let settings: MonitoringSettings
    let backups: BackupWatch?
    /// The gauges now registered, by series (`name` or `name{type}`), so that an absent one can be unregistered.
    private let present = Mutex([String: Gauge]())

    /// Gauges in `registry` for what `settings` names.
    public init(registry: PrometheusCollectorRegistry, settings: MonitoringSettings) {
        self.registry = registry
        self.settings = settings
        backups = settings.backupStanza.map { BackupWatch(stanza: $0, searchPath: settings.searchPath) }
    }

    /// Reads the archiver through `pool`, pgBackRest's info (at most once a minute) and the standby, and sets the
    /// gauges. A failed read keeps a gauge's last value (an alert on its age then fires in time), except the
    /// standby's, whose failure is what `standby_up` 0 says.
    func refresh(pool: ConnectionPool, logger: Logger) async {
        do {
            let archiver = try await pool.withConnection { db in
                try await db.run { db throws(PostgresError) in try ServerStatusStore.archiver(db) }
            }
            if archiver.isOn {
                set("last_archived_wal_timestamp_seconds", archiver.lastArchivedAt.map(Self.seconds) ?? 0)
            } else {
                remove("last_archived_wal_timestamp_seconds")
            }
        } catch {
            logger.warning("metrics: WAL archiver not read", metadata: ["db.error": "\(error)"])
        }
        if let backups {
            switch await backups.status() {
            case .success(let status):
                for type in Self.backupTypes {
                    if let at = status.lastGood[type] {
                        set("last_good_backup_timestamp_seconds", Self.seconds(at), type: type)
                    } else {
                        remove("last_good_backup_timestamp_seconds", type: type)
                    }
                }
            case .failure(let failure):
                logger.warning("metrics: pgBackRest info not read", metadata: ["backup.error": "\(failure)"])
            }
        }
        if let standby = settings.readDatabase {
            await refreshStandby(standby, logger: logger)
        }
    }

    private func refreshStandby(_ standby: DatabaseSettings, logger: Logger) async {
        var recovery: ServerStatusStore.Recovery?
        do {
            let connection = try await PostgresConnection.connect(standby.withConnectTimeout(seconds: 3))
            recovery = try? await connection.run { db throws(PostgresError) in try ServerStatusStore.recovery(db) }
            await connection.close()
        } catch {
            logger.warning("metrics: standby not reachable", metadata: ["db.error": "\(error)"])
        }
        let up = recovery?.inRecovery == true
        set("standby_up", up ? 1 : 0)
        if up, let lag = recovery?.replayLagSeconds {
            set("standby_replay_lag_seconds", lag)
        } else {
            remove("standby_replay_lag_seconds")
        }
    }

    static func seconds(_ date: Date) -> Double { date.timeIntervalSince1970.rounded(.down) }

    static let help: [String: String] = [
        "last_archived_wal_timestamp_seconds":
            "Unix time PostgreSQL last archived a WAL segment (pg_stat_archiver); 0 when archive_mode is on and none "
            + "was; absent when archive_mode is off.",
        "last_good_backup_timestamp_seconds":
            "Unix time the newest good pgBackRest backup of each type finished (RECON_PGBACKREST_STANZA); absent "
            + "when no stanza is configured or no backup of the type exists.",
        "standby_up":
            "1 when RECON_READ_DATABASE_URL answers and is in recovery (a standby), else 0; absent without it.",
        "standby_replay_lag_seconds":
            "Seconds the standby's replayed data is behind (0 when it has replayed all it received); absent when "
            + "the standby is down or without RECON_READ_DATABASE_URL.",
    ]

    private func set(_ name: String, _ value: Double, type: String? = nil) {
        let key = type.map { "\(name){\($0)}" } ?? name
        let gauge = present.withLock { present in
            if let gauge = present[key] { return gauge }
            let descriptor = CallbackMetrics.name(name, help: Self.help[name] ?? "")
            let gauge =
                if let type {
                    registry.makeGauge(descriptor: descriptor, labels: [("type", type)])
                } else {
                    registry.makeGauge(descriptor: descriptor)
                }
            present[key] = gauge
            return gauge
        }
        gauge.set(value)
    }

    private func remove(_ name: String, type: String? = nil) {
        let key = type.map { "\(name){\($0)}" } ?? name
        if let gauge = present.withLock({ $0.removeValue(forKey: key) }) { registry.unregisterGauge(gauge) }
    }
}
