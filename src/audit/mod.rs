//! The audit log: every write records who did what to which resource, with the resource
//! before and after, in the same transaction as the write. Append-only (a database trigger
//! refuses UPDATE, DELETE and TRUNCATE); read by admins and auditors.

pub mod events;
pub mod model;
pub mod repo;

use diesel_async::AsyncPgConnection;
use serde::Serialize;
use uuid::Uuid;

use crate::{
    auth::{Caller, Principal},
    error::ApiError,
};

/// Registers the audit endpoints.
pub fn configure(cfg: &mut impl crate::http::routes::Routes) {
    cfg.service(events::list_events);
}

/// What changed, for [`record`].
#[derive(Debug)]
pub struct Change<'a, T: Serialize> {
    /// `created`, `updated`, `deleted`, `revoked`, `secret_rotated`, `password_changed` …
    pub action: &'a str,
    /// `user`, `api_client` …
    pub resource_type: &'a str,
    /// The resource's id.
    pub resource_id: Uuid,
    /// The resource before the change (its API representation; never secrets).
    pub before: Option<&'a T>,
    /// The resource after the change.
    pub after: Option<&'a T>,
}

/// Records the creation of `resource_type` `id` (see [`record`]).
pub async fn created<T: Serialize>(
    conn: &mut AsyncPgConnection,
    caller: &Caller,
    resource_type: &str,
    id: Uuid,
    after: &T,
) -> Result<(), ApiError> {
    let change = Change {
        action: "created",
        resource_type,
        resource_id: id,
        before: None,
        after: Some(after),
    };
    record(conn, caller, change).await
}

/// Records a change of `resource_type` `id` from `before` to `after` (see [`record`]).
pub async fn updated<T: Serialize>(
    conn: &mut AsyncPgConnection,
    caller: &Caller,
    resource_type: &str,
    id: Uuid,
    before: &T,
    after: &T,
) -> Result<(), ApiError> {
    let change = Change {
        action: "updated",
        resource_type,
        resource_id: id,
        before: Some(before),
        after: Some(after),
    };
    record(conn, caller, change).await
}

/// Records the deletion of `resource_type` `id` (see [`record`]).
pub async fn deleted<T: Serialize>(
    conn: &mut AsyncPgConnection,
    caller: &Caller,
    resource_type: &str,
    id: Uuid,
    before: &T,
) -> Result<(), ApiError> {
    let change = Change {
        action: "deleted",
        resource_type,
        resource_id: id,
        before: Some(before),
        after: None,
    };
    record(conn, caller, change).await
}

/// Appends an audit event for a change made by `caller`; call it inside the transaction
/// of the change so that both commit or neither does.
pub async fn record<T: Serialize>(
    conn: &mut AsyncPgConnection,
    caller: &Caller,
    change: Change<'_, T>,
) -> Result<(), ApiError> {
    let (actor_type, actor_id) = match caller.principal {
        Principal::User(id) => ("user", id),
        Principal::Client(id) => ("api_client", id),
    };
    let to_json = |v: Option<&T>| v.map(serde_json::to_value).transpose();
    let row = model::AuditEventRow {
        id: Uuid::now_v7(),
        occurred_at: chrono::Utc::now(),
        actor_type: actor_type.to_owned(),
        actor_id: Some(actor_id),
        action: change.action.to_owned(),
        resource_type: change.resource_type.to_owned(),
        resource_id: change.resource_id,
        before: to_json(change.before).map_err(ApiError::internal)?,
        after: to_json(change.after).map_err(ApiError::internal)?,
        request_id: caller.request_id_text(),
    };
    repo::insert(conn, &row).await?;
    Ok(())
}
