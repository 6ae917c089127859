//! Funders: the institutions that publish calls and sign agreements (a ministry, a regional
//! government, a city council, the EU, a private funder). Everyone signed in reads them;
//! the cluster's staff change them.

use actix_web::{HttpRequest, HttpResponse, get, patch, post, web};
use chrono::{DateTime, Utc};
use diesel::OptionalExtension;
use diesel_async::{AsyncConnection, AsyncPgConnection};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{
    model::{FunderChanges, FunderKind, FunderRow},
    repo,
    scope::staff_only,
};
use crate::{
    AppState, audit,
    auth::{Action, Caller, Resource},
    domain::{FunderId, tax_id::TaxId, text},
    error::{ApiError, FieldErrors, on_unique},
    http::{
        csv::CsvRow,
        etag::{self, IfMatch, Precondition},
        json::Json,
        listing::{self, List},
        pagination::{Page, PageQuery},
        patch::nullable,
    },
    members::model::check_website,
};

/// The empty cell of an absent value.
pub(super) fn opt<T: ToString>(v: Option<T>) -> String {
    v.map(|v| v.to_string()).unwrap_or_default()
}

/// A funder: a ministry, a regional government, a city council, the EU, a private funder.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Funder {
    /// Id.
    pub id: FunderId,
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
    let mut conn = state.conn().await?;
    let row = create(&mut conn, &caller, body.into_inner()).await?;
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
    id: web::Path<FunderId>,
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
    id: web::Path<FunderId>,
    body: Json<FunderPatch>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Action::write(Resource::Funding))?;
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
    Ok(etag::updated(row.version, &Funder::from(row)))
}

/// A Spanish NIF/CIF, or an EU VAT number.
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

fn funder_unique(e: diesel::result::Error) -> ApiError {
    use diesel::result::{DatabaseErrorKind as K, Error as E};
    if let E::DatabaseError(K::UniqueViolation, info) = &e
        && info.constraint_name() == Some("funders_tax_id_key")
    {
        return ApiError::conflict("tax_id_taken", "Another funder has this tax id.");
    }
    on_unique(
        e,
        "funders_name_key",
        "name_taken",
        "Another funder has this name.",
    )
}

/// 422 unless the funder exists (a call or an agreement names it).
pub(super) async fn check_exists(
    conn: &mut AsyncPgConnection,
    id: FunderId,
) -> Result<(), ApiError> {
    if repo::find_funder(conn, id, false)
        .await
        .optional()?
        .is_none()
    {
        return Err(FieldErrors::one("funder_id", "unknown", "no such funder"));
    }
    Ok(())
}

/// Adds a funder (staff, admins): 403, 409 `name_taken`, `tax_id_taken`, 422.
pub async fn create(
    conn: &mut AsyncPgConnection,
    caller: &Caller,
    input: NewFunder,
) -> Result<FunderRow, ApiError> {
    staff_only(caller)?;
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
        id: FunderId::new(),
        name,
        kind: input.kind,
        tax_id,
        website,
        version: 1,
        created_at: now,
        updated_at: now,
    };
    conn.transaction(async |conn| {
        let row = repo::insert_funder(conn, &row)
            .await
            .map_err(funder_unique)?;
        let after = Funder::from(row.clone());
        audit::created(conn, caller, "funder", row.id.into(), &after).await?;
        Ok(row)
    })
    .await
}

/// Changes a funder (staff, admins): 403, 404, 412, 409 `name_taken`, `tax_id_taken`, 422.
pub async fn update(
    conn: &mut AsyncPgConnection,
    caller: &Caller,
    id: FunderId,
    precondition: Precondition,
    patch: FunderPatch,
) -> Result<FunderRow, ApiError> {
    staff_only(caller)?;
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
    conn.transaction(async |conn| {
        // Everyone sees every funder: no visibility to decide before the lock.
        let current = repo::find_funder(conn, id, true).await?;
        precondition.check(current.version, IfMatch::Required)?;
        let row = repo::update_funder(conn, id, &changes)
            .await
            .map_err(funder_unique)?;
        let (before, after) = (Funder::from(current), Funder::from(row.clone()));
        audit::updated(conn, caller, "funder", id.into(), &before, &after).await?;
        Ok(row)
    })
    .await
}
