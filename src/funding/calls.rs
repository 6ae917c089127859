//! Calls for subsidies (convocatorias): a funder's window for applications, with its
//! maximum grant, co-financing rate and eligible cost categories. Their status (forecast,
//! open, closed) follows from the instants, at the time of each request.
//!
//! Just over 600 lines: a call carries many fields (its BDNS record's, what its
//! justification allows), each in the response, the create and the patch types, and the
//! sub-resource stays in one file like every other.

use std::collections::{HashMap, HashSet};

use actix_web::{HttpRequest, HttpResponse, get, patch, post, web};
use chrono::{DateTime, FixedOffset, NaiveDate, Utc};
use diesel_async::{AsyncConnection, AsyncPgConnection};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::{
    bdns::format::check_code,
    funders::{self, opt},
    model::{CallChanges, CallRow, CallStatus},
    repo::{self, CallFilter},
    scope::{Scope, staff_only},
};
use crate::{
    AppState, audit,
    auth::{Action, Caller, Resource},
    budgets::model::LineKind,
    domain::{BudgetCategoryId, CallId, Cents, FunderId, calendar, text},
    error::{ApiError, FieldErrors, not_found, on_unique},
    http::{
        csv::CsvRow,
        etag::{self, IfMatch, Precondition},
        json::Json,
        listing::{self, List},
        pagination::Page,
        patch::nullable,
    },
    members::model::check_website,
};

// ---------------------------------------------------------------------------------------
// Types

/// A call for subsidies (convocatoria). Instants are shown in Europe/Madrid time.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Call {
    /// Id.
    pub id: CallId,
    /// The funder that publishes it.
    pub funder_id: FunderId,
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
    pub max_grant_cents: Option<Cents>,
    /// Largest share of the eligible cost the grant may cover, basis points (8000 = 80%).
    #[schema(example = 8000)]
    pub cofinancing_rate_bp: i32,
    /// Expense categories accepted as eligible costs.
    pub eligible_cost_category_ids: Vec<BudgetCategoryId>,
    /// Execution period start.
    pub execution_starts_on: Option<NaiveDate>,
    /// Execution period end.
    pub execution_ends_on: Option<NaiveDate>,
    /// When the spending must be justified.
    pub justification_due_on: Option<NaiveDate>,
    /// Allows the simplified justification account (RLGS art. 75, grants under 60,000 EUR).
    pub simplified_justification: bool,
    /// Flat rate of indirect costs on the direct costs, basis points (1500 = 15 %); null:
    /// indirect costs are justified by their own entries.
    pub indirect_cost_rate_bp: Option<i32>,
    /// The call's whole budget, euro cents (BDNS `presupuestoTotal`; set by the BDNS import).
    pub total_budget_cents: Option<Cents>,
    /// Its regulatory basis (BDNS `descripcionBasesReguladoras`; set by the BDNS import).
    pub regulatory_basis: Option<String>,
    /// Where the regulatory basis is published (BDNS `urlBasesReguladoras`; BDNS import).
    pub regulatory_basis_url: Option<String>,
    /// Its aid instruments (BDNS `instrumentos`; set by the BDNS import).
    pub instruments: Vec<String>,
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
    pub categories: Vec<BudgetCategoryId>,
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
            simplified_justification: r.simplified_justification,
            indirect_cost_rate_bp: r.indirect_cost_rate_bp,
            total_budget_cents: r.total_budget_cents,
            regulatory_basis: r.regulatory_basis,
            regulatory_basis_url: r.regulatory_basis_url,
            instruments: r.instruments,
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
            "simplified_justification",
            "indirect_cost_rate_bp",
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
            opt(r.max_grant_cents.map(Cents::get)),
            r.cofinancing_rate_bp.to_string(),
            opt(r.justification_due_on),
            r.simplified_justification.to_string(),
            opt(r.indirect_cost_rate_bp),
        ]
    }
}

