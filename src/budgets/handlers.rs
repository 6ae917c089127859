//! HTTP handlers of budgets. Changes of a budget and its lines need `If-Match` (428
//! without): line changes lock the budget row first, check that it is a draft, and bump its
//! version, so the budget's ETag changes with its content.

use std::collections::{BTreeMap, HashMap, HashSet};

use actix_web::{HttpRequest, HttpResponse, delete, get, patch, post, web};
use chrono::{Datelike, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

use super::{
    dto::{
        ActionReport, ActionShare, Amounts, AxisReport, Budget, BudgetApproval, BudgetCategory,
        BudgetCategoryPatch, BudgetDiff, BudgetPatch, BudgetQuery, CategoryReport, DiffQuery,
        Entry, IncomeSource, IncomeSourceKind, Line, LineChange, LinePatch, LineRef, LineReport,
        NewBudget, NewBudgetCategory, NewEntry, NewLine, PendingIncome, Report, Totals,
    },
    model::{
        self, BudgetChanges, BudgetRow, BudgetStatus, CategoryChanges, CategoryRow, EntryKind,
        EntryRow, Figures, LineChanges, LineFigures, LineKind, LineRow, MAX_CENTS, ShareRow,
    },
    repo,
};
use crate::{
    AppState, audit,
    auth::{Action, Caller, Resource, Role, policy},
    domain::calendar,
    domain::text,
    error::{ApiError, FieldError, FieldErrors, not_found, on_reference, on_unique},
    http::{
        csv,
        etag::{self, IfMatch, Precondition},
        json::Json,
        listing::{self, List},
        pagination::{Page, PageQuery},
    },
    plans::{self, model::NodeKind},
    schema::plan_nodes,
};

const CODE_TAKEN: &str = "Another line of this budget has this code.";
const LINE_IN_USE: &str = "A subsidy application funds this line: change the application's \
                           budget lines first.";

fn frozen(budget: &BudgetRow) -> Result<(), ApiError> {
    budget
        .check_editable()
        .map_err(|msg| ApiError::conflict("budget_frozen", msg))
}

fn overflow(_: model::Overflow) -> ApiError {
    ApiError::unprocessable(
        "value_out_of_range",
        "A total of this budget would go past what can be stored.",
    )
}

/// The budget if the caller may see it (drafts and proposals: staff, admins, auditors).
async fn visible_budget(
    conn: &mut AsyncPgConnection,
    caller: &Caller,
    id: Uuid,
) -> Result<BudgetRow, ApiError> {
    let budget = repo::find_budget(conn, id, false).await?;
    if matches!(budget.status, BudgetStatus::Draft | BudgetStatus::Proposed)
        && !policy::reads_drafts(caller.role)
    {
        return Err(not_found());
    }
    Ok(budget)
}

/// Whether the caller sees every line of a budget: partners only see the lines their
/// institution funds (see [`funded_keys`]), and no whole-budget report.
fn sees_lines(caller: &Caller) -> bool {
    caller.role != Role::Partner
}

/// For partners, the line lineages their funder funds (agreement instalments, applications
/// to its calls); `None` for callers who see every line.
async fn funded_keys(
    conn: &mut AsyncPgConnection,
    caller: &Caller,
) -> Result<Option<Vec<Uuid>>, ApiError> {
    if sees_lines(caller) {
        return Ok(None);
    }
    Ok(Some(match caller.funder_id {
        Some(f) => repo::funded_line_keys(conn, f).await?,
        None => Vec::new(),
    }))
}

/// A line and its budget, if the caller may see them.
async fn visible_line(
    conn: &mut AsyncPgConnection,
    caller: &Caller,
    id: Uuid,
) -> Result<(LineRow, BudgetRow), ApiError> {
    let line = repo::find_line(conn, id, false).await?;
    if funded_keys(conn, caller)
        .await?
        .is_some_and(|keys| !keys.contains(&line.line_key))
    {
        return Err(not_found());
    }
    let budget = visible_budget(conn, caller, line.budget_id).await?;
    Ok((line, budget))
}

/// Lines with their shares and the fiscal year's totals, as DTOs.
async fn with_details(
    conn: &mut AsyncPgConnection,
    year: i32,
    rows: Vec<LineRow>,
) -> Result<Vec<Line>, ApiError> {
    let ids: Vec<Uuid> = rows.iter().map(|l| l.id).collect();
    let keys: Vec<Uuid> = rows.iter().map(|l| l.line_key).collect();
    let mut shares: HashMap<Uuid, Vec<ActionShare>> = HashMap::new();
    for s in repo::shares_of(conn, &ids).await? {
        shares.entry(s.line_id).or_default().push(ActionShare {
            action_id: s.action_id,
            share_bp: s.share_bp,
        });
    }
    let totals: HashMap<Uuid, model::TotalsRow> = repo::totals(conn, year, &keys)
        .await?
        .into_iter()
        .map(|t| (t.line_key, t))
        .collect();
    Ok(rows
        .into_iter()
        .map(|l| {
            let t = totals.get(&l.line_key).copied().unwrap_or_default();
            let s = shares.remove(&l.id).unwrap_or_default();
            Line::new(l, s, t.committed_cents, t.actual_cents)
        })
        .collect())
}

async fn line_dto(conn: &mut AsyncPgConnection, year: i32, row: LineRow) -> Result<Line, ApiError> {
    with_details(conn, year, vec![row])
        .await?
        .pop()
        .ok_or_else(not_found)
}

// ---------------------------------------------------------------------------------------
// Categories

/// Budget categories (income and expense), in order.
#[utoipa::path(tag = "budgets", params(PageQuery),
    responses((status = 200, description = "A page of categories (or CSV).",
        content((Page<BudgetCategory> = "application/json"), (String = "text/csv")))))]
#[get("/api/v1/budget-categories")]
pub async fn list_categories(
    req: HttpRequest,
    caller: Caller,
    query: web::Query<PageQuery>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Action::read(Resource::Reference))?;
    let db = state.clone();
    let fetch = move |after, n| {
        let db = db.clone();
        async move {
            let mut conn = db.conn().await?;
            Ok(repo::categories(&mut conn, after, n).await?)
        }
    };
    let list = List {
        resource: "budget_categories",
        sort: "position",
        filename: "budget-categories.csv",
    };
    let key_of = |c: &CategoryRow| (c.position, c.code.clone());
    listing::respond(
        &req,
        &state,
        list,
        query.limit,
        query.cursor.as_deref(),
        fetch,
        key_of,
        BudgetCategory::from,
    )
    .await
}

