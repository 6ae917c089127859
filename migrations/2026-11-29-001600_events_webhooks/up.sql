-- Domain events (a transactional outbox) and the webhooks that deliver them.
--
-- An event is written by `events::record` in the transaction of the change it tells about,
-- so it exists if and only if the change committed. `txid` is the writing transaction's id:
-- the feed (and anything else reading the outbox in order) only shows events of
-- transactions older than every transaction still running, so an event committed late
-- with a smaller `seq` is never skipped by a reader that has moved past it.
CREATE TABLE events (
    id uuid PRIMARY KEY,
    seq bigserial NOT NULL UNIQUE,
    txid bigint NOT NULL DEFAULT (pg_current_xact_id()::text::bigint),
    type text NOT NULL CHECK (type ~ '^[a-z_]{1,40}\.[a-z_]{1,40}$'),
    object_type text NOT NULL CHECK (object_type ~ '^[a-z_]{1,40}$'),
    object_id uuid NOT NULL,
    -- Who may see it besides the cluster's staff, admins and auditors: every partner
    -- (`all`: the public register, approved plans and budgets), the partners of one funder
    -- (`funder`), or nobody else (`staff`: governance).
    audience text NOT NULL CHECK (audience IN ('all', 'funder', 'staff')),
    funder_id uuid REFERENCES funders (id),
    data jsonb NOT NULL,
    -- Set for events written by a scan (a call that opened), so that each is written once.
    dedupe_key text UNIQUE,
    occurred_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT events_funder_audience CHECK ((audience = 'funder') = (funder_id IS NOT NULL))
);
CREATE INDEX events_feed ON events (txid, seq);
CREATE INDEX events_funder_id ON events (funder_id);

-- A receiver of events: owned by an admin (every event) or by a partner's API client
-- (what its funder may read). The secret signs deliveries; during a rotation the previous
-- one signs too until it expires.
CREATE TABLE webhook_endpoints (
    id uuid PRIMARY KEY,
    owner_user_id uuid REFERENCES users (id),
    owner_client_id uuid REFERENCES api_clients (id),
    funder_id uuid REFERENCES funders (id),
    url text NOT NULL CHECK (length(url) BETWEEN 8 AND 2000),
    event_types text[] NOT NULL DEFAULT '{}',
    description text CHECK (length(description) <= 500),
    enabled boolean NOT NULL DEFAULT true,
    disabled_reason text,
    secret text NOT NULL CHECK (secret LIKE 'whsec\_%'),
    previous_secret text,
    previous_secret_expires_at timestamptz,
    failing_since timestamptz,
    version bigint NOT NULL DEFAULT 1,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT webhook_endpoints_one_owner CHECK (num_nonnulls(owner_user_id, owner_client_id) = 1),
    CONSTRAINT webhook_endpoints_funder_of_client CHECK (owner_client_id IS NOT NULL OR funder_id IS NULL),
    CONSTRAINT webhook_endpoints_rotation CHECK ((previous_secret IS NULL) = (previous_secret_expires_at IS NULL))
);
CREATE INDEX webhook_endpoints_owner_user ON webhook_endpoints (owner_user_id);
CREATE INDEX webhook_endpoints_owner_client ON webhook_endpoints (owner_client_id);
CREATE INDEX webhook_endpoints_funder ON webhook_endpoints (funder_id);
CREATE TRIGGER webhook_endpoints_set_updated_at BEFORE UPDATE ON webhook_endpoints
    FOR EACH ROW EXECUTE FUNCTION agrupa_set_updated_at();

-- One message to one endpoint: an event fanned out when it was written (or a ping). Its
-- `msg_id` is the `webhook-id` header, the same on every attempt. `event_seq` orders an
-- object's messages: a later one waits while an earlier one to the same endpoint is pending.
CREATE TABLE webhook_deliveries (
    id uuid PRIMARY KEY,
    endpoint_id uuid NOT NULL REFERENCES webhook_endpoints (id) ON DELETE CASCADE,
    event_id uuid REFERENCES events (id),
    event_seq bigint NOT NULL,
    msg_id text NOT NULL,
    event_type text NOT NULL,
    object_id uuid,
    payload jsonb NOT NULL,
    status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'succeeded', 'failed')),
    attempts integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    next_attempt_at timestamptz,
    last_attempt_at timestamptz,
    created_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT webhook_deliveries_due CHECK ((status = 'pending') = (next_attempt_at IS NOT NULL))
);
CREATE INDEX webhook_deliveries_due_at ON webhook_deliveries (next_attempt_at) WHERE status = 'pending';
CREATE INDEX webhook_deliveries_object_order ON webhook_deliveries (endpoint_id, object_id, event_seq)
    WHERE status = 'pending';
CREATE INDEX webhook_deliveries_endpoint ON webhook_deliveries (endpoint_id, created_at, id);
CREATE INDEX webhook_deliveries_event ON webhook_deliveries (event_id);
CREATE INDEX webhook_deliveries_created ON webhook_deliveries (created_at);

-- Each attempt: when, the answer's status (none when the request failed), how long it
-- took, the first KiB of the answer, or what went wrong.
CREATE TABLE webhook_attempts (
    id uuid PRIMARY KEY,
    delivery_id uuid NOT NULL REFERENCES webhook_deliveries (id) ON DELETE CASCADE,
    attempted_at timestamptz NOT NULL,
    response_status integer,
    duration_ms integer NOT NULL CHECK (duration_ms >= 0),
    response_body text,
    error text
);
CREATE INDEX webhook_attempts_delivery ON webhook_attempts (delivery_id, attempted_at);
