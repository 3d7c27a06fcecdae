-- The database mpesa-recon 0.15.0 (commit b9acaa0) created and filled:
-- its mpesa-recon-demo's day of payments, then its migrate (grants to mpesa_recon_app). Made by
-- scripts/make-upgrade-fixture.sh; loaded by UpgradeTests. Rows per table:
--   api_idempotency_keys 0
--   audit_log 3
--   auth_token_blacklist 0
--   callback_inbox 16
--   console_sessions 0
--   courses 3
--   enrollments 12
--   job_runs 4
--   login_failures 0
--   mpesa_configurations 0
--   payment_decisions 0
--   payment_events 35
--   payments 16
--   recon_settings 1
--   reconciliation_exceptions 3
--   refund_status_checks 0
--   refunds 2
--   report_requests 0
--   schema_migrations 14
--   statement_imports 1
--   statement_lines 17
--   user_roles 2
--   users 12
--
-- PostgreSQL database dump
--


-- Dumped from database version 15.18 (Debian 15.18-0+deb12u1)
-- Dumped by pg_dump version 15.18 (Debian 15.18-0+deb12u1)

SET statement_timeout = 0;
SET lock_timeout = 0;
SET idle_in_transaction_session_timeout = 0;
SET client_encoding = 'UTF8';
SET standard_conforming_strings = on;
SELECT pg_catalog.set_config('search_path', '', false);
SET check_function_bodies = false;
SET xmloption = content;
SET client_min_messages = warning;
SET row_security = off;

--
-- Name: recon_audit_log_append_only(); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.recon_audit_log_append_only() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path TO 'public', 'pg_temp'
    AS $$
BEGIN
    RAISE EXCEPTION 'audit_log is append-only' USING ERRCODE = 'integrity_constraint_violation';
END
$$;


--
-- Name: recon_exception_resolutions_need_admins(); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.recon_exception_resolutions_need_admins() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path TO 'public', 'pg_temp'
    AS $$
BEGIN
    IF (NEW.resolved_by IS NOT NULL OR NEW.resolved_by_user_id IS NOT NULL)
            AND (TG_OP = 'INSERT' OR OLD.resolved_by IS DISTINCT FROM NEW.resolved_by
                 OR OLD.resolved_by_user_id IS DISTINCT FROM NEW.resolved_by_user_id)
            AND NOT recon_holds_admin_role(NEW.resolved_by_user_id) THEN
        RAISE EXCEPTION 'a finding is resolved by an active admin account'
            USING ERRCODE = 'check_violation', CONSTRAINT = 'reconciliation_exceptions_resolutions_need_admins';
    END IF;
    RETURN NEW;
END
$$;


--
-- Name: recon_grant_app_role(text); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.recon_grant_app_role(app_role text) RETURNS void
    LANGUAGE plpgsql
    SET search_path TO 'public', 'pg_temp'
    AS $$
DECLARE
    -- Written once, read ever after.
    append_only constant text[] := ARRAY['audit_log', 'payment_events'];
    -- The schema's own bookkeeping and the owner's settings.
    read_only constant text[] := ARRAY['schema_migrations', 'recon_settings'];
    -- Rows the code deletes (sessions, throttling, roles, abandoned idempotency keys).
    deletable constant text[] := ARRAY['api_idempotency_keys', 'console_sessions', 'login_failures', 'user_roles'];
    item record;
BEGIN
    PERFORM recon_prepare_runtime_role(app_role);
    FOR item IN
        SELECT c.relname FROM pg_class c
        WHERE c.relnamespace = 'public'::regnamespace AND c.relkind IN ('r', 'p') AND pg_has_role(c.relowner, 'USAGE')
        ORDER BY c.relname
    LOOP
        EXECUTE format('REVOKE ALL ON TABLE public.%I FROM %I', item.relname, app_role);
        IF item.relname = ANY (read_only) THEN
            EXECUTE format('GRANT SELECT ON TABLE public.%I TO %I', item.relname, app_role);
        ELSIF item.relname = ANY (append_only) THEN
            EXECUTE format('GRANT SELECT, INSERT ON TABLE public.%I TO %I', item.relname, app_role);
        ELSIF item.relname = ANY (deletable) THEN
            EXECUTE format('GRANT SELECT, INSERT, UPDATE, DELETE ON TABLE public.%I TO %I', item.relname, app_role);
        ELSE
            EXECUTE format('GRANT SELECT, INSERT, UPDATE ON TABLE public.%I TO %I', item.relname, app_role);
        END IF;
    END LOOP;
    FOR item IN
        SELECT c.relname FROM pg_class c
        WHERE c.relnamespace = 'public'::regnamespace AND c.relkind = 'S' AND pg_has_role(c.relowner, 'USAGE')
        ORDER BY c.relname
    LOOP
        EXECUTE format('REVOKE ALL ON SEQUENCE public.%I FROM %I', item.relname, app_role);
        EXECUTE format('GRANT USAGE, SELECT ON SEQUENCE public.%I TO %I', item.relname, app_role);
    END LOOP;
    -- Until the next migrate re-applies the lists above, what the owner creates is readable and writable, never
    -- deletable or truncatable.
    EXECUTE format('ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT, INSERT, UPDATE ON TABLES TO %I', app_role);
    EXECUTE format('ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT USAGE, SELECT ON SEQUENCES TO %I', app_role);
END
$$;


--
-- Name: recon_grant_readonly_role(text); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.recon_grant_readonly_role(readonly_role text) RETURNS void
    LANGUAGE plpgsql
    SET search_path TO 'public', 'pg_temp'
    AS $$
DECLARE
    hidden constant text[] := ARRAY['api_idempotency_keys', 'console_sessions', 'login_failures',
                                    'mpesa_configurations'];
    item record;
BEGIN
    PERFORM recon_prepare_runtime_role(readonly_role);
    FOR item IN
        SELECT c.relname FROM pg_class c
        WHERE c.relnamespace = 'public'::regnamespace AND c.relkind IN ('r', 'p') AND pg_has_role(c.relowner, 'USAGE')
        ORDER BY c.relname
    LOOP
        EXECUTE format('REVOKE ALL ON TABLE public.%I FROM %I', item.relname, readonly_role);
        IF item.relname = 'users' THEN
            EXECUTE format('GRANT SELECT (id, email, full_name, is_active, is_staff, last_login) ON TABLE public.users '
                           'TO %I', readonly_role);
        ELSIF NOT item.relname = ANY (hidden) THEN
            EXECUTE format('GRANT SELECT ON TABLE public.%I TO %I', item.relname, readonly_role);
        END IF;
    END LOOP;
END
$$;


--
-- Name: recon_holds_admin_role(bigint); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.recon_holds_admin_role(account bigint) RETURNS boolean
    LANGUAGE sql STABLE
    SET search_path TO 'public', 'pg_temp'
    AS $$
    SELECT recon_is_admin(account)
$$;


--
-- Name: recon_is_admin(bigint); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.recon_is_admin(account bigint) RETURNS boolean
    LANGUAGE sql STABLE
    SET search_path TO 'public', 'pg_temp'
    AS $$
    SELECT EXISTS (
        SELECT 1 FROM users u
        WHERE u.id = account AND u.is_active
          AND ((u.is_staff AND recon_staff_is_admin())
               OR EXISTS (SELECT 1 FROM user_roles r WHERE r.user_id = u.id AND r.role = 'admin')))
$$;


--
-- Name: recon_payment_decisions_need_admins(); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.recon_payment_decisions_need_admins() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path TO 'public', 'pg_temp'
    AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        IF NEW.status <> 'proposed' THEN
            RAISE EXCEPTION 'a payment decision starts as proposed, not %', NEW.status
                USING ERRCODE = 'check_violation', CONSTRAINT = 'payment_decisions_need_admins';
        END IF;
        IF NOT recon_holds_admin_role(NEW.proposed_by_user_id) THEN
            RAISE EXCEPTION 'a payment decision is proposed by an active admin account'
                USING ERRCODE = 'check_violation', CONSTRAINT = 'payment_decisions_need_admins';
        END IF;
        RETURN NEW;
    END IF;
    IF OLD.status <> 'proposed' AND OLD IS DISTINCT FROM NEW THEN
        RAISE EXCEPTION 'payment decision % is % and no longer changes', OLD.id, OLD.status
            USING ERRCODE = 'check_violation', CONSTRAINT = 'payment_decisions_need_admins';
    END IF;
    IF OLD.payment_id IS DISTINCT FROM NEW.payment_id OR OLD.verdict IS DISTINCT FROM NEW.verdict
            OR OLD.receipt IS DISTINCT FROM NEW.receipt OR OLD.proposed_by IS DISTINCT FROM NEW.proposed_by
            OR OLD.proposed_by_user_id IS DISTINCT FROM NEW.proposed_by_user_id THEN
        RAISE EXCEPTION 'a payment decision''s proposal does not change: propose again'
            USING ERRCODE = 'check_violation', CONSTRAINT = 'payment_decisions_need_admins';
    END IF;
    IF NEW.status = 'confirmed' AND NOT recon_holds_admin_role(NEW.confirmed_by_user_id) THEN
        RAISE EXCEPTION 'a payment decision is confirmed by an active admin account'
            USING ERRCODE = 'check_violation', CONSTRAINT = 'payment_decisions_need_admins';
    END IF;
    RETURN NEW;
END
$$;


--
-- Name: recon_payment_transition_allowed(text, text); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.recon_payment_transition_allowed(from_status text, to_status text) RETURNS boolean
    LANGUAGE sql IMMUTABLE
    SET search_path TO 'public', 'pg_temp'
    AS $$
    SELECT from_status = to_status OR (from_status, to_status) IN (
        ('pending', 'completed'), ('pending', 'failed'), ('pending', 'unknown'),
        ('unknown', 'completed'), ('unknown', 'failed'),
        ('failed', 'completed'))
$$;


--
-- Name: recon_payments_follow_state_machine(); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.recon_payments_follow_state_machine() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path TO 'public', 'pg_temp'
    AS $$
BEGIN
    IF NOT recon_payment_transition_allowed(OLD.status, NEW.status) THEN
        RAISE EXCEPTION 'a payment cannot go from % to %', OLD.status, NEW.status
            USING ERRCODE = 'check_violation', CONSTRAINT = 'payments_follow_state_machine', TABLE = 'payments';
    END IF;
    RETURN NEW;
END
$$;


--
-- Name: recon_prepare_runtime_role(text); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.recon_prepare_runtime_role(role_name text) RETURNS void
    LANGUAGE plpgsql
    SET search_path TO 'public', 'pg_temp'
    AS $$
DECLARE
    attributes record;
BEGIN
    -- Two migrates at once would update the same ACLs concurrently: one waits for the other.
    PERFORM pg_advisory_xact_lock(hashtext('recon_prepare_runtime_role'));
    IF role_name IS NULL OR role_name = '' THEN
        RAISE EXCEPTION 'a runtime role needs a name' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = role_name) THEN
        BEGIN
            EXECUTE format('CREATE ROLE %I NOLOGIN', role_name);
        EXCEPTION
            -- Another migrate of the same cluster created it meanwhile (roles are cluster-wide).
            WHEN duplicate_object OR unique_violation THEN NULL;
            WHEN insufficient_privilege THEN
                RAISE EXCEPTION 'role % does not exist and % may not create it', role_name, current_user
                    USING ERRCODE = 'insufficient_privilege',
                          HINT = format('CREATE ROLE %I NOLOGIN (as a role with CREATEROLE), then migrate again',
                                        role_name);
        END;
    END IF;
    SELECT rolsuper, rolbypassrls INTO attributes FROM pg_roles WHERE rolname = role_name;
    IF attributes.rolsuper OR attributes.rolbypassrls OR role_name = current_user
            OR pg_has_role(role_name, current_user, 'USAGE') THEN
        RAISE EXCEPTION 'role % is the owner, a member of it, or a superuser: grants would not limit it', role_name
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF EXISTS (SELECT 1 FROM pg_class c JOIN pg_roles r ON r.oid = c.relowner
               WHERE r.rolname = role_name AND c.relnamespace = 'public'::regnamespace) THEN
        RAISE EXCEPTION 'role % owns tables: a runtime role must not own what it reads or writes', role_name
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    EXECUTE format('GRANT USAGE ON SCHEMA public TO %I', role_name);
END
$$;


--
-- Name: recon_refund_decisions_need_accounts(); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.recon_refund_decisions_need_accounts() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path TO 'public', 'pg_temp'
    AS $$
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


--
-- Name: recon_refund_transition_allowed(text, text); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.recon_refund_transition_allowed(from_status text, to_status text) RETURNS boolean
    LANGUAGE sql IMMUTABLE
    SET search_path TO 'public', 'pg_temp'
    AS $$
    SELECT from_status = to_status OR (from_status, to_status) IN (
        ('proposed', 'approved'), ('proposed', 'rejected'),
        ('approved', 'sending'), ('approved', 'rejected'),
        ('sending', 'sent'), ('sending', 'succeeded'), ('sending', 'failed'), ('sending', 'unknown'),
        ('sent', 'succeeded'), ('sent', 'failed'), ('sent', 'unknown'),
        ('unknown', 'succeeded'), ('unknown', 'failed'))
$$;


--
-- Name: recon_refunds_follow_state_machine(); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.recon_refunds_follow_state_machine() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path TO 'public', 'pg_temp'
    AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        IF NEW.status <> 'proposed' THEN
            RAISE EXCEPTION 'a refund starts as proposed, not %', NEW.status
                USING ERRCODE = 'check_violation', CONSTRAINT = 'refunds_follow_state_machine', TABLE = 'refunds';
        END IF;
        RETURN NEW;
    END IF;
    IF NOT recon_refund_transition_allowed(OLD.status, NEW.status) THEN
        RAISE EXCEPTION 'a refund cannot go from % to %', OLD.status, NEW.status
            USING ERRCODE = 'check_violation', CONSTRAINT = 'refunds_follow_state_machine', TABLE = 'refunds';
    END IF;
    IF OLD.status <> 'proposed' AND (
            OLD.amount IS DISTINCT FROM NEW.amount OR OLD.payment_id IS DISTINCT FROM NEW.payment_id
            OR OLD.proposed_by IS DISTINCT FROM NEW.proposed_by
            OR OLD.proposed_by_user_id IS DISTINCT FROM NEW.proposed_by_user_id
            OR OLD.approved_by IS DISTINCT FROM NEW.approved_by
            OR OLD.approved_by_user_id IS DISTINCT FROM NEW.approved_by_user_id
            OR OLD.second_approved_by IS DISTINCT FROM NEW.second_approved_by
            OR OLD.second_approved_by_user_id IS DISTINCT FROM NEW.second_approved_by_user_id) THEN
        RAISE EXCEPTION 'refund %: its amount, payment and approvals are fixed once it is %', OLD.id, OLD.status
            USING ERRCODE = 'check_violation', CONSTRAINT = 'refunds_follow_state_machine', TABLE = 'refunds';
    END IF;
    RETURN NEW;
END
$$;


--
-- Name: recon_refunds_status_matches_approvals(); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.recon_refunds_status_matches_approvals() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path TO 'public', 'pg_temp'
    AS $$
DECLARE
    threshold numeric(12,2);
BEGIN
    IF NEW.status NOT IN ('approved', 'sending', 'sent', 'succeeded')
            OR (TG_OP = 'UPDATE' AND OLD.status <> 'proposed') THEN
        RETURN NEW;
    END IF;
    IF NEW.approved_by_user_id IS NULL THEN
        RAISE EXCEPTION 'a refund that is % needs its approver''s account', NEW.status
            USING ERRCODE = 'check_violation', CONSTRAINT = 'refunds_status_matches_approvals', TABLE = 'refunds';
    END IF;
    SELECT value INTO threshold FROM recon_settings WHERE key = 'dual_approval_above';
    IF threshold IS NULL THEN
        RAISE EXCEPTION 'recon_settings has no dual_approval_above: run migrate'
            USING ERRCODE = 'check_violation', CONSTRAINT = 'refunds_status_matches_approvals', TABLE = 'refunds';
    END IF;
    IF NEW.amount > threshold AND (NEW.second_approved_by_user_id IS NULL
            OR NEW.second_approved_by_user_id = NEW.approved_by_user_id) THEN
        RAISE EXCEPTION 'a refund above % needs two different approvers before it is %', threshold, NEW.status
            USING ERRCODE = 'check_violation', CONSTRAINT = 'refunds_status_matches_approvals', TABLE = 'refunds';
    END IF;
    RETURN NEW;
END
$$;


--
-- Name: recon_reserve_login_attempt(text, text, timestamp with time zone, integer, integer, timestamp with time zone); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.recon_reserve_login_attempt(attempt_email text, attempt_address text, since timestamp with time zone, max_per_pair integer, max_per_address integer, attempt_at timestamp with time zone, OUT reserved_id bigint, OUT account_failures bigint) RETURNS record
    LANGUAGE plpgsql
    SET search_path TO 'public', 'pg_temp'
    AS $$
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


--
-- Name: recon_staff_is_admin(); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.recon_staff_is_admin() RETURNS boolean
    LANGUAGE sql STABLE
    SET search_path TO 'public', 'pg_temp'
    AS $$
    SELECT coalesce(current_setting('recon.staff_is_admin', true), '') = 'on'
$$;


--
-- Name: recon_users_credentials_version(); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.recon_users_credentials_version() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path TO 'public', 'pg_temp'
    AS $$
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


--
-- Name: refunds_within_payment_amount(); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.refunds_within_payment_amount() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path TO 'public', 'pg_temp'
    AS $$
DECLARE
    paid numeric(12,2);
    payment_status text;
    committed numeric(12,2);
BEGIN
    SELECT coalesce((SELECT sl.paid_in FROM statement_lines sl WHERE sl.payment_id = p.id
                     ORDER BY sl.id LIMIT 1), least(p.amount, coalesce(p.paid_amount, p.amount))), p.status
      INTO paid, payment_status
      FROM payments p WHERE p.id = NEW.payment_id FOR UPDATE OF p;
    IF payment_status IS DISTINCT FROM 'completed' AND NEW.status NOT IN ('rejected', 'failed') THEN
        RAISE EXCEPTION 'payment % is not completed; nothing can be refunded', NEW.payment_id
            USING ERRCODE = 'check_violation', CONSTRAINT = 'refunds_within_payment_amount',
                  TABLE = 'refunds';
    END IF;
    SELECT coalesce(sum(amount), 0) INTO committed
      FROM refunds
     WHERE payment_id = NEW.payment_id AND status NOT IN ('rejected', 'failed');
    IF committed > paid THEN
        RAISE EXCEPTION 'refunds of payment % would exceed the money M-Pesa confirmed', NEW.payment_id
            USING ERRCODE = 'check_violation', CONSTRAINT = 'refunds_within_payment_amount',
                  TABLE = 'refunds';
    END IF;
    RETURN NULL;
