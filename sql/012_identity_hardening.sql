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
