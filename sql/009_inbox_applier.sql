-- mpesa-recon schema, version 9: the batched callback applier (issue 16).

-- The applier claims never-processed callbacks oldest first (ORDER BY id … FOR UPDATE SKIP LOCKED): an index in
-- that order reads the first rows without sorting all of them. It replaces the one on received_at (the reconcile
-- check for callbacks left unprocessed scans this small partial index just as well).
CREATE INDEX callback_inbox_unprocessed_id_idx ON callback_inbox (id) WHERE processed_at IS NULL;
DROP INDEX callback_inbox_unprocessed_idx;
-- Deploying: CREATE INDEX holds a SHARE lock on callback_inbox while it reads the table, so a large inbox blocks
-- serve's inserts meanwhile (they are spooled after 5 s and replayed): migrate before starting serve.
