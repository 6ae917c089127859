//! Budget versions: the budgets themselves (a draft, changed and put to the assembly), their
//! approval and their revisions. [`approve`] and [`revise`] are what the endpoints and (soon)
//! assembly resolutions call; they run in the caller's transaction when there is one.

use actix_web::{HttpRequest, HttpResponse, delete, get, patch, post, web};
use chrono::{DateTime, NaiveDate, Utc};
use diesel_async::{AsyncConnection, AsyncPgConnection};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::{
    grants,
    lines::line_in_use,
    model::{BudgetChanges, BudgetRow, BudgetStatus},
    repo,
};
use crate::{
    AppState, audit,
    auth::{Action, Caller, Resource, Role, policy},
    domain::{BudgetId, PlanId, ResolutionId, UserId, text},
    error::{ApiError, FieldErrors, not_found},
    http::{
        csv::CsvRow,
        etag::{self, IfMatch, Precondition},
        extract::query_in_range,
        json::Json,
        listing::{self, List},
        pagination::Page,
        patch::nullable,
    },
};

mod approval;

/// The fiscal years a budget may have.
const FISCAL_YEARS: std::ops::RangeInclusive<i32> = 1900..=2200;

pub use approval::{approve, revise};

// ---------------------------------------------------------------------------------------
// Types

/// A budget version: one fiscal year's income and expense lines.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Budget {
    /// Id.
    pub id: BudgetId,
    /// Fiscal year.
    #[schema(example = 2025)]
    pub fiscal_year: i32,
    /// The strategic plan it executes.
    pub plan_id: Option<PlanId>,
    /// Title.
    #[schema(example = "Presupuesto 2025")]
    pub title: String,
    /// Description.
    pub description: Option<String>,
    /// `draft` (editable), `proposed`, `approved` (frozen), `superseded` or `closed`.
    pub status: BudgetStatus,
    /// 1 for the first version, +1 for each revision.
    pub version_number: i32,
    /// The version this one revises.
    pub revises_id: Option<BudgetId>,
    /// When the assembly approved it.
    pub approved_on: Option<NaiveDate>,
    /// The approval's reference.
    pub approval_reference: Option<String>,
    /// Who recorded the approval.
    pub approved_by: Option<UserId>,
    /// The General Assembly resolution that approved it (`null`: an approval recorded by an
    /// admin where the statutes give it to the board, or not approved).
    pub approved_by_resolution_id: Option<ResolutionId>,
    /// Creation.
    pub created_at: DateTime<Utc>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
}

impl From<BudgetRow> for Budget {
    fn from(r: BudgetRow) -> Self {
        Self {
            id: r.id,
            fiscal_year: r.fiscal_year,
            plan_id: r.plan_id,
            title: r.title,
            description: r.description,
            status: r.status,
            version_number: r.version_number,
            revises_id: r.revises_id,
            approved_on: r.approved_on,
            approval_reference: r.approval_reference,
            approved_by: r.approved_by,
            approved_by_resolution_id: r.approved_by_resolution_id,
            created_at: r.created_at,
            updated_at: r.updated_at,
        }
    }
}

impl CsvRow for BudgetRow {
    fn header() -> &'static [&'static str] {
        &[
            "id",
            "fiscal_year",
            "title",
            "status",
            "version_number",
            "approved_on",
            "approval_reference",
        ]
    }

    fn cells(&self) -> Vec<String> {
        vec![
            self.id.to_string(),
            self.fiscal_year.to_string(),
            self.title.clone(),
            self.status.to_string(),
            self.version_number.to_string(),
            self.approved_on.map(|d| d.to_string()).unwrap_or_default(),
            self.approval_reference.clone().unwrap_or_default(),
        ]
    }
}

/// A new budget (a draft; staff and admins).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewBudget {
    /// Fiscal year.
    #[schema(minimum = 1900, maximum = 2200, example = 2026)]
    pub fiscal_year: i32,
    /// The strategic plan it executes (its actions are what expense lines serve).
    pub plan_id: Option<PlanId>,
    /// Title.
    #[schema(min_length = 1, max_length = 300, example = "Presupuesto 2026")]
    pub title: String,
    /// Description.
    #[schema(max_length = 10000)]
    pub description: Option<String>,
}

/// Changes to a budget. Needs `If-Match`. Content changes only in `draft`; `status` moves
/// between `draft` and `proposed` (put to the assembly).
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BudgetPatch {
    /// Title.
    #[schema(min_length = 1, max_length = 300)]
    pub title: Option<String>,
    /// Description; `null` clears.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>, nullable, max_length = 10000)]
    pub description: Option<Option<String>>,
    /// The plan; `null` clears.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<Uuid>, nullable)]
    pub plan_id: Option<Option<PlanId>>,
    /// `draft` or `proposed`.
    pub status: Option<BudgetStatus>,
}

