//! Member categories (tipo de socio): each with its yearly fee, its votes in the General
//! Assembly, and whether it is a full membership.

use actix_web::{HttpRequest, HttpResponse, delete, get, patch, post, web};
use chrono::{DateTime, Utc};
use diesel_async::{AsyncConnection, AsyncPgConnection};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{
    in_use,
    model::{CategoryChanges, CategoryRow},
    repo,
};
use crate::{
    AppState, audit,
    auth::{Action, Caller, Resource},
    domain::{Cents, MemberCategoryId, text},
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

/// The audit log's name for categories.
const RESOURCE: &str = "member_category";

/// A member category (tipo de socio): its fee, its votes, whether it is a full membership.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Category {
    /// Id.
    pub id: MemberCategoryId,
    /// Name.
    #[schema(example = "Socio de número")]
    pub name: String,
    /// Description.
    pub description: Option<String>,
    /// Yearly membership fee, in euro cents.
    #[schema(example = 120000)]
    pub annual_fee_cents: Cents,
    /// Votes in the General Assembly.
    #[schema(example = 1)]
    pub voting_weight: i32,
    /// Whether it counts as full membership (quorum, critical mass).
    pub full_member: bool,
    /// Creation.
    pub created_at: DateTime<Utc>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
}

impl From<CategoryRow> for Category {
    fn from(r: CategoryRow) -> Self {
        Self {
            id: r.id,
            name: r.name,
            description: r.description,
            annual_fee_cents: r.annual_fee_cents,
            voting_weight: r.voting_weight,
            full_member: r.full_member,
            created_at: r.created_at,
            updated_at: r.updated_at,
        }
    }
}

impl CsvRow for CategoryRow {
    fn header() -> &'static [&'static str] {
        &[
            "id",
            "name",
            "description",
            "annual_fee_cents",
            "voting_weight",
            "full_member",
        ]
    }

    fn cells(&self) -> Vec<String> {
        vec![
            self.id.to_string(),
            self.name.clone(),
            self.description.clone().unwrap_or_default(),
            self.annual_fee_cents.get().to_string(),
            self.voting_weight.to_string(),
            self.full_member.to_string(),
        ]
    }
}

/// A new category (admins).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewCategory {
    /// Name (1–100 characters, unique).
    #[schema(min_length = 1, max_length = 100)]
    pub name: String,
    /// Description.
    #[schema(max_length = 2000)]
    pub description: Option<String>,
    /// Yearly fee in cents (≥ 0).
    #[schema(minimum = 0)]
    pub annual_fee_cents: Cents,
    /// Votes (0–1000, default 1).
    #[schema(minimum = 0, maximum = 1000)]
    pub voting_weight: Option<i32>,
    /// Full membership (default true).
    pub full_member: Option<bool>,
}

/// Changes to a category (admins).
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CategoryPatch {
    /// Name.
    #[schema(min_length = 1, max_length = 100)]
    pub name: Option<String>,
    /// Description; `null` clears.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>, nullable, max_length = 2000)]
    pub description: Option<Option<String>>,
    /// Fee in cents.
    #[schema(minimum = 0)]
    pub annual_fee_cents: Option<Cents>,
    /// Votes.
    #[schema(minimum = 0, maximum = 1000)]
    pub voting_weight: Option<i32>,
    /// Full membership.
    pub full_member: Option<bool>,
}

impl From<NewCategory> for CategoryPatch {
    fn from(c: NewCategory) -> Self {
        Self {
            name: Some(c.name),
            description: Some(c.description),
            annual_fee_cents: Some(c.annual_fee_cents),
            voting_weight: c.voting_weight,
            full_member: c.full_member,
        }
    }
}

/// Validates what a patch (or a creation) sets.
fn check_patch(errors: &mut FieldErrors, p: &CategoryPatch) -> CategoryChanges {
    let changes = CategoryChanges {
        name: p
            .name
            .as_deref()
            .and_then(|n| errors.check("name", text::name(n, 100))),
        description: p
            .description
            .as_ref()
            .and_then(|d| errors.check("description", text::optional(d.as_deref(), 2000))),
        annual_fee_cents: p.annual_fee_cents,
        voting_weight: p.voting_weight,
        full_member: p.full_member,
    };
    if p.annual_fee_cents.is_some_and(|f| !f.in_range(Cents::ZERO)) {
        let message = Cents::range_message(Cents::ZERO);
        errors.add("annual_fee_cents", "out_of_range", message);
    }
    if p.voting_weight.is_some_and(|w| !(0..=1000).contains(&w)) {
        errors.add(
            "voting_weight",
            "out_of_range",
            "must be between 0 and 1000",
        );
    }
    changes
}

fn name_taken(e: diesel::result::Error) -> ApiError {
    on_unique(
        e,
        "member_categories_name_key",
        "category_name_taken",
        "A category with this name exists.",
    )
}