/// A new call (staff, admins). Instants need an offset (`2025-03-01T09:00:00+01:00`).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewCall {
    /// The funder.
    pub funder_id: FunderId,
    /// Title.
    #[schema(min_length = 1, max_length = 500)]
    pub title: String,
    /// Programme.
    #[schema(min_length = 1, max_length = 300)]
    pub programme: Option<String>,
    /// BDNS code (digits), unique.
    #[schema(pattern = "^[0-9]{1,10}$", max_length = 10, example = "812345")]
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
    pub max_grant_cents: Option<Cents>,
    /// Co-financing rate, basis points (1–10000).
    #[schema(minimum = 1, maximum = 10000)]
    pub cofinancing_rate_bp: i32,
    /// Eligible expense categories.
    #[schema(max_items = 50)]
    pub eligible_cost_category_ids: Option<Vec<BudgetCategoryId>>,
    /// Execution period start.
    pub execution_starts_on: Option<NaiveDate>,
    /// Execution period end.
    pub execution_ends_on: Option<NaiveDate>,
    /// Justification deadline.
    pub justification_due_on: Option<NaiveDate>,
    /// Allows the simplified justification account (RLGS art. 75; default false).
    pub simplified_justification: Option<bool>,
    /// Flat rate of indirect costs on the direct costs, basis points (0–2500).
    #[schema(minimum = 0, maximum = 2500)]
    pub indirect_cost_rate_bp: Option<i32>,
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
    #[schema(value_type = Option<String>, nullable, pattern = "^[0-9]{1,10}$", max_length = 10)]
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
    pub max_grant_cents: Option<Option<Cents>>,
    /// Co-financing rate, basis points.
    #[schema(minimum = 1, maximum = 10000)]
    pub cofinancing_rate_bp: Option<i32>,
    /// Eligible expense categories (replaces the list).
    #[schema(max_items = 50)]
    pub eligible_cost_category_ids: Option<Vec<BudgetCategoryId>>,
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
    /// Whether the call allows the simplified justification account.
    pub simplified_justification: Option<bool>,
    /// Flat rate of indirect costs, basis points (0–2500); `null` clears.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<i32>, nullable, minimum = 0, maximum = 2500)]
    pub indirect_cost_rate_bp: Option<Option<i32>>,
}

/// Filters of the call list.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct CallQuery {
    /// Only this funder's calls.
    pub funder_id: Option<FunderId>,
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
// Handlers

/// Calls for subsidies, latest closing first. Partners see their own funder's calls.
#[utoipa::path(tag = "funding", params(CallQuery),
    responses((status = 200, description = "A page of calls (or CSV).",
        content((Page<Call> = "application/json"), (String = "text/csv")))))]
#[get("/api/v1/calls")]
pub async fn list_calls(
    req: HttpRequest,
    caller: Caller,
    query: web::Query<CallQuery>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Action::read(Resource::Funding))?;
    let funder = Scope::of(&caller).funder_filter(query.funder_id);
    let status = query.status.map(|s| (s, Utc::now()));
    let list = List {
        resource: "calls",
        sort: "-closes_at",
        filename: "calls.csv",
    };
    listing::from_db(
        &req,
        &state,
        list,
        query.limit,
        query.cursor.as_deref(),
        async move |conn, after, n| {
            let Some(funder_id) = funder else {
                return Ok(Vec::new());
            };
            let filter = CallFilter { funder_id, status };
            let rows = repo::list_calls(conn, filter, after, n).await?;
            views(conn, rows).await
        },
        |c: &CallView| (c.row.closes_at, c.row.id),
        Call::from,
    )
    .await
}

/// Adds a call (staff, admins).
#[utoipa::path(tag = "funding", request_body = NewCall, responses(
    (status = 201, description = "Created.", body = Call),
    (status = 409, description = "`bdns_code_taken`.", body = crate::error::Problem, content_type = "application/problem+json")))]
#[post("/api/v1/calls")]
pub async fn create_call(
    caller: Caller,
    body: Json<NewCall>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Action::write(Resource::Funding))?;
    let mut conn = state.conn().await?;
    let view = create(&mut conn, &caller, body.into_inner()).await?;
    Ok(etag::created(
        format!("/api/v1/calls/{}", view.row.id),
        view.row.version,
        &Call::from(view),
    ))
}

/// One call, with its status now.
#[utoipa::path(tag = "funding", params(("id" = Uuid, Path, description = "Call id")), responses(
    (status = 200, description = "The call.", body = Call),
    (status = 304, description = "Not modified.")))]
#[get("/api/v1/calls/{id}")]
pub async fn get_call(
    req: HttpRequest,
    caller: Caller,
    id: web::Path<CallId>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Action::read(Resource::Funding))?;
    let mut conn = state.conn().await?;
    let view = find(&mut conn, &caller, id.into_inner()).await?;
    Ok(etag::respond(&req, view.row.version, &Call::from(view)))
}

/// Changes a call (staff, admins). Needs `If-Match`.
#[utoipa::path(tag = "funding", params(("id" = Uuid, Path, description = "Call id"),
    ("If-Match" = String, Header, description = "ETag from a GET")),
    request_body = CallPatch, responses(
    (status = 200, description = "Changed.", body = Call),
    (status = 409, description = "`bdns_code_taken`.", body = crate::error::Problem, content_type = "application/problem+json")))]
