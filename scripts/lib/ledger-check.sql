-- The ledger's consistency on any copy of the database (a restore, an upgrade): each row's n must be 0.
-- Used by scripts/backup-drill.sh and UpgradeTests; docs/OPERATIONS.md (Restore, step 6) prints the same.
SELECT 'completed payments without their completed event' AS problem, count(*) AS n FROM payments p
  WHERE p.status = 'completed'
    AND NOT EXISTS (SELECT 1 FROM payment_events e WHERE e.payment_id = p.id AND e.to_status = 'completed')
UNION ALL
SELECT 'B2C transactions on two refunds (paid twice)', count(*) FROM (
  SELECT transaction_id FROM refunds WHERE transaction_id IS NOT NULL GROUP BY 1 HAVING count(*) > 1) d
UNION ALL
SELECT 'payments refunded beyond what they paid', count(*) FROM (
  SELECT r.payment_id FROM refunds r JOIN payments p ON p.id = r.payment_id
  WHERE r.status IN ('sending', 'sent', 'succeeded', 'unknown')
  GROUP BY r.payment_id, p.amount, p.paid_amount HAVING sum(r.amount) > coalesce(p.paid_amount, p.amount)) o
UNION ALL
SELECT 'refunds past proposed without an approver', count(*) FROM refunds
  WHERE status NOT IN ('proposed', 'rejected') AND approved_by IS NULL
