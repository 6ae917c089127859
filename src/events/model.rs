//! Rows of the outbox and who may see an event.

use chrono::{DateTime, SecondsFormat, Utc};
use diesel::prelude::*;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::{
    domain::{EventId, FunderId},
    schema::events,
};

/// Who may see an event besides the cluster's staff, admins and auditors (who see all).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Audience {
    /// Every partner too: the public register, approved plans and budgets.
    Partners,
    /// The partners of this funder: its calls and the applications to them.
    Funder(FunderId),
    /// Nobody else (governance).
    Staff,
}

impl Audience {
    /// The stored `audience` and `funder_id`.
    pub fn split(self) -> (&'static str, Option<FunderId>) {
        match self {
            Audience::Partners => ("all", None),
            Audience::Funder(f) => ("funder", Some(f)),
            Audience::Staff => ("staff", None),
        }
    }
}

/// An event to insert.
#[derive(Debug, Insertable)]
#[diesel(table_name = events)]
#[expect(missing_docs, reason = "columns: see the migration `events_webhooks`")]
pub struct NewEvent {
    pub id: Uuid,
    pub type_: String,
    pub object_type: String,
    pub object_id: Uuid,
    pub audience: String,
    pub funder_id: Option<Uuid>,
    pub data: Value,
    pub dedupe_key: Option<String>,
    pub occurred_at: DateTime<Utc>,
}

/// A stored event.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = events)]
#[diesel(check_for_backend(diesel::pg::Pg))]
#[expect(missing_docs, reason = "columns: see the migration `events_webhooks`")]
pub struct EventRow {
    pub id: EventId,
    pub seq: i64,
    pub txid: i64,
    pub type_: String,
    pub object_type: String,
    pub object_id: Uuid,
    pub audience: String,
    pub funder_id: Option<Uuid>,
    pub data: Value,
    pub occurred_at: DateTime<Utc>,
}

impl EventRow {
    /// The body sent to receivers (Standard Webhooks): `{type, timestamp, data}`.
    pub fn body(&self) -> Value {
        json!({
            "type": self.type_,
            "timestamp": self.occurred_at.to_rfc3339_opts(SecondsFormat::Millis, true),
            "data": self.data,
        })
    }

    /// The `webhook-id` of this event's messages (the same to every endpoint and on every
    /// attempt, so receivers dedupe on it).
    pub fn msg_id(&self) -> String {
        format!("msg_{}", self.id.uuid().simple())
    }
}
