public import ReconCore

/// A course as payments need it.
public struct CourseRecord: Sendable, Equatable {
    public var id: Int64
    public var price: Money
    public var isActive: Bool
}

/// The LMS's own rows (courses, learners, enrollments): read by `pay`, written only where this program must create
/// them (the demo's seed, the LMS enrolling a learner by hand). The LMS owns these tables.
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

    /// Adds an active course priced in whole shillings and returns its id.
    public static func insertCourse(
        _ db: isolated PostgresConnection, title: String, priceShillings: Int64
    ) throws(PostgresError) -> Int64 {
        try returnedID(db.query("INSERT INTO courses (title, price) VALUES (\(title), \(priceShillings)) RETURNING id"))
    }

    /// Adds a user and returns its id.
    public static func insertUser(
        _ db: isolated PostgresConnection, email: String, fullName: String
    ) throws(PostgresError) -> Int64 {
        try returnedID(db.query("INSERT INTO users (email, full_name) VALUES (\(email), \(fullName)) RETURNING id"))
    }

    /// Enrolls a learner without a payment (as the LMS does by hand) and returns the enrollment's id.
    public static func insertEnrollment(
        _ db: isolated PostgresConnection, userID: Int64, courseID: Int64
    ) throws(PostgresError) -> Int64 {
        try returnedID(
            db.query("INSERT INTO enrollments (user_id, course_id) VALUES (\(userID), \(courseID)) RETURNING id"))
    }

    static func returnedID(_ rows: PostgresRows) throws(PostgresError) -> Int64 {
        guard let row = rows.first else {
            throw PostgresError(code: .decoding, message: "an INSERT … RETURNING id returned no row")
        }
        return try row.decode(Int64.self, "id")
    }
}
