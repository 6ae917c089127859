//! Budget lines: the income and expense lines of a draft budget, each with its category,
//! its income source (income lines) and the plan actions it serves by shares (expense
//! lines), and its execution so far. A change of a line locks its budget first, checks that
//! it is a draft, and bumps the budget's version, so the budget's ETag follows its content.

use std::collections::HashMap;

use actix_web::{HttpRequest, HttpResponse, delete, get, patch, post, web};
use chrono::{DateTime, Utc};
use diesel_async::AsyncPgConnection;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use super::{
    model::{ActionShare, BudgetRow, LineKind, LineRow, TotalsRow},
    repo,
    versions::{lock_visible, visible_budget},
};
use crate::{
    AppState,
    auth::{Action, Caller, Resource, Role, policy},
    domain::{BudgetCategoryId, BudgetId, BudgetLineId, Cents, FunderId, MemberCategoryId},
    error::{ApiError, not_found},
    http::{
        csv::CsvRow,
        etag::{self, Precondition},
        json::Json,
        listing::{self, List},
        pagination::{Page, PageQuery},
        patch::nullable,
    },
};

// ---------------------------------------------------------------------------------------
// Types

/// A budget line with its execution so far (the totals of the fiscal year's entries on this
/// line, whichever version they were recorded against).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Line {
    /// Id.
    pub id: BudgetLineId,
    /// The budget.
    pub budget_id: BudgetId,
    /// The line across versions of the budget.
    pub line_key: Uuid,
    /// Code, unique in the budget.
    #[schema(example = "G-02")]
    pub code: String,
    /// Income or expense.
    pub kind: LineKind,
    /// Category.
    pub category_id: BudgetCategoryId,
    /// Description.
    pub description: String,
    /// Planned amount, euro cents.
    pub planned_cents: Cents,
    /// Income from a member category's fees.
    pub source_member_category_id: Option<MemberCategoryId>,
    /// Income source in words.
    pub source_text: Option<String>,
    /// Expense lines: the plan actions served, with their shares.
    pub actions: Vec<ActionShare>,
    /// Order.
    pub position: i32,
    /// Sum of commitments, euro cents.
    pub committed_cents: Cents,
    /// Sum of actual amounts, euro cents.
    pub actual_cents: Cents,
    /// Creation.
    pub created_at: DateTime<Utc>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
}

/// A line with its shares and its lineage's execution totals in the fiscal year.
#[derive(Debug, Clone)]
pub struct LineView {
    /// The line.
    pub row: LineRow,
    /// The plan actions it serves.
    pub actions: Vec<ActionShare>,
    /// The execution totals of its lineage.
    pub totals: TotalsRow,
}

impl From<LineView> for Line {
    fn from(v: LineView) -> Self {
        let r = v.row;
        Self {
            id: r.id,
            budget_id: r.budget_id,
            line_key: r.line_key,
            code: r.code,
            kind: r.kind,
            category_id: r.category_id,
            description: r.description,
            planned_cents: r.planned_cents,
            source_member_category_id: r.source_member_category_id,
            source_text: r.source_text,
            actions: v.actions,
            position: r.position,
            committed_cents: v.totals.committed_cents,
            actual_cents: v.totals.actual_cents,
            created_at: r.created_at,
            updated_at: r.updated_at,
        }
    }
}

impl CsvRow for Line {
    fn header() -> &'static [&'static str] {
        &[
            "id",
            "code",
            "kind",
            "category_id",
            "description",
            "planned_cents",
            "committed_cents",
            "actual_cents",
            "source",
            "actions",
        ]
    }

    fn cells(&self) -> Vec<String> {
        vec![
            self.id.to_string(),
            self.code.clone(),
            self.kind.to_string(),
            self.category_id.to_string(),
            self.description.clone(),
            self.planned_cents.get().to_string(),
            self.committed_cents.get().to_string(),
            self.actual_cents.get().to_string(),
            self.source_text.clone().unwrap_or_else(|| {
                self.source_member_category_id
                    .map(|c| format!("member_category:{c}"))
                    .unwrap_or_default()
            }),
            self.actions
                .iter()
                .map(|a| format!("{}:{}", a.action_id, a.share_bp))
                .collect::<Vec<_>>()
                .join(" "),
        ]
    }
}

