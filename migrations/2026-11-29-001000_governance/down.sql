DROP TRIGGER IF EXISTS plans_resolution_link ON plans;
DROP TRIGGER IF EXISTS budgets_resolution_link ON budgets;
DROP FUNCTION IF EXISTS agrupa_resolution_link_once();
ALTER TABLE member_status_changes DROP COLUMN IF EXISTS resolution_id;
ALTER TABLE budgets DROP COLUMN IF EXISTS approved_by_resolution_id;
ALTER TABLE plans DROP COLUMN IF EXISTS approved_by_resolution_id;
DROP TABLE IF EXISTS votes, resolutions, roll_entries, agenda_items, meetings, seats, bodies;
DROP FUNCTION IF EXISTS agrupa_resolutions_append_only();
