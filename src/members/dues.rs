//! Yearly membership dues: issued to every active member at its category's fee, settled
//! one by one; a pending due past its date is overdue and costs the member its good
//! standing.

use actix_web::{HttpRequest, HttpResponse, get, patch, post, web};
use chrono::{DateTime, NaiveDate, Utc};
use diesel_async::{AsyncConnection, AsyncPgConnection};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use super::{
    model::{DueRow, DueStatus},
    repo, require_staff,
    view::require_full_read,
};
use crate::{
    AppState,
    audit::{self, Change},
    auth::{Action, Caller, Resource},
    domain::{Cents, DueId, MemberId, calendar::today},
    error::{ApiError, FieldErrors},
    http::{
        etag::{self, IfMatch, Precondition},
        json::Json,
        pagination::{self, Page, PageQuery},
    },
};

/// A yearly due.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Due {
    /// Id.
    pub id: DueId,
    /// Member.
    pub member_id: MemberId,
    /// Year.
    pub year: i32,
    /// Amount (the category's fee when issued).
    pub amount_cents: Cents,
    /// Issued on.
    pub issued_on: NaiveDate,
    /// Due on.
    pub due_on: NaiveDate,
    /// Paid on.
    pub paid_on: Option<NaiveDate>,
    /// `pending`, `paid`, `overdue` (pending past its due date) or `waived`.
    pub status: DueStatus,
    /// Creation.
    pub created_at: DateTime<Utc>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
}

impl Due {
    /// The due as shown on `today`.
    pub fn from_row(r: DueRow, today: NaiveDate) -> Self {
        Self {
            id: r.id,
            member_id: r.member_id,
            year: r.year,
            amount_cents: r.amount_cents,
            issued_on: r.issued_on,
            due_on: r.due_on,
            paid_on: r.paid_on,
            status: r.status.effective(r.due_on, today),
            created_at: r.created_at,
            updated_at: r.updated_at,
        }
    }
}

/// Settling a due: paid (with its date), waived, or back to pending.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DuePatch {
    /// `paid`, `waived` or `pending`.
    pub status: DueStatus,
    /// For `paid`: the payment date (default today).
    pub paid_on: Option<NaiveDate>,
}

/// Issuing a year's dues to every active member at once.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DuesIssuance {
    /// The year.
    #[schema(minimum = 1900, maximum = 2999, example = 2025)]
    pub year: i32,
    /// Issue date (default today).
    pub issued_on: Option<NaiveDate>,
    /// Payment deadline.
    pub due_on: NaiveDate,
}

/// What an issuance did.
#[derive(Debug, Serialize, ToSchema)]
pub struct DuesIssued {
    /// The year.
    pub year: i32,
    /// Dues created now (one per active member without one for the year).
    pub issued: i64,
    /// Active members that already had the year's due.
    pub already_issued: i64,
    /// Total amount issued now, in cents.
    pub amount_cents: Cents,
}

/// Settles a member's due of a year (staff and admins): 403, 422, 404 (no due that year),
/// 412.
pub async fn settle(
    conn: &mut AsyncPgConnection,
    caller: &Caller,
    member_id: MemberId,
    year: i32,
    precondition: Precondition,
    input: DuePatch,
) -> Result<DueRow, ApiError> {
    caller.require(Action::write(Resource::Members))?;
    require_staff(caller)?;
    let paid_on = match input.status {
        DueStatus::Paid => Some(input.paid_on.unwrap_or_else(today)),
        DueStatus::Pending | DueStatus::Waived if input.paid_on.is_none() => None,
        DueStatus::Overdue => {
            return Err(FieldErrors::one(
                "status",
                "not_allowed",
                "paid, waived or pending",
            ));
        }
        _ => {
            return Err(FieldErrors::one(
                "paid_on",
                "not_allowed",
                "only with status paid",
            ));
        }
    };
    conn.transaction(async |conn| {
        let current = repo::lock_due(conn, member_id, year).await?;
        precondition.check(current.version, IfMatch::Optional)?;
        if paid_on.is_some_and(|p| p < current.issued_on) {
            return Err(FieldErrors::one(
                "paid_on",
                "out_of_range",
                "on or after issued_on",
            ));
        }
        let updated = repo::set_due(conn, current.id, input.status, paid_on).await?;
        let today = today();
        let (b, a) = (
            Due::from_row(current, today),
            Due::from_row(updated.clone(), today),
        );
        audit::updated(conn, caller, "member_due", updated.id.uuid(), &b, &a).await?;
        Ok(updated)
    })
    .await
}

