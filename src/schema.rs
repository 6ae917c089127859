// @generated automatically by Diesel CLI.

diesel::table! {
    api_clients (id) {
        id -> Uuid,
        client_id -> Text,
        name -> Text,
        secret_hash -> Bytea,
        scopes -> Array<Text>,
        funder_id -> Nullable<Uuid>,
        revoked_at -> Nullable<Timestamptz>,
        secret_rotated_at -> Timestamptz,
        last_used_at -> Nullable<Timestamptz>,
        version -> Int8,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    audit_events (id) {
        id -> Uuid,
        occurred_at -> Timestamptz,
        actor_type -> Text,
        actor_id -> Nullable<Uuid>,
        action -> Text,
        resource_type -> Text,
        resource_id -> Uuid,
        before -> Nullable<Jsonb>,
        after -> Nullable<Jsonb>,
        request_id -> Nullable<Text>,
    }
}

diesel::table! {
    idempotency_keys (scope, key) {
        scope -> Text,
        key -> Text,
        request_hash -> Bytea,
        status -> Text,
        response_status -> Nullable<Int2>,
        response_headers -> Nullable<Jsonb>,
        response_body -> Nullable<Bytea>,
        created_at -> Timestamptz,
        expires_at -> Timestamptz,
    }
}

diesel::table! {
    login_throttle (key) {
        key -> Text,
        failures -> Int4,
        window_started_at -> Timestamptz,
        locked_until -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    refresh_tokens (id) {
        id -> Uuid,
        family_id -> Uuid,
        user_id -> Uuid,
        token_hash -> Bytea,
        scope -> Text,
        created_at -> Timestamptz,
        expires_at -> Timestamptz,
        used_at -> Nullable<Timestamptz>,
        revoked_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    revoked_access_tokens (jti) {
        jti -> Uuid,
        expires_at -> Timestamptz,
    }
}

diesel::table! {
    users (id) {
        id -> Uuid,
        email -> Text,
        display_name -> Text,
        role -> Text,
        member_id -> Nullable<Uuid>,
        funder_id -> Nullable<Uuid>,
        active -> Bool,
        password_hash -> Text,
        session_epoch -> Int4,
        last_login_at -> Nullable<Timestamptz>,
        version -> Int8,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}

diesel::joinable!(refresh_tokens -> users (user_id));

diesel::allow_tables_to_appear_in_same_query!(
    api_clients,
    audit_events,
    idempotency_keys,
    login_throttle,
    refresh_tokens,
    revoked_access_tokens,
    users,
);
