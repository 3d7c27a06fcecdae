-- mpesa-recon schema, version 10: statistics on when a payment was settled (issue 16).

-- Every report and console query over "settled in the period" filters on coalesce(paid_at, updated_at). The partial
-- index on that expression (payments_completed_paid_idx) gives the planner no statistics (PostgreSQL ignores a
-- partial index's), so it guessed 0.5 % of the table: at a million settled payments it picked a million nested-loop
-- lookups of enrollments and a sort spilled to disk (4.4 s); with these statistics it hashes (3.5 s).
CREATE STATISTICS payments_settled_at_stats ON (coalesce(paid_at, updated_at)) FROM payments;
ANALYZE payments;
