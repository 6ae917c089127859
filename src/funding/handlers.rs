//! HTTP handlers of funding. Changes of funders, calls, agreements and applications need
//! `If-Match` (428 without); moves of an application go through
//! [`transition`](super::transition), which locks it, so `If-Match` is optional there.

use std::collections::{HashMap, HashSet};

use actix_multipart::Multipart;
use actix_web::{HttpRequest, HttpResponse, get, http::header, patch, post, web};
use chrono::{Days, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use futures_util::TryStreamExt;
use uuid::Uuid;

use super::{
    Move,
    documents::{self, Store},
    dto::{
        ActionAmount, Agreement, AgreementPatch, AgreementQuery, AgreementView, Application,
        ApplicationPatch, ApplicationQuery, ApplicationSummary, Call, CallPatch, CallQuery,
        CallView, Deadline, DeadlineKind, DeadlineQuery, Deadlines, Document, DocumentUpload,
        Funder, FunderPatch, GrantIncome, Instalment, LineAmount, NewAgreement, NewApplication,
        NewCall, NewFunder, Transition, TransitionRequest,
    },
    model::{
        AgreementChanges, AgreementRow, ApplicationActionRow, ApplicationChanges,
        ApplicationLineRow, ApplicationRow, ApplicationStatus, CallChanges, CallRow, DocumentRow,
        FunderChanges, FunderRow, InstalmentRow, TransitionRow,
    },
    repo::{self, ApplicationFilter, CallFilter, Scope},
    scope,
};
use crate::{
    AppState, audit,
    auth::{Action, Caller, Resource, Role, policy},
    budgets::model::MAX_CENTS,
    domain::calendar,
    domain::{tax_id::TaxId, text},
    error::{ApiError, FieldErrors, not_found, on_unique},
    http::{
        etag::{self, IfMatch, Precondition},
        json::Json,
        listing::{self, List},
        pagination::{Page, PageQuery},
    },
    members::model::check_website,
    plans::model::{NodeKind, PlanStatus},
    schema::{
        agreement_instalments, agreements, application_participants, applications, budget_lines,
        budgets, calls, plan_nodes, plans,
    },
};

/// 403 unless the caller runs funding (staff, admins).
fn staff_only(caller: &Caller) -> Result<(), ApiError> {
    if policy::runs_funding(caller.role) {
        Ok(())
    } else {
        Err(ApiError::forbidden(
            "Only the cluster's staff change funders, calls, agreements and applications.",
        ))
    }
}

/// Whether `scope` sees the calls of `funder_id` (calls are public: representatives see all).
fn sees_funder(scope: Scope, funder_id: Uuid) -> bool {
    match scope {
        Scope::All | Scope::Member(_) => true,
        Scope::Funder(f) => f == funder_id,
    }
}

/// Whether `scope` sees the agreements of `funder_id` (their amounts and obligations are the
/// cluster's and the funder's business: not member representatives').
fn sees_agreements(scope: Scope, funder_id: Uuid) -> bool {
    match scope {
        Scope::All => true,
        Scope::Funder(f) => f == funder_id,
        Scope::Member(_) => false,
    }
}

/// The funder filter of the call and agreement lists: the partner's own, or what was asked.
fn funder_filter(scope: Scope, asked: Option<Uuid>) -> Result<Option<Uuid>, ()> {
    match (scope, asked) {
        (Scope::Funder(f), Some(a)) if a != f => Err(()),
        (Scope::Funder(f), _) => Ok(Some(f)),
        (_, asked) => Ok(asked),
    }
}

fn check_tax_id(raw: &str) -> Result<String, String> {
    if let Ok(t) = TaxId::parse(raw) {
        return Ok(t.as_str().to_owned());
    }
    let v: String = raw
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect::<String>()
        .to_uppercase();
    let vat = v.len() >= 4
        && v.len() <= 15
        && v.chars().take(2).all(|c| c.is_ascii_uppercase())
        && v.chars().skip(2).all(|c| c.is_ascii_alphanumeric())
        && v.chars().skip(2).any(|c| c.is_ascii_digit());
    if vat {
        Ok(v)
    } else {
        Err("must be a Spanish NIF/CIF or an EU VAT number (e.g. FR12345678901)".into())
    }
}

/// Records `out_of_range` unless `value` is `min` (0 or 1) to 10^15 cents.
fn check_amount(errors: &mut FieldErrors, field: &str, value: i64, min: i64) {
    if !(min..=MAX_CENTS).contains(&value) {
        errors.add(
            field,
            "out_of_range",
            format!("must be {min} to 10^15 cents"),
        );
    }
}

// ---------------------------------------------------------------------------------------
// Funders

/// Funders, by name (everyone signed in).
#[utoipa::path(tag = "funding", params(PageQuery),
    responses((status = 200, description = "A page of funders (or CSV).",
        content((Page<Funder> = "application/json"), (String = "text/csv")))))]
#[get("/api/v1/funders")]
pub async fn list_funders(
    req: HttpRequest,
    caller: Caller,
    query: web::Query<PageQuery>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Action::read(Resource::Funding))?;
    let list = List {
        resource: "funders",
        sort: "name",
        filename: "funders.csv",
    };
    listing::from_db(
        &req,
        &state,
        list,
        query.limit,
        query.cursor.as_deref(),
        async |conn, after, n| Ok(repo::list_funders(conn, after, n).await?),
        |f: &FunderRow| (f.name.clone(), f.id),
        Funder::from,
    )
    .await
}

const FUNDER_TAKEN: &str = "Another funder has this name.";
const FUNDER_TAX_TAKEN: &str = "Another funder has this tax id.";

fn funder_unique(e: diesel::result::Error) -> ApiError {
    use diesel::result::{DatabaseErrorKind as K, Error as E};
    if let E::DatabaseError(K::UniqueViolation, info) = &e
        && info.constraint_name() == Some("funders_tax_id_key")
    {
        return ApiError::conflict("tax_id_taken", FUNDER_TAX_TAKEN);
    }
    on_unique(e, "funders_name_key", "name_taken", FUNDER_TAKEN)
}

/// Adds a funder (staff, admins).
#[utoipa::path(tag = "funding", request_body = NewFunder, responses(
    (status = 201, description = "Created.", body = Funder),
    (status = 409, description = "`name_taken`, `tax_id_taken`.", body = crate::error::Problem, content_type = "application/problem+json")))]
#[post("/api/v1/funders")]
pub async fn create_funder(
    caller: Caller,
    body: Json<NewFunder>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Action::write(Resource::Funding))?;
    staff_only(&caller)?;
    let input = body.into_inner();
    let mut errors = FieldErrors::default();
    let name = errors.check("name", text::name(&input.name, 300));
    let tax_id = input
        .tax_id
        .as_deref()
        .and_then(|t| errors.check("tax_id", check_tax_id(t)));
    let website = input
        .website
        .as_deref()
        .and_then(|w| errors.check("website", check_website(w)));
    let name = errors.finish_with(name)?;
    let now = Utc::now();
    let row = FunderRow {
        id: Uuid::now_v7(),
        name,
        kind: input.kind,
        tax_id,
        website,
        version: 1,
        created_at: now,
        updated_at: now,
    };
    let mut conn = state.conn().await?;
    let row = conn
        .transaction::<_, ApiError, _>(async |conn| {
            let row = repo::insert_funder(conn, &row)
                .await
                .map_err(funder_unique)?;
            audit::created(conn, &caller, "funder", row.id, &Funder::from(row.clone())).await?;
            Ok(row)
        })
        .await?;
    Ok(etag::created(
        format!("/api/v1/funders/{}", row.id),
        row.version,
        &Funder::from(row),
    ))
}

/// One funder.
#[utoipa::path(tag = "funding", params(("id" = Uuid, Path, description = "Funder id")), responses(
    (status = 200, description = "The funder.", body = Funder),
    (status = 304, description = "Not modified.")))]
#[get("/api/v1/funders/{id}")]
pub async fn get_funder(
    req: HttpRequest,
    caller: Caller,
    id: web::Path<Uuid>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Action::read(Resource::Funding))?;
    let mut conn = state.conn().await?;
    let row = repo::find_funder(&mut conn, id.into_inner(), false).await?;
    Ok(etag::respond(&req, row.version, &Funder::from(row)))
}

/// Changes a funder (staff, admins). Needs `If-Match`.
#[utoipa::path(tag = "funding", params(("id" = Uuid, Path, description = "Funder id"),
    ("If-Match" = String, Header, description = "ETag from a GET")),
    request_body = FunderPatch, responses(
    (status = 200, description = "Changed.", body = Funder),
    (status = 409, description = "`name_taken`, `tax_id_taken`.", body = crate::error::Problem, content_type = "application/problem+json")))]