END;
$$;


SET default_tablespace = '';

SET default_table_access_method = heap;

--
-- Name: api_idempotency_keys; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.api_idempotency_keys (
    user_id bigint NOT NULL,
    key text NOT NULL,
    route text NOT NULL,
    request_sha256 text NOT NULL,
    status_code integer,
    response text,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT api_idempotency_keys_key_check CHECK (((length(key) >= 1) AND (length(key) <= 255)))
);


--
-- Name: audit_log; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.audit_log (
    id bigint NOT NULL,
    at timestamp with time zone DEFAULT now() NOT NULL,
    user_id bigint,
    channel text NOT NULL,
    os_user text,
    action text NOT NULL,
    subject text NOT NULL,
    subject_id bigint,
    detail jsonb DEFAULT '{}'::jsonb NOT NULL,
    address text,
    CONSTRAINT audit_log_channel_check CHECK ((channel = ANY (ARRAY['cli'::text, 'api'::text, 'console'::text, 'system'::text])))
);


--
-- Name: audit_log_id_seq; Type: SEQUENCE; Schema: public; Owner: -
--

CREATE SEQUENCE public.audit_log_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;


--
-- Name: audit_log_id_seq; Type: SEQUENCE OWNED BY; Schema: public; Owner: -
--

ALTER SEQUENCE public.audit_log_id_seq OWNED BY public.audit_log.id;


--
-- Name: auth_token_blacklist; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.auth_token_blacklist (
    jti text NOT NULL,
    user_id bigint NOT NULL,
    expires_at timestamp with time zone NOT NULL,
    blacklisted_at timestamp with time zone DEFAULT now() NOT NULL
);


--
-- Name: callback_inbox; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.callback_inbox (
    id bigint NOT NULL,
    kind text NOT NULL,
    received_at timestamp with time zone DEFAULT now() NOT NULL,
    remote_addr text,
    headers jsonb DEFAULT '{}'::jsonb NOT NULL,
    body bytea NOT NULL,
    reference text,
    processed_at timestamp with time zone,
    outcome text,
    spool_id text,
    sweep_attempts integer DEFAULT 0 NOT NULL,
    next_sweep_at timestamp with time zone DEFAULT '-infinity'::timestamp with time zone NOT NULL,
    CONSTRAINT callback_inbox_kind_check CHECK ((kind = ANY (ARRAY['stk'::text, 'b2c_result'::text, 'b2c_timeout'::text]))),
    CONSTRAINT callback_inbox_outcome_check CHECK ((outcome = ANY (ARRAY['applied'::text, 'duplicate'::text, 'conflict'::text, 'unmatched'::text, 'malformed'::text, 'ignored'::text]))),
    CONSTRAINT callback_inbox_sweep_attempts_check CHECK ((sweep_attempts >= 0))
);


--
-- Name: callback_inbox_id_seq; Type: SEQUENCE; Schema: public; Owner: -
--

CREATE SEQUENCE public.callback_inbox_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;


--
-- Name: callback_inbox_id_seq; Type: SEQUENCE OWNED BY; Schema: public; Owner: -
--

ALTER SEQUENCE public.callback_inbox_id_seq OWNED BY public.callback_inbox.id;


--
-- Name: console_sessions; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.console_sessions (
    id_sha256 text NOT NULL,
    user_id bigint NOT NULL,
    csrf_token text NOT NULL,
    address text,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    last_seen_at timestamp with time zone DEFAULT now() NOT NULL,
    credentials_version bigint DEFAULT 0 NOT NULL,
    flash_notice text,
    flash_error text
);


--
-- Name: courses; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.courses (
    id bigint NOT NULL,
    title text NOT NULL,
    price numeric(12,2) NOT NULL,
    is_active boolean DEFAULT true NOT NULL,
    CONSTRAINT courses_price_check CHECK ((price >= (0)::numeric))
);


--
-- Name: courses_id_seq; Type: SEQUENCE; Schema: public; Owner: -
--

CREATE SEQUENCE public.courses_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;


--
-- Name: courses_id_seq; Type: SEQUENCE OWNED BY; Schema: public; Owner: -
--

ALTER SEQUENCE public.courses_id_seq OWNED BY public.courses.id;


--
-- Name: enrollments; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.enrollments (
    id bigint NOT NULL,
    user_id bigint NOT NULL,
    course_id bigint NOT NULL,
    payment_id bigint,
    status text DEFAULT 'active'::text NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT enrollments_status_check CHECK ((status = ANY (ARRAY['active'::text, 'revoked'::text])))
);


--
-- Name: enrollments_id_seq; Type: SEQUENCE; Schema: public; Owner: -
--

CREATE SEQUENCE public.enrollments_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;


--
-- Name: enrollments_id_seq; Type: SEQUENCE OWNED BY; Schema: public; Owner: -
--

ALTER SEQUENCE public.enrollments_id_seq OWNED BY public.enrollments.id;


--
-- Name: job_runs; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.job_runs (
    id bigint NOT NULL,
    job text NOT NULL,
    started_at timestamp with time zone DEFAULT now() NOT NULL,
    finished_at timestamp with time zone,
    outcome text,
    summary jsonb DEFAULT '{}'::jsonb NOT NULL,
    CONSTRAINT job_runs_outcome_check CHECK ((outcome = ANY (ARRAY['running'::text, 'succeeded'::text, 'failed'::text, 'interrupted'::text])))
);


--
-- Name: job_runs_id_seq; Type: SEQUENCE; Schema: public; Owner: -
--

CREATE SEQUENCE public.job_runs_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;


--
-- Name: job_runs_id_seq; Type: SEQUENCE OWNED BY; Schema: public; Owner: -
--

ALTER SEQUENCE public.job_runs_id_seq OWNED BY public.job_runs.id;


--
-- Name: login_failures; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.login_failures (
    id bigint NOT NULL,
    email text NOT NULL,
    address text NOT NULL,
    at timestamp with time zone DEFAULT now() NOT NULL
);


--
-- Name: login_failures_id_seq; Type: SEQUENCE; Schema: public; Owner: -
--

CREATE SEQUENCE public.login_failures_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;


--
-- Name: login_failures_id_seq; Type: SEQUENCE OWNED BY; Schema: public; Owner: -
--

ALTER SEQUENCE public.login_failures_id_seq OWNED BY public.login_failures.id;


--
-- Name: mpesa_configurations; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.mpesa_configurations (
    id bigint NOT NULL,
    name text NOT NULL,
    environment text NOT NULL,
    base_url text,
    shortcode text NOT NULL,
    party_type text DEFAULT 'paybill'::text NOT NULL,
    till_number text,
    passkey_sealed text NOT NULL,
    consumer_key_sealed text NOT NULL,
    consumer_secret_sealed text NOT NULL,
    callback_url text NOT NULL,
    b2c_shortcode text,
    b2c_initiator_name text,
    b2c_initiator_password_sealed text,
    b2c_result_url text,
    b2c_timeout_url text,
    is_active boolean DEFAULT true NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT mpesa_configurations_b2c_initiator_password_sealed_check CHECK (((b2c_initiator_password_sealed IS NULL) OR (b2c_initiator_password_sealed ~~ 'v1:%'::text))),
    CONSTRAINT mpesa_configurations_consumer_key_sealed_check CHECK ((consumer_key_sealed ~~ 'v1:%'::text)),
    CONSTRAINT mpesa_configurations_consumer_secret_sealed_check CHECK ((consumer_secret_sealed ~~ 'v1:%'::text)),
    CONSTRAINT mpesa_configurations_environment_check CHECK ((environment = ANY (ARRAY['sandbox'::text, 'production'::text, 'simulator'::text]))),
    CONSTRAINT mpesa_configurations_party_type_check CHECK ((party_type = ANY (ARRAY['paybill'::text, 'till'::text]))),
    CONSTRAINT mpesa_configurations_passkey_sealed_check CHECK ((passkey_sealed ~~ 'v1:%'::text)),
    CONSTRAINT mpesa_configurations_shortcode_check CHECK ((shortcode ~ '^[0-9]{5,7}$'::text)),
    CONSTRAINT mpesa_configurations_till_has_number CHECK (((party_type <> 'till'::text) OR (till_number IS NOT NULL))),
    CONSTRAINT mpesa_configurations_till_number_check CHECK (((till_number IS NULL) OR (till_number ~ '^[0-9]{5,7}$'::text)))
);


--
-- Name: mpesa_configurations_id_seq; Type: SEQUENCE; Schema: public; Owner: -
--

CREATE SEQUENCE public.mpesa_configurations_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;


--
-- Name: mpesa_configurations_id_seq; Type: SEQUENCE OWNED BY; Schema: public; Owner: -
--

ALTER SEQUENCE public.mpesa_configurations_id_seq OWNED BY public.mpesa_configurations.id;


--
-- Name: payment_decisions; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.payment_decisions (
    id bigint NOT NULL,
    payment_id bigint NOT NULL,
    verdict text NOT NULL,
    receipt text,
    status text DEFAULT 'proposed'::text NOT NULL,
    proposed_by text NOT NULL,
    proposed_at timestamp with time zone DEFAULT now() NOT NULL,
    confirmed_by text,
    confirmed_at timestamp with time zone,
    proposed_by_user_id bigint,
    confirmed_by_user_id bigint,
    CONSTRAINT payment_decisions_checker_account_not_maker CHECK (((confirmed_by_user_id IS NULL) OR (confirmed_by_user_id IS DISTINCT FROM proposed_by_user_id))),
    CONSTRAINT payment_decisions_checker_not_maker CHECK (((confirmed_by IS NULL) OR (confirmed_by <> proposed_by))),
    CONSTRAINT payment_decisions_confirmed_by_someone CHECK (((status = 'confirmed'::text) = (confirmed_by IS NOT NULL))),
    CONSTRAINT payment_decisions_paid_has_receipt CHECK (((verdict <> 'paid'::text) OR (receipt IS NOT NULL))),
    CONSTRAINT payment_decisions_status_check CHECK ((status = ANY (ARRAY['proposed'::text, 'confirmed'::text, 'superseded'::text]))),
    CONSTRAINT payment_decisions_verdict_check CHECK ((verdict = ANY (ARRAY['paid'::text, 'not_paid'::text])))
);


--
-- Name: payment_decisions_id_seq; Type: SEQUENCE; Schema: public; Owner: -
--

CREATE SEQUENCE public.payment_decisions_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;


--
-- Name: payment_decisions_id_seq; Type: SEQUENCE OWNED BY; Schema: public; Owner: -
--

ALTER SEQUENCE public.payment_decisions_id_seq OWNED BY public.payment_decisions.id;


--
-- Name: payment_events; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.payment_events (
    id bigint NOT NULL,
    payment_id bigint NOT NULL,
    at timestamp with time zone DEFAULT now() NOT NULL,
    source text NOT NULL,
    from_status text,
    to_status text NOT NULL,
    detail jsonb DEFAULT '{}'::jsonb NOT NULL,
    CONSTRAINT payment_events_source_check CHECK ((source = ANY (ARRAY['pay'::text, 'callback'::text, 'query'::text, 'admin'::text, 'reconcile'::text])))
);


--
-- Name: payment_events_id_seq; Type: SEQUENCE; Schema: public; Owner: -
--

CREATE SEQUENCE public.payment_events_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;


--
-- Name: payment_events_id_seq; Type: SEQUENCE OWNED BY; Schema: public; Owner: -
--

ALTER SEQUENCE public.payment_events_id_seq OWNED BY public.payment_events.id;


--
-- Name: payments; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.payments (
    id bigint NOT NULL,
    user_id bigint NOT NULL,
    course_id bigint NOT NULL,
    amount numeric(12,2) NOT NULL,
    phone text NOT NULL,
    checkout_request_id text,
    merchant_request_id text,
    status text DEFAULT 'pending'::text NOT NULL,
    result_code text,
    result_desc text,
    mpesa_receipt text,
    paid_amount numeric(12,2),
    paid_phone text,
    paid_at timestamp with time zone,
    settled_via text,
    check_attempts integer DEFAULT 0 NOT NULL,
    next_check_at timestamp with time zone,
    last_answer text,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    configuration_id bigint,
    CONSTRAINT payments_amount_check CHECK ((amount > (0)::numeric)),
    CONSTRAINT payments_check_attempts_check CHECK ((check_attempts >= 0)),
    CONSTRAINT payments_completed_has_source CHECK (((status <> 'completed'::text) OR (settled_via IS NOT NULL))),
    CONSTRAINT payments_receipt_only_when_completed CHECK (((mpesa_receipt IS NULL) OR (status = 'completed'::text))),
    CONSTRAINT payments_settled_via_check CHECK ((settled_via = ANY (ARRAY['callback'::text, 'query'::text, 'admin'::text]))),
    CONSTRAINT payments_status_check CHECK ((status = ANY (ARRAY['pending'::text, 'completed'::text, 'failed'::text, 'unknown'::text])))
);


--
-- Name: payments_id_seq; Type: SEQUENCE; Schema: public; Owner: -
--

CREATE SEQUENCE public.payments_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;


--
-- Name: payments_id_seq; Type: SEQUENCE OWNED BY; Schema: public; Owner: -
--

ALTER SEQUENCE public.payments_id_seq OWNED BY public.payments.id;


--
-- Name: recon_settings; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.recon_settings (
    key text NOT NULL,
    value numeric(12,2) NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT recon_settings_key_check CHECK ((key = 'dual_approval_above'::text)),
    CONSTRAINT recon_settings_value_check CHECK ((value >= (0)::numeric))
);


--
-- Name: reconciliation_exceptions; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.reconciliation_exceptions (
    id bigint NOT NULL,
    kind text NOT NULL,
    key text NOT NULL,
    payment_id bigint,
    enrollment_id bigint,
    callback_id bigint,
    expected_amount numeric(12,2),
    received_amount numeric(12,2),
    detail jsonb DEFAULT '{}'::jsonb NOT NULL,
    status text DEFAULT 'open'::text NOT NULL,
    resolution text,
    first_seen timestamp with time zone DEFAULT now() NOT NULL,
    last_seen timestamp with time zone DEFAULT now() NOT NULL,
    resolved_at timestamp with time zone,
    resolved_by text,
    resolved_by_user_id bigint,
    CONSTRAINT exceptions_resolved_has_time CHECK (((status = 'open'::text) OR (resolved_at IS NOT NULL))),
    CONSTRAINT reconciliation_exceptions_kind_check CHECK ((kind = ANY (ARRAY['paid_not_enrolled'::text, 'enrolled_not_paid'::text, 'duplicate_payment'::text, 'underpaid'::text, 'overpaid'::text, 'receipt_conflict'::text, 'late_success'::text, 'unresolved'::text, 'unmatched_callback'::text, 'callback_conflict'::text, 'statement_only'::text, 'missing_from_statement'::text, 'statement_amount_mismatch'::text, 'refund_missing_from_statement'::text, 'ambiguous_statement_line'::text, 'amount_mismatch'::text]))),
    CONSTRAINT reconciliation_exceptions_status_check CHECK ((status = ANY (ARRAY['open'::text, 'resolved'::text])))
);


--
-- Name: reconciliation_exceptions_id_seq; Type: SEQUENCE; Schema: public; Owner: -
--

CREATE SEQUENCE public.reconciliation_exceptions_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;


--
-- Name: reconciliation_exceptions_id_seq; Type: SEQUENCE OWNED BY; Schema: public; Owner: -
--

ALTER SEQUENCE public.reconciliation_exceptions_id_seq OWNED BY public.reconciliation_exceptions.id;


--
-- Name: refund_status_checks; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.refund_status_checks (
    id bigint NOT NULL,
    refund_id bigint NOT NULL,
    originator_conversation_id text,
    conversation_id text,
    asked_at timestamp with time zone DEFAULT now() NOT NULL,
    answered_at timestamp with time zone,
    verdict text,
    CONSTRAINT refund_status_checks_verdict_check CHECK ((verdict = ANY (ARRAY['completed'::text, 'failed'::text, 'not_found'::text, 'no_verdict'::text, 'timeout'::text])))
);


--
-- Name: refund_status_checks_id_seq; Type: SEQUENCE; Schema: public; Owner: -
--

CREATE SEQUENCE public.refund_status_checks_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;


--
-- Name: refund_status_checks_id_seq; Type: SEQUENCE OWNED BY; Schema: public; Owner: -
--

ALTER SEQUENCE public.refund_status_checks_id_seq OWNED BY public.refund_status_checks.id;


