import Foundation
import ReconCore
import ReconPostgres
import ReconReports

/// A small fixed data set for the report tests: every time is fixed (never `now()`), and rows sit on both
/// sides of the period's edges, so the golden files pin down which rows a period takes.
///
/// The period is 2026-11-28 to 2026-11-29 East Africa Time: 2026-11-27T21:00:00Z up to 2026-11-29T21:00:00Z.
enum ReportFixture {
    static func period() throws -> ReportPeriod {
        try ReportPeriod(first: CivilDate(parsing: "2026-11-28"), last: CivilDate(parsing: "2026-11-29"))
    }

    /// Exception ages are measured to here, capped at the period's end (2026-11-29T21:00:00Z).
    static let asOf = Date(timeIntervalSince1970: 1_796_083_200)  // 2026-12-01T00:00:00Z

    /// Settled in the period: payments 2, 1, 11, 12, 4, 5.
    static let settledAmount = "9500.00"
    /// Refund 1 succeeded in the period.
    static let refundedAmount = "1500.00"
    static let netAmount = "8000.00"

    static func seed(_ connection: PostgresConnection) async throws {
        try await connection.executeScript(unsafeSQL: sql)
    }

    static let sql = """
        INSERT INTO courses (id, title, price, is_active) VALUES
          (1, 'Intro to Python', 1500.00, true),
          (2, 'Data, "Analytics" & SQL', 2500.00, true),
          (3, 'Kiswahili kwa Wanaoanza – ngazi ya 1', 1000.00, false);

        INSERT INTO users (id, email, full_name) VALUES
          (1, 'wanjiku@example.com', 'Wanjikũ Ng''ang''a'),
          (2, 'eve@example.com', '=HYPERLINK("http://evil.example")'),
          (3, 'otieno@example.com', ''),
          (4, 'amina@example.com', 'Amina Yusuf');

        INSERT INTO payments (id, user_id, course_id, amount, phone, checkout_request_id, merchant_request_id, status,
                              result_code, result_desc, mpesa_receipt, paid_amount, paid_phone, paid_at, settled_via,
                              check_attempts, next_check_at, last_answer, created_at, updated_at) VALUES
          -- Paid by callback inside the period; the fraction of a second is dropped in reports.
          (1, 1, 1, 1500.00, '254712345678', 'ws_CO_28112026093400001712345678', 'mr-1', 'completed', '0',
           'The service request is processed successfully.', 'TKR1AAA001', 1500.00, '254712345678',
           '2026-11-28 06:35:54.5+00', 'callback', 0, NULL, NULL, '2026-11-28 06:34:00+00', '2026-11-28 06:35:56+00'),
          -- Paid at exactly 00:00:00 EAT on the first day: inside.
          (2, 2, 2, 2500.00, '0722000111', 'ws_CO_28112026000000002', 'mr-2', 'completed', '0', 'ok', 'TKR1AAA002',
           2500.00, NULL, '2026-11-27 21:00:00+00', 'callback', 0, NULL, NULL, '2026-11-27 20:58:00+00',
           '2026-11-27 21:00:01+00'),
          -- Paid one millisecond before the period: outside.
          (3, 3, 1, 1500.00, '254733444555', 'ws_CO_27112026235959003', 'mr-3', 'completed', '0', 'ok', 'TKR1AAA003',
           1500.00, '254733444555', '2026-11-27 20:59:59.999+00', 'callback', 0, NULL, NULL,
           '2026-11-27 20:57:00+00', '2026-11-27 21:00:02+00'),
          -- Settled by query: no receipt yet and no time from M-Pesa, so the settlement time (updated_at) counts.
          (4, 4, 3, 1000.00, '254711222333', 'ws_CO_29112026145500004', 'mr-4', 'completed', '0', 'ok', NULL, NULL,
           NULL, NULL, 'query', 3, NULL, 'The service request has been accepted successsfully',
           '2026-11-29 11:55:00+00', '2026-11-29 12:00:00+00'),
          -- Paid at 23:59:59 EAT on the last day, 500 short of the price asked.
          (5, 1, 2, 2500.00, '254712345678', 'ws_CO_29112026235900005', 'mr-5', 'completed', '0', 'ok', 'TKR1AAA005',
           2000.00, '254712345678', '2026-11-29 20:59:59+00', 'callback', 0, NULL, NULL, '2026-11-29 20:59:00+00',
           '2026-11-29 21:00:05+00'),
          -- Paid at 00:00:00 EAT the day after: outside.
          (6, 2, 1, 1500.00, '0722000111', 'ws_CO_30112026000000006', 'mr-6', 'completed', '0', 'ok', 'TKR1AAA006',
           1500.00, NULL, '2026-11-29 21:00:00+00', 'callback', 0, NULL, NULL, '2026-11-29 20:59:30+00',
           '2026-11-29 21:00:06+00'),
          -- Cancelled by the learner.
          (7, 3, 2, 2500.00, '254733444555', 'ws_CO_28112026120000007', 'mr-7', 'failed', '1032',
           'Request cancelled by user', NULL, NULL, NULL, NULL, 'callback', 0, NULL, NULL, '2026-11-28 09:00:00+00',
           '2026-11-28 09:01:00+00'),
          -- Still pending.
          (8, 4, 1, 1500.00, '254711222333', 'ws_CO_29112026130000008', 'mr-8', 'pending', NULL, NULL, NULL, NULL,
           NULL, NULL, NULL, 2, '2026-11-29 10:30:00+00', 'The transaction is being processed',
           '2026-11-29 10:00:00+00', '2026-11-29 10:10:00+00'),
          -- Unknown since before the period; its last answer quotes a phone number.
          (9, 1, 3, 1000.00, '254712345678', 'ws_CO_20112026080000009', 'mr-9', 'unknown', NULL, NULL, NULL, NULL,
           NULL, NULL, NULL, 12, NULL, 'No response from 254712345678 (+254712345678)', '2026-11-20 05:00:00+00',
           '2026-11-21 05:00:00+00'),
          -- Pending, but started after the period: not in this report.
          (10, 2, 3, 1000.00, '0722000111', 'ws_CO_30112026110000010', 'mr-10', 'pending', NULL, NULL, NULL, NULL,
           NULL, NULL, NULL, 0, '2026-11-30 08:01:30+00', NULL, '2026-11-30 08:00:00+00', '2026-11-30 08:00:00+00'),
          -- A second payment for the same learner and course.
          (11, 1, 1, 1500.00, '254712345678', 'ws_CO_28112026130000011', 'mr-11', 'completed', '0', 'ok', 'TKR1AAA011',
           1500.00, '254712345678', '2026-11-28 10:00:00+00', 'callback', 0, NULL, NULL, '2026-11-28 09:59:00+00',
           '2026-11-28 10:00:01+00'),
          -- Settled by an admin.
          (12, 3, 3, 1000.00, '254733444555', NULL, NULL, 'completed', NULL, NULL, 'TKR1AAA012', 1000.00, NULL,
           '2026-11-29 05:00:00+00', 'admin', 0, NULL, NULL, '2026-11-29 04:00:00+00', '2026-11-29 05:00:00+00');

        INSERT INTO enrollments (id, user_id, course_id, payment_id, status, created_at) VALUES
          (1, 1, 1, 1, 'active', '2026-11-28 06:35:56+00'),
          (2, 2, 2, 2, 'active', '2026-11-27 21:00:01+00'),
          (3, 4, 3, 4, 'active', '2026-11-29 12:00:00+00'),
          (4, 3, 3, 12, 'revoked', '2026-11-29 05:00:00+00'),
          (5, 3, 1, 3, 'active', '2026-11-27 21:00:02+00');

        INSERT INTO reconciliation_exceptions (id, kind, key, payment_id, enrollment_id, expected_amount,
                                               received_amount, detail, status, resolution, first_seen, last_seen,
                                               resolved_at) VALUES
          (1, 'underpaid', 'underpaid:5', 5, NULL, 2500.00, 2000.00,
           '{"phone": "254712345678", "note": "short by 500.00"}', 'open', NULL, '2026-11-29 18:00:00+00',
           '2026-11-29 18:00:00+00', NULL),
          (2, 'duplicate_payment', 'duplicate:1:1', 11, NULL, 1500.00, 1500.00, '{"other_payment": 1}', 'open', NULL,
           '2026-11-28 10:05:00+00', '2026-11-28 10:05:00+00', NULL),
          (3, 'paid_not_enrolled', 'paid_not_enrolled:3', 3, NULL, NULL, NULL, '{}', 'resolved', 'enrolled',
           '2026-11-20 00:00:00+00', '2026-11-27 20:00:00+00', '2026-11-27 20:00:00+00'),
          (4, 'unresolved', 'unresolved:9', 9, NULL, 1000.00, NULL, '{"attempts": 12}', 'open', NULL,
           '2026-11-21 00:00:00+00', '2026-11-29 00:00:00+00', NULL),
          (5, 'enrolled_not_paid', 'enrolled_not_paid:2', NULL, 2, 2500.00, NULL, '{}', 'resolved',
           'payment 2 found, reported by 0722000111', '2026-11-27 09:00:00+00', '2026-11-28 12:00:00+00',
           '2026-11-28 12:00:00+00'),
          (6, 'unmatched_callback', 'unmatched:ws_CO_X', NULL, NULL, NULL, 700.00,
           '{"checkout_request_id": "ws_CO_X", "amount": 700}', 'open', NULL, '2026-11-29 07:00:00+00',
           '2026-11-29 07:00:00+00', NULL),
          (7, 'statement_only', 'statement_only:receipt:TKR1ZZZ900', NULL, NULL, NULL, 700.00,
           '{"receipt": "TKR1ZZZ900", "class": "payment"}', 'open', NULL, '2026-11-30 06:00:00+00',
           '2026-11-30 06:00:00+00', NULL),
          (8, 'missing_from_statement', 'missing_from_statement:payment:4', 4, NULL, 1000.00, NULL, '{}', 'open',
           NULL, '2026-11-30 06:00:00+00', '2026-11-30 06:00:00+00', NULL);

        -- Refunds decided before accounts existed (names, no account ids), as a database migrated from an older
        -- version keeps them: the trigger of sql/007_identity.sql checks decisions being made, so it is off here.
        ALTER TABLE refunds DISABLE TRIGGER refunds_decisions_need_accounts;
        ALTER TABLE refunds DISABLE TRIGGER refunds_follow_state_machine;
        ALTER TABLE refunds DISABLE TRIGGER refunds_status_matches_approvals;
        INSERT INTO refunds (id, payment_id, exception_id, amount, reason, status, proposed_by, proposed_at,
                             approved_by, approved_at, second_approved_by, second_approved_at, rejected_by,
                             rejected_reason, rejected_at, originator_conversation_id, conversation_id, transaction_id,
                             result_code, result_desc, send_attempts, sent_at, completed_at, updated_at) VALUES
          (1, 11, 2, 1500.00, 'duplicate payment', 'succeeded', 'alice', '2026-11-28 11:00:00+00', 'bob',
           '2026-11-28 11:30:00+00', NULL, NULL, NULL, NULL, NULL, 'OC-0001', 'AG_20261128_0001', 'TKR2BBB001', '0',
           'The service request is processed successfully.', 1, '2026-11-28 11:31:00+00', '2026-11-28 11:32:00+00',
           '2026-11-28 11:32:00+00'),
          (2, 1, NULL, 500.00, '=1+1 goodwill, asked by 254712345678', 'proposed', 'alice', '2026-11-29 08:00:00+00',
           NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, 0, NULL, NULL,
           '2026-11-29 08:00:00+00'),
          (3, 2, NULL, 100.00, 'rejected long ago', 'rejected', 'alice', '2026-11-20 08:00:00+00', NULL, NULL, NULL,
           NULL, 'bob', 'not owed', '2026-11-21 08:00:00+00', NULL, NULL, NULL, NULL, NULL, 0, NULL, NULL,
           '2026-11-21 08:00:00+00'),
          (4, 3, NULL, 200.00, 'paid back before the period', 'succeeded', 'alice', '2026-11-26 08:00:00+00', 'bob',
           '2026-11-26 09:00:00+00', NULL, NULL, NULL, NULL, NULL, 'OC-0004', 'AG_20261126_0004', 'TKR2BBB004', '0',
           'ok', 1, '2026-11-27 19:59:00+00', '2026-11-27 20:00:00+00', '2026-11-27 20:00:00+00'),
          (5, 12, NULL, 1000.00, 'course withdrawn', 'sent', 'alice', '2026-11-25 08:00:00+00', 'bob',
           '2026-11-25 09:00:00+00', 'carol', '2026-11-25 10:00:00+00', NULL, NULL, NULL, 'OC-0005', 'AG_20261125_0005',
           NULL, NULL, NULL, 1, '2026-11-25 10:01:00+00', NULL, '2026-11-25 10:01:00+00'),
          (6, 2, NULL, 300.00, 'partial refund', 'failed', 'carol', '2026-11-28 13:00:00+00', 'bob',
           '2026-11-28 13:10:00+00', NULL, NULL, NULL, NULL, NULL, 'OC-0006', 'AG_20261128_0006', NULL, '2001',
           'The initiator information is invalid.', 1, '2026-11-28 13:11:00+00', '2026-11-28 14:00:00+00',
           '2026-11-28 14:00:00+00'),
          (7, 4, NULL, 100.00, 'late fee waived', 'succeeded', 'alice', '2026-11-29 20:00:00+00', 'bob',
           '2026-11-29 20:10:00+00', NULL, NULL, NULL, NULL, NULL, 'OC-0007', 'AG_20261129_0007', 'TKR2BBB007', '0',
           'ok', 1, '2026-11-29 20:11:00+00', '2026-11-30 01:00:00+00', '2026-11-30 01:00:00+00');
        ALTER TABLE refunds ENABLE TRIGGER refunds_decisions_need_accounts;
        ALTER TABLE refunds ENABLE TRIGGER refunds_follow_state_machine;
        ALTER TABLE refunds ENABLE TRIGGER refunds_status_matches_approvals;

        -- The M-Pesa statement of the two days: 10,000.00 + 9,200.00 - 4,515.00 = 14,685.00.
        INSERT INTO statement_imports (id, file_sha256, file_name, format, account_holder, short_code, period_start,
                                       period_end, opening_balance, closing_balance, total_paid_in, total_withdrawn,
                                       lines_read, lines_new, paid_in_sum, withdrawn_sum, balance_check,
                                       imported_at) VALUES
          (1, '0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef', 'statement-28-29.csv', 'csv',
           'COURSE PLATFORM LTD', '174379', '2026-11-27 21:00:00+00', '2026-11-29 20:59:59+00', 10000.00, 14685.00,
           9200.00, 4515.00, 9, 9, 9200.00, 4515.00, 'ok', '2026-11-30 06:00:00+00');

        INSERT INTO statement_lines (id, import_id, row_number, receipt, is_charge, completed_at, details,
                                     transaction_status, paid_in, withdrawn, balance, reason_type, line_class,
                                     party_identifier, party_name, linked_transaction_id, account_number, payment_id,
                                     refund_id, matched_at) VALUES
          (1, 1, 8, 'TKR1AAA002', false, '2026-11-27 21:00:00+00', 'Pay Bill Online', 'Completed', 2500.00, 0,
           12500.00, 'Pay Bill Online', 'payment', '25472****111', 'EVE', NULL, 'COURSE2', 2, NULL,
           '2026-11-30 06:00:00+00'),
          (2, 1, 9, 'TKR1AAA001', false, '2026-11-28 06:35:54+00', 'Pay Bill Online', 'Completed', 1500.00, 0,
           14000.00, 'Pay Bill Online', 'payment', '25471****678', 'WANJIKU', NULL, 'COURSE1', 1, NULL,
           '2026-11-30 06:00:00+00'),
          (3, 1, 10, 'TKR1AAA011', false, '2026-11-28 10:00:00+00', 'Pay Bill Online', 'Completed', 1500.00, 0,
           15500.00, 'Pay Bill Online', 'payment', '25471****678', 'WANJIKU', NULL, 'COURSE1', 11, NULL,
           '2026-11-30 06:00:00+00'),
          (4, 1, 11, 'TKR2BBB001', false, '2026-11-28 11:32:00+00', 'Business Payment to 25471****678', 'Completed',
           0, 1500.00, 14000.00, 'Business Payment to Customer via API', 'refund', '25471****678', 'WANJIKU', NULL,
           NULL, NULL, 1, '2026-11-30 06:00:00+00'),
          (5, 1, 12, 'TKR2BBB001', true, '2026-11-28 11:32:00+00', 'Business Payment Charge', 'Completed', 0, 15.00,
           13985.00, 'Business Payment to Customer via API Charge', 'charge', NULL, NULL, 'TKR2BBB001', NULL, NULL, 1,
           '2026-11-30 06:00:00+00'),
          (6, 1, 13, 'TKR1ZZZ900', false, '2026-11-28 15:00:00+00', 'Pay Bill Online', 'Completed', 700.00, 0,
           14685.00, 'Pay Bill Online', 'payment', '25479****111', 'WALK-IN PAYER', NULL, 'WALKIN', NULL, NULL, NULL),
          (7, 1, 14, 'SW20261128', false, '2026-11-28 20:59:59+00', 'Transfer to Organization Settlement Account',
           'Completed', 0, 3000.00, 11685.00, 'Utility Account to Organization Settlement Account', 'sweep', NULL,
           NULL, NULL, NULL, NULL, NULL, NULL),
          (8, 1, 15, 'TKR1AAA012', false, '2026-11-29 05:00:00+00', 'Pay Bill Online', 'Completed', 1000.00, 0,
           12685.00, 'Pay Bill Online', 'payment', '254733444555', 'OTIENO', NULL, 'COURSE3', 12, NULL,
           '2026-11-30 06:00:00+00'),
          (9, 1, 16, 'TKR1AAA005', false, '2026-11-29 20:59:59+00', 'Pay Bill Online', 'Completed', 2000.00, 0,
           14685.00, 'Pay Bill Online', 'payment', '25471****678', 'WANJIKU', NULL, 'COURSE2', 5, NULL,
           '2026-11-30 06:00:00+00');
        """
}