#[patch("/api/v1/funders/{id}")]
pub async fn update_funder(
    req: HttpRequest,
    caller: Caller,
    id: web::Path<Uuid>,
    body: Json<FunderPatch>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Action::write(Resource::Funding))?;
    staff_only(&caller)?;
    let precondition = Precondition::from_request(&req);
    let patch = body.into_inner();
    let mut errors = FieldErrors::default();
    let changes = FunderChanges {
        name: patch
            .name
            .as_deref()
            .and_then(|n| errors.check("name", text::name(n, 300))),
        kind: patch.kind,
        tax_id: patch
            .tax_id
            .map(|t| t.and_then(|t| errors.check("tax_id", check_tax_id(&t)))),
        website: patch
            .website
            .map(|w| w.and_then(|w| errors.check("website", check_website(&w)))),
    };
    errors.finish()?;
    let id = id.into_inner();
    let mut conn = state.conn().await?;
    let row = conn
        .transaction::<_, ApiError, _>(async |conn| {
            let current = repo::find_funder(conn, id, true).await?;
            precondition.check(current.version, IfMatch::Required)?;
            let row = repo::update_funder(conn, id, &changes)
                .await
                .map_err(funder_unique)?;
            let (before, after) = (Funder::from(current), Funder::from(row.clone()));
            audit::updated(conn, &caller, "funder", id, &before, &after).await?;
            Ok(row)
        })
        .await?;
    Ok(etag::updated(row.version, &Funder::from(row)))
}

// ---------------------------------------------------------------------------------------
// Calls

async fn call_views(
    conn: &mut AsyncPgConnection,
    rows: Vec<CallRow>,
) -> Result<Vec<CallView>, ApiError> {
    let ids: Vec<Uuid> = rows.iter().map(|c| c.id).collect();
    let mut by_call: HashMap<Uuid, Vec<Uuid>> = HashMap::new();
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

async fn call_view(conn: &mut AsyncPgConnection, row: CallRow) -> Result<Call, ApiError> {
    call_views(conn, vec![row])
        .await?
        .pop()
        .map(Call::from)
        .ok_or_else(not_found)
}

/// A call the caller sees (partners: their funder's).
async fn visible_call(
    conn: &mut AsyncPgConnection,
    caller: &Caller,
    id: Uuid,
) -> Result<CallRow, ApiError> {
    let call = repo::find_call(conn, id, false).await?;
    if !sees_funder(scope(caller), call.funder_id) {
        return Err(not_found());
    }
    Ok(call)
}

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
    let funder = funder_filter(scope(&caller), query.funder_id);
    let filter = CallFilter {
        funder_id: funder.ok().flatten(),
        status: query.status.map(|s| (s, Utc::now())),
    };
    let nothing = funder.is_err();
    let db = state.clone();
    let fetch = move |after, n| {
        let db = db.clone();
        async move {
            if nothing {
                return Ok(Vec::new());
            }
            let mut conn = db.conn().await?;
            let rows = repo::list_calls(&mut conn, filter, after, n).await?;
            call_views(&mut conn, rows).await
        }
    };
    let list = List {
        resource: "calls",
        sort: "-closes_at",
        filename: "calls.csv",
    };
    let key_of = |c: &CallView| (c.row.closes_at, c.row.id);
    listing::respond(
        &req,
        &state,
        list,
        query.limit,
        query.cursor.as_deref(),
        fetch,
        key_of,
        Call::from,
    )
    .await
}

/// The checked fields of a call.
struct CallFields {
    title: Option<String>,
    programme: Option<Option<String>>,
    bdns_code: Option<Option<String>>,
    journal_reference: Option<Option<String>>,
    journal_url: Option<Option<String>>,
}

fn check_bdns(raw: &str) -> Result<String, String> {
    let v = raw.trim();
    if (1..=10).contains(&v.len()) && v.chars().all(|c| c.is_ascii_digit()) {
        Ok(v.to_owned())
    } else {
        Err("must be the BDNS code: 1 to 10 digits".into())
    }
}

fn check_call_fields(
    errors: &mut FieldErrors,
    title: Option<&str>,
    programme: Option<Option<&str>>,
    bdns_code: Option<Option<&str>>,
    journal_reference: Option<Option<&str>>,
    journal_url: Option<Option<&str>>,
) -> CallFields {
    CallFields {
        title: title.and_then(|t| errors.check("title", text::name(t, 500))),
        programme: programme.map(|p| p.and_then(|p| errors.check("programme", text::name(p, 300)))),
        bdns_code: bdns_code.map(|b| b.and_then(|b| errors.check("bdns_code", check_bdns(b)))),
        journal_reference: journal_reference
            .map(|j| j.and_then(|j| errors.check("journal_reference", text::name(j, 300)))),
        journal_url: journal_url
            .map(|u| u.and_then(|u| errors.check("journal_url", check_website(u)))),
    }
}

fn check_call_rules(errors: &mut FieldErrors, call: &CallRow) {
    if call.closes_at <= call.opens_at {
        errors.add("closes_at", "before_opening", "must be after `opens_at`");
    }
    if let (Some(s), Some(e)) = (call.execution_starts_on, call.execution_ends_on)
        && e < s
    {
        errors.add(
            "execution_ends_on",
            "before_start",
            "must not be before `execution_starts_on`",
        );
    }
    if !(1..=10_000).contains(&call.cofinancing_rate_bp) {
        errors.add(
            "cofinancing_rate_bp",
            "out_of_range",
            "must be 1 to 10000 basis points",
        );
    }
    if let Some(m) = call.max_grant_cents {
        check_amount(errors, "max_grant_cents", m, 1);
    }
}

/// 422 unless every id is an expense budget category (and none twice).
async fn check_categories(conn: &mut AsyncPgConnection, ids: &[Uuid]) -> Result<(), ApiError> {
    let distinct: HashSet<&Uuid> = ids.iter().collect();
    let found: i64 = crate::schema::budget_categories::table
        .filter(crate::schema::budget_categories::id.eq_any(ids))
        .filter(crate::schema::budget_categories::kind.eq(crate::budgets::model::LineKind::Expense))
        .count()
        .get_result(conn)
        .await?;
    if distinct.len() != ids.len() || usize::try_from(found).unwrap_or_default() != ids.len() {
        return Err(FieldErrors::one(
            "eligible_cost_category_ids",
            "unknown",
            "each must be a distinct expense budget category",
        ));
    }
    Ok(())
}

/// 422 unless the funder exists.
async fn check_funder(conn: &mut AsyncPgConnection, id: Uuid) -> Result<(), ApiError> {
    if repo::find_funder(conn, id, false)
        .await
        .optional()?
        .is_none()
    {
        return Err(FieldErrors::one("funder_id", "unknown", "no such funder"));
    }
    Ok(())
}