--
-- Name: refunds; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.refunds (
    id bigint NOT NULL,
    payment_id bigint NOT NULL,
    exception_id bigint,
    amount numeric(12,2) NOT NULL,
    reason text NOT NULL,
    status text DEFAULT 'proposed'::text NOT NULL,
    proposed_by text NOT NULL,
    proposed_at timestamp with time zone DEFAULT now() NOT NULL,
    approved_by text,
    approved_at timestamp with time zone,
    second_approved_by text,
    second_approved_at timestamp with time zone,
    rejected_by text,
    rejected_reason text,
    rejected_at timestamp with time zone,
    originator_conversation_id text,
    conversation_id text,
    transaction_id text,
    result_code text,
    result_desc text,
    send_attempts integer DEFAULT 0 NOT NULL,
    sent_at timestamp with time zone,
    completed_at timestamp with time zone,
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    resend_due boolean DEFAULT false NOT NULL,
    send_started_at timestamp with time zone,
    status_check_due_at timestamp with time zone,
    handed_over_at timestamp with time zone,
    status_checks integer DEFAULT 0 NOT NULL,
    dispatch_note text,
    statement_fee numeric(12,2),
    proposed_by_user_id bigint,
    proposed_via text,
    approved_by_user_id bigint,
    approved_via text,
    second_approved_by_user_id bigint,
    second_approved_via text,
    rejected_by_user_id bigint,
    rejected_via text,
    CONSTRAINT refunds_amount_check CHECK ((amount > (0)::numeric)),
    CONSTRAINT refunds_approved_via_check CHECK ((approved_via = ANY (ARRAY['cli'::text, 'api'::text, 'console'::text]))),
    CONSTRAINT refunds_approver_account_not_proposer CHECK (((approved_by_user_id IS NULL) OR (approved_by_user_id IS DISTINCT FROM proposed_by_user_id))),
    CONSTRAINT refunds_approver_not_proposer CHECK (((approved_by IS NULL) OR (approved_by <> proposed_by))),
    CONSTRAINT refunds_proposed_via_check CHECK ((proposed_via = ANY (ARRAY['cli'::text, 'api'::text, 'console'::text, 'system'::text]))),
    CONSTRAINT refunds_rejected_via_check CHECK ((rejected_via = ANY (ARRAY['cli'::text, 'api'::text, 'console'::text]))),
    CONSTRAINT refunds_rejecter_account_not_proposer CHECK (((rejected_by_user_id IS NULL) OR (rejected_by_user_id IS DISTINCT FROM proposed_by_user_id))),
    CONSTRAINT refunds_rejecter_not_proposer CHECK (((rejected_by IS NULL) OR (rejected_by <> proposed_by))),
    CONSTRAINT refunds_resend_keeps_id CHECK (((NOT resend_due) OR (originator_conversation_id IS NOT NULL))),
    CONSTRAINT refunds_second_approved_via_check CHECK ((second_approved_via = ANY (ARRAY['cli'::text, 'api'::text, 'console'::text]))),
    CONSTRAINT refunds_second_approver_account_distinct CHECK (((second_approved_by_user_id IS NULL) OR ((second_approved_by_user_id IS DISTINCT FROM proposed_by_user_id) AND (second_approved_by_user_id IS DISTINCT FROM approved_by_user_id)))),
    CONSTRAINT refunds_second_approver_distinct CHECK (((second_approved_by IS NULL) OR ((second_approved_by <> proposed_by) AND (second_approved_by <> approved_by)))),
    CONSTRAINT refunds_sending_has_id CHECK (((status = ANY (ARRAY['proposed'::text, 'approved'::text, 'rejected'::text])) OR (originator_conversation_id IS NOT NULL))),
    CONSTRAINT refunds_sent_has_approver CHECK (((status = ANY (ARRAY['proposed'::text, 'rejected'::text])) OR (approved_by IS NOT NULL))),
    CONSTRAINT refunds_statement_fee_check CHECK ((statement_fee >= (0)::numeric)),
    CONSTRAINT refunds_status_check CHECK ((status = ANY (ARRAY['proposed'::text, 'approved'::text, 'rejected'::text, 'sending'::text, 'sent'::text, 'succeeded'::text, 'failed'::text, 'unknown'::text]))),
    CONSTRAINT refunds_status_checks_check CHECK ((status_checks >= 0))
);


--
-- Name: refunds_id_seq; Type: SEQUENCE; Schema: public; Owner: -
--

CREATE SEQUENCE public.refunds_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;


--
-- Name: refunds_id_seq; Type: SEQUENCE OWNED BY; Schema: public; Owner: -
--

ALTER SEQUENCE public.refunds_id_seq OWNED BY public.refunds.id;


--
-- Name: report_requests; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.report_requests (
    id bigint NOT NULL,
    requested_by bigint NOT NULL,
    period_from date NOT NULL,
    period_to date NOT NULL,
    unmasked boolean DEFAULT false NOT NULL,
    status text DEFAULT 'queued'::text NOT NULL,
    folder text,
    error text,
    requested_at timestamp with time zone DEFAULT now() NOT NULL,
    finished_at timestamp with time zone,
    CONSTRAINT report_requests_period CHECK ((period_from <= period_to)),
    CONSTRAINT report_requests_status_check CHECK ((status = ANY (ARRAY['queued'::text, 'running'::text, 'done'::text, 'failed'::text])))
);


--
-- Name: report_requests_id_seq; Type: SEQUENCE; Schema: public; Owner: -
--

CREATE SEQUENCE public.report_requests_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;


--
-- Name: report_requests_id_seq; Type: SEQUENCE OWNED BY; Schema: public; Owner: -
--

ALTER SEQUENCE public.report_requests_id_seq OWNED BY public.report_requests.id;


--
-- Name: schema_migrations; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.schema_migrations (
    name text NOT NULL,
    checksum text NOT NULL,
    applied_at timestamp with time zone DEFAULT now() NOT NULL
);


--
-- Name: statement_imports; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.statement_imports (
    id bigint NOT NULL,
    file_sha256 text NOT NULL,
    file_name text NOT NULL,
    format text NOT NULL,
    account_holder text,
    short_code text,
    period_start timestamp with time zone,
    period_end timestamp with time zone,
    opening_balance numeric(14,2),
    closing_balance numeric(14,2),
    total_paid_in numeric(14,2),
    total_withdrawn numeric(14,2),
    lines_read integer DEFAULT 0 NOT NULL,
    lines_new integer DEFAULT 0 NOT NULL,
    lines_skipped integer DEFAULT 0 NOT NULL,
    paid_in_sum numeric(14,2) DEFAULT 0 NOT NULL,
    withdrawn_sum numeric(14,2) DEFAULT 0 NOT NULL,
    balance_check text DEFAULT 'unknown'::text NOT NULL,
    imported_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT statement_imports_balance_check_check CHECK ((balance_check = ANY (ARRAY['ok'::text, 'mismatch'::text, 'unknown'::text]))),
    CONSTRAINT statement_imports_file_sha256_check CHECK ((file_sha256 ~ '^[0-9a-f]{64}$'::text)),
    CONSTRAINT statement_imports_format_check CHECK ((format = ANY (ARRAY['csv'::text, 'xlsx'::text]))),
    CONSTRAINT statement_imports_lines_new_check CHECK ((lines_new >= 0)),
    CONSTRAINT statement_imports_lines_read_check CHECK ((lines_read >= 0)),
    CONSTRAINT statement_imports_lines_skipped_check CHECK ((lines_skipped >= 0)),
    CONSTRAINT statement_imports_period_order CHECK (((period_end IS NULL) OR (period_start <= period_end)))
);


--
-- Name: statement_imports_id_seq; Type: SEQUENCE; Schema: public; Owner: -
--

CREATE SEQUENCE public.statement_imports_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;


--
-- Name: statement_imports_id_seq; Type: SEQUENCE OWNED BY; Schema: public; Owner: -
--

ALTER SEQUENCE public.statement_imports_id_seq OWNED BY public.statement_imports.id;


--
-- Name: statement_lines; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.statement_lines (
    id bigint NOT NULL,
    import_id bigint NOT NULL,
    row_number integer NOT NULL,
    receipt text NOT NULL,
    is_charge boolean NOT NULL,
    completed_at timestamp with time zone NOT NULL,
    initiated_at timestamp with time zone,
    details text NOT NULL,
    transaction_status text,
    paid_in numeric(12,2) NOT NULL,
    withdrawn numeric(12,2) NOT NULL,
    balance numeric(14,2),
    reason_type text,
    line_class text NOT NULL,
    party_identifier text,
    party_name text,
    linked_transaction_id text,
    account_number text,
    payment_id bigint,
    refund_id bigint,
    matched_at timestamp with time zone,
    CONSTRAINT statement_lines_charge_class CHECK ((is_charge = (line_class = 'charge'::text))),
    CONSTRAINT statement_lines_line_class_check CHECK ((line_class = ANY (ARRAY['payment'::text, 'refund'::text, 'charge'::text, 'sweep'::text, 'other'::text]))),
    CONSTRAINT statement_lines_one_side CHECK (((payment_id IS NULL) OR (refund_id IS NULL))),
    CONSTRAINT statement_lines_paid_in_check CHECK ((paid_in >= (0)::numeric)),
    CONSTRAINT statement_lines_row_number_check CHECK ((row_number > 0)),
    CONSTRAINT statement_lines_withdrawn_check CHECK ((withdrawn >= (0)::numeric))
);


--
-- Name: statement_lines_id_seq; Type: SEQUENCE; Schema: public; Owner: -
--

CREATE SEQUENCE public.statement_lines_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;


--
-- Name: statement_lines_id_seq; Type: SEQUENCE OWNED BY; Schema: public; Owner: -
--

ALTER SEQUENCE public.statement_lines_id_seq OWNED BY public.statement_lines.id;


--
-- Name: user_roles; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.user_roles (
    user_id bigint NOT NULL,
    role text NOT NULL,
    granted_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT user_roles_role_check CHECK ((role = ANY (ARRAY['admin'::text, 'finance'::text])))
);


--
-- Name: users; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.users (
    id bigint NOT NULL,
    email text NOT NULL,
    full_name text DEFAULT ''::text NOT NULL,
    password text,
    is_active boolean DEFAULT true NOT NULL,
    is_staff boolean DEFAULT false NOT NULL,
    last_login timestamp with time zone,
    credentials_version bigint DEFAULT 1 NOT NULL,
    credentials_changed_at timestamp with time zone
);


--
-- Name: users_id_seq; Type: SEQUENCE; Schema: public; Owner: -
--

CREATE SEQUENCE public.users_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;


--
-- Name: users_id_seq; Type: SEQUENCE OWNED BY; Schema: public; Owner: -
--

ALTER SEQUENCE public.users_id_seq OWNED BY public.users.id;


--
-- Name: audit_log id; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.audit_log ALTER COLUMN id SET DEFAULT nextval('public.audit_log_id_seq'::regclass);


--
-- Name: callback_inbox id; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.callback_inbox ALTER COLUMN id SET DEFAULT nextval('public.callback_inbox_id_seq'::regclass);


--
-- Name: courses id; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.courses ALTER COLUMN id SET DEFAULT nextval('public.courses_id_seq'::regclass);


--
-- Name: enrollments id; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.enrollments ALTER COLUMN id SET DEFAULT nextval('public.enrollments_id_seq'::regclass);


--
-- Name: job_runs id; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.job_runs ALTER COLUMN id SET DEFAULT nextval('public.job_runs_id_seq'::regclass);


--
-- Name: login_failures id; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.login_failures ALTER COLUMN id SET DEFAULT nextval('public.login_failures_id_seq'::regclass);


--
-- Name: mpesa_configurations id; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.mpesa_configurations ALTER COLUMN id SET DEFAULT nextval('public.mpesa_configurations_id_seq'::regclass);


--
-- Name: payment_decisions id; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.payment_decisions ALTER COLUMN id SET DEFAULT nextval('public.payment_decisions_id_seq'::regclass);


--
-- Name: payment_events id; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.payment_events ALTER COLUMN id SET DEFAULT nextval('public.payment_events_id_seq'::regclass);


--
-- Name: payments id; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.payments ALTER COLUMN id SET DEFAULT nextval('public.payments_id_seq'::regclass);


--
-- Name: reconciliation_exceptions id; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.reconciliation_exceptions ALTER COLUMN id SET DEFAULT nextval('public.reconciliation_exceptions_id_seq'::regclass);


--
-- Name: refund_status_checks id; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.refund_status_checks ALTER COLUMN id SET DEFAULT nextval('public.refund_status_checks_id_seq'::regclass);


--
-- Name: refunds id; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.refunds ALTER COLUMN id SET DEFAULT nextval('public.refunds_id_seq'::regclass);


--
-- Name: report_requests id; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.report_requests ALTER COLUMN id SET DEFAULT nextval('public.report_requests_id_seq'::regclass);


--
-- Name: statement_imports id; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.statement_imports ALTER COLUMN id SET DEFAULT nextval('public.statement_imports_id_seq'::regclass);


--
-- Name: statement_lines id; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.statement_lines ALTER COLUMN id SET DEFAULT nextval('public.statement_lines_id_seq'::regclass);


--
-- Name: users id; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.users ALTER COLUMN id SET DEFAULT nextval('public.users_id_seq'::regclass);


--
-- Data for Name: api_idempotency_keys; Type: TABLE DATA; Schema: public; Owner: -
--



--
-- Data for Name: audit_log; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.audit_log VALUES
	(1, '2026-12-08 01:11:45.650268+00', 11, 'cli', NULL, 'refund.approve', 'refund', 2, '{"to": "approved", "from": "proposed"}', NULL),
	(2, '2026-12-08 01:11:45.653855+00', 11, 'cli', NULL, 'refund.approve', 'refund', 1, '{"to": "proposed", "from": "proposed"}', NULL),
	(3, '2026-12-08 01:11:45.65934+00', 12, 'cli', NULL, 'refund.approve_second', 'refund', 1, '{"to": "approved", "from": "proposed"}', NULL);


--
-- Data for Name: auth_token_blacklist; Type: TABLE DATA; Schema: public; Owner: -
--



