//! `GET /api/v1/events`: the outbox for systems that poll instead of receiving webhooks.

use actix_web::{HttpResponse, get, web};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::{IntoParams, ToSchema};

use super::{
    model::EventRow,
    repo::{self, Visibility},
};
use crate::{
    AppState,
    auth::{Action, Caller, Resource, Role},
    domain::EventId,
    error::ApiError,
    http::pagination,
};

/// The cursor's list and order.
const RESOURCE: &str = "events";
const SORT: &str = "committed";

/// One event, as in a webhook's body (plus its id).
#[derive(Debug, Serialize, ToSchema)]
pub struct EventItem {
    /// The event's id; a webhook carries it as `webhook-id` (`msg_` + the id without dashes).
    pub id: EventId,
    /// What happened (`application.status_changed`).
    #[serde(rename = "type")]
    #[schema(example = "application.status_changed")]
    pub kind: String,
    /// When it happened.
    pub timestamp: DateTime<Utc>,
    /// The object's `id`, its `url` in the API, and the fields a receiver needs.
    #[schema(value_type = Object)]
    pub data: Value,
}

impl From<EventRow> for EventItem {
    fn from(r: EventRow) -> Self {
        Self {
            id: r.id,
            kind: r.type_,
            timestamp: r.occurred_at,
            data: r.data,
        }
    }
}

/// A page of the feed.
#[derive(Debug, Serialize, ToSchema)]
pub struct EventPage {
    /// Events, oldest first.
    pub items: Vec<EventItem>,
    /// Pass as `after` to read on. Never `null`: at the end of the feed it is where the next
    /// events will start, so a poller keeps it and asks again later.
    pub next_cursor: String,
}

/// Paging of the feed.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct EventQuery {
    /// The `next_cursor` of the previous page (absent: from the oldest event kept).
    #[param(max_length = 1000)]
    pub after: Option<String>,
    /// Page size (1–100, default 25).
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<i64>,
}

/// The event feed, oldest first, for systems that poll.
///
/// Visibility-filtered: staff, admins and auditors read every event; a partner (user or API
/// client) those about every partner's business (the register, approved plans and budgets)
/// and about its own funder's calls and applications.
/// An event appears once the transaction that wrote it has committed and every older
/// transaction has finished, so a cursor never skips an event that commits late. Webhooks
/// carry the same events.
#[utoipa::path(tag = "events", params(EventQuery), responses(
    (status = 200, description = "A page of events.", body = EventPage)))]
#[get("/api/v1/events")]
pub async fn list_event_feed(
    caller: Caller,
    query: web::Query<EventQuery>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Action::read(Resource::Events))?;
    let visibility = match caller.role {
        Role::Partner => Visibility::Partner(caller.funder_id),
        _ => Visibility::All,
    };
    let limit = pagination::limit(query.limit)?;
    let after = query
        .after
        .as_deref()
        .filter(|c| !c.is_empty())
        .map(|c| state.cursors.decode::<(i64, i64)>(RESOURCE, SORT, c))
        .transpose()?;
    let rows = repo::after(&mut *state.conn().await?, visibility, after, limit).await?;
    let last = rows
        .last()
        .map(|r| (r.txid, r.seq))
        .or(after)
        .unwrap_or((0, 0));
    Ok(HttpResponse::Ok().json(EventPage {
        next_cursor: state.cursors.encode(RESOURCE, SORT, &last),
        items: rows.into_iter().map(EventItem::from).collect(),
    }))
}