const BDNS_TAKEN: &str = "Another call has this BDNS code.";

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
    staff_only(&caller)?;
    let input = body.into_inner();
    let mut errors = FieldErrors::default();
    let f = check_call_fields(
        &mut errors,
        Some(&input.title),
        Some(input.programme.as_deref()),
        Some(input.bdns_code.as_deref()),
        Some(input.journal_reference.as_deref()),
        Some(input.journal_url.as_deref()),
    );
    let now = Utc::now();
    let row = CallRow {
        id: Uuid::now_v7(),
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
    };
    check_call_rules(&mut errors, &row);
    errors.finish()?;
    let categories = input.eligible_cost_category_ids.unwrap_or_default();
    let mut conn = state.conn().await?;
    let call = conn
        .transaction::<_, ApiError, _>(async |conn| {
            check_funder(conn, row.funder_id).await?;
            check_categories(conn, &categories).await?;
            let row = repo::insert_call(conn, &row)
                .await
                .map_err(|e| on_unique(e, "calls_bdns_code_key", "bdns_code_taken", BDNS_TAKEN))?;
            repo::set_call_categories(conn, row.id, &categories).await?;
            let call = call_view(conn, row).await?;
            audit::created(conn, &caller, "call", call.id, &call).await?;
            Ok(call)
        })
        .await?;
    Ok(etag::created(
        format!("/api/v1/calls/{}", call.id),
        1,
        &call,
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
    id: web::Path<Uuid>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Action::read(Resource::Funding))?;
    let mut conn = state.conn().await?;
    let row = visible_call(&mut conn, &caller, id.into_inner()).await?;
    let version = row.version;
    let call = call_view(&mut conn, row).await?;
    Ok(etag::respond(&req, version, &call))
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
    id: web::Path<Uuid>,
    body: Json<CallPatch>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Action::write(Resource::Funding))?;
    staff_only(&caller)?;
    let precondition = Precondition::from_request(&req);
    let p = body.into_inner();
    let mut errors = FieldErrors::default();
    let f = check_call_fields(
        &mut errors,
        p.title.as_deref(),
        p.programme.as_ref().map(|v| v.as_deref()),
        p.bdns_code.as_ref().map(|v| v.as_deref()),
        p.journal_reference.as_ref().map(|v| v.as_deref()),
        p.journal_url.as_ref().map(|v| v.as_deref()),
    );
    errors.finish()?;
    let id = id.into_inner();
    let mut conn = state.conn().await?;
    let (version, call) = conn
        .transaction::<_, ApiError, _>(async |conn| {
            let current = repo::find_call(conn, id, true).await?;
            precondition.check(current.version, IfMatch::Required)?;
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
            };
            let mut merged = current.clone();
            merged.opens_at = changes.opens_at.unwrap_or(merged.opens_at);
            merged.closes_at = changes.closes_at.unwrap_or(merged.closes_at);
            merged.max_grant_cents = changes.max_grant_cents.unwrap_or(merged.max_grant_cents);
            merged.cofinancing_rate_bp = changes
                .cofinancing_rate_bp
                .unwrap_or(merged.cofinancing_rate_bp);
            merged.execution_starts_on = changes
                .execution_starts_on
                .unwrap_or(merged.execution_starts_on);
            merged.execution_ends_on = changes
                .execution_ends_on
                .unwrap_or(merged.execution_ends_on);
            let mut errors = FieldErrors::default();
            check_call_rules(&mut errors, &merged);
            errors.finish()?;
            let before = call_view(conn, current).await?;
            if let Some(c) = &p.eligible_cost_category_ids {
                check_categories(conn, c).await?;
                repo::set_call_categories(conn, id, c).await?;
            }
            let row = repo::update_call(conn, id, &changes)
                .await
                .map_err(|e| on_unique(e, "calls_bdns_code_key", "bdns_code_taken", BDNS_TAKEN))?;
            let version = row.version;
            let after = call_view(conn, row).await?;
            audit::updated(conn, &caller, "call", id, &before, &after).await?;
            Ok((version, after))
        })
        .await?;
    Ok(etag::updated(version, &call))
}

// ---------------------------------------------------------------------------------------
// Agreements

async fn agreement_views(
    conn: &mut AsyncPgConnection,
    rows: Vec<AgreementRow>,
) -> Result<Vec<AgreementView>, ApiError> {
    let ids: Vec<Uuid> = rows.iter().map(|a| a.id).collect();
    let mut by_agreement: HashMap<Uuid, Vec<InstalmentRow>> = HashMap::new();
    for i in repo::instalments(conn, &ids).await? {
        by_agreement.entry(i.agreement_id).or_default().push(i);
    }
    Ok(rows
        .into_iter()
        .map(|row| AgreementView {
            instalments: by_agreement.remove(&row.id).unwrap_or_default(),
            row,
        })
        .collect())
}

async fn agreement_view(
    conn: &mut AsyncPgConnection,
    row: AgreementRow,
) -> Result<Agreement, ApiError> {
    agreement_views(conn, vec![row])
        .await?
        .pop()
        .map(Agreement::from)
        .ok_or_else(not_found)
}

/// Agreements, latest first. Partners see their own funder's.
#[utoipa::path(tag = "funding", params(AgreementQuery),
    responses((status = 200, description = "A page of agreements (or CSV).",
        content((Page<Agreement> = "application/json"), (String = "text/csv")))))]
#[get("/api/v1/agreements")]
pub async fn list_agreements(
    req: HttpRequest,
    caller: Caller,
    query: web::Query<AgreementQuery>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Action::read(Resource::Funding))?;
    let scope = scope(&caller);
    let funder = funder_filter(scope, query.funder_id).and_then(|f| {
        if matches!(scope, Scope::Member(_)) {
            Err(())
        } else {
            Ok(f)
        }
    });
    let db = state.clone();
    let fetch = move |after, n| {
        let db = db.clone();
        async move {
            let Ok(funder) = funder else {
                return Ok(Vec::new());
            };
            let mut conn = db.conn().await?;
            let rows = repo::list_agreements(&mut conn, funder, after, n).await?;
            agreement_views(&mut conn, rows).await
        }
    };
    let list = List {
        resource: "agreements",
        sort: "-starts_on",
        filename: "agreements.csv",
    };
    let key_of = |a: &AgreementView| (a.row.starts_on, a.row.id);
    listing::respond(
        &req,
        &state,
        list,
        query.limit,
        query.cursor.as_deref(),
        fetch,
        key_of,
        Agreement::from,
    )
    .await
}

/// Checks an agreement's dates, total and instalments (one per year, inside the dates,
/// adding up to at most the total).
fn check_agreement_rules(errors: &mut FieldErrors, a: &AgreementRow, instalments: &[Instalment]) {
    use chrono::Datelike;
    if a.ends_on < a.starts_on {
        errors.add("ends_on", "before_start", "must not be before `starts_on`");
    }
    check_amount(errors, "total_cents", a.total_cents, 0);
    let mut years = HashSet::new();
    let mut sum: i128 = 0;
    for (i, inst) in instalments.iter().enumerate() {
        let path = format!("instalments[{i}]");
        if !years.insert(inst.fiscal_year) {
            errors.add(
                &format!("{path}.fiscal_year"),
                "duplicate",
                "one instalment per year",
            );
        }
        if inst.fiscal_year < a.starts_on.year() || inst.fiscal_year > a.ends_on.year() {
            errors.add(
                &format!("{path}.fiscal_year"),
                "outside_agreement",
                "must be a year of the agreement",
            );
        }
        check_amount(
            errors,
            &format!("{path}.amount_cents"),
            inst.amount_cents,
            0,
        );
        sum += i128::from(inst.amount_cents);
    }
    if sum > i128::from(a.total_cents) {
        errors.add(
            "instalments",
            "above_total",
            format!(
                "the instalments add up to {sum} cents, more than the total {}",
                a.total_cents
            ),
        );
    }
}

/// 422 unless each instalment's line is an income line of a budget of its year.
async fn instalment_rows(
    conn: &mut AsyncPgConnection,
    agreement_id: Uuid,
    instalments: &[Instalment],
) -> Result<Vec<InstalmentRow>, ApiError> {
    let ids: Vec<Uuid> = instalments
        .iter()
        .filter_map(|i| i.budget_line_id)
        .collect();
    let lines: HashMap<Uuid, (crate::budgets::model::LineKind, i32)> = budget_lines::table
        .inner_join(budgets::table)
        .filter(budget_lines::id.eq_any(&ids))
        .select((budget_lines::id, budget_lines::kind, budgets::fiscal_year))
        .load::<(Uuid, crate::budgets::model::LineKind, i32)>(conn)
        .await?
        .into_iter()
        .map(|(id, kind, year)| (id, (kind, year)))
        .collect();
    let mut errors = FieldErrors::default();
    for (i, inst) in instalments.iter().enumerate() {
        if let Some(line) = inst.budget_line_id
            && lines.get(&line)
                != Some(&(crate::budgets::model::LineKind::Income, inst.fiscal_year))
        {
            errors.add(
                &format!("instalments[{i}].budget_line_id"),
                "not_income_of_year",
                "must be an income line of a budget of the instalment's year",
            );
        }
    }
    errors.finish()?;
    Ok(instalments
        .iter()
        .map(|i| InstalmentRow {
            id: Uuid::now_v7(),
            agreement_id,
            fiscal_year: i.fiscal_year,
            amount_cents: i.amount_cents,
            justification_due_on: i.justification_due_on,
            budget_line_id: i.budget_line_id,
        })
        .collect())
}

const REFERENCE_TAKEN: &str = "Another agreement of this funder has this reference.";

/// Adds an agreement with its instalments (staff, admins).
#[utoipa::path(tag = "funding", request_body = NewAgreement, responses(
    (status = 201, description = "Created.", body = Agreement),
    (status = 409, description = "`reference_taken`.", body = crate::error::Problem, content_type = "application/problem+json")))]