/// Adds a budget category (admins).
#[utoipa::path(tag = "budgets", request_body = NewBudgetCategory, responses(
    (status = 201, description = "Created.", body = BudgetCategory),
    (status = 409, description = "`category_code_taken`.", body = crate::error::Problem, content_type = "application/problem+json")))]
#[post("/api/v1/budget-categories")]
pub async fn create_category(
    caller: Caller,
    body: Json<NewBudgetCategory>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Action::write(Resource::Reference))?;
    let input = body.into_inner();
    let mut errors = FieldErrors::default();
    let code = errors.check("code", check_category_code(&input.code));
    let name = errors.check("name", text::name(&input.name, 100));
    let (code, name) = errors.finish_with(code.zip(name))?;
    let now = Utc::now();
    let row = CategoryRow {
        id: Uuid::now_v7(),
        kind: input.kind,
        code,
        name,
        position: input.position.unwrap_or(0),
        version: 1,
        created_at: now,
        updated_at: now,
    };
    let mut conn = state.conn().await?;
    let row = conn
        .transaction::<_, ApiError, _>(async |conn| {
            let row = repo::insert_category(conn, &row).await.map_err(|e| {
                on_unique(
                    e,
                    "budget_categories_code_key",
                    "category_code_taken",
                    "A budget category with this code exists.",
                )
            })?;
            let after = BudgetCategory::from(row.clone());
            audit::created(conn, &caller, "budget_category", row.id, &after).await?;
            Ok(row)
        })
        .await?;
    Ok(etag::created(
        format!("/api/v1/budget-categories/{}", row.id),
        row.version,
        &BudgetCategory::from(row),
    ))
}

/// A category code: the rule of every code of reference data.
fn check_category_code(raw: &str) -> Result<String, String> {
    crate::reference::model::check_code(raw.trim())
}

/// Renames or reorders a budget category (admins).
#[utoipa::path(tag = "budgets", params(("id" = Uuid, Path, description = "BudgetCategory id"),
    ("If-Match" = Option<String>, Header, description = "ETag")),
    request_body = BudgetCategoryPatch, responses(
    (status = 200, description = "Changed.", body = BudgetCategory)))]
#[patch("/api/v1/budget-categories/{id}")]
pub async fn update_category(
    req: HttpRequest,
    caller: Caller,
    id: web::Path<Uuid>,
    body: Json<BudgetCategoryPatch>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Action::write(Resource::Reference))?;
    let precondition = Precondition::from_request(&req);
    let patch = body.into_inner();
    let mut errors = FieldErrors::default();
    let name = patch
        .name
        .as_deref()
        .and_then(|n| errors.check("name", text::name(n, 100)));
    errors.finish()?;
    let changes = CategoryChanges {
        name,
        position: patch.position,
    };
    let id = id.into_inner();
    let mut conn = state.conn().await?;
    let row = conn
        .transaction::<_, ApiError, _>(async |conn| {
            let current = repo::find_category(conn, id, true).await?;
            precondition.check(current.version, IfMatch::Optional)?;
            let updated = repo::update_category(conn, id, &changes).await?;
            let (before, after) = (
                BudgetCategory::from(current),
                BudgetCategory::from(updated.clone()),
            );
            audit::updated(conn, &caller, "budget_category", id, &before, &after).await?;
            Ok(updated)
        })
        .await?;
    Ok(etag::updated(row.version, &BudgetCategory::from(row)))
}

// ---------------------------------------------------------------------------------------
// Budgets

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
    let (year, status) = (query.fiscal_year, query.status);
    let public = !policy::reads_drafts(caller.role);
    let db = state.clone();
    let fetch = move |after, n| {
        let db = db.clone();
        async move {
            let mut conn = db.conn().await?;
            Ok(repo::list_budgets(&mut conn, year, status, public, after, n).await?)
        }
    };
    let list = List {
        resource: "budgets",
        sort: "-fiscal_year",
        filename: "budgets.csv",
    };
    let key_of = |b: &BudgetRow| (b.fiscal_year, b.created_at, b.id);
    listing::respond(
        &req,
        &state,
        list,
        query.limit,
        query.cursor.as_deref(),
        fetch,
        key_of,
        Budget::from,
    )
    .await
}

/// Checks that a plan exists (a budget executes it).
async fn check_plan(conn: &mut AsyncPgConnection, plan_id: Option<Uuid>) -> Result<(), ApiError> {
    if let Some(p) = plan_id
        && plans::repo::find_plan(conn, crate::domain::PlanId(p), false)
            .await
            .is_err()
    {
        return Err(
            ApiError::unprocessable("validation_failed", "No such plan.")
                .with_errors(vec![FieldError::new("plan_id", "unknown", "no such plan")]),
        );
    }
    Ok(())
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
    let input = body.into_inner();
    let mut errors = FieldErrors::default();
    if !(1900..=2200).contains(&input.fiscal_year) {
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
        id: Uuid::now_v7(),
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
        version: 1,
        created_at: now,
        updated_at: now,
    };
    let mut conn = state.conn().await?;
    let row = conn
        .transaction::<_, ApiError, _>(async |conn| {
            check_plan(conn, row.plan_id).await?;
            let row = repo::insert_budget(conn, &row).await?;
            // Grants accepted while the year had no draft are booked on the new one.
            super::apply_pending_income(conn, &caller, &row).await?;
            let row = repo::find_budget(conn, row.id, false).await?;
            let after = Budget::from(row.clone());
            audit::created(conn, &caller, "budget", row.id, &after).await?;
            Ok(row)
        })
        .await?;
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
    id: web::Path<Uuid>,
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
    id: web::Path<Uuid>,
    body: Json<BudgetPatch>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Action::write(Resource::Budgets))?;
    let precondition = Precondition::from_request(&req);
    let patch = body.into_inner();
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
    let id = id.into_inner();
    let mut conn = state.conn().await?;
    let row = conn
        .transaction::<_, ApiError, _>(async |conn| {
            let current = repo::find_budget(conn, id, true).await?;
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
            audit::updated(conn, &caller, "budget", id, &before, &after).await?;
            Ok(updated)
        })
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
    id: web::Path<Uuid>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Action::write(Resource::Budgets))?;
    let precondition = Precondition::from_request(&req);
    let id = id.into_inner();
    let mut conn = state.conn().await?;
    conn.transaction::<_, ApiError, _>(async |conn| {
        let current = repo::find_budget(conn, id, true).await?;
        precondition.check(current.version, IfMatch::Required)?;
        frozen(&current)?;
        repo::delete_budget(conn, id).await.map_err(|e| {
            on_reference(
                e,
                "application_lines_line_id_fkey",
                "line_in_use",
                LINE_IN_USE,
            )
        })?;
        audit::deleted(conn, &caller, "budget", id, &Budget::from(current)).await
    })
    .await?;
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
    id: web::Path<Uuid>,
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
    let input = body.into_inner();
    let mut errors = FieldErrors::default();
    let reference = errors.check("reference", text::name(&input.reference, 500));
    let reference = errors.finish_with(reference)?;
    let on = input.approved_on.unwrap_or_else(calendar::today);
    let id = id.into_inner();
    let mut conn = state.conn().await?;
    let row = conn
        .transaction::<_, ApiError, _>(async |conn| {
            let current = repo::find_budget(conn, id, true).await?;
            precondition.check(current.version, IfMatch::Required)?;
            super::approve(conn, &caller, id, on, &reference).await
        })
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
    id: web::Path<Uuid>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Action::write(Resource::Budgets))?;
    let id = id.into_inner();
    let mut conn = state.conn().await?;
    let row = conn
        .transaction::<_, ApiError, _>(async |conn| super::revise(conn, &caller, id).await)
        .await?;
    Ok(etag::created(
        format!("/api/v1/budgets/{}", row.id),
        row.version,
        &Budget::from(row),
    ))
}