--
-- Data for Name: callback_inbox; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.callback_inbox VALUES
	(1, 'stk', '2026-12-08 01:11:43.360048+00', '127.0.0.1', '{"accept": "application/json", "content-type": "application/json", "content-length": "442", "businessshortcode": "174379"}', '\x7b22426f6479223a7b2273746b43616c6c6261636b223a7b224d65726368616e74526571756573744944223a22656337372d363862322d633865642d363732353462656166366332383238613162222c22436865636b6f7574526571756573744944223a2277735f434f5f3038313232303236303431313432383036373130303030303030222c22526573756c74436f6465223a302c22526573756c7444657363223a22546865207365727669636520726571756573742069732070726f636573736564207375636365737366756c6c792e222c2243616c6c6261636b4d65746164617461223a7b224974656d223a5b7b224e616d65223a22416d6f756e74222c2256616c7565223a353030302e30307d2c7b224e616d65223a224d70657361526563656970744e756d626572222c2256616c7565223a22544839535143464e4537227d2c7b224e616d65223a2242616c616e6365227d2c7b224e616d65223a225472616e73616374696f6e44617465222c2256616c7565223a32303236313230383034313134337d2c7b224e616d65223a2250686f6e654e756d626572222c2256616c7565223a3235343731303030303030307d5d7d7d7d7d', 'ws_CO_08122026041142806710000000', '2026-12-08 01:11:43.361899+00', 'applied', NULL, 0, '-infinity'),
	(2, 'stk', '2026-12-08 01:11:43.367286+00', '127.0.0.1', '{"accept": "application/json", "content-type": "application/json", "content-length": "442", "businessshortcode": "174379"}', '\x7b22426f6479223a7b2273746b43616c6c6261636b223a7b224d65726368616e74526571756573744944223a22613165332d356261392d346265372d333466343566316335633935633664653131222c22436865636b6f7574526571756573744944223a2277735f434f5f3038313232303236303431313432383135373130303030313337222c22526573756c74436f6465223a302c22526573756c7444657363223a22546865207365727669636520726571756573742069732070726f636573736564207375636365737366756c6c792e222c2243616c6c6261636b4d65746164617461223a7b224974656d223a5b7b224e616d65223a22416d6f756e74222c2256616c7565223a353030302e30307d2c7b224e616d65223a224d70657361526563656970744e756d626572222c2256616c7565223a2254324638343042455354227d2c7b224e616d65223a2242616c616e6365227d2c7b224e616d65223a225472616e73616374696f6e44617465222c2256616c7565223a32303236313230383034313134337d2c7b224e616d65223a2250686f6e654e756d626572222c2256616c7565223a3235343731303030303133377d5d7d7d7d7d', 'ws_CO_08122026041142815710000137', '2026-12-08 01:11:43.384813+00', 'applied', NULL, 0, '-infinity'),
	(3, 'stk', '2026-12-08 01:11:43.37363+00', '127.0.0.1', '{"accept": "application/json", "content-type": "application/json", "content-length": "442", "businessshortcode": "174379"}', '\x7b22426f6479223a7b2273746b43616c6c6261636b223a7b224d65726368616e74526571756573744944223a22373866362d393032642d366338302d656534316531336561663530653265353330222c22436865636b6f7574526571756573744944223a2277735f434f5f3038313232303236303431313432383231373130303030323734222c22526573756c74436f6465223a302c22526573756c7444657363223a22546865207365727669636520726571756573742069732070726f636573736564207375636365737366756c6c792e222c2243616c6c6261636b4d65746164617461223a7b224974656d223a5b7b224e616d65223a22416d6f756e74222c2256616c7565223a363530302e30307d2c7b224e616d65223a224d70657361526563656970744e756d626572222c2256616c7565223a2254564e5953554842464d227d2c7b224e616d65223a2242616c616e6365227d2c7b224e616d65223a225472616e73616374696f6e44617465222c2256616c7565223a32303236313230383034313134337d2c7b224e616d65223a2250686f6e654e756d626572222c2256616c7565223a3235343731303030303237347d5d7d7d7d7d', 'ws_CO_08122026041142821710000274', '2026-12-08 01:11:43.384813+00', 'applied', NULL, 0, '-infinity'),
	(4, 'stk', '2026-12-08 01:11:43.377717+00', '127.0.0.1', '{"accept": "application/json", "content-type": "application/json", "content-length": "442", "businessshortcode": "174379"}', '\x7b22426f6479223a7b2273746b43616c6c6261636b223a7b224d65726368616e74526571756573744944223a22343634652d656565372d633366632d663432346534353461323037663363393761222c22436865636b6f7574526571756573744944223a2277735f434f5f3038313232303236303431313432383235373130303030343131222c22526573756c74436f6465223a302c22526573756c7444657363223a22546865207365727669636520726571756573742069732070726f636573736564207375636365737366756c6c792e222c2243616c6c6261636b4d65746164617461223a7b224974656d223a5b7b224e616d65223a22416d6f756e74222c2256616c7565223a363530302e30307d2c7b224e616d65223a224d70657361526563656970744e756d626572222c2256616c7565223a22543145525a324b50594b227d2c7b224e616d65223a2242616c616e6365227d2c7b224e616d65223a225472616e73616374696f6e44617465222c2256616c7565223a32303236313230383034313134337d2c7b224e616d65223a2250686f6e654e756d626572222c2256616c7565223a3235343731303030303431317d5d7d7d7d7d', 'ws_CO_08122026041142825710000411', '2026-12-08 01:11:43.384813+00', 'applied', NULL, 0, '-infinity'),
	(5, 'stk', '2026-12-08 01:11:43.38747+00', '127.0.0.1', '{"accept": "application/json", "content-type": "application/json", "content-length": "442", "businessshortcode": "174379"}', '\x7b22426f6479223a7b2273746b43616c6c6261636b223a7b224d65726368616e74526571756573744944223a22333532652d313233612d663061612d336536386464383762306336323061616661222c22436865636b6f7574526571756573744944223a2277735f434f5f3038313232303236303431313432383239373130303030353438222c22526573756c74436f6465223a302c22526573756c7444657363223a22546865207365727669636520726571756573742069732070726f636573736564207375636365737366756c6c792e222c2243616c6c6261636b4d65746164617461223a7b224974656d223a5b7b224e616d65223a22416d6f756e74222c2256616c7565223a353030302e30307d2c7b224e616d65223a224d70657361526563656970744e756d626572222c2256616c7565223a2254505536385450564731227d2c7b224e616d65223a2242616c616e6365227d2c7b224e616d65223a225472616e73616374696f6e44617465222c2256616c7565223a32303236313230383034313134337d2c7b224e616d65223a2250686f6e654e756d626572222c2256616c7565223a3235343731303030303534387d5d7d7d7d7d', 'ws_CO_08122026041142829710000548', '2026-12-08 01:11:43.412887+00', 'applied', NULL, 0, '-infinity'),
	(6, 'stk', '2026-12-08 01:11:43.389505+00', '127.0.0.1', '{"accept": "application/json", "content-type": "application/json", "content-length": "442", "businessshortcode": "174379"}', '\x7b22426f6479223a7b2273746b43616c6c6261636b223a7b224d65726368616e74526571756573744944223a22636662322d663735642d613239622d643062356662383030656333666533643162222c22436865636b6f7574526571756573744944223a2277735f434f5f3038313232303236303431313432383333373130303030363835222c22526573756c74436f6465223a302c22526573756c7444657363223a22546865207365727669636520726571756573742069732070726f636573736564207375636365737366756c6c792e222c2243616c6c6261636b4d65746164617461223a7b224974656d223a5b7b224e616d65223a22416d6f756e74222c2256616c7565223a393030302e30307d2c7b224e616d65223a224d70657361526563656970744e756d626572222c2256616c7565223a22544658525a4344534d39227d2c7b224e616d65223a2242616c616e6365227d2c7b224e616d65223a225472616e73616374696f6e44617465222c2256616c7565223a32303236313230383034313134337d2c7b224e616d65223a2250686f6e654e756d626572222c2256616c7565223a3235343731303030303638357d5d7d7d7d7d', 'ws_CO_08122026041142833710000685', '2026-12-08 01:11:43.412887+00', 'applied', NULL, 0, '-infinity'),
	(9, 'stk', '2026-12-08 01:11:43.415781+00', '127.0.0.1', '{"accept": "application/json", "content-type": "application/json", "content-length": "208", "businessshortcode": "174379"}', '\x7b22426f6479223a7b2273746b43616c6c6261636b223a7b224d65726368616e74526571756573744944223a22636365332d663937652d663662642d633132313130343435306332656533333039222c22436865636b6f7574526571756573744944223a2277735f434f5f3038313232303236303431313432383634373130303031363434222c22526573756c74436f6465223a323030312c22526573756c7444657363223a2254686520696e69746961746f7220696e666f726d6174696f6e20697320696e76616c69642e227d7d7d', 'ws_CO_08122026041142864710001644', '2026-12-08 01:11:43.42216+00', 'applied', NULL, 0, '-infinity'),
	(10, 'stk', '2026-12-08 01:11:43.418789+00', '127.0.0.1', '{"accept": "application/json", "content-type": "application/json", "content-length": "442", "businessshortcode": "174379"}', '\x7b22426f6479223a7b2273746b43616c6c6261636b223a7b224d65726368616e74526571756573744944223a22303735362d323833312d383234612d386536346433376261333438616161353335222c22436865636b6f7574526571756573744944223a2277735f434f5f3038313232303236303431313432383436373130303031303936222c22526573756c74436f6465223a302c22526573756c7444657363223a22546865207365727669636520726571756573742069732070726f636573736564207375636365737366756c6c792e222c2243616c6c6261636b4d65746164617461223a7b224974656d223a5b7b224e616d65223a22416d6f756e74222c2256616c7565223a353030302e30307d2c7b224e616d65223a224d70657361526563656970744e756d626572222c2256616c7565223a2254465251544652314f4d227d2c7b224e616d65223a2242616c616e6365227d2c7b224e616d65223a225472616e73616374696f6e44617465222c2256616c7565223a32303236313230383034313134337d2c7b224e616d65223a2250686f6e654e756d626572222c2256616c7565223a3235343731303030313039367d5d7d7d7d7d', 'ws_CO_08122026041142846710001096', '2026-12-08 01:11:43.42216+00', 'duplicate', NULL, 0, '-infinity'),
	(7, 'stk', '2026-12-08 01:11:43.397685+00', '127.0.0.1', '{"accept": "application/json", "content-type": "application/json", "content-length": "442", "businessshortcode": "174379"}', '\x7b22426f6479223a7b2273746b43616c6c6261636b223a7b224d65726368616e74526571756573744944223a22303735362d323833312d383234612d386536346433376261333438616161353335222c22436865636b6f7574526571756573744944223a2277735f434f5f3038313232303236303431313432383436373130303031303936222c22526573756c74436f6465223a302c22526573756c7444657363223a22546865207365727669636520726571756573742069732070726f636573736564207375636365737366756c6c792e222c2243616c6c6261636b4d65746164617461223a7b224974656d223a5b7b224e616d65223a22416d6f756e74222c2256616c7565223a353030302e30307d2c7b224e616d65223a224d70657361526563656970744e756d626572222c2256616c7565223a2254465251544652314f4d227d2c7b224e616d65223a2242616c616e6365227d2c7b224e616d65223a225472616e73616374696f6e44617465222c2256616c7565223a32303236313230383034313134337d2c7b224e616d65223a2250686f6e654e756d626572222c2256616c7565223a3235343731303030313039367d5d7d7d7d7d', 'ws_CO_08122026041142846710001096', '2026-12-08 01:11:43.412887+00', 'applied', NULL, 0, '-infinity'),
	(8, 'stk', '2026-12-08 01:11:43.408364+00', '127.0.0.1', '{"accept": "application/json", "content-type": "application/json", "content-length": "196", "businessshortcode": "174379"}', '\x7b22426f6479223a7b2273746b43616c6c6261636b223a7b224d65726368616e74526571756573744944223a22316337642d613833342d373636622d613631636336646238366231363239666466222c22436865636b6f7574526571756573744944223a2277735f434f5f3038313232303236303431313432383535373130303031333730222c22526573756c74436f6465223a313033322c22526573756c7444657363223a22526571756573742063616e63656c6c65642062792075736572227d7d7d', 'ws_CO_08122026041142855710001370', '2026-12-08 01:11:43.412887+00', 'applied', NULL, 0, '-infinity'),
	(14, 'b2c_result', '2026-12-08 01:11:45.826721+00', '127.0.0.1', '{"accept": "application/json", "content-type": "application/json", "content-length": "908", "businessshortcode": "174379"}', '\x7b22526573756c74223a7b22526573756c7454797065223a302c22526573756c74436f6465223a302c22526573756c7444657363223a22546865207365727669636520726571756573742069732070726f636573736564207375636365737366756c6c792e222c224f726967696e61746f72436f6e766572736174696f6e4944223a2237313634613236312d653935342d343135642d623536312d646462653433636263333936222c22436f6e766572736174696f6e4944223a2241475f32303236313230383034313134355f3430333835303736643839333564363130666337222c225472616e73616374696f6e4944223a225447314b4a49365a3534222c22526573756c74506172616d6574657273223a7b22526573756c74506172616d65746572223a5b7b224b6579223a225472616e73616374696f6e416d6f756e74222c2256616c7565223a353030307d2c7b224b6579223a225472616e73616374696f6e52656365697074222c2256616c7565223a225447314b4a49365a3534227d2c7b224b6579223a22526563656976657250617274795075626c69634e616d65222c2256616c7565223a22323534373130303031393138202d204e4727414e472741204c4541524e4552227d2c7b224b6579223a225472616e73616374696f6e436f6d706c657465644461746554696d65222c2256616c7565223a2230382e31322e323032362030343a31313a3435227d2c7b224b6579223a224232435574696c6974794163636f756e74417661696c61626c6546756e6473222c2256616c7565223a31303131362e30307d2c7b224b6579223a22423243576f726b696e674163636f756e74417661696c61626c6546756e6473222c2256616c7565223a3930303030302e30307d2c7b224b6579223a22423243526563697069656e74497352656769737465726564437573746f6d6572222c2256616c7565223a2259227d2c7b224b6579223a2242324343686172676573506169644163636f756e74417661696c61626c6546756e6473222c2256616c7565223a2d343531302e30307d5d7d2c225265666572656e636544617461223a7b225265666572656e63654974656d223a7b224b6579223a22517565756554696d656f757455524c222c2256616c7565223a2268747470733a2f2f696e7465726e616c73616e64626f782e736166617269636f6d2e636f2e6b652f6d706573612f623263726573756c74732f76312f7375626d6974227d7d7d7d', '7164a261-e954-415d-b561-ddbe43cbc396', '2026-12-08 01:11:45.828241+00', 'applied', NULL, 0, '-infinity'),
	(11, 'stk', '2026-12-08 01:11:43.420972+00', '127.0.0.1', '{"accept": "application/json", "content-type": "application/json", "content-length": "216", "businessshortcode": "174379"}', '\x7b22426f6479223a7b2273746b43616c6c6261636b223a7b224d65726368616e74526571756573744944223a22663539352d323830312d303262662d626530616531323237353066323566653137222c22436865636b6f7574526571756573744944223a2277735f434f5f3038313232303236303431313432383639373130303031373831222c22526573756c74436f6465223a312c22526573756c7444657363223a225468652062616c616e636520697320696e73756666696369656e7420666f7220746865207472616e73616374696f6e2e227d7d7d', 'ws_CO_08122026041142869710001781', '2026-12-08 01:11:43.42216+00', 'applied', NULL, 0, '-infinity'),
	(12, 'stk', '2026-12-08 01:11:43.426091+00', '127.0.0.1', '{"accept": "application/json", "content-type": "application/json", "content-length": "442", "businessshortcode": "174379"}', '\x7b22426f6479223a7b2273746b43616c6c6261636b223a7b224d65726368616e74526571756573744944223a22363466322d623432642d313438302d323833376365353563383563306338613632222c22436865636b6f7574526571756573744944223a2277735f434f5f3038313232303236303431313432383734373130303031393138222c22526573756c74436f6465223a302c22526573756c7444657363223a22546865207365727669636520726571756573742069732070726f636573736564207375636365737366756c6c792e222c2243616c6c6261636b4d65746164617461223a7b224974656d223a5b7b224e616d65223a22416d6f756e74222c2256616c7565223a353030302e30307d2c7b224e616d65223a224d70657361526563656970744e756d626572222c2256616c7565223a22544d33464f454f583442227d2c7b224e616d65223a2242616c616e6365227d2c7b224e616d65223a225472616e73616374696f6e44617465222c2256616c7565223a32303236313230383034313134337d2c7b224e616d65223a2250686f6e654e756d626572222c2256616c7565223a3235343731303030313931387d5d7d7d7d7d', 'ws_CO_08122026041142874710001918', '2026-12-08 01:11:43.428916+00', 'applied', NULL, 0, '-infinity'),
	(13, 'stk', '2026-12-08 01:11:43.429133+00', '127.0.0.1', '{"accept": "application/json", "content-type": "application/json", "content-length": "442", "businessshortcode": "174379"}', '\x7b22426f6479223a7b2273746b43616c6c6261636b223a7b224d65726368616e74526571756573744944223a22326233332d633838362d343934392d666166376436646130633730366436373633222c22436865636b6f7574526571756573744944223a2277735f434f5f3038313232303236303431313432383737373130303032303535222c22526573756c74436f6465223a302c22526573756c7444657363223a22546865207365727669636520726571756573742069732070726f636573736564207375636365737366756c6c792e222c2243616c6c6261636b4d65746164617461223a7b224974656d223a5b7b224e616d65223a22416d6f756e74222c2256616c7565223a383030302e30307d2c7b224e616d65223a224d70657361526563656970744e756d626572222c2256616c7565223a2254394b374a464c583251227d2c7b224e616d65223a2242616c616e6365227d2c7b224e616d65223a225472616e73616374696f6e44617465222c2256616c7565223a32303236313230383034313134337d2c7b224e616d65223a2250686f6e654e756d626572222c2256616c7565223a3235343731303030323035357d5d7d7d7d7d', 'ws_CO_08122026041142877710002055', '2026-12-08 01:11:43.428916+00', 'applied', NULL, 0, '-infinity'),
	(15, 'b2c_result', '2026-12-08 01:11:45.837417+00', '127.0.0.1', '{"accept": "application/json", "content-type": "application/json", "content-length": "908", "businessshortcode": "174379"}', '\x7b22526573756c74223a7b22526573756c7454797065223a302c22526573756c74436f6465223a302c22526573756c7444657363223a22546865207365727669636520726571756573742069732070726f636573736564207375636365737366756c6c792e222c224f726967696e61746f72436f6e766572736174696f6e4944223a2265643138373632642d316432332d346461392d386630332d613335316139333738383065222c22436f6e766572736174696f6e4944223a2241475f32303236313230383034313134355f6637616163323630613731343364316135656336222c225472616e73616374696f6e4944223a2254394e37324e3047594e222c22526573756c74506172616d6574657273223a7b22526573756c74506172616d65746572223a5b7b224b6579223a225472616e73616374696f6e416d6f756e74222c2256616c7565223a313530307d2c7b224b6579223a225472616e73616374696f6e52656365697074222c2256616c7565223a2254394e37324e3047594e227d2c7b224b6579223a22526563656976657250617274795075626c69634e616d65222c2256616c7565223a22323534373130303032303535202d204e4727414e472741204c4541524e4552227d2c7b224b6579223a225472616e73616374696f6e436f6d706c657465644461746554696d65222c2256616c7565223a2230382e31322e323032362030343a31313a3435227d2c7b224b6579223a224232435574696c6974794163636f756e74417661696c61626c6546756e6473222c2256616c7565223a31303131362e30307d2c7b224b6579223a22423243576f726b696e674163636f756e74417661696c61626c6546756e6473222c2256616c7565223a3930303030302e30307d2c7b224b6579223a22423243526563697069656e74497352656769737465726564437573746f6d6572222c2256616c7565223a2259227d2c7b224b6579223a2242324343686172676573506169644163636f756e74417661696c61626c6546756e6473222c2256616c7565223a2d343531302e30307d5d7d2c225265666572656e636544617461223a7b225265666572656e63654974656d223a7b224b6579223a22517565756554696d656f757455524c222c2256616c7565223a2268747470733a2f2f696e7465726e616c73616e64626f782e736166617269636f6d2e636f2e6b652f6d706573612f623263726573756c74732f76312f7375626d6974227d7d7d7d', 'ed18762d-1d23-4da9-8f03-a351a937880e', '2026-12-08 01:11:45.839023+00', 'applied', NULL, 0, '-infinity'),
	(16, 'stk', '2026-12-08 01:11:49.402302+00', '127.0.0.1', '{"accept": "application/json", "content-type": "application/json", "content-length": "442", "businessshortcode": "174379"}', '\x7b22426f6479223a7b2273746b43616c6c6261636b223a7b224d65726368616e74526571756573744944223a22366561642d363039642d666263612d303131303333636163633132373965623863222c22436865636b6f7574526571756573744944223a2277735f434f5f3038313232303236303431313432383530373130303031323333222c22526573756c74436f6465223a302c22526573756c7444657363223a22546865207365727669636520726571756573742069732070726f636573736564207375636365737366756c6c792e222c2243616c6c6261636b4d65746164617461223a7b224974656d223a5b7b224e616d65223a22416d6f756e74222c2256616c7565223a363530302e30307d2c7b224e616d65223a224d70657361526563656970744e756d626572222c2256616c7565223a2254523253515751495546227d2c7b224e616d65223a2242616c616e6365227d2c7b224e616d65223a225472616e73616374696f6e44617465222c2256616c7565223a32303236313230383034313134337d2c7b224e616d65223a2250686f6e654e756d626572222c2256616c7565223a3235343731303030313233337d5d7d7d7d7d', 'ws_CO_08122026041142850710001233', '2026-12-08 01:11:49.403695+00', 'applied', NULL, 0, '-infinity');


--
-- Data for Name: console_sessions; Type: TABLE DATA; Schema: public; Owner: -
--



--
-- Data for Name: courses; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.courses VALUES
	(1, 'German A1', 5000.00, true),
	(2, 'German A2', 6500.00, true),
	(3, 'Business German', 9000.00, true);


--
-- Data for Name: enrollments; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.enrollments VALUES
	(1, 7, 3, NULL, 'active', '2026-12-08 01:11:42.78734+00'),
	(2, 1, 1, 1, 'active', '2026-12-08 01:11:43.361899+00'),
	(3, 2, 1, 2, 'active', '2026-12-08 01:11:43.384813+00'),
	(4, 3, 2, 3, 'active', '2026-12-08 01:11:43.384813+00'),
	(5, 4, 2, 4, 'active', '2026-12-08 01:11:43.384813+00'),
	(6, 5, 1, 5, 'active', '2026-12-08 01:11:43.412887+00'),
	(7, 6, 3, 6, 'active', '2026-12-08 01:11:43.412887+00'),
	(8, 9, 1, 9, 'active', '2026-12-08 01:11:43.412887+00'),
	(10, 6, 2, 16, 'active', '2026-12-08 01:11:43.428916+00'),
	(11, 7, 1, 7, 'active', '2026-12-08 01:11:45.414544+00'),
	(12, 8, 2, 8, 'active', '2026-12-08 01:11:45.469621+00'),
	(13, 10, 2, 10, 'active', '2026-12-08 01:11:45.515035+00');