#[post("/api/v1/agreements")]
pub async fn create_agreement(
    caller: Caller,
    body: Json<NewAgreement>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Action::write(Resource::Funding))?;
    staff_only(&caller)?;
    let input = body.into_inner();
    let mut errors = FieldErrors::default();
    let title = errors.check("title", text::name(&input.title, 500));
    let reference = input
        .reference
        .as_deref()
        .and_then(|r| errors.check("reference", text::name(r, 100)));
    let obligations = errors.check(
        "obligations",
        text::optional(input.obligations.as_deref(), 10_000),
    );
    let now = Utc::now();
    let row = AgreementRow {
        id: Uuid::now_v7(),
        funder_id: input.funder_id,
        title: title.unwrap_or_default(),
        reference,
        starts_on: input.starts_on,
        ends_on: input.ends_on,
        total_cents: input.total_cents,
        obligations: obligations.flatten(),
        justification_due_on: input.justification_due_on,
        version: 1,
        created_at: now,
        updated_at: now,
    };
    let instalments = input.instalments.unwrap_or_default();
    check_agreement_rules(&mut errors, &row, &instalments);
    errors.finish()?;
    let mut conn = state.conn().await?;
    let agreement = conn
        .transaction::<_, ApiError, _>(async |conn| {
            check_funder(conn, row.funder_id).await?;
            let rows = instalment_rows(conn, row.id, &instalments).await?;
            let row = repo::insert_agreement(conn, &row).await.map_err(|e| {
                on_unique(
                    e,
                    "agreements_reference_key",
                    "reference_taken",
                    REFERENCE_TAKEN,
                )
            })?;
            repo::set_instalments(conn, row.id, &rows).await?;
            let agreement = agreement_view(conn, row).await?;
            audit::created(conn, &caller, "agreement", agreement.id, &agreement).await?;
            Ok(agreement)
        })
        .await?;
    Ok(etag::created(
        format!("/api/v1/agreements/{}", agreement.id),
        1,
        &agreement,
    ))
}

/// One agreement with its instalments.
#[utoipa::path(tag = "funding", params(("id" = Uuid, Path, description = "Agreement id")), responses(
    (status = 200, description = "The agreement.", body = Agreement),
    (status = 304, description = "Not modified.")))]
#[get("/api/v1/agreements/{id}")]
pub async fn get_agreement(
    req: HttpRequest,
    caller: Caller,
    id: web::Path<Uuid>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Action::read(Resource::Funding))?;
    let mut conn = state.conn().await?;
    let row = repo::find_agreement(&mut conn, id.into_inner(), false).await?;
    if !sees_agreements(scope(&caller), row.funder_id) {
        return Err(not_found());
    }
    let version = row.version;
    let agreement = agreement_view(&mut conn, row).await?;
    Ok(etag::respond(&req, version, &agreement))
}

/// Changes an agreement (staff, admins). Needs `If-Match`. `instalments` replaces the list.
#[utoipa::path(tag = "funding", params(("id" = Uuid, Path, description = "Agreement id"),
    ("If-Match" = String, Header, description = "ETag from a GET")),
    request_body = AgreementPatch, responses(
    (status = 200, description = "Changed.", body = Agreement),
    (status = 409, description = "`reference_taken`.", body = crate::error::Problem, content_type = "application/problem+json")))]
#[patch("/api/v1/agreements/{id}")]
pub async fn update_agreement(
    req: HttpRequest,
    caller: Caller,
    id: web::Path<Uuid>,
    body: Json<AgreementPatch>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Action::write(Resource::Funding))?;
    staff_only(&caller)?;
    let precondition = Precondition::from_request(&req);
    let p = body.into_inner();
    let mut errors = FieldErrors::default();
    let changes = AgreementChanges {
        title: p
            .title
            .as_deref()
            .and_then(|t| errors.check("title", text::name(t, 500))),
        reference: p.reference.as_ref().map(|r| {
            r.as_deref()
                .and_then(|r| errors.check("reference", text::name(r, 100)))
        }),
        starts_on: p.starts_on,
        ends_on: p.ends_on,
        total_cents: p.total_cents,
        obligations: p.obligations.as_ref().map(|o| {
            errors
                .check("obligations", text::optional(o.as_deref(), 10_000))
                .flatten()
        }),
        justification_due_on: p.justification_due_on,
    };
    errors.finish()?;
    let id = id.into_inner();
    let mut conn = state.conn().await?;
    let (version, agreement) = conn
        .transaction::<_, ApiError, _>(async |conn| {
            let current = repo::find_agreement(conn, id, true).await?;
            precondition.check(current.version, IfMatch::Required)?;
            let before = agreement_view(conn, current.clone()).await?;
            let mut merged = current.clone();
            merged.starts_on = changes.starts_on.unwrap_or(merged.starts_on);
            merged.ends_on = changes.ends_on.unwrap_or(merged.ends_on);
            merged.total_cents = changes.total_cents.unwrap_or(merged.total_cents);
            let instalments = match &p.instalments {
                Some(list) => list.clone(),
                None => before.instalments.clone(),
            };
            let mut errors = FieldErrors::default();
            check_agreement_rules(&mut errors, &merged, &instalments);
            errors.finish()?;
            if p.instalments.is_some() {
                let rows = instalment_rows(conn, id, &instalments).await?;
                repo::set_instalments(conn, id, &rows).await?;
            }
            let row = repo::update_agreement(conn, id, &changes)
                .await
                .map_err(|e| {
                    on_unique(
                        e,
                        "agreements_reference_key",
                        "reference_taken",
                        REFERENCE_TAKEN,
                    )
                })?;
            let version = row.version;
            let after = agreement_view(conn, row).await?;
            audit::updated(conn, &caller, "agreement", id, &before, &after).await?;
            Ok((version, after))
        })
        .await?;
    Ok(etag::updated(version, &agreement))
}

// ---------------------------------------------------------------------------------------
// Applications

/// An application with its links, as the API shows it.
async fn application_dto(
    conn: &mut AsyncPgConnection,
    row: ApplicationRow,
) -> Result<Application, ApiError> {
    let participant_ids = repo::participants(conn, row.id).await?;
    let actions = repo::application_actions(conn, &[row.id])
        .await?
        .into_iter()
        .map(|a| ActionAmount {
            action_id: a.action_id,
            amount_cents: a.amount_cents,
        })
        .collect();
    let budget_lines = repo::application_lines(conn, row.id)
        .await?
        .into_iter()
        .map(|l| LineAmount {
            line_id: l.line_id,
            amount_cents: l.amount_cents,
        })
        .collect();
    let income = repo::income_of(conn, row.id)
        .await?
        .into_iter()
        .map(GrantIncome::from)
        .collect();
    Ok(Application {
        next_statuses: row.status.next(),
        id: row.id,
        call_id: row.call_id,
        title: row.title,
        summary: row.summary,
        lead_member_id: row.lead_member_id,
        participant_ids,
        status: row.status,
        eligible_cost_cents: row.eligible_cost_cents,
        requested_cents: row.requested_cents,
        own_funding_cents: row.own_funding_cents,
        other_aid_cents: row.other_aid_cents,
        granted_cents: row.granted_cents,
        actions,
        budget_lines,
        income,
        submitted_at: row.submitted_at,
        decided_on: row.decided_on,
        justification_due_on: row.justification_due_on,
        created_at: row.created_at,
        updated_at: row.updated_at,
    })
}

/// The application if the caller sees it, with its call's funder.
async fn visible_application(
    conn: &mut AsyncPgConnection,
    caller: &Caller,
    id: Uuid,
) -> Result<(ApplicationRow, Uuid), ApiError> {
    let (app, funder_id) = repo::find_application_funder(conn, id).await?;
    if !repo::sees_application(conn, scope(caller), &app, funder_id).await? {
        return Err(not_found());
    }
    Ok((app, funder_id))
}

/// Subsidy applications, newest first: staff and auditors see all; partners those made to
/// their funder's calls (once submitted); representatives those their organisation leads or
/// takes part in.
#[utoipa::path(tag = "funding", params(ApplicationQuery),
    responses((status = 200, description = "A page of applications (or CSV).",
        content((Page<ApplicationSummary> = "application/json"), (String = "text/csv")))))]
#[get("/api/v1/applications")]
pub async fn list_applications(
    req: HttpRequest,
    caller: Caller,
    query: web::Query<ApplicationQuery>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Action::read(Resource::Funding))?;
    let scope = scope(&caller);
    let filter = ApplicationFilter {
        call_id: query.call_id,
        status: query.status,
    };
    let db = state.clone();
    let fetch = move |after, n| {
        let db = db.clone();
        async move {
            let mut conn = db.conn().await?;
            Ok(repo::list_applications(&mut conn, scope, filter, after, n).await?)
        }
    };
    let list = List {
        resource: "applications",
        sort: "-created_at",
        filename: "applications.csv",
    };
    let key_of = |a: &ApplicationRow| (a.created_at, a.id);
    listing::respond(
        &req,
        &state,
        list,
        query.limit,
        query.cursor.as_deref(),
        fetch,
        key_of,
        ApplicationSummary::from,
    )
    .await
}

