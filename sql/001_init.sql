-- mpesa-recon schema, version 1. The single source of the schema (DESIGN §5).
-- Money is numeric(12,2); times are timestamptz. Column names are a contract the LMS relies on.

CREATE TABLE courses (
    id          bigserial PRIMARY KEY,
    title       text NOT NULL,
    price       numeric(12,2) NOT NULL CHECK (price >= 0),
    is_active   boolean NOT NULL DEFAULT true
);

CREATE TABLE users (
    id          bigserial PRIMARY KEY,
    email       text NOT NULL UNIQUE,
    full_name   text NOT NULL DEFAULT ''
);

CREATE TABLE payments (
    id                   bigserial PRIMARY KEY,
    user_id              bigint NOT NULL REFERENCES users(id),
    course_id            bigint NOT NULL REFERENCES courses(id),
    amount               numeric(12,2) NOT NULL CHECK (amount > 0),
    phone                text NOT NULL,
    checkout_request_id  text UNIQUE,
    merchant_request_id  text,
    status               text NOT NULL DEFAULT 'pending'
                         CHECK (status IN ('pending', 'completed', 'failed', 'unknown')),
    result_code          text,
    result_desc          text,
    mpesa_receipt        text UNIQUE,
    -- What M-Pesa reported in the callback; may differ from what was asked (a finding, not a fix).
    paid_amount          numeric(12,2),
    paid_phone           text,
    paid_at              timestamptz,
    settled_via          text CHECK (settled_via IN ('callback', 'query', 'admin')),
    check_attempts       integer NOT NULL DEFAULT 0 CHECK (check_attempts >= 0),
    next_check_at        timestamptz,
    last_answer          text,
    created_at           timestamptz NOT NULL DEFAULT now(),
    updated_at           timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT payments_completed_has_source
        CHECK (status <> 'completed' OR settled_via IS NOT NULL),
    CONSTRAINT payments_receipt_only_when_completed
        CHECK (mpesa_receipt IS NULL OR status = 'completed')
);
-- Settlement claims due pending payments by next_check_at.
CREATE INDEX payments_due_idx ON payments (next_check_at) WHERE status = 'pending';
CREATE INDEX payments_learner_course_idx ON payments (user_id, course_id);
CREATE INDEX payments_created_at_idx ON payments (created_at);
CREATE INDEX payments_paid_at_idx ON payments (paid_at) WHERE status = 'completed';
-- Reports: query-settled payments (no paid_at yet) by update time, and receipts still pending.
CREATE INDEX payments_settled_by_query_idx ON payments (updated_at) WHERE status = 'completed' AND paid_at IS NULL;
CREATE INDEX payments_receipt_pending_idx ON payments (id) WHERE status = 'completed' AND mpesa_receipt IS NULL;

CREATE TABLE enrollments (
    id          bigserial PRIMARY KEY,
    user_id     bigint NOT NULL REFERENCES users(id),
    course_id   bigint NOT NULL REFERENCES courses(id),
    payment_id  bigint REFERENCES payments(id),
    status      text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'revoked')),
    created_at  timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT enrollments_one_per_learner_course UNIQUE (user_id, course_id)
);
CREATE INDEX enrollments_payment_idx ON enrollments (payment_id);

-- Every callback body exactly as received (bytea keeps even invalid UTF-8), before anything else.
CREATE TABLE callback_inbox (
    id                   bigserial PRIMARY KEY,
    kind                 text NOT NULL CHECK (kind IN ('stk', 'b2c_result', 'b2c_timeout')),
    received_at          timestamptz NOT NULL DEFAULT now(),
    remote_addr          text,
    headers              jsonb NOT NULL DEFAULT '{}'::jsonb,
    body                 bytea NOT NULL,
    -- The id the body names (CheckoutRequestID or OriginatorConversationID), once parsed.
    reference            text,
    processed_at         timestamptz,
    outcome              text CHECK (outcome IN
                         ('applied', 'duplicate', 'conflict', 'unmatched', 'malformed', 'ignored')),
    -- Set when a spooled body is replayed, so a replay never inserts the same body twice.
    spool_id             text UNIQUE
);
CREATE INDEX callback_inbox_unprocessed_idx ON callback_inbox (received_at) WHERE processed_at IS NULL;
CREATE INDEX callback_inbox_unmatched_idx ON callback_inbox (reference) WHERE outcome = 'unmatched';

-- Append-only trail of every state change of a payment.
CREATE TABLE payment_events (
    id           bigserial PRIMARY KEY,
    payment_id   bigint NOT NULL REFERENCES payments(id),
    at           timestamptz NOT NULL DEFAULT now(),
    source       text NOT NULL CHECK (source IN ('pay', 'callback', 'query', 'admin', 'reconcile')),
    from_status  text,
    to_status    text NOT NULL,
    detail       jsonb NOT NULL DEFAULT '{}'::jsonb
);
CREATE INDEX payment_events_payment_idx ON payment_events (payment_id, at);

