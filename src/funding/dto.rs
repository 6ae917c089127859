//! Request and response bodies of funding.

use chrono::{DateTime, FixedOffset, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::model::{
    AgreementRow, ApplicationRow, ApplicationStatus, CallRow, CallStatus, DocumentRow, FunderKind,
    FunderRow, IncomeRow, InstalmentRow, TransitionRow,
};
use crate::{
    domain::calendar,
    http::{csv::CsvRow, patch::nullable},
};

fn opt<T: ToString>(v: Option<T>) -> String {
    v.map(|v| v.to_string()).unwrap_or_default()
}

// ---------------------------------------------------------------------------------------
// Funders

/// A funder: a ministry, a regional government, a city council, the EU, a private funder.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Funder {
    /// Id.
    pub id: Uuid,
    /// Name.
    #[schema(example = "Ministerio de Industria y Turismo")]
    pub name: String,
    /// Kind.
    pub kind: FunderKind,
    /// Tax id (NIF).
    pub tax_id: Option<String>,
    /// Website.
    pub website: Option<String>,
    /// Creation.
    pub created_at: DateTime<Utc>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
}

impl From<FunderRow> for Funder {
    fn from(r: FunderRow) -> Self {
        Self {
            id: r.id,
            name: r.name,
            kind: r.kind,
            tax_id: r.tax_id,
            website: r.website,
            created_at: r.created_at,
            updated_at: r.updated_at,
        }
    }
}

impl CsvRow for FunderRow {
    fn header() -> &'static [&'static str] {
        &["id", "name", "kind", "tax_id", "website"]
    }

    fn cells(&self) -> Vec<String> {
        vec![
            self.id.to_string(),
            self.name.clone(),
            self.kind.to_string(),
            opt(self.tax_id.as_deref()),
            opt(self.website.as_deref()),
        ]
    }
}

/// A new funder (staff, admins).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewFunder {
    /// Name (unique).
    #[schema(min_length = 1, max_length = 300, example = "Ayuntamiento de Madrid")]
    pub name: String,
    /// Kind.
    pub kind: FunderKind,
    /// Tax id (NIF), unique when present.
    #[schema(min_length = 1, max_length = 30, example = "P2807900B")]
    pub tax_id: Option<String>,
    /// Website (`https://…`).
    #[schema(max_length = 500, example = "https://www.madrid.es")]
    pub website: Option<String>,
}

/// Changes to a funder. Needs `If-Match`.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FunderPatch {
    /// Name.
    #[schema(min_length = 1, max_length = 300)]
    pub name: Option<String>,
    /// Kind.
    pub kind: Option<FunderKind>,
    /// Tax id; `null` clears.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>, nullable, min_length = 1, max_length = 30)]
    pub tax_id: Option<Option<String>>,
    /// Website; `null` clears.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>, nullable, max_length = 500)]
    pub website: Option<Option<String>>,
}

// ---------------------------------------------------------------------------------------
// Calls

/// A call for subsidies (convocatoria). Instants are shown in Europe/Madrid time.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Call {
    /// Id.
    pub id: Uuid,
    /// The funder that publishes it.
    pub funder_id: Uuid,
    /// Title.
    #[schema(example = "Ayudas de apoyo a Agrupaciones Empresariales Innovadoras 2025")]
    pub title: String,
    /// Programme.
    pub programme: Option<String>,
    /// Code in the national subsidy database (BDNS), unique.
    #[schema(example = "812345")]
    pub bdns_code: Option<String>,
    /// Official journal reference (e.g. `BOE-B-2025-12345`).
    pub journal_reference: Option<String>,
    /// Official journal URL.
    pub journal_url: Option<String>,
    /// When submissions open.
    pub opens_at: DateTime<FixedOffset>,
    /// When submissions close.
    pub closes_at: DateTime<FixedOffset>,
    /// `forecast`, `open` or `closed`, from the dates at the time of the request.
    pub status: CallStatus,
    /// Largest grant per application, euro cents.
    pub max_grant_cents: Option<i64>,
    /// Largest share of the eligible cost the grant may cover, basis points (8000 = 80%).
    #[schema(example = 8000)]
    pub cofinancing_rate_bp: i32,
    /// Expense categories accepted as eligible costs.
    pub eligible_cost_category_ids: Vec<Uuid>,
    /// Execution period start.
    pub execution_starts_on: Option<NaiveDate>,
    /// Execution period end.
    pub execution_ends_on: Option<NaiveDate>,
    /// When the spending must be justified.
    pub justification_due_on: Option<NaiveDate>,
    /// Creation.
    pub created_at: DateTime<Utc>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
}

