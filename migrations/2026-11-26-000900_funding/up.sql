-- Funding: funders (ministries, city councils, agencies…), their calls for subsidies,
-- multi-year agreements with yearly instalments, and the cluster's subsidy applications,
-- which follow a state machine kept by a trigger and leave every move in a history.
-- Granted money reaches the budget as income lines of the years it funds.

CREATE TABLE funders (
    id uuid PRIMARY KEY,
    name text NOT NULL CHECK (length(name) BETWEEN 1 AND 300),
    kind text NOT NULL
        CHECK (kind IN ('ministry', 'regional_government', 'city_council', 'eu', 'private', 'other')),
    tax_id text CHECK (length(tax_id) BETWEEN 1 AND 30),
    website text CHECK (length(website) BETWEEN 1 AND 500),
    version bigint NOT NULL DEFAULT 1,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT funders_name_key UNIQUE (name),
    CONSTRAINT funders_tax_id_key UNIQUE (tax_id)
);
CREATE TRIGGER funders_set_updated_at BEFORE UPDATE ON funders
    FOR EACH ROW EXECUTE FUNCTION agrupa_set_updated_at();

-- The identity issue left users.funder_id and api_clients.funder_id without a target:
-- links made before funders existed point nowhere and are cleared.
UPDATE users SET funder_id = NULL WHERE funder_id IS NOT NULL;
UPDATE api_clients SET funder_id = NULL WHERE funder_id IS NOT NULL;
ALTER TABLE users ADD CONSTRAINT users_funder_id_fkey FOREIGN KEY (funder_id) REFERENCES funders (id);
ALTER TABLE api_clients ADD CONSTRAINT api_clients_funder_id_fkey
    FOREIGN KEY (funder_id) REFERENCES funders (id);

-- Calls for subsidies (convocatorias). Their status (forecast, open, closed) is derived
-- from the opening and closing instants, never stored.
CREATE TABLE calls (
    id uuid PRIMARY KEY,
    funder_id uuid NOT NULL REFERENCES funders (id),
    title text NOT NULL CHECK (length(title) BETWEEN 1 AND 500),
    programme text CHECK (length(programme) BETWEEN 1 AND 300),
    bdns_code text CHECK (bdns_code ~ '^[0-9]{1,10}$'),
    journal_reference text CHECK (length(journal_reference) BETWEEN 1 AND 300),
    journal_url text CHECK (length(journal_url) BETWEEN 1 AND 500),
    opens_at timestamptz NOT NULL,
    closes_at timestamptz NOT NULL,
    max_grant_cents bigint CHECK (max_grant_cents BETWEEN 1 AND 1000000000000000),
    cofinancing_rate_bp integer NOT NULL CHECK (cofinancing_rate_bp BETWEEN 1 AND 10000),
    execution_starts_on date,
    execution_ends_on date,
    justification_due_on date,
    version bigint NOT NULL DEFAULT 1,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT calls_bdns_code_key UNIQUE (bdns_code),
    CONSTRAINT calls_window CHECK (closes_at > opens_at),
    CONSTRAINT calls_execution CHECK (execution_ends_on >= execution_starts_on)
);
CREATE INDEX calls_funder_id ON calls (funder_id, closes_at);
CREATE INDEX calls_closes_at ON calls (closes_at);
CREATE TRIGGER calls_set_updated_at BEFORE UPDATE ON calls
    FOR EACH ROW EXECUTE FUNCTION agrupa_set_updated_at();

-- The expense categories a call accepts as eligible costs.
CREATE TABLE call_cost_categories (
    call_id uuid NOT NULL REFERENCES calls (id) ON DELETE CASCADE,
    category_id uuid NOT NULL,
    kind text NOT NULL DEFAULT 'expense' CHECK (kind = 'expense'),
    PRIMARY KEY (call_id, category_id),
    FOREIGN KEY (category_id, kind) REFERENCES budget_categories (id, kind)
);
CREATE INDEX call_cost_categories_category ON call_cost_categories (category_id, kind);

-- Agreements (convenios) and their yearly instalments; an instalment names the income line
-- of its year's budget that receives it (the line's lineage follows every version).
CREATE TABLE agreements (
    id uuid PRIMARY KEY,
    funder_id uuid NOT NULL REFERENCES funders (id),
    title text NOT NULL CHECK (length(title) BETWEEN 1 AND 500),
    reference text CHECK (length(reference) BETWEEN 1 AND 100),
    starts_on date NOT NULL,
    ends_on date NOT NULL,
    total_cents bigint NOT NULL CHECK (total_cents BETWEEN 0 AND 1000000000000000),
    obligations text CHECK (length(obligations) <= 10000),
    justification_due_on date,
    version bigint NOT NULL DEFAULT 1,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT agreements_reference_key UNIQUE (funder_id, reference),
    CONSTRAINT agreements_dates CHECK (ends_on >= starts_on)
);
CREATE INDEX agreements_funder_id ON agreements (funder_id);
CREATE TRIGGER agreements_set_updated_at BEFORE UPDATE ON agreements
    FOR EACH ROW EXECUTE FUNCTION agrupa_set_updated_at();