--
-- Data for Name: job_runs; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.job_runs VALUES
	(1, 'run', '2026-12-08 01:11:45.400759+00', '2026-12-08 01:11:45.644051+00', 'succeeded', '{"settle": {"failed": 1, "claimed": 4, "unknown": 0, "backoffs": 0, "orphaned": 0, "completed": 3, "throttled": 0, "claims_lost": 0, "still_pending": 0, "token_refused": 0, "not_understood": 0, "transport_failures": 0, "elapsed_milliseconds": 161}, "refunds": {"resent": 0, "claimed": 0, "refused": 0, "accepted": 0, "throttled": 0, "uncertain": 0, "status_checks": 0, "already_accepted": 0, "handed_to_person": 0, "elapsed_milliseconds": 0, "status_check_failures": 0}, "reports": ["/tmp/mpesa-recon-upgrade-fixture.TOZOLi/reports/2026-12-08_2026-12-08/summary.csv", "/tmp/mpesa-recon-upgrade-fixture.TOZOLi/reports/2026-12-08_2026-12-08/settled.csv", "/tmp/mpesa-recon-upgrade-fixture.TOZOLi/reports/2026-12-08_2026-12-08/exceptions.csv", "/tmp/mpesa-recon-upgrade-fixture.TOZOLi/reports/2026-12-08_2026-12-08/refunds.csv", "/tmp/mpesa-recon-upgrade-fixture.TOZOLi/reports/2026-12-08_2026-12-08/pending.csv", "/tmp/mpesa-recon-upgrade-fixture.TOZOLi/reports/2026-12-08_2026-12-08/statement.csv", "/tmp/mpesa-recon-upgrade-fixture.TOZOLi/reports/2026-12-08_2026-12-08/mpesa-recon-2026-12-08_2026-12-08.xlsx"], "problems": [], "reconcile": {"opened": 3, "enrolled": 0, "findings": {"overpaid": 1, "duplicate_payment": 1, "enrolled_not_paid": 1}, "resolved": 0, "statement": {"totals": {"lines": 0, "paid_in": {"minor_units": 0}, "by_class": {}, "withdrawn": {"minor_units": 0}, "ours_matched": {"minor_units": 0}, "customer_lines": 0, "customer_paid_in": {"minor_units": 0}, "matched_customer_paid_in": {"minor_units": 0}}, "matched": 0, "findings": {}, "refund_fees": 0, "receipts_filled": 0, "statement_only_amount": {"minor_units": 0}, "customer_lines_tie_out": true}, "pairs_judged": 3, "refunds_refused": 0, "callbacks_judged": 0, "refunds_proposed": 2, "elapsed_milliseconds": 27}, "callbacks_applied": 0}'),
	(2, 'run', '2026-12-08 01:11:45.673611+00', '2026-12-08 01:11:45.759872+00', 'succeeded', '{"settle": {"failed": 0, "claimed": 0, "unknown": 0, "backoffs": 0, "orphaned": 0, "completed": 0, "throttled": 0, "claims_lost": 0, "still_pending": 0, "token_refused": 0, "not_understood": 0, "transport_failures": 0, "elapsed_milliseconds": 1}, "refunds": {"resent": 0, "claimed": 2, "refused": 0, "accepted": 2, "throttled": 0, "uncertain": 0, "status_checks": 0, "already_accepted": 0, "handed_to_person": 0, "elapsed_milliseconds": 40, "status_check_failures": 0}, "reports": ["/tmp/mpesa-recon-upgrade-fixture.TOZOLi/reports/2026-12-08_2026-12-08/summary.csv", "/tmp/mpesa-recon-upgrade-fixture.TOZOLi/reports/2026-12-08_2026-12-08/settled.csv", "/tmp/mpesa-recon-upgrade-fixture.TOZOLi/reports/2026-12-08_2026-12-08/exceptions.csv", "/tmp/mpesa-recon-upgrade-fixture.TOZOLi/reports/2026-12-08_2026-12-08/refunds.csv", "/tmp/mpesa-recon-upgrade-fixture.TOZOLi/reports/2026-12-08_2026-12-08/pending.csv", "/tmp/mpesa-recon-upgrade-fixture.TOZOLi/reports/2026-12-08_2026-12-08/statement.csv", "/tmp/mpesa-recon-upgrade-fixture.TOZOLi/reports/2026-12-08_2026-12-08/mpesa-recon-2026-12-08_2026-12-08.xlsx"], "problems": [], "reconcile": {"opened": 0, "enrolled": 0, "findings": {"overpaid": 1, "duplicate_payment": 1, "enrolled_not_paid": 1}, "resolved": 0, "statement": {"totals": {"lines": 0, "paid_in": {"minor_units": 0}, "by_class": {}, "withdrawn": {"minor_units": 0}, "ours_matched": {"minor_units": 0}, "customer_lines": 0, "customer_paid_in": {"minor_units": 0}, "matched_customer_paid_in": {"minor_units": 0}}, "matched": 0, "findings": {}, "refund_fees": 0, "receipts_filled": 0, "statement_only_amount": {"minor_units": 0}, "customer_lines_tie_out": true}, "pairs_judged": 3, "refunds_refused": 0, "callbacks_judged": 0, "refunds_proposed": 0, "elapsed_milliseconds": 18}, "callbacks_applied": 0}'),
	(3, 'run', '2026-12-08 01:11:49.425908+00', '2026-12-08 01:11:49.46936+00', 'succeeded', '{"settle": {"failed": 0, "claimed": 0, "unknown": 0, "backoffs": 0, "orphaned": 0, "completed": 0, "throttled": 0, "claims_lost": 0, "still_pending": 0, "token_refused": 0, "not_understood": 0, "transport_failures": 0, "elapsed_milliseconds": 1}, "refunds": {"resent": 0, "claimed": 0, "refused": 0, "accepted": 0, "throttled": 0, "uncertain": 0, "status_checks": 0, "already_accepted": 0, "handed_to_person": 0, "elapsed_milliseconds": 0, "status_check_failures": 0}, "reports": ["/tmp/mpesa-recon-upgrade-fixture.TOZOLi/reports/2026-12-08_2026-12-08/summary.csv", "/tmp/mpesa-recon-upgrade-fixture.TOZOLi/reports/2026-12-08_2026-12-08/settled.csv", "/tmp/mpesa-recon-upgrade-fixture.TOZOLi/reports/2026-12-08_2026-12-08/exceptions.csv", "/tmp/mpesa-recon-upgrade-fixture.TOZOLi/reports/2026-12-08_2026-12-08/refunds.csv", "/tmp/mpesa-recon-upgrade-fixture.TOZOLi/reports/2026-12-08_2026-12-08/pending.csv", "/tmp/mpesa-recon-upgrade-fixture.TOZOLi/reports/2026-12-08_2026-12-08/statement.csv", "/tmp/mpesa-recon-upgrade-fixture.TOZOLi/reports/2026-12-08_2026-12-08/mpesa-recon-2026-12-08_2026-12-08.xlsx"], "problems": [], "reconcile": {"opened": 0, "enrolled": 0, "findings": {"enrolled_not_paid": 1}, "resolved": 2, "statement": {"totals": {"lines": 0, "paid_in": {"minor_units": 0}, "by_class": {}, "withdrawn": {"minor_units": 0}, "ours_matched": {"minor_units": 0}, "customer_lines": 0, "customer_paid_in": {"minor_units": 0}, "matched_customer_paid_in": {"minor_units": 0}}, "matched": 0, "findings": {}, "refund_fees": 0, "receipts_filled": 0, "statement_only_amount": {"minor_units": 0}, "customer_lines_tie_out": true}, "pairs_judged": 3, "refunds_refused": 0, "callbacks_judged": 0, "refunds_proposed": 0, "elapsed_milliseconds": 8}, "callbacks_applied": 0}'),
	(4, 'run', '2026-12-08 01:11:49.503205+00', '2026-12-08 01:11:49.545378+00', 'succeeded', '{"settle": {"failed": 0, "claimed": 0, "unknown": 0, "backoffs": 0, "orphaned": 0, "completed": 0, "throttled": 0, "claims_lost": 0, "still_pending": 0, "token_refused": 0, "not_understood": 0, "transport_failures": 0, "elapsed_milliseconds": 0}, "refunds": {"resent": 0, "claimed": 0, "refused": 0, "accepted": 0, "throttled": 0, "uncertain": 0, "status_checks": 0, "already_accepted": 0, "handed_to_person": 0, "elapsed_milliseconds": 0, "status_check_failures": 0}, "reports": ["/tmp/mpesa-recon-upgrade-fixture.TOZOLi/reports/2026-12-08_2026-12-08/summary.csv", "/tmp/mpesa-recon-upgrade-fixture.TOZOLi/reports/2026-12-08_2026-12-08/settled.csv", "/tmp/mpesa-recon-upgrade-fixture.TOZOLi/reports/2026-12-08_2026-12-08/exceptions.csv", "/tmp/mpesa-recon-upgrade-fixture.TOZOLi/reports/2026-12-08_2026-12-08/refunds.csv", "/tmp/mpesa-recon-upgrade-fixture.TOZOLi/reports/2026-12-08_2026-12-08/pending.csv", "/tmp/mpesa-recon-upgrade-fixture.TOZOLi/reports/2026-12-08_2026-12-08/statement.csv", "/tmp/mpesa-recon-upgrade-fixture.TOZOLi/reports/2026-12-08_2026-12-08/mpesa-recon-2026-12-08_2026-12-08.xlsx"], "problems": [], "reconcile": {"opened": 0, "enrolled": 0, "findings": {"enrolled_not_paid": 1}, "resolved": 0, "statement": {"totals": {"lines": 17, "paid_in": {"minor_units": 7300000}, "by_class": {"sweep": 1, "charge": 2, "refund": 2, "payment": 12}, "withdrawn": {"minor_units": 7300000}, "ours_matched": {"minor_units": 7300000}, "customer_lines": 12, "customer_paid_in": {"minor_units": 7300000}, "matched_customer_paid_in": {"minor_units": 7300000}}, "matched": 0, "findings": {}, "refund_fees": 0, "receipts_filled": 0, "statement_only_amount": {"minor_units": 0}, "customer_lines_tie_out": true}, "pairs_judged": 3, "refunds_refused": 0, "callbacks_judged": 0, "refunds_proposed": 0, "elapsed_milliseconds": 6}, "callbacks_applied": 0}');


--
-- Data for Name: login_failures; Type: TABLE DATA; Schema: public; Owner: -
--



--
-- Data for Name: mpesa_configurations; Type: TABLE DATA; Schema: public; Owner: -
--



--
-- Data for Name: payment_decisions; Type: TABLE DATA; Schema: public; Owner: -
--



--
-- Data for Name: payment_events; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.payment_events VALUES
	(1, 1, '2026-12-08 01:11:42.789289+00', 'pay', NULL, 'pending', '{"summary": "created"}'),
	(2, 2, '2026-12-08 01:11:42.813529+00', 'pay', NULL, 'pending', '{"summary": "created"}'),
	(3, 3, '2026-12-08 01:11:42.819379+00', 'pay', NULL, 'pending', '{"summary": "created"}'),
	(4, 4, '2026-12-08 01:11:42.823935+00', 'pay', NULL, 'pending', '{"summary": "created"}'),
	(5, 5, '2026-12-08 01:11:42.828276+00', 'pay', NULL, 'pending', '{"summary": "created"}'),
	(6, 6, '2026-12-08 01:11:42.83242+00', 'pay', NULL, 'pending', '{"summary": "created"}'),
	(7, 7, '2026-12-08 01:11:42.836306+00', 'pay', NULL, 'pending', '{"summary": "created"}'),
	(8, 8, '2026-12-08 01:11:42.840079+00', 'pay', NULL, 'pending', '{"summary": "created"}'),
	(9, 9, '2026-12-08 01:11:42.844393+00', 'pay', NULL, 'pending', '{"summary": "created"}'),
	(10, 10, '2026-12-08 01:11:42.849116+00', 'pay', NULL, 'pending', '{"summary": "created"}'),
	(11, 11, '2026-12-08 01:11:42.85389+00', 'pay', NULL, 'pending', '{"summary": "created"}'),
	(12, 12, '2026-12-08 01:11:42.858071+00', 'pay', NULL, 'pending', '{"summary": "created"}'),
	(13, 13, '2026-12-08 01:11:42.862002+00', 'pay', NULL, 'pending', '{"summary": "created"}'),
	(14, 14, '2026-12-08 01:11:42.86782+00', 'pay', NULL, 'pending', '{"summary": "created"}'),
	(15, 15, '2026-12-08 01:11:42.872695+00', 'pay', NULL, 'pending', '{"summary": "created"}'),
	(16, 16, '2026-12-08 01:11:42.876487+00', 'pay', NULL, 'pending', '{"summary": "created"}'),
	(17, 1, '2026-12-08 01:11:43.361899+00', 'callback', 'pending', 'completed', '{"receipt": "TH9SQCFNE7", "summary": "completed", "inbox_id": "1", "result_code": "0"}'),
	(18, 2, '2026-12-08 01:11:43.384813+00', 'callback', 'pending', 'completed', '{"receipt": "T2F840BEST", "summary": "completed", "inbox_id": "2", "result_code": "0"}'),
	(19, 3, '2026-12-08 01:11:43.384813+00', 'callback', 'pending', 'completed', '{"receipt": "TVNYSUHBFM", "summary": "completed", "inbox_id": "3", "result_code": "0"}'),
	(20, 4, '2026-12-08 01:11:43.384813+00', 'callback', 'pending', 'completed', '{"receipt": "T1ERZ2KPYK", "summary": "completed", "inbox_id": "4", "result_code": "0"}'),
	(21, 5, '2026-12-08 01:11:43.412887+00', 'callback', 'pending', 'completed', '{"receipt": "TPU68TPVG1", "summary": "completed", "inbox_id": "5", "result_code": "0"}'),
	(22, 6, '2026-12-08 01:11:43.412887+00', 'callback', 'pending', 'completed', '{"receipt": "TFXRZCDSM9", "summary": "completed", "inbox_id": "6", "result_code": "0"}'),
	(23, 9, '2026-12-08 01:11:43.412887+00', 'callback', 'pending', 'completed', '{"receipt": "TFRQTFR1OM", "summary": "completed", "inbox_id": "7", "result_code": "0"}'),
	(24, 11, '2026-12-08 01:11:43.412887+00', 'callback', 'pending', 'failed', '{"summary": "failed: cancelledByUser", "inbox_id": "8", "result_code": "1032"}'),
	(25, 13, '2026-12-08 01:11:43.42216+00', 'callback', 'pending', 'failed', '{"summary": "failed: wrongPin", "inbox_id": "9", "result_code": "2001"}'),
	(26, 14, '2026-12-08 01:11:43.42216+00', 'callback', 'pending', 'failed', '{"summary": "failed: insufficientBalance", "inbox_id": "11", "result_code": "1"}'),
	(27, 15, '2026-12-08 01:11:43.428916+00', 'callback', 'pending', 'completed', '{"receipt": "TM3FOEOX4B", "summary": "completed", "inbox_id": "12", "result_code": "0"}'),
	(28, 16, '2026-12-08 01:11:43.428916+00', 'callback', 'pending', 'completed', '{"receipt": "T9K7JFLX2Q", "summary": "completed", "inbox_id": "13", "result_code": "0"}'),
	(29, 7, '2026-12-08 01:11:45.414544+00', 'query', 'pending', 'completed', '{"summary": "completed, receipt pending", "result_code": "0"}'),
	(30, 8, '2026-12-08 01:11:45.469621+00', 'query', 'pending', 'completed', '{"summary": "completed, receipt pending", "result_code": "0"}'),
	(31, 10, '2026-12-08 01:11:45.515035+00', 'query', 'pending', 'completed', '{"summary": "completed, receipt pending", "result_code": "0"}'),
	(32, 12, '2026-12-08 01:11:45.56631+00', 'query', 'pending', 'failed', '{"summary": "failed: noResponse", "result_code": "1037"}'),
	(33, 10, '2026-12-08 01:11:49.403695+00', 'callback', 'completed', 'completed', '{"receipt": "TR2SQWQIUF", "summary": "receipt filled in", "inbox_id": "16", "result_code": "0"}'),
	(34, 7, '2026-12-08 01:11:49.48073+00', 'reconcile', 'completed', 'completed', '{"receipt": "T0PRKAKUTD", "summary": "receipt filled from the M-Pesa statement"}'),
	(35, 8, '2026-12-08 01:11:49.48073+00', 'reconcile', 'completed', 'completed', '{"receipt": "TZOFHJ7QAX", "summary": "receipt filled from the M-Pesa statement"}');


