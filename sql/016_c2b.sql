-- mpesa-recon schema, version 16: every shilling that reaches the shortcode (issue 26). Money paid to the paybill
-- or till from the SIM menu (C2B) arrives by the confirmation callback or by Pull Transactions; it is recorded once
-- per receipt, allocated to a learner and course by the references the LMS shows, or kept as unallocated money for
-- a person. Pull's coverage of each shortcode is recorded so that what no callback and no pull vouched for shows.

-- Where a payment came from: an STK Push we sent (`stk`), a C2B confirmation (`c2b`), or Pull Transactions when no
-- callback delivered it (`pull`). C2B and Pull payments are born completed with their receipt (money that moved);
-- the receipt stays unique across all three, so an STK receipt that arrives again as a C2B confirmation never makes
-- a second payment. `account_reference` is the AccountReference an STK Push showed the payer: a C2B confirmation of
-- an STK payment carries it as its BillRefNumber.
ALTER TABLE payments
    ADD COLUMN source             text NOT NULL DEFAULT 'stk' CHECK (source IN ('stk', 'c2b', 'pull')),
    ADD COLUMN account_reference  text,
    ADD CONSTRAINT payments_c2b_completed_with_receipt CHECK (
        source = 'stk' OR (status = 'completed' AND mpesa_receipt IS NOT NULL));
CREATE INDEX payments_account_reference_idx ON payments (upper(account_reference))
    WHERE source = 'stk' AND status IN ('pending', 'unknown');

-- The codes the LMS shows a learner to pay a course by paybill (on the invoice, in the API's answer): one open code
-- per learner and course; `paid` once the course price is reached, `closed` when withdrawn.
CREATE TABLE enrollment_references (
    id          bigserial PRIMARY KEY,
    code        text NOT NULL UNIQUE CHECK (code ~ '^[A-Z0-9]{4,20}$'),
    user_id     bigint NOT NULL REFERENCES users(id),
    course_id   bigint NOT NULL REFERENCES courses(id),
    status      text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'paid', 'closed')),
    created_at  timestamptz NOT NULL DEFAULT now(),
    closed_at   timestamptz,
    CONSTRAINT enrollment_references_closed_has_time CHECK (status = 'open' OR closed_at IS NOT NULL)
);
CREATE UNIQUE INDEX enrollment_references_one_open ON enrollment_references (user_id, course_id)
    WHERE status = 'open';
CREATE INDEX enrollment_references_user_idx ON enrollment_references (user_id) WHERE status = 'open';

-- One code per learner (not per course): money paid with it finds its learner.
CREATE TABLE learner_references (
    user_id     bigint PRIMARY KEY REFERENCES users(id),
    code        text NOT NULL UNIQUE CHECK (code ~ '^[A-Z0-9]{4,20}$'),
    created_at  timestamptz NOT NULL DEFAULT now()
);

-- The numbers learners paid from, kept as Daraja's C2B v1 hashes them: the SHA-256 (lower-case hex) of the ASCII
-- `2547XXXXXXXX`, so a hashed MSISDN finds its learner. The number itself stays on the payment it came from; `head`
-- (first five digits) and `tail` (last three) match the masked forms (`2547 ***** 126`, `25470****149`), which count
-- only together with other evidence.
CREATE TABLE learner_phones (
    user_id       bigint NOT NULL REFERENCES users(id),
    phone_sha256  text NOT NULL CHECK (phone_sha256 ~ '^[0-9a-f]{64}$'),
    head          text NOT NULL CHECK (head ~ '^[0-9]{5}$'),
    tail          text NOT NULL CHECK (tail ~ '^[0-9]{3}$'),
    payment_id    bigint REFERENCES payments(id),
    first_seen    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (user_id, phone_sha256)
);
CREATE INDEX learner_phones_sha_idx ON learner_phones (phone_sha256);
CREATE INDEX learner_phones_masked_idx ON learner_phones (tail, head);

-- Every payment a learner starts carries the number they pay from: kept hashed here whoever writes the row.
CREATE FUNCTION recon_learner_phones_from_payment() RETURNS trigger
LANGUAGE plpgsql
SET search_path = public, pg_temp AS $$
BEGIN
    IF NEW.phone ~ '^254[17][0-9]{8}$' THEN
        INSERT INTO learner_phones (user_id, phone_sha256, head, tail, payment_id, first_seen)
        VALUES (NEW.user_id, encode(sha256(convert_to(NEW.phone, 'UTF8')), 'hex'), left(NEW.phone, 5),
                right(NEW.phone, 3), NEW.id, NEW.created_at)
        ON CONFLICT (user_id, phone_sha256) DO NOTHING;
    END IF;
    RETURN NULL;