/// Filters of the budget list.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct BudgetQuery {
    /// Fiscal year.
    #[param(minimum = 1900, maximum = 2200)]
    pub fiscal_year: Option<i32>,
    /// Status.
    pub status: Option<BudgetStatus>,
    /// Page size (1–100, default 25).
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<i64>,
    /// Cursor from the previous page.
    #[param(max_length = 1000)]
    pub cursor: Option<String>,
}

/// The approval of a budget version (admins, until assemblies exist).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BudgetApproval {
    /// The approval's reference (e.g. the assembly's minutes).
    #[schema(min_length = 1, max_length = 500)]
    pub reference: String,
    /// The day of the approval (default today).
    pub approved_on: Option<NaiveDate>,
}

// ---------------------------------------------------------------------------------------
// Handlers

/// Budgets, newest fiscal year first. Members and partners see approved, superseded and
/// closed versions; staff, admins and auditors see drafts and proposals too.
#[utoipa::path(tag = "budgets", params(BudgetQuery),
    responses((status = 200, description = "A page of budgets (or CSV).",
        content((Page<Budget> = "application/json"), (String = "text/csv")))))]
#[get("/api/v1/budgets")]
pub async fn list_budgets(
    req: HttpRequest,
    caller: Caller,
    query: web::Query<BudgetQuery>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Action::read(Resource::Budgets))?;
    let year = query_in_range("fiscal_year", query.fiscal_year, FISCAL_YEARS)?;
    let status = query.status;
    let public = !policy::reads_drafts(caller.role);
    let list = List {
        resource: "budgets",
        sort: "-fiscal_year",
        filename: "budgets.csv",
    };
    listing::from_db(
        &req,
        &state,
        list,
        query.limit,
        query.cursor.as_deref(),
        async move |conn, after, n| {
            Ok(repo::list_budgets(conn, year, status, public, after, n).await?)
        },
        |b: &BudgetRow| (b.fiscal_year, b.created_at, b.id),
        Budget::from,
    )
    .await
}

/// Creates a draft budget (staff, admins).
#[utoipa::path(tag = "budgets", request_body = NewBudget, responses(
    (status = 201, description = "Created.", body = Budget)))]
#[post("/api/v1/budgets")]
pub async fn create_budget(
    caller: Caller,
    body: Json<NewBudget>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Action::write(Resource::Budgets))?;
    let mut conn = state.conn().await?;
    let row = create(&mut conn, &caller, body.into_inner()).await?;
    Ok(etag::created(
        format!("/api/v1/budgets/{}", row.id),
        row.version,
        &Budget::from(row),
    ))
}

/// One budget version.
#[utoipa::path(tag = "budgets", params(("id" = Uuid, Path, description = "Budget id")), responses(
    (status = 200, description = "The budget.", body = Budget),
    (status = 304, description = "Not modified.")))]
#[get("/api/v1/budgets/{id}")]
pub async fn get_budget(
    req: HttpRequest,
    caller: Caller,
    id: web::Path<BudgetId>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Action::read(Resource::Budgets))?;
    let mut conn = state.conn().await?;
    let budget = visible_budget(&mut conn, &caller, id.into_inner()).await?;
    Ok(etag::respond(&req, budget.version, &Budget::from(budget)))
}

/// Changes a budget (staff, admins). Needs `If-Match`. Title, description and plan change
/// in `draft`; `status` moves between `draft` and `proposed`.
#[utoipa::path(tag = "budgets", params(("id" = Uuid, Path, description = "Budget id"),
    ("If-Match" = String, Header, description = "ETag from a GET")),
    request_body = BudgetPatch, responses(
    (status = 200, description = "Changed.", body = Budget),
    (status = 409, description = "`budget_frozen`, `illegal_status_change`.", body = crate::error::Problem, content_type = "application/problem+json")))]
#[patch("/api/v1/budgets/{id}")]
pub async fn update_budget(
    req: HttpRequest,
    caller: Caller,
    id: web::Path<BudgetId>,
    body: Json<BudgetPatch>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Action::write(Resource::Budgets))?;
    let precondition = Precondition::from_request(&req);
    let mut conn = state.conn().await?;
    let row = update(
        &mut conn,
        &caller,
        id.into_inner(),
        precondition,
        body.into_inner(),
    )
    .await?;
    Ok(etag::updated(row.version, &Budget::from(row)))
}

