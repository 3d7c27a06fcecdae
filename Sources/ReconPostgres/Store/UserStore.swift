public import Foundation
public import ReconCore

/// Accounts (`users` + `user_roles`), login throttling and the audit log. The password hash is read only for
/// verification and never put in an ``Account``.
public enum UserStore {
    static let columns: StaticString = """
        u.id, u.email, u.full_name, u.is_active, u.is_staff, u.password IS NOT NULL AS has_password,
        coalesce((SELECT string_agg(r.role, ',' ORDER BY r.role) FROM (
                SELECT role FROM user_roles WHERE user_id = u.id
                UNION SELECT 'admin' WHERE u.is_staff AND recon_staff_is_admin()) r), '')
            AS roles, u.credentials_version, u.credentials_changed_at
        """

    static func account(_ row: PostgresRow) throws(PostgresError) -> Account {
        let roles = try row.decode(String.self, "roles").split(separator: ",").compactMap { Role(rawValue: String($0)) }
        return Account(
            id: try row.decode(Int64.self, "id"), email: try row.decode(String.self, "email"),
            fullName: try row.decode(String.self, "full_name"), isActive: try row.decode(Bool.self, "is_active"),
            isStaff: try row.decode(Bool.self, "is_staff"), roles: Set(roles),
            hasPassword: try row.decode(Bool.self, "has_password"),
            credentialsVersion: try row.decode(Int64.self, "credentials_version"),
            credentialsChangedAt: try row.decode(Date?.self, "credentials_changed_at"))
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

    /// Active accounts that may act as admins (the admin role; `is_staff` too where `RECON_STAFF_IS_ADMIN=true`).
    public static func activeAdminCount(_ db: isolated PostgresConnection) throws(PostgresError) -> Int {
        try db.query("SELECT count(*) AS n FROM users u WHERE recon_is_admin(u.id)").first?.decode(Int.self, "n") ?? 0
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

    /// Replaces a hash by one of the same password at more iterations (after a successful login): the credentials
    /// version stays (sessions and tokens live on), and a hash replaced meanwhile is left alone.
    public static func upgradeHash(
        _ db: isolated PostgresConnection, id: Int64, from old: String, to new: String
    ) throws(PostgresError) {
        try db.query("SELECT set_config('recon.rehash', 'on', true)")
        try db.query("UPDATE users SET password = \(new) WHERE id = \(id) AND password = \(old)")
        try db.query("SELECT set_config('recon.rehash', 'off', true)")
    }

    /// Replaces the password hash (the credentials version moves on: the database's trigger).
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

    /// What ``reserveLoginAttempt(_:email:address:since:maxPerPair:maxPerAddress:at:)`` decided.
    public enum LoginReservation: Sendable, Equatable {
        /// Too many failures for this (account, address) or from this address: nothing is recorded.
        case throttled
        /// The attempt is recorded as a failure (`id`) until it succeeds; `accountFailures` counts the account's
        /// failures from every address before this one, for the slow-down.
        case reserved(id: Int64, accountFailures: Int)
    }

    /// Counts and records a login attempt in one statement, before its password is checked
    /// (`recon_reserve_login_attempt`, sql/012): under advisory locks on its address and on its (account, address),
    /// the attempt is written as a failure unless a limit is reached, so parallel guesses queue on the count and at
    /// most the limit get through. Run it outside a transaction: the locks then last one statement.
    public static func reserveLoginAttempt(
        _ db: isolated PostgresConnection, email: String, address: String, since: Date, maxPerPair: Int,
        maxPerAddress: Int, at: Date
    ) throws(PostgresError) -> LoginReservation {
        guard
            let row = try db.query(
                """
                SELECT reserved_id, account_failures FROM recon_reserve_login_attempt(
                    \(email), \(address), \(since), \(maxPerPair), \(maxPerAddress), \(at))
                """
            ).first,
            let id = try row.decode(Int64?.self, "reserved_id")
        else { return .throttled }
        return .reserved(id: id, accountFailures: try row.decode(Int.self, "account_failures"))
    }

    /// After a successful login: forgets the reserved attempt and this address's failures for the account (other
    /// addresses' failures stay: they were not this person's).
    public static func clearFailures(
        _ db: isolated PostgresConnection, email: String, address: String, reserved: Int64
    ) throws(PostgresError) {
        try db.query(
            """
            DELETE FROM login_failures
            WHERE id = \(reserved) OR (lower(email) = lower(\(email)) AND address = \(address))
            """)
    }

    // MARK: Refresh tokens

    /// Blacklists a refresh token by `jti`; `false` when it was blacklisted already (used, or logged out). Only
    /// inserts: the application's database role needs no DELETE here.
    public static func blacklistToken(
        _ db: isolated PostgresConnection, jti: String, userID: Int64, expires: Date, at: Date
    ) throws(PostgresError) -> Bool {
        try !db.query(
            """
            INSERT INTO auth_token_blacklist (jti, user_id, expires_at, blacklisted_at)
            VALUES (\(jti), \(userID), \(expires), \(at)) ON CONFLICT (jti) DO NOTHING RETURNING jti
            """
        ).rows.isEmpty
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
