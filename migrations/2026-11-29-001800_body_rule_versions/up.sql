-- A body's rules, versioned with the statutes they come from. Each change of the rules (or
-- of the statutes reference) writes a new version; the body's current rules are its latest
-- version (the columns on `bodies` keep a copy of it, written in the same transaction).
-- Convening a meeting freezes the version in force: its quorum, proxy cap, majorities and
-- the matters reserved to an extraordinary meeting come from that version, never from the
-- body's later rules.

-- Which matters need the qualified majority (LO 1/2002 art. 12.d: dissolution, changing
-- the statutes, disposal of assets, paying the board's members). An item on one of them is
-- never put to a simple majority.
ALTER TABLE bodies
    ADD COLUMN qualified_matters text[] NOT NULL
        DEFAULT '{statutes,dissolution,asset_disposal,board_remuneration}',
    ADD CONSTRAINT bodies_qualified_matters CHECK (qualified_matters
        <@ ARRAY['general', 'statutes', 'dissolution', 'asset_disposal', 'board_remuneration']::text[]);

CREATE TABLE body_rule_versions (
    id uuid PRIMARY KEY,
    body_id uuid NOT NULL REFERENCES bodies (id),
    number integer NOT NULL CHECK (number BETWEEN 1 AND 1000000),
    statutes_reference text CHECK (length(statutes_reference) BETWEEN 1 AND 500),
    effective_from date NOT NULL,
    notice_days integer NOT NULL CHECK (notice_days BETWEEN 0 AND 365),
    quorum_first_num integer,
    quorum_first_den integer,
    quorum_second_num integer,
    quorum_second_den integer,
    minutes_between_calls integer NOT NULL CHECK (minutes_between_calls BETWEEN 0 AND 10080),
    proxies_allowed boolean NOT NULL,
    max_proxies_per_holder integer CHECK (max_proxies_per_holder BETWEEN 0 AND 1000),
    weighting text NOT NULL CHECK (weighting IN ('one_member_one_vote', 'by_category')),
    simple_num integer NOT NULL,
    simple_den integer NOT NULL,
    simple_base text NOT NULL,
    qualified_num integer NOT NULL,
    qualified_den integer NOT NULL,
    qualified_base text NOT NULL,
    request_share_num integer NOT NULL,
    request_share_den integer NOT NULL,
    extraordinary_matters text[] NOT NULL,
    qualified_matters text[] NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    created_by uuid REFERENCES users (id),
    CONSTRAINT body_rule_versions_number_key UNIQUE (body_id, number),
    -- The target of the meetings' (body_id, rules_version_id) key.
    CONSTRAINT body_rule_versions_body_id_key UNIQUE (body_id, id),
    CONSTRAINT body_rule_versions_quorum_first CHECK ((quorum_first_num IS NULL) = (quorum_first_den IS NULL)
        AND (quorum_first_num IS NULL OR (quorum_first_num BETWEEN 0 AND quorum_first_den AND quorum_first_den BETWEEN 1 AND 1000))),
    CONSTRAINT body_rule_versions_quorum_second CHECK ((quorum_second_num IS NULL) = (quorum_second_den IS NULL)
        AND (quorum_second_num IS NULL OR (quorum_second_num BETWEEN 0 AND quorum_second_den AND quorum_second_den BETWEEN 1 AND 1000))),
    CONSTRAINT body_rule_versions_simple CHECK (simple_num BETWEEN 0 AND simple_den AND simple_den BETWEEN 1 AND 1000
        AND simple_base IN ('votes_cast', 'present_and_represented', 'whole_roll')),
    CONSTRAINT body_rule_versions_qualified CHECK (qualified_num BETWEEN 0 AND qualified_den AND qualified_den BETWEEN 1 AND 1000
        AND qualified_base IN ('votes_cast', 'present_and_represented', 'whole_roll')),
    CONSTRAINT body_rule_versions_request_share CHECK (request_share_num BETWEEN 0 AND request_share_den
        AND request_share_den BETWEEN 1 AND 1000),
    CONSTRAINT body_rule_versions_matters CHECK (
        extraordinary_matters <@ ARRAY['general', 'statutes', 'dissolution', 'asset_disposal', 'board_remuneration']::text[]
        AND qualified_matters <@ ARRAY['general', 'statutes', 'dissolution', 'asset_disposal', 'board_remuneration']::text[])
);
CREATE INDEX body_rule_versions_created_by ON body_rule_versions (created_by);

-- A version is what the meetings convened under it applied: never changed, never removed.
CREATE FUNCTION agrupa_body_rule_versions_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'a version of a body''s rules is never changed' USING ERRCODE = 'check_violation',
        CONSTRAINT = 'rules_version_frozen';
END $$;
CREATE TRIGGER body_rule_versions_immutable BEFORE UPDATE OR DELETE ON body_rule_versions
    FOR EACH ROW EXECUTE FUNCTION agrupa_body_rule_versions_immutable();

-- Version 1 of every existing body: its rules as they stand now (the earlier meetings were
-- convened under rules nobody recorded; these are the best record there is).
INSERT INTO body_rule_versions (id, body_id, number, statutes_reference, effective_from,
    notice_days, quorum_first_num, quorum_first_den, quorum_second_num, quorum_second_den,
    minutes_between_calls, proxies_allowed, max_proxies_per_holder, weighting,
    simple_num, simple_den, simple_base, qualified_num, qualified_den, qualified_base,
    request_share_num, request_share_den, extraordinary_matters, qualified_matters, created_at)
SELECT gen_random_uuid(), id, 1, statutes_reference, (created_at AT TIME ZONE 'UTC')::date,
    notice_days, quorum_first_num, quorum_first_den, quorum_second_num, quorum_second_den,
    minutes_between_calls, proxies_allowed, max_proxies_per_holder, weighting,
    simple_num, simple_den, simple_base, qualified_num, qualified_den, qualified_base,
    request_share_num, request_share_den, extraordinary_matters, qualified_matters, created_at
FROM bodies;

-- The version a meeting was convened under, of its own body.
-- (The backfill is no change of the meetings: their updated_at stays.)
ALTER TABLE meetings ADD COLUMN rules_version_id uuid;
ALTER TABLE meetings DISABLE TRIGGER meetings_set_updated_at;
UPDATE meetings m SET rules_version_id = v.id
FROM body_rule_versions v WHERE v.body_id = m.body_id AND v.number = 1;
ALTER TABLE meetings ENABLE TRIGGER meetings_set_updated_at;
ALTER TABLE meetings
    ALTER COLUMN rules_version_id SET NOT NULL,
    ADD CONSTRAINT meetings_rules_version_fkey FOREIGN KEY (body_id, rules_version_id)
        REFERENCES body_rule_versions (body_id, id);
CREATE INDEX meetings_rules_version_id ON meetings (rules_version_id);