/// A call with its eligible cost categories.
#[derive(Debug, Clone)]
pub struct CallView {
    /// The call.
    pub row: CallRow,
    /// Its eligible cost categories.
    pub categories: Vec<Uuid>,
}

impl From<CallView> for Call {
    fn from(v: CallView) -> Self {
        let r = v.row;
        Self {
            status: r.status_at(Utc::now()),
            id: r.id,
            funder_id: r.funder_id,
            title: r.title,
            programme: r.programme,
            bdns_code: r.bdns_code,
            journal_reference: r.journal_reference,
            journal_url: r.journal_url,
            opens_at: calendar::local(r.opens_at),
            closes_at: calendar::local(r.closes_at),
            max_grant_cents: r.max_grant_cents,
            cofinancing_rate_bp: r.cofinancing_rate_bp,
            eligible_cost_category_ids: v.categories,
            execution_starts_on: r.execution_starts_on,
            execution_ends_on: r.execution_ends_on,
            justification_due_on: r.justification_due_on,
            created_at: r.created_at,
            updated_at: r.updated_at,
        }
    }
}

impl CsvRow for CallView {
    fn header() -> &'static [&'static str] {
        &[
            "id",
            "funder_id",
            "title",
            "programme",
            "bdns_code",
            "opens_at",
            "closes_at",
            "status",
            "max_grant_cents",
            "cofinancing_rate_bp",
            "justification_due_on",
        ]
    }

    fn cells(&self) -> Vec<String> {
        let r = &self.row;
        vec![
            r.id.to_string(),
            r.funder_id.to_string(),
            r.title.clone(),
            opt(r.programme.as_deref()),
            opt(r.bdns_code.as_deref()),
            calendar::local(r.opens_at).to_rfc3339(),
            calendar::local(r.closes_at).to_rfc3339(),
            r.status_at(Utc::now()).to_string(),
            opt(r.max_grant_cents),
            r.cofinancing_rate_bp.to_string(),
            opt(r.justification_due_on),
        ]
    }
}

/// A new call (staff, admins). Instants need an offset (`2025-03-01T09:00:00+01:00`).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewCall {
    /// The funder.
    pub funder_id: Uuid,
    /// Title.
    #[schema(min_length = 1, max_length = 500)]
    pub title: String,
    /// Programme.
    #[schema(min_length = 1, max_length = 300)]
    pub programme: Option<String>,
    /// BDNS code (digits), unique.
    #[schema(pattern = "^[0-9]{1,10}$", example = "812345")]
    pub bdns_code: Option<String>,
    /// Official journal reference.
    #[schema(min_length = 1, max_length = 300)]
    pub journal_reference: Option<String>,
    /// Official journal URL.
    #[schema(max_length = 500)]
    pub journal_url: Option<String>,
    /// When submissions open.
    pub opens_at: DateTime<FixedOffset>,
    /// When submissions close (after opening).
    pub closes_at: DateTime<FixedOffset>,
    /// Largest grant per application, euro cents.
    #[schema(minimum = 1, maximum = 1_000_000_000_000_000_i64)]
    pub max_grant_cents: Option<i64>,
    /// Co-financing rate, basis points (1–10000).
    #[schema(minimum = 1, maximum = 10000)]
    pub cofinancing_rate_bp: i32,
    /// Eligible expense categories.
    #[schema(max_items = 50)]
    pub eligible_cost_category_ids: Option<Vec<Uuid>>,
    /// Execution period start.
    pub execution_starts_on: Option<NaiveDate>,
    /// Execution period end.
    pub execution_ends_on: Option<NaiveDate>,
    /// Justification deadline.
    pub justification_due_on: Option<NaiveDate>,
}

