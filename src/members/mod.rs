//! The member register: organisations, their membership lifecycle, contacts and dues,
//! search, statistics.

pub mod dto;
pub mod handlers;
pub mod model;
pub mod repo;
pub mod view;

use chrono::NaiveDate;
use diesel_async::AsyncPgConnection;
use uuid::Uuid;

use crate::{
    audit::{self, Change},
    auth::{Caller, Principal},
    error::ApiError,
};
use model::{MemberStatus, StatusChangeRow, check_transition};

/// Registers the member endpoints.
pub fn configure(cfg: &mut impl crate::http::routes::Routes) {
    use handlers::*;
    // `stats` before `{id}`: both are GET /api/v1/members/<segment>.
    cfg.service(member_stats)
        .service(list_members)
        .service(create_member)
        .service(get_member)
        .service(update_member)
        .service(archive_member)
        .service(list_status_changes)
        .service(create_status_change)
        .service(list_contacts)
        .service(create_contact)
        .service(update_contact)
        .service(delete_contact)
        .service(list_dues)
        .service(update_due)
        .service(issue_dues);
}

/// Moves a member along its lifecycle, in the caller's transaction: checks the move, keeps
/// it in the history, sets `joined_on` on first admission, and records the audit event.
/// Illegal moves are a 409 and change nothing. The HTTP endpoint and (later) assembly
/// resolutions both call this.
pub async fn change_status(
    conn: &mut AsyncPgConnection,
    caller: &Caller,
    member_id: Uuid,
    to: MemberStatus,
    reason: String,
    effective_on: NaiveDate,
) -> Result<StatusChangeRow, ApiError> {
    let current = repo::lock(conn, member_id).await?;
    if current.archived_at.is_some() {
        return Err(ApiError::conflict(
            "member_archived",
            "The member is archived.",
        ));
    }
    check_transition(current.status, to)
        .map_err(|msg| ApiError::conflict("illegal_status_transition", msg))?;
    let joined = (to == MemberStatus::Active).then_some(effective_on);
    repo::set_status(conn, member_id, to, joined).await?;
    let row = StatusChangeRow {
        id: Uuid::now_v7(),
        member_id,
        from_status: current.status,
        to_status: to,
        reason,
        effective_on,
        actor_id: match caller.principal {
            Principal::User(id) | Principal::Client(id) => Some(id),
        },
        request_id: caller.request_id.clone(),
        created_at: chrono::Utc::now(),
    };
    repo::insert_status_change(conn, &row).await?;
    let change = dto::StatusChange::from(row.clone());
    audit::record(
        conn,
        caller,
        Change {
            action: "status_changed",
            resource_type: "member",
            resource_id: member_id,
            before: None,
            after: Some(&change),
        },
    )
    .await?;
    Ok(row)
}
