public import ReconPostgres

/// What `migrate` did and the tables it left, with their rows.
public struct MigrationView: Presentable {
    /// Files applied by this run, in order.
    public var applied: [String]
    /// Files applied before.
    public var alreadyApplied: [String]
    /// Every table of the schema with its rows.
    public var tables: [TableRowCount]
    /// The dual-approval threshold written for the database's triggers (KES), when one was.
    public var dualApprovalAbove: String?
    /// The runtime role granted, when one was.
    public var appRole: String?
    /// The read-only role granted, when one was.
    public var readOnlyRole: String?

    /// The view of a migration run.
    public init(
        report: MigrationReport, tables: [TableRowCount], dualApprovalAbove: String? = nil, appRole: String? = nil,
        readOnlyRole: String? = nil
    ) {
        applied = report.applied
        alreadyApplied = report.alreadyApplied
        self.tables = tables
        self.dualApprovalAbove = dualApprovalAbove
        self.appRole = appRole
        self.readOnlyRole = readOnlyRole
    }

    /// The applied files (or "up to date"), then one line per table.
    public var text: String {
        var lines = applied.map { "applied  \($0)" }
        if applied.isEmpty {
            lines.append("schema up to date (\(alreadyApplied.count) migration(s) applied before)")
        }
        if let dualApprovalAbove {
            lines.append("the database requires two approvers for refunds above \(dualApprovalAbove)")
        }
        if let appRole { lines.append("runtime role \(appRole): rows granted, no ownership, audit_log append-only") }
        if let readOnlyRole { lines.append("read-only role \(readOnlyRole): SELECT on the records, none on secrets") }
        lines.append("tables:")
        for table in tables {
            lines.append(
                "  \(table.name + String(repeating: " ", count: max(0, 28 - table.name.count))) \(table.rows) row(s)")
        }
        return lines.joined(separator: "\n")
    }
}
