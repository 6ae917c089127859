//! The shape of a justification account, as the API answers it (JSON, and CSV for the list
//! of expenses) and as the PDF prints it.

use chrono::NaiveDate;
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use super::rules::Ineligible;
use crate::{
    domain::{ApplicationId, BudgetLineId, CallId, Cents, EntryId, FunderId, NodeId, PlanId},
    funding::model::ApplicationStatus,
    http::csv::CsvRow,
    plans::{model::ActionStatus, progress::IndicatorProgress},
};

/// Which account: the simplified one (art. 75) or the ordinary one with proof of each
/// expense (art. 72).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Variant {
    /// Cuenta justificativa simplificada (RLGS art. 75): the list of expenses; the funder
    /// checks a sample of their documents.
    Simplified,
    /// Cuenta justificativa con aportación de justificantes de gasto (RLGS art. 72): the
    /// list, with the invoices and proofs of payment of every expense.
    Ordinary,
}

/// The grant being justified.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct JustifiedGrant {
    /// The application.
    pub application_id: ApplicationId,
    /// Its title.
    pub title: String,
    /// Its status.
    pub status: ApplicationStatus,
    /// The call.
    pub call_id: CallId,
    /// The call's title.
    pub call_title: String,
    /// The call's BDNS code.
    pub bdns_code: Option<String>,
    /// The funder.
    pub funder_id: FunderId,
    /// The funder's name.
    pub funder_name: String,
    /// When the grant was decided.
    pub decided_on: Option<NaiveDate>,
    /// The grant, euro cents.
    pub granted_cents: Cents,
    /// The eligible cost of the application (the activity's budget), euro cents.
    pub eligible_cost_cents: Cents,
    /// The call's co-financing rate, basis points.
    pub cofinancing_rate_bp: i32,
    /// The execution period: expenses dated in it count.
    pub execution_starts_on: Option<NaiveDate>,
    /// End of the execution period.
    pub execution_ends_on: Option<NaiveDate>,
    /// The end of the justification period: expenses paid after it do not count.
    pub justification_due_on: Option<NaiveDate>,
}

/// A plan action the grant served, with its progress.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ActivityAction {
    /// The action.
    pub action_id: NodeId,
    /// Its plan.
    pub plan_id: PlanId,
    /// Code.
    pub code: String,
    /// Title.
    pub title: String,
    /// What the application budgeted for it, euro cents.
    pub budgeted_cents: Cents,
    /// Where it stands.
    pub status: Option<ActionStatus>,
    /// Its progress, 0–100.
    pub progress: Option<f64>,
    /// Planned start.
    pub start_date: Option<NaiveDate>,
    /// Planned end.
    pub end_date: Option<NaiveDate>,
    /// Its indicators, with their targets and measurements per year.
    pub indicators: Vec<IndicatorProgress>,
}

/// An expense line the grant funds, with its execution against the application's budget.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ExpenseLine {
    /// The line (in the budget version the application named).
    pub line_id: BudgetLineId,
    /// The line across versions of its budget.
    pub line_key: Uuid,
    /// Fiscal year.
    pub fiscal_year: i32,
    /// Code.
    pub code: String,
    /// Description.
    pub description: String,
    /// Category code.
    pub category_code: String,
    /// Category name.
    pub category_name: String,
    /// An indirect cost line (category `overheads`).
    pub indirect: bool,
    /// The cost the application budgeted on this line: the part of the request it named for
    /// the line, scaled up to the eligible cost (requested → eligible), euro cents.
    pub budgeted_cents: Cents,
    /// Every listed expense on it, euro cents.
    pub listed_cents: Cents,
    /// The expenses that count, euro cents.
    pub eligible_cents: Cents,
    /// Eligible minus budgeted, euro cents (negative: under-spent).
    pub deviation_cents: Cents,
    /// The deviation in basis points of the budgeted amount (null when nothing was budgeted).
    pub deviation_bp: Option<i64>,
}

/// The expenses of one category.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CategoryTotal {
    /// Category code.
    pub category_code: String,
    /// Category name.
    pub category_name: String,
    /// Budgeted, euro cents.
    pub budgeted_cents: Cents,
    /// Listed, euro cents.
    pub listed_cents: Cents,
    /// Eligible, euro cents.
    pub eligible_cents: Cents,
    /// Eligible minus budgeted, euro cents.
    pub deviation_cents: Cents,
}

/// One expense of the classified list.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Expense {
    /// The execution entry.
    pub entry_id: EntryId,
    /// Its line's code.
    pub line_code: String,
    /// Its category's code.
    pub category_code: String,
    /// The creditor.
    pub creditor: Option<String>,
    /// The creditor's tax id.
    pub creditor_tax_id: Option<String>,
    /// The document (invoice number …).
    pub document_ref: Option<String>,
    /// Description.
    pub description: String,
    /// Amount, euro cents (negative: a refund or a reversal).
    pub amount_cents: Cents,
    /// The document's date.
    pub issued_on: NaiveDate,
    /// When it was paid.
    pub paid_on: Option<NaiveDate>,
    /// The entry this one reverses.
    pub reverses_id: Option<EntryId>,
    /// Whether it counts.
    pub eligible: bool,
    /// Why it does not.
    pub ineligible_reason: Option<Ineligible>,
}

