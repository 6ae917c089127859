//! The budget report: per line and per category planned, committed, actual, remaining and
//! execution rate; totals and balance; expense per plan action and axis; income by funding
//! source; the grant income still pending. Every total is the sum of its rows to the cent.

use std::collections::{BTreeMap, HashMap};

use actix_web::{HttpRequest, HttpResponse, get, web};
use diesel_async::AsyncPgConnection;
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use super::{
    grants::{self, PendingIncome},
    lines::sees_lines,
    model::{self, ActionShare, BudgetRow, CategoryRow, Figures, LineFigures, LineKind, LineRow},
    repo,
    versions::{Budget, visible_budget},
};
use crate::{
    AppState,
    auth::{Action, Caller, Resource},
    domain::{BudgetCategoryId, BudgetId, BudgetLineId, Cents, MemberCategoryId, NodeId, Overflow},
    error::ApiError,
    funding::repo::FundingSource,
    http::csv::{self, CsvRow},
};

// ---------------------------------------------------------------------------------------
// Types

/// Planned, committed and actual amounts, what remains, and the execution rate.
#[derive(Debug, Clone, Copy, Serialize, ToSchema, PartialEq)]
pub struct Amounts {
    /// Planned, euro cents.
    pub planned_cents: Cents,
    /// Committed, euro cents.
    pub committed_cents: Cents,
    /// Actually spent or received, euro cents.
    pub actual_cents: Cents,
    /// Planned minus actual, euro cents.
    pub remaining_cents: Cents,
    /// Actual as a percentage of planned (two decimals); null when nothing is planned.
    pub execution_pct: Option<f64>,
}

impl Amounts {
    /// From figures; 422 when what remains does not fit.
    pub fn of(f: Figures) -> Result<Self, ApiError> {
        Ok(Self {
            planned_cents: f.planned,
            committed_cents: f.committed,
            actual_cents: f.actual,
            remaining_cents: f.remaining().map_err(overflow)?,
            execution_pct: f.execution_pct(),
        })
    }
}

/// One line of the report.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct LineReport {
    /// Line id.
    pub id: BudgetLineId,
    /// Code.
    pub code: String,
    /// Income or expense.
    pub kind: LineKind,
    /// Category id.
    pub category_id: BudgetCategoryId,
    /// Category code.
    pub category_code: String,
    /// Description.
    pub description: String,
    /// Amounts.
    #[serde(flatten)]
    pub amounts: Amounts,
    /// Planned in the fiscal year's approved version (null: the line is not there).
    pub approved_planned_cents: Option<Cents>,
    /// Planned minus the approved version's planned (null: the line is new).
    pub variance_cents: Option<Cents>,
}

impl CsvRow for LineReport {
    fn header() -> &'static [&'static str] {
        &[
            "code",
            "kind",
            "category",
            "description",
            "planned_cents",
            "committed_cents",
            "actual_cents",
            "remaining_cents",
            "execution_pct",
            "approved_planned_cents",
            "variance_cents",
        ]
    }

    fn cells(&self) -> Vec<String> {
        let opt = |v: Option<Cents>| v.map(|v| v.get().to_string()).unwrap_or_default();
        vec![
            self.code.clone(),
            self.kind.to_string(),
            self.category_code.clone(),
            self.description.clone(),
            self.amounts.planned_cents.get().to_string(),
            self.amounts.committed_cents.get().to_string(),
            self.amounts.actual_cents.get().to_string(),
            self.amounts.remaining_cents.get().to_string(),
            self.amounts
                .execution_pct
                .map(|p| p.to_string())
                .unwrap_or_default(),
            opt(self.approved_planned_cents),
            opt(self.variance_cents),
        ]
    }
}

/// One category of the report.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CategoryReport {
    /// Category id.
    pub category_id: BudgetCategoryId,
    /// Income or expense.
    pub kind: LineKind,
    /// Code.
    pub code: String,
    /// Name.
    pub name: String,
    /// Amounts.
    #[serde(flatten)]
    pub amounts: Amounts,
}