--
-- Data for Name: payments; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.payments VALUES
	(1, 1, 1, 5000.00, '254710000000', 'ws_CO_08122026041142806710000000', 'ec77-68b2-c8ed-67254beaf6c2828a1b', 'completed', '0', 'paid', 'TH9SQCFNE7', 5000.00, '254710000000', '2026-12-08 01:11:43+00', 'callback', 0, NULL, 'paid', '2026-12-08 01:11:42.789289+00', '2026-12-08 01:11:43.361899+00', NULL),
	(2, 2, 1, 5000.00, '254710000137', 'ws_CO_08122026041142815710000137', 'a1e3-5ba9-4be7-34f45f1c5c95c6de11', 'completed', '0', 'paid', 'T2F840BEST', 5000.00, '254710000137', '2026-12-08 01:11:43+00', 'callback', 0, NULL, 'paid', '2026-12-08 01:11:42.813529+00', '2026-12-08 01:11:43.384813+00', NULL),
	(3, 3, 2, 6500.00, '254710000274', 'ws_CO_08122026041142821710000274', '78f6-902d-6c80-ee41e13eaf50e2e530', 'completed', '0', 'paid', 'TVNYSUHBFM', 6500.00, '254710000274', '2026-12-08 01:11:43+00', 'callback', 0, NULL, 'paid', '2026-12-08 01:11:42.819379+00', '2026-12-08 01:11:43.384813+00', NULL),
	(4, 4, 2, 6500.00, '254710000411', 'ws_CO_08122026041142825710000411', '464e-eee7-c3fc-f424e454a207f3c97a', 'completed', '0', 'paid', 'T1ERZ2KPYK', 6500.00, '254710000411', '2026-12-08 01:11:43+00', 'callback', 0, NULL, 'paid', '2026-12-08 01:11:42.823935+00', '2026-12-08 01:11:43.384813+00', NULL),
	(5, 5, 1, 5000.00, '254710000548', 'ws_CO_08122026041142829710000548', '352e-123a-f0aa-3e68dd87b0c620aafa', 'completed', '0', 'paid', 'TPU68TPVG1', 5000.00, '254710000548', '2026-12-08 01:11:43+00', 'callback', 0, NULL, 'paid', '2026-12-08 01:11:42.828276+00', '2026-12-08 01:11:43.412887+00', NULL),
	(6, 6, 3, 9000.00, '254710000685', 'ws_CO_08122026041142833710000685', 'cfb2-f75d-a29b-d0b5fb800ec3fe3d1b', 'completed', '0', 'paid', 'TFXRZCDSM9', 9000.00, '254710000685', '2026-12-08 01:11:43+00', 'callback', 0, NULL, 'paid', '2026-12-08 01:11:42.83242+00', '2026-12-08 01:11:43.412887+00', NULL),
	(9, 9, 1, 5000.00, '254710001096', 'ws_CO_08122026041142846710001096', '0756-2831-824a-8e64d37ba348aaa535', 'completed', '0', 'paid', 'TFRQTFR1OM', 5000.00, '254710001096', '2026-12-08 01:11:43+00', 'callback', 0, NULL, 'paid', '2026-12-08 01:11:42.844393+00', '2026-12-08 01:11:43.412887+00', NULL),
	(11, 2, 2, 6500.00, '254710001370', 'ws_CO_08122026041142855710001370', '1c7d-a834-766b-a61cc6db86b1629fdf', 'failed', '1032', 'Request cancelled by user', NULL, NULL, NULL, NULL, 'callback', 0, NULL, '1032 cancelledByUser', '2026-12-08 01:11:42.85389+00', '2026-12-08 01:11:43.412887+00', NULL),
	(13, 4, 1, 5000.00, '254710001644', 'ws_CO_08122026041142864710001644', 'cce3-f97e-f6bd-c121104450c2ee3309', 'failed', '2001', 'The initiator information is invalid.', NULL, NULL, NULL, NULL, 'callback', 0, NULL, '2001 wrongPin', '2026-12-08 01:11:42.862002+00', '2026-12-08 01:11:43.42216+00', NULL),
	(14, 5, 2, 6500.00, '254710001781', 'ws_CO_08122026041142869710001781', 'f595-2801-02bf-be0ae122750f25fe17', 'failed', '1', 'The balance is insufficient for the transaction.', NULL, NULL, NULL, NULL, 'callback', 0, NULL, '1 insufficientBalance', '2026-12-08 01:11:42.86782+00', '2026-12-08 01:11:43.42216+00', NULL),
	(15, 1, 1, 5000.00, '254710001918', 'ws_CO_08122026041142874710001918', '64f2-b42d-1480-2837ce55c85c0c8a62', 'completed', '0', 'paid', 'TM3FOEOX4B', 5000.00, '254710001918', '2026-12-08 01:11:43+00', 'callback', 0, NULL, 'paid', '2026-12-08 01:11:42.872695+00', '2026-12-08 01:11:43.428916+00', NULL),
	(16, 6, 2, 8000.00, '254710002055', 'ws_CO_08122026041142877710002055', '2b33-c886-4949-faf7d6da0c706d6763', 'completed', '0', 'paid', 'T9K7JFLX2Q', 8000.00, '254710002055', '2026-12-08 01:11:43+00', 'callback', 0, NULL, 'paid', '2026-12-08 01:11:42.876487+00', '2026-12-08 01:11:43.428916+00', NULL),
	(12, 3, 1, 5000.00, '254710001507', 'ws_CO_08122026041142859710001507', 'aaac-83f4-8b7b-11abdad0a79d7c0c69', 'failed', '1037', 'DS timeout user cannot be reached', NULL, NULL, NULL, NULL, 'query', 0, NULL, '1037 noResponse', '2026-12-08 01:11:42.858071+00', '2026-12-08 01:11:45.56631+00', NULL),
	(10, 10, 2, 6500.00, '254710001233', 'ws_CO_08122026041142850710001233', '6ead-609d-fbca-011033cacc1279eb8c', 'completed', '0', 'paid', 'TR2SQWQIUF', 6500.00, '254710001233', '2026-12-08 01:11:43+00', 'query', 0, NULL, 'paid', '2026-12-08 01:11:42.849116+00', '2026-12-08 01:11:49.403695+00', NULL),
	(7, 7, 1, 5000.00, '254710000822', 'ws_CO_08122026041142837710000822', '3a0c-1810-c68c-13f28ae951673d6542', 'completed', '0', 'paid', 'T0PRKAKUTD', 5000.00, NULL, '2026-12-08 01:11:43+00', 'query', 0, NULL, 'paid', '2026-12-08 01:11:42.836306+00', '2026-12-08 01:11:49.48073+00', NULL),
	(8, 8, 2, 6500.00, '254710000959', 'ws_CO_08122026041142841710000959', 'f353-9815-22eb-0136957f566bb96a4e', 'completed', '0', 'paid', 'TZOFHJ7QAX', 6500.00, NULL, '2026-12-08 01:11:43+00', 'query', 0, NULL, 'paid', '2026-12-08 01:11:42.840079+00', '2026-12-08 01:11:49.48073+00', NULL);


--
-- Data for Name: recon_settings; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.recon_settings VALUES
	('dual_approval_above', 10000.00, '2026-12-08 01:11:42.731519+00');


--
-- Data for Name: reconciliation_exceptions; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.reconciliation_exceptions VALUES
	(1, 'duplicate_payment', 'duplicate_payment:payment:15', 15, NULL, NULL, 0.00, 5000.00, '{"detail": "payment 15 is a second completed payment for learner 1 and course 1 (first: payment 1): refund it"}', 'resolved', 'no longer holds (reconcile)', '2026-12-08 01:11:45.569196+00', '2026-12-08 01:11:45.685512+00', '2026-12-08 01:11:49.433406+00', NULL, NULL),
	(2, 'overpaid', 'overpaid:payment:16', 16, NULL, NULL, 6500.00, 8000.00, '{"detail": "payment 16 paid 8000.00 for a course priced 6500.00: refund the excess of 1500.00"}', 'resolved', 'no longer holds (reconcile)', '2026-12-08 01:11:45.569196+00', '2026-12-08 01:11:45.685512+00', '2026-12-08 01:11:49.433406+00', NULL, NULL),
	(3, 'enrolled_not_paid', 'enrolled_not_paid:enrollment:1', NULL, 1, NULL, 9000.00, NULL, '{"detail": "learner 7 is enrolled in course 3 with no completed payment: a person decides (no money moves)"}', 'open', NULL, '2026-12-08 01:11:45.569196+00', '2026-12-08 01:11:49.5091+00', NULL, NULL, NULL);


--
-- Data for Name: refund_status_checks; Type: TABLE DATA; Schema: public; Owner: -
--



--
-- Data for Name: refunds; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.refunds VALUES
	(1, 15, 1, 5000.00, 'duplicate payment: learner 1 already paid for course 1 with payment 1', 'succeeded', 'mpesa-recon', '2026-12-08 01:11:45.569196+00', 'ann@example.com', '2026-12-08 01:11:45.653855+00', 'bob@example.com', '2026-12-08 01:11:45.65934+00', NULL, NULL, NULL, '7164a261-e954-415d-b561-ddbe43cbc396', 'AG_20261208041145_40385076d8935d610fc7', 'TG1KJI6Z54', '0', 'The service request is processed successfully.', 1, '2026-12-08 01:11:45.726111+00', '2026-12-08 01:11:45.828241+00', '2026-12-08 01:11:45.828241+00', false, '2026-12-08 01:11:45.705087+00', NULL, NULL, 0, NULL, 22.40, NULL, NULL, 11, 'cli', 12, 'cli', NULL, NULL),
	(2, 16, 2, 1500.00, 'overpaid by 1500.00 against the course price', 'succeeded', 'mpesa-recon', '2026-12-08 01:11:45.569196+00', 'ann@example.com', '2026-12-08 01:11:45.650268+00', NULL, NULL, NULL, NULL, NULL, 'ed18762d-1d23-4da9-8f03-a351a937880e', 'AG_20261208041145_f7aac260a7143d1a5ec6', 'T9N72N0GYN', '0', 'The service request is processed successfully.', 1, '2026-12-08 01:11:45.741946+00', '2026-12-08 01:11:45.839023+00', '2026-12-08 01:11:45.839023+00', false, '2026-12-08 01:11:45.727877+00', NULL, NULL, 0, NULL, 22.40, NULL, NULL, 11, 'cli', NULL, NULL, NULL, NULL);


--
-- Data for Name: report_requests; Type: TABLE DATA; Schema: public; Owner: -
--



--
-- Data for Name: schema_migrations; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.schema_migrations VALUES
	('001_init.sql', '6db1c093e60e6e61003c01131d979807', '2026-12-08 01:11:42.634408+00'),
	('002_refunds_reconcile.sql', '656865ebd8d40d5e458878ee56f6e33c', '2026-12-08 01:11:42.670123+00'),
	('003_inbox_sweep_backoff.sql', '1dd02780a5ad7522c3d8c420c0ab1cec', '2026-12-08 01:11:42.679078+00'),
	('004_statements.sql', '45801639f8782294793f0e7ed31519b4', '2026-12-08 01:11:42.682757+00'),
	('006_ops.sql', '9eb6789552376dac0caa9970b4db7aba', '2026-12-08 01:11:42.695185+00'),
	('007_identity.sql', '90b1355d6bdc970ad275ae11a8319f39', '2026-12-08 01:11:42.699194+00'),
	('008_console.sql', 'e954de88205ad0c5461c805725709222', '2026-12-08 01:11:42.717516+00'),
	('009_inbox_applier.sql', '6501f9151354539d79be30547825987f', '2026-12-08 01:11:42.726687+00'),
	('010_settled_statistics.sql', 'decba7238c4e1684a259b36d1dc69395', '2026-12-08 01:11:42.728227+00'),
	('011_enforce.sql', '6b65632f0d4efe55c4a4d2cd31acb3aa', '2026-12-08 01:11:42.731519+00'),
	('012_identity_hardening.sql', 'ee9579c0af515fa4cc6dd77c04d02040', '2026-12-08 01:11:42.737878+00'),
	('013_confirmed_money.sql', 'a3b83ab58c3ab827dccb6fadb9bf23b6', '2026-12-08 01:11:42.743992+00'),
	('014_console_flash.sql', 'a387548edb5d8871da9ce718029a4202', '2026-12-08 01:11:42.744834+00'),
	('015_confirmed_refund_cap.sql', '3cab00de0a6dd29d42f97b7a5bffc720', '2026-12-08 01:11:42.745327+00');


--
-- Data for Name: statement_imports; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.statement_imports VALUES
	(1, '1373ac11307f60f7ef67f37c5be9fe854c2cb665a1d5047d24e7641d6ba92032', 'mpesa-statement-2026-12-08.xlsx', 'xlsx', 'Course Platform Ltd', '174379', '2026-12-07 21:00:00+00', '2026-12-08 20:59:59+00', 250000.00, 250000.00, 73000.00, 73000.00, 17, 17, 0, 73000.00, 73000.00, 'ok', '2026-12-08 01:11:49.48073+00');


--
-- Data for Name: statement_lines; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.statement_lines VALUES
	(17, 1, 25, 'SW20261208', false, '2026-12-08 20:59:59+00', '2026-12-08 20:59:59+00', 'Transfer of funds to Organization Settlement Account', 'Completed', 0.00, 66455.20, 250000.00, 'Utility Account to Organization Settlement Account', 'sweep', NULL, 'Organization Settlement Account', NULL, NULL, NULL, NULL, NULL),
	(1, 1, 9, 'TH9SQCFNE7', false, '2026-12-08 01:11:43+00', '2026-12-08 01:11:42+00', 'Pay Bill Online from 25471****000 - M-PESA CUSTOMER Acc. COURSE1', 'Completed', 5000.00, 0.00, 255000.00, 'Pay Bill Online', 'payment', '25471****000', 'M-PESA CUSTOMER', NULL, 'COURSE1', 1, NULL, '2026-12-08 01:11:49.48073+00'),
	(2, 1, 10, 'T2F840BEST', false, '2026-12-08 01:11:43+00', '2026-12-08 01:11:42+00', 'Pay Bill Online from 25471****137 - M-PESA CUSTOMER Acc. COURSE1', 'Completed', 5000.00, 0.00, 260000.00, 'Pay Bill Online', 'payment', '25471****137', 'M-PESA CUSTOMER', NULL, 'COURSE1', 2, NULL, '2026-12-08 01:11:49.48073+00'),
	(3, 1, 11, 'TVNYSUHBFM', false, '2026-12-08 01:11:43+00', '2026-12-08 01:11:42+00', 'Pay Bill Online from 25471****274 - M-PESA CUSTOMER Acc. COURSE2', 'Completed', 6500.00, 0.00, 266500.00, 'Pay Bill Online', 'payment', '25471****274', 'M-PESA CUSTOMER', NULL, 'COURSE2', 3, NULL, '2026-12-08 01:11:49.48073+00'),
	(4, 1, 12, 'T1ERZ2KPYK', false, '2026-12-08 01:11:43+00', '2026-12-08 01:11:42+00', 'Pay Bill Online from 25471****411 - M-PESA CUSTOMER Acc. COURSE2', 'Completed', 6500.00, 0.00, 273000.00, 'Pay Bill Online', 'payment', '25471****411', 'M-PESA CUSTOMER', NULL, 'COURSE2', 4, NULL, '2026-12-08 01:11:49.48073+00'),
	(5, 1, 13, 'TPU68TPVG1', false, '2026-12-08 01:11:43+00', '2026-12-08 01:11:42+00', 'Pay Bill Online from 25471****548 - M-PESA CUSTOMER Acc. COURSE1', 'Completed', 5000.00, 0.00, 278000.00, 'Pay Bill Online', 'payment', '25471****548', 'M-PESA CUSTOMER', NULL, 'COURSE1', 5, NULL, '2026-12-08 01:11:49.48073+00'),
	(6, 1, 14, 'TFXRZCDSM9', false, '2026-12-08 01:11:43+00', '2026-12-08 01:11:42+00', 'Pay Bill Online from 25471****685 - M-PESA CUSTOMER Acc. COURSE3', 'Completed', 9000.00, 0.00, 287000.00, 'Pay Bill Online', 'payment', '25471****685', 'M-PESA CUSTOMER', NULL, 'COURSE3', 6, NULL, '2026-12-08 01:11:49.48073+00'),
	(9, 1, 17, 'TFRQTFR1OM', false, '2026-12-08 01:11:43+00', '2026-12-08 01:11:42+00', 'Pay Bill Online from 25471****096 - M-PESA CUSTOMER Acc. COURSE1', 'Completed', 5000.00, 0.00, 303500.00, 'Pay Bill Online', 'payment', '25471****096', 'M-PESA CUSTOMER', NULL, 'COURSE1', 9, NULL, '2026-12-08 01:11:49.48073+00'),
	(11, 1, 19, 'TM3FOEOX4B', false, '2026-12-08 01:11:43+00', '2026-12-08 01:11:42+00', 'Pay Bill Online from 25471****918 - M-PESA CUSTOMER Acc. COURSE1', 'Completed', 5000.00, 0.00, 315000.00, 'Pay Bill Online', 'payment', '25471****918', 'M-PESA CUSTOMER', NULL, 'COURSE1', 15, NULL, '2026-12-08 01:11:49.48073+00'),
	(12, 1, 20, 'T9K7JFLX2Q', false, '2026-12-08 01:11:43+00', '2026-12-08 01:11:42+00', 'Pay Bill Online from 25471****055 - M-PESA CUSTOMER Acc. COURSE2', 'Completed', 8000.00, 0.00, 323000.00, 'Pay Bill Online', 'payment', '25471****055', 'M-PESA CUSTOMER', NULL, 'COURSE2', 16, NULL, '2026-12-08 01:11:49.48073+00'),
	(10, 1, 18, 'TR2SQWQIUF', false, '2026-12-08 01:11:43+00', '2026-12-08 01:11:42+00', 'Pay Bill Online from 25471****233 - M-PESA CUSTOMER Acc. COURSE2', 'Completed', 6500.00, 0.00, 310000.00, 'Pay Bill Online', 'payment', '25471****233', 'M-PESA CUSTOMER', NULL, 'COURSE2', 10, NULL, '2026-12-08 01:11:49.48073+00'),
	(13, 1, 21, 'TG1KJI6Z54', false, '2026-12-08 01:11:45+00', '2026-12-08 01:11:45+00', 'Business Payment to 25471****918 - NG''ANG''A LEARNER', 'Completed', 0.00, 5000.00, 318000.00, 'Business Payment to Customer via API', 'refund', '25471****918', 'NG''ANG''A LEARNER', NULL, NULL, NULL, 1, '2026-12-08 01:11:49.48073+00'),
	(15, 1, 23, 'T9N72N0GYN', false, '2026-12-08 01:11:45+00', '2026-12-08 01:11:45+00', 'Business Payment to 25471****055 - NG''ANG''A LEARNER', 'Completed', 0.00, 1500.00, 316477.60, 'Business Payment to Customer via API', 'refund', '25471****055', 'NG''ANG''A LEARNER', NULL, NULL, NULL, 2, '2026-12-08 01:11:49.48073+00'),
	(7, 1, 15, 'T0PRKAKUTD', false, '2026-12-08 01:11:43+00', '2026-12-08 01:11:42+00', 'Pay Bill Online from 25471****822 - M-PESA CUSTOMER Acc. COURSE1', 'Completed', 5000.00, 0.00, 292000.00, 'Pay Bill Online', 'payment', '25471****822', 'M-PESA CUSTOMER', NULL, 'COURSE1', 7, NULL, '2026-12-08 01:11:49.48073+00'),
	(8, 1, 16, 'TZOFHJ7QAX', false, '2026-12-08 01:11:43+00', '2026-12-08 01:11:42+00', 'Pay Bill Online from 25471****959 - M-PESA CUSTOMER Acc. COURSE2', 'Completed', 6500.00, 0.00, 298500.00, 'Pay Bill Online', 'payment', '25471****959', 'M-PESA CUSTOMER', NULL, 'COURSE2', 8, NULL, '2026-12-08 01:11:49.48073+00'),
	(14, 1, 22, 'TG1KJI6Z54', true, '2026-12-08 01:11:45+00', '2026-12-08 01:11:45+00', 'Business Payment Charge', 'Completed', 0.00, 22.40, 317977.60, 'Business Payment to Customer via API Charge', 'charge', NULL, NULL, 'TG1KJI6Z54', NULL, NULL, 1, '2026-12-08 01:11:49.48073+00'),
	(16, 1, 24, 'T9N72N0GYN', true, '2026-12-08 01:11:45+00', '2026-12-08 01:11:45+00', 'Business Payment Charge', 'Completed', 0.00, 22.40, 316455.20, 'Business Payment to Customer via API Charge', 'charge', NULL, NULL, 'T9N72N0GYN', NULL, NULL, 2, '2026-12-08 01:11:49.48073+00');


