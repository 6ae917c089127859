-- The minutes of a meeting (the book of minutes, libro de actas): a draft with the
-- secretary's summary of the debate, then approved, when their content (generated from the
-- meeting's data) is frozen with its SHA-256. A trigger refuses any later change, and
-- checks that the hash is the content's.
CREATE TABLE minutes (
    meeting_id uuid PRIMARY KEY REFERENCES meetings (id),
    status text NOT NULL DEFAULT 'draft' CHECK (status IN ('draft', 'approved')),
    debate_summary text NOT NULL CHECK (length(debate_summary) BETWEEN 1 AND 20000),
    content text,
    content_sha256 text CHECK (content_sha256 ~ '^[0-9a-f]{64}$'),
    approved_at timestamptz,
    approved_by uuid REFERENCES users (id),
    version bigint NOT NULL DEFAULT 1,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT minutes_approval CHECK ((status = 'approved') = (content IS NOT NULL
        AND content_sha256 IS NOT NULL AND approved_at IS NOT NULL))
);
CREATE INDEX minutes_approved_by ON minutes (approved_by);
CREATE TRIGGER minutes_set_updated_at BEFORE UPDATE ON minutes
    FOR EACH ROW EXECUTE FUNCTION agrupa_set_updated_at();

CREATE FUNCTION agrupa_minutes_frozen() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        IF OLD.status = 'approved' THEN
            RAISE EXCEPTION 'approved minutes are never deleted' USING ERRCODE = 'check_violation',
                CONSTRAINT = 'minutes_frozen';
        END IF;
        RETURN OLD;
    END IF;
    IF TG_OP = 'UPDATE' AND OLD.status = 'approved' THEN
        RAISE EXCEPTION 'approved minutes are frozen' USING ERRCODE = 'check_violation',
            CONSTRAINT = 'minutes_frozen';
    END IF;
    IF NEW.status = 'approved'
        AND NEW.content_sha256 <> encode(sha256(convert_to(NEW.content, 'UTF8')), 'hex') THEN
        RAISE EXCEPTION 'the hash is not the content''s' USING ERRCODE = 'check_violation',
            CONSTRAINT = 'minutes_hash';
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER minutes_frozen BEFORE INSERT OR UPDATE OR DELETE ON minutes
    FOR EACH ROW EXECUTE FUNCTION agrupa_minutes_frozen();