/// Creates a category (admins): 403, 422, 409 `category_name_taken`.
pub async fn create(
    conn: &mut AsyncPgConnection,
    caller: &Caller,
    input: NewCategory,
) -> Result<CategoryRow, ApiError> {
    caller.require(Action::write(Resource::Reference))?;
    let mut errors = FieldErrors::default();
    let c = check_patch(&mut errors, &CategoryPatch::from(input));
    let (name, fee) = errors.finish_with(c.name.zip(c.annual_fee_cents))?;
    let now = Utc::now();
    let row = CategoryRow {
        id: MemberCategoryId::new(),
        name,
        description: c.description.flatten(),
        annual_fee_cents: fee,
        voting_weight: c.voting_weight.unwrap_or(1),
        full_member: c.full_member.unwrap_or(true),
        version: 1,
        created_at: now,
        updated_at: now,
    };
    conn.transaction(async |conn| {
        let row = repo::insert_category(conn, &row)
            .await
            .map_err(name_taken)?;
        let after = Category::from(row.clone());
        audit::created(conn, caller, RESOURCE, row.id.uuid(), &after).await?;
        Ok(row)
    })
    .await
}

/// Changes a category (admins): 403, 422, 404, 412, 409 `category_name_taken`.
pub async fn update(
    conn: &mut AsyncPgConnection,
    caller: &Caller,
    id: MemberCategoryId,
    precondition: Precondition,
    patch: CategoryPatch,
) -> Result<CategoryRow, ApiError> {
    caller.require(Action::write(Resource::Reference))?;
    let mut errors = FieldErrors::default();
    let changes = check_patch(&mut errors, &patch);
    errors.finish()?;
    conn.transaction(async |conn| {
        let current = repo::find_category(conn, id, true).await?;
        precondition.check(current.version, IfMatch::Optional)?;
        let updated = repo::update_category(conn, id, &changes)
            .await
            .map_err(name_taken)?;
        let (before, after) = (Category::from(current), Category::from(updated.clone()));
        audit::updated(conn, caller, RESOURCE, id.uuid(), &before, &after).await?;
        Ok(updated)
    })
    .await
}

/// Deletes a category no member uses (admins): 403, 404, 409 `member_category_in_use`.
pub async fn delete(
    conn: &mut AsyncPgConnection,
    caller: &Caller,
    id: MemberCategoryId,
) -> Result<(), ApiError> {
    caller.require(Action::write(Resource::Reference))?;
    conn.transaction(async |conn| {
        let current = Category::from(repo::find_category(conn, id, true).await?);
        repo::delete_category(conn, id)
            .await
            .map_err(|e| in_use(e, RESOURCE))?;
        audit::deleted(conn, caller, RESOURCE, id.uuid(), &current).await
    })
    .await
}

/// Member categories, by name.
#[utoipa::path(tag = "reference", params(PageQuery),
    responses((status = 200, description = "A page of categories (or CSV).",
        content((Page<Category> = "application/json"), (String = "text/csv")))))]
#[get("/api/v1/member-categories")]
pub async fn list_member_categories(
    req: HttpRequest,
    caller: Caller,
    query: web::Query<PageQuery>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Action::read(Resource::Reference))?;
    let list = List {
        resource: "member_categories",
        sort: "name",
        filename: "member-categories.csv",
    };
    listing::from_db(
        &req,
        &state,
        list,
        query.limit,
        query.cursor.as_deref(),
        async |conn, after, n| Ok(repo::list_categories(conn, after, n).await?),
        |r: &CategoryRow| r.name.clone(),
        Category::from,
    )
    .await
}

/// Creates a category (admins).
#[utoipa::path(tag = "reference", request_body = NewCategory, responses(
    (status = 201, description = "Created.", body = Category),
    (status = 409, description = "`category_name_taken`.", body = crate::error::Problem, content_type = "application/problem+json")))]
#[post("/api/v1/member-categories")]
pub async fn create_member_category(
    caller: Caller,
    body: Json<NewCategory>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let mut conn = state.conn().await?;
    let row = create(&mut conn, &caller, body.into_inner()).await?;
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
pub async fn get_member_category(
    req: HttpRequest,
    caller: Caller,
    id: web::Path<MemberCategoryId>,
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
pub async fn update_member_category(
    req: HttpRequest,
    caller: Caller,
    id: web::Path<MemberCategoryId>,
    body: Json<CategoryPatch>,
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
    Ok(etag::updated(row.version, &Category::from(row)))
}

/// Deletes a category no member uses (admins).
#[utoipa::path(tag = "reference", params(("id" = Uuid, Path, description = "Category id")), responses(
    (status = 204, description = "Deleted."),
    (status = 409, description = "`member_category_in_use`.", body = crate::error::Problem, content_type = "application/problem+json")))]
#[delete("/api/v1/member-categories/{id}")]
pub async fn delete_member_category(
    caller: Caller,
    id: web::Path<MemberCategoryId>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let mut conn = state.conn().await?;
    delete(&mut conn, &caller, id.into_inner()).await?;
    Ok(HttpResponse::NoContent().finish())
}