/// Changes to a call. Needs `If-Match`.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CallPatch {
    /// Title.
    #[schema(min_length = 1, max_length = 500)]
    pub title: Option<String>,
    /// Programme; `null` clears.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>, nullable, min_length = 1, max_length = 300)]
    pub programme: Option<Option<String>>,
    /// BDNS code; `null` clears.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>, nullable, pattern = "^[0-9]{1,10}$")]
    pub bdns_code: Option<Option<String>>,
    /// Journal reference; `null` clears.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>, nullable, min_length = 1, max_length = 300)]
    pub journal_reference: Option<Option<String>>,
    /// Journal URL; `null` clears.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>, nullable, max_length = 500)]
    pub journal_url: Option<Option<String>>,
    /// Opening.
    pub opens_at: Option<DateTime<FixedOffset>>,
    /// Closing.
    pub closes_at: Option<DateTime<FixedOffset>>,
    /// Largest grant; `null` clears.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<i64>, nullable, minimum = 1, maximum = 1_000_000_000_000_000_i64)]
    pub max_grant_cents: Option<Option<i64>>,
    /// Co-financing rate, basis points.
    #[schema(minimum = 1, maximum = 10000)]
    pub cofinancing_rate_bp: Option<i32>,
    /// Eligible expense categories (replaces the list).
    #[schema(max_items = 50)]
    pub eligible_cost_category_ids: Option<Vec<Uuid>>,
    /// Execution start; `null` clears.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<NaiveDate>, nullable)]
    pub execution_starts_on: Option<Option<NaiveDate>>,
    /// Execution end; `null` clears.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<NaiveDate>, nullable)]
    pub execution_ends_on: Option<Option<NaiveDate>>,
    /// Justification deadline; `null` clears.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<NaiveDate>, nullable)]
    pub justification_due_on: Option<Option<NaiveDate>>,
}

/// Filters of the call list.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct CallQuery {
    /// Only this funder's calls.
    pub funder_id: Option<Uuid>,
    /// Only calls in this status now.
    pub status: Option<CallStatus>,
    /// Page size (1–100, default 25).
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<i64>,
    /// Cursor from the previous page.
    #[param(max_length = 1000)]
    pub cursor: Option<String>,
}

// ---------------------------------------------------------------------------------------
// Agreements

/// A yearly instalment of an agreement.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Instalment {
    /// Fiscal year (within the agreement's dates).
    #[schema(minimum = 1900, maximum = 2200, example = 2025)]
    pub fiscal_year: i32,
    /// Amount, euro cents.
    #[schema(minimum = 0, maximum = 1_000_000_000_000_000_i64)]
    pub amount_cents: i64,
    /// When this instalment must be justified.
    pub justification_due_on: Option<NaiveDate>,
    /// The income line of that year's budget that receives it.
    pub budget_line_id: Option<Uuid>,
}

impl From<InstalmentRow> for Instalment {
    fn from(r: InstalmentRow) -> Self {
        Self {
            fiscal_year: r.fiscal_year,
            amount_cents: r.amount_cents,
            justification_due_on: r.justification_due_on,
            budget_line_id: r.budget_line_id,
        }
    }
}

/// An agreement (convenio): multi-year funding from an institution.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Agreement {
    /// Id.
    pub id: Uuid,
    /// The funder.
    pub funder_id: Uuid,
    /// Title.
    #[schema(example = "Convenio de colaboración 2023/2024")]
    pub title: String,
    /// Reference (unique per funder).
    pub reference: Option<String>,
    /// Start.
    pub starts_on: NaiveDate,
    /// End.
    pub ends_on: NaiveDate,
    /// Total, euro cents (at least the sum of the instalments).
    pub total_cents: i64,
    /// Obligations the cluster takes on.
    pub obligations: Option<String>,
    /// Final justification deadline.
    pub justification_due_on: Option<NaiveDate>,
    /// Yearly instalments.
    pub instalments: Vec<Instalment>,
    /// Creation.
    pub created_at: DateTime<Utc>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
}

