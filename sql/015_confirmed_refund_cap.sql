-- mpesa-recon schema, version 15: refunds capped by confirmed money; one definition of "admin" in the database.

-- A refund never exceeds money M-Pesa confirmed: the statement line matched to the payment, else the amount that
-- was pushed (the payer cannot change an STK Push's amount), or less when a callback reported less. What a callback
-- reported never raises it: a forged "overpaid" callback must not make its excess refundable, on rows recorded
-- before version 13 either.
CREATE OR REPLACE FUNCTION refunds_within_payment_amount() RETURNS trigger LANGUAGE plpgsql
SET search_path = public, pg_temp AS $$
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

-- The decision and resolution triggers (version 11) ask the same question as the program: with
-- RECON_STAFF_IS_ADMIN=true a staff account is an admin there too (recon_is_admin, version 12).
CREATE OR REPLACE FUNCTION recon_holds_admin_role(account bigint) RETURNS boolean
LANGUAGE sql STABLE
SET search_path = public, pg_temp AS $$
    SELECT recon_is_admin(account)
$$;
