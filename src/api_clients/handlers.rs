//! HTTP handlers of the API client endpoints (admins manage, auditors read).

use actix_web::{HttpRequest, HttpResponse, get, patch, post, web};
use diesel_async::AsyncConnection;
use serde::Deserialize;
use utoipa::IntoParams;
use uuid::Uuid;

use super::{
    dto::{ApiClient, ApiClientPatch, ApiClientWithSecret, NewApiClient},
    model::{ApiClientChanges, ApiClientRow, NewApiClientRow, check_scopes, new_client_id},
    repo,
};
use crate::http::json::Json;
use crate::{
    AppState,
    audit::{self, Change},
    auth::{Action, Caller, Resource, tokens},
    domain::text,
    error::{ApiError, FieldErrors},
    http::{
        etag::{self, IfMatch, Precondition},
        listing::{self, List},
        pagination::Page,
    },
};

/// The audit log's name for API clients.
const RESOURCE: &str = "api_client";

/// Records a change of a client in the audit log.
async fn audit_change(
    conn: &mut diesel_async::AsyncPgConnection,
    caller: &Caller,
    action: &str,
    before: Option<&ApiClientRow>,
    after: &ApiClientRow,
) -> Result<(), ApiError> {
    let before = before.cloned().map(ApiClient::from);
    let after = ApiClient::from(after.clone());
    audit::record(
        conn,
        caller,
        Change {
            action,
            resource_type: RESOURCE,
            resource_id: after.id,
            before: before.as_ref(),
            after: Some(&after),
        },
    )
    .await
}

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

/// Lists API clients. `Accept: text/csv` exports every matching client.
#[utoipa::path(
    tag = "api-clients",
    params(ApiClientQuery),
    responses((status = 200, description = "A page of API clients (or all of them as CSV).",
        content((Page<ApiClient> = "application/json"), (String = "text/csv"))))
)]
#[get("/api/v1/api-clients")]
pub async fn list_clients(
    req: HttpRequest,
    caller: Caller,
    query: web::Query<ApiClientQuery>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Action::read(Resource::ApiClients))?;
    let query = query.into_inner();
    let include_revoked = query.include_revoked.unwrap_or(false);
    let db = state.clone();
    let fetch = move |after, n| {
        let db = db.clone();
        async move {
            let mut conn = db.conn().await?;
            Ok(repo::list(&mut conn, include_revoked, after, n).await?)
        }
    };
    let list = List {
        resource: "api_clients",
        sort: "created_at",
        filename: "api-clients.csv",
    };
    let key_of = |r: &ApiClientRow| r.id;
    listing::respond(
        &req,
        &state,
        list,
        query.limit,
        query.cursor.as_deref(),
        fetch,
        key_of,
        ApiClient::from,
    )
    .await
}

/// Creates an API client and shows its secret, once.
#[utoipa::path(
    tag = "api-clients",
    request_body = NewApiClient,
    responses(
        (status = 201, description = "Created; `client_secret` is shown only now.", body = ApiClientWithSecret,
            headers(("Location" = String, description = "URL of the new client"))),
    )
)]
#[post("/api/v1/api-clients")]
pub async fn create_client(
    caller: Caller,
    body: Json<NewApiClient>,
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
    let mut conn = state.conn().await?;
    let client = conn
        .transaction::<_, ApiError, _>(async |conn| {
            let client = repo::insert(conn, &row).await?;
            audit_change(conn, &caller, "created", None, &client).await?;
            Ok(client)
        })
        .await?;
    tracing::info!(client = %client.id, by = %caller.id(), "API client created");
    let mut res = etag::created(
        format!("/api/v1/api-clients/{}", client.id),
        client.version,
        &ApiClientWithSecret {
            client: client.into(),
            client_secret: secret,
        },
    );
    res.headers_mut().insert(
        actix_web::http::header::CACHE_CONTROL,
        actix_web::http::header::HeaderValue::from_static("no-store"),
    );
    Ok(res)
}