/// An agreement with its instalments.
#[derive(Debug, Clone)]
pub struct AgreementView {
    /// The agreement.
    pub row: AgreementRow,
    /// Its instalments.
    pub instalments: Vec<InstalmentRow>,
}

impl From<AgreementView> for Agreement {
    fn from(v: AgreementView) -> Self {
        let r = v.row;
        Self {
            id: r.id,
            funder_id: r.funder_id,
            title: r.title,
            reference: r.reference,
            starts_on: r.starts_on,
            ends_on: r.ends_on,
            total_cents: r.total_cents,
            obligations: r.obligations,
            justification_due_on: r.justification_due_on,
            instalments: v.instalments.into_iter().map(Instalment::from).collect(),
            created_at: r.created_at,
            updated_at: r.updated_at,
        }
    }
}

impl CsvRow for AgreementView {
    fn header() -> &'static [&'static str] {
        &[
            "id",
            "funder_id",
            "title",
            "reference",
            "starts_on",
            "ends_on",
            "total_cents",
            "justification_due_on",
        ]
    }

    fn cells(&self) -> Vec<String> {
        let r = &self.row;
        vec![
            r.id.to_string(),
            r.funder_id.to_string(),
            r.title.clone(),
            opt(r.reference.as_deref()),
            r.starts_on.to_string(),
            r.ends_on.to_string(),
            r.total_cents.to_string(),
            opt(r.justification_due_on),
        ]
    }
}

/// A new agreement (staff, admins).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewAgreement {
    /// The funder.
    pub funder_id: Uuid,
    /// Title.
    #[schema(min_length = 1, max_length = 500)]
    pub title: String,
    /// Reference (unique per funder).
    #[schema(min_length = 1, max_length = 100)]
    pub reference: Option<String>,
    /// Start.
    pub starts_on: NaiveDate,
    /// End (not before the start).
    pub ends_on: NaiveDate,
    /// Total, euro cents.
    #[schema(minimum = 0, maximum = 1_000_000_000_000_000_i64)]
    pub total_cents: i64,
    /// Obligations.
    #[schema(max_length = 10000)]
    pub obligations: Option<String>,
    /// Final justification deadline.
    pub justification_due_on: Option<NaiveDate>,
    /// Yearly instalments (one per year).
    #[schema(max_items = 50)]
    pub instalments: Option<Vec<Instalment>>,
}

/// Changes to an agreement. Needs `If-Match`.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AgreementPatch {
    /// Title.
    #[schema(min_length = 1, max_length = 500)]
    pub title: Option<String>,
    /// Reference; `null` clears.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>, nullable, min_length = 1, max_length = 100)]
    pub reference: Option<Option<String>>,
    /// Start.
    pub starts_on: Option<NaiveDate>,
    /// End.
    pub ends_on: Option<NaiveDate>,
    /// Total, euro cents.
    #[schema(minimum = 0, maximum = 1_000_000_000_000_000_i64)]
    pub total_cents: Option<i64>,
    /// Obligations; `null` clears.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>, nullable, max_length = 10000)]
    pub obligations: Option<Option<String>>,
    /// Final justification deadline; `null` clears.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<NaiveDate>, nullable)]
    pub justification_due_on: Option<Option<NaiveDate>>,
    /// Yearly instalments (replaces the list).
    #[schema(max_items = 50)]
    pub instalments: Option<Vec<Instalment>>,
}

/// Filters of the agreement list.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct AgreementQuery {
    /// Only this funder's agreements.
    pub funder_id: Option<Uuid>,
    /// Page size (1–100, default 25).
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<i64>,
    /// Cursor from the previous page.
    #[param(max_length = 1000)]
    pub cursor: Option<String>,
}

