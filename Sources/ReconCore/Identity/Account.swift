public import Foundation

/// A role an account holds besides being a learner. Django's `is_staff` is not a role here: it counts as admin only
/// where `RECON_STAFF_IS_ADMIN=true` (the store then lists `admin` among a staff account's roles).
public enum Role: String, Sendable, Codable, CaseIterable, Comparable {
    /// May propose, approve and reject refunds, and see everything unmasked.
    case admin
    /// May read every payment, with phone numbers masked.
    case finance

    public static func < (lhs: Role, rhs: Role) -> Bool { lhs.rawValue < rhs.rawValue }
}

/// Where a person acted from; recorded with every decision.
public enum DecisionChannel: String, Sendable, Codable {
    /// The command line; the OS user is recorded too.
    case cli
    /// The JSON API with a bearer token.
    case api
    /// The web console.
    case console
}

/// One of the LMS's users as this program sees it (`users` plus `user_roles`).
public struct Account: Sendable, Equatable, Codable {
    /// `users.id`.
    public var id: Int64
    /// The login name.
    public var email: String
    /// Display name.
    public var fullName: String
    /// A disabled account logs in nowhere and decides nothing.
    public var isActive: Bool
    /// Django's staff flag, as the LMS keeps it; by itself it grants nothing here.
    public var isStaff: Bool
    /// Roles granted here (with `admin` for a staff account where `RECON_STAFF_IS_ADMIN=true`).
    public var roles: Set<Role>
    /// Whether a password hash is stored (the hash itself never leaves the store layer's callers).
    public var hasPassword: Bool
    /// Moves on whenever the password is replaced or the account disabled: sessions and tokens made under an older
    /// version are refused.
    public var credentialsVersion: Int64
    /// When the version last moved (`nil`: never); tokens without a version (the LMS's) issued before it are refused.
    public var credentialsChangedAt: Date?

    /// An account value.
    public init(
        id: Int64, email: String, fullName: String, isActive: Bool, isStaff: Bool, roles: Set<Role>,
        hasPassword: Bool, credentialsVersion: Int64 = 1, credentialsChangedAt: Date? = nil
    ) {
        self.credentialsVersion = credentialsVersion
        self.credentialsChangedAt = credentialsChangedAt
        self.id = id
        self.email = email
        self.fullName = fullName
        self.isActive = isActive
        self.isStaff = isStaff
        self.roles = roles
        self.hasPassword = hasPassword
    }

    /// Active and holding the admin role: may act on refunds and see phones unmasked.
    public var isAdmin: Bool { isActive && roles.contains(.admin) }

    /// Active admin or finance: may list every payment.
    public var mayReadAllPayments: Bool { isAdmin || (isActive && roles.contains(.finance)) }

    /// Whether a token may still stand for this account: one that carries a credentials version must carry the
    /// current one; one that carries none (the LMS's own) must have been issued (`iat`, whole seconds) after the
    /// last change, counted strictly: a token from the very second of a change is refused.
    public func acceptsToken(issuedAt: Int64, credentialsVersion version: Int64?) -> Bool {
        if let version { return version == credentialsVersion }
        guard let changed = credentialsChangedAt else { return true }
        return Double(issuedAt) > changed.timeIntervalSince1970.rounded(.down)
    }
}

/// The person behind an action and where they acted from.
public struct ActingAccount: Sendable, Equatable {
    /// The account.
    public var account: Account
    /// The channel.
    public var channel: DecisionChannel
    /// Where the person acted from: the operating-system user on `cli`, the client's address on `api` and
    /// `console`.
    public var origin: String?

    /// An actor value.
    public init(account: Account, channel: DecisionChannel, origin: String? = nil) {
        self.account = account
        self.channel = channel
        self.origin = origin
    }
}

/// Email syntax as this program accepts it for new accounts: one `@`, something on both sides, no spaces.
public enum EmailRule {
    /// Whether `text` may be stored as a new account's email.
    public static func isPlausible(_ text: String) -> Bool {
        let parts = text.split(separator: "@", omittingEmptySubsequences: false)
        return parts.count == 2 && !parts[0].isEmpty && parts[1].contains(".")
            && !text.contains(where: { $0.isWhitespace }) && text.count <= 254
    }
}
