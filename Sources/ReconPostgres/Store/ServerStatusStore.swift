public import Foundation

/// What PostgreSQL says about itself that an operator watches: who this login is, WAL archiving, and a standby's
/// recovery. Readable by any role (no table of the schema is read).
public enum ServerStatusStore {
    /// The login a connection runs as, and whether grants limit it.
    public struct Login: Sendable, Equatable {
        /// `current_user`.
        public var name: String
        /// A superuser: no grant or trigger ownership limits it.
        public var superuser: Bool
        /// Owns (or is a member of the owner of) tables of the `public` schema: it may ALTER, TRUNCATE and disable
        /// triggers on them.
        public var ownsSchema: Bool
    }

    /// WAL archiving as `pg_stat_archiver` and `archive_mode` report it.
    public struct Archiver: Sendable, Equatable {
        /// `archive_mode`: `off`, `on` or `always`.
        public var mode: String
        /// When the last WAL segment was archived; nil when none has been since the statistics were reset.
        public var lastArchivedAt: Date?
        /// When archiving last failed, and the segment; nil when it never has.
        public var lastFailedAt: Date?
        public var lastFailedWAL: String?

        /// Whether `archive_command` runs at all.
        public var isOn: Bool { mode != "off" }
    }

    /// A server as a standby sees itself.
    public struct Recovery: Sendable, Equatable {
        /// `pg_is_in_recovery()`: a standby (or a restore) replaying WAL; false on a primary.
        public var inRecovery: Bool
        /// Seconds the replayed data is behind: 0 when everything received is replayed, else the age of the last
        /// replayed transaction; nil on a primary or before any replay.
        public var replayLagSeconds: Double?
    }

    /// The connecting login's name and powers.
    public static func login(_ db: isolated PostgresConnection) throws(PostgresError) -> Login {
        let row = try db.query(
            """
            SELECT current_user::text AS name, r.rolsuper AS superuser,
                   EXISTS (SELECT 1 FROM pg_class c
                           WHERE c.relnamespace = 'public'::regnamespace AND c.relkind IN ('r', 'p')
                             AND pg_has_role(c.relowner, 'USAGE')) AS owns_schema
            FROM pg_roles r WHERE r.rolname = current_user
            """
        ).first
        guard let row else {
            throw PostgresError(code: .decoding, message: "the current user is not in pg_roles")
        }
        return Login(
            name: try row.decode(String.self, "name"), superuser: try row.decode(Bool.self, "superuser"),
            ownsSchema: try row.decode(Bool.self, "owns_schema"))
    }

    /// `archive_mode` and the archiver's last success and failure.
    public static func archiver(_ db: isolated PostgresConnection) throws(PostgresError) -> Archiver {
        let row = try db.query(
            """
            SELECT current_setting('archive_mode') AS mode, last_archived_time, last_failed_time, last_failed_wal
            FROM pg_stat_archiver
            """
        ).first
        guard let row else { throw PostgresError(code: .decoding, message: "pg_stat_archiver returned no row") }
        return Archiver(
            mode: try row.decode(String.self, "mode"), lastArchivedAt: try row.decode(Date?.self, "last_archived_time"),
            lastFailedAt: try row.decode(Date?.self, "last_failed_time"),
            lastFailedWAL: try row.decode(String?.self, "last_failed_wal"))
    }

    /// Whether this server replays WAL, and how far behind it is.
    public static func recovery(_ db: isolated PostgresConnection) throws(PostgresError) -> Recovery {
        // Everything received replayed means no lag, however old the last transaction (a quiet primary).
        let row = try db.query(
            """
            SELECT pg_is_in_recovery() AS in_recovery,
                   CASE WHEN NOT pg_is_in_recovery() THEN NULL
                        WHEN pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() THEN 0
                        ELSE round(1000 * extract(epoch FROM clock_timestamp() - pg_last_xact_replay_timestamp()))
                   END::bigint AS lag_ms
            """
        ).first
        guard let row else { throw PostgresError(code: .decoding, message: "the recovery query returned no row") }
        return Recovery(
            inRecovery: try row.decode(Bool.self, "in_recovery"),
            replayLagSeconds: try row.decode(Int64?.self, "lag_ms").map { Double($0) / 1000 })
    }
}
