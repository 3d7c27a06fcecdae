public import Foundation
public import ReconCore

/// Who wrote a `payment_events` row (the schema's list).
public enum PaymentEventSource: String, Sendable {
    case pay
    case callback
    case query
    case admin
    case reconcile

    /// The source of an answer.
    public init(_ source: AnswerSource) {
        switch source {
        case .callback: self = .callback
        case .query: self = .query
        case .admin: self = .admin
        }
    }
}

/// One row of the append-only payment trail.
public struct PaymentEvent: Sendable, Equatable {
    public var paymentID: Int64
    public var at: Date
    public var source: PaymentEventSource
    public var from: PaymentStatus?
    public var to: PaymentStatus
    /// Stored as a JSON object; `summary` says what happened. Never a phone number.
    public var detail: [String: String]

    /// An event.
    public init(
        paymentID: Int64, at: Date, source: PaymentEventSource, from: PaymentStatus?, to: PaymentStatus,
        detail: [String: String]
    ) {
        self.paymentID = paymentID
        self.at = at
        self.source = source
        self.from = from
        self.to = to
        self.detail = detail
    }
}

/// The only writer of `payment_events`.
public enum PaymentEventStore {
    /// Appends events, in one statement however many.
    public static func append(_ db: isolated PostgresConnection, _ events: [PaymentEvent]) throws(PostgresError) {
        guard events.count > 1 else {
            // One event (the callback path): a plain VALUES row plans faster than unnest.
            guard let event = events.first else { return }
            try db.query(
                """
                INSERT INTO payment_events (payment_id, at, source, from_status, to_status, detail)
                VALUES (\(event.paymentID), \(event.at), \(event.source.rawValue), \(event.from?.rawValue),
                        \(event.to.rawValue), \(JSONText.object(event.detail))::jsonb)
                """)
            return
        }
        try db.query(
            """
            INSERT INTO payment_events (payment_id, at, source, from_status, to_status, detail)
            SELECT e.payment_id, e.at, e.source, e.from_status, e.to_status, e.detail::jsonb
            FROM unnest(\(SQLArray(events.map { String($0.paymentID) }))::bigint[],
                        \(SQLArray(events.map(\.at.sqlText)))::timestamptz[],
                        \(SQLArray(events.map(\.source.rawValue)))::text[],
                        \(SQLArray(events.map { $0.from?.rawValue }))::text[],
                        \(SQLArray(events.map(\.to.rawValue)))::text[],
                        \(SQLArray(events.map { JSONText.object($0.detail) }))::text[])
                WITH ORDINALITY AS e(payment_id, at, source, from_status, to_status, detail, n)
            ORDER BY e.n
            """)
    }

    /// Appends one event.
    public static func append(_ db: isolated PostgresConnection, _ event: PaymentEvent) throws(PostgresError) {
        try append(db, [event])
    }
}
