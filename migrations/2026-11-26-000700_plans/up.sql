-- The strategic plan: plans (versions), their nodes (axis → area → objective → action, in
-- one table), the member organisations taking part in actions, indicators with yearly
-- targets and measurements. What the assembly approved is frozen: triggers refuse changes to
-- the content of a plan that is no longer a draft (the application checks first and answers
-- 409; the triggers are the backstop).

CREATE TABLE plans (
    id uuid PRIMARY KEY,
    title text NOT NULL CHECK (length(title) BETWEEN 1 AND 300),
    description text CHECK (length(description) <= 10000),
    start_year integer NOT NULL CHECK (start_year BETWEEN 1900 AND 2200),
    end_year integer NOT NULL,
    status text NOT NULL DEFAULT 'draft'
        CHECK (status IN ('draft', 'approved', 'superseded', 'closed')),
    version_number integer NOT NULL DEFAULT 1 CHECK (version_number >= 1),
    revises_id uuid REFERENCES plans (id),
    -- 4: axis → area → objective → action; 3: axis → area → action.
    depth smallint NOT NULL DEFAULT 4 CHECK (depth IN (3, 4)),
    label_axis text NOT NULL DEFAULT 'axis' CHECK (length(label_axis) BETWEEN 1 AND 50),
    label_area text NOT NULL DEFAULT 'area' CHECK (length(label_area) BETWEEN 1 AND 50),
    label_objective text NOT NULL DEFAULT 'objective'
        CHECK (length(label_objective) BETWEEN 1 AND 50),
    label_action text NOT NULL DEFAULT 'action' CHECK (length(label_action) BETWEEN 1 AND 50),
    approved_on date,
    approval_reference text CHECK (length(approval_reference) BETWEEN 1 AND 500),
    approved_by uuid REFERENCES users (id),
    version bigint NOT NULL DEFAULT 1,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT plans_period CHECK (end_year >= start_year AND end_year - start_year < 20),
    -- Every plan but a draft was approved, by someone, with a reference.
    CONSTRAINT plans_approval CHECK ((status = 'draft') = (approved_on IS NULL)
        AND (approved_on IS NULL) = (approval_reference IS NULL))
);
CREATE INDEX plans_revises_id ON plans (revises_id);
CREATE INDEX plans_approved_by ON plans (approved_by);
-- One open draft revision of a plan at a time.
CREATE UNIQUE INDEX plans_one_draft_revision ON plans (revises_id) WHERE status = 'draft';
CREATE TRIGGER plans_set_updated_at BEFORE UPDATE ON plans
    FOR EACH ROW EXECUTE FUNCTION agrupa_set_updated_at();

CREATE FUNCTION agrupa_plan_frozen(detail text) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '%', detail USING ERRCODE = 'check_violation', CONSTRAINT = 'plan_frozen';
END $$;

-- A plan's content changes only while it is a draft; its status moves only
-- draft → approved → superseded | closed.
CREATE FUNCTION agrupa_plans_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF OLD.status <> 'draft' AND (
        NEW.title, NEW.description, NEW.start_year, NEW.end_year, NEW.version_number,
        NEW.revises_id, NEW.depth, NEW.label_axis, NEW.label_area, NEW.label_objective,
        NEW.label_action, NEW.approved_on, NEW.approval_reference, NEW.approved_by
    ) IS DISTINCT FROM (
        OLD.title, OLD.description, OLD.start_year, OLD.end_year, OLD.version_number,
        OLD.revises_id, OLD.depth, OLD.label_axis, OLD.label_area, OLD.label_objective,
        OLD.label_action, OLD.approved_on, OLD.approval_reference, OLD.approved_by
    ) THEN
        PERFORM agrupa_plan_frozen('an approved plan is frozen');
    END IF;
    IF NEW.status <> OLD.status AND (OLD.status, NEW.status) NOT IN (
        ('draft', 'approved'), ('approved', 'superseded'), ('approved', 'closed')
    ) THEN
        PERFORM agrupa_plan_frozen('illegal plan status change');
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER plans_guard BEFORE UPDATE ON plans
    FOR EACH ROW EXECUTE FUNCTION agrupa_plans_guard();

CREATE FUNCTION agrupa_plans_delete_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF OLD.status <> 'draft' THEN
        PERFORM agrupa_plan_frozen('an approved plan cannot be deleted');
    END IF;
    RETURN OLD;