END
$$;
CREATE TRIGGER payments_learner_phones AFTER INSERT ON payments
    FOR EACH ROW EXECUTE FUNCTION recon_learner_phones_from_payment();
INSERT INTO learner_phones (user_id, phone_sha256, head, tail, payment_id, first_seen)
SELECT DISTINCT ON (user_id, phone) user_id, encode(sha256(convert_to(phone, 'UTF8')), 'hex'), left(phone, 5),
       right(phone, 3), id, created_at
FROM payments WHERE phone ~ '^254[17][0-9]{8}$'
ORDER BY user_id, phone, id
ON CONFLICT (user_id, phone_sha256) DO NOTHING;

-- Every C2B transaction M-Pesa reported on a shortcode, once per receipt (TransID), as the first route reported it:
-- fields verbatim (every one arrives as a string; the MSISDN full, masked, hashed, or hashed and masked), and what
-- became of it. `stk`: the receipt already belongs to an STK payment (this is its C2B copy); `held`: it names the
-- AccountReference of an STK payment still waiting for its answer, so it waits `held_until` for that receipt
-- before it is allocated on its own; `unallocated`: no rule placed it (an `unallocated_payment` finding).
CREATE TABLE c2b_transactions (
    id                    bigserial PRIMARY KEY,
    receipt               text NOT NULL UNIQUE CHECK (receipt <> ''),
    shortcode             text NOT NULL,
    transaction_type      text NOT NULL DEFAULT '',
    amount                numeric(12,2) NOT NULL CHECK (amount > 0),
    bill_ref              text NOT NULL DEFAULT '',
    invoice_number        text,
    msisdn                text NOT NULL DEFAULT '',
    msisdn_form           text NOT NULL CHECK (msisdn_form IN ('full', 'masked', 'hashed', 'hashed_masked', 'none')),
    payer_name            text,
    transacted_at         timestamptz,
    org_account_balance   numeric(14,2),
    third_party_trans_id  text,
    first_source          text NOT NULL CHECK (first_source IN ('c2b', 'pull')),
    status                text NOT NULL CHECK (status IN ('allocated', 'unallocated', 'stk', 'held')),
    allocation            text CHECK (allocation IN (
                              'enrollment_reference', 'learner_reference', 'payer_phone', 'stk_receipt', 'admin')),
    payment_id            bigint UNIQUE REFERENCES payments(id),
    -- The payer's learner when the evidence names one, also when the course is not known.
    user_id               bigint REFERENCES users(id),
    held_until            timestamptz,
    inbox_id              bigint REFERENCES callback_inbox(id),
    received_at           timestamptz NOT NULL DEFAULT now(),
    updated_at            timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT c2b_transactions_payment_when_placed CHECK ((status IN ('allocated', 'stk')) = (payment_id IS NOT NULL)),
    CONSTRAINT c2b_transactions_held_has_deadline CHECK ((status = 'held') = (held_until IS NOT NULL))
);
CREATE INDEX c2b_transactions_status_idx ON c2b_transactions (status) WHERE status IN ('unallocated', 'held');
CREATE INDEX c2b_transactions_transacted_idx ON c2b_transactions (shortcode, transacted_at);

-- Provenance: each route by which a receipt reached us, once per route (a repeat counts up). A C2B copy of an STK
-- receipt adds rows here and never a second payment.
CREATE TABLE receipt_sightings (
    id          bigserial PRIMARY KEY,
    receipt     text NOT NULL,
    route       text NOT NULL CHECK (route IN (
                    'stk_callback', 'stk_query', 'admin', 'c2b_confirmation', 'pull', 'statement')),
    payment_id  bigint REFERENCES payments(id),
    inbox_id    bigint REFERENCES callback_inbox(id),
    first_seen  timestamptz NOT NULL DEFAULT now(),
    last_seen   timestamptz NOT NULL DEFAULT now(),
    times       integer NOT NULL DEFAULT 1 CHECK (times > 0),
    CONSTRAINT receipt_sightings_once_per_route UNIQUE (receipt, route)
);

