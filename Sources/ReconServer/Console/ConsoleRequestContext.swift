import Hummingbird
import NIOCore
import ReconCore
import ReconPostgres

/// The request context of the `console` route group: the peer's address, forms decoded as
/// `application/x-www-form-urlencoded` (64 KiB at most), and, behind ``ConsoleSessionMiddleware``, the session.
struct ConsoleRequestContext: ChildRequestContext, RemoteAddressRequestContext {
    var coreContext: CoreRequestContextStorage
    let remoteAddress: SocketAddress?
    /// The signed-in session; set by ``ConsoleSessionMiddleware``, `nil` on the sign-in routes and the stylesheet.
    var session: ConsoleSession?
    /// The session cookie's value: its SHA-256 keys the stored session, its banner and logout.
    var sessionID: String?

    init(context: ReconRequestContext) {
        self.coreContext = context.coreContext
        self.remoteAddress = context.remoteAddress
    }

    var requestDecoder: URLEncodedFormDecoder { URLEncodedFormDecoder() }
    var maxUploadSize: Int { Console.bodyLimit }

    /// Who is looking, when signed in.
    var viewer: Viewer? { session.map(Viewer.init) }

    /// The session of a route behind ``ConsoleSessionMiddleware`` (which lets no request through without one).
    func requireSession() throws -> ConsoleSession {
        guard let session else { throw HTTPError(.unauthorized) }
        return session
    }
}

/// What an account may do in the console: the one place the console reads roles. (The desks still check their own
/// rules: refusing here first keeps a forged form from reaching them.)
enum ConsoleRole: Sendable {
    /// Any console user: an active admin, or active finance (read-only, phone numbers masked).
    case staff
    /// An active admin: refunds, decisions, exceptions, full phone numbers.
    case admin

    /// Whether the account holds this role.
    func admits(_ account: Account) -> Bool {
        switch self {
        case .staff: account.isActive && account.mayReadAllPayments
        case .admin: account.isAdmin
        }
    }
}

/// The signed-in account as pages see it: the layout shows `email` and `role` and puts `csrfToken` in every form;
/// free text and numbers are masked for anyone but an admin.
struct Viewer: Sendable {
    let email: String
    let role: String
    let csrfToken: String
    let isAdmin: Bool

    init(_ session: ConsoleSession) {
        email = session.account.email
        isAdmin = ConsoleRole.admin.admits(session.account)
        role = isAdmin ? "admin" : "finance"
        csrfToken = session.csrfToken
    }

    /// Free text as this viewer may see it: whole for an admin; for finance every number in it masked, those
    /// inside identifiers included (a CheckoutRequestID ends with the payer's number).
    func shown(_ text: String) -> String {
        isAdmin ? text : MSISDN.maskNumbers(in: text)
    }

    /// A payer's number: whole for an admin, masked for finance.
    func phone(_ number: String) -> String {
        isAdmin ? number : MSISDN.mask(number)
    }

    /// An identifier that ends with the payer's number (a CheckoutRequestID): whole for an admin, masked for finance.
    func identifier(_ text: String) -> String {
        isAdmin ? text : MSISDN.maskIdentifier(text)
    }
}