END $$;
CREATE TRIGGER plans_delete_guard BEFORE DELETE ON plans
    FOR EACH ROW EXECUTE FUNCTION agrupa_plans_delete_guard();

CREATE TABLE plan_nodes (
    id uuid PRIMARY KEY,
    plan_id uuid NOT NULL REFERENCES plans (id) ON DELETE CASCADE,
    kind text NOT NULL CHECK (kind IN ('axis', 'area', 'objective', 'action')),
    parent_id uuid,
    parent_kind text,
    -- The axis a node belongs to (itself for an axis): filters by axis without recursion.
    axis_id uuid NOT NULL,
    code text NOT NULL CHECK (code ~ '^[A-Za-z0-9][A-Za-z0-9._-]{0,29}$'),
    title text NOT NULL CHECK (length(title) BETWEEN 1 AND 300),
    description text CHECK (length(description) <= 10000),
    position integer NOT NULL DEFAULT 0,
    weight integer NOT NULL DEFAULT 1 CHECK (weight BETWEEN 0 AND 10000),
    -- Actions only.
    responsible_id uuid REFERENCES users (id),
    start_date date,
    end_date date,
    action_status text CHECK (action_status IN
        ('not_started', 'in_progress', 'completed', 'delayed', 'cancelled')),
    progress smallint CHECK (progress BETWEEN 0 AND 100),
    planned_budget_cents bigint CHECK (planned_budget_cents >= 0),
    version bigint NOT NULL DEFAULT 1,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT plan_nodes_code_key UNIQUE (plan_id, code),
    CONSTRAINT plan_nodes_identity UNIQUE (id, plan_id, kind),
    -- The parent is in the same plan and one level up.
    CONSTRAINT plan_nodes_parent FOREIGN KEY (parent_id, plan_id, parent_kind)
        REFERENCES plan_nodes (id, plan_id, kind),
    CONSTRAINT plan_nodes_levels CHECK (
        (kind = 'axis' AND parent_id IS NULL AND parent_kind IS NULL AND axis_id = id)
        OR (kind = 'area' AND parent_kind = 'axis')
        OR (kind = 'objective' AND parent_kind = 'area')
        OR (kind = 'action' AND parent_kind IN ('objective', 'area'))),
    CONSTRAINT plan_nodes_action_fields CHECK (
        (kind = 'action') = (action_status IS NOT NULL AND progress IS NOT NULL)
        AND (kind = 'action' OR (responsible_id IS NULL AND start_date IS NULL
            AND end_date IS NULL AND planned_budget_cents IS NULL))),
    CONSTRAINT plan_nodes_dates CHECK (end_date >= start_date),
    CONSTRAINT plan_nodes_completed CHECK (action_status <> 'completed' OR progress = 100)
);
CREATE INDEX plan_nodes_parent_id ON plan_nodes (parent_id, plan_id, parent_kind);
CREATE INDEX plan_nodes_axis_id ON plan_nodes (axis_id);
CREATE INDEX plan_nodes_responsible_id ON plan_nodes (responsible_id);
CREATE INDEX plan_nodes_actions ON plan_nodes (code, id) WHERE kind = 'action';
CREATE TRIGGER plan_nodes_set_updated_at BEFORE UPDATE ON plan_nodes
    FOR EACH ROW EXECUTE FUNCTION agrupa_set_updated_at();

-- The content of a node changes only while its plan is a draft; an action's execution
-- (status, progress, responsible person) is followed all year.
CREATE FUNCTION agrupa_plan_nodes_guard() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    plan_status text;
BEGIN
    SELECT status INTO plan_status FROM plans
        WHERE id = CASE WHEN TG_OP = 'DELETE' THEN OLD.plan_id ELSE NEW.plan_id END;
    IF plan_status IS NULL OR plan_status = 'draft' THEN
        RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
    END IF;
    IF TG_OP = 'UPDATE' AND (
        NEW.plan_id, NEW.kind, NEW.parent_id, NEW.axis_id, NEW.code, NEW.title,
        NEW.description, NEW.position, NEW.weight, NEW.start_date, NEW.end_date,
        NEW.planned_budget_cents
    ) IS NOT DISTINCT FROM (
        OLD.plan_id, OLD.kind, OLD.parent_id, OLD.axis_id, OLD.code, OLD.title,
        OLD.description, OLD.position, OLD.weight, OLD.start_date, OLD.end_date,
        OLD.planned_budget_cents
    ) THEN
        RETURN NEW;
    END IF;
    PERFORM agrupa_plan_frozen('the plan is approved and frozen');
    RETURN NULL;
