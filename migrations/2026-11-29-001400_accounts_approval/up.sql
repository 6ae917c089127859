-- Approving the accounts of a year as a resolution's effect (the Assembly approves the
-- accounts each year, LO 1/2002 art. 11.4): the item names the year; adopting it records
-- the approval, once per year, pointing to the resolution.
ALTER TABLE agenda_items
    ADD COLUMN fiscal_year integer CHECK (fiscal_year BETWEEN 2000 AND 2100),
    DROP CONSTRAINT agenda_items_effect_check,
    DROP CONSTRAINT agenda_items_effect,
    ADD CONSTRAINT agenda_items_effect_kind CHECK (effect IN ('none', 'approve_plan',
        'approve_budget', 'admit_member', 'expel_member', 'approve_accounts')),
    ADD CONSTRAINT agenda_items_effect CHECK (
        (effect IN ('none', 'approve_accounts')) = (target_id IS NULL)
        AND (effect = 'approve_accounts') = (fiscal_year IS NOT NULL)
        AND (effect = 'none' OR kind = 'resolution')
        AND ((target_id IS NULL) = (tabled_etag IS NULL)));

CREATE TABLE approved_accounts (
    fiscal_year integer PRIMARY KEY CHECK (fiscal_year BETWEEN 2000 AND 2100),
    resolution_id uuid NOT NULL REFERENCES resolutions (id),
    approved_on date NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT approved_accounts_resolution_key UNIQUE (resolution_id)
);
CREATE TRIGGER approved_accounts_append_only BEFORE UPDATE OR DELETE ON approved_accounts
    FOR EACH ROW EXECUTE FUNCTION agrupa_resolutions_append_only();
