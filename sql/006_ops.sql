-- mpesa-recon schema, version 6: decisions a person makes about an `unknown` payment (issue 15).
-- A decision is maker-checker like a refund: one admin proposes "paid (receipt R)" or "not paid", a second,
-- different admin confirms the same verdict, and only then does the payment change (through the state machine,
-- source admin). At most one open proposal per payment.

CREATE TABLE payment_decisions (
    id            bigserial PRIMARY KEY,
    payment_id    bigint NOT NULL REFERENCES payments(id),
    verdict       text NOT NULL CHECK (verdict IN ('paid', 'not_paid')),
    receipt       text,
    status        text NOT NULL DEFAULT 'proposed' CHECK (status IN ('proposed', 'confirmed', 'superseded')),
    proposed_by   text NOT NULL,
    proposed_at   timestamptz NOT NULL DEFAULT now(),
    confirmed_by  text,
    confirmed_at  timestamptz,
    CONSTRAINT payment_decisions_paid_has_receipt CHECK (verdict <> 'paid' OR receipt IS NOT NULL),
    CONSTRAINT payment_decisions_checker_not_maker CHECK (confirmed_by IS NULL OR confirmed_by <> proposed_by),
    CONSTRAINT payment_decisions_confirmed_by_someone CHECK ((status = 'confirmed') = (confirmed_by IS NOT NULL))
);

CREATE UNIQUE INDEX payment_decisions_one_open ON payment_decisions (payment_id) WHERE status = 'proposed';
