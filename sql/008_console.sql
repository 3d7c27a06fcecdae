-- mpesa-recon schema, version 8: the admin and finance console (issue 13).

-- Server-side sessions. The cookie carries a 256-bit random id; only its SHA-256 is stored, so a copy of this
-- table opens no session. Idle expiry 30 minutes, absolute 12 hours (checked by the server on every request).
CREATE TABLE console_sessions (
    id_sha256     text PRIMARY KEY,
    user_id       bigint NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    csrf_token    text NOT NULL,
    address       text,
    created_at    timestamptz NOT NULL DEFAULT now(),
    last_seen_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX console_sessions_user_idx ON console_sessions (user_id);

-- Reports asked for in the console, generated in the background (never inside the request).
CREATE TABLE report_requests (
    id            bigserial PRIMARY KEY,
    requested_by  bigint NOT NULL REFERENCES users(id),
    period_from   date NOT NULL,
    period_to     date NOT NULL,
    unmasked      boolean NOT NULL DEFAULT false,
    status        text NOT NULL DEFAULT 'queued' CHECK (status IN ('queued', 'running', 'done', 'failed')),
    folder        text,
    error         text,
    requested_at  timestamptz NOT NULL DEFAULT now(),
    finished_at   timestamptz,
    CONSTRAINT report_requests_period CHECK (period_from <= period_to)
);
CREATE INDEX report_requests_queued_idx ON report_requests (id) WHERE status IN ('queued', 'running');

-- Where an action came from (the console's and the API's client address).
ALTER TABLE audit_log ADD COLUMN address text;
CREATE INDEX audit_log_at_idx ON audit_log (at DESC);

-- Finding a payment among a million in milliseconds: by the phone's last digits (reversed prefix), by learner,
-- by course, newest first.
CREATE INDEX payments_phone_reversed_idx ON payments (reverse(phone) text_pattern_ops);
CREATE INDEX payments_user_newest_idx ON payments (user_id, id DESC);
CREATE INDEX payments_course_newest_idx ON payments (course_id, id DESC);
CREATE INDEX payments_pending_created_idx ON payments (created_at) WHERE status = 'pending';
CREATE INDEX payments_completed_paid_idx ON payments (coalesce(paid_at, updated_at)) INCLUDE (amount, paid_amount)
    WHERE status = 'completed';
CREATE INDEX payments_unknown_idx ON payments (id) WHERE status = 'unknown';
CREATE INDEX users_email_pattern_idx ON users (lower(email) text_pattern_ops);