/// A new line (draft budgets). Needs the budget's `If-Match`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewLine {
    /// Code, unique in the budget (`I-01`, `G-07`).
    #[schema(min_length = 1, max_length = 30, example = "G-07")]
    pub code: String,
    /// Income or expense.
    pub kind: LineKind,
    /// Category (of the same kind).
    pub category_id: BudgetCategoryId,
    /// Description.
    #[schema(min_length = 1, max_length = 500)]
    pub description: String,
    /// Planned amount in euro cents (0 or more).
    #[schema(minimum = 0, maximum = 1_000_000_000_000_000_i64)]
    pub planned_cents: Cents,
    /// Income lines: the member category whose fees this is.
    pub source_member_category_id: Option<MemberCategoryId>,
    /// Income lines: the source in words (until agreements and grants exist).
    #[schema(max_length = 300)]
    pub source_text: Option<String>,
    /// Expense lines: the plan actions served (shares add up to 10000).
    #[schema(max_items = 200)]
    pub actions: Option<Vec<ActionShare>>,
    /// Order.
    pub position: Option<i32>,
}

/// Changes to a line (draft budgets). Needs `If-Match`.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LinePatch {
    /// Code.
    #[schema(min_length = 1, max_length = 30)]
    pub code: Option<String>,
    /// Category (of the line's kind).
    pub category_id: Option<BudgetCategoryId>,
    /// Description.
    #[schema(min_length = 1, max_length = 500)]
    pub description: Option<String>,
    /// Planned amount in euro cents.
    #[schema(minimum = 0, maximum = 1_000_000_000_000_000_i64)]
    pub planned_cents: Option<Cents>,
    /// Member category whose fees this is; `null` clears.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<Uuid>, nullable)]
    pub source_member_category_id: Option<Option<MemberCategoryId>>,
    /// Source in words; `null` clears.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>, nullable, max_length = 300)]
    pub source_text: Option<Option<String>>,
    /// Plan actions served (replaces the list; `[]` clears).
    #[schema(max_items = 200)]
    pub actions: Option<Vec<ActionShare>>,
    /// Order.
    pub position: Option<i32>,
}

mod changes;

pub(in crate::budgets) use changes::line_in_use;
pub use changes::{create, delete, update};

// ---------------------------------------------------------------------------------------
// Handlers

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
    id: web::Path<BudgetId>,
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
    let list = List {
        resource: "budget_lines",
        sort: "position",
        filename: "budget-lines.csv",
    };
    listing::from_db(
        &req,
        &state,
        list,
        query.limit,
        query.cursor.as_deref(),
        async move |conn, after, n| {
            let rows = repo::lines(conn, budget_id, only.as_deref(), after, n).await?;
            Ok(with_details(conn, year, rows)
                .await?
                .into_iter()
                .map(Line::from)
                .collect())
        },
        |l: &Line| (l.position, l.code.clone()),
        std::convert::identity,
    )
    .await
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
    id: web::Path<BudgetId>,
    body: Json<NewLine>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Action::write(Resource::Budgets))?;
    let precondition = Precondition::from_request(&req);
    let mut conn = state.conn().await?;
    let view = create(
        &mut conn,
        &caller,
        id.into_inner(),
        precondition,
        body.into_inner(),
    )
    .await?;
    Ok(etag::created(
        format!("/api/v1/budget-lines/{}", view.row.id),
        view.row.version,
        &Line::from(view),
    ))
}

/// One line, with its execution.
#[utoipa::path(tag = "budgets", params(("id" = Uuid, Path, description = "Line id")), responses(
    (status = 200, description = "The line.", body = Line),
    (status = 304, description = "Not modified.")))]
#[get("/api/v1/budget-lines/{id}")]
pub async fn get_line(
    caller: Caller,
    id: web::Path<BudgetLineId>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Action::read(Resource::Budgets))?;
    let mut conn = state.conn().await?;
    let view = find(&mut conn, &caller, id.into_inner()).await?;
    // The tag follows the line's content (for If-Match); its execution totals change without
    // it, so the line is always sent, never a 304.
    Ok(etag::updated(view.row.version, &Line::from(view)))
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
    id: web::Path<BudgetLineId>,
    body: Json<LinePatch>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Action::write(Resource::Budgets))?;
    let precondition = Precondition::from_request(&req);
    let mut conn = state.conn().await?;
    let view = update(
        &mut conn,
        &caller,
        id.into_inner(),
        precondition,
        body.into_inner(),
    )
    .await?;
    Ok(etag::updated(view.row.version, &Line::from(view)))
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
    id: web::Path<BudgetLineId>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Action::write(Resource::Budgets))?;
    let precondition = Precondition::from_request(&req);
    let mut conn = state.conn().await?;
    delete(&mut conn, &caller, id.into_inner(), precondition).await?;
    Ok(HttpResponse::NoContent().finish())
}

