//! HTTP handlers of the API client endpoints (admins manage, auditors read).

use actix_web::{HttpResponse, delete, get, patch, post, web};
use serde::Deserialize;
use utoipa::IntoParams;
use uuid::Uuid;

use super::{
    dto::{ApiClient, ApiClientPatch, ApiClientWithSecret, NewApiClient},
    model::{ApiClientChanges, NewApiClientRow, check_scopes, new_client_id},
    repo,
};
use crate::{
    AppState,
    auth::{Action, Caller, Resource, tokens},
    db,
    domain::text,
    error::{ApiError, FieldErrors},
    http::pagination::{self, Page},
};

/// Filters and paging of the client list.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ApiClientQuery {
    /// Include revoked clients (default `false`).
    pub include_revoked: Option<bool>,
    /// Page size, 1–100 (default 25).
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<i64>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// Lists API clients.
#[utoipa::path(
    tag = "api-clients",
    params(ApiClientQuery),
    responses((status = 200, description = "A page of API clients.", body = Page<ApiClient>))
)]
#[get("/api/v1/api-clients")]
pub async fn list_clients(
    caller: Caller,
    query: web::Query<ApiClientQuery>,
    state: web::Data<AppState>,
) -> Result<web::Json<Page<ApiClient>>, ApiError> {
    caller.require(Action::read(Resource::ApiClients))?;
    let query = query.into_inner();
    let limit = pagination::limit(query.limit)?;
    let after = query
        .cursor
        .as_deref()
        .map(|c| state.cursors.decode::<Uuid>("api_clients", "created_at", c))
        .transpose()?;
    let mut conn = db::conn(&state.pool).await?;
    let rows = repo::list(
        &mut conn,
        query.include_revoked.unwrap_or(false),
        after,
        limit + 1,
    )
    .await?;
    Ok(web::Json(pagination::page(
        &state.cursors,
        "api_clients",
        "created_at",
        rows,
        limit,
        |r| r.id,
        ApiClient::from,
    )))
}

