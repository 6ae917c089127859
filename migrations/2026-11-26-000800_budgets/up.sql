-- Budgets: yearly versions approved by the assembly, their income and expense lines (tied
-- to plan actions by shares, and to their income source), and execution entries that are
-- never edited. Entries belong to a fiscal year and a line's lineage (`line_key`, kept
-- across versions), so they follow whichever version of the year is approved; per-line
-- totals are kept in the same transaction as each entry, so reports never sum entries.

-- Budget categories: data, seeded with a standard chart; admins add more.
CREATE TABLE budget_categories (
    id uuid PRIMARY KEY,
    kind text NOT NULL CHECK (kind IN ('income', 'expense')),
    code text NOT NULL UNIQUE CHECK (code ~ '^[a-z0-9][a-z0-9_-]{0,49}$'),
    name text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
    position integer NOT NULL DEFAULT 0,
    version bigint NOT NULL DEFAULT 1,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT budget_categories_identity UNIQUE (id, kind)
);
CREATE TRIGGER budget_categories_set_updated_at BEFORE UPDATE ON budget_categories
    FOR EACH ROW EXECUTE FUNCTION agrupa_set_updated_at();
INSERT INTO budget_categories (id, kind, code, name, position)
SELECT md5('agrupa-budget-category-' || code)::uuid, kind, code, name, position
FROM (VALUES
    ('income', 'membership_fees', 'Cuotas de socios', 10),
    ('income', 'institutional_agreement', 'Convenio institucional', 20),
    ('income', 'public_subsidies', 'Subvenciones públicas', 30),
    ('income', 'private_sponsorship', 'Patrocinio privado', 40),
    ('income', 'services', 'Prestación de servicios', 50),
    ('income', 'other_income', 'Otros ingresos', 60),
    ('expense', 'staff', 'Personal', 110),
    ('expense', 'activities_events', 'Actividades y eventos', 120),
    ('expense', 'communication', 'Comunicación', 130),
    ('expense', 'travel', 'Viajes y desplazamientos', 140),
    ('expense', 'professional_services', 'Servicios profesionales', 150),
    ('expense', 'overheads', 'Gastos generales', 160),
    ('expense', 'other_expenses', 'Otros gastos', 170)
) AS c (kind, code, name, position);

CREATE TABLE budgets (
    id uuid PRIMARY KEY,
    fiscal_year integer NOT NULL CHECK (fiscal_year BETWEEN 1900 AND 2200),
    plan_id uuid REFERENCES plans (id),
    title text NOT NULL CHECK (length(title) BETWEEN 1 AND 300),
    description text CHECK (length(description) <= 10000),
    status text NOT NULL DEFAULT 'draft'
        CHECK (status IN ('draft', 'proposed', 'approved', 'superseded', 'closed')),
    version_number integer NOT NULL DEFAULT 1 CHECK (version_number >= 1),
    revises_id uuid REFERENCES budgets (id),
    approved_on date,
    approval_reference text CHECK (length(approval_reference) BETWEEN 1 AND 500),
    approved_by uuid REFERENCES users (id),
    version bigint NOT NULL DEFAULT 1,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT budgets_approval CHECK (
        (status IN ('draft', 'proposed')) = (approved_on IS NULL)
        AND (approved_on IS NULL) = (approval_reference IS NULL))
);
CREATE INDEX budgets_plan_id ON budgets (plan_id);
CREATE INDEX budgets_revises_id ON budgets (revises_id);
CREATE INDEX budgets_approved_by ON budgets (approved_by);
-- One approved budget per fiscal year at a time; one open revision per budget.
CREATE UNIQUE INDEX budgets_one_approved_per_year ON budgets (fiscal_year) WHERE status = 'approved';
CREATE UNIQUE INDEX budgets_one_open_revision ON budgets (revises_id)
    WHERE status IN ('draft', 'proposed');
CREATE TRIGGER budgets_set_updated_at BEFORE UPDATE ON budgets
    FOR EACH ROW EXECUTE FUNCTION agrupa_set_updated_at();

CREATE FUNCTION agrupa_budget_frozen(detail text) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '%', detail USING ERRCODE = 'check_violation', CONSTRAINT = 'budget_frozen';
END $$;