/// Expense shared out to one plan action (through the line-to-action shares).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ActionReport {
    /// The action.
    pub action_id: NodeId,
    /// Its code.
    pub code: String,
    /// Its title.
    pub title: String,
    /// Its axis.
    pub axis_id: NodeId,
    /// Amounts.
    #[serde(flatten)]
    pub amounts: Amounts,
}

/// Expense rolled up to one plan axis.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AxisReport {
    /// The axis.
    pub axis_id: NodeId,
    /// Its code.
    pub code: String,
    /// Its title.
    pub title: String,
    /// Amounts.
    #[serde(flatten)]
    pub amounts: Amounts,
}

/// Income and expense totals and the balance.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Totals {
    /// All income lines.
    pub income: Amounts,
    /// All expense lines.
    pub expense: Amounts,
    /// Planned income minus planned expense, euro cents.
    pub planned_balance_cents: Cents,
    /// Actual income minus actual expense, euro cents.
    pub actual_balance_cents: Cents,
}

/// The budget report: every figure is a sum of entries in cents, and every total equals
/// the sum of its rows to the cent (lines → categories → income/expense; expense →
/// actions + unallocated → axes + unallocated).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Report {
    /// The budget.
    pub budget: Budget,
    /// The approved version of the fiscal year the variance is measured against.
    pub approved_budget_id: Option<BudgetId>,
    /// Per line.
    pub lines: Vec<LineReport>,
    /// Per category.
    pub categories: Vec<CategoryReport>,
    /// Totals and balance.
    pub totals: Totals,
    /// Expense per plan action.
    pub actions: Vec<ActionReport>,
    /// Expense per plan axis.
    pub axes: Vec<AxisReport>,
    /// Expense of lines tied to no action.
    pub unallocated: Amounts,
    /// Income by funding source: member fees (per category), each agreement, each grant,
    /// and other income; adds up to the income total.
    pub income_by_source: Vec<IncomeSource>,
    /// Accepted grants of this fiscal year not yet in any version of the budget (no draft
    /// existed when they were accepted): the variance a revision has to take in.
    pub pending_income: Vec<PendingIncome>,
}

/// Where income comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum IncomeSourceKind {
    /// Member fees (of one member category).
    Fees,
    /// An agreement (convenio).
    Agreement,
    /// A subsidy (an application's grant).
    Grant,
    /// Anything else (by the line's source text, or its category).
    Other,
}

/// The income of one funding source.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct IncomeSource {
    /// Fees, agreement, grant or other.
    pub kind: IncomeSourceKind,
    /// The member category, agreement or application.
    pub source_id: Option<Uuid>,
    /// Its name.
    pub name: String,
    /// Amounts of its lines.
    #[serde(flatten)]
    pub amounts: Amounts,
}

// ---------------------------------------------------------------------------------------
// Handler

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
    id: web::Path<BudgetId>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Action::read(Resource::Budgets))?;
    let mut conn = state.conn().await?;
    let report = report(&mut conn, &caller, id.into_inner()).await?;
    drop(conn);
    if csv::wants_csv(&req) {
        return Ok(csv::attachment("budget-report.csv", &report.lines));
    }
    Ok(HttpResponse::Ok().json(report))
}

// ---------------------------------------------------------------------------------------
// Service

fn overflow(_: Overflow) -> ApiError {
    ApiError::unprocessable(
        "value_out_of_range",
        "A total of this budget would go past what can be stored.",
    )
}

