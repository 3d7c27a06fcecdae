-- mpesa-recon schema, version 12: identity hardening (security review).

-- Whether Django's is_staff makes an account an admin here: only when the program says so for this session
-- (RECON_STAFF_IS_ADMIN=true sets `recon.staff_is_admin` on every connection it opens). Off by default: admin means
-- the admin role.
CREATE FUNCTION recon_staff_is_admin() RETURNS boolean
LANGUAGE sql STABLE
SET search_path = public, pg_temp AS $$
    SELECT coalesce(current_setting('recon.staff_is_admin', true), '') = 'on'
$$;

-- (Its search_path is named, pg_temp last, so a temporary table cannot stand in for users or user_roles.)
CREATE OR REPLACE FUNCTION recon_is_admin(account bigint) RETURNS boolean
LANGUAGE sql STABLE
SET search_path = public, pg_temp AS $$
    SELECT EXISTS (
        SELECT 1 FROM users u
        WHERE u.id = account AND u.is_active
          AND ((u.is_staff AND recon_staff_is_admin())
               OR EXISTS (SELECT 1 FROM user_roles r WHERE r.user_id = u.id AND r.role = 'admin')))
$$;

-- A credentials version per account, bumped whenever a password is replaced or the account is disabled, whoever
-- writes the row (this program or the LMS). Console sessions and the tokens this program issues carry the version
-- they were made under and stop working when it moves on; the LMS's own tokens carry none and are held against
-- `credentials_changed_at` by their `iat`. A re-hash of the same password at more iterations (`recon.rehash` set for
-- its transaction) changes nothing.
ALTER TABLE users
    ADD COLUMN credentials_version     bigint NOT NULL DEFAULT 1,
    ADD COLUMN credentials_changed_at  timestamptz;

CREATE FUNCTION recon_users_credentials_version() RETURNS trigger
LANGUAGE plpgsql
SET search_path = public, pg_temp AS $$
BEGIN
    IF coalesce(current_setting('recon.rehash', true), '') = 'on' THEN
        RETURN NEW;
    END IF;
    IF (OLD.password IS NOT NULL AND NEW.password IS DISTINCT FROM OLD.password)
            OR (OLD.is_active AND NOT NEW.is_active) THEN
        NEW.credentials_version := OLD.credentials_version + 1;
        NEW.credentials_changed_at := now();
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER users_credentials_version BEFORE UPDATE OF password, is_active ON users
    FOR EACH ROW EXECUTE FUNCTION recon_users_credentials_version();

ALTER TABLE console_sessions ADD COLUMN credentials_version bigint NOT NULL DEFAULT 0;

-- Refresh tokens used once (rotation) or given up at logout, by `jti`. The application only inserts here; rows past
-- `expires_at` are dead weight that an owner's job may delete.
CREATE TABLE auth_token_blacklist (
    jti             text PRIMARY KEY,
    user_id         bigint NOT NULL,
    expires_at      timestamptz NOT NULL,
    blacklisted_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX auth_token_blacklist_expires_idx ON auth_token_blacklist (expires_at);

-- Login throttling is keyed on (account, address) and on the address; the account alone only slows down.
CREATE INDEX login_failures_email_address_idx ON login_failures (lower(email), address, at);

-- Counts and records a login attempt in one statement, before its password is checked: under transaction-scoped
-- advisory locks on the address and on the (account, address) (always in that order), the failures in the window
-- are counted and, under both limits, the attempt is written as a failure (`reserved_id`; NULL: throttled). One
-- statement, so the locks are held for its microseconds and never across a client's round trips: parallel guesses
-- queue on the count without holding the connection pool.
CREATE FUNCTION recon_reserve_login_attempt(
    attempt_email text, attempt_address text, since timestamptz, max_per_pair integer, max_per_address integer,
    attempt_at timestamptz, OUT reserved_id bigint, OUT account_failures bigint)
LANGUAGE plpgsql
SET search_path = public, pg_temp AS $$
DECLARE
    by_pair bigint;
    by_address bigint;
BEGIN
    PERFORM pg_advisory_xact_lock(1, hashtext(attempt_address));
    PERFORM pg_advisory_xact_lock(2, hashtext(lower(attempt_email) || '|' || attempt_address));
    SELECT count(*) INTO by_pair FROM login_failures
    WHERE lower(email) = lower(attempt_email) AND address = attempt_address AND at > since;
    SELECT count(*) INTO by_address FROM login_failures WHERE address = attempt_address AND at > since;
    SELECT count(*) INTO account_failures FROM login_failures WHERE lower(email) = lower(attempt_email) AND at > since;
    reserved_id := NULL;
    IF by_pair < max_per_pair AND by_address < max_per_address THEN
        INSERT INTO login_failures (email, address, at) VALUES (attempt_email, attempt_address, attempt_at)
        RETURNING id INTO reserved_id;
    END IF;
END
$$;