/// The plan actions (and their axes) named by ids: `(code, title, axis)` by id.
async fn action_names(
    conn: &mut AsyncPgConnection,
    ids: &[Uuid],
) -> Result<HashMap<Uuid, (String, String, Uuid)>, ApiError> {
    let rows: Vec<(Uuid, String, String, Uuid)> = plan_nodes::table
        .filter(plan_nodes::id.eq_any(ids))
        .select((
            plan_nodes::id,
            plan_nodes::code,
            plan_nodes::title,
            plan_nodes::axis_id,
        ))
        .load(conn)
        .await?;
    Ok(rows
        .into_iter()
        .map(|(id, code, title, axis)| (id, (code, title, axis)))
        .collect())
}

/// Builds the report of a budget, in a fixed number of statements whatever the number of
/// entries (per-line totals are kept as entries are recorded).
async fn report_of(conn: &mut AsyncPgConnection, budget: BudgetRow) -> Result<Report, ApiError> {
    let lines = repo::all_lines(conn, budget.id).await?;
    let totals: HashMap<Uuid, model::TotalsRow> =
        repo::budget_totals(conn, budget.id, budget.fiscal_year)
            .await?
            .into_iter()
            .map(|t| (t.line_key, t))
            .collect();
    let mut shares: HashMap<Uuid, Vec<(Uuid, i32)>> = HashMap::new();
    let mut action_ids = HashSet::new();
    for s in repo::budget_shares(conn, budget.id).await? {
        action_ids.insert(s.action_id);
        shares
            .entry(s.line_id)
            .or_default()
            .push((s.action_id, s.share_bp));
    }
    let categories: HashMap<Uuid, CategoryRow> = repo::categories(conn, None, i64::MAX)
        .await?
        .into_iter()
        .map(|c| (c.id, c))
        .collect();
    let approved = repo::approved_of_year(conn, budget.fiscal_year).await?;
    let approved_planned: HashMap<Uuid, i64> = match &approved {
        // The approved version itself: its own lines.
        Some(a) if a.id == budget.id => lines
            .iter()
            .map(|l| (l.line_key, l.planned_cents))
            .collect(),
        Some(a) => repo::all_lines(conn, a.id)
            .await?
            .into_iter()
            .map(|l| (l.line_key, l.planned_cents))
            .collect(),
        None => HashMap::new(),
    };
    let figures: Vec<LineFigures> = lines
        .iter()
        .map(|l| {
            let t = totals.get(&l.line_key).copied().unwrap_or_default();
            LineFigures {
                line_id: l.id,
                kind: l.kind,
                category_id: l.category_id,
                figures: Figures {
                    planned: l.planned_cents,
                    committed: t.committed_cents,
                    actual: t.actual_cents,
                },
            }
        })
        .collect();
    let sums = model::sums(&figures, &shares).map_err(overflow)?;
    let amounts = |f: Figures| Amounts::of(f).ok_or_else(|| overflow(model::Overflow));
    let mut line_reports = Vec::with_capacity(lines.len());
    for (l, f) in lines.iter().zip(&figures) {
        let approved_planned_cents = approved
            .as_ref()
            .and(approved_planned.get(&l.line_key).copied());
        line_reports.push(LineReport {
            id: l.id,
            code: l.code.clone(),
            kind: l.kind,
            category_id: l.category_id,
            category_code: categories
                .get(&l.category_id)
                .map(|c| c.code.clone())
                .unwrap_or_default(),
            description: l.description.clone(),
            amounts: amounts(f.figures)?,
            approved_planned_cents,
            variance_cents: approved_planned_cents
                .map(|a| {
                    l.planned_cents
                        .checked_sub(a)
                        .ok_or_else(|| overflow(model::Overflow))
                })
                .transpose()?,
        });
    }
    let mut category_reports = Vec::new();
    for (id, f) in &sums.by_category {
        let c = categories.get(id);
        category_reports.push(CategoryReport {
            category_id: *id,
            kind: c.map_or(LineKind::Expense, |c| c.kind),
            code: c.map(|c| c.code.clone()).unwrap_or_default(),
            name: c.map(|c| c.name.clone()).unwrap_or_default(),
            amounts: amounts(*f)?,
        });
    }
    category_reports.sort_by_key(|c| {
        categories
            .get(&c.category_id)
            .map(|k| (k.position, k.code.clone()))
    });
    let ids: Vec<Uuid> = action_ids.into_iter().collect();
    let mut names = action_names(conn, &ids).await?;
    let axis_ids: Vec<Uuid> = names.values().map(|n| n.2).collect();
    names.extend(action_names(conn, &axis_ids).await?);
    let mut by_axis: BTreeMap<Uuid, Figures> = BTreeMap::new();
    let mut action_reports = Vec::new();
    for (id, f) in &sums.by_action {
        let (code, title, axis) = names.get(id).cloned().unwrap_or_default();
        by_axis.entry(axis).or_default().add(*f).map_err(overflow)?;
        action_reports.push(ActionReport {
            action_id: *id,
            code,
            title,
            axis_id: axis,
            amounts: amounts(*f)?,
        });
    }
    action_reports.sort_by(|a, b| a.code.cmp(&b.code));
    let mut axis_reports = Vec::new();
    for (id, f) in by_axis {
        let (code, title, _) = names.get(&id).cloned().unwrap_or_default();
        axis_reports.push(AxisReport {
            axis_id: id,
            code,
            title,
            amounts: amounts(f)?,
        });
    }
    axis_reports.sort_by(|a, b| a.code.cmp(&b.code));
    let (income_by_source, pending_income) =
        income_sources(conn, &budget, &lines, &figures, &categories).await?;
    let balance = |a: i64, b: i64| a.checked_sub(b).ok_or_else(|| overflow(model::Overflow));
    Ok(Report {
        approved_budget_id: approved.map(|a| a.id),
        budget: Budget::from(budget),
        lines: line_reports,
        categories: category_reports,
        totals: Totals {
            income: amounts(sums.income)?,
            expense: amounts(sums.expense)?,
            planned_balance_cents: balance(sums.income.planned, sums.expense.planned)?,
            actual_balance_cents: balance(sums.income.actual, sums.expense.actual)?,
        },
        actions: action_reports,
        axes: axis_reports,
        unallocated: amounts(sums.unallocated)?,
        income_by_source,
        pending_income,
    })
}