// ---------------------------------------------------------------------------------------
// Applications

/// The part of the requested amount for one plan action.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct ActionAmount {
    /// A plan action (with a planned budget).
    pub action_id: Uuid,
    /// Euro cents.
    #[schema(minimum = 1, maximum = 1_000_000_000_000_000_i64)]
    pub amount_cents: i64,
}

/// The part of the requested amount for one budget line: an expense line it pays for (its
/// fiscal year is a year the grant funds) or the income line expecting it.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct LineAmount {
    /// A budget line.
    pub line_id: Uuid,
    /// Euro cents.
    #[schema(minimum = 1, maximum = 1_000_000_000_000_000_i64)]
    pub amount_cents: i64,
}

/// The income an accepted grant brings to one fiscal year.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct GrantIncome {
    /// Fiscal year.
    pub fiscal_year: i32,
    /// Euro cents.
    pub amount_cents: i64,
    /// The budget that received it (a draft), or the approved one it is pending against.
    pub budget_id: Option<Uuid>,
    /// The income line across versions.
    pub line_key: Option<Uuid>,
    /// `true`: no draft budget of that year existed; the amount is a variance against the
    /// approved budget, to carry into its next revision.
    pub pending: bool,
}

impl From<IncomeRow> for GrantIncome {
    fn from(r: IncomeRow) -> Self {
        Self {
            fiscal_year: r.fiscal_year,
            amount_cents: r.amount_cents,
            budget_id: r.budget_id,
            line_key: r.line_key,
            pending: r.pending,
        }
    }
}

/// A subsidy application (solicitud de ayuda).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Application {
    /// Id.
    pub id: Uuid,
    /// The call.
    pub call_id: Uuid,
    /// Title.
    pub title: String,
    /// Summary.
    pub summary: Option<String>,
    /// The member organisation that leads it; `null`: the cluster itself.
    pub lead_member_id: Option<Uuid>,
    /// Participating member organisations.
    pub participant_ids: Vec<Uuid>,
    /// Where it stands.
    pub status: ApplicationStatus,
    /// The moves possible from here.
    pub next_statuses: Vec<ApplicationStatus>,
    /// Eligible cost, euro cents (= requested + own funding + other aid).
    pub eligible_cost_cents: i64,
    /// Requested, euro cents.
    pub requested_cents: i64,
    /// Own funding, euro cents.
    pub own_funding_cents: i64,
    /// Other aid for the same costs, euro cents.
    pub other_aid_cents: i64,
    /// Granted, euro cents.
    pub granted_cents: Option<i64>,
    /// The plan actions it serves.
    pub actions: Vec<ActionAmount>,
    /// The budget lines it funds.
    pub budget_lines: Vec<LineAmount>,
    /// The income of the accepted grant, per fiscal year.
    pub income: Vec<GrantIncome>,
    /// First submission.
    pub submitted_at: Option<DateTime<Utc>>,
    /// Decision date.
    pub decided_on: Option<NaiveDate>,
    /// When the spending must be justified.
    pub justification_due_on: Option<NaiveDate>,
    /// Creation.
    pub created_at: DateTime<Utc>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
}

/// An application in a list (without its links).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ApplicationSummary {
    /// Id.
    pub id: Uuid,
    /// The call.
    pub call_id: Uuid,
    /// Title.
    pub title: String,
    /// The leading member organisation; `null`: the cluster.
    pub lead_member_id: Option<Uuid>,
    /// Where it stands.
    pub status: ApplicationStatus,
    /// Eligible cost, euro cents.
    pub eligible_cost_cents: i64,
    /// Requested, euro cents.
    pub requested_cents: i64,
    /// Granted, euro cents.
    pub granted_cents: Option<i64>,
    /// Decision date.
    pub decided_on: Option<NaiveDate>,
    /// Justification deadline.
    pub justification_due_on: Option<NaiveDate>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
}

