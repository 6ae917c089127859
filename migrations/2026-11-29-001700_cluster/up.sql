-- The cluster itself: one record per deployment (a singleton row, id = 1), which the
-- accountability reports (the AEI register dossier, transparency, the European profile)
-- read. With tenancy (ROADMAP) the key becomes the tenant.
CREATE TABLE cluster_profile (
    id smallint PRIMARY KEY DEFAULT 1 CHECK (id = 1),
    legal_name text NOT NULL CHECK (length(legal_name) BETWEEN 1 AND 200),
    short_name text CHECK (length(short_name) BETWEEN 1 AND 100),
    tax_id text NOT NULL CHECK (tax_id ~ '^[A-Z0-9]{9}$'),
    street text CHECK (length(street) BETWEEN 1 AND 200),
    postal_code text CHECK (postal_code ~ '^[0-9]{5}$'),
    city text CHECK (length(city) BETWEEN 1 AND 100),
    province text CHECK (length(province) BETWEEN 1 AND 100),
    country_code text NOT NULL DEFAULT 'ES' CHECK (country_code ~ '^[A-Z]{2}$'),
    website text CHECK (website ~ '^https?://' AND length(website) <= 300),
    sector_description text CHECK (length(sector_description) BETWEEN 1 AND 2000),
    cnae_codes text[] NOT NULL DEFAULT '{}'
        CHECK (cardinality(cnae_codes) <= 20 AND array_position(cnae_codes, NULL) IS NULL),
    -- The inscription in the Ministry's register of innovative business clusters (Orden
    -- IET/1444/2014): granted for at most four years.
    aei_register_number text CHECK (length(aei_register_number) BETWEEN 1 AND 50),
    aei_registered_on date,
    aei_expires_on date,
    -- The size of the sector the cluster claims critical mass against.
    sector_turnover_cents bigint CHECK (sector_turnover_cents > 0),
    sector_companies integer CHECK (sector_companies > 0),
    sector_source text CHECK (length(sector_source) BETWEEN 1 AND 300),
    sector_year integer CHECK (sector_year BETWEEN 1900 AND 2200),
    -- Management staff in full-time equivalents, in hundredths (250 = 2.5 FTE).
    management_fte_hundredths integer CHECK (management_fte_hundredths BETWEEN 0 AND 1000000),
    version bigint NOT NULL DEFAULT 1,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT cluster_profile_registration CHECK (
        (aei_register_number IS NULL) = (aei_registered_on IS NULL)
        AND (aei_registered_on IS NULL) = (aei_expires_on IS NULL)
        AND (aei_expires_on IS NULL OR (aei_expires_on > aei_registered_on
             AND aei_expires_on <= aei_registered_on + interval '4 years'))),
    CONSTRAINT cluster_profile_sector CHECK (
        (sector_source IS NULL) = (sector_year IS NULL)
        AND (sector_source IS NOT NULL OR (sector_turnover_cents IS NULL AND sector_companies IS NULL)))
);
CREATE TRIGGER cluster_profile_set_updated_at BEFORE UPDATE ON cluster_profile
    FOR EACH ROW EXECUTE FUNCTION agrupa_set_updated_at();
