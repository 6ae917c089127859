//! HTTP handlers of the audit log (admins and auditors; read only).

use actix_web::{HttpRequest, HttpResponse, get, web};

use super::{
    dto::{AuditEvent, AuditQuery, AuditSort},
    model::AuditEventRow,
    repo,
};
use crate::{
    AppState,
    auth::{Action, Caller, Resource},
    error::ApiError,
    http::{
        listing::{self, List},
        pagination::Page,
    },
};

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
    let db = state.clone();
    let fetch = move |after, n| {
        let (db, filter) = (db.clone(), filter.clone());
        async move {
            let mut conn = db.conn().await?;
            Ok(repo::list(&mut conn, &filter, newest_first, after, n).await?)
        }
    };
    let list = List {
        resource: "audit_events",
        sort: sort.as_str(),
        filename: "audit-events.csv",
    };
    let key_of = |r: &AuditEventRow| r.id;
    listing::respond(
        &req,
        &state,
        list,
        query.limit,
        query.cursor.as_deref(),
        fetch,
        key_of,
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
