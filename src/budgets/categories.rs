//! Budget categories: the reference data lines are classified by (income and expense),
//! changed by admins.

use actix_web::{HttpRequest, HttpResponse, get, patch, post, web};
use chrono::Utc;
use diesel_async::{AsyncConnection, AsyncPgConnection};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{
    model::{CategoryChanges, CategoryRow, LineKind},
    repo,
};
use crate::{
    AppState, audit,
    auth::{Action, Caller, Resource},
    domain::{BudgetCategoryId, text},
    error::{ApiError, FieldErrors, on_unique},
    http::{
        csv::CsvRow,
        etag::{self, IfMatch, Precondition},
        json::Json,
        listing::{self, List},
        pagination::{Page, PageQuery},
    },
};

/// A budget category.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct BudgetCategory {
    /// Id.
    pub id: BudgetCategoryId,
    /// Income or expense.
    pub kind: LineKind,
    /// Stable code.
    #[schema(example = "membership_fees")]
    pub code: String,
    /// Name.
    #[schema(example = "Cuotas de socios")]
    pub name: String,
    /// Order.
    pub position: i32,
}

impl From<CategoryRow> for BudgetCategory {
    fn from(r: CategoryRow) -> Self {
        Self {
            id: r.id,
            kind: r.kind,
            code: r.code,
            name: r.name,
            position: r.position,
        }
    }
}

impl CsvRow for CategoryRow {
    fn header() -> &'static [&'static str] {
        &["id", "kind", "code", "name", "position"]
    }

    fn cells(&self) -> Vec<String> {
        vec![
            self.id.to_string(),
            self.kind.to_string(),
            self.code.clone(),
            self.name.clone(),
            self.position.to_string(),
        ]
    }
}

/// A new budget category (admins).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewBudgetCategory {
    /// Income or expense.
    pub kind: LineKind,
    /// Stable code (lowercase letters, digits, `_`, `-`).
    #[schema(
        min_length = 1,
        max_length = 50,
        pattern = "^[a-z0-9][a-z0-9_-]{0,49}$"
    )]
    pub code: String,
    /// Name.
    #[schema(min_length = 1, max_length = 100)]
    pub name: String,
    /// Order.
    pub position: Option<i32>,
}

/// Changes to a budget category (admins).
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BudgetCategoryPatch {
    /// Name.
    #[schema(min_length = 1, max_length = 100)]
    pub name: Option<String>,
    /// Order.
    pub position: Option<i32>,
}

/// Budget categories (income and expense), in order.
#[utoipa::path(tag = "budgets", params(PageQuery),
    responses((status = 200, description = "A page of categories (or CSV).",
        content((Page<BudgetCategory> = "application/json"), (String = "text/csv")))))]
#[get("/api/v1/budget-categories")]
pub async fn list_budget_categories(
    req: HttpRequest,
    caller: Caller,
    query: web::Query<PageQuery>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Action::read(Resource::Reference))?;
    let list = List {
        resource: "budget_categories",
        sort: "position",
        filename: "budget-categories.csv",
    };
    listing::from_db(
        &req,
        &state,
        list,
        query.limit,
        query.cursor.as_deref(),
        async |conn, after, n| Ok(repo::categories(conn, after, n).await?),
        |c: &CategoryRow| (c.position, c.code.clone()),
        BudgetCategory::from,
    )
    .await
}

/// Adds a budget category (admins).
#[utoipa::path(tag = "budgets", request_body = NewBudgetCategory, responses(
    (status = 201, description = "Created.", body = BudgetCategory),
    (status = 409, description = "`category_code_taken`.", body = crate::error::Problem, content_type = "application/problem+json")))]
#[post("/api/v1/budget-categories")]
pub async fn create_budget_category(
    caller: Caller,
    body: Json<NewBudgetCategory>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Action::write(Resource::Reference))?;
    let mut conn = state.conn().await?;
    let row = create(&mut conn, &caller, body.into_inner()).await?;
    Ok(etag::created(
        format!("/api/v1/budget-categories/{}", row.id),
        row.version,
        &BudgetCategory::from(row),
    ))
}

/// Renames or reorders a budget category (admins).
#[utoipa::path(tag = "budgets", params(("id" = Uuid, Path, description = "BudgetCategory id"),
    ("If-Match" = Option<String>, Header, description = "ETag")),
    request_body = BudgetCategoryPatch, responses(
    (status = 200, description = "Changed.", body = BudgetCategory)))]
#[patch("/api/v1/budget-categories/{id}")]
pub async fn update_budget_category(
    req: HttpRequest,
    caller: Caller,
    id: web::Path<BudgetCategoryId>,
    body: Json<BudgetCategoryPatch>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Action::write(Resource::Reference))?;
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
    Ok(etag::updated(row.version, &BudgetCategory::from(row)))
}

/// A category code: the rule of every code of reference data.
fn check_category_code(raw: &str) -> Result<String, String> {
    crate::reference::model::check_code(raw.trim())
}

/// Adds a budget category: 409 `category_code_taken`, 422.
pub async fn create(
    conn: &mut AsyncPgConnection,
    caller: &Caller,
    input: NewBudgetCategory,
) -> Result<CategoryRow, ApiError> {
    let mut errors = FieldErrors::default();
    let code = errors.check("code", check_category_code(&input.code));
    let name = errors.check("name", text::name(&input.name, 100));
    let (code, name) = errors.finish_with(code.zip(name))?;
    let now = Utc::now();
    let row = CategoryRow {
        id: BudgetCategoryId::new(),
        kind: input.kind,
        code,
        name,
        position: input.position.unwrap_or(0),
        version: 1,
        created_at: now,
        updated_at: now,
    };
    conn.transaction(async |conn| {
        let row = repo::insert_category(conn, &row).await.map_err(|e| {
            on_unique(
                e,
                "budget_categories_code_key",
                "category_code_taken",
                "A budget category with this code exists.",
            )
        })?;
        let after = BudgetCategory::from(row.clone());
        audit::created(conn, caller, "budget_category", row.id.into(), &after).await?;
        Ok(row)
    })
    .await
}

/// Renames or reorders a budget category: 404, 412, 422.
pub async fn update(
    conn: &mut AsyncPgConnection,
    caller: &Caller,
    id: BudgetCategoryId,
    precondition: Precondition,
    patch: BudgetCategoryPatch,
) -> Result<CategoryRow, ApiError> {
    let mut errors = FieldErrors::default();
    let name = patch
        .name
        .as_deref()
        .and_then(|n| errors.check("name", text::name(n, 100)));
    errors.finish()?;
    let changes = CategoryChanges {
        name,
        position: patch.position,
    };
    conn.transaction(async |conn| {
        // Every writer (admins) sees every category: no visibility to decide first.
        let current = repo::find_category(conn, id, true).await?;
        precondition.check(current.version, IfMatch::Optional)?;
        let updated = repo::update_category(conn, id, &changes).await?;
        let (before, after) = (
            BudgetCategory::from(current),
            BudgetCategory::from(updated.clone()),
        );
        audit::updated(conn, caller, "budget_category", id.into(), &before, &after).await?;
        Ok(updated)
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn category_codes_are_checked() {
        assert!(check_category_code("membership_fees").is_ok());
        assert!(check_category_code("Cuotas").is_err());
        assert!(check_category_code("").is_err());
    }
}
