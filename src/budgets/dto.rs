//! Request and response bodies of budgets.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::model::{
    BudgetRow, BudgetStatus, CategoryRow, EntryKind, EntryRow, Figures, LineKind, LineRow,
};
use crate::http::{csv::CsvRow, patch::nullable};

/// A budget version: one fiscal year's income and expense lines.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Budget {
    /// Id.
    pub id: Uuid,
    /// Fiscal year.
    #[schema(example = 2025)]
    pub fiscal_year: i32,
    /// The strategic plan it executes.
    pub plan_id: Option<Uuid>,
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
    pub revises_id: Option<Uuid>,
    /// When the assembly approved it.
    pub approved_on: Option<NaiveDate>,
    /// The approval's reference.
    pub approval_reference: Option<String>,
    /// Who recorded the approval.
    pub approved_by: Option<Uuid>,
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
    pub plan_id: Option<Uuid>,
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
    pub plan_id: Option<Option<Uuid>>,
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

/// A budget category.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct BudgetCategory {
    /// Id.
    pub id: Uuid,
    /// Income or expense.
    pub kind: LineKind,
    /// Stable code.
    #[schema(example = "membership_fees")]
    pub code: String,
    /// Name.
    #[schema(example = "Cuotas de socios")]
    pub name: String,
    /// Order.
    pub position: i32,
}

impl From<CategoryRow> for BudgetCategory {
    fn from(r: CategoryRow) -> Self {
        Self {
            id: r.id,
            kind: r.kind,
            code: r.code,
            name: r.name,
            position: r.position,
        }
    }
}

impl CsvRow for CategoryRow {
    fn header() -> &'static [&'static str] {
        &["id", "kind", "code", "name", "position"]
    }

    fn cells(&self) -> Vec<String> {
        vec![
            self.id.to_string(),
            self.kind.to_string(),
            self.code.clone(),
            self.name.clone(),
            self.position.to_string(),
        ]
    }
}

/// A new budget category (admins).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewBudgetCategory {
    /// Income or expense.
    pub kind: LineKind,
    /// Stable code (lowercase letters, digits, `_`, `-`).
    #[schema(
        min_length = 1,
        max_length = 50,
        pattern = "^[a-z0-9][a-z0-9_-]{0,49}$"
    )]
    pub code: String,
    /// Name.
    #[schema(min_length = 1, max_length = 100)]
    pub name: String,
    /// Order.
    pub position: Option<i32>,
}

/// Changes to a budget category (admins).
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BudgetCategoryPatch {
    /// Name.
    #[schema(min_length = 1, max_length = 100)]
    pub name: Option<String>,
    /// Order.
    pub position: Option<i32>,
}

/// The share of an expense line a plan action gets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ActionShare {
    /// The plan action.
    pub action_id: Uuid,
    /// Share in basis points (10000 = 100%); a line's shares add up to 10000.
    #[schema(minimum = 1, maximum = 10000, example = 5000)]
    pub share_bp: i32,
}

/// A budget line with its execution so far (the totals of the fiscal year's entries on this
/// line, whichever version they were recorded against).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Line {
    /// Id.
    pub id: Uuid,
    /// The budget.
    pub budget_id: Uuid,
    /// The line across versions of the budget.
    pub line_key: Uuid,
    /// Code, unique in the budget.
    #[schema(example = "G-02")]
    pub code: String,
    /// Income or expense.
    pub kind: LineKind,
    /// Category.
    pub category_id: Uuid,
    /// Description.
    pub description: String,
    /// Planned amount, euro cents.
    pub planned_cents: i64,
    /// Income from a member category's fees.
    pub source_member_category_id: Option<Uuid>,
    /// Income source in words.
    pub source_text: Option<String>,
    /// Expense lines: the plan actions served, with their shares.
    pub actions: Vec<ActionShare>,
    /// Order.
    pub position: i32,
    /// Sum of commitments, euro cents.
    pub committed_cents: i64,
    /// Sum of actual amounts, euro cents.
    pub actual_cents: i64,
    /// Creation.
    pub created_at: DateTime<Utc>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
}