impl From<ApplicationRow> for ApplicationSummary {
    fn from(r: ApplicationRow) -> Self {
        Self {
            id: r.id,
            call_id: r.call_id,
            title: r.title,
            lead_member_id: r.lead_member_id,
            status: r.status,
            eligible_cost_cents: r.eligible_cost_cents,
            requested_cents: r.requested_cents,
            granted_cents: r.granted_cents,
            decided_on: r.decided_on,
            justification_due_on: r.justification_due_on,
            updated_at: r.updated_at,
        }
    }
}

impl CsvRow for ApplicationRow {
    fn header() -> &'static [&'static str] {
        &[
            "id",
            "call_id",
            "title",
            "lead_member_id",
            "status",
            "eligible_cost_cents",
            "requested_cents",
            "own_funding_cents",
            "other_aid_cents",
            "granted_cents",
            "decided_on",
            "justification_due_on",
        ]
    }

    fn cells(&self) -> Vec<String> {
        vec![
            self.id.to_string(),
            self.call_id.to_string(),
            self.title.clone(),
            opt(self.lead_member_id),
            self.status.to_string(),
            self.eligible_cost_cents.to_string(),
            self.requested_cents.to_string(),
            self.own_funding_cents.to_string(),
            self.other_aid_cents.to_string(),
            opt(self.granted_cents),
            opt(self.decided_on),
            opt(self.justification_due_on),
        ]
    }
}

/// A new application (a draft; staff, admins).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewApplication {
    /// The call.
    pub call_id: Uuid,
    /// Title.
    #[schema(min_length = 1, max_length = 500)]
    pub title: String,
    /// Summary.
    #[schema(max_length = 10000)]
    pub summary: Option<String>,
    /// The leading member organisation; absent: the cluster itself.
    pub lead_member_id: Option<Uuid>,
    /// Participating member organisations.
    #[schema(max_items = 200)]
    pub participant_ids: Option<Vec<Uuid>>,
    /// Eligible cost, euro cents.
    #[schema(minimum = 0, maximum = 1_000_000_000_000_000_i64)]
    pub eligible_cost_cents: i64,
    /// Requested, euro cents (≤ the call's maximum and its rate of the eligible cost).
    #[schema(minimum = 0, maximum = 1_000_000_000_000_000_i64)]
    pub requested_cents: i64,
    /// Own funding, euro cents.
    #[schema(minimum = 0, maximum = 1_000_000_000_000_000_i64)]
    pub own_funding_cents: i64,
    /// Other aid, euro cents.
    #[schema(minimum = 0, maximum = 1_000_000_000_000_000_i64)]
    pub other_aid_cents: i64,
    /// The plan actions it serves (parts of the requested amount).
    #[schema(max_items = 200)]
    pub actions: Option<Vec<ActionAmount>>,
    /// The budget lines it funds (parts of the requested amount).
    #[schema(max_items = 200)]
    pub budget_lines: Option<Vec<LineAmount>>,
}

/// Changes to an application while the cluster prepares it (`draft`, `changes_requested`).
/// Needs `If-Match`. Lists replace the current ones.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ApplicationPatch {
    /// Title.
    #[schema(min_length = 1, max_length = 500)]
    pub title: Option<String>,
    /// Summary; `null` clears.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>, nullable, max_length = 10000)]
    pub summary: Option<Option<String>>,
    /// Leading member; `null`: the cluster.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<Uuid>, nullable)]
    pub lead_member_id: Option<Option<Uuid>>,
    /// Participating members.
    #[schema(max_items = 200)]
    pub participant_ids: Option<Vec<Uuid>>,
    /// Eligible cost.
    #[schema(minimum = 0, maximum = 1_000_000_000_000_000_i64)]
    pub eligible_cost_cents: Option<i64>,
    /// Requested.
    #[schema(minimum = 0, maximum = 1_000_000_000_000_000_i64)]
    pub requested_cents: Option<i64>,
    /// Own funding.
    #[schema(minimum = 0, maximum = 1_000_000_000_000_000_i64)]
    pub own_funding_cents: Option<i64>,
    /// Other aid.
    #[schema(minimum = 0, maximum = 1_000_000_000_000_000_i64)]
    pub other_aid_cents: Option<i64>,
    /// Plan actions.
    #[schema(max_items = 200)]
    pub actions: Option<Vec<ActionAmount>>,
    /// Budget lines.
    #[schema(max_items = 200)]
    pub budget_lines: Option<Vec<LineAmount>>,
}

