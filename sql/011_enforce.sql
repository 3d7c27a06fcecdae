-- mpesa-recon schema, version 11: the database enforces what the README says, also against SQL written with the
-- application's own login. Refund and payment statuses follow the state machines of ReconCore; an approved refund
-- has the approvals its amount needs (the threshold lives in recon_settings, written by the schema owner only);
-- decisions about payments and findings name an active account holding the admin role; audit_log cannot be
-- truncated. `migrate` then grants the runtime role (mpesa_recon_app by default) what the code needs and nothing
-- that lets it alter a table or disable a trigger (recon_grant_app_role below), and optionally a read-only role
-- SELECT on the records (recon_grant_readonly_role).

-- Every function the triggers run names its search_path, pg_temp last: by default PostgreSQL looks up a relation in
-- the session's temporary schema first, so the application's login could otherwise shadow recon_settings, users or
-- user_roles with a temporary table of its own and pass any check. The earlier migrations' functions get the same.
ALTER FUNCTION refunds_within_payment_amount() SET search_path = public, pg_temp;
ALTER FUNCTION recon_is_admin(bigint) SET search_path = public, pg_temp;
ALTER FUNCTION recon_refund_decisions_need_accounts() SET search_path = public, pg_temp;
ALTER FUNCTION recon_audit_log_append_only() SET search_path = public, pg_temp;

-- Settings the triggers read. Only the owner writes them (`migrate` writes RECON_DUAL_APPROVAL_ABOVE here); the
-- runtime role may read them, so a bare UPDATE from the application's login cannot lower the threshold.
CREATE TABLE recon_settings (
    key         text PRIMARY KEY CHECK (key IN ('dual_approval_above')),
    value       numeric(12,2) NOT NULL CHECK (value >= 0),
    updated_at  timestamptz NOT NULL DEFAULT now()
);
-- The default of RECON_DUAL_APPROVAL_ABOVE (ApprovalSettings in ReconCore).
INSERT INTO recon_settings (key, value) VALUES ('dual_approval_above', 10000.00);

-- Whether an account may decide now: active and holding the admin role. `is_staff` alone does not count here.
CREATE FUNCTION recon_holds_admin_role(account bigint) RETURNS boolean
LANGUAGE sql STABLE
SET search_path = public, pg_temp AS $$
    SELECT EXISTS (
        SELECT 1 FROM users u JOIN user_roles r ON r.user_id = u.id AND r.role = 'admin'
        WHERE u.id = account AND u.is_active)
$$;

-- The edges of RefundStateMachine and RefundApproval (ReconCore/Refunds). A status may always stay as it is (a
-- resend keeps `sending`, a late answer fills in a conversation id). `unknown` is left only for a verdict; a
-- refund is never sent again once Daraja accepted it.
CREATE FUNCTION recon_refund_transition_allowed(from_status text, to_status text) RETURNS boolean
LANGUAGE sql IMMUTABLE
SET search_path = public, pg_temp AS $$
    SELECT from_status = to_status OR (from_status, to_status) IN (
        ('proposed', 'approved'), ('proposed', 'rejected'),
        ('approved', 'sending'), ('approved', 'rejected'),
        ('sending', 'sent'), ('sending', 'succeeded'), ('sending', 'failed'), ('sending', 'unknown'),
        ('sent', 'succeeded'), ('sent', 'failed'), ('sent', 'unknown'),
        ('unknown', 'succeeded'), ('unknown', 'failed'))
$$;

-- A refund is born `proposed` and moves only along the state machine's edges; once past `proposed`, what was
-- decided (amount, payment, proposer, approvers) no longer changes.
CREATE FUNCTION recon_refunds_follow_state_machine() RETURNS trigger
LANGUAGE plpgsql
SET search_path = public, pg_temp AS $$
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
CREATE TRIGGER refunds_follow_state_machine BEFORE INSERT OR UPDATE ON refunds
    FOR EACH ROW EXECUTE FUNCTION recon_refunds_follow_state_machine();

-- A refund that may pay out (approved, sending, sent, succeeded) has its approver's account; strictly above the
-- dual-approval threshold, a second, different approver's account too (RefundApproval.needsTwoApprovers). Checked
-- when a refund becomes approved (or is written approved); after that the approvals are frozen (above), so rows
-- approved before accounts existed keep moving through dispatch.
CREATE FUNCTION recon_refunds_status_matches_approvals() RETURNS trigger
LANGUAGE plpgsql
SET search_path = public, pg_temp AS $$
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
CREATE TRIGGER refunds_status_matches_approvals BEFORE INSERT OR UPDATE ON refunds
    FOR EACH ROW EXECUTE FUNCTION recon_refunds_status_matches_approvals();

