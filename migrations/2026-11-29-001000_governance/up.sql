-- Governance: the General Assembly, boards and committees (bodies) with their rules as
-- data, seats, meetings with an agenda, the roll frozen when a meeting is convened,
-- attendance with proxies, the quorum recorded at constitution, and resolutions with their
-- tallies. An adopted resolution enacts its effect (a plan or budget approved, a member
-- admitted or expelled), and those records point back to it.

-- A body and its rules. Defaults are the law's (LO 1/2002): notice of 15 days, one third
-- of the roll at first call, any number at second call 30 minutes later, proxies allowed,
-- simple majority over votes cast (more yes than no), qualified over present and
-- represented (yes above half).
CREATE TABLE bodies (
    id uuid PRIMARY KEY,
    kind text NOT NULL CHECK (kind IN ('assembly', 'board', 'committee')),
    name text NOT NULL CHECK (length(name) BETWEEN 1 AND 300),
    statutes_reference text CHECK (length(statutes_reference) BETWEEN 1 AND 500),
    notice_days integer NOT NULL DEFAULT 15 CHECK (notice_days BETWEEN 0 AND 365),
    quorum_first_num integer DEFAULT 1,
    quorum_first_den integer DEFAULT 3,
    quorum_second_num integer,
    quorum_second_den integer,
    minutes_between_calls integer NOT NULL DEFAULT 30 CHECK (minutes_between_calls BETWEEN 0 AND 10080),
    proxies_allowed boolean NOT NULL DEFAULT true,
    max_proxies_per_holder integer CHECK (max_proxies_per_holder BETWEEN 0 AND 1000),
    weighting text NOT NULL DEFAULT 'one_member_one_vote'
        CHECK (weighting IN ('one_member_one_vote', 'by_category')),
    simple_num integer NOT NULL DEFAULT 1,
    simple_den integer NOT NULL DEFAULT 2,
    simple_base text NOT NULL DEFAULT 'votes_cast',
    qualified_num integer NOT NULL DEFAULT 1,
    qualified_den integer NOT NULL DEFAULT 2,
    qualified_base text NOT NULL DEFAULT 'present_and_represented',
    version bigint NOT NULL DEFAULT 1,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT bodies_name_key UNIQUE (name),
    CONSTRAINT bodies_quorum_first CHECK ((quorum_first_num IS NULL) = (quorum_first_den IS NULL)
        AND (quorum_first_num IS NULL OR (quorum_first_num BETWEEN 0 AND quorum_first_den AND quorum_first_den BETWEEN 1 AND 1000))),
    CONSTRAINT bodies_quorum_second CHECK ((quorum_second_num IS NULL) = (quorum_second_den IS NULL)
        AND (quorum_second_num IS NULL OR (quorum_second_num BETWEEN 0 AND quorum_second_den AND quorum_second_den BETWEEN 1 AND 1000))),
    CONSTRAINT bodies_simple CHECK (simple_num BETWEEN 0 AND simple_den AND simple_den BETWEEN 1 AND 1000
        AND simple_base IN ('votes_cast', 'present_and_represented', 'whole_roll')),
    CONSTRAINT bodies_qualified CHECK (qualified_num BETWEEN 0 AND qualified_den AND qualified_den BETWEEN 1 AND 1000
        AND qualified_base IN ('votes_cast', 'present_and_represented', 'whole_roll'))
);
-- One General Assembly.
CREATE UNIQUE INDEX bodies_one_assembly ON bodies (kind) WHERE kind = 'assembly';
CREATE TRIGGER bodies_set_updated_at BEFORE UPDATE ON bodies
    FOR EACH ROW EXECUTE FUNCTION agrupa_set_updated_at();

-- The seats of a board or committee: a member organisation, the person representing it,
-- a position, and when.
CREATE TABLE seats (
    id uuid PRIMARY KEY,
    body_id uuid NOT NULL REFERENCES bodies (id),
    member_id uuid NOT NULL REFERENCES members (id),
    person_name text NOT NULL CHECK (length(person_name) BETWEEN 1 AND 300),
    position text NOT NULL
        CHECK (position IN ('president', 'vice_president', 'secretary', 'treasurer', 'member')),
    starts_on date NOT NULL,
    ends_on date,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT seats_dates CHECK (ends_on IS NULL OR ends_on >= starts_on)
);
CREATE INDEX seats_body_id ON seats (body_id, starts_on);
CREATE INDEX seats_member_id ON seats (member_id);
-- One open president, secretary… per body.
CREATE UNIQUE INDEX seats_one_open_position ON seats (body_id, position)
    WHERE position <> 'member' AND ends_on IS NULL;