impl Line {
    /// The line with its shares and totals.
    pub fn new(r: LineRow, actions: Vec<ActionShare>, committed: i64, actual: i64) -> Self {
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
            actions,
            position: r.position,
            committed_cents: committed,
            actual_cents: actual,
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
            self.planned_cents.to_string(),
            self.committed_cents.to_string(),
            self.actual_cents.to_string(),
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
    pub category_id: Uuid,
    /// Description.
    #[schema(min_length = 1, max_length = 500)]
    pub description: String,
    /// Planned amount in euro cents (0 or more).
    #[schema(minimum = 0, maximum = 1_000_000_000_000_000_i64)]
    pub planned_cents: i64,
    /// Income lines: the member category whose fees this is.
    pub source_member_category_id: Option<Uuid>,
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
    pub category_id: Option<Uuid>,
    /// Description.
    #[schema(min_length = 1, max_length = 500)]
    pub description: Option<String>,
    /// Planned amount in euro cents.
    #[schema(minimum = 0, maximum = 1_000_000_000_000_000_i64)]
    pub planned_cents: Option<i64>,
    /// Member category whose fees this is; `null` clears.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<Uuid>, nullable)]
    pub source_member_category_id: Option<Option<Uuid>>,
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

/// An execution entry. Never edited: a correction is a reversing entry.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Entry {
    /// Id.
    pub id: Uuid,
    /// Fiscal year.
    pub fiscal_year: i32,
    /// The line it was recorded against.
    pub line_id: Uuid,
    /// The line across versions.
    pub line_key: Uuid,
    /// Date.
    pub entry_date: NaiveDate,
    /// Commitment or actual.
    pub kind: EntryKind,
    /// Amount, euro cents (negative for refunds and reversals).
    pub amount_cents: i64,
    /// Description.
    pub description: String,
    /// Document reference (invoice number …).
    pub document_ref: Option<String>,
    /// Counterparty.
    pub counterparty: Option<String>,
    /// The entry this one reverses.
    pub reverses_id: Option<Uuid>,
    /// Who recorded it.
    pub recorded_by: Option<Uuid>,
    /// When it was recorded.
    pub created_at: DateTime<Utc>,
}

impl From<EntryRow> for Entry {
    fn from(e: EntryRow) -> Self {
        Self {
            id: e.id,
            fiscal_year: e.fiscal_year,
            line_id: e.line_id,
            line_key: e.line_key,
            entry_date: e.entry_date,
            kind: e.kind,
            amount_cents: e.amount_cents,
            description: e.description,
            document_ref: e.document_ref,
            counterparty: e.counterparty,
            reverses_id: e.reverses_id,
            recorded_by: e.recorded_by,
            created_at: e.created_at,
        }
    }
}

impl CsvRow for EntryRow {
    fn header() -> &'static [&'static str] {
        &[
            "id",
            "entry_date",
            "kind",
            "amount_cents",
            "description",
            "document_ref",
            "counterparty",
            "reverses_id",
        ]
    }

    fn cells(&self) -> Vec<String> {
        vec![
            self.id.to_string(),
            self.entry_date.to_string(),
            self.kind.to_string(),
            self.amount_cents.to_string(),
            self.description.clone(),
            self.document_ref.clone().unwrap_or_default(),
            self.counterparty.clone().unwrap_or_default(),
            self.reverses_id.map(|i| i.to_string()).unwrap_or_default(),
        ]
    }
}

/// A new execution entry (staff, admins), on a line of the fiscal year's approved budget.
/// To correct an entry, send `reverses_id` (the amount defaults to its opposite).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewEntry {
    /// Date, within the fiscal year.
    pub entry_date: NaiveDate,
    /// Commitment or actual (a reversal takes the kind of the entry it reverses).
    pub kind: Option<EntryKind>,
    /// Amount in euro cents, not 0 (negative for refunds).
    #[schema(minimum = -1_000_000_000_000_000_i64, maximum = 1_000_000_000_000_000_i64)]
    pub amount_cents: Option<i64>,
    /// Description.
    #[schema(min_length = 1, max_length = 500)]
    pub description: String,
    /// Document reference (invoice number …).
    #[schema(max_length = 100)]
    pub document_ref: Option<String>,
    /// Counterparty.
    #[schema(max_length = 300)]
    pub counterparty: Option<String>,
    /// The entry this one reverses.
    pub reverses_id: Option<Uuid>,
}

