ALTER TABLE calls DROP COLUMN indirect_cost_rate_bp, DROP COLUMN simplified_justification;
CREATE OR REPLACE FUNCTION agrupa_budget_entries_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'execution entries are never changed or deleted; record a reversing entry'
        USING ERRCODE = 'check_violation', CONSTRAINT = 'budget_entries_append_only';
END $$;
ALTER TABLE budget_entries DROP COLUMN paid_on, DROP COLUMN issued_on, DROP COLUMN counterparty_tax_id;