/// An application's content, merged from the stored one and a change, to check as a whole.
struct Content {
    amounts: [i64; 4],
    lead: Option<Uuid>,
    participants: Vec<Uuid>,
    actions: Vec<ActionAmount>,
    lines: Vec<LineAmount>,
}

/// The checks that need no database: amounts in range and balanced, no id twice, parts of
/// the request not above it.
fn check_content(errors: &mut FieldErrors, c: &Content) {
    let [eligible, requested, own, other] = c.amounts;
    for (field, v) in [
        ("eligible_cost_cents", eligible),
        ("requested_cents", requested),
        ("own_funding_cents", own),
        ("other_aid_cents", other),
    ] {
        check_amount(errors, field, v, 0);
    }
    let sum = i128::from(requested) + i128::from(own) + i128::from(other);
    if sum != i128::from(eligible) {
        errors.add(
            "eligible_cost_cents",
            "unbalanced",
            format!(
                "requested + own funding + other aid = {sum} cents, not the eligible cost of {eligible} cents"
            ),
        );
    }
    let distinct: HashSet<&Uuid> = c.participants.iter().collect();
    if distinct.len() != c.participants.len() {
        errors.add("participant_ids", "duplicate", "a member is listed twice");
    }
    if c.lead.is_some_and(|l| distinct.contains(&l)) {
        errors.add(
            "participant_ids",
            "is_lead",
            "the lead is not also a participant",
        );
    }
    let mut seen = HashSet::new();
    let mut total: i128 = 0;
    for (i, a) in c.actions.iter().enumerate() {
        if !seen.insert(a.action_id) {
            errors.add(
                &format!("actions[{i}].action_id"),
                "duplicate",
                "an action is listed twice",
            );
        }
        check_amount(
            errors,
            &format!("actions[{i}].amount_cents"),
            a.amount_cents,
            1,
        );
        total += i128::from(a.amount_cents);
    }
    if total > i128::from(requested) {
        errors.add(
            "actions",
            "above_request",
            "the actions' parts add up to more than the requested amount",
        );
    }
    let mut seen = HashSet::new();
    for (i, l) in c.lines.iter().enumerate() {
        if !seen.insert(l.line_id) {
            errors.add(
                &format!("budget_lines[{i}].line_id"),
                "duplicate",
                "a line is listed twice",
            );
        }
        check_amount(
            errors,
            &format!("budget_lines[{i}].amount_cents"),
            l.amount_cents,
            1,
        );
    }
}

/// The checks against the database: the call's limits, the members, the actions (with a
/// planned cost) and the lines (income and expense parts each at most the request).
async fn check_refs(
    conn: &mut AsyncPgConnection,
    call: &CallRow,
    c: &Content,
) -> Result<(), ApiError> {
    let mut errors = FieldErrors::default();
    let [eligible, requested, ..] = c.amounts;
    if let Err((code, message)) = super::check_limits(call, eligible, requested) {
        errors.add("requested_cents", code, message);
    }
    let mut members: Vec<crate::domain::MemberId> = c
        .participants
        .iter()
        .map(|&m| crate::domain::MemberId(m))
        .collect();
    members.extend(c.lead.map(crate::domain::MemberId));
    let known: std::collections::HashSet<Uuid> = crate::members::repo::existing(conn, &members)
        .await?
        .into_iter()
        .map(|m| m.uuid())
        .collect();
    if let Some(l) = c.lead
        && !known.contains(&l)
    {
        errors.add(
            "lead_member_id",
            "unknown",
            "no such member in the register",
        );
    }
    for (i, m) in c.participants.iter().enumerate() {
        if !known.contains(m) {
            errors.add(
                &format!("participant_ids[{i}]"),
                "unknown",
                "no such member in the register",
            );
        }
    }
    let ids: Vec<Uuid> = c.actions.iter().map(|a| a.action_id).collect();
    let actions: HashMap<Uuid, (Option<i64>, PlanStatus)> = plan_nodes::table
        .inner_join(plans::table)
        .filter(plan_nodes::id.eq_any(&ids))
        .filter(plan_nodes::kind.eq(NodeKind::Action))
        .select((
            plan_nodes::id,
            plan_nodes::planned_budget_cents,
            plans::status,
        ))
        .load::<(Uuid, Option<i64>, PlanStatus)>(conn)
        .await?
        .into_iter()
        .map(|(id, planned, status)| (id, (planned, status)))
        .collect();
    for (i, a) in c.actions.iter().enumerate() {
        let field = format!("actions[{i}].action_id");
        match actions.get(&a.action_id) {
            None => errors.add(&field, "unknown", "no such plan action"),
            Some((_, status)) if *status != PlanStatus::Approved => errors.add(
                &field,
                "not_in_approved_plan",
                "applications serve actions of the approved version of the plan",
            ),
            Some((None, _)) => errors.add(
                &field,
                "action_without_cost",
                "the action has no planned budget, so its funding cannot be checked",
            ),
            Some((Some(_), _)) => {}
        }
    }
    let ids: Vec<Uuid> = c.lines.iter().map(|l| l.line_id).collect();
    let kinds: HashMap<Uuid, crate::budgets::model::LineKind> = budget_lines::table
        .filter(budget_lines::id.eq_any(&ids))
        .select((budget_lines::id, budget_lines::kind))
        .load::<(Uuid, crate::budgets::model::LineKind)>(conn)
        .await?
        .into_iter()
        .collect();
    let mut by_kind: HashMap<crate::budgets::model::LineKind, i128> = HashMap::new();
    for (i, l) in c.lines.iter().enumerate() {
        match kinds.get(&l.line_id) {
            None => errors.add(
                &format!("budget_lines[{i}].line_id"),
                "unknown",
                "no such budget line",
            ),
            Some(k) => *by_kind.entry(*k).or_default() += i128::from(l.amount_cents),
        }
    }
    if by_kind.values().any(|v| *v > i128::from(requested)) {
        errors.add(
            "budget_lines",
            "above_request",
            "the parts of the expense lines (or of the income lines) add up to more than the requested amount",
        );
    }
    errors.finish()
}

async fn save_links(
    conn: &mut AsyncPgConnection,
    id: Uuid,
    c: &Content,
    which: [bool; 3],
) -> Result<(), ApiError> {
    if which[0] {
        repo::set_participants(conn, id, &c.participants).await?;
    }
    if which[1] {
        let rows: Vec<ApplicationActionRow> = c
            .actions
            .iter()
            .map(|a| ApplicationActionRow {
                application_id: id,
                action_id: a.action_id,
                amount_cents: a.amount_cents,
            })
            .collect();
        repo::set_application_actions(conn, id, &rows).await?;
    }
    if which[2] {
        let rows: Vec<ApplicationLineRow> = c
            .lines
            .iter()
            .map(|l| ApplicationLineRow {
                application_id: id,
                line_id: l.line_id,
                amount_cents: l.amount_cents,
            })
            .collect();
        repo::set_application_lines(conn, id, &rows).await?;
    }
    Ok(())
}

/// Starts an application to a call, as a draft (staff, admins).
#[utoipa::path(tag = "funding", request_body = NewApplication, responses(
    (status = 201, description = "Created.", body = Application),
    (status = 422, description = "`validation_failed` (unbalanced amounts, above the call's maximum or co-financing rate, unknown members, actions or lines).", body = crate::error::Problem, content_type = "application/problem+json")))]
