-- Justification accounts (cuenta justificativa, RLGS art. 72 and 75): what an execution
-- entry needs to be listed as an expense of a grant, and what a call allows.

-- An expense is listed with its creditor's tax id, the date of its document (invoice) and
-- the date it was paid. Entries stay append-only: the payment date is the one thing that
-- may be added later, once (an invoice is recorded when received, paid weeks after).
ALTER TABLE budget_entries
    ADD COLUMN counterparty_tax_id text
        CHECK (counterparty_tax_id ~ '^[A-Z0-9+*]{2,30}$'),
    ADD COLUMN issued_on date,
    ADD COLUMN paid_on date;

CREATE OR REPLACE FUNCTION agrupa_budget_entries_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    -- The one change allowed: the payment date of an entry that had none.
    IF TG_OP = 'UPDATE' AND OLD.paid_on IS NULL AND NEW.paid_on IS NOT NULL
        AND (to_jsonb(NEW) - 'paid_on') = (to_jsonb(OLD) - 'paid_on') THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'execution entries are never changed or deleted; record a reversing entry'
        USING ERRCODE = 'check_violation', CONSTRAINT = 'budget_entries_append_only';
END $$;

-- What a call allows for the justification: the simplified account (art. 75, grants under
-- 60,000 EUR, when the call's rules say so) and a flat rate of indirect costs on the direct
-- costs (basis points; null: indirect costs are justified by their own entries).
ALTER TABLE calls
    ADD COLUMN simplified_justification boolean NOT NULL DEFAULT false,
    ADD COLUMN indirect_cost_rate_bp integer CHECK (indirect_cost_rate_bp BETWEEN 0 AND 2500);
