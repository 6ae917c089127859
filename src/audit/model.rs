//! Audit event rows.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use uuid::Uuid;

use crate::schema::audit_events;

/// One recorded change.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = audit_events)]
pub struct AuditEventRow {
    /// Id (UUIDv7: time-ordered).
    pub id: Uuid,
    /// When.
    pub occurred_at: DateTime<Utc>,
    /// `user`, `api_client` or `system`.
    pub actor_type: String,
    /// The user or API client.
    pub actor_id: Option<Uuid>,
    /// What was done (`created`, `updated`, `revoked` …).
    pub action: String,
    /// On what kind of resource (`user`, `api_client` …).
    pub resource_type: String,
    /// On which resource.
    pub resource_id: Uuid,
    /// The resource before (absent on creation).
    pub before: Option<serde_json::Value>,
    /// The resource after (absent on deletion).
    pub after: Option<serde_json::Value>,
    /// The request that made the change.
    pub request_id: Option<String>,
}
