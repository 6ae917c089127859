//! HTTP handlers of the reference data (read by everyone signed in, changed by admins).

use actix_web::{HttpRequest, HttpResponse, delete, get, patch, post, web};
use diesel_async::AsyncConnection;
use uuid::Uuid;

use super::{
    dto::{Category, CategoryPatch, NewCategory, NewSegment, Segment, SegmentPatch},
    model::{CategoryChanges, CategoryRow, SegmentChanges, SegmentRow, check_code},
    repo,
};
use crate::http::json::Json;
use crate::{
    AppState, audit,
    auth::{Action, Caller, Resource},
    domain::text,
    error::{ApiError, FieldErrors, on_unique},
    http::{
        etag::{self, IfMatch, Precondition},
        listing::{self, List},
        pagination::{Page, PageQuery},
    },
};

fn check_fee(errors: &mut FieldErrors, fee: Option<i64>) {
    if fee.is_some_and(|f| f < 0) {
        errors.add("annual_fee_cents", "out_of_range", "must be 0 or more");
    }
}

fn check_weight(errors: &mut FieldErrors, weight: Option<i32>) {
    if weight.is_some_and(|w| !(0..=1000).contains(&w)) {
        errors.add(
            "voting_weight",
            "out_of_range",
            "must be between 0 and 1000",
        );
    }
}

fn in_use(err: diesel::result::Error, what: &str) -> ApiError {
    match err {
        diesel::result::Error::DatabaseError(
            diesel::result::DatabaseErrorKind::ForeignKeyViolation,
            _,
        ) => ApiError::conflict(
            format!("{what}_in_use"),
            format!("Members still use this {what}; change them first."),
        ),
        other => other.into(),
    }
}

/// Member categories, by name.
#[utoipa::path(tag = "reference", params(PageQuery),
    responses((status = 200, description = "A page of categories (or CSV).",
        content((Page<Category> = "application/json"), (String = "text/csv")))))]
#[get("/api/v1/member-categories")]
pub async fn list_categories(
    req: HttpRequest,
    caller: Caller,
    query: web::Query<PageQuery>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Action::read(Resource::Reference))?;
    let db = state.clone();
    let fetch = move |after, n| {
        let db = db.clone();
        async move {
            let mut conn = db.conn().await?;
            Ok(repo::list_categories(&mut conn, after, n).await?)
        }
    };
    let list = List {
        resource: "member_categories",
        sort: "name",
        filename: "member-categories.csv",
    };
    let key_of = |r: &CategoryRow| r.name.clone();
    listing::respond(
        &req,
        &state,
        list,
        query.limit,
        query.cursor.as_deref(),
        fetch,
        key_of,
        Category::from,
    )
    .await
}

/// Creates a category (admins).
#[utoipa::path(tag = "reference", request_body = NewCategory, responses(
    (status = 201, description = "Created.", body = Category),
    (status = 409, description = "`category_name_taken`.", body = crate::error::Problem, content_type = "application/problem+json")))]
#[post("/api/v1/member-categories")]
pub async fn create_category(
    caller: Caller,
    body: Json<NewCategory>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Action::write(Resource::Reference))?;
    let input = body.into_inner();
    let mut errors = FieldErrors::default();
    let name = errors.check("name", text::name(&input.name, 100));
    let description = errors.check(
        "description",
        text::optional(input.description.as_deref(), 2000),
    );
    check_fee(&mut errors, Some(input.annual_fee_cents));
    check_weight(&mut errors, input.voting_weight);
    let (name, description) = errors.finish_with(name.zip(description))?;
    let now = chrono::Utc::now();
    let row = CategoryRow {
        id: Uuid::now_v7(),
        name,
        description,
        annual_fee_cents: input.annual_fee_cents,
        voting_weight: input.voting_weight.unwrap_or(1),
        full_member: input.full_member.unwrap_or(true),
        version: 1,
        created_at: now,
        updated_at: now,
    };
    let mut conn = state.conn().await?;
    let row = conn
        .transaction::<_, ApiError, _>(async |conn| {
            let row = repo::insert_category(conn, &row).await.map_err(|e| {
                on_unique(
                    e,
                    "member_categories_name_key",
                    "category_name_taken",
                    "A category with this name exists.",
                )
            })?;
            let after = Category::from(row.clone());
            audit::created(conn, &caller, "member_category", row.id, &after).await?;
            Ok(row)
        })
        .await?;
    Ok(etag::created(
        format!("/api/v1/member-categories/{}", row.id),
        row.version,
        &Category::from(row),
    ))
}

