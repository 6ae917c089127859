//! A member's lifecycle: admission, suspension, return, withdrawal, expulsion. Every move
//! goes through [`change_status`], which the HTTP endpoint and (later) General Assembly
//! resolutions both call.

use actix_web::{HttpRequest, HttpResponse, get, post, web};
use chrono::{DateTime, NaiveDate, Utc};
use diesel_async::{AsyncConnection, AsyncPgConnection};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use super::{
    model::{MemberStatus, StatusChangeRow, check_transition},
    register::RESOURCE,
    repo, require_staff,
    view::require_full_read,
};
use crate::{
    AppState,
    audit::{self, Change},
    auth::{Action, Caller, Principal, Resource},
    domain::{MemberId, StatusChangeId, calendar::today, text},
    error::{ApiError, FieldErrors},
    events,
    http::{
        csv::CsvRow,
        etag::{IfMatch, Precondition},
        json::Json,
        listing::{self, List},
        pagination::{Page, PageQuery},
    },
};

/// A status change request.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewStatusChange {
    /// The new status.
    pub to: MemberStatus,
    /// Why (1–2000 characters), e.g. the assembly's agreement.
    #[schema(
        min_length = 1,
        max_length = 2000,
        example = "Admitida por la Asamblea General del 12/03/2025"
    )]
    pub reason: String,
    /// From when (default today).
    pub effective_on: Option<NaiveDate>,
}

/// A recorded status change.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct StatusChange {
    /// Id.
    pub id: StatusChangeId,
    /// Member.
    pub member_id: MemberId,
    /// From.
    pub from: MemberStatus,
    /// To.
    pub to: MemberStatus,
    /// Why.
    pub reason: String,
    /// From when.
    pub effective_on: NaiveDate,
    /// Who made it.
    pub actor_id: Option<Uuid>,
    /// Recorded at.
    pub created_at: DateTime<Utc>,
    /// The General Assembly resolution that made it (`null`: recorded by staff).
    pub resolution_id: Option<crate::domain::ResolutionId>,
}

impl From<StatusChangeRow> for StatusChange {
    fn from(r: StatusChangeRow) -> Self {
        Self {
            id: r.id,
            member_id: r.member_id,
            from: r.from_status,
            to: r.to_status,
            reason: r.reason,
            effective_on: r.effective_on,
            actor_id: r.actor_id,
            created_at: r.created_at,
            resolution_id: r.resolution_id,
        }
    }
}

impl CsvRow for StatusChangeRow {
    fn header() -> &'static [&'static str] {
        &[
            "id",
            "member_id",
            "from",
            "to",
            "reason",
            "effective_on",
            "actor_id",
            "created_at",
        ]
    }

    fn cells(&self) -> Vec<String> {
        vec![
            self.id.to_string(),
            self.member_id.to_string(),
            self.from_status.to_string(),
            self.to_status.to_string(),
            self.reason.clone(),
            self.effective_on.to_string(),
            self.actor_id.map(|a| a.to_string()).unwrap_or_default(),
            self.created_at.to_rfc3339(),
        ]
    }
}

/// Moves a member along its lifecycle (staff and admins; a resolution calls it with the
/// caller that enacts it): checks the move, keeps it in the history, sets `joined_on` on
/// first admission, and records the audit event, in one transaction (a savepoint of the
/// caller's, when called inside one). 403, 422 (reason), 404, 409 `member_archived` or
/// `illegal_status_transition` (nothing changes), 412 when `precondition` names another
/// version of the member.
pub async fn change_status(
    conn: &mut AsyncPgConnection,
    caller: &Caller,
    member_id: MemberId,
    precondition: Precondition,
    change: NewStatusChange,
) -> Result<StatusChangeRow, ApiError> {
    caller.require(Action::write(Resource::Members))?;
    require_staff(caller)?;
    let mut errors = FieldErrors::default();
    let reason = errors.check(
        "reason",
        text::optional(Some(&change.reason), 2000)
            .and_then(|r| r.ok_or_else(|| "must not be empty".to_owned())),
    );
    let reason = errors.finish_with(reason)?;
    let to = change.to;
    let effective_on = change.effective_on.unwrap_or_else(today);
    conn.transaction(async |conn| {
        let current = repo::lock(conn, member_id).await?;
        let card = repo::find(conn, member_id).await?;
        precondition.check(card.tag_version(), IfMatch::Optional)?;
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
            id: StatusChangeId::new(),
            member_id,
            from_status: current.status,
            to_status: to,
            reason,
            effective_on,
            actor_id: match caller.principal {
                Principal::User(id) | Principal::Client(id) => Some(id),
            },
            request_id: caller.request_id_text(),
            created_at: Utc::now(),
            resolution_id: None,
        };
        repo::insert_status_change(conn, &row).await?;
        let events =
            events::kinds::member_status(&current, member_id, current.status, to, effective_on);
        events::record_all(conn, events).await?;
        let change = StatusChange::from(row.clone());
        audit::record(
            conn,
            caller,
            Change {
                action: "status_changed",
                resource_type: RESOURCE,
                resource_id: member_id.uuid(),
                before: None,
                after: Some(&change),
            },
        )
        .await?;
        Ok(row)
    })
    .await
}

/// A member's status history, oldest first.
#[utoipa::path(tag = "members", params(("id" = Uuid, Path, description = "Member id"), PageQuery), responses(
    (status = 200, description = "The history.", body = Page<StatusChange>)))]
#[get("/api/v1/members/{id}/status-changes")]
pub async fn list_status_changes(
    req: HttpRequest,
    caller: Caller,
    id: web::Path<MemberId>,
    query: web::Query<PageQuery>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    require_full_read(&mut *state.conn().await?, &caller, id).await?;
    let list = List {
        resource: "member_status_changes",
        sort: "created_at",
        filename: "status-changes.csv",
    };
    listing::from_db(
        &req,
        &state,
        list,
        query.limit,
        query.cursor.as_deref(),
        async move |conn, after, n| Ok(repo::status_changes(conn, id, after, n).await?),
        |r: &StatusChangeRow| r.id,
        StatusChange::from,
    )
    .await
}

/// Moves a member along its lifecycle (staff and admins): `applicant → active →
/// suspended ↔ active`, and from `active` or `suspended` to `withdrawn` or `expelled`.
/// Illegal moves are a 409 and change nothing.
#[utoipa::path(tag = "members", params(("id" = Uuid, Path, description = "Member id")),
    request_body = NewStatusChange, responses(
    (status = 201, description = "Recorded.", body = StatusChange),
    (status = 409, description = "`illegal_status_transition` or `member_archived`.", body = crate::error::Problem, content_type = "application/problem+json")))]
#[post("/api/v1/members/{id}/status-changes")]
pub async fn create_status_change(
    req: HttpRequest,
    caller: Caller,
    id: web::Path<MemberId>,
    body: Json<NewStatusChange>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let precondition = Precondition::from_request(&req);
    let mut conn = state.conn().await?;
    let row = change_status(&mut conn, &caller, id, precondition, body.into_inner()).await?;
    Ok(HttpResponse::Created()
        .insert_header(("Location", format!("/api/v1/members/{id}/status-changes")))
        .json(StatusChange::from(row)))
}