#[post("/api/v1/applications")]
pub async fn create_application(
    caller: Caller,
    body: Json<NewApplication>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Action::write(Resource::Funding))?;
    staff_only(&caller)?;
    let input = body.into_inner();
    let mut errors = FieldErrors::default();
    let title = errors.check("title", text::name(&input.title, 500));
    let summary = errors.check("summary", text::optional(input.summary.as_deref(), 10_000));
    let content = Content {
        amounts: [
            input.eligible_cost_cents,
            input.requested_cents,
            input.own_funding_cents,
            input.other_aid_cents,
        ],
        lead: input.lead_member_id,
        participants: input.participant_ids.unwrap_or_default(),
        actions: input.actions.unwrap_or_default(),
        lines: input.budget_lines.unwrap_or_default(),
    };
    check_content(&mut errors, &content);
    let (title, summary) = errors.finish_with(title.zip(summary))?;
    let now = Utc::now();
    let row = ApplicationRow {
        id: Uuid::now_v7(),
        call_id: input.call_id,
        title,
        summary,
        lead_member_id: input.lead_member_id,
        status: ApplicationStatus::Draft,
        eligible_cost_cents: input.eligible_cost_cents,
        requested_cents: input.requested_cents,
        own_funding_cents: input.own_funding_cents,
        other_aid_cents: input.other_aid_cents,
        granted_cents: None,
        submitted_at: None,
        decided_on: None,
        justification_due_on: None,
        version: 1,
        created_by: caller.user_id(),
        created_at: now,
        updated_at: now,
    };
    let mut conn = state.conn().await?;
    let app = conn
        .transaction::<_, ApiError, _>(async |conn| {
            let Some(call) = repo::find_call(conn, row.call_id, false).await.optional()? else {
                return Err(FieldErrors::one("call_id", "unknown", "no such call"));
            };
            check_refs(conn, &call, &content).await?;
            let row = repo::insert_application(conn, &row).await?;
            save_links(conn, row.id, &content, [true; 3]).await?;
            let app = application_dto(conn, row).await?;
            audit::created(conn, &caller, "application", app.id, &app).await?;
            Ok(app)
        })
        .await?;
    Ok(etag::created(
        format!("/api/v1/applications/{}", app.id),
        1,
        &app,
    ))
}

/// One application with its participants, actions, lines, income and the moves possible.
#[utoipa::path(tag = "funding", params(("id" = Uuid, Path, description = "Application id")), responses(
    (status = 200, description = "The application.", body = Application),
    (status = 304, description = "Not modified.")))]
#[get("/api/v1/applications/{id}")]
pub async fn get_application(
    req: HttpRequest,
    caller: Caller,
    id: web::Path<Uuid>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Action::read(Resource::Funding))?;
    let mut conn = state.conn().await?;
    let (row, _) = visible_application(&mut conn, &caller, id.into_inner()).await?;
    let version = row.version;
    let app = application_dto(&mut conn, row).await?;
    Ok(etag::respond(&req, version, &app))
}

/// Changes an application while the cluster prepares it (`draft`, `changes_requested`;
/// staff, admins). Needs `If-Match`. The rules are checked on the whole result.
#[utoipa::path(tag = "funding", params(("id" = Uuid, Path, description = "Application id"),
    ("If-Match" = String, Header, description = "ETag from a GET")),
    request_body = ApplicationPatch, responses(
    (status = 200, description = "Changed.", body = Application),
    (status = 409, description = "`application_frozen`: submitted applications are not edited.", body = crate::error::Problem, content_type = "application/problem+json")))]
#[patch("/api/v1/applications/{id}")]
pub async fn update_application(
    req: HttpRequest,
    caller: Caller,
    id: web::Path<Uuid>,
    body: Json<ApplicationPatch>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Action::write(Resource::Funding))?;
    staff_only(&caller)?;
    let precondition = Precondition::from_request(&req);
    let p = body.into_inner();
    let mut errors = FieldErrors::default();
    let title = p
        .title
        .as_deref()
        .and_then(|t| errors.check("title", text::name(t, 500)));
    let summary = p.summary.as_ref().map(|s| {
        errors
            .check("summary", text::optional(s.as_deref(), 10_000))
            .flatten()
    });
    errors.finish()?;
    let id = id.into_inner();
    let mut conn = state.conn().await?;
    let (version, app) = conn
        .transaction::<_, ApiError, _>(async |conn| {
            let current = repo::find_application(conn, id, true).await?;
            precondition.check(current.version, IfMatch::Required)?;
            if !current.status.editable() {
                return Err(ApiError::conflict(
                    "application_frozen",
                    format!(
                        "The application is {}: the cluster changes it only as a draft or when \
                         the funder requests changes.",
                        current.status
                    ),
                ));
            }
            let before = application_dto(conn, current.clone()).await?;
            let content = Content {
                amounts: [
                    p.eligible_cost_cents.unwrap_or(current.eligible_cost_cents),
                    p.requested_cents.unwrap_or(current.requested_cents),
                    p.own_funding_cents.unwrap_or(current.own_funding_cents),
                    p.other_aid_cents.unwrap_or(current.other_aid_cents),
                ],
                lead: p.lead_member_id.unwrap_or(current.lead_member_id),
                participants: p
                    .participant_ids
                    .clone()
                    .unwrap_or_else(|| before.participant_ids.clone()),
                actions: p.actions.clone().unwrap_or_else(|| before.actions.clone()),
                lines: p
                    .budget_lines
                    .clone()
                    .unwrap_or_else(|| before.budget_lines.clone()),
            };
            let mut errors = FieldErrors::default();
            check_content(&mut errors, &content);
            errors.finish()?;
            let call = repo::find_call(conn, current.call_id, false).await?;
            check_refs(conn, &call, &content).await?;
            let changes = ApplicationChanges {
                title: title.clone(),
                summary: summary.clone(),
                lead_member_id: p.lead_member_id,
                eligible_cost_cents: p.eligible_cost_cents,
                requested_cents: p.requested_cents,
                own_funding_cents: p.own_funding_cents,
                other_aid_cents: p.other_aid_cents,
                ..Default::default()
            };
            save_links(
                conn,
                id,
                &content,
                [
                    p.participant_ids.is_some(),
                    p.actions.is_some(),
                    p.budget_lines.is_some(),
                ],
            )
            .await?;
            let row = repo::update_application(conn, id, &changes).await?;
            let version = row.version;
            let after = application_dto(conn, row).await?;
            audit::updated(conn, &caller, "application", id, &before, &after).await?;
            Ok((version, after))
        })
        .await?;
    Ok(etag::updated(version, &app))
}

/// Moves an application along its state machine: `draft` → `submitted` (while the call is
/// open) → `under_review` → `changes_requested` ↔ `submitted`; `under_review` → `granted`
/// / `partially_granted` / `rejected`; a grant → `accepted` or `renounced`; `accepted` →
/// `justification_submitted` → `justified` → `closed`; `draft` / `submitted` → `withdrawn`.
/// The cluster's staff make the cluster's moves; the call's funder (its partner users and
/// API clients), or staff on its behalf, record its decisions. Accepting a grant books its
/// income in the budget of the years it funds. An illegal move is a 409 and changes nothing.
#[utoipa::path(tag = "funding", params(("id" = Uuid, Path, description = "Application id"),
    ("If-Match" = Option<String>, Header, description = "Optional: ETag from a GET")),
    request_body = TransitionRequest, responses(
    (status = 200, description = "Moved.", body = Application),
    (status = 403, description = "Not this caller's move.", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 409, description = "`illegal_transition`, `call_not_open`, `above_call_limits`, `double_funding`.", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 422, description = "`validation_failed`: a field the move needs or forbids.", body = crate::error::Problem, content_type = "application/problem+json")))]
#[post("/api/v1/applications/{id}/transitions")]
pub async fn transition_application(
    req: HttpRequest,
    caller: Caller,
    id: web::Path<Uuid>,
    body: Json<TransitionRequest>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Action::write(Resource::Funding))?;
    let precondition = Precondition::from_request(&req);
    let input = body.into_inner();
    if let Some(g) = input.granted_cents {
        let mut errors = FieldErrors::default();
        check_amount(&mut errors, "granted_cents", g, 1);
        errors.finish()?;
    }
    let step = Move {
        to: input.to,
        comment: input.comment,
        granted_cents: input.granted_cents,
        decided_on: input.decided_on,
        justification_due_on: input.justification_due_on,
    };
    let id = id.into_inner();
    let mut conn = state.conn().await?;
    let (version, app) = conn
        .transaction::<_, ApiError, _>(async |conn| {
            let current = repo::find_application(conn, id, true).await?;
            precondition.check(current.version, IfMatch::Optional)?;
            let row = super::transition(conn, &caller, id, step).await?;
            let version = row.version;
            Ok((version, application_dto(conn, row).await?))
        })
        .await?;
    Ok(etag::updated(version, &app))
}

/// Every move of an application, oldest first: who (user or API client, and role), when,
/// from and to which status, with the comment and any amount granted.
#[utoipa::path(tag = "funding", params(("id" = Uuid, Path, description = "Application id"), PageQuery),
    responses(
    (status = 200, description = "A page of moves (or CSV).",
        content((Page<Transition> = "application/json"), (String = "text/csv")))))]
