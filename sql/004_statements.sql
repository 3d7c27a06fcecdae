-- mpesa-recon schema, version 4: M-Pesa's own record, the Org Portal statement (issue 14).
-- (003 is another change's number; the migrator applies files in name order and needs no gapless numbering.)

-- One row per file per `statement import`: provenance (the file's SHA-256 and name) and what its header said.
CREATE TABLE statement_imports (
    id                bigserial PRIMARY KEY,
    file_sha256       text NOT NULL CHECK (file_sha256 ~ '^[0-9a-f]{64}$'),
    file_name         text NOT NULL,
    format            text NOT NULL CHECK (format IN ('csv', 'xlsx')),
    account_holder    text,
    short_code        text,
    -- The period the statement covers: its header's Time Period, else its first and last line.
    period_start      timestamptz,
    period_end        timestamptz,
    opening_balance   numeric(14,2),
    closing_balance   numeric(14,2),
    total_paid_in     numeric(14,2),
    total_withdrawn   numeric(14,2),
    -- What the file's lines add up to (every line of the file, also those stored by an earlier import).
    lines_read        integer NOT NULL DEFAULT 0 CHECK (lines_read >= 0),
    lines_new         integer NOT NULL DEFAULT 0 CHECK (lines_new >= 0),
    lines_skipped     integer NOT NULL DEFAULT 0 CHECK (lines_skipped >= 0),
    paid_in_sum       numeric(14,2) NOT NULL DEFAULT 0,
    withdrawn_sum     numeric(14,2) NOT NULL DEFAULT 0,
    balance_check     text NOT NULL DEFAULT 'unknown' CHECK (balance_check IN ('ok', 'mismatch', 'unknown')),
    imported_at       timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT statement_imports_period_order CHECK (period_end IS NULL OR period_start <= period_end)
);
CREATE INDEX statement_imports_sha_idx ON statement_imports (file_sha256);

-- Every transaction line M-Pesa reported, once: a receipt is one line (its charge, which may carry the same
-- receipt, is the one other line it can have), whichever file or overlapping statement brought it first.
CREATE TABLE statement_lines (
    id                     bigserial PRIMARY KEY,
    import_id              bigint NOT NULL REFERENCES statement_imports(id),
    row_number             integer NOT NULL CHECK (row_number > 0),
    receipt                text NOT NULL,
    is_charge              boolean NOT NULL,
    completed_at           timestamptz NOT NULL,
    initiated_at           timestamptz,
    details                text NOT NULL,
    transaction_status     text,
    paid_in                numeric(12,2) NOT NULL CHECK (paid_in >= 0),
    withdrawn              numeric(12,2) NOT NULL CHECK (withdrawn >= 0),
    balance                numeric(14,2),
    reason_type            text,
    line_class             text NOT NULL CHECK (line_class IN ('payment', 'refund', 'charge', 'sweep', 'other')),
    -- Other Party Info as the statement shows it (the portal usually masks it: 25471****678) and the name.
    party_identifier       text,
    party_name             text,
    linked_transaction_id  text,
    account_number         text,
    -- What matching tied the line to.
    payment_id             bigint REFERENCES payments(id),
    refund_id              bigint REFERENCES refunds(id),
    matched_at             timestamptz,
    CONSTRAINT statement_lines_charge_class CHECK (is_charge = (line_class = 'charge')),
    CONSTRAINT statement_lines_one_side CHECK (payment_id IS NULL OR refund_id IS NULL)
);
CREATE UNIQUE INDEX statement_lines_receipt_key ON statement_lines (receipt, is_charge);
CREATE UNIQUE INDEX statement_lines_payment_key ON statement_lines (payment_id) WHERE payment_id IS NOT NULL;
CREATE INDEX statement_lines_unmatched_idx ON statement_lines (completed_at)
    WHERE payment_id IS NULL AND refund_id IS NULL;
CREATE INDEX statement_lines_import_idx ON statement_lines (import_id);
CREATE INDEX statement_lines_refund_idx ON statement_lines (refund_id) WHERE refund_id IS NOT NULL;
CREATE INDEX statement_lines_completed_idx ON statement_lines (completed_at);

-- The B2C charge M-Pesa took for a refund, as the statement shows it.
ALTER TABLE refunds ADD COLUMN statement_fee numeric(12,2) CHECK (statement_fee >= 0);

-- The statement's finding kinds.
ALTER TABLE reconciliation_exceptions DROP CONSTRAINT reconciliation_exceptions_kind_check;
ALTER TABLE reconciliation_exceptions ADD CONSTRAINT reconciliation_exceptions_kind_check CHECK (kind IN (
    'paid_not_enrolled', 'enrolled_not_paid', 'duplicate_payment', 'underpaid', 'overpaid', 'receipt_conflict',
    'late_success', 'unresolved', 'unmatched_callback', 'callback_conflict',
    'statement_only', 'missing_from_statement', 'statement_amount_mismatch', 'refund_missing_from_statement',
    'ambiguous_statement_line'));
