-- mpesa-recon schema, version 13: confirmed money only (security finding 8).

-- A success callback whose amount differs from the one pushed no longer completes the payment: it is held, with an
-- `amount_mismatch` finding for a person, until STK Query confirms the request or two admins decide.
ALTER TABLE reconciliation_exceptions DROP CONSTRAINT reconciliation_exceptions_kind_check;
ALTER TABLE reconciliation_exceptions ADD CONSTRAINT reconciliation_exceptions_kind_check CHECK (kind IN (
    'paid_not_enrolled', 'enrolled_not_paid', 'duplicate_payment', 'underpaid', 'overpaid', 'receipt_conflict',
    'late_success', 'unresolved', 'unmatched_callback', 'callback_conflict',
    'statement_only', 'missing_from_statement', 'statement_amount_mismatch', 'refund_missing_from_statement',
    'ambiguous_statement_line', 'amount_mismatch'));