/// Income by funding source (fees per member category, each agreement, each grant, other
/// income by its source text or category), and the grants whose income is still pending.
async fn income_sources(
    conn: &mut AsyncPgConnection,
    budget: &BudgetRow,
    lines: &[LineRow],
    figures: &[LineFigures],
    categories: &HashMap<Uuid, CategoryRow>,
) -> Result<(Vec<IncomeSource>, Vec<PendingIncome>), ApiError> {
    let keys: Vec<Uuid> = lines
        .iter()
        .filter(|l| l.kind == LineKind::Income)
        .map(|l| l.line_key)
        .collect();
    let mut linked: HashMap<Uuid, (IncomeSourceKind, Uuid, String)> = HashMap::new();
    for (key, agreement, id, name) in repo::income_sources(conn, budget.fiscal_year, &keys).await? {
        let kind = if agreement {
            IncomeSourceKind::Agreement
        } else {
            IncomeSourceKind::Grant
        };
        // An agreement wins over a grant that names the same line; otherwise the first.
        let e = linked.entry(key).or_insert((kind, id, name.clone()));
        if kind == IncomeSourceKind::Agreement && e.0 != kind {
            *e = (kind, id, name);
        }
    }
    let mut fee_names: HashMap<Uuid, String> = HashMap::new();
    let fee_ids: Vec<Uuid> = lines
        .iter()
        .filter_map(|l| l.source_member_category_id)
        .collect();
    if !fee_ids.is_empty() {
        use crate::schema::member_categories;
        fee_names.extend(
            member_categories::table
                .filter(member_categories::id.eq_any(&fee_ids))
                .select((member_categories::id, member_categories::name))
                .load::<(Uuid, String)>(conn)
                .await?,
        );
    }
    let mut sources: BTreeMap<(IncomeSourceKind, String, Option<Uuid>), Figures> = BTreeMap::new();
    for (l, f) in lines.iter().zip(figures) {
        if l.kind != LineKind::Income {
            continue;
        }
        let key = if let Some(c) = l.source_member_category_id {
            let name = fee_names.get(&c).cloned().unwrap_or_default();
            (IncomeSourceKind::Fees, name, Some(c))
        } else if let Some((kind, id, name)) = linked.get(&l.line_key) {
            (*kind, name.clone(), Some(*id))
        } else {
            let name = l.source_text.clone().unwrap_or_else(|| {
                categories
                    .get(&l.category_id)
                    .map(|c| c.name.clone())
                    .unwrap_or_default()
            });
            (IncomeSourceKind::Other, name, None)
        };
        sources
            .entry(key)
            .or_default()
            .add(f.figures)
            .map_err(overflow)?;
    }
    let mut by_source = Vec::with_capacity(sources.len());
    for ((kind, name, source_id), f) in sources {
        by_source.push(IncomeSource {
            kind,
            source_id,
            name,
            amounts: Amounts::of(f).ok_or_else(|| overflow(model::Overflow))?,
        });
    }
    let planned: HashMap<Uuid, i64> = lines
        .iter()
        .map(|l| (l.line_key, l.planned_cents))
        .collect();
    let pending = repo::pending_grants(conn, budget.fiscal_year)
        .await?
        .into_iter()
        .map(|p| {
            let planned_cents = p.line_key.and_then(|k| planned.get(&k).copied());
            PendingIncome {
                application_id: p.application_id,
                title: p.title,
                amount_cents: p.amount_cents,
                line_key: p.line_key,
                planned_cents,
                variance_cents: p.amount_cents.saturating_sub(planned_cents.unwrap_or(0)),
            }
        })
        .collect();
    Ok((by_source, pending))
}

/// The budget report: per line and per category planned, committed, actual, remaining and
/// execution rate; income and expense totals and the balance; expense per plan action and
/// axis (through the line-to-action shares, to the cent); each line's variance against the
/// fiscal year's approved version. With `Accept: text/csv`, one row per line. Partners
/// see the lines their institution funds only, so they get no whole-budget report.
#[utoipa::path(tag = "budgets", params(("id" = Uuid, Path, description = "Budget id")), responses(
    (status = 200, description = "The report (or CSV).",
        content((Report = "application/json"), (String = "text/csv"))),
    (status = 403, description = "Partners.", body = crate::error::Problem, content_type = "application/problem+json")))]
#[get("/api/v1/budgets/{id}/report")]
pub async fn budget_report(
    req: HttpRequest,
    caller: Caller,
    id: web::Path<Uuid>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Action::read(Resource::Budgets))?;
    if !sees_lines(&caller) {
        return Err(ApiError::forbidden(
            "Partners see the budget lines their institution funds, not the whole report.",
        ));
    }
    let mut conn = state.conn().await?;
    let budget = visible_budget(&mut conn, &caller, id.into_inner()).await?;
    // One snapshot: lines, totals and the approved version read as of one moment.
    let report = conn
        .build_transaction()
        .read_only()
        .repeatable_read()
        .run(async |conn| report_of(conn, budget).await)
        .await?;
    drop(conn);
    if csv::wants_csv(&req) {
        return Ok(csv::attachment("budget-report.csv", &report.lines));
    }
    Ok(HttpResponse::Ok().json(report))
}

