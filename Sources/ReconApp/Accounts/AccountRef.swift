import ReconCore
import ReconPostgres

/// Who is acting on a decision: an account named by email (the CLI's `--by`) or by id (an API token, a console
/// session). Every desk resolves it inside the decision's own transaction, so a disabled account decides nothing.
public enum AccountRef: Sendable, Equatable {
    /// By email, case-insensitive.
    case email(String)
    /// By `users.id`.
    case id(Int64)

    /// The active admin account behind `who`, with the channel it acts through; refuses anyone else.
    static func acting(
        _ db: isolated PostgresConnection, _ who: AccountRef, via channel: DecisionChannel, origin: String?
    ) throws -> ActingAccount {
        let account: Account?
        let given: String
        switch who {
        case .email(let email):
            given = email
            account = email.trimmingSpaces().isEmpty ? nil : try UserStore.account(db, email: email.trimmingSpaces())
        case .id(let id):
            given = "account \(id)"
            account = try UserStore.account(db, id: id)
        }
        try RefundApproval.checkAdmin(account, given: given)
        guard let account else { throw RefundRefusal(.notAdmin, "no such account") }
        return ActingAccount(account: account, channel: channel, origin: origin)
    }
}