// ---------------------------------------------------------------------------------------
// Visibility

/// Whether the caller sees every line of a budget: partners only see the lines their
/// institution funds (see [`funded_keys`]), and no whole-budget report.
pub(super) fn sees_lines(caller: &Caller) -> bool {
    caller.role != Role::Partner
}

/// For partners, the line lineages their funder funds (agreement instalments, applications
/// to its calls); `None` for callers who see every line.
pub(super) async fn funded_keys(
    conn: &mut AsyncPgConnection,
    caller: &Caller,
) -> Result<Option<Vec<Uuid>>, ApiError> {
    if sees_lines(caller) {
        return Ok(None);
    }
    let Some(funder) = caller.funder_id.map(FunderId) else {
        return Ok(Some(Vec::new()));
    };
    let funded = crate::funding::repo::funded_lines(conn, funder).await?;
    let mut keys: Vec<Uuid> = repo::line_lineages(conn, &funded.line_ids)
        .await?
        .into_iter()
        .map(|l| l.line_key)
        .chain(funded.line_keys)
        .collect();
    keys.sort();
    keys.dedup();
    Ok(Some(keys))
}

/// A line and its budget, if the caller may see them.
pub(super) async fn visible_line(
    conn: &mut AsyncPgConnection,
    caller: &Caller,
    id: BudgetLineId,
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

/// A line and its budget, both locked `FOR UPDATE` (the budget first), once the caller may
/// see them: writers see every line; anyone else is checked on unlocked reads first.
async fn lock_visible_line(
    conn: &mut AsyncPgConnection,
    caller: &Caller,
    id: BudgetLineId,
) -> Result<(LineRow, BudgetRow), ApiError> {
    let found = if sees_lines(caller) && policy::reads_drafts(caller.role) {
        repo::find_line(conn, id, false).await?
    } else {
        visible_line(conn, caller, id).await?.0
    };
    let budget = lock_visible(conn, caller, found.budget_id).await?;
    let line = repo::find_line(conn, id, true).await?;
    Ok((line, budget))
}

// ---------------------------------------------------------------------------------------
// Services

/// Lines with their shares and the fiscal year's totals.
pub(super) async fn with_details(
    conn: &mut AsyncPgConnection,
    year: i32,
    rows: Vec<LineRow>,
) -> Result<Vec<LineView>, ApiError> {
    let ids: Vec<BudgetLineId> = rows.iter().map(|l| l.id).collect();
    let keys: Vec<Uuid> = rows.iter().map(|l| l.line_key).collect();
    let mut shares: HashMap<BudgetLineId, Vec<ActionShare>> = HashMap::new();
    for s in repo::shares_of(conn, &ids).await? {
        shares.entry(s.line_id).or_default().push(s.share());
    }
    let totals: HashMap<Uuid, TotalsRow> = repo::totals(conn, year, &keys)
        .await?
        .into_iter()
        .map(|t| (t.line_key, t))
        .collect();
    Ok(rows
        .into_iter()
        .map(|row| LineView {
            totals: totals.get(&row.line_key).copied().unwrap_or_default(),
            actions: shares.remove(&row.id).unwrap_or_default(),
            row,
        })
        .collect())
}

async fn view_of(
    conn: &mut AsyncPgConnection,
    year: i32,
    row: LineRow,
) -> Result<LineView, ApiError> {
    with_details(conn, year, vec![row])
        .await?
        .pop()
        .ok_or_else(not_found)
}

/// One line with its execution, if the caller may see it.
pub async fn find(
    conn: &mut AsyncPgConnection,
    caller: &Caller,
    id: BudgetLineId,
) -> Result<LineView, ApiError> {
    let (line, budget) = visible_line(conn, caller, id).await?;
    view_of(conn, budget.fiscal_year, line).await
}
