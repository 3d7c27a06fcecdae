public import ReconCore

/// What the schema owner writes so that the database enforces the rules itself (`sql/011_enforce.sql`): the
/// dual-approval threshold its triggers read, and the runtime role's grants.
public enum EnforcementStore {
    /// The application's runtime role when none is configured.
    public static let defaultAppRole = "mpesa_recon_app"

    /// The threshold the database enforces (`recon_settings.dual_approval_above`); nil before `011_enforce.sql`.
    public static func dualApprovalAbove(_ db: isolated PostgresConnection) throws(PostgresError) -> Money? {
        guard try hasSettingsTable(db) else { return nil }
        return try db.query("SELECT value FROM recon_settings WHERE key = 'dual_approval_above'").first?
            .decode(Money.self, "value")
    }

    /// Whether this connection's role may write the settings (the owner may; the runtime role only reads them).
    public static func maySetSettings(_ db: isolated PostgresConnection) throws(PostgresError) -> Bool {
        guard try hasSettingsTable(db) else { return false }
        return try db.query("SELECT has_table_privilege('recon_settings', 'UPDATE') AS may").first?
            .decode(Bool.self, "may") ?? false
    }

    /// Writes the threshold the triggers compare a refund's amount with; returns whether it changed.
    @discardableResult
    public static func setDualApprovalAbove(
        _ db: isolated PostgresConnection, _ amount: Money
    ) throws(PostgresError) -> Bool {
        try db.query(
            """
            INSERT INTO recon_settings (key, value, updated_at) VALUES ('dual_approval_above', \(amount), now())
            ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value, updated_at = EXCLUDED.updated_at
            WHERE recon_settings.value IS DISTINCT FROM EXCLUDED.value
            RETURNING key
            """
        ).first != nil
    }

    /// Throws when `role` does not exist and this login may not create it (neither superuser nor CREATEROLE): what
    /// `migrate` checks before changing anything. The usual production owner is such a login.
    public static func checkRoleCanBeGranted(_ db: isolated PostgresConnection, role: String) throws(PostgresError) {
        let row = try db.query(
            """
            SELECT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = \(role)) AS present,
                   coalesce((SELECT rolsuper OR rolcreaterole FROM pg_roles WHERE rolname = current_user), false)
                       AS may_create,
                   current_user::text AS login
            """
        ).first
        guard let row else { return }
        let present = try row.decode(Bool.self, "present")
        let mayCreate = try row.decode(Bool.self, "may_create")
        guard !present, !mayCreate else { return }
        let login = try row.decode(String.self, "login")
        throw PostgresError(
            code: .migration,
            message: "role \(role) does not exist and \(login) may not create it; nothing was migrated. Create it "
                + "first as a superuser (CREATE ROLE \(role) LOGIN PASSWORD '…'), or name another role "
                + "(--app-role, --readonly-role) or none (--no-app-role)",
            sqlState: "42501")
    }

    /// Creates the runtime role when missing (NOLOGIN) and grants it rows, never ownership; run by the owner.
    public static func grantAppRole(_ db: isolated PostgresConnection, role: String) throws(PostgresError) {
        try db.query("SELECT recon_grant_app_role(\(role))::text AS done")
    }

    /// Creates a read-only role when missing (NOLOGIN) and grants it SELECT on the records, none on secrets.
    public static func grantReadOnlyRole(_ db: isolated PostgresConnection, role: String) throws(PostgresError) {
        try db.query("SELECT recon_grant_readonly_role(\(role))::text AS done")
    }

    private static func hasSettingsTable(_ db: isolated PostgresConnection) throws(PostgresError) -> Bool {
        try db.query("SELECT to_regclass('recon_settings') IS NOT NULL AS present").first?
            .decode(Bool.self, "present") ?? false
    }
}