/// Deletes a draft budget with its lines (staff, admins). Needs `If-Match`.
#[utoipa::path(tag = "budgets", params(("id" = Uuid, Path, description = "Budget id"),
    ("If-Match" = String, Header, description = "ETag from a GET")), responses(
    (status = 204, description = "Deleted."),
    (status = 409, description = "`budget_frozen`, `line_in_use` (a subsidy application funds it).", body = crate::error::Problem, content_type = "application/problem+json")))]
#[delete("/api/v1/budgets/{id}")]
pub async fn delete_budget(
    req: HttpRequest,
    caller: Caller,
    id: web::Path<BudgetId>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Action::write(Resource::Budgets))?;
    let precondition = Precondition::from_request(&req);
    let mut conn = state.conn().await?;
    delete(&mut conn, &caller, id.into_inner(), precondition).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Approves a budget version (admins, until assemblies exist): it becomes frozen, the
/// version it revises becomes `superseded`, and execution follows its lines. Needs
/// `If-Match`.
#[utoipa::path(tag = "budgets", params(("id" = Uuid, Path, description = "Budget id"),
    ("If-Match" = String, Header, description = "ETag from a GET of the budget")),
    request_body = BudgetApproval, responses(
    (status = 200, description = "Approved.", body = Budget),
    (status = 403, description = "Not an admin.", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 409, description = "`budget_not_draft`, `approved_budget_exists`, `executed_line_removed`.", body = crate::error::Problem, content_type = "application/problem+json")))]
#[post("/api/v1/budgets/{id}/approval")]
pub async fn approve_budget(
    req: HttpRequest,
    caller: Caller,
    id: web::Path<BudgetId>,
    body: Json<BudgetApproval>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Action::write(Resource::Budgets))?;
    if caller.role != Role::Admin {
        return Err(ApiError::forbidden(
            "Only an admin records the approval of a budget (the General Assembly's decision).",
        ));
    }
    let precondition = Precondition::from_request(&req);
    let mut conn = state.conn().await?;
    let row = approve(
        &mut conn,
        &caller,
        id.into_inner(),
        precondition,
        body.into_inner(),
    )
    .await?;
    Ok(etag::updated(row.version, &Budget::from(row)))
}

/// Creates a draft revision of the approved budget (staff, admins): a copy of its lines to
/// change; approving it supersedes this one.
#[utoipa::path(tag = "budgets", params(("id" = Uuid, Path, description = "Budget id")), responses(
    (status = 201, description = "The new draft version.", body = Budget),
    (status = 409, description = "`budget_not_approved`, `revision_exists`.", body = crate::error::Problem, content_type = "application/problem+json")))]
#[post("/api/v1/budgets/{id}/revisions")]
pub async fn revise_budget(
    caller: Caller,
    id: web::Path<BudgetId>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Action::write(Resource::Budgets))?;
    let mut conn = state.conn().await?;
    let row = revise(&mut conn, &caller, id.into_inner()).await?;
    Ok(etag::created(
        format!("/api/v1/budgets/{}", row.id),
        row.version,
        &Budget::from(row),
    ))
}

// ---------------------------------------------------------------------------------------
// Services

/// 409 `budget_frozen` unless the budget is a draft.
pub(super) fn frozen(budget: &BudgetRow) -> Result<(), ApiError> {
    budget
        .check_editable()
        .map_err(|msg| ApiError::conflict("budget_frozen", msg))
}

/// The budget if the caller may see it (drafts and proposals: staff, admins, auditors).
pub async fn visible_budget(
    conn: &mut AsyncPgConnection,
    caller: &Caller,
    id: BudgetId,
) -> Result<BudgetRow, ApiError> {
    let budget = repo::find_budget(conn, id, false).await?;
    if matches!(budget.status, BudgetStatus::Draft | BudgetStatus::Proposed)
        && !policy::reads_drafts(caller.role)
    {
        return Err(not_found());
    }
    Ok(budget)
}

/// The budget locked `FOR UPDATE`, once the caller may see it: whoever reads drafts sees
/// every budget; anyone else is checked on an unlocked read first, so a budget they may not
/// see is a 404 that takes no lock.
pub(super) async fn lock_visible(
    conn: &mut AsyncPgConnection,
    caller: &Caller,
    id: BudgetId,
) -> Result<BudgetRow, ApiError> {
    if !policy::reads_drafts(caller.role) {
        visible_budget(conn, caller, id).await?;
    }
    Ok(repo::find_budget(conn, id, true).await?)
}

/// 422 unless the plan a budget executes exists.
async fn check_plan(conn: &mut AsyncPgConnection, plan_id: Option<PlanId>) -> Result<(), ApiError> {
    if let Some(p) = plan_id
        && crate::plans::repo::find_plan(conn, p, false).await.is_err()
    {
        return Err(FieldErrors::one("plan_id", "unknown", "no such plan"));
    }
    Ok(())
}

