//! Agreements (convenios): multi-year funding from an institution, in yearly instalments,
//! each naming the income line of its year's budget that receives it. Staff and the funder
//! see them; member representatives do not.

use std::collections::{HashMap, HashSet};

use actix_web::{HttpRequest, HttpResponse, get, patch, post, web};
use chrono::{DateTime, Datelike, NaiveDate, Utc};
use diesel_async::{AsyncConnection, AsyncPgConnection};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::{
    funders::{self, opt},
    model::{AgreementChanges, AgreementRow, InstalmentRow},
    repo,
    scope::{Scope, staff_only},
};
use crate::{
    AppState, audit,
    auth::{Action, Caller, Resource},
    budgets::model::{LineKind, LineLineage},
    domain::{AgreementId, BudgetLineId, Cents, FunderId, text},
    error::{ApiError, FieldErrors, not_found, on_unique},
    http::{
        csv::CsvRow,
        etag::{self, IfMatch, Precondition},
        json::Json,
        listing::{self, List},
        pagination::Page,
        patch::nullable,
    },
};

// ---------------------------------------------------------------------------------------
// Types

/// A yearly instalment of an agreement.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Instalment {
    /// Fiscal year (within the agreement's dates).
    #[schema(minimum = 1900, maximum = 2200, example = 2025)]
    pub fiscal_year: i32,
    /// Amount, euro cents.
    #[schema(minimum = 0, maximum = 1_000_000_000_000_000_i64)]
    pub amount_cents: Cents,
    /// When this instalment must be justified.
    pub justification_due_on: Option<NaiveDate>,
    /// The income line of that year's budget that receives it.
    pub budget_line_id: Option<BudgetLineId>,
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
    pub id: AgreementId,
    /// The funder.
    pub funder_id: FunderId,
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
    pub total_cents: Cents,
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
            r.total_cents.get().to_string(),
            opt(r.justification_due_on),
        ]
    }
}

/// A new agreement (staff, admins).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewAgreement {
    /// The funder.
    pub funder_id: FunderId,
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
    pub total_cents: Cents,
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
    pub total_cents: Option<Cents>,
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
    pub funder_id: Option<FunderId>,
    /// Page size (1–100, default 25).
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<i64>,
    /// Cursor from the previous page.
    #[param(max_length = 1000)]
    pub cursor: Option<String>,
}

// ---------------------------------------------------------------------------------------
// Handlers

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
    let scope = Scope::of(&caller);
    // Member representatives see no agreement.
    let funder = scope
        .funder_filter(query.funder_id)
        .filter(|_| !matches!(scope, Scope::Member(_)));
    let list = List {
        resource: "agreements",
        sort: "-starts_on",
        filename: "agreements.csv",
    };
    listing::from_db(
        &req,
        &state,
        list,
        query.limit,
        query.cursor.as_deref(),
        async move |conn, after, n| {
            let Some(funder) = funder else {
                return Ok(Vec::new());
            };
            let rows = repo::list_agreements(conn, funder, after, n).await?;
            views(conn, rows).await
        },
        |a: &AgreementView| (a.row.starts_on, a.row.id),
        Agreement::from,
    )
    .await
}

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
    let mut conn = state.conn().await?;
    let view = create(&mut conn, &caller, body.into_inner()).await?;
    Ok(etag::created(
        format!("/api/v1/agreements/{}", view.row.id),
        view.row.version,
        &Agreement::from(view),
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
    id: web::Path<AgreementId>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Action::read(Resource::Funding))?;
    let mut conn = state.conn().await?;
    let view = find(&mut conn, &caller, id.into_inner()).await?;
    Ok(etag::respond(
        &req,
        view.row.version,
        &Agreement::from(view),
    ))
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
    id: web::Path<AgreementId>,
    body: Json<AgreementPatch>,
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
    Ok(etag::updated(view.row.version, &Agreement::from(view)))
}

// ---------------------------------------------------------------------------------------
// Services

