-- The member register: categories and value-chain segments (data, not enums), members,
-- their status history, contacts and yearly dues.

-- Spanish collation for sorting names (ñ after n, accents ignored at the first level).
CREATE COLLATION IF NOT EXISTS agrupa_es (provider = icu, locale = 'es');

-- Accent-insensitive Spanish full-text search: "produccion" finds "Producción".
CREATE TEXT SEARCH CONFIGURATION agrupa_es (COPY = pg_catalog.spanish);
ALTER TEXT SEARCH CONFIGURATION agrupa_es
    ALTER MAPPING FOR hword, hword_part, word WITH unaccent, spanish_stem;

-- unaccent() is only STABLE; this wrapper pins the dictionary so indexes may use it.
CREATE FUNCTION agrupa_unaccent(text) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT
    AS $$ SELECT public.unaccent('public.unaccent'::regdictionary, $1) $$;

CREATE TABLE member_categories (
    id uuid PRIMARY KEY,
    name text NOT NULL UNIQUE CHECK (length(name) BETWEEN 1 AND 100),
    description text CHECK (length(description) <= 2000),
    annual_fee_cents bigint NOT NULL CHECK (annual_fee_cents >= 0),
    voting_weight integer NOT NULL DEFAULT 1 CHECK (voting_weight BETWEEN 0 AND 1000),
    full_member boolean NOT NULL DEFAULT true,
    version bigint NOT NULL DEFAULT 1,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE TRIGGER member_categories_set_updated_at BEFORE UPDATE ON member_categories
    FOR EACH ROW EXECUTE FUNCTION agrupa_set_updated_at();

CREATE TABLE segments (
    id uuid PRIMARY KEY,
    code text NOT NULL UNIQUE CHECK (code ~ '^[a-z0-9][a-z0-9_-]{0,49}$'),
    name text NOT NULL UNIQUE CHECK (length(name) BETWEEN 1 AND 100),
    description text CHECK (length(description) <= 2000),
    position integer NOT NULL DEFAULT 0,
    version bigint NOT NULL DEFAULT 1,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE TRIGGER segments_set_updated_at BEFORE UPDATE ON segments
    FOR EACH ROW EXECUTE FUNCTION agrupa_set_updated_at();

CREATE TABLE members (
    id uuid PRIMARY KEY,
    legal_name text COLLATE agrupa_es NOT NULL CHECK (length(legal_name) BETWEEN 1 AND 300),
    trade_name text COLLATE agrupa_es CHECK (length(trade_name) BETWEEN 1 AND 300),
    -- Normalised NIF/NIE/CIF (validated in the application: control character).
    tax_id text NOT NULL CHECK (tax_id ~ '^[0-9A-Z]{9}$'),
    kind text NOT NULL CHECK (kind IN ('company', 'freelancer', 'university', 'technology_centre',
        'training_centre', 'public_institution', 'association', 'other')),
    size text CHECK (size IN ('micro', 'small', 'medium', 'large')),
    category_id uuid NOT NULL REFERENCES member_categories (id),
    status text NOT NULL DEFAULT 'applicant'
        CHECK (status IN ('applicant', 'active', 'suspended', 'withdrawn', 'expelled')),
    address text CHECK (length(address) <= 300),
    postcode text CHECK (postcode ~ '^[0-9A-Za-z -]{3,10}$'),
    municipality text CHECK (length(municipality) <= 100),
    province text CHECK (length(province) <= 100),
    country text NOT NULL DEFAULT 'ES' CHECK (country ~ '^[A-Z]{2}$'),
    website text CHECK (website ~ '^https?://' AND length(website) <= 300),
    employees integer CHECK (employees >= 0),
    annual_turnover_cents bigint CHECK (annual_turnover_cents >= 0),
    description text CHECK (length(description) <= 10000),
    joined_on date,
    archived_at timestamptz,
    search tsvector GENERATED ALWAYS AS (
        setweight(to_tsvector('agrupa_es', coalesce(legal_name, '') || ' ' || coalesce(trade_name, '')), 'A')
        || setweight(to_tsvector('agrupa_es', coalesce(description, '')), 'B')
    ) STORED,
    version bigint NOT NULL DEFAULT 1,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);
-- Unique among the register's living members; archived ones keep theirs for the record.
CREATE UNIQUE INDEX members_tax_id_key ON members (tax_id) WHERE archived_at IS NULL;
CREATE INDEX members_category_id_idx ON members (category_id);
CREATE INDEX members_status_idx ON members (status, id);
CREATE INDEX members_name_idx ON members (legal_name, id);
CREATE INDEX members_joined_on_idx ON members (joined_on, id);
CREATE INDEX members_municipality_idx ON members (municipality);
CREATE INDEX members_search_idx ON members USING gin (search);
CREATE INDEX members_name_trgm_idx ON members USING gin (agrupa_unaccent(lower(legal_name)) gin_trgm_ops);
CREATE TRIGGER members_set_updated_at BEFORE UPDATE ON members
    FOR EACH ROW EXECUTE FUNCTION agrupa_set_updated_at();

CREATE TABLE member_segments (
    member_id uuid NOT NULL REFERENCES members (id) ON DELETE CASCADE,
    segment_id uuid NOT NULL REFERENCES segments (id),
    PRIMARY KEY (member_id, segment_id)
);
CREATE INDEX member_segments_segment_id_idx ON member_segments (segment_id);

CREATE TABLE member_status_changes (
    id uuid PRIMARY KEY,
    member_id uuid NOT NULL REFERENCES members (id),
    from_status text NOT NULL,
    to_status text NOT NULL,
    reason text NOT NULL CHECK (length(reason) BETWEEN 1 AND 2000),
    effective_on date NOT NULL,
    actor_id uuid,
    request_id text,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX member_status_changes_member_id_idx ON member_status_changes (member_id, id);

CREATE TABLE member_contacts (
    id uuid PRIMARY KEY,
    member_id uuid NOT NULL REFERENCES members (id) ON DELETE CASCADE,
    name text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    email text CHECK (email = lower(email) AND length(email) <= 254),
    phone text CHECK (phone ~ '^\+?[0-9 ()-]{6,20}$'),
    position text CHECK (length(position) <= 200),
    is_primary boolean NOT NULL DEFAULT false,
    consent_communications boolean NOT NULL DEFAULT false,
    version bigint NOT NULL DEFAULT 1,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX member_contacts_member_id_idx ON member_contacts (member_id, id);
-- At most one primary contact per member (the application keeps it exactly one).
CREATE UNIQUE INDEX member_contacts_one_primary ON member_contacts (member_id) WHERE is_primary;
CREATE TRIGGER member_contacts_set_updated_at BEFORE UPDATE ON member_contacts
    FOR EACH ROW EXECUTE FUNCTION agrupa_set_updated_at();

CREATE TABLE member_dues (
    id uuid PRIMARY KEY,
    member_id uuid NOT NULL REFERENCES members (id) ON DELETE CASCADE,
    year integer NOT NULL CHECK (year BETWEEN 1900 AND 2999),
    amount_cents bigint NOT NULL CHECK (amount_cents >= 0),
    issued_on date NOT NULL,
    due_on date NOT NULL CHECK (due_on >= issued_on),
    paid_on date,
    -- `overdue` is not stored: a pending due past its due date is overdue.
    status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'paid', 'waived')),
    version bigint NOT NULL DEFAULT 1,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (member_id, year),
    CONSTRAINT member_dues_paid_has_date CHECK ((status = 'paid') = (paid_on IS NOT NULL))
);
CREATE INDEX member_dues_unpaid_idx ON member_dues (member_id, due_on) WHERE status = 'pending';
CREATE TRIGGER member_dues_set_updated_at BEFORE UPDATE ON member_dues
    FOR EACH ROW EXECUTE FUNCTION agrupa_set_updated_at();

-- The identity module left these links ready.
ALTER TABLE users ADD CONSTRAINT users_member_id_fkey FOREIGN KEY (member_id) REFERENCES members (id);