#[patch("/api/v1/calls/{id}")]
pub async fn update_call(
    req: HttpRequest,
    caller: Caller,
    id: web::Path<CallId>,
    body: Json<CallPatch>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Action::write(Resource::Funding))?;
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
    Ok(etag::updated(view.row.version, &Call::from(view)))
}

// ---------------------------------------------------------------------------------------
// Services

/// Calls with their eligible cost categories.
async fn views(
    conn: &mut AsyncPgConnection,
    rows: Vec<CallRow>,
) -> Result<Vec<CallView>, ApiError> {
    let ids: Vec<CallId> = rows.iter().map(|c| c.id).collect();
    let mut by_call: HashMap<CallId, Vec<BudgetCategoryId>> = HashMap::new();
    for (call, category) in repo::call_categories(conn, &ids).await? {
        by_call.entry(call).or_default().push(category);
    }
    Ok(rows
        .into_iter()
        .map(|row| CallView {
            categories: by_call.remove(&row.id).unwrap_or_default(),
            row,
        })
        .collect())
}

/// A call with its eligible cost categories.
pub(super) async fn view(conn: &mut AsyncPgConnection, row: CallRow) -> Result<CallView, ApiError> {
    views(conn, vec![row]).await?.pop().ok_or_else(not_found)
}

/// A call with its categories, if the caller sees it (partners: their funder's).
pub async fn find(
    conn: &mut AsyncPgConnection,
    caller: &Caller,
    id: CallId,
) -> Result<CallView, ApiError> {
    let call = repo::find_call(conn, id, false).await?;
    if !Scope::of(caller).sees_calls_of(call.funder_id) {
        return Err(not_found());
    }
    view(conn, call).await
}

/// The checked text fields of a call (absent: unchanged; `Some(None)`: cleared).
struct CallFields {
    title: Option<String>,
    programme: Option<Option<String>>,
    bdns_code: Option<Option<String>>,
    journal_reference: Option<Option<String>>,
    journal_url: Option<Option<String>>,
}

/// The text fields of a call as sent, to check.
#[derive(Debug, Clone, Copy)]
struct CallText<'a> {
    title: Option<&'a str>,
    programme: Option<Option<&'a str>>,
    bdns_code: Option<Option<&'a str>>,
    journal_reference: Option<Option<&'a str>>,
    journal_url: Option<Option<&'a str>>,
}

fn check_call_fields(errors: &mut FieldErrors, t: CallText<'_>) -> CallFields {
    CallFields {
        title: t
            .title
            .and_then(|t| errors.check("title", text::name(t, 500))),
        programme: t
            .programme
            .map(|p| p.and_then(|p| errors.check("programme", text::name(p, 300)))),
        bdns_code: t
            .bdns_code
            .map(|b| b.and_then(|b| errors.check("bdns_code", check_code(b)))),
        journal_reference: t
            .journal_reference
            .map(|j| j.and_then(|j| errors.check("journal_reference", text::name(j, 300)))),
        journal_url: t
            .journal_url
            .map(|u| u.and_then(|u| errors.check("journal_url", check_website(u)))),
    }
}

/// 422 unless every id is an expense budget category (and none twice).
async fn check_categories(
    conn: &mut AsyncPgConnection,
    ids: &[BudgetCategoryId],
) -> Result<(), ApiError> {
    let distinct: HashSet<&BudgetCategoryId> = ids.iter().collect();
    let found = crate::budgets::repo::count_categories(conn, ids, LineKind::Expense).await?;
    if distinct.len() != ids.len() || usize::try_from(found).unwrap_or_default() != ids.len() {
        return Err(FieldErrors::one(
            "eligible_cost_category_ids",
            "unknown",
            "each must be a distinct expense budget category",
        ));
    }
    Ok(())
}

/// 409 `bdns_code_taken` for the unique BDNS code.
pub(super) fn bdns_taken(e: diesel::result::Error) -> ApiError {
    on_unique(
        e,
        "calls_bdns_code_key",
        "bdns_code_taken",
        "Another call has this BDNS code.",
    )
}

