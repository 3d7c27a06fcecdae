import Foundation
import HTTPServerKit
import Logging
import ReconApp
import ReconCore
import ReconHTTP
import ReconPostgres
import ReconServer
import ReconTestSupport
import Testing

/// The gauges deploy/prometheus/alerts.yml needs and `doctor`'s matching checks: the last archived WAL segment
/// (a throwaway cluster with archive_mode on, archiving with `cp`), a hot standby made by pg_basebackup, and the
/// newest good backups from a fake `pgbackrest` on the settings' PATH that prints what pgBackRest 2.45 printed
/// for a real stanza (Fixtures/pgbackrest-2.45-info.json).
@Suite("deployment gauges: WAL archive, standby, backups; doctor's checks of them", .serialized)
struct DeploymentGaugeTests {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")
    /// The stop times of the two backups of the fixture.
    static let fullStop: TimeInterval = 1_796_688_358
    static let diffStop: TimeInterval = 1_796_688_361

    /// `/metrics` of an application over `settings`' database with `monitoring`, as text.
    static func metrics(_ settings: DatabaseSettings, monitoring: MonitoringSettings) async throws -> String {
        let spool = FileManager.default.temporaryDirectory.appendingPathComponent("spool-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: spool) }
        var configuration = ServerConfiguration(
            port: 0, callbackToken: "test-callback-token-0123456789", spoolDirectory: spool,
            metricsToken: Stack.metricsToken)
        configuration.operations.monitoring = monitoring
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        let pool = ConnectionPool(settings: settings, maxConnections: 2)
        let application = try ReconApplication(configuration, pool: pool, logger: logger)
        let server = try await application.start()
        let http = HTTPClient()
        do {
            let response = try await http.send(.get(server.baseURL + "/metrics", headers: [Stack.metricsAuthorization]))
            http.shutdown()
            await server.stop()
            await pool.close()
            try #require(response.status == 200)
            return String(decoding: response.body, as: UTF8.self)
        } catch {
            http.shutdown()
            await server.stop()
            await pool.close()
            throw error
        }
    }

    /// The value of one series (`name` or `name{labels}` as written) in a `/metrics` text; nil when absent.
    static func value(_ series: String, in text: String) -> Double? {
        for line in text.split(separator: "\n") where line.hasPrefix(series + " ") {
            return Double(line.dropFirst(series.count + 1))
        }
        return nil
    }

    /// A folder holding an executable `pgbackrest` that prints `json` for `--stanza=main --output=json info`
    /// (and fails otherwise, as the real one does for a wrong stanza), or exits 1 with pgBackRest's message.
    static func fakePgBackRest(json: URL?) throws -> URL {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent(
            "fake-pgbackrest-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let body =
            if let json {
                """
                #!/bin/sh
                [ "$1 $2 $3" = "--stanza=main --output=json info" ] || { echo "ERROR: [031]: unexpected $*" >&2; exit 31; }
                cat '\(json.path)'
                """
            } else {
                """
                #!/bin/sh
                echo "ERROR: [055]: unable to load info file '/var/lib/pgbackrest/backup/main/backup.info'" >&2
                exit 55
                """
            }
        let script = folder.appendingPathComponent("pgbackrest")
        try Data((body + "\n").utf8).write(to: script)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: script.path)
        return folder
    }

    @Test("pgBackRest's info: newest good backup per type; a backup flagged with errors does not count")
    func parsesInfo() throws {
        let data = try Data(contentsOf: Self.fixtures.appendingPathComponent("pgbackrest-2.45-info.json"))
        let status = try PgBackRest.parseInfo(data, stanza: "main")
        #expect(
            status.lastGood == [
                "full": Date(timeIntervalSince1970: Self.fullStop), "diff": Date(timeIntervalSince1970: Self.diffStop),
            ])
        // The same answer with the differential flagged: only the full one is good.
        var stanzas = try #require(JSONSerialization.jsonObject(with: data) as? [[String: Any]])
        var backups = try #require(stanzas.first?["backup"] as? [[String: Any]])
        #expect(backups.map { $0["type"] as? String } == ["full", "diff"])
        backups[1]["error"] = true
        stanzas[0]["backup"] = backups
        let flagged = try JSONSerialization.data(withJSONObject: stanzas)
        #expect(try PgBackRest.parseInfo(flagged, stanza: "main").lastGood.keys.sorted() == ["full"])
        let missing =
            #"[{"archive":[],"backup":[],"cipher":"none","db":[],"name":"nothere","repo":[{"cipher":"none","key":1,"status":{"code":1,"message":"missing stanza path"}}],"status":{"code":1,"lock":{"backup":{"held":false}},"message":"missing stanza path"}}]"#
        let refused = #expect(throws: PgBackRest.Failure.self) {
            _ = try PgBackRest.parseInfo(Data(missing.utf8), stanza: "nothere")
        }
        #expect(refused?.description.contains("missing stanza path") == true)
    }

    @Test("backup gauges by type from pgbackrest on PATH; doctor passes while fresh, warns when old or unreadable")
    func backupGaugesAndDoctor() async throws {
        let folder = try Self.fakePgBackRest(json: Self.fixtures.appendingPathComponent("pgbackrest-2.45-info.json"))
        let broken = try Self.fakePgBackRest(json: nil)
        defer {
            try? FileManager.default.removeItem(at: folder)
            try? FileManager.default.removeItem(at: broken)
        }
        try await TestDatabase.with { database, _ in
            let monitoring = MonitoringSettings(backupStanza: "main", searchPath: "/nonexistent:" + folder.path)
            let text = try await Self.metrics(database.runtimeSettings, monitoring: monitoring)
            #expect(
                Self.value(#"mpesa_recon_last_good_backup_timestamp_seconds{type="full"}"#, in: text) == Self.fullStop)
            #expect(
                Self.value(#"mpesa_recon_last_good_backup_timestamp_seconds{type="diff"}"#, in: text) == Self.diffStop)
            #expect(!text.contains(#"type="incr""#))
            #expect(text.contains("# TYPE mpesa_recon_last_good_backup_timestamp_seconds gauge"))
            // Without a stanza, or when pgbackrest fails from the start: absent, so MpesaReconGaugeMissing says so.
            let without = try await Self.metrics(database.runtimeSettings, monitoring: MonitoringSettings())
            #expect(!without.contains("mpesa_recon_last_good_backup_timestamp_seconds"))
            let failing = try await Self.metrics(
                database.runtimeSettings, monitoring: MonitoringSettings(backupStanza: "main", searchPath: broken.path))
            #expect(!failing.contains("mpesa_recon_last_good_backup_timestamp_seconds"))
            #expect(Self.value("mpesa_recon_database_up", in: failing) == 1)

            func doctor(path: String, hoursAfterDiff: Double) async -> DoctorReport.Check? {
                let env = Environment(
                    dotEnv: nil,
                    process: [
                        "DATABASE_URL": database.runtimeSettings.connectionString, "RECON_PGBACKREST_STANZA": "main",
                        "PATH": path,
                    ])
                let now = Date(timeIntervalSince1970: Self.diffStop + hoursAfterDiff * 3600)
                return await Doctor.run(env, now: now).checks.first { $0.area == "backups" }
            }
            let fresh = await doctor(path: folder.path, hoursAfterDiff: 3)
            #expect(fresh?.status == .pass, "\(fresh?.detail ?? "no check")")
            #expect(fresh?.detail.contains("diff 3.0 h ago") == true, "\(fresh?.detail ?? "")")
            let old = await doctor(path: folder.path, hoursAfterDiff: 27)
            #expect(old?.status == .warn)
            #expect(old?.detail.contains("no good backup for 27.0 h") == true, "\(old?.detail ?? "")")
            let noFull = await doctor(path: folder.path, hoursAfterDiff: 9 * 24 - 30)
            #expect(noFull?.status == .warn, "\(noFull?.detail ?? "")")
            let unreadable = await doctor(path: broken.path, hoursAfterDiff: 1)
            #expect(unreadable?.status == .warn)
            #expect(unreadable?.detail.contains("unable to load info file") == true, "\(unreadable?.detail ?? "")")
            let uninstalled = await doctor(path: "/nonexistent", hoursAfterDiff: 1)
            #expect(uninstalled?.detail.contains("not found on PATH") == true, "\(uninstalled?.detail ?? "")")
        }
    }

    @Test("archive_mode off (the test cluster): no WAL gauge, no standby gauges, doctor notes it")
    func archivingOff() async throws {
        try await TestDatabase.with { database, _ in
            let text = try await Self.metrics(database.runtimeSettings, monitoring: MonitoringSettings())
            #expect(Self.value("mpesa_recon_database_up", in: text) == 1)
            #expect(!text.contains("mpesa_recon_last_archived_wal_timestamp_seconds"))
            #expect(!text.contains("mpesa_recon_standby_"))
            let check = await Doctor.run(
                Environment(dotEnv: nil, process: ["DATABASE_URL": database.runtimeSettings.connectionString])
            ).checks.first { $0.area == "wal-archive" }
            #expect(check?.status == .note)
            #expect(check?.detail.contains("archive_mode is off") == true)
        }
    }

    @Test(
        "archive_mode on: the gauge is 0 until a segment is archived, then its time; a failing archive_command is warned; a standby's state and lag"
    )
    func archivingAndStandby() async throws {
        let primary = try await ThrowawayCluster.start(archiving: true)
        var standby: ThrowawayCluster?
        do {
            let settings = primary.settings(database: "postgres")
            let db = try await PostgresConnection.connect(settings)
            let before = try await Self.metrics(settings, monitoring: MonitoringSettings())
            let nothingYet = try await db.query("SELECT last_archived_time IS NULL AS none FROM pg_stat_archiver")
                .first?
                .decode(Bool.self, "none")
            // A new cluster has completed no segment yet: on, and nothing archived.
            #expect(nothingYet == true)
            #expect(Self.value("mpesa_recon_last_archived_wal_timestamp_seconds", in: before) == 0)
            let warned = await Doctor.run(
                Environment(dotEnv: nil, process: ["DATABASE_URL": settings.connectionString])
            ).checks.first { $0.area == "wal-archive" }
            #expect(warned?.status == .warn, "\(warned?.detail ?? "")")
            try await db.query("CREATE TABLE t (id int)")
            try await db.query("SELECT pg_switch_wal()::text AS lsn")
            let archivedAt = try await Self.waitFor(
                db, "SELECT last_archived_time FROM pg_stat_archiver", column: "last_archived_time")
            let after = try await Self.metrics(settings, monitoring: MonitoringSettings())
            #expect(
                Self.value("mpesa_recon_last_archived_wal_timestamp_seconds", in: after)
                    == archivedAt.timeIntervalSince1970.rounded(.down))
            let passed = await Doctor.run(
                Environment(dotEnv: nil, process: ["DATABASE_URL": settings.connectionString])
            ).checks.first { $0.area == "wal-archive" }
            #expect(passed?.status == .pass, "\(passed?.detail ?? "")")
            #expect(passed?.detail.hasPrefix("last WAL segment archived") == true)

            // A hot standby of it: up, no lag once it has replayed what it received.
            standby = try await ThrowawayCluster.start(standbyOf: primary)
            let standbySettings = try #require(standby).settings(database: "postgres")
            var lag: Double?
            for _ in 0..<100 {
                let text = try await Self.metrics(
                    settings, monitoring: MonitoringSettings(readDatabase: standbySettings))
                #expect(Self.value("mpesa_recon_standby_up", in: text) == 1)
                lag = Self.value("mpesa_recon_standby_replay_lag_seconds", in: text)
                if lag == 0 { break }
                try await Task.sleep(for: .milliseconds(100))
            }
            #expect(lag == 0)
            let doctorStandby = await Doctor.run(
                Environment(
                    dotEnv: nil,
                    process: [
                        "DATABASE_URL": settings.connectionString,
                        "RECON_READ_DATABASE_URL": standbySettings.connectionString,
                    ])
            ).checks.first { $0.area == "standby" }
            #expect(doctorStandby?.status == .pass, "\(doctorStandby?.detail ?? "")")
            // The primary named as the standby, and a closed port: standby_up 0, no lag series.
            for notStandby in [
                settings, DatabaseSettings(connectionString: "postgresql://postgres@127.0.0.1:9/postgres"),
            ] {
                let text = try await Self.metrics(settings, monitoring: MonitoringSettings(readDatabase: notStandby))
                #expect(Self.value("mpesa_recon_standby_up", in: text) == 0)
                #expect(!text.contains("mpesa_recon_standby_replay_lag_seconds"))
            }

            // archive_command failing: the archiver records it, doctor warns.
            try await db.query("ALTER SYSTEM SET archive_command = 'false'")
            try await db.query("SELECT pg_reload_conf()::text AS done")
            try await Task.sleep(for: .milliseconds(300))
            try await db.query("INSERT INTO t VALUES (1)")
            try await db.query("SELECT pg_switch_wal()::text AS lsn")
            _ = try await Self.waitFor(db, "SELECT last_failed_time FROM pg_stat_archiver", column: "last_failed_time")
            let failing = await Doctor.run(
                Environment(dotEnv: nil, process: ["DATABASE_URL": settings.connectionString])
            ).checks.first { $0.area == "wal-archive" }
            #expect(failing?.status == .warn)
            #expect(failing?.detail.contains("archiving fails since") == true, "\(failing?.detail ?? "")")
            await db.close()
        } catch {
            standby?.stop()
            primary.stop()
            throw error
        }
        standby?.stop()
        primary.stop()
    }

    /// Polls `sql` (up to 30 s) until `column` of its first row is a time.
    static func waitFor(_ db: PostgresConnection, _ sql: SQLQuery, column: String) async throws -> Date {
        for _ in 0..<300 {
            if let at = try await db.query(sql).first?.decode(Date?.self, column) { return at }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw ClusterError(message: "\(column) stayed empty for 30 s")
    }
}

struct ClusterError: Error, CustomStringConvertible {
    var message: String
    var description: String { message }
}

/// A PostgreSQL cluster of its own in a temporary folder (initdb + pg_ctl, as `postgres` when run as root): a primary
/// archiving WAL with `cp`, or a hot standby of one made by pg_basebackup. Stopped and removed by ``stop()``.
struct ThrowawayCluster {
    let folder: URL
    let port: Int

    static var binaries: URL {
        get throws {
            let root = URL(fileURLWithPath: "/usr/lib/postgresql")
            let versions = (try? FileManager.default.contentsOfDirectory(atPath: root.path)) ?? []
            guard let newest = versions.compactMap(Int.init).max() else {
                throw ClusterError(message: "no PostgreSQL under /usr/lib/postgresql")
            }
            return root.appendingPathComponent("\(newest)/bin")
        }
    }

    func settings(database: String) -> DatabaseSettings {
        DatabaseSettings(connectionString: "postgresql://postgres@127.0.0.1:\(port)/\(database)")
    }

    /// Runs a PostgreSQL tool as the `postgres` user when this process is root (initdb refuses root).
    ///
    /// Through a shell that first closes every descriptor above 2: Foundation learns that a child ended when a
    /// descriptor the child inherited closes, and the server `pg_ctl start` leaves running would hold it forever.
    static func tool(_ name: String, _ arguments: [String]) async throws {
        let executable = try binaries.appendingPathComponent(name)
        let command = (getuid() == 0 ? ["/usr/sbin/runuser", "-u", "postgres", "--"] : []) + [executable.path]
        let closeAndRun =
            #"for fd in /proc/self/fd/*; do n=${fd##*/}; [ "$n" -gt 2 ] && eval "exec $n>&-"; done; exec "$@""#
        let output = try await ProcessRunner.run(
            URL(fileURLWithPath: "/bin/bash"), ["-c", closeAndRun, "bash"] + command + arguments,
            killAfter: .seconds(120))
        guard output.status == 0 else {
            throw ClusterError(message: "\(name) failed (\(output.status)): \(output.stderr)")
        }
    }

    static func makeFolder() throws -> URL {
        let folder = URL(fileURLWithPath: "/tmp/mpesa-recon-cluster-\(UUID().uuidString.prefix(8).lowercased())")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: false)
        if getuid() == 0 {
            guard let owner = getpwnam("postgres") else { throw ClusterError(message: "no postgres user") }
            guard chown(folder.path, owner.pointee.pw_uid, owner.pointee.pw_gid) == 0 else {
                throw ClusterError(message: "cannot give \(folder.path) to postgres")
            }
        }
        return folder
    }

    /// Settings every cluster gets: its port and socket folder, loopback only, throwaway durability.
    static func appendSettings(_ folder: URL, port: Int, extra: [String]) throws {
        let conf = folder.appendingPathComponent("data/postgresql.conf")
        let handle = try FileHandle(forWritingTo: conf)
        defer { try? handle.close() }
        try handle.seekToEnd()
        let lines =
            [
                "port = \(port)", "listen_addresses = '127.0.0.1'", "unix_socket_directories = '\(folder.path)'",
                "fsync = off", "full_page_writes = off",
            ] + extra
        try handle.write(contentsOf: Data((lines.joined(separator: "\n") + "\n").utf8))
    }

    /// Tries ports until one starts (another cluster may hold the one picked).
    static func startOnFreePort(_ folder: URL, extra: [String]) async throws -> Int {
        var lastError: (any Error)?
        for _ in 0..<5 {
            let port = Int.random(in: 40_000...49_999)
            try appendSettings(folder, port: port, extra: extra)
            do {
                try await tool(
                    "pg_ctl",
                    [
                        "-D", folder.appendingPathComponent("data").path, "-l",
                        folder.appendingPathComponent("log").path,
                        "-w", "-t", "60", "start",
                    ])
                return port
            } catch {
                lastError = error
            }
        }
        throw lastError ?? ClusterError(message: "no port")
    }

    /// A primary with `archive_mode = on` copying each segment into `archive/`.
    static func start(archiving: Bool) async throws -> ThrowawayCluster {
        let folder = try makeFolder()
        do {
            try await tool(
                "initdb",
                ["-D", folder.appendingPathComponent("data").path, "-A", "trust", "-U", "postgres", "--no-sync"])
            let archive = folder.appendingPathComponent("archive")
            try FileManager.default.createDirectory(at: archive, withIntermediateDirectories: false)
            if getuid() == 0, let owner = getpwnam("postgres") {
                _ = chown(archive.path, owner.pointee.pw_uid, owner.pointee.pw_gid)
            }
            let extra =
                archiving
                ? ["wal_level = replica", "archive_mode = on", "archive_command = 'cp %p \(archive.path)/%f'"] : []
            let port = try await startOnFreePort(folder, extra: extra)
            return ThrowawayCluster(folder: folder, port: port)
        } catch {
            try? FileManager.default.removeItem(at: folder)
            throw error
        }
    }

    /// A streaming hot standby of `primary` (pg_basebackup -R).
    static func start(standbyOf primary: ThrowawayCluster) async throws -> ThrowawayCluster {
        let folder = try makeFolder()
        do {
            try await tool(
                "pg_basebackup",
                [
                    "-h", "127.0.0.1", "-p", "\(primary.port)", "-U", "postgres", "-D",
                    folder.appendingPathComponent("data").path, "-R", "-X", "stream",
                ])
            // The copied configuration names the primary's port and socket folder; the later lines win.
            let port = try await startOnFreePort(folder, extra: ["archive_mode = off", "hot_standby = on"])
            return ThrowawayCluster(folder: folder, port: port)
        } catch {
            try? FileManager.default.removeItem(at: folder)
            throw error
        }
    }

    /// Stops the server (immediately: it is thrown away) and removes its folder.
    func stop() {
        let data = folder.appendingPathComponent("data").path
        let pg = (try? Self.binaries.appendingPathComponent("pg_ctl").path) ?? "pg_ctl"
        let arguments = ["-D", data, "-m", "immediate", "-w", "stop"]
        _ = try? ProcessRunner.runBlocking(
            URL(fileURLWithPath: getuid() == 0 ? "/usr/sbin/runuser" : pg),
            getuid() == 0 ? ["-u", "postgres", "--", pg] + arguments : arguments)
        try? FileManager.default.removeItem(at: folder)
    }
}