/// Agreements with their instalments.
async fn views(
    conn: &mut AsyncPgConnection,
    rows: Vec<AgreementRow>,
) -> Result<Vec<AgreementView>, ApiError> {
    let ids: Vec<AgreementId> = rows.iter().map(|a| a.id).collect();
    let mut by_agreement: HashMap<AgreementId, Vec<InstalmentRow>> = HashMap::new();
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

async fn view(conn: &mut AsyncPgConnection, row: AgreementRow) -> Result<AgreementView, ApiError> {
    views(conn, vec![row]).await?.pop().ok_or_else(not_found)
}

/// An agreement with its instalments, if the caller sees it (staff, its funder).
pub async fn find(
    conn: &mut AsyncPgConnection,
    caller: &Caller,
    id: AgreementId,
) -> Result<AgreementView, ApiError> {
    let row = repo::find_agreement(conn, id, false).await?;
    if !Scope::of(caller).sees_agreements_of(row.funder_id) {
        return Err(not_found());
    }
    view(conn, row).await
}

/// Checks an agreement's dates, total and instalments (one per year, inside the dates,
/// adding up to at most the total).
fn check_agreement_rules(errors: &mut FieldErrors, a: &AgreementRow, instalments: &[Instalment]) {
    let in_range = |errors: &mut FieldErrors, field: &str, value: Cents| {
        if !value.in_range(Cents::ZERO) {
            errors.add(field, "out_of_range", Cents::range_message(Cents::ZERO));
        }
    };
    if a.ends_on < a.starts_on {
        errors.add("ends_on", "before_start", "must not be before `starts_on`");
    }
    in_range(errors, "total_cents", a.total_cents);
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
        in_range(errors, &format!("{path}.amount_cents"), inst.amount_cents);
        sum += i128::from(inst.amount_cents.get());
    }
    if sum > i128::from(a.total_cents.get()) {
        errors.add(
            "instalments",
            "above_total",
            format!(
                "the instalments add up to {sum} cents, more than the total {}",
                a.total_cents.get()
            ),
        );
    }
}

/// The instalment rows of an agreement; 422 unless each instalment's line is an income
/// line of a budget of its year.
async fn instalment_rows(
    conn: &mut AsyncPgConnection,
    agreement_id: AgreementId,
    instalments: &[Instalment],
) -> Result<Vec<InstalmentRow>, ApiError> {
    let ids: Vec<BudgetLineId> = instalments
        .iter()
        .filter_map(|i| i.budget_line_id)
        .collect();
    let lines: HashMap<BudgetLineId, LineLineage> = crate::budgets::repo::line_lineages(conn, &ids)
        .await?
        .into_iter()
        .map(|l| (l.id, l))
        .collect();
    let mut errors = FieldErrors::default();
    for (i, inst) in instalments.iter().enumerate() {
        if let Some(line) = inst.budget_line_id
            && !lines
                .get(&line)
                .is_some_and(|l| l.kind == LineKind::Income && l.fiscal_year == inst.fiscal_year)
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

fn reference_taken(e: diesel::result::Error) -> ApiError {
    on_unique(
        e,
        "agreements_reference_key",
        "reference_taken",
        "Another agreement of this funder has this reference.",
    )
}

/// Adds an agreement with its instalments (staff, admins): 403, 409 `reference_taken`, 422.
pub async fn create(
    conn: &mut AsyncPgConnection,
    caller: &Caller,
    input: NewAgreement,
) -> Result<AgreementView, ApiError> {
    staff_only(caller)?;
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
        id: AgreementId::new(),
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
    conn.transaction(async |conn| {
        funders::check_exists(conn, row.funder_id).await?;
        let rows = instalment_rows(conn, row.id, &instalments).await?;
        let row = repo::insert_agreement(conn, &row)
            .await
            .map_err(reference_taken)?;
        repo::set_instalments(conn, row.id, &rows).await?;
        let view = view(conn, row).await?;
        let after = Agreement::from(view.clone());
        audit::created(conn, caller, "agreement", after.id.into(), &after).await?;
        Ok(view)
    })
    .await
}

/// Changes an agreement (staff, admins): 403, 404, 412, 409 `reference_taken`, 422; the
/// rules are checked on the agreement as it would be.
pub async fn update(
    conn: &mut AsyncPgConnection,
    caller: &Caller,
    id: AgreementId,
    precondition: Precondition,
    p: AgreementPatch,
) -> Result<AgreementView, ApiError> {
    staff_only(caller)?;
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
    // Amounts out of range need no database: refused before any lock or precondition.
    let amounts = p
        .total_cents
        .map(|t| ("total_cents".to_owned(), t))
        .into_iter()
        .chain(
            p.instalments
                .iter()
                .flatten()
                .enumerate()
                .map(|(i, inst)| (format!("instalments[{i}].amount_cents"), inst.amount_cents)),
        );
    for (field, value) in amounts {
        if !value.in_range(Cents::ZERO) {
            errors.add(&field, "out_of_range", Cents::range_message(Cents::ZERO));
        }
    }
    errors.finish()?;
    conn.transaction(async |conn| {
        // Writers (staff, admins) see every agreement: no visibility to decide first.
        let current = repo::find_agreement(conn, id, true).await?;
        precondition.check(current.version, IfMatch::Required)?;
        let before = Agreement::from(view(conn, current.clone()).await?);
        let mut merged = current;
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
            .map_err(reference_taken)?;
        let view = view(conn, row).await?;
        let after = Agreement::from(view.clone());
        audit::updated(conn, caller, "agreement", id.into(), &before, &after).await?;
        Ok(view)
    })
    .await
}