/// Creates an API client and shows its secret, once.
#[utoipa::path(
    tag = "api-clients",
    request_body = NewApiClient,
    responses(
        (status = 201, description = "Created; `client_secret` is shown only now.", body = ApiClientWithSecret,
            headers(("Location" = String, description = "URL of the new client"))),
        (status = 422, description = "`validation_failed`.", body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
#[post("/api/v1/api-clients")]
pub async fn create_client(
    caller: Caller,
    body: web::Json<NewApiClient>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Action::write(Resource::ApiClients))?;
    let input = body.into_inner();
    let mut errors = FieldErrors::default();
    let name = errors.check("name", text::name(&input.name, 200));
    let scopes = check_scopes(&mut errors, &input.scopes);
    let name = errors.finish_with(name)?;
    let secret = tokens::random_token();
    let row = NewApiClientRow {
        id: Uuid::now_v7(),
        client_id: new_client_id(),
        name,
        secret_hash: tokens::hash_secret(&secret),
        scopes,
        funder_id: input.funder_id,
    };
    let mut conn = db::conn(&state.pool).await?;
    let client = repo::insert(&mut conn, &row).await?;
    tracing::info!(client = %client.id, by = %caller.id(), "API client created");
    Ok(HttpResponse::Created()
        .insert_header(("Location", format!("/api/v1/api-clients/{}", client.id)))
        .insert_header(("Cache-Control", "no-store"))
        .json(ApiClientWithSecret {
            client: client.into(),
            client_secret: secret,
        }))
}

/// One API client (never its secret).
#[utoipa::path(
    tag = "api-clients",
    params(("id" = Uuid, Path, description = "API client id")),
    responses(
        (status = 200, description = "The client.", body = ApiClient),
        (status = 404, description = "No such client.", body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
#[get("/api/v1/api-clients/{id}")]
pub async fn get_client(
    caller: Caller,
    id: web::Path<Uuid>,
    state: web::Data<AppState>,
) -> Result<web::Json<ApiClient>, ApiError> {
    caller.require(Action::read(Resource::ApiClients))?;
    let mut conn = db::conn(&state.pool).await?;
    Ok(web::Json(
        repo::find(&mut conn, id.into_inner()).await?.into(),
    ))
}

/// Changes an API client's name, scopes or funder.
#[utoipa::path(
    tag = "api-clients",
    params(("id" = Uuid, Path, description = "API client id")),
    request_body = ApiClientPatch,
    responses(
        (status = 200, description = "The changed client.", body = ApiClient),
        (status = 404, description = "No such client.", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, description = "`validation_failed`.", body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
#[patch("/api/v1/api-clients/{id}")]
pub async fn update_client(
    caller: Caller,
    id: web::Path<Uuid>,
    body: web::Json<ApiClientPatch>,
    state: web::Data<AppState>,
) -> Result<web::Json<ApiClient>, ApiError> {
    caller.require(Action::write(Resource::ApiClients))?;
    let patch = body.into_inner();
    let mut errors = FieldErrors::default();
    let name = patch
        .name
        .as_deref()
        .and_then(|n| errors.check("name", text::name(n, 200)));
    let scopes = patch
        .scopes
        .as_deref()
        .map(|s| check_scopes(&mut errors, s));
    errors.finish()?;
    let changes = ApiClientChanges {
        name,
        scopes,
        funder_id: patch.funder_id,
    };
    let mut conn = db::conn(&state.pool).await?;
    let id = id.into_inner();
    let client =
        if changes.name.is_none() && changes.scopes.is_none() && changes.funder_id.is_none() {
            repo::find(&mut conn, id).await?
        } else {
            repo::update(&mut conn, id, &changes).await?
        };
    Ok(web::Json(client.into()))
}

/// Replaces the secret and shows the new one, once. Tokens already issued stay valid until
/// they expire; the old secret stops working at once.
#[utoipa::path(
    tag = "api-clients",
    params(("id" = Uuid, Path, description = "API client id")),
    responses(
        (status = 200, description = "The new secret, shown only now.", body = ApiClientWithSecret),
        (status = 404, description = "No such (unrevoked) client.", body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
#[post("/api/v1/api-clients/{id}/secret-rotations")]
pub async fn rotate_secret(
    caller: Caller,
    id: web::Path<Uuid>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Action::write(Resource::ApiClients))?;
    let secret = tokens::random_token();
    let mut conn = db::conn(&state.pool).await?;
    let client =
        repo::rotate_secret(&mut conn, id.into_inner(), &tokens::hash_secret(&secret)).await?;
    tracing::info!(client = %client.id, by = %caller.id(), "API client secret rotated");
    Ok(HttpResponse::Ok()
        .insert_header(("Cache-Control", "no-store"))
        .json(ApiClientWithSecret {
            client: client.into(),
            client_secret: secret,
        }))
}

/// Revokes an API client: it can no longer sign in and its tokens stop working at once.
/// The record stays (with `revoked_at`) for the audit trail.
#[utoipa::path(
    tag = "api-clients",
    params(("id" = Uuid, Path, description = "API client id")),
    responses(
        (status = 204, description = "Revoked."),
        (status = 404, description = "No such (unrevoked) client.", body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
#[delete("/api/v1/api-clients/{id}")]
pub async fn revoke_client(
    caller: Caller,
    id: web::Path<Uuid>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Action::write(Resource::ApiClients))?;
    let id = id.into_inner();
    let mut conn = db::conn(&state.pool).await?;
    if !repo::revoke(&mut conn, id).await? {
        return Err(ApiError::not_found(
            "No such API client, or it is already revoked.",
        ));
    }
    tracing::info!(client = %id, by = %caller.id(), "API client revoked");
    Ok(HttpResponse::NoContent().finish())
}