/// The comparable content of a line.
fn comparable(l: &LineRow, shares: &[ShareRow]) -> BTreeMap<&'static str, serde_json::Value> {
    use serde_json::json;
    let mut s: Vec<(Uuid, i32)> = shares
        .iter()
        .filter(|s| s.line_id == l.id)
        .map(|s| (s.action_id, s.share_bp))
        .collect();
    s.sort();
    BTreeMap::from([
        ("code", json!(l.code)),
        ("kind", json!(l.kind)),
        ("category_id", json!(l.category_id)),
        ("description", json!(l.description)),
        ("planned_cents", json!(l.planned_cents)),
        (
            "source_member_category_id",
            json!(l.source_member_category_id),
        ),
        ("source_text", json!(l.source_text)),
        (
            "actions",
            json!(
                s.iter()
                    .map(|(a, bp)| json!({"action_id": a, "share_bp": bp}))
                    .collect::<Vec<_>>()
            ),
        ),
    ])
}

/// What this version adds, removes and changes against another, lines matched across
/// versions.
#[utoipa::path(tag = "budgets", params(("id" = Uuid, Path, description = "Budget id"), DiffQuery),
    responses(
    (status = 200, description = "The differences.", body = BudgetDiff),
    (status = 403, description = "Partners.", body = crate::error::Problem, content_type = "application/problem+json")))]
#[get("/api/v1/budgets/{id}/diff")]
pub async fn diff_budgets(
    caller: Caller,
    id: web::Path<Uuid>,
    query: web::Query<DiffQuery>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Action::read(Resource::Budgets))?;
    if !sees_lines(&caller) {
        return Err(ApiError::forbidden(
            "Partners see the budget lines their institution funds only.",
        ));
    }
    let id = id.into_inner();
    let mut conn = state.conn().await?;
    let this = visible_budget(&mut conn, &caller, id).await?;
    let other = visible_budget(&mut conn, &caller, query.against).await?;
    let mine = repo::all_lines(&mut conn, this.id).await?;
    let theirs = repo::all_lines(&mut conn, other.id).await?;
    let ids: Vec<Uuid> = mine.iter().chain(&theirs).map(|l| l.id).collect();
    let shares = repo::shares_of(&mut conn, &ids).await?;
    drop(conn);
    let theirs_by: HashMap<Uuid, &LineRow> = theirs.iter().map(|l| (l.line_key, l)).collect();
    let mine_keys: HashSet<Uuid> = mine.iter().map(|l| l.line_key).collect();
    let planned = |ls: &[LineRow], k: LineKind| -> i64 {
        ls.iter()
            .filter(|l| l.kind == k)
            .map(|l| i128::from(l.planned_cents))
            .sum::<i128>()
            .clamp(i128::from(i64::MIN), i128::from(i64::MAX)) as i64
    };
    let mut diff = BudgetDiff {
        budget_id: id,
        against: query.against,
        added: Vec::new(),
        removed: Vec::new(),
        changed: Vec::new(),
        planned_income_delta_cents: planned(&mine, LineKind::Income)
            .saturating_sub(planned(&theirs, LineKind::Income)),
        planned_expense_delta_cents: planned(&mine, LineKind::Expense)
            .saturating_sub(planned(&theirs, LineKind::Expense)),
    };
    for l in &mine {
        match theirs_by.get(&l.line_key) {
            None => diff.added.push(LineRef {
                line_key: l.line_key,
                code: l.code.clone(),
                description: l.description.clone(),
            }),
            Some(before) => {
                let changes =
                    plans::model::field_diff(&comparable(before, &shares), &comparable(l, &shares));
                if !changes.is_empty() {
                    diff.changed.push(LineChange {
                        line_key: l.line_key,
                        code: l.code.clone(),
                        changes,
                    });
                }
            }
        }
    }
    for l in &theirs {
        if !mine_keys.contains(&l.line_key) {
            diff.removed.push(LineRef {
                line_key: l.line_key,
                code: l.code.clone(),
                description: l.description.clone(),
            });
        }
    }
    Ok(HttpResponse::Ok().json(diff))
}

// ---------------------------------------------------------------------------------------
// Lines

/// The lines of a budget, by position and code, with their execution (or CSV). Partners
/// see only the lines their institution funds.
#[utoipa::path(tag = "budgets", params(("id" = Uuid, Path, description = "Budget id"), PageQuery),
    responses(
    (status = 200, description = "A page of lines (or CSV).",
        content((Page<Line> = "application/json"), (String = "text/csv")))))]
#[get("/api/v1/budgets/{id}/lines")]
pub async fn list_lines(
    req: HttpRequest,
    caller: Caller,
    id: web::Path<Uuid>,
    query: web::Query<PageQuery>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Action::read(Resource::Budgets))?;
    let (budget, only) = {
        let mut conn = state.conn().await?;
        let budget = visible_budget(&mut conn, &caller, id.into_inner()).await?;
        (budget, funded_keys(&mut conn, &caller).await?)
    };
    let (budget_id, year) = (budget.id, budget.fiscal_year);
    let only = std::sync::Arc::new(only);
    let db = state.clone();
    let fetch = move |after, n| {
        let db = db.clone();
        let only = only.clone();
        async move {
            let mut conn = db.conn().await?;
            let rows = repo::lines(&mut conn, budget_id, only.as_deref(), after, n).await?;
            with_details(&mut conn, year, rows).await
        }
    };
    let list = List {
        resource: "budget_lines",
        sort: "position",
        filename: "budget-lines.csv",
    };
    let key_of = |l: &Line| (l.position, l.code.clone());
    listing::respond(
        &req,
        &state,
        list,
        query.limit,
        query.cursor.as_deref(),
        fetch,
        key_of,
        std::convert::identity,
    )
    .await
}

/// Validated line content.
struct LineInput {
    code: Option<String>,
    description: Option<String>,
    source_text: Option<Option<String>>,
}

/// Checks the fields of a line that need no database.
fn check_line_fields(
    errors: &mut FieldErrors,
    code: Option<&str>,
    description: Option<&str>,
    planned: Option<i64>,
    source_text: Option<Option<&str>>,
    shares: Option<&[ActionShare]>,
) -> LineInput {
    let code = code.and_then(|c| errors.check("code", plans::model::check_code(c)));
    let description = description.and_then(|d| errors.check("description", text::name(d, 500)));
    if planned.is_some_and(|p| !(0..=MAX_CENTS).contains(&p)) {
        errors.add(
            "planned_cents",
            "out_of_range",
            format!("must be between 0 and {MAX_CENTS}"),
        );
    }
    let source_text = source_text.map(|s| {
        errors
            .check("source_text", text::optional_line(s, 300))
            .flatten()
    });
    if let Some(s) = shares {
        let pairs: Vec<(Uuid, i32)> = s.iter().map(|a| (a.action_id, a.share_bp)).collect();
        errors.check("actions", model::check_shares(&pairs));
    }
    LineInput {
        code,
        description,
        source_text,
    }
}