/// Filters of the application list.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ApplicationQuery {
    /// Only applications to this call.
    pub call_id: Option<Uuid>,
    /// Only in this status.
    pub status: Option<ApplicationStatus>,
    /// Page size (1–100, default 25).
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<i64>,
    /// Cursor from the previous page.
    #[param(max_length = 1000)]
    pub cursor: Option<String>,
}

/// A move of the state machine.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TransitionRequest {
    /// The new status.
    pub to: ApplicationStatus,
    /// Why (required for `changes_requested`, `rejected`, `renounced` and `withdrawn`).
    #[schema(max_length = 5000)]
    pub comment: Option<String>,
    /// For `granted` (defaults to the requested amount, and must equal it) and
    /// `partially_granted` (required, less than requested).
    #[schema(minimum = 1, maximum = 1_000_000_000_000_000_i64)]
    pub granted_cents: Option<i64>,
    /// Decisions: the resolution's date (default: today, Europe/Madrid).
    pub decided_on: Option<NaiveDate>,
    /// Grants: the justification deadline (default: the call's).
    pub justification_due_on: Option<NaiveDate>,
}

/// One move of an application, as kept in its history.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Transition {
    /// Id.
    pub id: Uuid,
    /// From.
    pub from_status: ApplicationStatus,
    /// To.
    pub to_status: ApplicationStatus,
    /// Comment.
    pub comment: Option<String>,
    /// Amount granted by this move.
    pub granted_cents: Option<i64>,
    /// Who: a user or an API client.
    pub actor_id: Uuid,
    /// `user` or `api_client`.
    pub actor_kind: String,
    /// The actor's role at the time.
    pub actor_role: String,
    /// The request that made it.
    pub request_id: Option<String>,
    /// When.
    pub created_at: DateTime<Utc>,
}

impl From<TransitionRow> for Transition {
    fn from(r: TransitionRow) -> Self {
        Self {
            id: r.id,
            from_status: r.from_status,
            to_status: r.to_status,
            comment: r.comment,
            granted_cents: r.granted_cents,
            actor_id: r.actor_id,
            actor_kind: r.actor_kind,
            actor_role: r.actor_role,
            request_id: r.request_id,
            created_at: r.created_at,
        }
    }
}

impl CsvRow for TransitionRow {
    fn header() -> &'static [&'static str] {
        &[
            "id",
            "from_status",
            "to_status",
            "comment",
            "granted_cents",
            "actor_id",
            "actor_kind",
            "actor_role",
            "created_at",
        ]
    }

    fn cells(&self) -> Vec<String> {
        vec![
            self.id.to_string(),
            self.from_status.to_string(),
            self.to_status.to_string(),
            opt(self.comment.as_deref()),
            opt(self.granted_cents),
            self.actor_id.to_string(),
            self.actor_kind.clone(),
            self.actor_role.clone(),
            self.created_at.to_rfc3339(),
        ]
    }
}

// ---------------------------------------------------------------------------------------
// Documents

/// A document of an application (its bytes at `content_url`).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Document {
    /// Id.
    pub id: Uuid,
    /// The application.
    pub application_id: Uuid,
    /// File name as uploaded.
    pub filename: String,
    /// Content type (checked against the content).
    pub content_type: String,
    /// Size in bytes.
    pub size_bytes: i64,
    /// SHA-256 of the content, hex.
    pub sha256: String,
    /// Description.
    pub description: Option<String>,
    /// Who uploaded it.
    pub uploaded_by: Uuid,
    /// When.
    pub created_at: DateTime<Utc>,
    /// Where to download it.
    pub content_url: String,
}