CREATE TABLE agreement_instalments (
    id uuid PRIMARY KEY,
    agreement_id uuid NOT NULL REFERENCES agreements (id) ON DELETE CASCADE,
    fiscal_year integer NOT NULL CHECK (fiscal_year BETWEEN 1900 AND 2200),
    amount_cents bigint NOT NULL CHECK (amount_cents BETWEEN 0 AND 1000000000000000),
    justification_due_on date,
    budget_line_id uuid REFERENCES budget_lines (id) ON DELETE SET NULL,
    CONSTRAINT agreement_instalments_year_key UNIQUE (agreement_id, fiscal_year)
);
CREATE INDEX agreement_instalments_line ON agreement_instalments (budget_line_id);

-- Subsidy applications (solicitudes de ayuda).
CREATE TABLE applications (
    id uuid PRIMARY KEY,
    call_id uuid NOT NULL REFERENCES calls (id),
    title text NOT NULL CHECK (length(title) BETWEEN 1 AND 500),
    summary text CHECK (length(summary) <= 10000),
    -- NULL: the cluster itself leads.
    lead_member_id uuid REFERENCES members (id),
    status text NOT NULL DEFAULT 'draft' CHECK (status IN (
        'draft', 'submitted', 'under_review', 'changes_requested', 'granted',
        'partially_granted', 'rejected', 'accepted', 'renounced', 'justification_submitted',
        'justified', 'closed', 'withdrawn')),
    eligible_cost_cents bigint NOT NULL CHECK (eligible_cost_cents BETWEEN 0 AND 1000000000000000),
    requested_cents bigint NOT NULL CHECK (requested_cents BETWEEN 0 AND 1000000000000000),
    own_funding_cents bigint NOT NULL CHECK (own_funding_cents BETWEEN 0 AND 1000000000000000),
    other_aid_cents bigint NOT NULL CHECK (other_aid_cents BETWEEN 0 AND 1000000000000000),
    granted_cents bigint CHECK (granted_cents BETWEEN 0 AND 1000000000000000),
    submitted_at timestamptz,
    decided_on date,
    justification_due_on date,
    version bigint NOT NULL DEFAULT 1,
    created_by uuid,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT applications_balance
        CHECK (requested_cents + own_funding_cents + other_aid_cents = eligible_cost_cents),
    CONSTRAINT applications_granted CHECK (granted_cents <= requested_cents),
    -- A grant has an amount; every decision (grant or rejection) has a date.
    CONSTRAINT applications_decision CHECK (
        (status IN ('granted', 'partially_granted', 'accepted', 'renounced',
                    'justification_submitted', 'justified', 'closed'))
            = (granted_cents IS NOT NULL)
        AND (status IN ('draft', 'submitted', 'under_review', 'changes_requested', 'withdrawn'))
            = (decided_on IS NULL))
);
CREATE INDEX applications_call_id ON applications (call_id);
CREATE INDEX applications_lead_member_id ON applications (lead_member_id);
CREATE INDEX applications_status ON applications (status);
CREATE TRIGGER applications_set_updated_at BEFORE UPDATE ON applications
    FOR EACH ROW EXECUTE FUNCTION agrupa_set_updated_at();

CREATE FUNCTION agrupa_application_frozen(detail text) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '%', detail USING ERRCODE = 'check_violation',
        CONSTRAINT = 'application_state_machine';
END $$;

-- The state machine, as a backstop of the application's own rules: a status only moves
-- along these edges, and the content only changes while the cluster prepares it.
CREATE FUNCTION agrupa_applications_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.status <> OLD.status AND (OLD.status, NEW.status) NOT IN (
        ('draft', 'submitted'), ('submitted', 'under_review'),
        ('under_review', 'changes_requested'), ('changes_requested', 'submitted'),
        ('under_review', 'granted'), ('under_review', 'partially_granted'),
        ('under_review', 'rejected'), ('granted', 'accepted'), ('granted', 'renounced'),
        ('partially_granted', 'accepted'), ('partially_granted', 'renounced'),
        ('accepted', 'justification_submitted'), ('justification_submitted', 'justified'),
        ('justified', 'closed'), ('draft', 'withdrawn'), ('submitted', 'withdrawn')
    ) THEN
        PERFORM agrupa_application_frozen(
            format('an application does not move from %s to %s', OLD.status, NEW.status));
    END IF;
    IF NEW.status = OLD.status AND (NEW.granted_cents, NEW.decided_on, NEW.justification_due_on)
        IS DISTINCT FROM (OLD.granted_cents, OLD.decided_on, OLD.justification_due_on) THEN
        PERFORM agrupa_application_frozen('a decision changes only with a move of the application');
    END IF;
    IF OLD.status NOT IN ('draft', 'changes_requested') AND (
        NEW.call_id, NEW.title, NEW.summary, NEW.lead_member_id, NEW.eligible_cost_cents,
        NEW.requested_cents, NEW.own_funding_cents, NEW.other_aid_cents
    ) IS DISTINCT FROM (
        OLD.call_id, OLD.title, OLD.summary, OLD.lead_member_id, OLD.eligible_cost_cents,
        OLD.requested_cents, OLD.own_funding_cents, OLD.other_aid_cents
    ) THEN
        PERFORM agrupa_application_frozen('a submitted application is not edited');
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER applications_guard BEFORE UPDATE ON applications
    FOR EACH ROW EXECUTE FUNCTION agrupa_applications_guard();

