-- Identity: users, partner API clients, refresh tokens, revoked access tokens, login throttling.

CREATE TABLE users (
    id uuid PRIMARY KEY,
    -- Stored normalised (trimmed, lowercase), so uniqueness is case-insensitive.
    email text NOT NULL UNIQUE
        CONSTRAINT users_email_normalised CHECK (email = lower(btrim(email)) AND length(email) BETWEEN 3 AND 254 AND position('@' IN email) > 1),
    display_name text NOT NULL CHECK (length(display_name) BETWEEN 1 AND 200),
    role text NOT NULL CHECK (role IN ('admin', 'staff', 'member', 'partner', 'auditor')),
    -- The member organisation a `member` user represents, the funder a `partner` user belongs to.
    -- Foreign keys arrive with the members and funding modules.
    member_id uuid,
    funder_id uuid,
    active boolean NOT NULL DEFAULT true,
    password_hash text NOT NULL,
    -- Bumped on password change, role change and deactivation: older tokens stop working at once.
    session_epoch integer NOT NULL DEFAULT 0,
    last_login_at timestamptz,
    version bigint NOT NULL DEFAULT 1,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT users_member_only_for_members CHECK (member_id IS NULL OR role = 'member'),
    CONSTRAINT users_funder_only_for_partners CHECK (funder_id IS NULL OR role = 'partner')
);
CREATE INDEX users_member_id_idx ON users (member_id) WHERE member_id IS NOT NULL;
CREATE INDEX users_funder_id_idx ON users (funder_id) WHERE funder_id IS NOT NULL;
CREATE INDEX users_role_idx ON users (role, id);
CREATE TRIGGER users_set_updated_at BEFORE UPDATE ON users
    FOR EACH ROW EXECUTE FUNCTION agrupa_set_updated_at();

CREATE TABLE api_clients (
    id uuid PRIMARY KEY,
    client_id text NOT NULL UNIQUE CHECK (client_id ~ '^[a-z0-9_-]{8,64}$'),
    name text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    -- SHA-256 of a 256-bit random secret (high entropy: a slow hash adds nothing).
    secret_hash bytea NOT NULL CHECK (length(secret_hash) = 32),
    scopes text[] NOT NULL DEFAULT '{}',
    funder_id uuid,
    revoked_at timestamptz,
    secret_rotated_at timestamptz NOT NULL DEFAULT now(),
    last_used_at timestamptz,
    version bigint NOT NULL DEFAULT 1,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX api_clients_funder_id_idx ON api_clients (funder_id) WHERE funder_id IS NOT NULL;
CREATE TRIGGER api_clients_set_updated_at BEFORE UPDATE ON api_clients
    FOR EACH ROW EXECUTE FUNCTION agrupa_set_updated_at();

CREATE TABLE refresh_tokens (
    id uuid PRIMARY KEY,
    -- All tokens descending from one sign-in; reuse of a spent token revokes the family.
    family_id uuid NOT NULL,
    user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    token_hash bytea NOT NULL UNIQUE CHECK (length(token_hash) = 32),
    scope text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL,
    used_at timestamptz,
    revoked_at timestamptz
);
CREATE INDEX refresh_tokens_family_id_idx ON refresh_tokens (family_id);
CREATE INDEX refresh_tokens_user_id_idx ON refresh_tokens (user_id);
CREATE INDEX refresh_tokens_expires_at_idx ON refresh_tokens (expires_at);

-- Access tokens revoked before they expire (RFC 7009); rows can go once expired.
CREATE TABLE revoked_access_tokens (
    jti uuid PRIMARY KEY,
    expires_at timestamptz NOT NULL
);
CREATE INDEX revoked_access_tokens_expires_at_idx ON revoked_access_tokens (expires_at);

-- Failed sign-ins per account and per client address, shared by all replicas.
CREATE TABLE login_throttle (
    key text PRIMARY KEY,
    failures integer NOT NULL CHECK (failures >= 0),
    window_started_at timestamptz NOT NULL,
    locked_until timestamptz
);
