public import Foundation
public import ReconCore

/// Accounts (`users` + `user_roles`), login throttling and the audit log. The password hash is read only for
/// verification and never put in an ``Account``.
public enum UserStore {
    static let columns: StaticString = """
        u.id, u.email, u.full_name, u.is_active, u.is_staff, u.password IS NOT NULL AS has_password,
        coalesce((SELECT string_agg(r.role, ',' ORDER BY r.role) FROM user_roles r WHERE r.user_id = u.id), '')
            AS roles
        """

    static func account(_ row: PostgresRow) throws(PostgresError) -> Account {
        let roles = try row.decode(String.self, "roles").split(separator: ",").compactMap { Role(rawValue: String($0)) }
        return Account(
            id: try row.decode(Int64.self, "id"), email: try row.decode(String.self, "email"),
            fullName: try row.decode(String.self, "full_name"), isActive: try row.decode(Bool.self, "is_active"),
            isStaff: try row.decode(Bool.self, "is_staff"), roles: Set(roles),
            hasPassword: try row.decode(Bool.self, "has_password"))
    }

    /// The account with this email (case-insensitive, as Django's login forms compare it), or `nil`.
    public static func account(_ db: isolated PostgresConnection, email: String) throws(PostgresError) -> Account? {
        try db.query(
            "SELECT \(unescaped: columns) FROM users u WHERE lower(u.email) = lower(\(email)) ORDER BY u.id LIMIT 1"
        ).first.map(account)
    }

    /// The account with this id, or `nil`.
    public static func account(_ db: isolated PostgresConnection, id: Int64) throws(PostgresError) -> Account? {
        try db.query("SELECT \(unescaped: columns) FROM users u WHERE u.id = \(id)").first.map(account)
    }

    /// The account and its stored password hash, for login only.
    public static func credentials(
        _ db: isolated PostgresConnection, email: String
    ) throws(PostgresError) -> (Account, String?)? {
        guard
            let row = try db.query(
                """
                SELECT \(unescaped: columns), u.password FROM users u WHERE lower(u.email) = lower(\(email))
                ORDER BY u.id LIMIT 1
                """
            ).first
        else { return nil }
        return (try account(row), try row.decode(String?.self, "password"))
    }

    /// Active accounts that may act as admins (`is_staff` or the admin role).
    public static func activeAdminCount(_ db: isolated PostgresConnection) throws(PostgresError) -> Int {
        try db.query(
            """
            SELECT count(*) AS n FROM users u
            WHERE u.is_active AND (u.is_staff OR EXISTS (
                SELECT 1 FROM user_roles r WHERE r.user_id = u.id AND r.role = 'admin'))
            """
        ).first?.decode(Int.self, "n") ?? 0
    }

    /// Every account, by email.
    public static func list(_ db: isolated PostgresConnection) throws(PostgresError) -> [Account] {
        try db.query("SELECT \(unescaped: columns) FROM users u ORDER BY lower(u.email), u.id").map(account)
    }

    /// Adds an account (no password yet) and returns its id.
    public static func insert(
        _ db: isolated PostgresConnection, email: String, fullName: String, isStaff: Bool = false
    ) throws(PostgresError) -> Int64 {
        try CatalogStore.returnedID(
            db.query(
                """
                INSERT INTO users (email, full_name, is_staff) VALUES (\(email), \(fullName), \(isStaff)) RETURNING id
                """))
    }

    /// Replaces the password hash.
    public static func setPassword(
        _ db: isolated PostgresConnection, id: Int64, hash: String
    ) throws(PostgresError) {
        try db.query("UPDATE users SET password = \(hash) WHERE id = \(id)")
    }

    /// Sets `is_active`.
    public static func setActive(_ db: isolated PostgresConnection, id: Int64, active: Bool) throws(PostgresError) {
        try db.query("UPDATE users SET is_active = \(active) WHERE id = \(id)")
    }

    /// Grants a role (idempotent).
    public static func grant(_ db: isolated PostgresConnection, id: Int64, role: Role) throws(PostgresError) {
        try db.query("INSERT INTO user_roles (user_id, role) VALUES (\(id), \(role.rawValue)) ON CONFLICT DO NOTHING")
    }

    /// Revokes a role (idempotent).
    public static func revoke(_ db: isolated PostgresConnection, id: Int64, role: Role) throws(PostgresError) {
        try db.query("DELETE FROM user_roles WHERE user_id = \(id) AND role = \(role.rawValue)")
    }

    /// Records a successful login.
    public static func touchLogin(_ db: isolated PostgresConnection, id: Int64, at: Date) throws(PostgresError) {
        try db.query("UPDATE users SET last_login = \(at) WHERE id = \(id)")
    }

    // MARK: Throttling

    /// Failed logins in the window, for this email and for this address.
    public static func recentFailures(
        _ db: isolated PostgresConnection, email: String, address: String, since: Date
    ) throws(PostgresError) -> (email: Int, address: Int) {
        guard
            let row = try db.query(
                """
                SELECT (SELECT count(*) FROM login_failures WHERE lower(email) = lower(\(email)) AND at > \(since))
                           AS by_email,
                       (SELECT count(*) FROM login_failures WHERE address = \(address) AND at > \(since)) AS by_address
                """
            ).first
        else { return (0, 0) }
        return (try row.decode(Int.self, "by_email"), try row.decode(Int.self, "by_address"))
    }

    /// Records a failed login.
    public static func recordFailure(
        _ db: isolated PostgresConnection, email: String, address: String, at: Date
    ) throws(PostgresError) {
        try db.query("INSERT INTO login_failures (email, address, at) VALUES (\(email), \(address), \(at))")
    }

    /// Forgets an account's failures after a successful login.
    public static func clearFailures(_ db: isolated PostgresConnection, email: String) throws(PostgresError) {
        try db.query("DELETE FROM login_failures WHERE lower(email) = lower(\(email))")
    }

    // MARK: Audit

    /// Appends to the audit log.
    public static func audit(
        _ db: isolated PostgresConnection, acting: ActingAccount?, action: String, subject: String, subjectID: Int64?,
        detail: String = "{}", at: Date = Date()
    ) throws(PostgresError) {
        let channel = acting?.channel.rawValue ?? "system"
        let osUser = acting?.channel == .cli ? acting?.origin : nil
        let address = acting?.channel == .cli ? nil : acting?.origin
        try db.query(
            """
            INSERT INTO audit_log (at, user_id, channel, os_user, address, action, subject, subject_id, detail)
            VALUES (\(at), \(acting?.account.id), \(channel), \(osUser), \(address), \(action), \(subject),
                    \(subjectID), \(detail)::jsonb)
            """)
    }
}