/// One API client (never its secret).
#[utoipa::path(
    tag = "api-clients",
    params(("id" = Uuid, Path, description = "API client id")),
    responses(
        (status = 200, description = "The client, with its `ETag`.", body = ApiClient,
            headers(("ETag" = String, description = "Send as `If-Match` to change it"))),
        (status = 304, description = "Not modified (`If-None-Match` matched)."),
    )
)]
#[get("/api/v1/api-clients/{id}")]
pub async fn get_client(
    req: HttpRequest,
    caller: Caller,
    id: web::Path<Uuid>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Action::read(Resource::ApiClients))?;
    let mut conn = state.conn().await?;
    let row = repo::find(&mut conn, id.into_inner()).await?;
    Ok(etag::respond(&req, row.version, &ApiClient::from(row)))
}

/// Changes an API client's name, scopes or funder.
#[utoipa::path(
    tag = "api-clients",
    params(
        ("id" = Uuid, Path, description = "API client id"),
        ("If-Match" = Option<String>, Header, description = "ETag from a GET; 412 when stale"),
    ),
    request_body = ApiClientPatch,
    responses(
        (status = 200, description = "The changed client.", body = ApiClient),
    )
)]
#[patch("/api/v1/api-clients/{id}")]
pub async fn update_client(
    req: HttpRequest,
    caller: Caller,
    id: web::Path<Uuid>,
    body: Json<ApiClientPatch>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Action::write(Resource::ApiClients))?;
    let precondition = Precondition::from_request(&req);
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
    let mut conn = state.conn().await?;
    let id = id.into_inner();
    let client = conn
        .transaction::<_, ApiError, _>(async |conn| {
            let current = repo::find_for_update(conn, id).await?;
            precondition.check(current.version, IfMatch::Optional)?;
            if changes.name.is_none() && changes.scopes.is_none() && changes.funder_id.is_none() {
                return Ok(current);
            }
            let updated = repo::update(conn, id, &changes).await?;
            audit_change(conn, &caller, "updated", Some(&current), &updated).await?;
            Ok(updated)
        })
        .await?;
    Ok(etag::updated(client.version, &ApiClient::from(client)))
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
    let id = id.into_inner();
    let mut conn = state.conn().await?;
    let client = conn
        .transaction::<_, ApiError, _>(async |conn| {
            let current = repo::find_for_update(conn, id).await?;
            let rotated = repo::rotate_secret(conn, id, &tokens::hash_secret(&secret)).await?;
            audit_change(conn, &caller, "secret_rotated", Some(&current), &rotated).await?;
            Ok(rotated)
        })
        .await?;
    tracing::info!(client = %client.id, by = %caller.id(), "API client secret rotated");
    Ok(HttpResponse::Ok()
        .insert_header(("Cache-Control", "no-store"))
        .json(ApiClientWithSecret {
            client: client.into(),
            client_secret: secret,
        }))
}

/// Revokes an API client: it can no longer sign in and its tokens stop working at once.
/// Revocation is final; the record stays readable (with `revoked_at`) for the audit trail,
/// which is why this is a state change and not a DELETE.
#[utoipa::path(
    tag = "api-clients",
    params(("id" = Uuid, Path, description = "API client id")),
    responses(
        (status = 200, description = "Revoked.", body = ApiClient),
        (status = 409, description = "`already_revoked`.", body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
#[post("/api/v1/api-clients/{id}/revocation")]
pub async fn revoke_client(
    caller: Caller,
    id: web::Path<Uuid>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Action::write(Resource::ApiClients))?;
    let id = id.into_inner();
    let mut conn = state.conn().await?;
    let revoked = conn
        .transaction::<_, ApiError, _>(async |conn| {
            let current = repo::find_for_update(conn, id).await?;
            let Some(revoked) = repo::revoke(conn, id).await? else {
                return Err(ApiError::conflict(
                    "already_revoked",
                    "The API client is already revoked.",
                ));
            };
            audit_change(conn, &caller, "revoked", Some(&current), &revoked).await?;
            Ok(revoked)
        })
        .await?;
    tracing::info!(client = %id, by = %caller.id(), "API client revoked");
    Ok(HttpResponse::Ok().json(ApiClient::from(revoked)))
}