-- A budget's content changes only while it is a draft; its status moves only
-- draft ↔ proposed → approved → superseded | closed (draft → approved too).
CREATE FUNCTION agrupa_budgets_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        IF OLD.status <> 'draft' THEN
            PERFORM agrupa_budget_frozen('only draft budgets are deleted');
        END IF;
        RETURN OLD;
    END IF;
    IF OLD.status <> 'draft' AND (
        NEW.fiscal_year, NEW.plan_id, NEW.title, NEW.description, NEW.version_number,
        NEW.revises_id
    ) IS DISTINCT FROM (
        OLD.fiscal_year, OLD.plan_id, OLD.title, OLD.description, OLD.version_number,
        OLD.revises_id
    ) THEN
        PERFORM agrupa_budget_frozen('the budget is frozen');
    END IF;
    IF OLD.status NOT IN ('draft', 'proposed') AND (
        NEW.approved_on, NEW.approval_reference, NEW.approved_by
    ) IS DISTINCT FROM (
        OLD.approved_on, OLD.approval_reference, OLD.approved_by
    ) THEN
        PERFORM agrupa_budget_frozen('an approval is never rewritten');
    END IF;
    IF NEW.status <> OLD.status AND (OLD.status, NEW.status) NOT IN (
        ('draft', 'proposed'), ('proposed', 'draft'), ('draft', 'approved'),
        ('proposed', 'approved'), ('approved', 'superseded'), ('approved', 'closed')
    ) THEN
        PERFORM agrupa_budget_frozen('illegal budget status change');
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER budgets_guard BEFORE UPDATE OR DELETE ON budgets
    FOR EACH ROW EXECUTE FUNCTION agrupa_budgets_guard();

CREATE TABLE budget_lines (
    id uuid PRIMARY KEY,
    budget_id uuid NOT NULL REFERENCES budgets (id) ON DELETE CASCADE,
    -- The line across versions of the budget: a revision copies it.
    line_key uuid NOT NULL,
    code text NOT NULL CHECK (code ~ '^[A-Za-z0-9][A-Za-z0-9._-]{0,29}$'),
    kind text NOT NULL CHECK (kind IN ('income', 'expense')),
    category_id uuid NOT NULL,
    description text NOT NULL CHECK (length(description) BETWEEN 1 AND 500),
    planned_cents bigint NOT NULL CHECK (planned_cents BETWEEN 0 AND 1000000000000000),
    -- Income lines: where the money comes from (a member category's fees, or free text
    -- until agreements and subsidy applications exist).
    source_member_category_id uuid REFERENCES member_categories (id),
    source_text text CHECK (length(source_text) BETWEEN 1 AND 300),
    position integer NOT NULL DEFAULT 0,
    version bigint NOT NULL DEFAULT 1,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT budget_lines_code_key UNIQUE (budget_id, code),
    CONSTRAINT budget_lines_line_key UNIQUE (budget_id, line_key),
    CONSTRAINT budget_lines_category FOREIGN KEY (category_id, kind)
        REFERENCES budget_categories (id, kind),
    CONSTRAINT budget_lines_source CHECK (
        (kind = 'income' OR (source_member_category_id IS NULL AND source_text IS NULL))
        AND NOT (source_member_category_id IS NOT NULL AND source_text IS NOT NULL))
);
CREATE INDEX budget_lines_category_id ON budget_lines (category_id, kind);
CREATE INDEX budget_lines_source ON budget_lines (source_member_category_id);
CREATE TRIGGER budget_lines_set_updated_at BEFORE UPDATE ON budget_lines
    FOR EACH ROW EXECUTE FUNCTION agrupa_set_updated_at();

