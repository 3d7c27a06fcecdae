SELECT p.mpesa_receipt AS receipt, coalesce(p.paid_at, p.updated_at) AS paid_at, p.id AS payment_id,
       p.user_id AS learner_id, coalesce(nullif(u.full_name, ''), u.email) AS learner,
       p.course_id, c.title AS course, coalesce(p.paid_amount, p.amount) AS amount,
       coalesce(p.paid_phone, p.phone) AS phone, p.checkout_request_id, p.settled_via,
       e.id AS enrollment_id, e.status AS enrollment_status
FROM payments p
JOIN users u ON u.id = p.user_id
JOIN courses c ON c.id = p.course_id
LEFT JOIN enrollments e ON e.user_id = p.user_id AND e.course_id = p.course_id
WHERE p.status = 'completed' AND coalesce(p.paid_at, p.updated_at) >= '2026-11-27 21:00:00+00'
  AND coalesce(p.paid_at, p.updated_at) < '2026-11-29 21:00:00+00'
ORDER BY coalesce(p.paid_at, p.updated_at), p.id
