/// Writes the LMS's own rows (courses, learners, enrollments) where this program must create them: the demo's
/// seed and the LMS enrolling a learner by hand. The LMS owns these tables; nothing in the jobs uses this.
public enum CatalogStore {
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
