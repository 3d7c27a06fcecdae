-- Seeds the benchmark database: :n completed payments spread over 2026-11-28 and 2026-11-29 (East Africa
-- Time), one in ten settled by query (no receipt, no paid_at: the settlement time counts), each with its
-- enrollment; plus a few exceptions, refunds and pending payments so that every sheet has rows.
-- Usage: psql -v n=1000000 -f seed.sql
\set ON_ERROR_STOP on
BEGIN;
INSERT INTO courses (id, title, price)
SELECT c, 'Course ' || c || ', level ' || (c % 3 + 1), 1000 + c * 100 FROM generate_series(1, 20) c;

INSERT INTO users (id, email, full_name)
SELECT u, 'learner' || u || '@example.com', 'Learner ' || u FROM generate_series(1, 50000) u;

-- i ↦ (learner i mod 50000 + 1, course (i / 50000) mod 20 + 1) is one-to-one for i ≤ 1 000 000, so every
-- payment can have its own enrollment.
INSERT INTO payments (id, user_id, course_id, amount, phone, checkout_request_id, merchant_request_id, status,
                      result_code, result_desc, mpesa_receipt, paid_amount, paid_phone, paid_at, settled_via,
                      created_at, updated_at)
SELECT i, i % 50000 + 1, (i / 50000) % 20 + 1, a.amount, a.phone, 'ws_CO_' || lpad(i::text, 20, '0'),
       'mr-' || i, 'completed', '0', 'The service request is processed successfully.',
       CASE WHEN i % 10 = 0 THEN NULL ELSE 'TKR' || lpad(i::text, 7, '0') END,
       CASE WHEN i % 10 = 0 THEN NULL ELSE a.amount END,
       CASE WHEN i % 10 = 0 THEN NULL ELSE a.phone END,
       CASE WHEN i % 10 = 0 THEN NULL ELSE a.at END,
       CASE WHEN i % 10 = 0 THEN 'query' ELSE 'callback' END,
       a.at - interval '90 seconds', a.at + interval '2 seconds'
FROM generate_series(1, :n) i
CROSS JOIN LATERAL (
    SELECT (1000 + i % 997 + (i % 100) / 100.0)::numeric(12,2) AS amount,
           '2547' || lpad((i::bigint * 7919 % 100000000)::text, 8, '0') AS phone,
           timestamptz '2026-11-27 21:00:00+00' + (i::float8 * 172700 / :n) * interval '1 second' AS at
) a;

INSERT INTO enrollments (user_id, course_id, payment_id, status, created_at)
SELECT user_id, course_id, id, 'active', updated_at FROM payments ORDER BY id
ON CONFLICT (user_id, course_id) DO NOTHING;

INSERT INTO payments (id, user_id, course_id, amount, phone, checkout_request_id, status, check_attempts,
                      next_check_at, last_answer, created_at, updated_at)
SELECT :n + k, k, 1, 1100, '254700000' || lpad(k::text, 3, '0'), 'ws_CO_pending_' || k,
       CASE WHEN k % 2 = 0 THEN 'pending' ELSE 'unknown' END, k, now() + interval '5 minutes',
       'The transaction is being processed', timestamptz '2026-11-29 10:00:00+00', timestamptz '2026-11-29 10:05:00+00'
FROM generate_series(1, 100) k;

INSERT INTO reconciliation_exceptions (kind, key, payment_id, expected_amount, received_amount, first_seen, last_seen)
SELECT 'underpaid', 'underpaid:' || k, k * (:n / 50), 2000, 1500, timestamptz '2026-11-28 12:00:00+00',
       timestamptz '2026-11-28 12:00:00+00'
FROM generate_series(1, 50) k;

-- Proposed before accounts existed (a name, no account id): the trigger of sql/007_identity.sql is off for them.
ALTER TABLE refunds DISABLE TRIGGER refunds_decisions_need_accounts;
INSERT INTO refunds (payment_id, amount, reason, status, proposed_by, proposed_at, updated_at)
SELECT k * (:n / 50) - 1, 100, 'benchmark refund', 'proposed', 'alice', timestamptz '2026-11-28 13:00:00+00',
       timestamptz '2026-11-28 13:00:00+00'
FROM generate_series(1, 50) k;
ALTER TABLE refunds ENABLE TRIGGER refunds_decisions_need_accounts;
COMMIT;
VACUUM ANALYZE;
