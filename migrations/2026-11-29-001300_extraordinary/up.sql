-- Extraordinary meetings: the share of the roll whose request convenes one (LO 1/2002
-- art. 11.3: 10% by default), the members who asked (listed as the convening reason), and
-- the matters only an extraordinary meeting may resolve (the statutes' list; by default
-- changing the statutes and dissolving the association).
ALTER TABLE bodies
    ADD COLUMN request_share_num integer NOT NULL DEFAULT 1,
    ADD COLUMN request_share_den integer NOT NULL DEFAULT 10,
    ADD COLUMN extraordinary_matters text[] NOT NULL DEFAULT '{statutes,dissolution}',
    ADD CONSTRAINT bodies_request_share CHECK (request_share_num BETWEEN 0 AND request_share_den
        AND request_share_den BETWEEN 1 AND 1000),
    ADD CONSTRAINT bodies_extraordinary_matters CHECK (extraordinary_matters
        <@ ARRAY['general', 'statutes', 'dissolution', 'asset_disposal', 'board_remuneration']::text[]);

ALTER TABLE agenda_items
    ADD COLUMN matter text NOT NULL DEFAULT 'general'
        CHECK (matter IN ('general', 'statutes', 'dissolution', 'asset_disposal', 'board_remuneration'));

-- The members whose request convened a meeting (names as on the roll that day).
CREATE TABLE meeting_requests (
    meeting_id uuid NOT NULL REFERENCES meetings (id) ON DELETE CASCADE,
    member_id uuid NOT NULL REFERENCES members (id),
    member_name text NOT NULL,
    PRIMARY KEY (meeting_id, member_id)
);
CREATE INDEX meeting_requests_member_id ON meeting_requests (member_id);
