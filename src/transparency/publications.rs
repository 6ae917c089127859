//! `/api/v1/transparency-publications`: staff and admins publish a fiscal year on the public
//! feed, and withdraw it; auditors read. Each publish and withdrawal is audited (who, when),
//! and the row says who published and when.

use actix_web::{HttpRequest, HttpResponse, delete, get, post, web};
use chrono::{DateTime, Utc};
use diesel_async::{AsyncConnection, AsyncPgConnection};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use super::{model::PublicationRow, repo};
use crate::{
    AppState, audit,
    auth::{Action, Caller, Resource},
    error::{ApiError, FieldErrors, not_found},
    http::{
        etag::{self, IfMatch, Precondition},
        json::Json,
        listing::{self, List},
        pagination::{Page, PageQuery},
    },
    reports::transparency::check_year,
};

/// A fiscal year published on the public transparency feed.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Publication {
    /// Names this publication in the audit trail (a new one each time the year is
    /// published).
    pub id: Uuid,
    /// The fiscal year; its data is served at `/public/v1/transparency/{year}`.
    pub fiscal_year: i32,
    /// A note shown on the public feed.
    pub note: Option<String>,
    /// The user who published it (`null` if that user was deleted).
    pub published_by: Option<Uuid>,
    /// When it was published.
    pub published_at: DateTime<Utc>,
    /// Same as `published_at`.
    pub created_at: DateTime<Utc>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
}

impl From<PublicationRow> for Publication {
    fn from(r: PublicationRow) -> Self {
        Self {
            id: r.id,
            fiscal_year: r.fiscal_year,
            note: r.note,
            published_by: r.published_by,
            published_at: r.published_at,
            created_at: r.created_at,
            updated_at: r.updated_at,
        }
    }
}

/// Publishing a year.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewPublication {
    /// The fiscal year (2000–2100).
    pub fiscal_year: i32,
    /// A note shown on the public feed (1–2,000 characters).
    #[schema(min_length = 1, max_length = 2000)]
    pub note: Option<String>,
}

fn path(year: i32) -> String {
    format!("/api/v1/transparency-publications/{year}")
}

/// Publishes a year (staff, admins): 422 for a year out of range or a bad note, 409
/// `already_published`.
pub async fn publish(
    conn: &mut AsyncPgConnection,
    caller: &Caller,
    new: NewPublication,
) -> Result<PublicationRow, ApiError> {
    caller.require(Action::write(Resource::Reports))?;
    let year = check_year(new.fiscal_year).map_err(|_| {
        FieldErrors::one(
            "fiscal_year",
            "out_of_range",
            "The year must be between 2000 and 2100.",
        )
    })?;
    let note = new.note.map(|n| n.trim().to_owned());
    if let Some(n) = &note
        && (n.is_empty() || n.chars().count() > 2000)
    {
        return Err(FieldErrors::one(
            "note",
            "invalid",
            "The note must have 1 to 2,000 characters.",
        ));
    }
    conn.transaction(async |conn| {
        if repo::find(conn, year, true).await?.is_some() {
            return Err(ApiError::conflict(
                "already_published",
                format!("The fiscal year {year} is already published."),
            ));
        }
        let now = Utc::now();
        let row = PublicationRow {
            fiscal_year: year,
            id: Uuid::now_v7(),
            note,
            published_by: caller.user_id(),
            published_at: now,
            version: 1,
            created_at: now,
            updated_at: now,
        };
        let row = repo::insert(conn, &row).await?;
        let after = Publication::from(row.clone());
        audit::created(conn, caller, "transparency_publication", row.id, &after).await?;
        Ok(row)
    })
    .await
}

/// Withdraws a year (staff, admins): 404 when it is not published, 412 on a stale
/// `If-Match`. The public feed answers 404 for it from then on.
pub async fn withdraw(
    conn: &mut AsyncPgConnection,
    caller: &Caller,
    year: i32,
    precondition: Precondition,
) -> Result<(), ApiError> {
    caller.require(Action::write(Resource::Reports))?;
    conn.transaction(async |conn| {
        let row = repo::find(conn, year, true).await?.ok_or_else(not_found)?;
        precondition.check(row.version, IfMatch::Optional)?;
        repo::delete(conn, year).await?;
        let before = Publication::from(row.clone());
        audit::deleted(conn, caller, "transparency_publication", row.id, &before).await?;
        Ok(())
    })
    .await
}

/// Publishes a fiscal year on the public transparency feed (staff, admins). Publishing does
/// not require the year to be obliged: a cluster may publish voluntarily.
#[utoipa::path(tag = "transparency", request_body = NewPublication, responses(
    (status = 201, description = "Published.", body = Publication),
    (status = 409, description = "`already_published`.", body = crate::error::Problem, content_type = "application/problem+json")))]
#[post("/api/v1/transparency-publications")]
pub async fn create_transparency_publication(
    caller: Caller,
    body: Json<NewPublication>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let row = publish(&mut *state.conn().await?, &caller, body.into_inner()).await?;
    let location = path(row.fiscal_year);
    let version = row.version;
    Ok(etag::created(location, version, &Publication::from(row)))
}

/// The published years, newest first (staff, admins, auditors), or CSV.
#[utoipa::path(tag = "transparency", params(PageQuery), responses(
    (status = 200, description = "A page of publications (or CSV).",
        content((Page<Publication> = "application/json"), (String = "text/csv")))))]
#[get("/api/v1/transparency-publications")]
pub async fn list_transparency_publications(
    req: HttpRequest,
    caller: Caller,
    query: web::Query<PageQuery>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Action::read(Resource::Reports))?;
    let list = List {
        resource: "transparency_publications",
        sort: "-fiscal_year",
        filename: "transparency-publications.csv",
    };
    listing::from_db(
        &req,
        &state,
        list,
        query.limit,
        query.cursor.as_deref(),
        async move |conn, after, n| Ok(repo::list(conn, after, n).await?),
        |r: &PublicationRow| r.fiscal_year,
        Publication::from,
    )
    .await
}

/// One published year (staff, admins, auditors): 404 when it is not published.
#[utoipa::path(tag = "transparency",
    params(("year" = i32, Path, description = "Fiscal year")),
    responses((status = 200, description = "The publication.", body = Publication)))]
#[get("/api/v1/transparency-publications/{year}")]
pub async fn get_transparency_publication(
    req: HttpRequest,
    caller: Caller,
    year: web::Path<i32>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Action::read(Resource::Reports))?;
    let row = repo::find(&mut *state.conn().await?, year.into_inner(), false)
        .await?
        .ok_or_else(not_found)?;
    let version = row.version;
    Ok(etag::respond(&req, version, &Publication::from(row)))
}

/// Withdraws a published year from the public feed (staff, admins); `If-Match` honoured.
#[utoipa::path(tag = "transparency",
    params(("year" = i32, Path, description = "Fiscal year"),
        ("If-Match" = Option<String>, Header, description = "ETag from a GET")),
    responses((status = 204, description = "Withdrawn.")))]
#[delete("/api/v1/transparency-publications/{year}")]
pub async fn delete_transparency_publication(
    req: HttpRequest,
    caller: Caller,
    year: web::Path<i32>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let precondition = Precondition::from_request(&req);
    withdraw(
        &mut *state.conn().await?,
        &caller,
        year.into_inner(),
        precondition,
    )
    .await?;
    Ok(HttpResponse::NoContent().finish())
}