--
-- Data for Name: user_roles; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.user_roles VALUES
	(11, 'admin', '2026-12-08 01:11:42.780746+00'),
	(12, 'admin', '2026-12-08 01:11:42.780746+00');


--
-- Data for Name: users; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.users VALUES
	(1, 'learner1@example.com', 'Wanjiku Kamau', NULL, true, false, NULL, 1, NULL),
	(2, 'learner2@example.com', 'Otieno Odhiambo', NULL, true, false, NULL, 1, NULL),
	(3, 'learner3@example.com', 'Achieng Atieno', NULL, true, false, NULL, 1, NULL),
	(4, 'learner4@example.com', 'Kiprop Chebet', NULL, true, false, NULL, 1, NULL),
	(5, 'learner5@example.com', 'Njeri Mwangi', NULL, true, false, NULL, 1, NULL),
	(6, 'learner6@example.com', 'Mutua Musyoka', NULL, true, false, NULL, 1, NULL),
	(7, 'learner7@example.com', 'Nyambura Ng''ang''a', NULL, true, false, NULL, 1, NULL),
	(8, 'learner8@example.com', 'Barasa Wafula', NULL, true, false, NULL, 1, NULL),
	(9, 'learner9@example.com', 'Halima Abdi', NULL, true, false, NULL, 1, NULL),
	(10, 'learner10@example.com', 'Kamau Kariuki', NULL, true, false, NULL, 1, NULL),
	(11, 'ann@example.com', 'ann@example.com', NULL, true, false, NULL, 1, NULL),
	(12, 'bob@example.com', 'bob@example.com', NULL, true, false, NULL, 1, NULL);


--
-- Name: audit_log_id_seq; Type: SEQUENCE SET; Schema: public; Owner: -
--

SELECT pg_catalog.setval('public.audit_log_id_seq', 3, true);


--
-- Name: callback_inbox_id_seq; Type: SEQUENCE SET; Schema: public; Owner: -
--

SELECT pg_catalog.setval('public.callback_inbox_id_seq', 16, true);


--
-- Name: courses_id_seq; Type: SEQUENCE SET; Schema: public; Owner: -
--

SELECT pg_catalog.setval('public.courses_id_seq', 3, true);


--
-- Name: enrollments_id_seq; Type: SEQUENCE SET; Schema: public; Owner: -
--

SELECT pg_catalog.setval('public.enrollments_id_seq', 13, true);


--
-- Name: job_runs_id_seq; Type: SEQUENCE SET; Schema: public; Owner: -
--

SELECT pg_catalog.setval('public.job_runs_id_seq', 4, true);


--
-- Name: login_failures_id_seq; Type: SEQUENCE SET; Schema: public; Owner: -
--

SELECT pg_catalog.setval('public.login_failures_id_seq', 1, false);


--
-- Name: mpesa_configurations_id_seq; Type: SEQUENCE SET; Schema: public; Owner: -
--

SELECT pg_catalog.setval('public.mpesa_configurations_id_seq', 1, false);


--
-- Name: payment_decisions_id_seq; Type: SEQUENCE SET; Schema: public; Owner: -
--

SELECT pg_catalog.setval('public.payment_decisions_id_seq', 1, false);


--
-- Name: payment_events_id_seq; Type: SEQUENCE SET; Schema: public; Owner: -
--

SELECT pg_catalog.setval('public.payment_events_id_seq', 35, true);


--
-- Name: payments_id_seq; Type: SEQUENCE SET; Schema: public; Owner: -
--

SELECT pg_catalog.setval('public.payments_id_seq', 16, true);


--
-- Name: reconciliation_exceptions_id_seq; Type: SEQUENCE SET; Schema: public; Owner: -
--

SELECT pg_catalog.setval('public.reconciliation_exceptions_id_seq', 8, true);


--
-- Name: refund_status_checks_id_seq; Type: SEQUENCE SET; Schema: public; Owner: -
--

SELECT pg_catalog.setval('public.refund_status_checks_id_seq', 1, false);


--
-- Name: refunds_id_seq; Type: SEQUENCE SET; Schema: public; Owner: -
--

SELECT pg_catalog.setval('public.refunds_id_seq', 2, true);


--
-- Name: report_requests_id_seq; Type: SEQUENCE SET; Schema: public; Owner: -
--

SELECT pg_catalog.setval('public.report_requests_id_seq', 1, false);


--
-- Name: statement_imports_id_seq; Type: SEQUENCE SET; Schema: public; Owner: -
--

SELECT pg_catalog.setval('public.statement_imports_id_seq', 1, true);


--
-- Name: statement_lines_id_seq; Type: SEQUENCE SET; Schema: public; Owner: -
--

SELECT pg_catalog.setval('public.statement_lines_id_seq', 17, true);


--
-- Name: users_id_seq; Type: SEQUENCE SET; Schema: public; Owner: -
--

SELECT pg_catalog.setval('public.users_id_seq', 12, true);


--
-- Name: api_idempotency_keys api_idempotency_keys_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.api_idempotency_keys
    ADD CONSTRAINT api_idempotency_keys_pkey PRIMARY KEY (user_id, key);


--
-- Name: audit_log audit_log_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.audit_log
    ADD CONSTRAINT audit_log_pkey PRIMARY KEY (id);


--
-- Name: auth_token_blacklist auth_token_blacklist_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.auth_token_blacklist
    ADD CONSTRAINT auth_token_blacklist_pkey PRIMARY KEY (jti);


--
-- Name: callback_inbox callback_inbox_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.callback_inbox
    ADD CONSTRAINT callback_inbox_pkey PRIMARY KEY (id);


--
-- Name: callback_inbox callback_inbox_spool_id_key; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.callback_inbox
    ADD CONSTRAINT callback_inbox_spool_id_key UNIQUE (spool_id);


--
-- Name: console_sessions console_sessions_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.console_sessions
    ADD CONSTRAINT console_sessions_pkey PRIMARY KEY (id_sha256);


--
-- Name: courses courses_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.courses
    ADD CONSTRAINT courses_pkey PRIMARY KEY (id);


--
-- Name: enrollments enrollments_one_per_learner_course; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.enrollments
    ADD CONSTRAINT enrollments_one_per_learner_course UNIQUE (user_id, course_id);


--
-- Name: enrollments enrollments_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.enrollments
    ADD CONSTRAINT enrollments_pkey PRIMARY KEY (id);


--
-- Name: job_runs job_runs_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.job_runs
    ADD CONSTRAINT job_runs_pkey PRIMARY KEY (id);


--
-- Name: login_failures login_failures_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.login_failures
    ADD CONSTRAINT login_failures_pkey PRIMARY KEY (id);


--
-- Name: mpesa_configurations mpesa_configurations_name_key; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.mpesa_configurations
    ADD CONSTRAINT mpesa_configurations_name_key UNIQUE (name);


--
-- Name: mpesa_configurations mpesa_configurations_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.mpesa_configurations
    ADD CONSTRAINT mpesa_configurations_pkey PRIMARY KEY (id);


--
-- Name: payment_decisions payment_decisions_need_accounts; Type: CHECK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE public.payment_decisions
    ADD CONSTRAINT payment_decisions_need_accounts CHECK (((proposed_by_user_id IS NOT NULL) AND ((status <> 'confirmed'::text) OR (confirmed_by_user_id IS NOT NULL)))) NOT VALID;


--
-- Name: payment_decisions payment_decisions_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.payment_decisions
    ADD CONSTRAINT payment_decisions_pkey PRIMARY KEY (id);


--
-- Name: payment_events payment_events_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.payment_events
    ADD CONSTRAINT payment_events_pkey PRIMARY KEY (id);


--
-- Name: payments payments_checkout_request_id_key; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.payments
    ADD CONSTRAINT payments_checkout_request_id_key UNIQUE (checkout_request_id);


--
-- Name: payments payments_mpesa_receipt_key; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.payments
    ADD CONSTRAINT payments_mpesa_receipt_key UNIQUE (mpesa_receipt);


--
-- Name: payments payments_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.payments
    ADD CONSTRAINT payments_pkey PRIMARY KEY (id);


--
-- Name: recon_settings recon_settings_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.recon_settings
    ADD CONSTRAINT recon_settings_pkey PRIMARY KEY (key);


--
-- Name: reconciliation_exceptions reconciliation_exceptions_key_key; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.reconciliation_exceptions
    ADD CONSTRAINT reconciliation_exceptions_key_key UNIQUE (key);


--
-- Name: reconciliation_exceptions reconciliation_exceptions_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.reconciliation_exceptions
    ADD CONSTRAINT reconciliation_exceptions_pkey PRIMARY KEY (id);


--
-- Name: refund_status_checks refund_status_checks_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.refund_status_checks
    ADD CONSTRAINT refund_status_checks_pkey PRIMARY KEY (id);


--
-- Name: refunds refunds_originator_conversation_id_key; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.refunds
    ADD CONSTRAINT refunds_originator_conversation_id_key UNIQUE (originator_conversation_id);


--
-- Name: refunds refunds_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.refunds
    ADD CONSTRAINT refunds_pkey PRIMARY KEY (id);


--
-- Name: report_requests report_requests_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.report_requests
    ADD CONSTRAINT report_requests_pkey PRIMARY KEY (id);


--
-- Name: schema_migrations schema_migrations_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.schema_migrations
    ADD CONSTRAINT schema_migrations_pkey PRIMARY KEY (name);


--
-- Name: statement_imports statement_imports_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.statement_imports
    ADD CONSTRAINT statement_imports_pkey PRIMARY KEY (id);


--
-- Name: statement_lines statement_lines_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.statement_lines
    ADD CONSTRAINT statement_lines_pkey PRIMARY KEY (id);


--
-- Name: user_roles user_roles_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.user_roles
    ADD CONSTRAINT user_roles_pkey PRIMARY KEY (user_id, role);


--
-- Name: users users_email_key; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.users
    ADD CONSTRAINT users_email_key UNIQUE (email);


--
-- Name: users users_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.users
    ADD CONSTRAINT users_pkey PRIMARY KEY (id);


--
-- Name: audit_log_at_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX audit_log_at_idx ON public.audit_log USING btree (at DESC);


--
-- Name: audit_log_subject_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX audit_log_subject_idx ON public.audit_log USING btree (subject, subject_id);


--
-- Name: auth_token_blacklist_expires_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX auth_token_blacklist_expires_idx ON public.auth_token_blacklist USING btree (expires_at);


--
-- Name: callback_inbox_sweep_due_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX callback_inbox_sweep_due_idx ON public.callback_inbox USING btree (next_sweep_at, id) WHERE ((outcome = 'unmatched'::text) AND (reference IS NOT NULL));


--
-- Name: callback_inbox_unmatched_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX callback_inbox_unmatched_idx ON public.callback_inbox USING btree (reference) WHERE (outcome = 'unmatched'::text);


--
-- Name: callback_inbox_unprocessed_id_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX callback_inbox_unprocessed_id_idx ON public.callback_inbox USING btree (id) WHERE (processed_at IS NULL);


--
-- Name: console_sessions_user_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX console_sessions_user_idx ON public.console_sessions USING btree (user_id);


--
-- Name: enrollments_payment_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX enrollments_payment_idx ON public.enrollments USING btree (payment_id);


--
-- Name: job_runs_job_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX job_runs_job_idx ON public.job_runs USING btree (job, started_at);


--
-- Name: login_failures_address_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX login_failures_address_idx ON public.login_failures USING btree (address, at);


--
-- Name: login_failures_email_address_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX login_failures_email_address_idx ON public.login_failures USING btree (lower(email), address, at);


--
-- Name: login_failures_email_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX login_failures_email_idx ON public.login_failures USING btree (lower(email), at);


--
-- Name: payment_decisions_one_open; Type: INDEX; Schema: public; Owner: -
--

CREATE UNIQUE INDEX payment_decisions_one_open ON public.payment_decisions USING btree (payment_id) WHERE (status = 'proposed'::text);


--
-- Name: payment_events_late_success_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX payment_events_late_success_idx ON public.payment_events USING btree (payment_id) WHERE ((to_status = 'completed'::text) AND (from_status = ANY (ARRAY['failed'::text, 'unknown'::text])));


--
-- Name: payment_events_payment_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX payment_events_payment_idx ON public.payment_events USING btree (payment_id, at);


--
-- Name: payments_completed_paid_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX payments_completed_paid_idx ON public.payments USING btree (COALESCE(paid_at, updated_at)) INCLUDE (amount, paid_amount) WHERE (status = 'completed'::text);


--
-- Name: payments_course_newest_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX payments_course_newest_idx ON public.payments USING btree (course_id, id DESC);


--
-- Name: payments_created_at_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX payments_created_at_idx ON public.payments USING btree (created_at);


--
-- Name: payments_due_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX payments_due_idx ON public.payments USING btree (next_check_at) WHERE (status = 'pending'::text);


--
-- Name: payments_learner_course_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX payments_learner_course_idx ON public.payments USING btree (user_id, course_id);


--
-- Name: payments_paid_at_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX payments_paid_at_idx ON public.payments USING btree (paid_at) WHERE (status = 'completed'::text);


--
-- Name: payments_pending_created_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX payments_pending_created_idx ON public.payments USING btree (created_at) WHERE (status = 'pending'::text);


--
-- Name: payments_phone_reversed_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX payments_phone_reversed_idx ON public.payments USING btree (reverse(phone) text_pattern_ops);


--
-- Name: payments_receipt_pending_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX payments_receipt_pending_idx ON public.payments USING btree (id) WHERE ((status = 'completed'::text) AND (mpesa_receipt IS NULL));


--
-- Name: payments_settled_by_query_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX payments_settled_by_query_idx ON public.payments USING btree (updated_at) WHERE ((status = 'completed'::text) AND (paid_at IS NULL));


--
-- Name: payments_unknown_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX payments_unknown_idx ON public.payments USING btree (id) WHERE (status = 'unknown'::text);


--
-- Name: payments_user_newest_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX payments_user_newest_idx ON public.payments USING btree (user_id, id DESC);


--
-- Name: reconciliation_exceptions_open_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX reconciliation_exceptions_open_idx ON public.reconciliation_exceptions USING btree (kind) WHERE (status = 'open'::text);


--
-- Name: refund_status_checks_conversation_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX refund_status_checks_conversation_idx ON public.refund_status_checks USING btree (conversation_id);


--
-- Name: refund_status_checks_originator_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX refund_status_checks_originator_idx ON public.refund_status_checks USING btree (originator_conversation_id);


--
-- Name: refund_status_checks_refund_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX refund_status_checks_refund_idx ON public.refund_status_checks USING btree (refund_id);


--
-- Name: refunds_dispatch_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX refunds_dispatch_idx ON public.refunds USING btree (id) WHERE ((status = 'approved'::text) OR resend_due);


--
-- Name: refunds_exception_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX refunds_exception_idx ON public.refunds USING btree (exception_id);


--
-- Name: refunds_in_flight_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX refunds_in_flight_idx ON public.refunds USING btree (id) WHERE (status = ANY (ARRAY['sending'::text, 'sent'::text, 'unknown'::text]));


--
-- Name: refunds_one_system_proposal_per_exception; Type: INDEX; Schema: public; Owner: -
--

CREATE UNIQUE INDEX refunds_one_system_proposal_per_exception ON public.refunds USING btree (exception_id) WHERE ((proposed_by = 'mpesa-recon'::text) AND (exception_id IS NOT NULL));


--
-- Name: refunds_payment_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX refunds_payment_idx ON public.refunds USING btree (payment_id);


--
-- Name: refunds_status_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX refunds_status_idx ON public.refunds USING btree (status);


--
-- Name: report_requests_queued_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX report_requests_queued_idx ON public.report_requests USING btree (id) WHERE (status = ANY (ARRAY['queued'::text, 'running'::text]));


--
-- Name: statement_imports_sha_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX statement_imports_sha_idx ON public.statement_imports USING btree (file_sha256);


--
-- Name: statement_lines_completed_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX statement_lines_completed_idx ON public.statement_lines USING btree (completed_at);


--
-- Name: statement_lines_import_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX statement_lines_import_idx ON public.statement_lines USING btree (import_id);


--
-- Name: statement_lines_payment_key; Type: INDEX; Schema: public; Owner: -
--

CREATE UNIQUE INDEX statement_lines_payment_key ON public.statement_lines USING btree (payment_id) WHERE (payment_id IS NOT NULL);


--
-- Name: statement_lines_receipt_key; Type: INDEX; Schema: public; Owner: -
--

CREATE UNIQUE INDEX statement_lines_receipt_key ON public.statement_lines USING btree (receipt, is_charge);


--
-- Name: statement_lines_refund_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX statement_lines_refund_idx ON public.statement_lines USING btree (refund_id) WHERE (refund_id IS NOT NULL);


--
-- Name: statement_lines_unmatched_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX statement_lines_unmatched_idx ON public.statement_lines USING btree (completed_at) WHERE ((payment_id IS NULL) AND (refund_id IS NULL));


--
-- Name: users_email_lower_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX users_email_lower_idx ON public.users USING btree (lower(email));


--
-- Name: users_email_pattern_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX users_email_pattern_idx ON public.users USING btree (lower(email) text_pattern_ops);


--
-- Name: payments_settled_at_stats; Type: STATISTICS; Schema: public; Owner: -
--

CREATE STATISTICS public.payments_settled_at_stats ON COALESCE(paid_at, updated_at) FROM public.payments;


--
-- Name: audit_log audit_log_append_only; Type: TRIGGER; Schema: public; Owner: -
--

CREATE TRIGGER audit_log_append_only BEFORE DELETE OR UPDATE ON public.audit_log FOR EACH ROW EXECUTE FUNCTION public.recon_audit_log_append_only();


--
-- Name: audit_log audit_log_no_truncate; Type: TRIGGER; Schema: public; Owner: -
--

CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON public.audit_log FOR EACH STATEMENT EXECUTE FUNCTION public.recon_audit_log_append_only();


--
-- Name: payment_decisions payment_decisions_need_admins; Type: TRIGGER; Schema: public; Owner: -
--

CREATE TRIGGER payment_decisions_need_admins BEFORE INSERT OR UPDATE ON public.payment_decisions FOR EACH ROW EXECUTE FUNCTION public.recon_payment_decisions_need_admins();


--
-- Name: payments payments_follow_state_machine; Type: TRIGGER; Schema: public; Owner: -
--

CREATE TRIGGER payments_follow_state_machine BEFORE UPDATE OF status ON public.payments FOR EACH ROW EXECUTE FUNCTION public.recon_payments_follow_state_machine();