/// Creates a draft budget; grants accepted while its year had no draft are booked on it.
pub async fn create(
    conn: &mut AsyncPgConnection,
    caller: &Caller,
    input: NewBudget,
) -> Result<BudgetRow, ApiError> {
    let mut errors = FieldErrors::default();
    if !FISCAL_YEARS.contains(&input.fiscal_year) {
        errors.add(
            "fiscal_year",
            "out_of_range",
            "must be between 1900 and 2200",
        );
    }
    let title = errors.check("title", text::name(&input.title, 300));
    let description = errors.check(
        "description",
        text::optional(input.description.as_deref(), 10_000),
    );
    let (title, description) = errors.finish_with(title.zip(description))?;
    let now = Utc::now();
    let row = BudgetRow {
        id: BudgetId::new(),
        fiscal_year: input.fiscal_year,
        plan_id: input.plan_id,
        title,
        description,
        status: BudgetStatus::Draft,
        version_number: 1,
        revises_id: None,
        approved_on: None,
        approval_reference: None,
        approved_by: None,
        approved_by_resolution_id: None,
        version: 1,
        created_at: now,
        updated_at: now,
    };
    conn.transaction(async |conn| {
        check_plan(conn, row.plan_id).await?;
        let row = repo::insert_budget(conn, &row).await?;
        // Grants accepted while the year had no draft are booked on the new one.
        grants::apply_pending_income(conn, caller, &row).await?;
        let row = repo::find_budget(conn, row.id, false).await?;
        let after = Budget::from(row.clone());
        audit::created(conn, caller, "budget", row.id.into(), &after).await?;
        Ok(row)
    })
    .await
}

/// Changes a budget: its content while a draft; its status between `draft` and `proposed`.
pub async fn update(
    conn: &mut AsyncPgConnection,
    caller: &Caller,
    id: BudgetId,
    precondition: Precondition,
    patch: BudgetPatch,
) -> Result<BudgetRow, ApiError> {
    let mut errors = FieldErrors::default();
    let title = patch
        .title
        .as_deref()
        .and_then(|t| errors.check("title", text::name(t, 300)));
    let description = match &patch.description {
        Some(d) => errors.check("description", text::optional(d.as_deref(), 10_000)),
        None => None,
    };
    if patch
        .status
        .is_some_and(|s| !matches!(s, BudgetStatus::Draft | BudgetStatus::Proposed))
    {
        errors.add(
            "status",
            "not_allowed",
            "only `draft` or `proposed`; approval has its own endpoint",
        );
    }
    errors.finish()?;
    conn.transaction(async |conn| {
        let current = lock_visible(conn, caller, id).await?;
        precondition.check(current.version, IfMatch::Required)?;
        let content = title.is_some() || description.is_some() || patch.plan_id.is_some();
        if content {
            frozen(&current)?;
        }
        if let Some(to) = patch.status
            && to != current.status
            && !matches!(
                (current.status, to),
                (BudgetStatus::Draft, BudgetStatus::Proposed)
                    | (BudgetStatus::Proposed, BudgetStatus::Draft)
            )
        {
            return Err(ApiError::conflict(
                "illegal_status_change",
                format!("A {} budget cannot become {to}.", current.status),
            ));
        }
        if let Some(p) = patch.plan_id {
            check_plan(conn, p).await?;
            if p != current.plan_id && !repo::budget_shares(conn, id).await?.is_empty() {
                return Err(ApiError::conflict(
                    "plan_in_use",
                    "Lines share their amounts among this plan's actions; clear their \
                     actions before changing the plan.",
                ));
            }
        }
        let changes = BudgetChanges {
            title: title.clone(),
            description: description.clone(),
            plan_id: patch.plan_id,
            status: patch.status,
        };
        let updated = repo::update_budget(conn, id, &changes).await?;
        let (before, after) = (Budget::from(current), Budget::from(updated.clone()));
        audit::updated(conn, caller, "budget", id.into(), &before, &after).await?;
        Ok(updated)
    })
    .await
}

/// Deletes a draft budget with its lines.
pub async fn delete(
    conn: &mut AsyncPgConnection,
    caller: &Caller,
    id: BudgetId,
    precondition: Precondition,
) -> Result<(), ApiError> {
    conn.transaction(async |conn| {
        let current = lock_visible(conn, caller, id).await?;
        precondition.check(current.version, IfMatch::Required)?;
        frozen(&current)?;
        repo::delete_budget(conn, id).await.map_err(line_in_use)?;
        audit::deleted(conn, caller, "budget", id.into(), &Budget::from(current)).await
    })
    .await
}
