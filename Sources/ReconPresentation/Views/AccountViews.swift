public import ReconCore

/// One account as `users list` shows it (no hash, only whether one is set).
public struct AccountView: Presentable, Equatable {
    public var id: Int64
    public var email: String
    public var name: String
    public var active: Bool
    public var staff: Bool
    public var roles: [String]
    public var hasPassword: Bool

    /// The view of an account.
    public init(_ account: Account) {
        id = account.id
        email = account.email
        name = account.fullName
        active = account.isActive
        staff = account.isStaff
        roles = account.roles.sorted().map(\.rawValue)
        hasPassword = account.hasPassword
    }

    public var text: String {
        "\(id) \(email) \(active ? "active" : "disabled") roles: \(roles.isEmpty ? "-" : roles.joined(separator: ","))"
            + (staff ? " (staff)" : "") + (hasPassword ? "" : " (no password)")
    }
}

/// `users list`.
public struct AccountListView: Presentable, Equatable {
    public var accounts: [AccountView]

    /// A list view.
    public init(_ accounts: [Account]) { self.accounts = accounts.map(AccountView.init) }

    public var text: String {
        guard !accounts.isEmpty else { return "No accounts." }
        let rows = accounts.map {
            [
                String($0.id), $0.email, $0.name, $0.active ? "active" : "disabled",
                (($0.staff ? ["staff"] : []) + $0.roles).joined(separator: ","), $0.hasPassword ? "yes" : "no",
            ]
        }
        return TextTable(header: ["ID", "EMAIL", "NAME", "STATE", "ROLES", "PASSWORD"], rows: rows).render()
    }
}
