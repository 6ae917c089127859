-- Dissents and certificates of resolutions.
--
-- A dissent is a roll entry's vote against the outcome with its reasons: recorded at the
-- vote on the member's request (`recorded`), or a written dissent, the voto particular
-- (`written`), attached within 48 hours of the meeting (Ley 40/2015 art. 19.5, the model
-- the statutes follow). Both appear in the minutes; neither is ever changed.
CREATE TABLE dissents (
    id uuid PRIMARY KEY,
    resolution_id uuid NOT NULL REFERENCES resolutions (id),
    roll_entry_id uuid NOT NULL REFERENCES roll_entries (id),
    kind text NOT NULL CHECK (kind IN ('recorded', 'written')),
    text text NOT NULL CHECK (length(text) BETWEEN 1 AND 10000),
    submitted_by uuid REFERENCES users (id),
    created_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT dissents_entry_kind_key UNIQUE (resolution_id, roll_entry_id, kind)
);
CREATE INDEX dissents_roll_entry_id ON dissents (roll_entry_id);
CREATE INDEX dissents_submitted_by ON dissents (submitted_by);
CREATE TRIGGER dissents_append_only BEFORE UPDATE OR DELETE ON dissents
    FOR EACH ROW EXECUTE FUNCTION agrupa_resolutions_append_only();

-- A certificate of one resolution: issued by the secretary with the president's approval
-- (visto bueno), the seats they held that day recorded; `minutes_pending` when the minutes
-- were not yet approved (the certificate says so). Its content is frozen with its SHA-256.
CREATE TABLE certificates (
    id uuid PRIMARY KEY,
    resolution_id uuid NOT NULL REFERENCES resolutions (id),
    issued_on date NOT NULL,
    secretary_seat_id uuid NOT NULL REFERENCES seats (id),
    secretary_name text NOT NULL,
    president_seat_id uuid NOT NULL REFERENCES seats (id),
    president_name text NOT NULL,
    minutes_pending boolean NOT NULL,
    purpose text CHECK (length(purpose) BETWEEN 1 AND 500),
    content text NOT NULL,
    content_sha256 text NOT NULL CHECK (content_sha256 ~ '^[0-9a-f]{64}$'),
    issued_by uuid REFERENCES users (id),
    created_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT certificates_hash CHECK (content_sha256 = encode(sha256(convert_to(content, 'UTF8')), 'hex'))
);
CREATE INDEX certificates_resolution_id ON certificates (resolution_id, created_at);
CREATE INDEX certificates_secretary_seat_id ON certificates (secretary_seat_id);
CREATE INDEX certificates_president_seat_id ON certificates (president_seat_id);
CREATE INDEX certificates_issued_by ON certificates (issued_by);
CREATE TRIGGER certificates_append_only BEFORE UPDATE OR DELETE ON certificates
    FOR EACH ROW EXECUTE FUNCTION agrupa_resolutions_append_only();