#[get("/api/v1/applications/{id}/history")]
pub async fn application_history(
    req: HttpRequest,
    caller: Caller,
    id: web::Path<Uuid>,
    query: web::Query<PageQuery>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Action::read(Resource::Funding))?;
    let id = id.into_inner();
    {
        let mut conn = state.conn().await?;
        visible_application(&mut conn, &caller, id).await?;
    }
    let db = state.clone();
    let fetch = move |after, n| {
        let db = db.clone();
        async move {
            let mut conn = db.conn().await?;
            Ok(repo::transitions(&mut conn, id, after, n).await?)
        }
    };
    let list = List {
        resource: "application_history",
        sort: "created_at",
        filename: "application-history.csv",
    };
    let key_of = |t: &TransitionRow| (t.created_at, t.id);
    listing::respond(
        &req,
        &state,
        list,
        query.limit,
        query.cursor.as_deref(),
        fetch,
        key_of,
        Transition::from,
    )
    .await
}

// ---------------------------------------------------------------------------------------
// Documents

/// The documents of an application.
#[utoipa::path(tag = "funding", params(("id" = Uuid, Path, description = "Application id"), PageQuery),
    responses(
    (status = 200, description = "A page of documents (or CSV).",
        content((Page<Document> = "application/json"), (String = "text/csv")))))]
#[get("/api/v1/applications/{id}/documents")]
pub async fn list_documents(
    req: HttpRequest,
    caller: Caller,
    id: web::Path<Uuid>,
    query: web::Query<PageQuery>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Action::read(Resource::Funding))?;
    let id = id.into_inner();
    {
        let mut conn = state.conn().await?;
        visible_application(&mut conn, &caller, id).await?;
    }
    let db = state.clone();
    let fetch = move |after, n| {
        let db = db.clone();
        async move {
            let mut conn = db.conn().await?;
            Ok(repo::documents(&mut conn, id, after, n).await?)
        }
    };
    let list = List {
        resource: "application_documents",
        sort: "created_at",
        filename: "application-documents.csv",
    };
    let key_of = |d: &DocumentRow| (d.created_at, d.id);
    listing::respond(
        &req,
        &state,
        list,
        query.limit,
        query.cursor.as_deref(),
        fetch,
        key_of,
        Document::from,
    )
    .await
}

/// One uploaded file, read from a multipart form.
struct Upload {
    filename: String,
    content_type: String,
    bytes: Vec<u8>,
    description: Option<String>,
}

fn malformed(e: impl std::fmt::Display) -> ApiError {
    ApiError::bad_request(
        "malformed_multipart",
        format!("The multipart form could not be read: {e}."),
    )
}

/// Reads the form: one `file` part (at most `max` bytes: 413 above) and an optional
/// `description`; any other part is a 422.
async fn read_upload(
    req: &HttpRequest,
    mut form: Multipart,
    max: usize,
) -> Result<Upload, ApiError> {
    let is_multipart = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.to_ascii_lowercase().starts_with("multipart/form-data"));
    if !is_multipart {
        return Err(ApiError::unsupported_media_type("multipart/form-data"));
    }
    let mut file = None;
    let mut description = None;
    let mut errors = FieldErrors::default();
    while let Some(mut field) = form.try_next().await.map_err(malformed)? {
        let name = field.name().unwrap_or_default().to_owned();
        match name.as_str() {
            "file" => {
                let filename = field
                    .content_disposition()
                    .and_then(|d| d.get_filename())
                    .and_then(documents::clean_filename);
                let content_type = field.content_type().map(|m| m.essence_str().to_owned());
                let mut bytes = Vec::new();
                while let Some(chunk) = field.try_next().await.map_err(malformed)? {
                    if bytes.len() + chunk.len() > max {
                        return Err(ApiError::new(
                            actix_web::http::StatusCode::PAYLOAD_TOO_LARGE,
                            "document_too_large",
                            format!("A document is at most {max} bytes."),
                        ));
                    }
                    bytes.extend_from_slice(&chunk);
                }
                if file.is_some() {
                    errors.add("file", "duplicate", "send one file per upload");
                }
                match (filename, content_type) {
                    (Some(f), Some(c)) => file = Some((f, c, bytes)),
                    (None, _) => {
                        errors.add("file", "no_filename", "the file part needs a file name")
                    }
                    (_, None) => errors.add(
                        "file",
                        "no_content_type",
                        "the file part needs a content type",
                    ),
                }
            }
            "description" => {
                let mut bytes = Vec::new();
                while let Some(chunk) = field.try_next().await.map_err(malformed)? {
                    if bytes.len() + chunk.len() > 4096 {
                        return Err(ApiError::payload_too_large(4096));
                    }
                    bytes.extend_from_slice(&chunk);
                }
                let text = String::from_utf8(bytes).map_err(malformed)?;
                description = errors
                    .check(
                        "description",
                        crate::domain::text::optional(Some(&text), 500),
                    )
                    .flatten();
            }
            other => {
                // Drain it, then report it.
                while field.try_next().await.map_err(malformed)?.is_some() {}
                errors.add(
                    if other.is_empty() { "(unnamed)" } else { other },
                    "unknown_field",
                    "only `file` and `description`",
                );
            }
        }
    }
    if file.is_none() && errors.is_empty() {
        errors.add("file", "required", "send the document as the `file` part");
    }
    errors.finish()?;
    let (filename, content_type, bytes) = file.ok_or_else(|| malformed("no file"))?;
    Ok(Upload {
        filename,
        content_type,
        bytes,
        description,
    })
}

/// Uploads a document to an application (`multipart/form-data` with a `file` part and an
/// optional `description`; staff, or the call's funder). The content must match its declared
/// type; the SHA-256 is computed and stored. Larger than `AGRUPA_DOCUMENT_MAX_BYTES` → 413.
#[utoipa::path(tag = "funding", params(("id" = Uuid, Path, description = "Application id")),
    request_body(content = DocumentUpload, content_type = "multipart/form-data"), responses(
    (status = 201, description = "Stored.", body = Document),
    (status = 400, description = "`malformed_multipart`.", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 403, description = "Not staff nor the call's funder.", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 413, description = "`document_too_large`.", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 415, description = "`unsupported_document_type`, or not multipart.", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 422, description = "`content_mismatch`, `validation_failed`.", body = crate::error::Problem, content_type = "application/problem+json")))]
#[post("/api/v1/applications/{id}/documents")]
pub async fn upload_document(
    req: HttpRequest,
    caller: Caller,
    id: web::Path<Uuid>,
    form: Multipart,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Action::write(Resource::Funding))?;
    let id = id.into_inner();
    {
        let mut conn = state.conn().await?;
        let (_, funder_id) = visible_application(&mut conn, &caller, id).await?;
        let funder = caller.role == Role::Partner && caller.funder_id == Some(funder_id);
        if !policy::runs_funding(caller.role) && !funder {
            return Err(ApiError::forbidden(
                "Only the cluster's staff and the call's funder add documents.",
            ));
        }
    }
    let upload = read_upload(&req, form, state.config.document_max_bytes).await?;
    let content_type = documents::check_content(&upload.content_type, &upload.bytes)?;
    let store = Store::configured(state.config.document_dir.as_deref());
    let size = i64::try_from(upload.bytes.len()).unwrap_or(i64::MAX);
    let row = DocumentRow {
        id: Uuid::now_v7(),
        application_id: id,
        filename: upload.filename,
        content_type: content_type.to_owned(),
        size_bytes: size,
        sha256: documents::sha256_hex(&upload.bytes),
        storage: store.name().to_owned(),
        description: upload.description,
        uploaded_by: caller.id(),
        created_at: Utc::now(),
    };
    let mut conn = state.conn().await?;
    let result = conn
        .transaction::<_, ApiError, _>(async |conn| {
            let row = repo::insert_document(conn, &row).await?;
            store.put(conn, row.id, &upload.bytes).await?;
            let doc = Document::from(row);
            audit::created(conn, &caller, "application_document", doc.id, &doc).await?;
            Ok(doc)
        })
        .await;
    let doc = match result {
        Ok(doc) => doc,
        Err(e) => {
            store.discard(row.id).await;
            return Err(e);
        }
    };
    Ok(HttpResponse::Created()
        .insert_header((
            header::LOCATION,
            format!("/api/v1/applications/{id}/documents/{}", doc.id),
        ))
        .json(doc))
}

/// One document's metadata.
#[utoipa::path(tag = "funding", params(("id" = Uuid, Path, description = "Application id"),
    ("document_id" = Uuid, Path, description = "Document id")), responses(
    (status = 200, description = "The document.", body = Document),
    (status = 304, description = "Not modified.")))]