-- The edges of PaymentStateMachine (ReconCore/Payments): a verdict settles a pending or unknown payment, only money
-- that moved (a success) overturns a failure, and `completed` never goes back. New rows are not restricted: the LMS
-- and imports may write payments in any state the CHECKs allow.
CREATE FUNCTION recon_payment_transition_allowed(from_status text, to_status text) RETURNS boolean
LANGUAGE sql IMMUTABLE
SET search_path = public, pg_temp AS $$
    SELECT from_status = to_status OR (from_status, to_status) IN (
        ('pending', 'completed'), ('pending', 'failed'), ('pending', 'unknown'),
        ('unknown', 'completed'), ('unknown', 'failed'),
        ('failed', 'completed'))
$$;

CREATE FUNCTION recon_payments_follow_state_machine() RETURNS trigger
LANGUAGE plpgsql
SET search_path = public, pg_temp AS $$
BEGIN
    IF NOT recon_payment_transition_allowed(OLD.status, NEW.status) THEN
        RAISE EXCEPTION 'a payment cannot go from % to %', OLD.status, NEW.status
            USING ERRCODE = 'check_violation', CONSTRAINT = 'payments_follow_state_machine', TABLE = 'payments';
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER payments_follow_state_machine BEFORE UPDATE OF status ON payments
    FOR EACH ROW EXECUTE FUNCTION recon_payments_follow_state_machine();

-- A decision about an `unknown` payment is proposed and confirmed by active admin accounts (maker-checker, see
-- sql/006_ops.sql); a proposal is closed once (confirmed or superseded) and then stays as it is.
CREATE FUNCTION recon_payment_decisions_need_admins() RETURNS trigger
LANGUAGE plpgsql
SET search_path = public, pg_temp AS $$
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
CREATE TRIGGER payment_decisions_need_admins BEFORE INSERT OR UPDATE ON payment_decisions
    FOR EACH ROW EXECUTE FUNCTION recon_payment_decisions_need_admins();

-- A finding resolved by a person names an active admin account. Resolutions by the system (reconcile, statement
-- matching) write no name and no account.
CREATE FUNCTION recon_exception_resolutions_need_admins() RETURNS trigger
LANGUAGE plpgsql
SET search_path = public, pg_temp AS $$
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
CREATE TRIGGER reconciliation_exceptions_resolutions_need_admins BEFORE INSERT OR UPDATE ON reconciliation_exceptions
    FOR EACH ROW EXECUTE FUNCTION recon_exception_resolutions_need_admins();

-- The row trigger of sql/007_identity.sql does not see TRUNCATE.
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION recon_audit_log_append_only();

-- A role the application or a reader connects as: created NOLOGIN when missing (the deployer gives it LOGIN and a
-- password, or grants it to a login role; an existing role keeps its attributes), and refused when it is a
-- superuser, the owner, a member of the owner or the owner of tables, since then grants would not limit it.
CREATE FUNCTION recon_prepare_runtime_role(role_name text) RETURNS void
LANGUAGE plpgsql
SET search_path = public, pg_temp AS $$
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

-- The application's runtime role: it reads and writes rows, never owns a table, so it can neither ALTER a table,
-- DISABLE a trigger nor TRUNCATE. `migrate` calls this after every run, so tables added by later migrations get
-- their grants (a migration that adds a table with other needs replaces this function).
CREATE FUNCTION recon_grant_app_role(app_role text) RETURNS void
LANGUAGE plpgsql
SET search_path = public, pg_temp AS $$
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

-- A role for reports and people who only read (`migrate --readonly-role`): SELECT on the records, none on sealed
-- credentials, sessions, idempotency records or login throttling, and no password hashes. Tables added later stay
-- unreadable to it until the next migrate (no default privileges: a new table may hold secrets).
CREATE FUNCTION recon_grant_readonly_role(readonly_role text) RETURNS void
LANGUAGE plpgsql
SET search_path = public, pg_temp AS $$
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

-- Only the owner grants (they run with the caller's rights anyway; this keeps them out of the runtime roles' hands).
REVOKE EXECUTE ON FUNCTION recon_prepare_runtime_role(text) FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION recon_grant_app_role(text) FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION recon_grant_readonly_role(text) FROM PUBLIC;
