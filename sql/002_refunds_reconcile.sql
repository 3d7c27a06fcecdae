-- mpesa-recon schema, version 2: refund dispatch that never pays twice, and reconciliation (issue 6).

-- Dispatch bookkeeping of a refund.
ALTER TABLE refunds
    -- Transaction Status said M-Pesa does not know the OriginatorConversationID (or Daraja throttled the send):
    -- the dispatcher sends again with the SAME id, which v3 refuses as a duplicate if the first send got through.
    ADD COLUMN resend_due           boolean NOT NULL DEFAULT false,
    -- When the latest `sending` was committed (before the B2C call).
    ADD COLUMN send_started_at      timestamptz,
    -- When Transaction Status should next be asked about a refund in sending/sent/unknown (a queue timeout, a
    -- re-ask); NULL: once the stuck timeout has passed since send_started_at.
    ADD COLUMN status_check_due_at  timestamptz,
    -- When the status checks ran out without a verdict and the refund was handed to a person.
    ADD COLUMN handed_over_at       timestamptz,
    ADD COLUMN status_checks        integer NOT NULL DEFAULT 0 CHECK (status_checks >= 0),
    -- The latest thing learnt while resolving (a queue timeout, a status answer without a verdict).
    ADD COLUMN dispatch_note        text,
    ADD CONSTRAINT refunds_resend_keeps_id CHECK (NOT resend_due OR originator_conversation_id IS NOT NULL),
    -- No money leaves without an approver, whatever code writes the row.
    ADD CONSTRAINT refunds_sent_has_approver CHECK (
        status IN ('proposed', 'rejected') OR approved_by IS NOT NULL);

CREATE INDEX refunds_dispatch_idx ON refunds (id) WHERE status = 'approved' OR resend_due;
CREATE INDEX refunds_in_flight_idx ON refunds (id) WHERE status IN ('sending', 'sent', 'unknown');
CREATE INDEX refunds_exception_idx ON refunds (exception_id);
-- Reconcile proposes a refund for a finding at most once, even when two reconciles overlap.
CREATE UNIQUE INDEX refunds_one_system_proposal_per_exception ON refunds (exception_id)
    WHERE proposed_by = 'mpesa-recon' AND exception_id IS NOT NULL;

-- Every Transaction Status query sent about a refund: its result names the query's own ids, not the refund's.
CREATE TABLE refund_status_checks (
    id                          bigserial PRIMARY KEY,
    refund_id                   bigint NOT NULL REFERENCES refunds(id),
    -- The ids Daraja gave the status query (its result carries them at the top level).
    originator_conversation_id  text,
    conversation_id             text,
    asked_at                    timestamptz NOT NULL DEFAULT now(),
    answered_at                 timestamptz,
    verdict                     text CHECK (verdict IN
                                ('completed', 'failed', 'not_found', 'no_verdict', 'timeout'))
);
CREATE INDEX refund_status_checks_refund_idx ON refund_status_checks (refund_id);
CREATE INDEX refund_status_checks_originator_idx ON refund_status_checks (originator_conversation_id);
CREATE INDEX refund_status_checks_conversation_idx ON refund_status_checks (conversation_id);

-- Who resolved a finding, when a person did (rejecting its refund): reconcile never reopens those.
ALTER TABLE reconciliation_exceptions ADD COLUMN resolved_by text;

-- Late successes are found from the payment's trail; this keeps that lookup off a full scan.
CREATE INDEX payment_events_late_success_idx ON payment_events (payment_id)
    WHERE to_status = 'completed' AND from_status IN ('failed', 'unknown');