CREATE TABLE application_participants (
    application_id uuid NOT NULL REFERENCES applications (id) ON DELETE CASCADE,
    member_id uuid NOT NULL REFERENCES members (id),
    PRIMARY KEY (application_id, member_id)
);
CREATE INDEX application_participants_member ON application_participants (member_id);

-- The plan actions an application serves, with the part of the requested amount for each.
CREATE TABLE application_actions (
    application_id uuid NOT NULL REFERENCES applications (id) ON DELETE CASCADE,
    action_id uuid NOT NULL REFERENCES plan_nodes (id),
    amount_cents bigint NOT NULL CHECK (amount_cents BETWEEN 1 AND 1000000000000000),
    PRIMARY KEY (application_id, action_id)
);
CREATE INDEX application_actions_action ON application_actions (action_id);

-- The expense budget lines an application funds, with the part of the requested amount
-- for each: their fiscal years are the years the grant's income goes to.
CREATE TABLE application_lines (
    application_id uuid NOT NULL REFERENCES applications (id) ON DELETE CASCADE,
    line_id uuid NOT NULL REFERENCES budget_lines (id),
    amount_cents bigint NOT NULL CHECK (amount_cents BETWEEN 1 AND 1000000000000000),
    PRIMARY KEY (application_id, line_id)
);
CREATE INDEX application_lines_line ON application_lines (line_id);

-- Every move of an application, kept forever.
CREATE TABLE application_transitions (
    id uuid PRIMARY KEY,
    application_id uuid NOT NULL REFERENCES applications (id),
    from_status text NOT NULL,
    to_status text NOT NULL,
    comment text CHECK (length(comment) <= 5000),
    granted_cents bigint,
    actor_id uuid NOT NULL,
    -- `system`: the demo seed.
    actor_kind text NOT NULL CHECK (actor_kind IN ('user', 'api_client', 'system')),
    actor_role text NOT NULL,
    request_id text,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX application_transitions_application ON application_transitions (application_id, created_at, id);

CREATE FUNCTION agrupa_application_transitions_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the history of an application is never changed'
        USING ERRCODE = 'check_violation', CONSTRAINT = 'application_state_machine';
END $$;
CREATE TRIGGER application_transitions_append_only BEFORE UPDATE OR DELETE ON application_transitions
    FOR EACH ROW EXECUTE FUNCTION agrupa_application_transitions_append_only();

-- The income a granted and accepted application brings to each fiscal year: the income
-- line it created or updated in that year's draft budget, or (no draft) a pending variance
-- against the approved budget, to carry into its next revision.
CREATE TABLE application_income (
    application_id uuid NOT NULL REFERENCES applications (id),
    fiscal_year integer NOT NULL CHECK (fiscal_year BETWEEN 1900 AND 2200),
    amount_cents bigint NOT NULL CHECK (amount_cents BETWEEN 0 AND 1000000000000000),
    line_key uuid,
    budget_id uuid REFERENCES budgets (id) ON DELETE SET NULL,
    pending boolean NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (application_id, fiscal_year)
);
CREATE INDEX application_income_year ON application_income (fiscal_year, line_key);

-- Documents: metadata here; the bytes in `application_document_blobs` or on disk.
CREATE TABLE application_documents (
    id uuid PRIMARY KEY,
    application_id uuid NOT NULL REFERENCES applications (id),
    filename text NOT NULL CHECK (length(filename) BETWEEN 1 AND 255),
    content_type text NOT NULL CHECK (length(content_type) BETWEEN 1 AND 100),
    size_bytes bigint NOT NULL CHECK (size_bytes >= 0),
    sha256 text NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
    storage text NOT NULL CHECK (storage IN ('database', 'disk')),
    description text CHECK (length(description) <= 500),
    uploaded_by uuid NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX application_documents_application ON application_documents (application_id, created_at);

CREATE TABLE application_document_blobs (
    document_id uuid PRIMARY KEY REFERENCES application_documents (id) ON DELETE CASCADE,
    content bytea NOT NULL
);