CREATE TABLE reconciliation_exceptions (
    id               bigserial PRIMARY KEY,
    kind             text NOT NULL CHECK (kind IN (
                        'paid_not_enrolled', 'enrolled_not_paid', 'duplicate_payment', 'underpaid',
                        'overpaid', 'receipt_conflict', 'late_success', 'unresolved',
                        'unmatched_callback', 'callback_conflict')),
    -- Stable key: re-running a job finds the same row instead of adding another.
    key              text NOT NULL UNIQUE,
    payment_id       bigint REFERENCES payments(id),
    enrollment_id    bigint REFERENCES enrollments(id),
    callback_id      bigint REFERENCES callback_inbox(id),
    expected_amount  numeric(12,2),
    received_amount  numeric(12,2),
    detail           jsonb NOT NULL DEFAULT '{}'::jsonb,
    status           text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'resolved')),
    resolution       text,
    first_seen       timestamptz NOT NULL DEFAULT now(),
    last_seen        timestamptz NOT NULL DEFAULT now(),
    resolved_at      timestamptz,
    CONSTRAINT exceptions_resolved_has_time CHECK (status = 'open' OR resolved_at IS NOT NULL)
);
CREATE INDEX reconciliation_exceptions_open_idx ON reconciliation_exceptions (kind) WHERE status = 'open';

CREATE TABLE refunds (
    id                          bigserial PRIMARY KEY,
    payment_id                  bigint NOT NULL REFERENCES payments(id),
    exception_id                bigint REFERENCES reconciliation_exceptions(id),
    amount                      numeric(12,2) NOT NULL CHECK (amount > 0),
    reason                      text NOT NULL,
    status                      text NOT NULL DEFAULT 'proposed' CHECK (status IN (
                                   'proposed', 'approved', 'rejected', 'sending', 'sent', 'succeeded',
                                   'failed', 'unknown')),
    proposed_by                 text NOT NULL,
    proposed_at                 timestamptz NOT NULL DEFAULT now(),
    approved_by                 text,
    approved_at                 timestamptz,
    second_approved_by          text,
    second_approved_at          timestamptz,
    rejected_by                 text,
    rejected_reason             text,
    rejected_at                 timestamptz,
    originator_conversation_id  text UNIQUE,
    conversation_id             text,
    transaction_id              text,
    result_code                 text,
    result_desc                 text,
    send_attempts               integer NOT NULL DEFAULT 0,
    sent_at                     timestamptz,
    completed_at                timestamptz,
    updated_at                  timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT refunds_approver_not_proposer CHECK (approved_by IS NULL OR approved_by <> proposed_by),
    CONSTRAINT refunds_second_approver_distinct CHECK (
        second_approved_by IS NULL
        OR (second_approved_by <> proposed_by AND second_approved_by <> approved_by)),
    CONSTRAINT refunds_rejecter_not_proposer CHECK (rejected_by IS NULL OR rejected_by <> proposed_by),
    CONSTRAINT refunds_sending_has_id CHECK (
        status IN ('proposed', 'approved', 'rejected') OR originator_conversation_id IS NOT NULL)
);
CREATE INDEX refunds_payment_idx ON refunds (payment_id);
CREATE INDEX refunds_status_idx ON refunds (status);

-- The refunds of a payment that may still pay out never exceed what the learner paid.
-- A trigger, because a CHECK cannot see other rows; the payment row is locked so that two
-- concurrent proposals cannot both pass.
CREATE FUNCTION refunds_within_payment_amount() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    paid numeric(12,2);
    payment_status text;
    committed numeric(12,2);
BEGIN
    -- What M-Pesa reported paid when the callback said so, else what was asked (a query-settled payment).
    SELECT coalesce(paid_amount, amount), status INTO paid, payment_status
      FROM payments WHERE id = NEW.payment_id FOR UPDATE;
    IF payment_status IS DISTINCT FROM 'completed' AND NEW.status NOT IN ('rejected', 'failed') THEN
        RAISE EXCEPTION 'payment % is not completed; nothing can be refunded', NEW.payment_id
            USING ERRCODE = 'check_violation', CONSTRAINT = 'refunds_within_payment_amount',
                  TABLE = 'refunds';
    END IF;
    SELECT coalesce(sum(amount), 0) INTO committed
      FROM refunds
     WHERE payment_id = NEW.payment_id AND status NOT IN ('rejected', 'failed');
    IF committed > paid THEN
        RAISE EXCEPTION 'refunds of payment % would exceed its amount', NEW.payment_id
            USING ERRCODE = 'check_violation', CONSTRAINT = 'refunds_within_payment_amount',
                  TABLE = 'refunds';
    END IF;
    RETURN NULL;
END;
$$;
CREATE CONSTRAINT TRIGGER refunds_within_payment_amount
    AFTER INSERT OR UPDATE OF amount, status, payment_id ON refunds
    FOR EACH ROW EXECUTE FUNCTION refunds_within_payment_amount();

CREATE TABLE job_runs (
    id           bigserial PRIMARY KEY,
    job          text NOT NULL,
    started_at   timestamptz NOT NULL DEFAULT now(),
    finished_at  timestamptz,
    outcome      text CHECK (outcome IN ('running', 'succeeded', 'failed', 'interrupted')),
    summary      jsonb NOT NULL DEFAULT '{}'::jsonb
);
CREATE INDEX job_runs_job_idx ON job_runs (job, started_at);