CREATE TRIGGER seats_set_updated_at BEFORE UPDATE ON seats
    FOR EACH ROW EXECUTE FUNCTION agrupa_set_updated_at();

CREATE TABLE meetings (
    id uuid PRIMARY KEY,
    body_id uuid NOT NULL REFERENCES bodies (id),
    kind text NOT NULL CHECK (kind IN ('ordinary', 'extraordinary')),
    convened_by text NOT NULL CHECK (convened_by IN ('board', 'members_request', 'president')),
    reason text CHECK (length(reason) BETWEEN 1 AND 2000),
    first_call_at timestamptz NOT NULL,
    second_call_at timestamptz,
    place text CHECK (length(place) BETWEEN 1 AND 500),
    online_url text CHECK (length(online_url) BETWEEN 1 AND 500),
    status text NOT NULL DEFAULT 'convened'
        CHECK (status IN ('convened', 'constituted_first', 'constituted_second', 'failed', 'closed')),
    convened_at timestamptz NOT NULL DEFAULT now(),
    convened_by_user uuid REFERENCES users (id),
    -- The quorum as recorded at constitution, in members (heads): the roll, those present
    -- (in person or remote), those represented by an attending holder, and those needed.
    roll_count integer NOT NULL DEFAULT 0 CHECK (roll_count >= 0),
    present_count integer CHECK (present_count >= 0),
    represented_count integer CHECK (represented_count >= 0),
    required_count integer CHECK (required_count >= 0),
    constituted_at timestamptz,
    version bigint NOT NULL DEFAULT 1,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT meetings_calls CHECK (second_call_at IS NULL OR second_call_at > first_call_at),
    CONSTRAINT meetings_constituted CHECK ((status IN ('convened')) = (constituted_at IS NULL))
);
CREATE INDEX meetings_body_id ON meetings (body_id, first_call_at);
CREATE INDEX meetings_first_call_at ON meetings (first_call_at, id);
CREATE INDEX meetings_convened_by_user ON meetings (convened_by_user);
CREATE TRIGGER meetings_set_updated_at BEFORE UPDATE ON meetings
    FOR EACH ROW EXECUTE FUNCTION agrupa_set_updated_at();

-- The agenda. An item for a resolution may table an exact version (its ETag at convening)
-- of what its effect acts on.
CREATE TABLE agenda_items (
    id uuid PRIMARY KEY,
    meeting_id uuid NOT NULL REFERENCES meetings (id) ON DELETE CASCADE,
    position integer NOT NULL CHECK (position BETWEEN 1 AND 1000),
    title text NOT NULL CHECK (length(title) BETWEEN 1 AND 500),
    kind text NOT NULL CHECK (kind IN ('informative', 'resolution')),
    effect text NOT NULL DEFAULT 'none'
        CHECK (effect IN ('none', 'approve_plan', 'approve_budget', 'admit_member', 'expel_member')),
    majority text NOT NULL DEFAULT 'simple' CHECK (majority IN ('simple', 'qualified')),
    target_id uuid,
    tabled_etag text CHECK (length(tabled_etag) BETWEEN 1 AND 100),
    created_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT agenda_items_position_key UNIQUE (meeting_id, position),
    CONSTRAINT agenda_items_effect CHECK (
        (effect = 'none') = (target_id IS NULL)
        AND (effect = 'none' OR kind = 'resolution')
        AND ((target_id IS NULL) = (tabled_etag IS NULL)))
);

-- The roll, frozen at convening: who may vote and with which weight.
CREATE TABLE roll_entries (
    id uuid PRIMARY KEY,
    meeting_id uuid NOT NULL REFERENCES meetings (id) ON DELETE CASCADE,
    member_id uuid NOT NULL REFERENCES members (id),
    member_name text NOT NULL,
    person_name text,
    weight integer NOT NULL CHECK (weight BETWEEN 0 AND 1000),
    attendance text NOT NULL DEFAULT 'absent'
        CHECK (attendance IN ('present', 'remote', 'represented', 'absent')),
    proxy_holder_id uuid REFERENCES roll_entries (id),
    proxy_document text CHECK (length(proxy_document) BETWEEN 1 AND 500),
    version bigint NOT NULL DEFAULT 1,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT roll_entries_member_key UNIQUE (meeting_id, member_id),
    CONSTRAINT roll_entries_proxy CHECK ((attendance = 'represented') = (proxy_holder_id IS NOT NULL)
        AND proxy_holder_id IS DISTINCT FROM id)
);
CREATE INDEX roll_entries_member_id ON roll_entries (member_id);
CREATE INDEX roll_entries_proxy_holder_id ON roll_entries (proxy_holder_id);
CREATE TRIGGER roll_entries_set_updated_at BEFORE UPDATE ON roll_entries
    FOR EACH ROW EXECUTE FUNCTION agrupa_set_updated_at();

