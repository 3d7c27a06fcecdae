-- Seeds 1,000,000 payments and about 987,000 enrollments with a realistic sprinkling of mismatches.
-- Deterministic: every run builds the same data. Run on a freshly migrated database.
--   100,000 learners x 10 courses = 995,000 learner-course pairs with one payment each (completed, unless
--   0.2% unknown), plus 5,000 second payments (duplicates). 1% of the completed pairs are not enrolled; 0.5% paid
--   500 more than the price, 0.3% paid 500 less; 2,000 enrollments in an 11th course have no payment; course 10
--   is inactive.
\set ON_ERROR_STOP on
SET synchronous_commit = off;

INSERT INTO courses (title, price, is_active)
SELECT 'Course ' || c, 1000 * (1 + c % 5), c <> 10 FROM generate_series(1, 11) AS c;

INSERT INTO users (email, full_name)
SELECT 'learner' || u || '@example.com', 'Learner ' || u FROM generate_series(1, 100000) AS u;

-- Base payments: pair i -> learner 1 + i % 100000, course 1 + i / 100000 (i < 995000 keeps pairs distinct).
INSERT INTO payments (user_id, course_id, amount, phone, checkout_request_id, merchant_request_id, status,
                      result_code, mpesa_receipt, paid_amount, paid_phone, paid_at, settled_via, created_at, updated_at)
SELECT 1 + i % 100000, 1 + i / 100000, price, '2547' || lpad((i % 100000000)::text, 8, '0'),
       'ws_CO_bench_' || i, 'm-' || i,
       CASE WHEN i % 500 = 7 THEN 'unknown' ELSE 'completed' END,
       CASE WHEN i % 500 = 7 THEN NULL ELSE '0' END,
       CASE WHEN i % 500 = 7 THEN NULL ELSE 'B' || lpad(i::text, 9, '0') END,
       CASE WHEN i % 500 = 7 THEN NULL
            WHEN i % 200 = 11 THEN price + 500
            WHEN i % 333 = 13 THEN price - 500
            ELSE price END,
       CASE WHEN i % 500 = 7 THEN NULL ELSE '2547' || lpad((i % 100000000)::text, 8, '0') END,
       CASE WHEN i % 500 = 7 THEN NULL ELSE timestamptz '2026-11-01 08:00:00+03' + i * interval '2 seconds' END,
       CASE WHEN i % 500 = 7 THEN NULL ELSE 'callback' END,
       timestamptz '2026-11-01 08:00:00+03' + i * interval '2 seconds',
       timestamptz '2026-11-01 08:00:00+03' + i * interval '2 seconds'
FROM generate_series(0, 994999) AS i
JOIN LATERAL (SELECT 1000 * (1 + (1 + i / 100000) % 5) AS price) AS c ON true;

-- Second payments for 5,000 pairs that already paid: duplicates.
INSERT INTO payments (user_id, course_id, amount, phone, checkout_request_id, status, result_code, mpesa_receipt,
                      paid_amount, paid_phone, paid_at, settled_via, created_at, updated_at)
SELECT user_id, course_id, amount, phone, 'ws_CO_dup_' || id, 'completed', '0', 'D' || lpad(id::text, 9, '0'),
       amount, phone, paid_at + interval '1 hour', 'callback', created_at + interval '1 hour',
       created_at + interval '1 hour'
FROM payments WHERE id % 197 = 3 AND status = 'completed' ORDER BY id LIMIT 5000;

-- Enrollments on every first completed payment but 1% (paid but not enrolled).
INSERT INTO enrollments (user_id, course_id, payment_id, created_at)
SELECT user_id, course_id, id, paid_at FROM payments
WHERE status = 'completed' AND checkout_request_id LIKE 'ws_CO_bench_%' AND id % 100 <> 42;

-- Enrolled without paying.
INSERT INTO enrollments (user_id, course_id, created_at)
SELECT u, 11, timestamptz '2026-11-20 10:00:00+03' FROM generate_series(1, 2000) AS u;

ANALYZE;