/// Checks what a line refers to: its category (of its kind), the income source (income
/// only), and the actions (expense only; actions of the budget's plan).
async fn check_line_refs(
    conn: &mut AsyncPgConnection,
    budget: &BudgetRow,
    kind: LineKind,
    category_id: Option<Uuid>,
    source_category: Option<Uuid>,
    source_text: Option<&str>,
    shares: Option<&[ActionShare]>,
) -> Result<(), ApiError> {
    let mut errors = FieldErrors::default();
    if let Some(c) = category_id {
        match repo::find_category(conn, c, false).await {
            Ok(cat) if cat.kind == kind => {}
            Ok(cat) => errors.add(
                "category_id",
                "wrong_kind",
                format!(
                    "`{}` is an {} category; the line is {kind}",
                    cat.code, cat.kind
                ),
            ),
            Err(_) => errors.add("category_id", "unknown", "no such budget category"),
        }
    }
    if kind == LineKind::Expense && (source_category.is_some() || source_text.is_some()) {
        errors.add(
            "source_text",
            "not_allowed",
            "only income lines have a source",
        );
    }
    if source_category.is_some() && source_text.is_some() {
        errors.add(
            "source_text",
            "not_allowed",
            "one source: a member category or a text",
        );
    }
    if let Some(s) = shares.filter(|s| !s.is_empty()) {
        if kind == LineKind::Income {
            errors.add("actions", "not_allowed", "only expense lines serve actions");
        } else {
            let ids: Vec<Uuid> = s.iter().map(|a| a.action_id).collect();
            let found: Vec<(Uuid, Uuid, NodeKind)> = plan_nodes::table
                .filter(plan_nodes::id.eq_any(&ids))
                .select((plan_nodes::id, plan_nodes::plan_id, plan_nodes::kind))
                .load(conn)
                .await?;
            for (i, a) in s.iter().enumerate() {
                let ok = found.iter().any(|(id, plan, k)| {
                    *id == a.action_id && Some(*plan) == budget.plan_id && *k == NodeKind::Action
                });
                if !ok {
                    errors.add(
                        &format!("actions[{i}].action_id"),
                        "unknown",
                        "not an action of the plan this budget executes",
                    );
                }
            }
        }
    }
    errors.finish()
}

/// 422 when the planned total of a kind would pass what the report can add up: the lines
/// of the budget (but `except`), plus `planned`.
async fn check_total(
    conn: &mut AsyncPgConnection,
    budget_id: Uuid,
    kind: LineKind,
    except: Option<Uuid>,
    planned: i64,
) -> Result<(), ApiError> {
    let total: i128 = repo::all_lines(conn, budget_id)
        .await?
        .iter()
        .filter(|l| l.kind == kind && Some(l.id) != except)
        .map(|l| i128::from(l.planned_cents))
        .sum::<i128>()
        + i128::from(planned);
    if total > i128::from(i64::MAX) {
        return Err(ApiError::unprocessable(
            "value_out_of_range",
            format!("The budget's planned {kind} would pass what can be added up."),
        )
        .with_errors(vec![FieldError::new(
            "planned_cents",
            "out_of_range",
            "the budget's total would overflow",
        )]));
    }
    Ok(())
}

fn share_rows(line_id: Uuid, shares: &[ActionShare]) -> Vec<ShareRow> {
    shares
        .iter()
        .map(|a| ShareRow {
            line_id,
            action_id: a.action_id,
            share_bp: a.share_bp,
        })
        .collect()
}

/// Adds a line to a draft budget (staff, admins). Needs the budget's `If-Match`.
#[utoipa::path(tag = "budgets", params(("id" = Uuid, Path, description = "Budget id"),
    ("If-Match" = String, Header, description = "ETag of the budget")),
    request_body = NewLine, responses(
    (status = 201, description = "Created.", body = Line),
    (status = 409, description = "`budget_frozen`, `code_taken`.", body = crate::error::Problem, content_type = "application/problem+json")))]
#[post("/api/v1/budgets/{id}/lines")]
pub async fn create_line(
    req: HttpRequest,
    caller: Caller,
    id: web::Path<Uuid>,
    body: Json<NewLine>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Action::write(Resource::Budgets))?;
    let precondition = Precondition::from_request(&req);
    let input = body.into_inner();
    let mut errors = FieldErrors::default();
    let checked = check_line_fields(
        &mut errors,
        Some(&input.code),
        Some(&input.description),
        Some(input.planned_cents),
        Some(input.source_text.as_deref()),
        input.actions.as_deref(),
    );
    errors.finish()?;
    let id = id.into_inner();
    let mut conn = state.conn().await?;
    let line = conn
        .transaction::<_, ApiError, _>(async |conn| {
            let budget = repo::find_budget(conn, id, true).await?;
            precondition.check(budget.version, IfMatch::Required)?;
            frozen(&budget)?;
            let source_text = checked.source_text.clone().flatten();
            check_line_refs(
                conn,
                &budget,
                input.kind,
                Some(input.category_id),
                input.source_member_category_id,
                source_text.as_deref(),
                input.actions.as_deref(),
            )
            .await?;
            check_total(conn, id, input.kind, None, input.planned_cents).await?;
            let now = Utc::now();
            let position = match input.position {
                Some(p) => p,
                None => repo::next_position(conn, id).await?,
            };
            let row = LineRow {
                id: Uuid::now_v7(),
                budget_id: id,
                line_key: Uuid::now_v7(),
                code: checked.code.clone().unwrap_or_default(),
                kind: input.kind,
                category_id: input.category_id,
                description: checked.description.clone().unwrap_or_default(),
                planned_cents: input.planned_cents,
                source_member_category_id: input.source_member_category_id,
                source_text,
                position,
                version: 1,
                created_at: now,
                updated_at: now,
            };
            let row = repo::insert_line(conn, &row)
                .await
                .map_err(|e| on_unique(e, "budget_lines_code_key", "code_taken", CODE_TAKEN))?;
            if let Some(s) = input.actions.as_deref().filter(|s| !s.is_empty()) {
                repo::set_shares(conn, row.id, &share_rows(row.id, s)).await?;
            }
            repo::touch_budget(conn, id).await?;
            let line = line_dto(conn, budget.fiscal_year, row).await?;
            audit::created(conn, &caller, "budget_line", line.id, &line).await?;
            Ok(line)
        })
        .await?;
    Ok(etag::created(
        format!("/api/v1/budget-lines/{}", line.id),
        1,
        &line,
    ))
}