/// Issues a year's dues to every active member (staff and admins): 403, 422.
pub async fn issue(
    conn: &mut AsyncPgConnection,
    caller: &Caller,
    input: DuesIssuance,
) -> Result<DuesIssued, ApiError> {
    caller.require(Action::write(Resource::Members))?;
    require_staff(caller)?;
    let issued_on = input.issued_on.unwrap_or_else(today);
    let mut errors = FieldErrors::default();
    if !(1900..=2999).contains(&input.year) {
        errors.add("year", "out_of_range", "between 1900 and 2999");
    }
    if input.due_on < issued_on {
        errors.add("due_on", "out_of_range", "on or after issued_on");
    }
    errors.finish()?;
    conn.transaction(async |conn| {
        let done = repo::issue_dues(conn, input.year, issued_on, input.due_on).await?;
        let result = DuesIssued {
            year: input.year,
            issued: done.issued,
            already_issued: done.already,
            amount_cents: done.amount,
        };
        audit::record(
            conn,
            caller,
            Change {
                action: "dues_issued",
                resource_type: "dues_issuance",
                resource_id: Uuid::now_v7(),
                before: None,
                after: Some(&result),
            },
        )
        .await?;
        Ok(result)
    })
    .await
}

/// A member's dues by year (staff, admins, auditors, its own representatives).
#[utoipa::path(tag = "members", params(("id" = Uuid, Path, description = "Member id"), PageQuery), responses(
    (status = 200, description = "The dues.", body = Page<Due>)))]
#[get("/api/v1/members/{id}/dues")]
pub async fn list_dues(
    caller: Caller,
    id: web::Path<MemberId>,
    query: web::Query<PageQuery>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let mut conn = state.conn().await?;
    require_full_read(&mut conn, &caller, id).await?;
    // Not `listing::from_db`: the documented answer is JSON only (a CSV of dues would be a
    // new, undocumented representation), so the page is built here.
    let limit = pagination::limit(query.limit)?;
    let after = query
        .cursor
        .as_deref()
        .filter(|c| !c.is_empty())
        .map(|c| state.cursors.decode::<i32>("member_dues", "year", c))
        .transpose()?;
    let rows = repo::dues(&mut conn, id, after, limit + 1).await?;
    let today = today();
    Ok(HttpResponse::Ok().json(pagination::page(
        &state.cursors,
        "member_dues",
        "year",
        rows,
        limit,
        |r| r.year,
        |r| Due::from_row(r, today),
    )))
}

/// Settles a member's due of a year (staff and admins): `paid` (with its date), `waived`,
/// or back to `pending`.
#[utoipa::path(tag = "members", params(("id" = Uuid, Path, description = "Member id"),
    ("year" = i32, Path, description = "Year")), request_body = DuePatch, responses(
    (status = 200, description = "Settled.", body = Due),
    (status = 404, description = "No due for that year.", body = crate::error::Problem, content_type = "application/problem+json")))]
#[patch("/api/v1/members/{id}/dues/{year}")]
pub async fn update_due(
    req: HttpRequest,
    caller: Caller,
    path: web::Path<(MemberId, i32)>,
    body: Json<DuePatch>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let (member_id, year) = path.into_inner();
    let precondition = Precondition::from_request(&req);
    let mut conn = state.conn().await?;
    let due = settle(
        &mut conn,
        &caller,
        member_id,
        year,
        precondition,
        body.into_inner(),
    )
    .await?;
    Ok(etag::updated(due.version, &Due::from_row(due, today())))
}

/// Issues a year's dues to every active member at once (staff and admins), at each
/// member's category fee. Members that already have the year's due keep it.
#[utoipa::path(tag = "members", request_body = DuesIssuance, responses(
    (status = 201, description = "Issued.", body = DuesIssued)))]
#[post("/api/v1/dues-issuances")]
pub async fn issue_dues(
    caller: Caller,
    body: Json<DuesIssuance>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let mut conn = state.conn().await?;
    let result = issue(&mut conn, &caller, body.into_inner()).await?;
    Ok(HttpResponse::Created().json(result))
}