-- Every C2B validation request and the answer given (the request itself is in callback_inbox, stored first).
CREATE TABLE c2b_validations (
    id                       bigserial PRIMARY KEY,
    inbox_id                 bigint REFERENCES callback_inbox(id),
    receipt                  text,
    shortcode                text,
    bill_ref                 text,
    amount                   numeric(12,2),
    result_code              text NOT NULL CHECK (result_code = '0' OR result_code ~ '^C2B000(1[1-6])$'),
    reason                   text NOT NULL,
    enrollment_reference_id  bigint REFERENCES enrollment_references(id),
    user_id                  bigint REFERENCES users(id),
    decided_at               timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX c2b_validations_receipt_idx ON c2b_validations (receipt);

-- What Daraja answered to each registration: C2B URLs (RegisterURL v1 or v2) and Pull Transactions, per
-- configuration (`default` is the MPESA_* environment's) — `doctor` shows the latest of each.
CREATE TABLE daraja_registrations (
    id             bigserial PRIMARY KEY,
    configuration  text NOT NULL,
    api            text NOT NULL CHECK (api IN ('c2b', 'pull')),
    shortcode      text NOT NULL,
    version        text CHECK (version IN ('v1', 'v2')),
    outcome        text NOT NULL CHECK (outcome IN (
                       'registered', 'already_registered', 'wrong_version', 'refused', 'failed')),
    response_code  text,
    detail         text NOT NULL DEFAULT '',
    attempted_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX daraja_registrations_latest_idx ON daraja_registrations (configuration, api, attempted_at DESC);

-- Each Pull Transactions window asked for. Only `covered` windows vouch for their time (every page read, M-Pesa
-- answered 1000); `no_data` is Pull's 1001, which means both "no transactions" and "not set up" and vouches for
-- nothing; `failed` is no usable answer.
CREATE TABLE pull_windows (
    id                bigserial PRIMARY KEY,
    configuration     text NOT NULL,
    shortcode         text NOT NULL,
    window_start      timestamptz NOT NULL,
    window_end        timestamptz NOT NULL,
    outcome           text NOT NULL CHECK (outcome IN ('covered', 'no_data', 'failed')),
    response_code     text,
    pages             integer NOT NULL DEFAULT 0 CHECK (pages >= 0),
    transactions      integer NOT NULL DEFAULT 0 CHECK (transactions >= 0),
    new_transactions  integer NOT NULL DEFAULT 0 CHECK (new_transactions >= 0),
    detail            text NOT NULL DEFAULT '',
    pulled_at         timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT pull_windows_order CHECK (window_start < window_end)
);
CREATE INDEX pull_windows_covered_idx ON pull_windows (shortcode, window_end) WHERE outcome = 'covered';

-- The C2B version a stored configuration registers with (NULL: MPESA_C2B_VERSION).
ALTER TABLE mpesa_configurations ADD COLUMN c2b_version text CHECK (c2b_version IN ('v1', 'v2'));

-- C2B confirmations and validation requests are stored first like every callback.
ALTER TABLE callback_inbox DROP CONSTRAINT callback_inbox_kind_check;
ALTER TABLE callback_inbox ADD CONSTRAINT callback_inbox_kind_check CHECK (kind IN (
    'stk', 'b2c_result', 'b2c_timeout', 'c2b_validation', 'c2b_confirmation', 'pull_callback'));

-- Money no rule allocated, and time no Pull vouched for before it leaves Daraja's 48 hours.
ALTER TABLE reconciliation_exceptions DROP CONSTRAINT reconciliation_exceptions_kind_check;
ALTER TABLE reconciliation_exceptions ADD CONSTRAINT reconciliation_exceptions_kind_check CHECK (kind IN (
    'paid_not_enrolled', 'enrolled_not_paid', 'duplicate_payment', 'underpaid', 'overpaid', 'receipt_conflict',
    'late_success', 'unresolved', 'unmatched_callback', 'callback_conflict',
    'statement_only', 'missing_from_statement', 'statement_amount_mismatch', 'refund_missing_from_statement',
    'ambiguous_statement_line', 'amount_mismatch', 'unallocated_payment', 'coverage_gap'));

-- Unallocated money placed by people (maker-checker, like refunds): one admin proposes a learner and course, a
-- second, different admin confirms the same; only then does the money become that learner's payment. At most one
-- open proposal and one confirmation per transaction.
CREATE TABLE c2b_allocations (
    id                    bigserial PRIMARY KEY,
    c2b_transaction_id    bigint NOT NULL REFERENCES c2b_transactions(id),
    user_id               bigint NOT NULL REFERENCES users(id),
    course_id             bigint NOT NULL REFERENCES courses(id),
    note                  text NOT NULL DEFAULT '',
    status                text NOT NULL DEFAULT 'proposed' CHECK (status IN ('proposed', 'confirmed', 'superseded')),
    proposed_by           text NOT NULL,
    proposed_by_user_id   bigint NOT NULL REFERENCES users(id),
    proposed_at           timestamptz NOT NULL DEFAULT now(),
    confirmed_by          text,
    confirmed_by_user_id  bigint REFERENCES users(id),
    closed_at             timestamptz,
    CONSTRAINT c2b_allocations_checker_not_maker CHECK (
        confirmed_by_user_id IS NULL OR confirmed_by_user_id <> proposed_by_user_id),
    CONSTRAINT c2b_allocations_confirmed_by_someone CHECK ((status = 'confirmed') = (confirmed_by_user_id IS NOT NULL))
);
CREATE UNIQUE INDEX c2b_allocations_one_open ON c2b_allocations (c2b_transaction_id) WHERE status = 'proposed';
CREATE UNIQUE INDEX c2b_allocations_one_confirmed ON c2b_allocations (c2b_transaction_id) WHERE status = 'confirmed';

CREATE FUNCTION recon_c2b_allocations_need_admins() RETURNS trigger
LANGUAGE plpgsql
SET search_path = public, pg_temp AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        IF NEW.status <> 'proposed' OR NOT recon_holds_admin_role(NEW.proposed_by_user_id) THEN
            RAISE EXCEPTION 'an allocation is proposed by an active admin account'
                USING ERRCODE = 'check_violation', CONSTRAINT = 'c2b_allocations_need_admins';
        END IF;
        RETURN NEW;
    END IF;
    IF OLD.status <> 'proposed' AND OLD IS DISTINCT FROM NEW THEN
        RAISE EXCEPTION 'allocation % is % and no longer changes', OLD.id, OLD.status
            USING ERRCODE = 'check_violation', CONSTRAINT = 'c2b_allocations_need_admins';
    END IF;
    IF OLD.c2b_transaction_id IS DISTINCT FROM NEW.c2b_transaction_id OR OLD.user_id IS DISTINCT FROM NEW.user_id
            OR OLD.course_id IS DISTINCT FROM NEW.course_id
            OR OLD.proposed_by_user_id IS DISTINCT FROM NEW.proposed_by_user_id THEN
        RAISE EXCEPTION 'an allocation''s proposal does not change: propose again'
            USING ERRCODE = 'check_violation', CONSTRAINT = 'c2b_allocations_need_admins';
    END IF;
    IF NEW.status = 'confirmed' AND NOT recon_holds_admin_role(NEW.confirmed_by_user_id) THEN
        RAISE EXCEPTION 'an allocation is confirmed by an active admin account'
            USING ERRCODE = 'check_violation', CONSTRAINT = 'c2b_allocations_need_admins';
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER c2b_allocations_need_admins BEFORE INSERT OR UPDATE ON c2b_allocations
    FOR EACH ROW EXECUTE FUNCTION recon_c2b_allocations_need_admins();

-- Money placed by people only through a confirmed allocation naming that learner and course, whoever writes the row.
CREATE FUNCTION recon_c2b_admin_allocation_confirmed() RETURNS trigger
LANGUAGE plpgsql
SET search_path = public, pg_temp AS $$
BEGIN
    IF NEW.allocation = 'admin' AND OLD.allocation IS DISTINCT FROM 'admin' AND NOT EXISTS (
            SELECT 1 FROM c2b_allocations a JOIN payments p ON p.id = NEW.payment_id
            WHERE a.c2b_transaction_id = NEW.id AND a.status = 'confirmed' AND a.user_id = p.user_id
              AND a.course_id = p.course_id) THEN
        RAISE EXCEPTION 'C2B transaction % is allocated by people only through a confirmed allocation', NEW.id
            USING ERRCODE = 'check_violation', CONSTRAINT = 'c2b_admin_allocation_confirmed';
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER c2b_admin_allocation_confirmed BEFORE UPDATE ON c2b_transactions
    FOR EACH ROW EXECUTE FUNCTION recon_c2b_admin_allocation_confirmed();