#[get("/api/v1/applications/{id}/documents/{document_id}")]
pub async fn get_document(
    req: HttpRequest,
    caller: Caller,
    path: web::Path<(Uuid, Uuid)>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Action::read(Resource::Funding))?;
    let (id, document_id) = path.into_inner();
    let mut conn = state.conn().await?;
    visible_application(&mut conn, &caller, id).await?;
    let row = repo::find_document(&mut conn, id, document_id).await?;
    // A document never changes: its tag is constant.
    Ok(etag::respond(&req, 1, &Document::from(row)))
}

/// Downloads a document: its bytes with its content type, checked against the stored
/// SHA-256 (also sent as `Repr-Digest` and as the ETag).
#[utoipa::path(tag = "funding", params(("id" = Uuid, Path, description = "Application id"),
    ("document_id" = Uuid, Path, description = "Document id")), responses(
    (status = 200, description = "The file.", content_type = "application/octet-stream", body = Vec<u8>),
    (status = 304, description = "Not modified.")))]
#[get("/api/v1/applications/{id}/documents/{document_id}/content")]
pub async fn document_content(
    req: HttpRequest,
    caller: Caller,
    path: web::Path<(Uuid, Uuid)>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Action::read(Resource::Funding))?;
    let (id, document_id) = path.into_inner();
    let mut conn = state.conn().await?;
    visible_application(&mut conn, &caller, id).await?;
    let row = repo::find_document(&mut conn, id, document_id).await?;
    let tag = format!("\"{}\"", row.sha256);
    let fresh = req
        .headers()
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == tag || t.trim() == "*"));
    if fresh {
        return Ok(HttpResponse::NotModified()
            .insert_header((header::ETAG, tag))
            .finish());
    }
    let bytes = Store::get(&mut conn, state.config.document_dir.as_deref(), &row).await?;
    drop(conn);
    let digest = {
        use base64::Engine;
        use sha2::Digest;
        base64::engine::general_purpose::STANDARD.encode(sha2::Sha256::digest(&bytes))
    };
    let ascii: String = row
        .filename
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || ".-_ ".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect();
    let encoded: String = row
        .filename
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b".-_".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect();
    Ok(HttpResponse::Ok()
        .content_type(row.content_type.as_str())
        .insert_header((header::ETAG, tag))
        .insert_header(("Repr-Digest", format!("sha-256=:{digest}:")))
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"{ascii}\"; filename*=UTF-8''{encoded}"),
        ))
        .body(bytes))
}

// ---------------------------------------------------------------------------------------
// Deadlines

/// What is due in the next `within_days` days (default 30), by date: calls closing,
/// justifications of accepted grants, agreements' and instalments' justifications, and
/// agreements ending; only what the caller sees. With `Accept: text/csv`, one row each.
#[utoipa::path(tag = "funding", params(DeadlineQuery), responses(
    (status = 200, description = "The deadlines (or CSV).",
        content((Deadlines = "application/json"), (String = "text/csv"))),
    (status = 400, description = "`invalid_query`: `within_days` out of range.", body = crate::error::Problem, content_type = "application/problem+json")))]
#[get("/api/v1/deadlines")]
pub async fn deadlines(
    req: HttpRequest,
    caller: Caller,
    query: web::Query<DeadlineQuery>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Action::read(Resource::Funding))?;
    let days = query.within_days.unwrap_or(30);
    if !(0..=3660).contains(&days) {
        return Err(ApiError::bad_request(
            "invalid_query",
            "`within_days` must be between 0 and 3660.",
        )
        .with_errors(vec![crate::error::FieldError::new(
            "within_days",
            "out_of_range",
            "0..=3660",
        )]));
    }
    let from = calendar::today();
    let to = from
        .checked_add_days(Days::new(u64::try_from(days).unwrap_or_default()))
        .unwrap_or(from);
    let scope = scope(&caller);
    let mut items = Vec::new();
    let mut conn = state.conn().await?;
    collect_deadlines(&mut conn, scope, from, to, &mut items).await?;
    drop(conn);
    items.sort_by(|a: &Deadline, b: &Deadline| {
        (a.date, a.at, a.kind, &a.title).cmp(&(b.date, b.at, b.kind, &b.title))
    });
    if crate::http::csv::wants_csv(&req) {
        return Ok(crate::http::csv::attachment("deadlines.csv", &items));
    }
    Ok(HttpResponse::Ok().json(Deadlines { from, to, items }))
}

async fn collect_deadlines(
    conn: &mut AsyncPgConnection,
    scope: Scope,
    from: chrono::NaiveDate,
    to: chrono::NaiveDate,
    items: &mut Vec<Deadline>,
) -> Result<(), ApiError> {
    let funder = match scope {
        Scope::Funder(f) => Some(f),
        _ => None,
    };
    let now = Utc::now();
    let end = to
        .succ_opt()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .and_then(|d| d.and_local_timezone(chrono_tz::Europe::Madrid).earliest())
        .map_or(now, |d| d.to_utc());
    let mut q = calls::table
        .filter(calls::closes_at.ge(now).and(calls::closes_at.lt(end)))
        .select(CallRow::as_select())
        .into_boxed();
    if let Some(f) = funder {
        q = q.filter(calls::funder_id.eq(f));
    }
    for c in q.load(conn).await? {
        let at = calendar::local(c.closes_at);
        items.push(Deadline {
            date: at.date_naive(),
            at: Some(at),
            kind: DeadlineKind::CallCloses,
            resource_type: "call".into(),
            resource_id: c.id,
            title: c.title,
            url: format!("/api/v1/calls/{}", c.id),
        });
    }
    let mut q = applications::table
        .inner_join(calls::table)
        .filter(applications::status.eq(ApplicationStatus::Accepted))
        .filter(applications::justification_due_on.between(from, to))
        .select((
            applications::id,
            applications::title,
            applications::justification_due_on,
        ))
        .into_boxed();
    match scope {
        Scope::Funder(f) => q = q.filter(calls::funder_id.eq(f)),
        Scope::Member(m) => {
            q = q.filter(
                applications::lead_member_id
                    .eq(m)
                    .or(applications::id.eq_any(
                        application_participants::table
                            .filter(application_participants::member_id.eq(m))
                            .select(application_participants::application_id),
                    )),
            );
        }
        _ => {}
    }
    for (id, title, due) in q
        .load::<(Uuid, String, Option<chrono::NaiveDate>)>(conn)
        .await?
    {
        items.push(Deadline {
            date: due.unwrap_or(from),
            at: None,
            kind: DeadlineKind::ApplicationJustification,
            resource_type: "application".into(),
            resource_id: id,
            title,
            url: format!("/api/v1/applications/{id}"),
        });
    }
    if matches!(scope, Scope::Member(_)) {
        return Ok(());
    }
    let mut q = agreements::table
        .select(AgreementRow::as_select())
        .into_boxed();
    if let Some(f) = funder {
        q = q.filter(agreements::funder_id.eq(f));
    }
    q = q.filter(
        agreements::justification_due_on
            .between(from, to)
            .or(agreements::ends_on.between(from, to))
            .or(agreements::id.eq_any(
                agreement_instalments::table
                    .filter(agreement_instalments::justification_due_on.between(from, to))
                    .select(agreement_instalments::agreement_id),
            )),
    );
    let rows = q.load(conn).await?;
    let ids: Vec<Uuid> = rows.iter().map(|a| a.id).collect();
    let instalments = repo::instalments(conn, &ids).await?;
    let in_window = |d: Option<chrono::NaiveDate>| d.filter(|d| *d >= from && *d <= to);
    for a in &rows {
        let mut push = |date, kind, title: String| {
            items.push(Deadline {
                date,
                at: None,
                kind,
                resource_type: "agreement".into(),
                resource_id: a.id,
                title,
                url: format!("/api/v1/agreements/{}", a.id),
            });
        };
        if let Some(d) = in_window(a.justification_due_on) {
            push(d, DeadlineKind::AgreementJustification, a.title.clone());
        }
        if let Some(d) = in_window(Some(a.ends_on)) {
            push(d, DeadlineKind::AgreementEnds, a.title.clone());
        }
        for i in instalments.iter().filter(|i| i.agreement_id == a.id) {
            if let Some(d) = in_window(i.justification_due_on) {
                push(
                    d,
                    DeadlineKind::InstalmentJustification,
                    format!("{} ({})", a.title, i.fiscal_year),
                );
            }
        }
    }
    Ok(())
}