impl From<DocumentRow> for Document {
    fn from(r: DocumentRow) -> Self {
        Self {
            content_url: format!(
                "/api/v1/applications/{}/documents/{}/content",
                r.application_id, r.id
            ),
            id: r.id,
            application_id: r.application_id,
            filename: r.filename,
            content_type: r.content_type,
            size_bytes: r.size_bytes,
            sha256: r.sha256,
            description: r.description,
            uploaded_by: r.uploaded_by,
            created_at: r.created_at,
        }
    }
}

impl CsvRow for DocumentRow {
    fn header() -> &'static [&'static str] {
        &[
            "id",
            "filename",
            "content_type",
            "size_bytes",
            "sha256",
            "description",
            "uploaded_by",
            "created_at",
        ]
    }

    fn cells(&self) -> Vec<String> {
        vec![
            self.id.to_string(),
            self.filename.clone(),
            self.content_type.clone(),
            self.size_bytes.to_string(),
            self.sha256.clone(),
            opt(self.description.as_deref()),
            self.uploaded_by.to_string(),
            self.created_at.to_rfc3339(),
        ]
    }
}

/// The multipart form of a document upload.
#[derive(Debug, ToSchema)]
#[expect(
    dead_code,
    reason = "describes the multipart form for the OpenAPI document"
)]
pub struct DocumentUpload {
    /// The file (PDF, PNG, JPEG, OOXML or OpenDocument, plain text or CSV), with its
    /// content type and file name.
    #[schema(value_type = String, format = Binary)]
    file: Vec<u8>,
    /// A description.
    #[schema(max_length = 500)]
    description: Option<String>,
}

// ---------------------------------------------------------------------------------------
// Deadlines

/// Filters of the deadline list.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct DeadlineQuery {
    /// How many days ahead, from today (Europe/Madrid); default 30.
    #[param(minimum = 0, maximum = 3660)]
    pub within_days: Option<i64>,
}

/// What a deadline is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DeadlineKind {
    /// A call stops accepting applications.
    CallCloses,
    /// An accepted grant must be justified.
    ApplicationJustification,
    /// An agreement's instalment must be justified.
    InstalmentJustification,
    /// An agreement must be justified.
    AgreementJustification,
    /// An agreement ends.
    AgreementEnds,
}

/// A date something is due.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Deadline {
    /// The day (Europe/Madrid).
    pub date: NaiveDate,
    /// The exact instant, for calls.
    pub at: Option<DateTime<FixedOffset>>,
    /// What is due.
    pub kind: DeadlineKind,
    /// What it concerns: `call`, `application` or `agreement`.
    pub resource_type: String,
    /// Its id.
    pub resource_id: Uuid,
    /// Its title.
    pub title: String,
    /// Where to read it.
    pub url: String,
}

impl DeadlineKind {
    /// The serialised name.
    pub fn as_str(self) -> &'static str {
        match self {
            DeadlineKind::CallCloses => "call_closes",
            DeadlineKind::ApplicationJustification => "application_justification",
            DeadlineKind::InstalmentJustification => "instalment_justification",
            DeadlineKind::AgreementJustification => "agreement_justification",
            DeadlineKind::AgreementEnds => "agreement_ends",
        }
    }
}

impl CsvRow for Deadline {
    fn header() -> &'static [&'static str] {
        &[
            "date",
            "at",
            "kind",
            "resource_type",
            "resource_id",
            "title",
            "url",
        ]
    }

    fn cells(&self) -> Vec<String> {
        vec![
            self.date.to_string(),
            self.at.map(|a| a.to_rfc3339()).unwrap_or_default(),
            self.kind.as_str().to_owned(),
            self.resource_type.clone(),
            self.resource_id.to_string(),
            self.title.clone(),
            self.url.clone(),
        ]
    }
}

/// Deadlines in the window, by date.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Deadlines {
    /// First day of the window (today, Europe/Madrid).
    pub from: NaiveDate,
    /// Last day of the window.
    pub to: NaiveDate,
    /// The deadlines, by date.
    pub items: Vec<Deadline>,
}