END $$;
CREATE TRIGGER plan_nodes_guard BEFORE INSERT OR UPDATE OR DELETE ON plan_nodes
    FOR EACH ROW EXECUTE FUNCTION agrupa_plan_nodes_guard();

CREATE TABLE action_participants (
    action_id uuid NOT NULL REFERENCES plan_nodes (id) ON DELETE CASCADE,
    member_id uuid NOT NULL REFERENCES members (id),
    PRIMARY KEY (action_id, member_id)
);
CREATE INDEX action_participants_member_id ON action_participants (member_id);

CREATE TABLE indicators (
    id uuid PRIMARY KEY,
    plan_id uuid NOT NULL REFERENCES plans (id) ON DELETE CASCADE,
    node_id uuid NOT NULL,
    node_kind text NOT NULL CHECK (node_kind IN ('objective', 'action')),
    name text NOT NULL CHECK (length(name) BETWEEN 1 AND 300),
    unit text NOT NULL CHECK (length(unit) BETWEEN 1 AND 50),
    higher_is_better boolean NOT NULL,
    baseline double precision NOT NULL CHECK (baseline BETWEEN -1e15 AND 1e15),
    position integer NOT NULL DEFAULT 0,
    version bigint NOT NULL DEFAULT 1,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT indicators_node FOREIGN KEY (node_id, plan_id, node_kind)
        REFERENCES plan_nodes (id, plan_id, kind) ON DELETE CASCADE,
    CONSTRAINT indicators_name_key UNIQUE (node_id, name)
);
CREATE INDEX indicators_plan_id ON indicators (plan_id, node_id);
CREATE TRIGGER indicators_set_updated_at BEFORE UPDATE ON indicators
    FOR EACH ROW EXECUTE FUNCTION agrupa_set_updated_at();

CREATE TABLE indicator_targets (
    indicator_id uuid NOT NULL REFERENCES indicators (id) ON DELETE CASCADE,
    year integer NOT NULL,
    value double precision NOT NULL CHECK (value BETWEEN -1e15 AND 1e15),
    PRIMARY KEY (indicator_id, year)
);

-- Indicator definitions and targets are content: frozen with their plan.
CREATE FUNCTION agrupa_indicators_guard() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    plan_status text;
BEGIN
    IF TG_TABLE_NAME = 'indicators' THEN
        SELECT status INTO plan_status FROM plans
            WHERE id = CASE WHEN TG_OP = 'DELETE' THEN OLD.plan_id ELSE NEW.plan_id END;
    ELSE
        SELECT p.status INTO plan_status FROM plans p JOIN indicators i ON i.plan_id = p.id
            WHERE i.id = CASE WHEN TG_OP = 'DELETE' THEN OLD.indicator_id
                ELSE NEW.indicator_id END;
    END IF;
    IF plan_status IS NOT NULL AND plan_status <> 'draft' THEN
        PERFORM agrupa_plan_frozen('the plan is approved and frozen');
    END IF;
    RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
END $$;
CREATE TRIGGER indicators_guard BEFORE INSERT OR UPDATE OR DELETE ON indicators
    FOR EACH ROW EXECUTE FUNCTION agrupa_indicators_guard();
CREATE TRIGGER indicator_targets_guard BEFORE INSERT OR UPDATE OR DELETE ON indicator_targets
    FOR EACH ROW EXECUTE FUNCTION agrupa_indicators_guard();

-- Measurements are facts recorded all year, on any plan.
CREATE TABLE indicator_measurements (
    id uuid PRIMARY KEY,
    indicator_id uuid NOT NULL REFERENCES indicators (id) ON DELETE CASCADE,
    measured_on date NOT NULL,
    value double precision NOT NULL CHECK (value BETWEEN -1e15 AND 1e15),
    source text CHECK (length(source) <= 300),
    note text CHECK (length(note) <= 2000),
    recorded_by uuid,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX indicator_measurements_indicator ON indicator_measurements (indicator_id, measured_on);
