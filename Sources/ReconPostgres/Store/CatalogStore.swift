public import ReconCore

/// A course as payments need it.
public struct CourseRecord: Sendable, Equatable {
    public var id: Int64
    public var price: Money
    public var isActive: Bool
}

/// Reads the LMS's learners and courses (display data; the LMS owns them).
public enum CatalogStore {
    /// Whether a learner with this id exists.
    public static func learnerExists(_ db: isolated PostgresConnection, id: Int64) throws(PostgresError) -> Bool {
        try db.query("SELECT 1 AS one FROM users WHERE id = \(id)").first != nil
    }

    /// One course, or `nil`.
    public static func course(_ db: isolated PostgresConnection, id: Int64) throws(PostgresError) -> CourseRecord? {
        guard let row = try db.query("SELECT price, is_active FROM courses WHERE id = \(id)").first else { return nil }
        return CourseRecord(
            id: id, price: try row.decode(Money.self, "price"), isActive: try row.decode(Bool.self, "is_active"))
    }
}
