//! Domain events: a transactional outbox. A service that changes something a partner system
//! or a frontend wants to hear about calls [`record`] inside its own transaction, so the
//! event exists if and only if the change committed. Recording an event also fans it out to
//! the webhook endpoints that may receive it (`webhooks::repo::fan_out`, same transaction);
//! pollers read the same events from [`feed`] (`GET /api/v1/events`).
//!
//! An event's body is `{"type", "timestamp", "data"}`; `data` holds the object's `id`, its
//! `url` in the API and the fields a receiver needs to act, never more than the receiver's
//! role may read (`audience`: every partner, the partners of one funder, or only the
//! cluster's staff, admins and auditors).

pub mod feed;
pub mod kinds;
pub mod model;
pub mod repo;
pub mod scan;

use chrono::Utc;
use diesel_async::AsyncPgConnection;
use serde::Serialize;
use serde_json::{Value, json};
use uuid::Uuid;

pub use model::{Audience, EventRow};

use crate::{domain::FunderId, error::ApiError};

/// Registers the event feed.
pub fn configure(cfg: &mut impl crate::http::routes::Routes) {
    cfg.service(feed::list_event_feed);
}

/// The event types, dotted and in the past tense (`ping` is sent to one endpoint only and
/// never stored here).
pub const TYPES: &[&str] = &[
    "member.admitted",
    "member.status_changed",
    "plan.approved",
    "budget.approved",
    "application.submitted",
    "application.status_changed",
    "grant.accepted",
    "justification.due_soon",
    "call.opened",
    "meeting.convened",
    "resolution.adopted",
    "ping",
];

/// One event to record: what happened to which object, who may hear of it, and the data a
/// receiver needs.
#[derive(Debug, Clone)]
pub struct Event {
    /// `application.status_changed` …
    pub kind: &'static str,
    /// `application`, `member` …
    pub object_type: &'static str,
    /// The object's id.
    pub object_id: Uuid,
    /// Who may see it besides staff, admins and auditors.
    pub audience: Audience,
    /// The event's `data`: `id` and `url` are added by [`Event::new`].
    pub data: Value,
    /// Set for events written by a scan, so that each is written once.
    pub dedupe_key: Option<String>,
}

impl Event {
    /// An event about `object_type` `id` at `url`; `fields` (an object) completes `data`.
    pub fn new(
        kind: &'static str,
        object_type: &'static str,
        id: impl Into<Uuid>,
        url: String,
        audience: Audience,
        fields: impl Serialize,
    ) -> Self {
        let object_id = id.into();
        let mut data = json!({"id": object_id, "url": url});
        if let (Some(map), Ok(Value::Object(extra))) =
            (data.as_object_mut(), serde_json::to_value(fields))
        {
            map.extend(extra);
        }
        Self {
            kind,
            object_type,
            object_id,
            audience,
            data,
            dedupe_key: None,
        }
    }

    /// The same event, written at most once for `key`.
    pub fn once(mut self, key: String) -> Self {
        self.dedupe_key = Some(key);
        self
    }
}

/// Records `event` in the caller's transaction (call it inside the transaction of the
/// change) and fans it out to the webhook endpoints that may receive it. Returns whether it
/// was written (an event with a `dedupe_key` already written is not written again).
pub async fn record(conn: &mut AsyncPgConnection, event: Event) -> Result<bool, ApiError> {
    let (audience, funder_id) = event.audience.split();
    let row = model::NewEvent {
        id: Uuid::now_v7(),
        type_: event.kind.to_owned(),
        object_type: event.object_type.to_owned(),
        object_id: event.object_id,
        audience: audience.to_owned(),
        funder_id: funder_id.map(FunderId::uuid),
        data: event.data,
        dedupe_key: event.dedupe_key,
        occurred_at: Utc::now(),
    };
    let Some(stored) = repo::insert(conn, &row).await? else {
        return Ok(false);
    };
    crate::webhooks::repo::fan_out(conn, &stored).await?;
    Ok(true)
}

/// Records every event of `events` (see [`record`]).
pub async fn record_all(conn: &mut AsyncPgConnection, events: Vec<Event>) -> Result<(), ApiError> {
    for event in events {
        record(conn, event).await?;
    }
    Ok(())
}
