public import ReconCore
internal import ReconIdentity
import ReconPostgres

/// Why an account command was refused (exit 2), with a message safe to print.
public struct AccountRefusal: Error, Sendable, Equatable, CustomStringConvertible {
    /// Safe text.
    public var message: String
    /// A refusal.
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// `users add|set-password|list|disable|roles`: accounts of the LMS's users that may log in or act here.
public enum Accounts {
    /// Adds an account (no password: `set-password` gives one) with roles; refuses an email already used.
    public static func add(
        _ settings: DatabaseSettings, email: String, fullName: String, roles: [Role], staff: Bool = false
    ) async throws -> Account {
        let email = email.trimmingSpaces()
        guard EmailRule.isPlausible(email) else { throw AccountRefusal("'\(email)' is not an email address") }
        return try await withConnectionPool(settings) { pool in
            try await pool.withConnection { db in
                try await db.withTransaction { db in
                    guard try UserStore.account(db, email: email) == nil else {
                        throw AccountRefusal("an account with this email exists already")
                    }
                    let id = try UserStore.insert(db, email: email, fullName: fullName, isStaff: staff)
                    for role in roles { try UserStore.grant(db, id: id, role: role) }
                    try UserStore.audit(db, acting: nil, action: "user.add", subject: "user", subjectID: id)
                    guard let account = try UserStore.account(db, id: id) else {
                        throw AccountRefusal("the new account vanished")
                    }
                    return account
                }
            }
        }
    }

    /// The shortest password a console or API account may be given.
    public static let minimumPasswordLength = 12

    /// Sets an account's password (hashed as Django does, PBKDF2-SHA256 with 870 000 iterations). Replacing a
    /// password ends the account's console sessions and the tokens issued for it (the credentials version moves on).
    public static func setPassword(_ settings: DatabaseSettings, email: String, password: String) async throws {
        guard password.count >= minimumPasswordLength else {
            throw AccountRefusal("a password needs at least \(minimumPasswordLength) characters")
        }
        let hash = try DjangoPassword.make(password)
        try await withAccount(settings, email: email) { db, account in
            try UserStore.setPassword(db, id: account.id, hash: hash)
            try UserStore.audit(db, acting: nil, action: "user.set_password", subject: "user", subjectID: account.id)
        }
    }

    /// Disables (or enables again) an account: it logs in nowhere and decides nothing. Disabling ends its sessions
    /// and tokens for good: enabling it again does not bring them back.
    public static func setActive(_ settings: DatabaseSettings, email: String, active: Bool) async throws -> Account {
        try await withAccount(settings, email: email) { db, account in
            try UserStore.setActive(db, id: account.id, active: active)
            try UserStore.audit(
                db, acting: nil, action: active ? "user.enable" : "user.disable", subject: "user", subjectID: account.id
            )
            return try UserStore.account(db, id: account.id) ?? account
        }
    }

    /// Grants and revokes roles.
    public static func roles(
        _ settings: DatabaseSettings, email: String, add: [Role], remove: [Role]
    ) async throws -> Account {
        try await withAccount(settings, email: email) { db, account in
            for role in add { try UserStore.grant(db, id: account.id, role: role) }
            for role in remove { try UserStore.revoke(db, id: account.id, role: role) }
            try UserStore.audit(db, acting: nil, action: "user.roles", subject: "user", subjectID: account.id)
            return try UserStore.account(db, id: account.id) ?? account
        }
    }

    /// Every account.
    public static func list(_ settings: DatabaseSettings) async throws -> [Account] {
        try await withConnectionPool(settings) { pool in
            try await pool.withConnection { db in
                try await db.run { db throws(PostgresError) in try UserStore.list(db) }
            }
        }
    }

    static func withAccount<T: Sendable>(
        _ settings: DatabaseSettings, email: String,
        _ body: @escaping @Sendable (isolated PostgresConnection, Account) throws -> T
    ) async throws -> T {
        try await withConnectionPool(settings) { pool in
            try await pool.withConnection { db in
                try await db.withTransaction { db in
                    guard let account = try UserStore.account(db, email: email.trimmingSpaces()) else {
                        throw AccountRefusal("no account with this email")
                    }
                    return try body(db, account)
                }
            }
        }
    }
}