/// One line, with its execution.
#[utoipa::path(tag = "budgets", params(("id" = Uuid, Path, description = "Line id")), responses(
    (status = 200, description = "The line.", body = Line),
    (status = 304, description = "Not modified.")))]
#[get("/api/v1/budget-lines/{id}")]
pub async fn get_line(
    caller: Caller,
    id: web::Path<Uuid>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Action::read(Resource::Budgets))?;
    let mut conn = state.conn().await?;
    let (line, budget) = visible_line(&mut conn, &caller, id.into_inner()).await?;
    let version = line.version;
    let dto = line_dto(&mut conn, budget.fiscal_year, line).await?;
    // The tag follows the line's content (for If-Match); its execution totals change without
    // it, so the line is always sent, never a 304.
    Ok(etag::updated(version, &dto))
}

/// Changes a line of a draft budget (staff, admins). Needs `If-Match`: two people editing
/// the same line never lose an update.
#[utoipa::path(tag = "budgets", params(("id" = Uuid, Path, description = "Line id"),
    ("If-Match" = String, Header, description = "ETag from a GET")),
    request_body = LinePatch, responses(
    (status = 200, description = "Changed.", body = Line),
    (status = 409, description = "`budget_frozen`, `code_taken`.", body = crate::error::Problem, content_type = "application/problem+json")))]
#[patch("/api/v1/budget-lines/{id}")]
pub async fn update_line(
    req: HttpRequest,
    caller: Caller,
    id: web::Path<Uuid>,
    body: Json<LinePatch>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Action::write(Resource::Budgets))?;
    let precondition = Precondition::from_request(&req);
    let patch = body.into_inner();
    let mut errors = FieldErrors::default();
    let checked = check_line_fields(
        &mut errors,
        patch.code.as_deref(),
        patch.description.as_deref(),
        patch.planned_cents,
        patch.source_text.as_ref().map(Option::as_deref),
        patch.actions.as_deref(),
    );
    errors.finish()?;
    let id = id.into_inner();
    let mut conn = state.conn().await?;
    let (line, version) = conn
        .transaction::<_, ApiError, _>(async |conn| {
            let found = repo::find_line(conn, id, false).await?;
            let budget = repo::find_budget(conn, found.budget_id, true).await?;
            let current = repo::find_line(conn, id, true).await?;
            precondition.check(current.version, IfMatch::Required)?;
            frozen(&budget)?;
            let source_category = patch
                .source_member_category_id
                .unwrap_or(current.source_member_category_id);
            let source_text = checked
                .source_text
                .clone()
                .unwrap_or(current.source_text.clone());
            let current_shares: Vec<ActionShare> = repo::shares_of(conn, &[id])
                .await?
                .into_iter()
                .map(|s| ActionShare {
                    action_id: s.action_id,
                    share_bp: s.share_bp,
                })
                .collect();
            let shares = patch.actions.clone().unwrap_or(current_shares);
            check_line_refs(
                conn,
                &budget,
                current.kind,
                patch.category_id,
                source_category,
                source_text.as_deref(),
                Some(&shares),
            )
            .await?;
            if let Some(p) = patch.planned_cents {
                check_total(conn, budget.id, current.kind, Some(id), p).await?;
            }
            let before = line_dto(conn, budget.fiscal_year, current).await?;
            let changes = LineChanges {
                code: checked.code.clone(),
                category_id: patch.category_id,
                description: checked.description.clone(),
                planned_cents: patch.planned_cents,
                source_member_category_id: patch.source_member_category_id,
                source_text: checked.source_text.clone(),
                position: patch.position,
            };
            let updated = repo::update_line(conn, id, &changes)
                .await
                .map_err(|e| on_unique(e, "budget_lines_code_key", "code_taken", CODE_TAKEN))?;
            if let Some(s) = &patch.actions {
                repo::set_shares(conn, id, &share_rows(id, s)).await?;
            }
            repo::touch_budget(conn, budget.id).await?;
            let version = updated.version;
            let after = line_dto(conn, budget.fiscal_year, updated).await?;
            audit::updated(conn, &caller, "budget_line", id, &before, &after).await?;
            Ok((after, version))
        })
        .await?;
    Ok(etag::updated(version, &line))
}

/// Deletes a line of a draft budget (staff, admins). Needs `If-Match`.
#[utoipa::path(tag = "budgets", params(("id" = Uuid, Path, description = "Line id"),
    ("If-Match" = String, Header, description = "ETag from a GET")), responses(
    (status = 204, description = "Deleted."),
    (status = 409, description = "`budget_frozen`, `line_in_use` (a subsidy application funds it).", body = crate::error::Problem, content_type = "application/problem+json")))]
#[delete("/api/v1/budget-lines/{id}")]
pub async fn delete_line(
    req: HttpRequest,
    caller: Caller,
    id: web::Path<Uuid>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Action::write(Resource::Budgets))?;
    let precondition = Precondition::from_request(&req);
    let id = id.into_inner();
    let mut conn = state.conn().await?;
    conn.transaction::<_, ApiError, _>(async |conn| {
        let found = repo::find_line(conn, id, false).await?;
        let budget = repo::find_budget(conn, found.budget_id, true).await?;
        let current = repo::find_line(conn, id, true).await?;
        precondition.check(current.version, IfMatch::Required)?;
        frozen(&budget)?;
        let before = line_dto(conn, budget.fiscal_year, current).await?;
        repo::delete_line(conn, id).await.map_err(|e| {
            on_reference(
                e,
                "application_lines_line_id_fkey",
                "line_in_use",
                LINE_IN_USE,
            )
        })?;
        repo::touch_budget(conn, budget.id).await?;
        audit::deleted(conn, &caller, "budget_line", id, &before).await
    })
    .await?;
    Ok(HttpResponse::NoContent().finish())
}

// ---------------------------------------------------------------------------------------
// Entries

/// The execution entries of a line's lineage in its fiscal year, by date (or CSV): the
/// same list from every version of the budget. Staff, admins and auditors.
#[utoipa::path(tag = "budgets", params(("id" = Uuid, Path, description = "Line id"), PageQuery),
    responses(
    (status = 200, description = "A page of entries (or CSV).",
        content((Page<Entry> = "application/json"), (String = "text/csv")))))]