/// The report of a budget the caller may see (partners: 403), read in one REPEATABLE READ,
/// READ ONLY snapshot: lines, totals and the approved version as of one moment.
pub async fn report(
    conn: &mut AsyncPgConnection,
    caller: &Caller,
    id: BudgetId,
) -> Result<Report, ApiError> {
    if !sees_lines(caller) {
        return Err(ApiError::forbidden(
            "Partners see the budget lines their institution funds, not the whole report.",
        ));
    }
    let budget = visible_budget(conn, caller, id).await?;
    conn.build_transaction()
        .read_only()
        .repeatable_read()
        .run(async |conn| build(conn, budget).await)
        .await
}

/// The shares of a budget's expense lines, by line.
async fn shares_by_line(
    conn: &mut AsyncPgConnection,
    budget_id: BudgetId,
) -> Result<HashMap<BudgetLineId, Vec<ActionShare>>, ApiError> {
    let mut shares: HashMap<BudgetLineId, Vec<ActionShare>> = HashMap::new();
    for s in repo::budget_shares(conn, budget_id).await? {
        shares.entry(s.line_id).or_default().push(s.share());
    }
    Ok(shares)
}

/// Builds the report of a budget, in a fixed number of statements whatever the number of
/// entries (per-line totals are kept as entries are recorded).
async fn build(conn: &mut AsyncPgConnection, budget: BudgetRow) -> Result<Report, ApiError> {
    let lines = repo::all_lines(conn, budget.id).await?;
    let totals: HashMap<Uuid, model::TotalsRow> =
        repo::budget_totals(conn, budget.id, budget.fiscal_year)
            .await?
            .into_iter()
            .map(|t| (t.line_key, t))
            .collect();
    let shares = shares_by_line(conn, budget.id).await?;
    let categories: HashMap<BudgetCategoryId, CategoryRow> = repo::categories(conn, None, i64::MAX)
        .await?
        .into_iter()
        .map(|c| (c.id, c))
        .collect();
    let approved = repo::approved_of_year(conn, budget.fiscal_year).await?;
    let approved_planned: HashMap<Uuid, Cents> = match &approved {
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
            amounts: Amounts::of(f.figures)?,
            approved_planned_cents,
            variance_cents: approved_planned_cents
                .map(|a| l.planned_cents.checked_sub(a).map_err(overflow))
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
            amounts: Amounts::of(*f)?,
        });
    }
    category_reports.sort_by_key(|c| {
        categories
            .get(&c.category_id)
            .map(|k| (k.position, k.code.clone()))
    });
    let (action_reports, axis_reports) = by_action_and_axis(conn, &sums.by_action).await?;
    let income_by_source = income_sources(conn, &budget, &lines, &figures, &categories).await?;
    let pending_income = grants::pending_income(conn, &budget, &lines).await?;
    Ok(Report {
        approved_budget_id: approved.map(|a| a.id),
        budget: Budget::from(budget),
        lines: line_reports,
        categories: category_reports,
        totals: Totals {
            income: Amounts::of(sums.income)?,
            expense: Amounts::of(sums.expense)?,
            planned_balance_cents: sums
                .income
                .planned
                .checked_sub(sums.expense.planned)
                .map_err(overflow)?,
            actual_balance_cents: sums
                .income
                .actual
                .checked_sub(sums.expense.actual)
                .map_err(overflow)?,
        },
        actions: action_reports,
        axes: axis_reports,
        unallocated: Amounts::of(sums.unallocated)?,
        income_by_source,
        pending_income,
    })
}

/// A plan node's code, title and axis, as the report names it.
#[derive(Debug, Clone, Default)]
struct NodeName {
    code: String,
    title: String,
    axis_id: NodeId,
}

/// The plan nodes named by ids.
async fn node_names(
    conn: &mut AsyncPgConnection,
    ids: &[NodeId],
) -> Result<HashMap<NodeId, NodeName>, ApiError> {
    Ok(crate::plans::repo::nodes_by_ids(conn, ids)
        .await?
        .into_iter()
        .map(|n| {
            let name = NodeName {
                code: n.code,
                title: n.title,
                axis_id: n.axis_id,
            };
            (n.id, name)
        })
        .collect())
}