--
-- Name: reconciliation_exceptions reconciliation_exceptions_resolutions_need_admins; Type: TRIGGER; Schema: public; Owner: -
--

CREATE TRIGGER reconciliation_exceptions_resolutions_need_admins BEFORE INSERT OR UPDATE ON public.reconciliation_exceptions FOR EACH ROW EXECUTE FUNCTION public.recon_exception_resolutions_need_admins();


--
-- Name: refunds refunds_decisions_need_accounts; Type: TRIGGER; Schema: public; Owner: -
--

CREATE TRIGGER refunds_decisions_need_accounts BEFORE INSERT OR UPDATE ON public.refunds FOR EACH ROW EXECUTE FUNCTION public.recon_refund_decisions_need_accounts();


--
-- Name: refunds refunds_follow_state_machine; Type: TRIGGER; Schema: public; Owner: -
--

CREATE TRIGGER refunds_follow_state_machine BEFORE INSERT OR UPDATE ON public.refunds FOR EACH ROW EXECUTE FUNCTION public.recon_refunds_follow_state_machine();


--
-- Name: refunds refunds_status_matches_approvals; Type: TRIGGER; Schema: public; Owner: -
--

CREATE TRIGGER refunds_status_matches_approvals BEFORE INSERT OR UPDATE ON public.refunds FOR EACH ROW EXECUTE FUNCTION public.recon_refunds_status_matches_approvals();


--
-- Name: refunds refunds_within_payment_amount; Type: TRIGGER; Schema: public; Owner: -
--

CREATE CONSTRAINT TRIGGER refunds_within_payment_amount AFTER INSERT OR UPDATE OF amount, status, payment_id ON public.refunds NOT DEFERRABLE INITIALLY IMMEDIATE FOR EACH ROW EXECUTE FUNCTION public.refunds_within_payment_amount();


--
-- Name: users users_credentials_version; Type: TRIGGER; Schema: public; Owner: -
--

CREATE TRIGGER users_credentials_version BEFORE UPDATE OF password, is_active ON public.users FOR EACH ROW EXECUTE FUNCTION public.recon_users_credentials_version();


--
-- Name: api_idempotency_keys api_idempotency_keys_user_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.api_idempotency_keys
    ADD CONSTRAINT api_idempotency_keys_user_id_fkey FOREIGN KEY (user_id) REFERENCES public.users(id);


--
-- Name: audit_log audit_log_user_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.audit_log
    ADD CONSTRAINT audit_log_user_id_fkey FOREIGN KEY (user_id) REFERENCES public.users(id);


--
-- Name: console_sessions console_sessions_user_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.console_sessions
    ADD CONSTRAINT console_sessions_user_id_fkey FOREIGN KEY (user_id) REFERENCES public.users(id) ON DELETE CASCADE;


--
-- Name: enrollments enrollments_course_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.enrollments
    ADD CONSTRAINT enrollments_course_id_fkey FOREIGN KEY (course_id) REFERENCES public.courses(id);


--
-- Name: enrollments enrollments_payment_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.enrollments
    ADD CONSTRAINT enrollments_payment_id_fkey FOREIGN KEY (payment_id) REFERENCES public.payments(id);


--
-- Name: enrollments enrollments_user_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.enrollments
    ADD CONSTRAINT enrollments_user_id_fkey FOREIGN KEY (user_id) REFERENCES public.users(id);


--
-- Name: payment_decisions payment_decisions_confirmed_by_user_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.payment_decisions
    ADD CONSTRAINT payment_decisions_confirmed_by_user_id_fkey FOREIGN KEY (confirmed_by_user_id) REFERENCES public.users(id);


--
-- Name: payment_decisions payment_decisions_payment_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.payment_decisions
    ADD CONSTRAINT payment_decisions_payment_id_fkey FOREIGN KEY (payment_id) REFERENCES public.payments(id);


--
-- Name: payment_decisions payment_decisions_proposed_by_user_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.payment_decisions
    ADD CONSTRAINT payment_decisions_proposed_by_user_id_fkey FOREIGN KEY (proposed_by_user_id) REFERENCES public.users(id);


--
-- Name: payment_events payment_events_payment_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.payment_events
    ADD CONSTRAINT payment_events_payment_id_fkey FOREIGN KEY (payment_id) REFERENCES public.payments(id);


--
-- Name: payments payments_configuration_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.payments
    ADD CONSTRAINT payments_configuration_id_fkey FOREIGN KEY (configuration_id) REFERENCES public.mpesa_configurations(id);


--
-- Name: payments payments_course_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.payments
    ADD CONSTRAINT payments_course_id_fkey FOREIGN KEY (course_id) REFERENCES public.courses(id);


--
-- Name: payments payments_user_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.payments
    ADD CONSTRAINT payments_user_id_fkey FOREIGN KEY (user_id) REFERENCES public.users(id);


--
-- Name: reconciliation_exceptions reconciliation_exceptions_callback_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.reconciliation_exceptions
    ADD CONSTRAINT reconciliation_exceptions_callback_id_fkey FOREIGN KEY (callback_id) REFERENCES public.callback_inbox(id);


--
-- Name: reconciliation_exceptions reconciliation_exceptions_enrollment_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.reconciliation_exceptions
    ADD CONSTRAINT reconciliation_exceptions_enrollment_id_fkey FOREIGN KEY (enrollment_id) REFERENCES public.enrollments(id);


--
-- Name: reconciliation_exceptions reconciliation_exceptions_payment_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.reconciliation_exceptions
    ADD CONSTRAINT reconciliation_exceptions_payment_id_fkey FOREIGN KEY (payment_id) REFERENCES public.payments(id);


--
-- Name: reconciliation_exceptions reconciliation_exceptions_resolved_by_user_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.reconciliation_exceptions
    ADD CONSTRAINT reconciliation_exceptions_resolved_by_user_id_fkey FOREIGN KEY (resolved_by_user_id) REFERENCES public.users(id);


--
-- Name: refund_status_checks refund_status_checks_refund_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.refund_status_checks
    ADD CONSTRAINT refund_status_checks_refund_id_fkey FOREIGN KEY (refund_id) REFERENCES public.refunds(id);


--
-- Name: refunds refunds_approved_by_user_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.refunds
    ADD CONSTRAINT refunds_approved_by_user_id_fkey FOREIGN KEY (approved_by_user_id) REFERENCES public.users(id);


--
-- Name: refunds refunds_exception_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.refunds
    ADD CONSTRAINT refunds_exception_id_fkey FOREIGN KEY (exception_id) REFERENCES public.reconciliation_exceptions(id);


--
-- Name: refunds refunds_payment_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.refunds
    ADD CONSTRAINT refunds_payment_id_fkey FOREIGN KEY (payment_id) REFERENCES public.payments(id);


--
-- Name: refunds refunds_proposed_by_user_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.refunds
    ADD CONSTRAINT refunds_proposed_by_user_id_fkey FOREIGN KEY (proposed_by_user_id) REFERENCES public.users(id);


--
-- Name: refunds refunds_rejected_by_user_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.refunds
    ADD CONSTRAINT refunds_rejected_by_user_id_fkey FOREIGN KEY (rejected_by_user_id) REFERENCES public.users(id);


--
-- Name: refunds refunds_second_approved_by_user_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.refunds
    ADD CONSTRAINT refunds_second_approved_by_user_id_fkey FOREIGN KEY (second_approved_by_user_id) REFERENCES public.users(id);


--
-- Name: report_requests report_requests_requested_by_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.report_requests
    ADD CONSTRAINT report_requests_requested_by_fkey FOREIGN KEY (requested_by) REFERENCES public.users(id);


--
-- Name: statement_lines statement_lines_import_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.statement_lines
    ADD CONSTRAINT statement_lines_import_id_fkey FOREIGN KEY (import_id) REFERENCES public.statement_imports(id);


--
-- Name: statement_lines statement_lines_payment_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.statement_lines
    ADD CONSTRAINT statement_lines_payment_id_fkey FOREIGN KEY (payment_id) REFERENCES public.payments(id);


--
-- Name: statement_lines statement_lines_refund_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.statement_lines
    ADD CONSTRAINT statement_lines_refund_id_fkey FOREIGN KEY (refund_id) REFERENCES public.refunds(id);


--
-- Name: user_roles user_roles_user_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.user_roles
    ADD CONSTRAINT user_roles_user_id_fkey FOREIGN KEY (user_id) REFERENCES public.users(id) ON DELETE CASCADE;


--
-- Name: SCHEMA public; Type: ACL; Schema: -; Owner: -
--

GRANT USAGE ON SCHEMA public TO mpesa_recon_app;


--
-- Name: FUNCTION recon_grant_app_role(app_role text); Type: ACL; Schema: public; Owner: -
--

REVOKE ALL ON FUNCTION public.recon_grant_app_role(app_role text) FROM PUBLIC;


--
-- Name: FUNCTION recon_grant_readonly_role(readonly_role text); Type: ACL; Schema: public; Owner: -
--

REVOKE ALL ON FUNCTION public.recon_grant_readonly_role(readonly_role text) FROM PUBLIC;


--
-- Name: FUNCTION recon_prepare_runtime_role(role_name text); Type: ACL; Schema: public; Owner: -
--

REVOKE ALL ON FUNCTION public.recon_prepare_runtime_role(role_name text) FROM PUBLIC;


--
-- Name: TABLE api_idempotency_keys; Type: ACL; Schema: public; Owner: -
--

GRANT SELECT,INSERT,DELETE,UPDATE ON TABLE public.api_idempotency_keys TO mpesa_recon_app;


--
-- Name: TABLE audit_log; Type: ACL; Schema: public; Owner: -
--

GRANT SELECT,INSERT ON TABLE public.audit_log TO mpesa_recon_app;


--
-- Name: SEQUENCE audit_log_id_seq; Type: ACL; Schema: public; Owner: -
--

GRANT SELECT,USAGE ON SEQUENCE public.audit_log_id_seq TO mpesa_recon_app;


--
-- Name: TABLE auth_token_blacklist; Type: ACL; Schema: public; Owner: -
--

GRANT SELECT,INSERT,UPDATE ON TABLE public.auth_token_blacklist TO mpesa_recon_app;


--
-- Name: TABLE callback_inbox; Type: ACL; Schema: public; Owner: -
--

GRANT SELECT,INSERT,UPDATE ON TABLE public.callback_inbox TO mpesa_recon_app;


--
-- Name: SEQUENCE callback_inbox_id_seq; Type: ACL; Schema: public; Owner: -
--

GRANT SELECT,USAGE ON SEQUENCE public.callback_inbox_id_seq TO mpesa_recon_app;


--
-- Name: TABLE console_sessions; Type: ACL; Schema: public; Owner: -
--

GRANT SELECT,INSERT,DELETE,UPDATE ON TABLE public.console_sessions TO mpesa_recon_app;


--
-- Name: TABLE courses; Type: ACL; Schema: public; Owner: -
--

GRANT SELECT,INSERT,UPDATE ON TABLE public.courses TO mpesa_recon_app;


--
-- Name: SEQUENCE courses_id_seq; Type: ACL; Schema: public; Owner: -
--

GRANT SELECT,USAGE ON SEQUENCE public.courses_id_seq TO mpesa_recon_app;


--
-- Name: TABLE enrollments; Type: ACL; Schema: public; Owner: -
--

GRANT SELECT,INSERT,UPDATE ON TABLE public.enrollments TO mpesa_recon_app;


--
-- Name: SEQUENCE enrollments_id_seq; Type: ACL; Schema: public; Owner: -
--

GRANT SELECT,USAGE ON SEQUENCE public.enrollments_id_seq TO mpesa_recon_app;


--
-- Name: TABLE job_runs; Type: ACL; Schema: public; Owner: -
--

GRANT SELECT,INSERT,UPDATE ON TABLE public.job_runs TO mpesa_recon_app;


--
-- Name: SEQUENCE job_runs_id_seq; Type: ACL; Schema: public; Owner: -
--

GRANT SELECT,USAGE ON SEQUENCE public.job_runs_id_seq TO mpesa_recon_app;


--
-- Name: TABLE login_failures; Type: ACL; Schema: public; Owner: -
--

GRANT SELECT,INSERT,DELETE,UPDATE ON TABLE public.login_failures TO mpesa_recon_app;


--
-- Name: SEQUENCE login_failures_id_seq; Type: ACL; Schema: public; Owner: -
--

GRANT SELECT,USAGE ON SEQUENCE public.login_failures_id_seq TO mpesa_recon_app;


--
-- Name: TABLE mpesa_configurations; Type: ACL; Schema: public; Owner: -
--

GRANT SELECT,INSERT,UPDATE ON TABLE public.mpesa_configurations TO mpesa_recon_app;


--
-- Name: SEQUENCE mpesa_configurations_id_seq; Type: ACL; Schema: public; Owner: -
--

GRANT SELECT,USAGE ON SEQUENCE public.mpesa_configurations_id_seq TO mpesa_recon_app;


--
-- Name: TABLE payment_decisions; Type: ACL; Schema: public; Owner: -
--

GRANT SELECT,INSERT,UPDATE ON TABLE public.payment_decisions TO mpesa_recon_app;


--
-- Name: SEQUENCE payment_decisions_id_seq; Type: ACL; Schema: public; Owner: -
--

GRANT SELECT,USAGE ON SEQUENCE public.payment_decisions_id_seq TO mpesa_recon_app;


--
-- Name: TABLE payment_events; Type: ACL; Schema: public; Owner: -
--

GRANT SELECT,INSERT ON TABLE public.payment_events TO mpesa_recon_app;


--
-- Name: SEQUENCE payment_events_id_seq; Type: ACL; Schema: public; Owner: -
--

GRANT SELECT,USAGE ON SEQUENCE public.payment_events_id_seq TO mpesa_recon_app;


--
-- Name: TABLE payments; Type: ACL; Schema: public; Owner: -
--

GRANT SELECT,INSERT,UPDATE ON TABLE public.payments TO mpesa_recon_app;


--
-- Name: SEQUENCE payments_id_seq; Type: ACL; Schema: public; Owner: -
--

GRANT SELECT,USAGE ON SEQUENCE public.payments_id_seq TO mpesa_recon_app;


--
-- Name: TABLE recon_settings; Type: ACL; Schema: public; Owner: -
--

GRANT SELECT ON TABLE public.recon_settings TO mpesa_recon_app;


--
-- Name: TABLE reconciliation_exceptions; Type: ACL; Schema: public; Owner: -
--

GRANT SELECT,INSERT,UPDATE ON TABLE public.reconciliation_exceptions TO mpesa_recon_app;


--
-- Name: SEQUENCE reconciliation_exceptions_id_seq; Type: ACL; Schema: public; Owner: -
--

GRANT SELECT,USAGE ON SEQUENCE public.reconciliation_exceptions_id_seq TO mpesa_recon_app;


--
-- Name: TABLE refund_status_checks; Type: ACL; Schema: public; Owner: -
--

GRANT SELECT,INSERT,UPDATE ON TABLE public.refund_status_checks TO mpesa_recon_app;


--
-- Name: SEQUENCE refund_status_checks_id_seq; Type: ACL; Schema: public; Owner: -
--

GRANT SELECT,USAGE ON SEQUENCE public.refund_status_checks_id_seq TO mpesa_recon_app;


--
-- Name: TABLE refunds; Type: ACL; Schema: public; Owner: -
--

GRANT SELECT,INSERT,UPDATE ON TABLE public.refunds TO mpesa_recon_app;


--
-- Name: SEQUENCE refunds_id_seq; Type: ACL; Schema: public; Owner: -
--

GRANT SELECT,USAGE ON SEQUENCE public.refunds_id_seq TO mpesa_recon_app;


--
-- Name: TABLE report_requests; Type: ACL; Schema: public; Owner: -
--

GRANT SELECT,INSERT,UPDATE ON TABLE public.report_requests TO mpesa_recon_app;


--
-- Name: SEQUENCE report_requests_id_seq; Type: ACL; Schema: public; Owner: -
--

GRANT SELECT,USAGE ON SEQUENCE public.report_requests_id_seq TO mpesa_recon_app;


--
-- Name: TABLE schema_migrations; Type: ACL; Schema: public; Owner: -
--

GRANT SELECT ON TABLE public.schema_migrations TO mpesa_recon_app;


--
-- Name: TABLE statement_imports; Type: ACL; Schema: public; Owner: -
--

GRANT SELECT,INSERT,UPDATE ON TABLE public.statement_imports TO mpesa_recon_app;


--
-- Name: SEQUENCE statement_imports_id_seq; Type: ACL; Schema: public; Owner: -
--

GRANT SELECT,USAGE ON SEQUENCE public.statement_imports_id_seq TO mpesa_recon_app;


--
-- Name: TABLE statement_lines; Type: ACL; Schema: public; Owner: -
--

GRANT SELECT,INSERT,UPDATE ON TABLE public.statement_lines TO mpesa_recon_app;


--
-- Name: SEQUENCE statement_lines_id_seq; Type: ACL; Schema: public; Owner: -
--

GRANT SELECT,USAGE ON SEQUENCE public.statement_lines_id_seq TO mpesa_recon_app;


--
-- Name: TABLE user_roles; Type: ACL; Schema: public; Owner: -
--

GRANT SELECT,INSERT,DELETE,UPDATE ON TABLE public.user_roles TO mpesa_recon_app;


--
-- Name: TABLE users; Type: ACL; Schema: public; Owner: -
--

GRANT SELECT,INSERT,UPDATE ON TABLE public.users TO mpesa_recon_app;


--
-- Name: SEQUENCE users_id_seq; Type: ACL; Schema: public; Owner: -
--

GRANT SELECT,USAGE ON SEQUENCE public.users_id_seq TO mpesa_recon_app;


--
-- Name: DEFAULT PRIVILEGES FOR SEQUENCES; Type: DEFAULT ACL; Schema: public; Owner: -
--

ALTER DEFAULT PRIVILEGES FOR ROLE postgres IN SCHEMA public GRANT SELECT,USAGE ON SEQUENCES  TO mpesa_recon_app;


--
-- Name: DEFAULT PRIVILEGES FOR TABLES; Type: DEFAULT ACL; Schema: public; Owner: -
--

ALTER DEFAULT PRIVILEGES FOR ROLE postgres IN SCHEMA public GRANT SELECT,INSERT,UPDATE ON TABLES  TO mpesa_recon_app;


--
-- PostgreSQL database dump complete
--