#[get("/api/v1/budget-lines/{id}/entries")]
pub async fn list_entries(
    req: HttpRequest,
    caller: Caller,
    id: web::Path<Uuid>,
    query: web::Query<PageQuery>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Action::read(Resource::Budgets))?;
    if !policy::reads_drafts(caller.role) {
        return Err(not_found());
    }
    let (line, budget) = {
        let mut conn = state.conn().await?;
        visible_line(&mut conn, &caller, id.into_inner()).await?
    };
    let (year, key) = (budget.fiscal_year, line.line_key);
    let db = state.clone();
    let fetch = move |after, n| {
        let db = db.clone();
        async move {
            let mut conn = db.conn().await?;
            Ok(repo::entries(&mut conn, year, key, after, n).await?)
        }
    };
    let list = List {
        resource: "budget_entries",
        sort: "entry_date",
        filename: "budget-entries.csv",
    };
    let key_of = |e: &EntryRow| (e.entry_date, e.id);
    listing::respond(
        &req,
        &state,
        list,
        query.limit,
        query.cursor.as_deref(),
        fetch,
        key_of,
        Entry::from,
    )
    .await
}

/// Records an execution entry (staff, admins) on a line of the fiscal year's approved
/// budget. Entries are never edited or deleted: to correct one, record a reversing entry
/// (`reverses_id`; its amount is the opposite, its kind the same).
#[utoipa::path(tag = "budgets", params(("id" = Uuid, Path, description = "Line id")),
    request_body = NewEntry, responses(
    (status = 201, description = "Recorded.", body = Entry),
    (status = 409, description = "`budget_not_approved`, `already_reversed`, `not_reversible`.", body = crate::error::Problem, content_type = "application/problem+json")))]
#[post("/api/v1/budget-lines/{id}/entries")]
pub async fn create_entry(
    caller: Caller,
    id: web::Path<Uuid>,
    body: Json<NewEntry>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Action::write(Resource::Budgets))?;
    let input = body.into_inner();
    let mut errors = FieldErrors::default();
    let description = errors.check("description", text::name(&input.description, 500));
    let document_ref = errors
        .check(
            "document_ref",
            text::optional_line(input.document_ref.as_deref(), 100),
        )
        .flatten();
    let counterparty = errors
        .check(
            "counterparty",
            text::optional_line(input.counterparty.as_deref(), 300),
        )
        .flatten();
    if let Some(a) = input.amount_cents
        && (a == 0 || !(-MAX_CENTS..=MAX_CENTS).contains(&a))
    {
        errors.add(
            "amount_cents",
            "out_of_range",
            format!("must not be 0, and between -{MAX_CENTS} and {MAX_CENTS}"),
        );
    }
    if input.reverses_id.is_none() {
        if input.amount_cents.is_none() {
            errors.add(
                "amount_cents",
                "required",
                "required (except for a reversal)",
            );
        }
        if input.kind.is_none() {
            errors.add("kind", "required", "required (except for a reversal)");
        }
    }
    let description = errors.finish_with(description)?;
    let id = id.into_inner();
    let mut conn = state.conn().await?;
    let row = conn
        .transaction::<_, ApiError, _>(async |conn| {
            // Writers (staff, admins) see every line; the budget is read once, locked: held
            // until the entry commits, an approval cannot supersede the budget (or drop this
            // line) under an entry being recorded.
            let line = repo::find_line(conn, id, false).await?;
            let budget = repo::share_budget(conn, line.budget_id).await?;
            if budget.status != BudgetStatus::Approved {
                return Err(ApiError::conflict(
                    "budget_not_approved",
                    format!(
                        "Execution is recorded against the approved budget of {}; this \
                         version is {}.",
                        budget.fiscal_year, budget.status
                    ),
                ));
            }
            if input.entry_date.year() != budget.fiscal_year {
                return Err(ApiError::unprocessable(
                    "validation_failed",
                    "The entry's date is outside the fiscal year.",
                )
                .with_errors(vec![FieldError::new(
                    "entry_date",
                    "out_of_range",
                    format!("must fall in {}", budget.fiscal_year),
                )]));
            }
            let (kind, amount) = match input.reverses_id {
                None => (
                    input.kind.unwrap_or(EntryKind::Actual),
                    input.amount_cents.unwrap_or(0),
                ),
                Some(target) => {
                    let original = repo::find_entry(conn, target).await.map_err(|_| {
                        ApiError::unprocessable("validation_failed", "No such entry.").with_errors(
                            vec![FieldError::new("reverses_id", "unknown", "no such entry")],
                        )
                    })?;
                    if original.line_key != line.line_key
                        || original.fiscal_year != budget.fiscal_year
                    {
                        return Err(ApiError::unprocessable(
                            "validation_failed",
                            "The entry reversed belongs to another line.",
                        )
                        .with_errors(vec![FieldError::new(
                            "reverses_id",
                            "other_line",
                            "an entry of this line",
                        )]));
                    }
                    if original.reverses_id.is_some() {
                        return Err(ApiError::conflict(
                            "not_reversible",
                            "This entry is itself a reversal; record a new entry instead.",
                        ));
                    }
                    let opposite = -original.amount_cents;
                    if input.amount_cents.is_some_and(|a| a != opposite)
                        || input.kind.is_some_and(|k| k != original.kind)
                    {
                        return Err(ApiError::unprocessable(
                            "validation_failed",
                            "A reversal has the opposite amount and the same kind.",
                        )
                        .with_errors(vec![FieldError::new(
                            "amount_cents",
                            "inconsistent",
                            format!("a reversal of this entry is {opposite} {}", original.kind),
                        )]));
                    }
                    (original.kind, opposite)
                }
            };
            let row = EntryRow {
                id: Uuid::now_v7(),
                fiscal_year: budget.fiscal_year,
                line_key: line.line_key,
                line_id: line.id,
                entry_date: input.entry_date,
                kind,
                amount_cents: amount,
                description: description.clone(),
                document_ref: document_ref.clone(),
                counterparty: counterparty.clone(),
                reverses_id: input.reverses_id,
                recorded_by: Some(caller.id()),
                request_id: caller.request_id.clone(),
                created_at: Utc::now(),
            };
            let row = repo::insert_entry(conn, &row).await.map_err(|e| {
                on_unique(
                    e,
                    "budget_entries_reverses_id_key",
                    "already_reversed",
                    "This entry has been reversed already.",
                )
            })?;
            let after = Entry::from(row.clone());
            audit::created(conn, &caller, "budget_entry", row.id, &after).await?;
            Ok(row)
        })
        .await?;
    Ok(HttpResponse::Created()
        .insert_header((
            actix_web::http::header::LOCATION,
            format!("/api/v1/budget-lines/{id}/entries"),
        ))
        .json(Entry::from(row)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn category_codes_are_checked() {
        assert!(check_category_code("membership_fees").is_ok());
        assert!(check_category_code("Cuotas").is_err());
        assert!(check_category_code("").is_err());
    }
}