/// Adds a call (staff, admins): 403, 409 `bdns_code_taken`, 422.
pub async fn create(
    conn: &mut AsyncPgConnection,
    caller: &Caller,
    input: NewCall,
) -> Result<CallView, ApiError> {
    staff_only(caller)?;
    let mut errors = FieldErrors::default();
    let f = check_call_fields(
        &mut errors,
        CallText {
            title: Some(&input.title),
            programme: Some(input.programme.as_deref()),
            bdns_code: Some(input.bdns_code.as_deref()),
            journal_reference: Some(input.journal_reference.as_deref()),
            journal_url: Some(input.journal_url.as_deref()),
        },
    );
    let now = Utc::now();
    let row = CallRow {
        id: CallId::new(),
        funder_id: input.funder_id,
        title: f.title.unwrap_or_default(),
        programme: f.programme.flatten(),
        bdns_code: f.bdns_code.flatten(),
        journal_reference: f.journal_reference.flatten(),
        journal_url: f.journal_url.flatten(),
        opens_at: input.opens_at.to_utc(),
        closes_at: input.closes_at.to_utc(),
        max_grant_cents: input.max_grant_cents,
        cofinancing_rate_bp: input.cofinancing_rate_bp,
        execution_starts_on: input.execution_starts_on,
        execution_ends_on: input.execution_ends_on,
        justification_due_on: input.justification_due_on,
        version: 1,
        created_at: now,
        updated_at: now,
        simplified_justification: input.simplified_justification.unwrap_or(false),
        indirect_cost_rate_bp: input.indirect_cost_rate_bp,
        total_budget_cents: None,
        regulatory_basis: None,
        regulatory_basis_url: None,
        instruments: Vec::new(),
    };
    row.check_rules(&mut errors);
    errors.finish()?;
    let categories = input.eligible_cost_category_ids.unwrap_or_default();
    conn.transaction(async |conn| {
        funders::check_exists(conn, row.funder_id).await?;
        check_categories(conn, &categories).await?;
        let row = repo::insert_call(conn, &row).await.map_err(bdns_taken)?;
        repo::set_call_categories(conn, row.id, &categories).await?;
        let view = view(conn, row).await?;
        let after = Call::from(view.clone());
        audit::created(conn, caller, "call", after.id.into(), &after).await?;
        Ok(view)
    })
    .await
}

/// Changes a call (staff, admins): 403, 404, 412, 409 `bdns_code_taken`, 422; the rules
/// are checked on the call as it would be.
pub async fn update(
    conn: &mut AsyncPgConnection,
    caller: &Caller,
    id: CallId,
    precondition: Precondition,
    p: CallPatch,
) -> Result<CallView, ApiError> {
    staff_only(caller)?;
    let mut errors = FieldErrors::default();
    let f = check_call_fields(
        &mut errors,
        CallText {
            title: p.title.as_deref(),
            programme: p.programme.as_ref().map(|v| v.as_deref()),
            bdns_code: p.bdns_code.as_ref().map(|v| v.as_deref()),
            journal_reference: p.journal_reference.as_ref().map(|v| v.as_deref()),
            journal_url: p.journal_url.as_ref().map(|v| v.as_deref()),
        },
    );
    errors.finish()?;
    let changes = CallChanges {
        title: f.title,
        programme: f.programme,
        bdns_code: f.bdns_code,
        journal_reference: f.journal_reference,
        journal_url: f.journal_url,
        opens_at: p.opens_at.map(|t| t.to_utc()),
        closes_at: p.closes_at.map(|t| t.to_utc()),
        max_grant_cents: p.max_grant_cents,
        cofinancing_rate_bp: p.cofinancing_rate_bp,
        execution_starts_on: p.execution_starts_on,
        execution_ends_on: p.execution_ends_on,
        justification_due_on: p.justification_due_on,
        simplified_justification: p.simplified_justification,
        indirect_cost_rate_bp: p.indirect_cost_rate_bp,
        ..CallChanges::default()
    };
    conn.transaction(async |conn| {
        // Writers (staff, admins) see every call: no visibility to decide before the lock.
        let current = repo::find_call(conn, id, true).await?;
        precondition.check(current.version, IfMatch::Required)?;
        let mut errors = FieldErrors::default();
        changes.applied_to(&current).check_rules(&mut errors);
        errors.finish()?;
        let before = Call::from(view(conn, current).await?);
        if let Some(c) = &p.eligible_cost_category_ids {
            check_categories(conn, c).await?;
            repo::set_call_categories(conn, id, c).await?;
        }
        let row = repo::update_call(conn, id, &changes)
            .await
            .map_err(bdns_taken)?;
        let view = view(conn, row).await?;
        let after = Call::from(view.clone());
        audit::updated(conn, caller, "call", id.into(), &before, &after).await?;
        Ok(view)
    })
    .await
}