-- A resolution: one per agenda item, with its tallies (weights) and the rule applied.
CREATE TABLE resolutions (
    id uuid PRIMARY KEY,
    item_id uuid NOT NULL REFERENCES agenda_items (id),
    adopted boolean NOT NULL,
    yes_weight bigint NOT NULL CHECK (yes_weight >= 0),
    no_weight bigint NOT NULL CHECK (no_weight >= 0),
    abstain_weight bigint NOT NULL CHECK (abstain_weight >= 0),
    present_weight bigint NOT NULL CHECK (present_weight >= 0),
    roll_weight bigint NOT NULL CHECK (roll_weight >= 0),
    majority text NOT NULL CHECK (majority IN ('simple', 'qualified')),
    majority_rule text NOT NULL,
    named boolean NOT NULL,
    adopted_at timestamptz,
    recorded_by uuid REFERENCES users (id),
    created_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT resolutions_item_key UNIQUE (item_id),
    CONSTRAINT resolutions_totals CHECK (yes_weight + no_weight + abstain_weight <= present_weight
        AND present_weight <= roll_weight),
    CONSTRAINT resolutions_adopted_at CHECK (adopted = (adopted_at IS NOT NULL))
);
CREATE INDEX resolutions_recorded_by ON resolutions (recorded_by);

-- Named votes (weighted by the roll entry).
CREATE TABLE votes (
    resolution_id uuid NOT NULL REFERENCES resolutions (id),
    roll_entry_id uuid NOT NULL REFERENCES roll_entries (id),
    choice text NOT NULL CHECK (choice IN ('yes', 'no', 'abstain')),
    weight integer NOT NULL CHECK (weight >= 0),
    PRIMARY KEY (resolution_id, roll_entry_id)
);
CREATE INDEX votes_roll_entry_id ON votes (roll_entry_id);

-- A resolution is never rewritten.
CREATE FUNCTION agrupa_resolutions_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'resolutions and votes are never changed' USING ERRCODE = 'check_violation',
        CONSTRAINT = 'resolution_frozen';
END $$;
CREATE TRIGGER resolutions_append_only BEFORE UPDATE OR DELETE ON resolutions
    FOR EACH ROW EXECUTE FUNCTION agrupa_resolutions_append_only();
CREATE TRIGGER votes_append_only BEFORE UPDATE OR DELETE ON votes
    FOR EACH ROW EXECUTE FUNCTION agrupa_resolutions_append_only();

-- What the approvals and status changes point back to.
ALTER TABLE plans ADD COLUMN approved_by_resolution_id uuid REFERENCES resolutions (id);
ALTER TABLE budgets ADD COLUMN approved_by_resolution_id uuid REFERENCES resolutions (id);
ALTER TABLE member_status_changes ADD COLUMN resolution_id uuid REFERENCES resolutions (id);
CREATE INDEX plans_approved_by_resolution_id ON plans (approved_by_resolution_id);
CREATE INDEX budgets_approved_by_resolution_id ON budgets (approved_by_resolution_id);
CREATE INDEX member_status_changes_resolution_id ON member_status_changes (resolution_id);

-- The link to the resolution is written once, with the approval, and never rewritten.
CREATE FUNCTION agrupa_resolution_link_once() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF OLD.approved_by_resolution_id IS NOT NULL
        AND NEW.approved_by_resolution_id IS DISTINCT FROM OLD.approved_by_resolution_id THEN
        RAISE EXCEPTION 'an approval by resolution is never rewritten' USING ERRCODE = 'check_violation',
            CONSTRAINT = 'resolution_link_frozen';
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER plans_resolution_link BEFORE UPDATE ON plans
    FOR EACH ROW EXECUTE FUNCTION agrupa_resolution_link_once();
CREATE TRIGGER budgets_resolution_link BEFORE UPDATE ON budgets
    FOR EACH ROW EXECUTE FUNCTION agrupa_resolution_link_once();