/// One category.
#[utoipa::path(tag = "reference", params(("id" = Uuid, Path, description = "Category id")), responses(
    (status = 200, description = "The category.", body = Category),
    (status = 304, description = "Not modified.")))]
#[get("/api/v1/member-categories/{id}")]
pub async fn get_category(
    req: HttpRequest,
    caller: Caller,
    id: web::Path<Uuid>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Action::read(Resource::Reference))?;
    let mut conn = state.conn().await?;
    let row = repo::find_category(&mut conn, id.into_inner(), false).await?;
    Ok(etag::respond(&req, row.version, &Category::from(row)))
}

/// Changes a category (admins). Dues already issued keep their amount.
#[utoipa::path(tag = "reference", params(("id" = Uuid, Path, description = "Category id"),
    ("If-Match" = Option<String>, Header, description = "ETag from a GET")),
    request_body = CategoryPatch, responses(
    (status = 200, description = "Changed.", body = Category),
    (status = 409, description = "`category_name_taken`.", body = crate::error::Problem, content_type = "application/problem+json")))]
#[patch("/api/v1/member-categories/{id}")]
pub async fn update_category(
    req: HttpRequest,
    caller: Caller,
    id: web::Path<Uuid>,
    body: Json<CategoryPatch>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Action::write(Resource::Reference))?;
    let precondition = Precondition::from_request(&req);
    let patch = body.into_inner();
    let mut errors = FieldErrors::default();
    let name = patch
        .name
        .as_deref()
        .and_then(|n| errors.check("name", text::name(n, 100)));
    let description = match &patch.description {
        Some(d) => errors.check("description", text::optional(d.as_deref(), 2000)),
        None => None,
    };
    check_fee(&mut errors, patch.annual_fee_cents);
    check_weight(&mut errors, patch.voting_weight);
    errors.finish()?;
    let changes = CategoryChanges {
        name,
        description,
        annual_fee_cents: patch.annual_fee_cents,
        voting_weight: patch.voting_weight,
        full_member: patch.full_member,
    };
    let id = id.into_inner();
    let mut conn = state.conn().await?;
    let row = conn
        .transaction::<_, ApiError, _>(async |conn| {
            let current = repo::find_category(conn, id, true).await?;
            precondition.check(current.version, IfMatch::Optional)?;
            let updated = repo::update_category(conn, id, &changes)
                .await
                .map_err(|e| {
                    on_unique(
                        e,
                        "member_categories_name_key",
                        "category_name_taken",
                        "A category with this name exists.",
                    )
                })?;
            let (before, after) = (Category::from(current), Category::from(updated.clone()));
            audit::updated(conn, &caller, "member_category", id, &before, &after).await?;
            Ok(updated)
        })
        .await?;
    Ok(etag::updated(row.version, &Category::from(row)))
}

/// Deletes a category no member uses (admins).
#[utoipa::path(tag = "reference", params(("id" = Uuid, Path, description = "Category id")), responses(
    (status = 204, description = "Deleted."),
    (status = 409, description = "`member_category_in_use`.", body = crate::error::Problem, content_type = "application/problem+json")))]
