SELECT coalesce(p.mpesa_receipt, 'pending') AS receipt,
       to_char(coalesce(p.paid_at, p.updated_at) AT TIME ZONE 'UTC' + interval '3 hours',
               'YYYY-MM-DD HH24:MI:SS') AS paid_at_eat,
       p.id AS payment_id, p.user_id AS learner_id, coalesce(nullif(u.full_name, ''), u.email) AS learner,
       p.course_id, c.title AS course, coalesce(p.paid_amount, p.amount) AS amount_kes,
       left(coalesce(p.paid_phone, p.phone), 4) || '****' || right(coalesce(p.paid_phone, p.phone), 4) AS phone,
       p.checkout_request_id, p.settled_via, e.id AS enrollment_id, coalesce(e.status, 'none') AS enrollment_status
FROM payments p
JOIN users u ON u.id = p.user_id
JOIN courses c ON c.id = p.course_id
LEFT JOIN enrollments e ON e.user_id = p.user_id AND e.course_id = p.course_id
WHERE p.status = 'completed' AND coalesce(p.paid_at, p.updated_at) >= '2026-11-27 21:00:00+00'
  AND coalesce(p.paid_at, p.updated_at) < '2026-11-29 21:00:00+00'
ORDER BY coalesce(p.paid_at, p.updated_at), p.id