-- The plan actions an expense line serves, with the share of the line each gets (basis
-- points; a line's shares add up to 10,000 or the line has none).
CREATE TABLE budget_line_actions (
    line_id uuid NOT NULL REFERENCES budget_lines (id) ON DELETE CASCADE,
    action_id uuid NOT NULL REFERENCES plan_nodes (id),
    share_bp integer NOT NULL CHECK (share_bp BETWEEN 1 AND 10000),
    PRIMARY KEY (line_id, action_id)
);
CREATE INDEX budget_line_actions_action_id ON budget_line_actions (action_id);

CREATE FUNCTION agrupa_budget_line_shares() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    line uuid := CASE WHEN TG_OP = 'DELETE' THEN OLD.line_id ELSE NEW.line_id END;
    total bigint;
BEGIN
    SELECT sum(share_bp) INTO total FROM budget_line_actions WHERE line_id = line;
    IF total IS NOT NULL AND total <> 10000 THEN
        RAISE EXCEPTION 'the shares of a line add up to %, not 10000', total
            USING ERRCODE = 'check_violation', CONSTRAINT = 'budget_line_shares';
    END IF;
    RETURN NULL;
END $$;
CREATE CONSTRAINT TRIGGER budget_line_actions_sum AFTER INSERT OR UPDATE OR DELETE
    ON budget_line_actions DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION agrupa_budget_line_shares();

-- Lines and their shares change only while their budget is a draft.
CREATE FUNCTION agrupa_budget_lines_guard() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    budget_status text;
BEGIN
    IF TG_TABLE_NAME = 'budget_lines' THEN
        SELECT status INTO budget_status FROM budgets
            WHERE id = CASE WHEN TG_OP = 'DELETE' THEN OLD.budget_id ELSE NEW.budget_id END;
    ELSE
        SELECT b.status INTO budget_status FROM budgets b JOIN budget_lines l ON l.budget_id = b.id
            WHERE l.id = CASE WHEN TG_OP = 'DELETE' THEN OLD.line_id ELSE NEW.line_id END;
    END IF;
    IF budget_status IS NOT NULL AND budget_status <> 'draft' THEN
        PERFORM agrupa_budget_frozen('the budget is frozen');
    END IF;
    RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
END $$;
CREATE TRIGGER budget_lines_guard BEFORE INSERT OR UPDATE OR DELETE ON budget_lines
    FOR EACH ROW EXECUTE FUNCTION agrupa_budget_lines_guard();
CREATE TRIGGER budget_line_actions_guard BEFORE INSERT OR UPDATE OR DELETE ON budget_line_actions
    FOR EACH ROW EXECUTE FUNCTION agrupa_budget_lines_guard();

-- Execution: never edited or deleted; a correction is a reversing entry.
CREATE TABLE budget_entries (
    id uuid PRIMARY KEY,
    fiscal_year integer NOT NULL,
    line_key uuid NOT NULL,
    -- The line it was recorded against (a line of the approved version at the time).
    line_id uuid NOT NULL REFERENCES budget_lines (id),
    entry_date date NOT NULL,
    kind text NOT NULL CHECK (kind IN ('commitment', 'actual')),
    amount_cents bigint NOT NULL CHECK (amount_cents <> 0
        AND amount_cents BETWEEN -1000000000000000 AND 1000000000000000),
    description text NOT NULL CHECK (length(description) BETWEEN 1 AND 500),
    document_ref text CHECK (length(document_ref) BETWEEN 1 AND 100),
    counterparty text CHECK (length(counterparty) BETWEEN 1 AND 300),
    reverses_id uuid UNIQUE REFERENCES budget_entries (id),
    recorded_by uuid,
    request_id text,
    created_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT budget_entries_year CHECK (extract(year FROM entry_date) = fiscal_year)
);
CREATE INDEX budget_entries_line ON budget_entries (fiscal_year, line_key, entry_date, id);
CREATE INDEX budget_entries_line_id ON budget_entries (line_id);

CREATE FUNCTION agrupa_budget_entries_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'execution entries are never changed or deleted; record a reversing entry'
        USING ERRCODE = 'check_violation', CONSTRAINT = 'budget_entries_append_only';
END $$;
CREATE TRIGGER budget_entries_append_only BEFORE UPDATE OR DELETE ON budget_entries
    FOR EACH ROW EXECUTE FUNCTION agrupa_budget_entries_append_only();

-- Per-line execution totals of a fiscal year, kept by the entry insert in the same
-- transaction: the report reads one row per line instead of summing every entry.
CREATE TABLE budget_line_totals (
    fiscal_year integer NOT NULL,
    line_key uuid NOT NULL,
    committed_cents bigint NOT NULL DEFAULT 0,
    actual_cents bigint NOT NULL DEFAULT 0,
    entries bigint NOT NULL DEFAULT 0,
    PRIMARY KEY (fiscal_year, line_key)
) WITH (fillfactor = 50); -- room on each page for HOT updates: every entry updates its row


CREATE FUNCTION agrupa_budget_line_totals() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO budget_line_totals AS t (fiscal_year, line_key, committed_cents, actual_cents, entries)
    VALUES (NEW.fiscal_year, NEW.line_key,
            CASE WHEN NEW.kind = 'commitment' THEN NEW.amount_cents ELSE 0 END,
            CASE WHEN NEW.kind = 'actual' THEN NEW.amount_cents ELSE 0 END, 1)
    ON CONFLICT (fiscal_year, line_key) DO UPDATE SET
        committed_cents = t.committed_cents + EXCLUDED.committed_cents,
        actual_cents = t.actual_cents + EXCLUDED.actual_cents,
        entries = t.entries + 1;
    RETURN NULL;
END $$;
CREATE TRIGGER budget_entries_totals AFTER INSERT ON budget_entries
    FOR EACH ROW EXECUTE FUNCTION agrupa_budget_line_totals();
