//! The audit log's one endpoint: the recorded events, filtered, newest first by default
//! (admins and auditors; read only).

use actix_web::{HttpRequest, HttpResponse, get, web};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::{model::AuditEventRow, repo};
use crate::{
    AppState,
    auth::{Action, Caller, Resource},
    error::ApiError,
    http::{
        csv::CsvRow,
        listing::{self, List},
        pagination::Page,
    },
};

/// One recorded change.
#[derive(Debug, Serialize, ToSchema)]
pub struct AuditEvent {
    /// Id (time-ordered).
    pub id: Uuid,
    /// When the change was committed.
    pub occurred_at: DateTime<Utc>,
    /// `user`, `api_client` or `system`.
    #[schema(example = "user")]
    pub actor_type: String,
    /// The user or API client that made the change.
    pub actor_id: Option<Uuid>,
    /// What was done.
    #[schema(example = "updated")]
    pub action: String,
    /// The kind of resource.
    #[schema(example = "user")]
    pub resource_type: String,
    /// The resource.
    pub resource_id: Uuid,
    /// The resource before the change (absent on creation).
    pub before: Option<serde_json::Value>,
    /// The resource after the change (absent on deletion).
    pub after: Option<serde_json::Value>,
    /// The request that made the change (`X-Request-Id`).
    pub request_id: Option<String>,
}

impl From<AuditEventRow> for AuditEvent {
    fn from(r: AuditEventRow) -> Self {
        Self {
            id: r.id,
            occurred_at: r.occurred_at,
            actor_type: r.actor_type,
            actor_id: r.actor_id,
            action: r.action,
            resource_type: r.resource_type,
            resource_id: r.resource_id,
            before: r.before,
            after: r.after,
            request_id: r.request_id,
        }
    }
}

impl CsvRow for AuditEventRow {
    fn header() -> &'static [&'static str] {
        &[
            "id",
            "occurred_at",
            "actor_type",
            "actor_id",
            "action",
            "resource_type",
            "resource_id",
            "before",
            "after",
            "request_id",
        ]
    }

    fn cells(&self) -> Vec<String> {
        let json =
            |v: &Option<serde_json::Value>| v.as_ref().map(ToString::to_string).unwrap_or_default();
        vec![
            self.id.to_string(),
            self.occurred_at.to_rfc3339(),
            self.actor_type.clone(),
            self.actor_id.map(|i| i.to_string()).unwrap_or_default(),
            self.action.clone(),
            self.resource_type.clone(),
            self.resource_id.to_string(),
            json(&self.before),
            json(&self.after),
            self.request_id.clone().unwrap_or_default(),
        ]
    }
}

/// Sort orders of the audit log.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, ToSchema)]
pub enum AuditSort {
    /// Newest first (default).
    #[default]
    #[serde(rename = "-occurred_at")]
    Newest,
    /// Oldest first.
    #[serde(rename = "occurred_at")]
    Oldest,
}

impl AuditSort {
    /// The name used in cursors.
    pub fn as_str(self) -> &'static str {
        match self {
            AuditSort::Newest => "-occurred_at",
            AuditSort::Oldest => "occurred_at",
        }
    }
}

/// Filters and paging of the audit log.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct AuditQuery {
    /// Only events on this kind of resource (`user`, `api_client` …).
    #[param(pattern = "^[a-z][a-z_]{0,62}$")]
    pub resource_type: Option<String>,
    /// Only events on this resource.
    pub resource_id: Option<Uuid>,
    /// Only events by this user or API client.
    pub actor_id: Option<Uuid>,
    /// Only this action (`created`, `updated` …).
    #[param(pattern = "^[a-z][a-z_]{0,62}$")]
    pub action: Option<String>,
    /// Events at or after this time (RFC 3339).
    pub from: Option<DateTime<Utc>>,
    /// Events before this time (RFC 3339).
    pub to: Option<DateTime<Utc>>,
    /// `-occurred_at` (default, newest first) or `occurred_at`.
    #[param(inline)]
    pub sort: Option<AuditSort>,
    /// Page size, 1–100 (default 25).
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<i64>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// The audit log: every change, who made it, the resource before and after. Filter by
/// resource, actor, action and time; newest first by default. `Accept: text/csv` exports
/// every matching event.
#[utoipa::path(
    tag = "audit",
    params(AuditQuery),
    responses((status = 200, description = "A page of events (or all of them as CSV).",
        content((Page<AuditEvent> = "application/json"), (String = "text/csv"))))
)]
#[get("/api/v1/audit-events")]
pub async fn list_events(
    req: HttpRequest,
    caller: Caller,
    query: web::Query<AuditQuery>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Action::read(Resource::Audit))?;
    let query = query.into_inner();
    for (field, value) in [
        ("resource_type", &query.resource_type),
        ("action", &query.action),
    ] {
        if value.as_deref().is_some_and(|v| !is_name(v)) {
            return Err(ApiError::bad_request(
                "invalid_query",
                format!("`{field}` is a lowercase name like `user`."),
            )
            .with_errors(vec![crate::error::FieldError::new(
                field,
                "invalid",
                "lowercase letters and `_`",
            )]));
        }
    }
    let sort = query.sort.unwrap_or_default();
    let newest_first = sort == AuditSort::Newest;
    let filter = repo::Filter {
        resource_type: query.resource_type,
        resource_id: query.resource_id,
        actor_id: query.actor_id,
        action: query.action,
        from: query.from,
        to: query.to,
    };
    let list = List {
        resource: "audit_events",
        sort: sort.as_str(),
        filename: "audit-events.csv",
    };
    listing::from_db(
        &req,
        &state,
        list,
        query.limit,
        query.cursor.as_deref(),
        async move |conn, after, n| Ok(repo::list(conn, &filter, newest_first, after, n).await?),
        |r: &AuditEventRow| r.id,
        AuditEvent::from,
    )
    .await
}

/// Resource types and actions: a lowercase letter, then lowercase letters or `_`.
fn is_name(v: &str) -> bool {
    v.len() <= 63
        && v.bytes().next().is_some_and(|b| b.is_ascii_lowercase())
        && v.bytes().all(|b| b.is_ascii_lowercase() || b == b'_')
}
