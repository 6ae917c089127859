//! The life of a plan version: the General Assembly approves a draft (it becomes frozen and
//! supersedes the version it revises), and an approved version is changed through a draft
//! revision. [`approve`] is what the admin endpoint calls and what an assembly resolution
//! will call, inside the resolution's own transaction, with no request.

use actix_web::{HttpRequest, HttpResponse, post, web};
use chrono::NaiveDate;
use diesel_async::{AsyncConnection, AsyncPgConnection};
use serde::Deserialize;
use utoipa::ToSchema;

use super::{Plan, location};
use crate::{
    AppState,
    audit::{self, Change},
    auth::{Action, Caller, Resource, Role},
    domain::{PlanId, UserId, calendar::today, text},
    error::{ApiError, FieldErrors, on_unique},
    events,
    http::{
        etag::{self, IfMatch, Precondition},
        json::Json,
    },
    plans::{
        lock_plan,
        model::{PlanRow, PlanStatus},
        repo, transfer,
    },
};

/// The approval of a plan version (admins, until assemblies exist).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewApproval {
    /// The approval's reference (e.g. "Acta de la Asamblea General de 12/03/2024, acuerdo 4").
    #[schema(min_length = 1, max_length = 500)]
    pub reference: String,
    /// The day of the approval (default today).
    pub approved_on: Option<NaiveDate>,
}

/// An approval as [`approve`] records it: what the admin endpoint or an assembly resolution
/// supplies.
#[derive(Debug, Clone)]
pub struct Approval {
    /// The day the assembly approved the plan.
    pub approved_on: NaiveDate,
    /// The approval's reference (the minutes and the resolution), 1–500 characters.
    pub reference: String,
}

/// Approves a draft plan version (admins, until assemblies exist): it becomes frozen, and
/// the version it revises becomes `superseded`. Needs `If-Match`: you approve exactly the
/// content you read.
#[utoipa::path(tag = "plans", params(("id" = Uuid, Path, description = "Plan id"),
    ("If-Match" = String, Header, description = "ETag from a GET of the plan")),
    request_body = NewApproval, responses(
    (status = 200, description = "Approved.", body = Plan),
    (status = 403, description = "Not an admin.", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 409, description = "`plan_not_draft`, `plan_empty`, `revised_plan_not_current`.", body = crate::error::Problem, content_type = "application/problem+json")))]
#[post("/api/v1/plans/{id}/approval")]
pub async fn approve_plan(
    req: HttpRequest,
    caller: Caller,
    id: web::Path<PlanId>,
    body: Json<NewApproval>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Action::write(Resource::Plans))?;
    // The endpoint is an admin recording the assembly's decision by hand; a resolution
    // calls `approve` itself.
    if caller.role != Role::Admin {
        return Err(ApiError::forbidden(
            "Only an admin records the approval of a plan (the General Assembly's decision).",
        ));
    }
    let precondition = Precondition::from_request(&req);
    let input = body.into_inner();
    let approval = Approval {
        approved_on: input.approved_on.unwrap_or_else(today),
        reference: input.reference,
    };
    let mut conn = state.conn().await?;
    let row = approve(&mut conn, &caller, id.into_inner(), precondition, approval).await?;
    Ok(etag::updated(row.version, &Plan::from(row)))
}

/// Creates a draft revision of the approved version (staff, admins): a full copy to
/// change; approving it supersedes this one.
#[utoipa::path(tag = "plans", params(("id" = Uuid, Path, description = "Plan id")), responses(
    (status = 201, description = "The new draft version.", body = Plan),
    (status = 409, description = "`plan_not_approved`, `revision_exists`.", body = crate::error::Problem, content_type = "application/problem+json")))]
#[post("/api/v1/plans/{id}/revisions")]
pub async fn revise_plan(
    caller: Caller,
    id: web::Path<PlanId>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let mut conn = state.conn().await?;
    let row = revise(&mut conn, &caller, id.into_inner()).await?;
    Ok(etag::created(
        location(row.id),
        row.version,
        &Plan::from(row),
    ))
}

