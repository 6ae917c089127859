DROP TABLE approved_accounts;
DELETE FROM agenda_items WHERE effect = 'approve_accounts';
ALTER TABLE agenda_items
    DROP CONSTRAINT agenda_items_effect,
    DROP CONSTRAINT agenda_items_effect_kind,
    DROP COLUMN fiscal_year,
    ADD CONSTRAINT agenda_items_effect_check CHECK (effect IN ('none', 'approve_plan',
        'approve_budget', 'admit_member', 'expel_member')),
    ADD CONSTRAINT agenda_items_effect CHECK (
        (effect = 'none') = (target_id IS NULL)
        AND (effect = 'none' OR kind = 'resolution')
        AND ((target_id IS NULL) = (tabled_etag IS NULL)));
