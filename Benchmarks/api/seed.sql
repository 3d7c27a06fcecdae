-- Benchmarks/api/run.sh: :learners learners with :per payments each (ids in learner order), on 10 courses.
-- Mixed outcomes as a real history has them: completed (receipt, some paid from another phone), failed, pending.
-- Times are whole seconds: DRF prints fractions of a second, mpesa-recon does not; the JSON compared must agree.
INSERT INTO courses (id, title, price)
    SELECT c, (ARRAY['German A1', 'German A2', 'German B1', 'German B2', 'Deutsch C1 — Prüfungsvorbereitung',
                     'Business German', 'Conversation Club', 'Grammar Intensive', 'Exam Prep "Goethe"',
                     'Kids German'])[c], 1000 * c + 500
    FROM generate_series(1, 10) c;
SELECT setval('courses_id_seq', 10);
INSERT INTO users (id, email, full_name)
    SELECT u, 'learner' || u || '@bench.invalid', 'Bench Learner ' || u FROM generate_series(1, :learners) u;
SELECT setval('users_id_seq', :learners);
INSERT INTO payments (id, user_id, course_id, amount, phone, checkout_request_id, merchant_request_id, status,
                      result_code, result_desc, mpesa_receipt, paid_amount, paid_phone, paid_at, settled_via,
                      created_at, updated_at)
    SELECT id, u, c, 1000 * c + 500, '2547' || lpad(u::text, 8, '0'), 'ws_CO_API' || lpad(id::text, 9, '0'),
           'api-' || id, s,
           CASE s WHEN 'completed' THEN '0' WHEN 'failed' THEN '1032' END,
           CASE s WHEN 'completed' THEN 'The service request is processed successfully.'
                  WHEN 'failed' THEN 'Request cancelled by user' END,
           CASE s WHEN 'completed' THEN 'UA' || lpad(id::text, 8, '0') END,
           CASE s WHEN 'completed' THEN 1000 * c + 500 END,
           CASE WHEN s = 'completed' AND k = 3 THEN '2541' || lpad(u::text, 8, '0') END,
           CASE s WHEN 'completed' THEN t + interval '40 seconds' END,
           CASE s WHEN 'completed' THEN 'callback' WHEN 'failed' THEN 'callback' END,
           t, t
    FROM (
        SELECT (u - 1) * :per + k AS id, u, k, (u + k) % 10 + 1 AS c,
               CASE WHEN k % 10 IN (7, 8) THEN 'failed' WHEN k % 10 = 9 THEN 'pending' ELSE 'completed' END AS s,
               timestamptz '2026-01-05 08:00:00+03' + ((u - 1) * :per + k) * interval '97 seconds' AS t
        FROM generate_series(1, :learners) u, generate_series(1, :per) k
    ) p
    ORDER BY id;
SELECT setval('payments_id_seq', (SELECT max(id) FROM payments));
VACUUM ANALYZE;