/// Planned, committed and actual amounts, what remains, and the execution rate.
#[derive(Debug, Clone, Copy, Serialize, ToSchema, PartialEq)]
pub struct Amounts {
    /// Planned, euro cents.
    pub planned_cents: i64,
    /// Committed, euro cents.
    pub committed_cents: i64,
    /// Actually spent or received, euro cents.
    pub actual_cents: i64,
    /// Planned minus actual, euro cents.
    pub remaining_cents: i64,
    /// Actual as a percentage of planned (two decimals); null when nothing is planned.
    pub execution_pct: Option<f64>,
}

impl Amounts {
    /// From figures (remaining checked by the caller's sums).
    pub fn of(f: Figures) -> Option<Self> {
        Some(Self {
            planned_cents: f.planned,
            committed_cents: f.committed,
            actual_cents: f.actual,
            remaining_cents: f.remaining().ok()?,
            execution_pct: f.execution_pct(),
        })
    }
}

/// One line of the report.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct LineReport {
    /// Line id.
    pub id: Uuid,
    /// Code.
    pub code: String,
    /// Income or expense.
    pub kind: LineKind,
    /// Category id.
    pub category_id: Uuid,
    /// Category code.
    pub category_code: String,
    /// Description.
    pub description: String,
    /// Amounts.
    #[serde(flatten)]
    pub amounts: Amounts,
    /// Planned in the fiscal year's approved version (null: the line is not there).
    pub approved_planned_cents: Option<i64>,
    /// Planned minus the approved version's planned (null: the line is new).
    pub variance_cents: Option<i64>,
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
        let opt = |v: Option<i64>| v.map(|v| v.to_string()).unwrap_or_default();
        vec![
            self.code.clone(),
            self.kind.to_string(),
            self.category_code.clone(),
            self.description.clone(),
            self.amounts.planned_cents.to_string(),
            self.amounts.committed_cents.to_string(),
            self.amounts.actual_cents.to_string(),
            self.amounts.remaining_cents.to_string(),
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
    pub category_id: Uuid,
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
    pub action_id: Uuid,
    /// Its code.
    pub code: String,
    /// Its title.
    pub title: String,
    /// Its axis.
    pub axis_id: Uuid,
    /// Amounts.
    #[serde(flatten)]
    pub amounts: Amounts,
}

/// Expense rolled up to one plan axis.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AxisReport {
    /// The axis.
    pub axis_id: Uuid,
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
    pub planned_balance_cents: i64,
    /// Actual income minus actual expense, euro cents.
    pub actual_balance_cents: i64,
}

/// The budget report: every figure is a sum of entries in cents, and every total equals
/// the sum of its rows to the cent (lines → categories → income/expense; expense →
/// actions + unallocated → axes + unallocated).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Report {
    /// The budget.
    pub budget: Budget,
    /// The approved version of the fiscal year the variance is measured against.
    pub approved_budget_id: Option<Uuid>,
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

/// An accepted grant whose income is not in the budget yet.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PendingIncome {
    /// The application.
    pub application_id: Uuid,
    /// Its title.
    pub title: String,
    /// The grant's income for this fiscal year, euro cents.
    pub amount_cents: i64,
    /// The income line it was expected on (its lineage), if it named one.
    pub line_key: Option<Uuid>,
    /// What this version plans on that line, euro cents.
    pub planned_cents: Option<i64>,
    /// Grant minus what is planned on that line (the whole grant without a line), euro cents.
    pub variance_cents: i64,
}

/// A line added or removed between two versions.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct LineRef {
    /// The line across versions.
    pub line_key: Uuid,
    /// Code.
    pub code: String,
    /// Description.
    pub description: String,
}

/// A line present in both versions with different content.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct LineChange {
    /// The line across versions.
    pub line_key: Uuid,
    /// Code (in this version).
    pub code: String,
    /// What differs.
    pub changes: Vec<crate::plans::model::FieldChange>,
}

/// What this version adds, removes and changes against another, lines matched across
/// versions.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct BudgetDiff {
    /// This version.
    pub budget_id: Uuid,
    /// The other.
    pub against: Uuid,
    /// Lines only in this version.
    pub added: Vec<LineRef>,
    /// Lines only in the other.
    pub removed: Vec<LineRef>,
    /// Lines in both, changed.
    pub changed: Vec<LineChange>,
    /// Planned total of this version minus the other's, by kind.
    pub planned_income_delta_cents: i64,
    /// Same for expense.
    pub planned_expense_delta_cents: i64,
}

/// `against` of the diff.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct DiffQuery {
    /// The other version.
    pub against: Uuid,
}
