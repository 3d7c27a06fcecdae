-- mpesa-recon schema, version 7: identities (issue 12). The LMS's users log in here with their Django password
-- hashes; roles say who may act on money; every refund decision names an account, and the database itself refuses
-- maker-checker violations, whatever code writes the row.

-- What a Django LMS keeps for its users. `password` is Django's hash (`pbkdf2_sha256$…`), NULL for learners who
-- never log in here (Django's "unusable password" starts with `!` and never verifies either).
ALTER TABLE users
    ADD COLUMN password    text,
    ADD COLUMN is_active   boolean NOT NULL DEFAULT true,
    ADD COLUMN is_staff    boolean NOT NULL DEFAULT false,
    ADD COLUMN last_login  timestamptz;
CREATE INDEX users_email_lower_idx ON users (lower(email));

CREATE TABLE user_roles (
    user_id     bigint NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    role        text NOT NULL CHECK (role IN ('admin', 'finance')),
    granted_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (user_id, role)
);

-- Whether an account may act on refunds now: active, and staff or holding the admin role.
CREATE FUNCTION recon_is_admin(account bigint) RETURNS boolean
LANGUAGE sql STABLE AS $$
    SELECT EXISTS (
        SELECT 1 FROM users u
        WHERE u.id = account AND u.is_active
          AND (u.is_staff OR EXISTS (SELECT 1 FROM user_roles r WHERE r.user_id = u.id AND r.role = 'admin')))
$$;

-- Login throttling: failures per account and per address in a window (DESIGN §10, issue 12).
CREATE TABLE login_failures (
    id          bigserial PRIMARY KEY,
    email       text NOT NULL,
    address     text NOT NULL,
    at          timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX login_failures_email_idx ON login_failures (lower(email), at);
CREATE INDEX login_failures_address_idx ON login_failures (address, at);

-- Append-only: who decided what, through which channel (`cli` with the OS user, `api`, `console`).
CREATE TABLE audit_log (
    id          bigserial PRIMARY KEY,
    at          timestamptz NOT NULL DEFAULT now(),
    user_id     bigint REFERENCES users(id),
    channel     text NOT NULL CHECK (channel IN ('cli', 'api', 'console', 'system')),
    os_user     text,
    action      text NOT NULL,
    subject     text NOT NULL,
    subject_id  bigint,
    detail      jsonb NOT NULL DEFAULT '{}'::jsonb
);
CREATE INDEX audit_log_subject_idx ON audit_log (subject, subject_id);
CREATE FUNCTION recon_audit_log_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_log is append-only' USING ERRCODE = 'integrity_constraint_violation';
END
$$;
CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION recon_audit_log_append_only();

-- Refund decisions bound to accounts. The text columns stay (reports and the LMS read them) and are written from
-- the account's email by the trigger below, so a name can never stand in for an account.
ALTER TABLE refunds
    ADD COLUMN proposed_by_user_id         bigint REFERENCES users(id),
    ADD COLUMN proposed_via                text CHECK (proposed_via IN ('cli', 'api', 'console', 'system')),
    ADD COLUMN approved_by_user_id         bigint REFERENCES users(id),
    ADD COLUMN approved_via                text CHECK (approved_via IN ('cli', 'api', 'console')),
    ADD COLUMN second_approved_by_user_id  bigint REFERENCES users(id),
    ADD COLUMN second_approved_via         text CHECK (second_approved_via IN ('cli', 'api', 'console')),
    ADD COLUMN rejected_by_user_id         bigint REFERENCES users(id),
    ADD COLUMN rejected_via                text CHECK (rejected_via IN ('cli', 'api', 'console')),
    -- Maker-checker on accounts: the proposer never approves or rejects; the second approver is a third account.
    ADD CONSTRAINT refunds_approver_account_not_proposer CHECK (
        approved_by_user_id IS NULL OR approved_by_user_id IS DISTINCT FROM proposed_by_user_id),
    ADD CONSTRAINT refunds_second_approver_account_distinct CHECK (
        second_approved_by_user_id IS NULL
        OR (second_approved_by_user_id IS DISTINCT FROM proposed_by_user_id
            AND second_approved_by_user_id IS DISTINCT FROM approved_by_user_id)),
    ADD CONSTRAINT refunds_rejecter_account_not_proposer CHECK (
        rejected_by_user_id IS NULL OR rejected_by_user_id IS DISTINCT FROM proposed_by_user_id);

-- Every decision written from now on names an active admin account; its email becomes the decision's name.
-- Rows decided before this migration keep their names (the trigger looks only at decisions being made).
CREATE FUNCTION recon_refund_decisions_need_accounts() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        IF NEW.proposed_by_user_id IS NULL THEN
            IF NEW.proposed_by <> 'mpesa-recon' THEN
                RAISE EXCEPTION 'a refund proposal needs an admin account (or the system)'
                    USING ERRCODE = 'check_violation', CONSTRAINT = 'refunds_decisions_need_accounts';
            END IF;
        ELSIF NOT recon_is_admin(NEW.proposed_by_user_id) THEN
            RAISE EXCEPTION 'the proposer is not an active admin account'
                USING ERRCODE = 'check_violation', CONSTRAINT = 'refunds_decisions_need_accounts';
        ELSE
            NEW.proposed_by := (SELECT email FROM users WHERE id = NEW.proposed_by_user_id);
        END IF;
    END IF;
    IF NEW.approved_by IS NOT NULL AND (TG_OP = 'INSERT' OR OLD.approved_by IS DISTINCT FROM NEW.approved_by
            OR OLD.approved_by_user_id IS DISTINCT FROM NEW.approved_by_user_id) THEN
        IF NEW.approved_by_user_id IS NULL OR NOT recon_is_admin(NEW.approved_by_user_id) THEN
            RAISE EXCEPTION 'an approval needs an active admin account'
                USING ERRCODE = 'check_violation', CONSTRAINT = 'refunds_decisions_need_accounts';
        END IF;
        NEW.approved_by := (SELECT email FROM users WHERE id = NEW.approved_by_user_id);
    END IF;
    IF NEW.second_approved_by IS NOT NULL AND (TG_OP = 'INSERT'
            OR OLD.second_approved_by IS DISTINCT FROM NEW.second_approved_by
            OR OLD.second_approved_by_user_id IS DISTINCT FROM NEW.second_approved_by_user_id) THEN
        IF NEW.second_approved_by_user_id IS NULL OR NOT recon_is_admin(NEW.second_approved_by_user_id) THEN
            RAISE EXCEPTION 'an approval needs an active admin account'
                USING ERRCODE = 'check_violation', CONSTRAINT = 'refunds_decisions_need_accounts';
        END IF;
        NEW.second_approved_by := (SELECT email FROM users WHERE id = NEW.second_approved_by_user_id);
    END IF;
    IF NEW.rejected_by IS NOT NULL AND (TG_OP = 'INSERT' OR OLD.rejected_by IS DISTINCT FROM NEW.rejected_by
            OR OLD.rejected_by_user_id IS DISTINCT FROM NEW.rejected_by_user_id) THEN
        IF NEW.rejected_by_user_id IS NULL OR NOT recon_is_admin(NEW.rejected_by_user_id) THEN
            RAISE EXCEPTION 'a rejection needs an active admin account'
                USING ERRCODE = 'check_violation', CONSTRAINT = 'refunds_decisions_need_accounts';
        END IF;
        NEW.rejected_by := (SELECT email FROM users WHERE id = NEW.rejected_by_user_id);
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER refunds_decisions_need_accounts BEFORE INSERT OR UPDATE ON refunds
    FOR EACH ROW EXECUTE FUNCTION recon_refund_decisions_need_accounts();

-- `Idempotency-Key` of the JSON API: a retried request gets the first answer, never a second STK Push.
CREATE TABLE api_idempotency_keys (
    user_id        bigint NOT NULL REFERENCES users(id),
    key            text NOT NULL CHECK (length(key) BETWEEN 1 AND 255),
    route          text NOT NULL,
    request_sha256 text NOT NULL,
    status_code    integer,
    response       text,
    created_at     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (user_id, key)
);

-- The guide's MpesaConfiguration: several shortcodes in one installation. Secrets are sealed with AES-256-GCM
-- (RECON_SECRETS_KEY) before they reach this table; the MPESA_* environment stays the default configuration.
CREATE TABLE mpesa_configurations (
    id                          bigserial PRIMARY KEY,
    name                        text NOT NULL UNIQUE,
    environment                 text NOT NULL CHECK (environment IN ('sandbox', 'production', 'simulator')),
    base_url                    text,
    shortcode                   text NOT NULL CHECK (shortcode ~ '^[0-9]{5,7}$'),
    party_type                  text NOT NULL DEFAULT 'paybill' CHECK (party_type IN ('paybill', 'till')),
    till_number                 text CHECK (till_number IS NULL OR till_number ~ '^[0-9]{5,7}$'),
    passkey_sealed              text NOT NULL CHECK (passkey_sealed LIKE 'v1:%'),
    consumer_key_sealed         text NOT NULL CHECK (consumer_key_sealed LIKE 'v1:%'),
    consumer_secret_sealed      text NOT NULL CHECK (consumer_secret_sealed LIKE 'v1:%'),
    callback_url                text NOT NULL,
    b2c_shortcode               text,
    b2c_initiator_name          text,
    b2c_initiator_password_sealed text CHECK (b2c_initiator_password_sealed IS NULL
                                              OR b2c_initiator_password_sealed LIKE 'v1:%'),
    b2c_result_url              text,
    b2c_timeout_url             text,
    is_active                   boolean NOT NULL DEFAULT true,
    created_at                  timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT mpesa_configurations_till_has_number CHECK (party_type <> 'till' OR till_number IS NOT NULL)
);

-- The configuration a payment was pushed with (NULL: the MPESA_* environment's default).
ALTER TABLE payments ADD COLUMN configuration_id bigint REFERENCES mpesa_configurations(id);

-- Decisions about exceptions and `unknown` payments (sql/006_ops.sql) are bound to accounts too. Rows written
-- before this migration keep their names; every new proposal and confirmation names an account (NOT VALID: the
-- checks apply to rows written from now on), and the confirming account differs from the proposing one. An open
-- proposal made by name alone is superseded here: an admin proposes it again under their account.
UPDATE payment_decisions SET status = 'superseded' WHERE status = 'proposed';
ALTER TABLE payment_decisions
    ADD COLUMN proposed_by_user_id   bigint REFERENCES users(id),
    ADD COLUMN confirmed_by_user_id  bigint REFERENCES users(id),
    ADD CONSTRAINT payment_decisions_checker_account_not_maker CHECK (
        confirmed_by_user_id IS NULL OR confirmed_by_user_id IS DISTINCT FROM proposed_by_user_id),
    ADD CONSTRAINT payment_decisions_need_accounts CHECK (
        proposed_by_user_id IS NOT NULL AND (status <> 'confirmed' OR confirmed_by_user_id IS NOT NULL)) NOT VALID;
ALTER TABLE reconciliation_exceptions ADD COLUMN resolved_by_user_id bigint REFERENCES users(id);
