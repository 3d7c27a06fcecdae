-- mpesa-recon schema, version 3: the unmatched-callback sweep takes bounded batches with a back-off per row
-- (issue 11). An unmatched callback that stays unmatched is retried after a doubling delay (capped), not on
-- every pass, so thousands of them cost little.

ALTER TABLE callback_inbox
    -- How many sweeps have retried this callback and still found nothing that claims it.
    ADD COLUMN sweep_attempts  integer NOT NULL DEFAULT 0 CHECK (sweep_attempts >= 0),
    -- When the sweep should next retry it: '-infinity' at the next pass, 'infinity' never again (a week after
    -- it arrived, an unmatched callback waits for a person as an unmatched_callback finding).
    ADD COLUMN next_sweep_at   timestamptz NOT NULL DEFAULT '-infinity';

-- Unmatched callbacks already past the week are not swept any more (as before this migration).
UPDATE callback_inbox SET next_sweep_at = 'infinity'
WHERE outcome = 'unmatched' AND received_at <= now() - interval '7 days';

-- The sweep's batch: due unmatched callbacks with a reference, oldest due first, read straight off the index.
CREATE INDEX callback_inbox_sweep_due_idx ON callback_inbox (next_sweep_at, id)
    WHERE outcome = 'unmatched' AND reference IS NOT NULL;
