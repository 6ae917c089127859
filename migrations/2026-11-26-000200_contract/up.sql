-- The shared API contract: the audit log and idempotency keys.

-- Every write, attributable: who, when, what before, what after. Append-only.
CREATE TABLE audit_events (
    id uuid PRIMARY KEY,
    occurred_at timestamptz NOT NULL DEFAULT now(),
    actor_type text NOT NULL CHECK (actor_type IN ('user', 'api_client', 'system')),
    actor_id uuid,
    action text NOT NULL CHECK (action ~ '^[a-z][a-z_]{0,62}$'),
    resource_type text NOT NULL CHECK (resource_type ~ '^[a-z][a-z_]{0,62}$'),
    resource_id uuid NOT NULL,
    before jsonb,
    after jsonb,
    request_id text CHECK (length(request_id) <= 128),
    CONSTRAINT audit_events_actor_present CHECK (actor_type = 'system' OR actor_id IS NOT NULL)
);
CREATE INDEX audit_events_resource_idx ON audit_events (resource_type, resource_id, id);
CREATE INDEX audit_events_actor_idx ON audit_events (actor_id, id);
CREATE INDEX audit_events_occurred_at_idx ON audit_events (occurred_at);

CREATE FUNCTION agrupa_audit_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'audit_events is append-only: % is not allowed', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER audit_events_append_only BEFORE UPDATE OR DELETE ON audit_events
    FOR EACH ROW EXECUTE FUNCTION agrupa_audit_append_only();
CREATE TRIGGER audit_events_no_truncate BEFORE TRUNCATE ON audit_events
    FOR EACH STATEMENT EXECUTE FUNCTION agrupa_audit_append_only();

-- Idempotency-Key: the first response to a POST, replayed for retries (shared by replicas).
CREATE TABLE idempotency_keys (
    scope text NOT NULL,
    key text NOT NULL CHECK (length(key) BETWEEN 1 AND 255),
    request_hash bytea NOT NULL CHECK (length(request_hash) = 32),
    status text NOT NULL CHECK (status IN ('in_progress', 'completed')),
    response_status smallint,
    response_headers jsonb,
    response_body bytea,
    created_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL,
    PRIMARY KEY (scope, key),
    CONSTRAINT idempotency_keys_completed_has_response
        CHECK (status = 'in_progress' OR (response_status IS NOT NULL AND response_body IS NOT NULL))
);
CREATE INDEX idempotency_keys_expires_at_idx ON idempotency_keys (expires_at);