/// The expense per plan action, and rolled up to their axes, by code.
async fn by_action_and_axis(
    conn: &mut AsyncPgConnection,
    by_action: &BTreeMap<NodeId, Figures>,
) -> Result<(Vec<ActionReport>, Vec<AxisReport>), ApiError> {
    let ids: Vec<NodeId> = by_action.keys().copied().collect();
    let mut names = node_names(conn, &ids).await?;
    let axis_ids: Vec<NodeId> = names.values().map(|n| n.axis_id).collect();
    names.extend(node_names(conn, &axis_ids).await?);
    let mut by_axis: BTreeMap<NodeId, Figures> = BTreeMap::new();
    let mut actions = Vec::new();
    for (id, f) in by_action {
        let name = names.get(id).cloned().unwrap_or_default();
        by_axis
            .entry(name.axis_id)
            .or_default()
            .add(*f)
            .map_err(overflow)?;
        actions.push(ActionReport {
            action_id: *id,
            code: name.code,
            title: name.title,
            axis_id: name.axis_id,
            amounts: Amounts::of(*f)?,
        });
    }
    actions.sort_by(|a, b| a.code.cmp(&b.code));
    let mut axes = Vec::new();
    for (id, f) in by_axis {
        let name = names.get(&id).cloned().unwrap_or_default();
        axes.push(AxisReport {
            axis_id: id,
            code: name.code,
            title: name.title,
            amounts: Amounts::of(f)?,
        });
    }
    axes.sort_by(|a, b| a.code.cmp(&b.code));
    Ok((actions, axes))
}

/// Income by funding source: fees per member category, each agreement, each grant, other
/// income by its source text or category.
async fn income_sources(
    conn: &mut AsyncPgConnection,
    budget: &BudgetRow,
    lines: &[LineRow],
    figures: &[LineFigures],
    categories: &HashMap<BudgetCategoryId, CategoryRow>,
) -> Result<Vec<IncomeSource>, ApiError> {
    let keys: Vec<Uuid> = lines
        .iter()
        .filter(|l| l.kind == LineKind::Income)
        .map(|l| l.line_key)
        .collect();
    let lineages = repo::lines_of_lineages(conn, &keys).await?;
    let mut linked: HashMap<Uuid, (IncomeSourceKind, Uuid, String)> = HashMap::new();
    for link in crate::funding::repo::income_sources(conn, budget.fiscal_year, &lineages).await? {
        let (kind, id) = match link.source {
            FundingSource::Agreement(a) => (IncomeSourceKind::Agreement, a.uuid()),
            FundingSource::Grant(a) => (IncomeSourceKind::Grant, a.uuid()),
        };
        // An agreement wins over a grant that names the same line; otherwise the first.
        let e = linked
            .entry(link.line_key)
            .or_insert((kind, id, link.name.clone()));
        if kind == IncomeSourceKind::Agreement && e.0 != kind {
            *e = (kind, id, link.name);
        }
    }
    let fee_ids: Vec<MemberCategoryId> = lines
        .iter()
        .filter_map(|l| l.source_member_category_id)
        .collect();
    let fee_names: HashMap<MemberCategoryId, String> = if fee_ids.is_empty() {
        HashMap::new()
    } else {
        crate::reference::repo::category_names(conn, &fee_ids)
            .await?
            .into_iter()
            .collect()
    };
    let mut sources: BTreeMap<(IncomeSourceKind, String, Option<Uuid>), Figures> = BTreeMap::new();
    for (l, f) in lines.iter().zip(figures) {
        if l.kind != LineKind::Income {
            continue;
        }
        let key = if let Some(c) = l.source_member_category_id {
            let name = fee_names.get(&c).cloned().unwrap_or_default();
            (IncomeSourceKind::Fees, name, Some(c.uuid()))
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
            amounts: Amounts::of(f)?,
        });
    }
    Ok(by_source)
}
