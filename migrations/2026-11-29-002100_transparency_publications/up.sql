-- The fiscal years the cluster has published on its public transparency feed (Ley 19/2013,
-- art. 3.b and 8). A row means "published": the public feed serves the year's data only
-- while its row exists. Withdrawing deletes the row; who published and withdrew, and when,
-- stays in the audit trail.
CREATE TABLE transparency_publications (
    fiscal_year integer PRIMARY KEY CHECK (fiscal_year BETWEEN 2000 AND 2100),
    -- Names this publication in the audit trail (a new one each time the year is published).
    id uuid NOT NULL UNIQUE,
    -- A note shown on the public feed (e.g. which assembly approved the accounts).
    note text CHECK (length(note) BETWEEN 1 AND 2000),
    published_by uuid REFERENCES users (id) ON DELETE SET NULL,
    published_at timestamptz NOT NULL DEFAULT now(),
    version bigint NOT NULL DEFAULT 1,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX transparency_publications_published_by ON transparency_publications (published_by);
CREATE TRIGGER transparency_publications_set_updated_at BEFORE UPDATE ON transparency_publications
    FOR EACH ROW EXECUTE FUNCTION agrupa_set_updated_at();