/// How the indirect costs were allocated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum IndirectMethod {
    /// The call's flat rate of the direct costs (RLGS art. 83.3).
    FlatRate,
    /// The eligible entries of the funded `overheads` lines, allocated whole to the activity.
    ActualEntries,
    /// None: the call sets no rate and the grant funds no `overheads` line.
    None,
}

/// The indirect costs.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct IndirectCosts {
    /// How they were allocated.
    pub method: IndirectMethod,
    /// The flat rate, basis points.
    pub rate_bp: Option<i32>,
    /// What the rate applies to: the eligible direct costs, euro cents.
    pub base_cents: Cents,
    /// The indirect costs, euro cents.
    pub amount_cents: Cents,
}

/// Another grant on the same plan actions.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct OtherGrant {
    /// The application.
    pub application_id: ApplicationId,
    /// Its title.
    pub title: String,
    /// Its grant's part on the actions this grant also serves, euro cents (rounded up).
    pub amount_cents: Cents,
}

/// Other income that funded the same activity (LGS art. 30.4 and 19.3).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct OtherIncome {
    /// Other aid declared in the application, euro cents.
    pub declared_other_aid_cents: Cents,
    /// The cluster's other grants on the same actions.
    pub grants: Vec<OtherGrant>,
    /// Both together, euro cents.
    pub total_cents: Cents,
}

/// The account's totals: each one a sum of the listed expenses.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AccountTotals {
    /// Budgeted by the application on the funded expense lines, euro cents.
    pub budgeted_cents: Cents,
    /// Every listed expense, euro cents.
    pub listed_cents: Cents,
    /// The listed expenses that do not count, euro cents.
    pub ineligible_cents: Cents,
    /// Eligible direct costs, euro cents.
    pub direct_cents: Cents,
    /// Indirect costs, euro cents.
    pub indirect_cents: Cents,
    /// Justified cost: direct plus indirect, euro cents.
    pub justified_cents: Cents,
    /// The grant the justified cost supports: the co-financing rate of it, at most the
    /// grant, euro cents.
    pub supported_cents: Cents,
    /// Grant plus other income above the justified cost, euro cents.
    pub excess_funding_cents: Cents,
    /// To return (reintegro): the grant not supported, or the excess, whichever is larger.
    pub to_return_cents: Cents,
}

/// Something the funder will ask about.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AccountWarning {
    /// `missing_document`, `missing_creditor_tax_id`, `three_quotes`, `unpaid`,
    /// `paid_after_deadline`, `outside_period`.
    pub code: String,
    /// The expense.
    pub entry_id: Option<EntryId>,
    /// What to do (in Spanish, as the account is written).
    pub message: String,
}

/// The justification account of a grant.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct JustificationAccount {
    /// The grant.
    pub grant: JustifiedGrant,
    /// Simplified or ordinary.
    pub variant: Variant,
    /// Why this variant.
    pub variant_basis: String,
    /// The activity report: the plan actions served.
    pub activity: Vec<ActivityAction>,
    /// The funded expense lines.
    pub lines: Vec<ExpenseLine>,
    /// The expenses by category.
    pub categories: Vec<CategoryTotal>,
    /// The classified list of expenses, by line and date.
    pub expenses: Vec<Expense>,
    /// The indirect costs.
    pub indirect_costs: IndirectCosts,
    /// Other income for the same activity.
    pub other_income: OtherIncome,
    /// The totals.
    pub totals: AccountTotals,
    /// What the funder will ask about.
    pub warnings: Vec<AccountWarning>,
    /// As of this day (Europe/Madrid).
    pub as_of: NaiveDate,
}

impl CsvRow for Expense {
    fn header() -> &'static [&'static str] {
        &[
            "entry_id",
            "line_code",
            "category_code",
            "creditor",
            "creditor_tax_id",
            "document_ref",
            "description",
            "amount_cents",
            "issued_on",
            "paid_on",
            "reverses_id",
            "eligible",
            "ineligible_reason",
        ]
    }

    fn cells(&self) -> Vec<String> {
        let opt = |v: &Option<String>| v.clone().unwrap_or_default();
        vec![
            self.entry_id.to_string(),
            self.line_code.clone(),
            self.category_code.clone(),
            opt(&self.creditor),
            opt(&self.creditor_tax_id),
            opt(&self.document_ref),
            self.description.clone(),
            self.amount_cents.get().to_string(),
            self.issued_on.to_string(),
            self.paid_on.map(|d| d.to_string()).unwrap_or_default(),
            self.reverses_id.map(|i| i.to_string()).unwrap_or_default(),
            self.eligible.to_string(),
            self.ineligible_reason
                .map(|r| r.as_str().to_owned())
                .unwrap_or_default(),
        ]
    }
}