/// Approves a draft plan version: records when, by whom and with which reference, and
/// supersedes the version it revises, in one transaction (a savepoint of the caller's when
/// called inside one, e.g. by an assembly resolution). `precondition` is the `If-Match` of
/// the request, or the ETag of the version the resolution was tabled with; it is required.
/// A bad reference is a 422 before anything is read; a plan that is not a draft, has no
/// actions, or revises a version that is no longer the approved one is a 409 and nothing
/// changes.
pub async fn approve(
    conn: &mut AsyncPgConnection,
    caller: &Caller,
    id: PlanId,
    precondition: Precondition,
    approval: Approval,
) -> Result<PlanRow, ApiError> {
    caller.require(Action::write(Resource::Plans))?;
    let mut problems = FieldErrors::default();
    let reference = problems.check("reference", text::name(&approval.reference, 500));
    let reference = problems.finish_with(reference)?;
    conn.transaction::<_, ApiError, _>(async |conn| {
        let plan = lock_plan(conn, caller, id).await?;
        precondition.check(plan.version, IfMatch::Required)?;
        if plan.status != PlanStatus::Draft {
            return Err(ApiError::conflict(
                "plan_not_draft",
                format!(
                    "The plan is {} already; only drafts are approved.",
                    plan.status
                ),
            ));
        }
        if !repo::has_actions(conn, id).await? {
            return Err(ApiError::conflict(
                "plan_empty",
                "A plan without actions cannot be approved.",
            ));
        }
        if let Some(old_id) = plan.revises_id {
            supersede(conn, caller, old_id).await?;
        }
        let by = caller.user_id().map(UserId);
        let approved = repo::approve_plan(conn, id, approval.approved_on, &reference, by).await?;
        let change = Change {
            action: "approved",
            resource_type: "plan",
            resource_id: id.uuid(),
            before: Some(&Plan::from(plan)),
            after: Some(&Plan::from(approved.clone())),
        };
        audit::record(conn, caller, change).await?;
        events::record(conn, events::kinds::plan_approved(&approved)).await?;
        Ok(approved)
    })
    .await
}

/// Supersedes the approved version a draft revises (409 when it is not the approved one
/// any more).
async fn supersede(
    conn: &mut AsyncPgConnection,
    caller: &Caller,
    old_id: PlanId,
) -> Result<(), ApiError> {
    let old = repo::find_plan(conn, old_id, true).await?;
    if old.status != PlanStatus::Approved {
        return Err(ApiError::conflict(
            "revised_plan_not_current",
            format!(
                "This draft revises version {} ({}), which is {} now; only a revision of \
                 the approved version can replace it.",
                old.version_number, old.id, old.status
            ),
        ));
    }
    let superseded = repo::set_plan_status(conn, old_id, PlanStatus::Superseded).await?;
    let change = Change {
        action: "superseded",
        resource_type: "plan",
        resource_id: old_id.uuid(),
        before: Some(&Plan::from(old)),
        after: Some(&Plan::from(superseded)),
    };
    audit::record(conn, caller, change).await
}

/// Creates a draft revision of an approved plan (staff, admins), in one transaction: a
/// copy of its whole content (nodes, participants, indicators, targets, measurements) with
/// new ids, the next version number, and a link to the version it revises. 409
/// `plan_not_approved` for any other version, `revision_exists` while a draft revision is
/// open.
pub async fn revise(
    conn: &mut AsyncPgConnection,
    caller: &Caller,
    id: PlanId,
) -> Result<PlanRow, ApiError> {
    caller.require(Action::write(Resource::Plans))?;
    conn.transaction::<_, ApiError, _>(async |conn| {
        let source = lock_plan(conn, caller, id).await?;
        if source.status != PlanStatus::Approved {
            return Err(ApiError::conflict(
                "plan_not_approved",
                format!(
                    "Only the approved version of a plan is revised; this one is {}.",
                    source.status
                ),
            ));
        }
        let doc = transfer::document_of(conn, &source).await?;
        let mut rows = transfer::build(conn, &doc, PlanId::new(), false).await?;
        rows.plan.revises_id = Some(source.id);
        rows.plan.version_number = source.version_number + 1;
        repo::insert_rows(conn, &rows).await.map_err(|e| {
            on_unique(
                e,
                "plans_one_draft_revision",
                "revision_exists",
                "A draft revision of this plan exists already; change that one.",
            )
        })?;
        let created = repo::find_plan(conn, rows.plan.id, false).await?;
        let change = Change {
            action: "revised",
            resource_type: "plan",
            resource_id: created.id.uuid(),
            before: None,
            after: Some(&Plan::from(created.clone())),
        };
        audit::record(conn, caller, change).await?;
        Ok(created)
    })
    .await
}