#[delete("/api/v1/member-categories/{id}")]
pub async fn delete_category(
    caller: Caller,
    id: web::Path<Uuid>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Action::write(Resource::Reference))?;
    let id = id.into_inner();
    let mut conn = state.conn().await?;
    conn.transaction::<_, ApiError, _>(async |conn| {
        let current = Category::from(repo::find_category(conn, id, true).await?);
        repo::delete_category(conn, id)
            .await
            .map_err(|e| in_use(e, "member_category"))?;
        audit::deleted(conn, &caller, "member_category", id, &current).await
    })
    .await?;
    Ok(HttpResponse::NoContent().finish())
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
    let db = state.clone();
    let fetch = move |after, n| {
        let db = db.clone();
        async move {
            let mut conn = db.conn().await?;
            Ok(repo::list_segments(&mut conn, after, n).await?)
        }
    };
    let list = List {
        resource: "segments",
        sort: "position",
        filename: "segments.csv",
    };
    let key_of = |r: &SegmentRow| (r.position, r.code.clone());
    listing::respond(
        &req,
        &state,
        list,
        query.limit,
        query.cursor.as_deref(),
        fetch,
        key_of,
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
    caller.require(Action::write(Resource::Reference))?;
    let input = body.into_inner();
    let mut errors = FieldErrors::default();
    let code = errors.check("code", check_code(&input.code));
    let name = errors.check("name", text::name(&input.name, 100));
    let description = errors.check(
        "description",
        text::optional(input.description.as_deref(), 2000),
    );
    let ((code, name), description) = errors.finish_with(code.zip(name).zip(description))?;
    let now = chrono::Utc::now();
    let row = SegmentRow {
        id: Uuid::now_v7(),
        code,
        name,
        description,
        position: input.position.unwrap_or(0),
        version: 1,
        created_at: now,
        updated_at: now,
    };
    let mut conn = state.conn().await?;
    let row = conn
        .transaction::<_, ApiError, _>(async |conn| {
            let row = repo::insert_segment(conn, &row)
                .await
                .map_err(|e| match e {
                    diesel::result::Error::DatabaseError(
                        diesel::result::DatabaseErrorKind::UniqueViolation,
                        _,
                    ) => ApiError::conflict(
                        "segment_taken",
                        "A segment with this code or name exists.",
                    ),
                    other => other.into(),
                })?;
            let after = Segment::from(row.clone());
            audit::created(conn, &caller, "segment", row.id, &after).await?;
            Ok(row)
        })
        .await?;
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
    id: web::Path<Uuid>,
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
    id: web::Path<Uuid>,
    body: Json<SegmentPatch>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Action::write(Resource::Reference))?;
    let precondition = Precondition::from_request(&req);
    let patch = body.into_inner();
    let mut errors = FieldErrors::default();
    let name = patch
        .name
        .as_deref()
        .and_then(|n| errors.check("name", text::name(n, 100)));
    let description = match &patch.description {
        Some(d) => errors.check("description", text::optional(d.as_deref(), 2000)),
        None => None,
    };
    errors.finish()?;
    let changes = SegmentChanges {
        name,
        description,
        position: patch.position,
    };
    let id = id.into_inner();
    let mut conn = state.conn().await?;
    let row = conn
        .transaction::<_, ApiError, _>(async |conn| {
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
            audit::updated(conn, &caller, "segment", id, &before, &after).await?;
            Ok(updated)
        })
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
    id: web::Path<Uuid>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Action::write(Resource::Reference))?;
    let id = id.into_inner();
    let mut conn = state.conn().await?;
    conn.transaction::<_, ApiError, _>(async |conn| {
        let current = Segment::from(repo::find_segment(conn, id, true).await?);
        repo::delete_segment(conn, id)
            .await
            .map_err(|e| in_use(e, "segment"))?;
        audit::deleted(conn, &caller, "segment", id, &current).await
    })
    .await?;
    Ok(HttpResponse::NoContent().finish())
}
