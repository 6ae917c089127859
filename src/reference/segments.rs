//! The segments of the audiovisual value chain (desarrollo, producción, posproducción y
//! VFX …), in chain order; members belong to any number of them.

use actix_web::{HttpRequest, HttpResponse, delete, get, patch, post, web};
use chrono::{DateTime, Utc};
use diesel_async::{AsyncConnection, AsyncPgConnection};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{
    in_use,
    model::{SegmentChanges, SegmentRow, check_code},
    repo,
};
use crate::{
    AppState, audit,
    auth::{Action, Caller, Resource},
    domain::{SegmentId, text},
    error::{ApiError, FieldErrors, on_unique},
    http::{
        csv::CsvRow,
        etag::{self, IfMatch, Precondition},
        json::Json,
        listing::{self, List},
        pagination::{Page, PageQuery},
        patch::nullable,
    },
};

/// The audit log's name for segments.
const RESOURCE: &str = "segment";

/// A segment of the value chain (desarrollo, producción, posproducción y VFX …).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Segment {
    /// Id.
    pub id: SegmentId,
    /// Stable code.
    #[schema(example = "postproduction_vfx")]
    pub code: String,
    /// Name.
    #[schema(example = "Posproducción y VFX")]
    pub name: String,
    /// Description.
    pub description: Option<String>,
    /// Order in the value chain.
    pub position: i32,
    /// Creation.
    pub created_at: DateTime<Utc>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
}

impl From<SegmentRow> for Segment {
    fn from(r: SegmentRow) -> Self {
        Self {
            id: r.id,
            code: r.code,
            name: r.name,
            description: r.description,
            position: r.position,
            created_at: r.created_at,
            updated_at: r.updated_at,
        }
    }
}

impl CsvRow for SegmentRow {
    fn header() -> &'static [&'static str] {
        &["id", "code", "name", "description", "position"]
    }

    fn cells(&self) -> Vec<String> {
        vec![
            self.id.to_string(),
            self.code.clone(),
            self.name.clone(),
            self.description.clone().unwrap_or_default(),
            self.position.to_string(),
        ]
    }
}

/// A new segment (admins).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewSegment {
    /// Stable code (a-z 0-9 _ -).
    #[schema(pattern = "^[a-z0-9][a-z0-9_-]{0,49}$", max_length = 50)]
    pub code: String,
    /// Name (1–100 characters, unique).
    #[schema(min_length = 1, max_length = 100)]
    pub name: String,
    /// Description.
    #[schema(max_length = 2000)]
    pub description: Option<String>,
    /// Order in the value chain (default 0).
    pub position: Option<i32>,
}

/// Changes to a segment (admins; the code never changes).
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SegmentPatch {
    /// Name.
    #[schema(min_length = 1, max_length = 100)]
    pub name: Option<String>,
    /// Description; `null` clears.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>, nullable, max_length = 2000)]
    pub description: Option<Option<String>>,
    /// Position.
    pub position: Option<i32>,
}

/// Validates what a patch (or a creation) sets.
fn check_patch(errors: &mut FieldErrors, p: &SegmentPatch) -> SegmentChanges {
    SegmentChanges {
        name: p
            .name
            .as_deref()
            .and_then(|n| errors.check("name", text::name(n, 100))),
        description: p
            .description
            .as_ref()
            .and_then(|d| errors.check("description", text::optional(d.as_deref(), 2000))),
        position: p.position,
    }
}

/// Creates a segment (admins): 403, 422, 409 `segment_taken` (code or name).
pub async fn create(
    conn: &mut AsyncPgConnection,
    caller: &Caller,
    input: NewSegment,
) -> Result<SegmentRow, ApiError> {
    caller.require(Action::write(Resource::Reference))?;
    let mut errors = FieldErrors::default();
    let code = errors.check("code", check_code(&input.code));
    let patch = SegmentPatch {
        name: Some(input.name),
        description: Some(input.description),
        position: input.position,
    };
    let c = check_patch(&mut errors, &patch);
    let (code, name) = errors.finish_with(code.zip(c.name))?;
    let now = Utc::now();
    let row = SegmentRow {
        id: SegmentId::new(),
        code,
        name,
        description: c.description.flatten(),
        position: c.position.unwrap_or(0),
        version: 1,
        created_at: now,
        updated_at: now,
    };
    conn.transaction(async |conn| {
        let row = repo::insert_segment(conn, &row)
            .await
            .map_err(|e| match e {
                diesel::result::Error::DatabaseError(
                    diesel::result::DatabaseErrorKind::UniqueViolation,
                    _,
                ) => {
                    ApiError::conflict("segment_taken", "A segment with this code or name exists.")
                }
                other => other.into(),
            })?;
        let after = Segment::from(row.clone());
        audit::created(conn, caller, RESOURCE, row.id.uuid(), &after).await?;
        Ok(row)
    })
    .await
}

