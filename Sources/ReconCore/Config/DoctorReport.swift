/// What `doctor` found: one line per check, in the order they ran (configuration, database, Daraja, callback URL).
public struct DoctorReport: Sendable, Codable, Equatable {
    /// One check's outcome.
    public struct Check: Sendable, Codable, Equatable {
        /// How a check ended.
        public enum Status: String, Sendable, Codable {
            case pass
            case fail
            /// Not run because something it depends on failed.
            case skipped
            /// Worth knowing, not a failure.
            case note
            /// Worth acting on (a superuser login, an old backup), not a failure of the configuration.
            case warn
        }

        /// `configuration`, `database`, `migrations`, `database-role`, `wal-archive`, `accounts`, `backups`,
        /// `standby`, `daraja-oauth`, `callback-url`, `callback-reachable`.
        public var area: String
        public var status: Status
        /// What was found, safe to print (no secret, token or phone number).
        public var detail: String
        /// The variable concerned, for configuration problems.
        public var variable: String?

        /// A check's outcome.
        public init(area: String, status: Status, detail: String, variable: String? = nil) {
            self.area = area
            self.status = status
            self.detail = detail
            self.variable = variable
        }
    }

    /// Every check, in order.
    public var checks: [Check] = []

    /// An empty report.
    public init() {}

    /// Whether every check passed (notes, warnings and skips do not fail; a skip always follows a failure).
    public var passed: Bool { !checks.contains { $0.status == .fail } }

    /// Whether any configuration variable is at fault (exit code 2 rather than 1).
    public var configurationFailed: Bool { checks.contains { $0.area == "configuration" && $0.status == .fail } }
}