/// Changes a segment (admins): 403, 422, 404, 412, 409 `segment_taken`.
pub async fn update(
    conn: &mut AsyncPgConnection,
    caller: &Caller,
    id: SegmentId,
    precondition: Precondition,
    patch: SegmentPatch,
) -> Result<SegmentRow, ApiError> {
    caller.require(Action::write(Resource::Reference))?;
    let mut errors = FieldErrors::default();
    let changes = check_patch(&mut errors, &patch);
    errors.finish()?;
    conn.transaction(async |conn| {
        let current = repo::find_segment(conn, id, true).await?;
        precondition.check(current.version, IfMatch::Optional)?;
        let updated = repo::update_segment(conn, id, &changes)
            .await
            .map_err(|e| {
                on_unique(
                    e,
                    "segments_name_key",
                    "segment_taken",
                    "A segment with this name exists.",
                )
            })?;
        let (before, after) = (Segment::from(current), Segment::from(updated.clone()));
        audit::updated(conn, caller, RESOURCE, id.uuid(), &before, &after).await?;
        Ok(updated)
    })
    .await
}

/// Deletes a segment no member uses (admins): 403, 404, 409 `segment_in_use`.
pub async fn delete(
    conn: &mut AsyncPgConnection,
    caller: &Caller,
    id: SegmentId,
) -> Result<(), ApiError> {
    caller.require(Action::write(Resource::Reference))?;
    conn.transaction(async |conn| {
        let current = Segment::from(repo::find_segment(conn, id, true).await?);
        repo::delete_segment(conn, id)
            .await
            .map_err(|e| in_use(e, RESOURCE))?;
        audit::deleted(conn, caller, RESOURCE, id.uuid(), &current).await
    })
    .await
}

/// Value-chain segments, in chain order.
#[utoipa::path(tag = "reference", params(PageQuery),
    responses((status = 200, description = "A page of segments (or CSV).",
        content((Page<Segment> = "application/json"), (String = "text/csv")))))]
#[get("/api/v1/segments")]
pub async fn list_segments(
    req: HttpRequest,
    caller: Caller,
    query: web::Query<PageQuery>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Action::read(Resource::Reference))?;
    let list = List {
        resource: "segments",
        sort: "position",
        filename: "segments.csv",
    };
    listing::from_db(
        &req,
        &state,
        list,
        query.limit,
        query.cursor.as_deref(),
        async |conn, after, n| Ok(repo::list_segments(conn, after, n).await?),
        |r: &SegmentRow| (r.position, r.code.clone()),
        Segment::from,
    )
    .await
}

/// Creates a segment (admins).
#[utoipa::path(tag = "reference", request_body = NewSegment, responses(
    (status = 201, description = "Created.", body = Segment),
    (status = 409, description = "`segment_taken` (code or name).", body = crate::error::Problem, content_type = "application/problem+json")))]
#[post("/api/v1/segments")]
pub async fn create_segment(
    caller: Caller,
    body: Json<NewSegment>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let mut conn = state.conn().await?;
    let row = create(&mut conn, &caller, body.into_inner()).await?;
    Ok(etag::created(
        format!("/api/v1/segments/{}", row.id),
        row.version,
        &Segment::from(row),
    ))
}

/// One segment.
#[utoipa::path(tag = "reference", params(("id" = Uuid, Path, description = "Segment id")), responses(
    (status = 200, description = "The segment.", body = Segment),
    (status = 304, description = "Not modified.")))]
#[get("/api/v1/segments/{id}")]
pub async fn get_segment(
    req: HttpRequest,
    caller: Caller,
    id: web::Path<SegmentId>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Action::read(Resource::Reference))?;
    let mut conn = state.conn().await?;
    let row = repo::find_segment(&mut conn, id.into_inner(), false).await?;
    Ok(etag::respond(&req, row.version, &Segment::from(row)))
}

/// Changes a segment's name, description or position (admins).
#[utoipa::path(tag = "reference", params(("id" = Uuid, Path, description = "Segment id"),
    ("If-Match" = Option<String>, Header, description = "ETag from a GET")),
    request_body = SegmentPatch, responses(
    (status = 200, description = "Changed.", body = Segment),
    (status = 409, description = "`segment_taken`.", body = crate::error::Problem, content_type = "application/problem+json")))]
#[patch("/api/v1/segments/{id}")]
pub async fn update_segment(
    req: HttpRequest,
    caller: Caller,
    id: web::Path<SegmentId>,
    body: Json<SegmentPatch>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
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
    Ok(etag::updated(row.version, &Segment::from(row)))
}

/// Deletes a segment no member uses (admins).
#[utoipa::path(tag = "reference", params(("id" = Uuid, Path, description = "Segment id")), responses(
    (status = 204, description = "Deleted."),
    (status = 409, description = "`segment_in_use`.", body = crate::error::Problem, content_type = "application/problem+json")))]
#[delete("/api/v1/segments/{id}")]
pub async fn delete_segment(
    caller: Caller,
    id: web::Path<SegmentId>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let mut conn = state.conn().await?;
    delete(&mut conn, &caller, id.into_inner()).await?;
    Ok(HttpResponse::NoContent().finish())
}
