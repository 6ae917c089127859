//! An API client's credentials: rotating its secret, and revoking it for good.

use actix_web::{HttpResponse, post, web};
use diesel_async::{AsyncConnection, AsyncPgConnection};

use super::{
    clients::{ApiClient, ApiClientWithSecret, audit_change},
    model::ApiClientRow,
    repo,
};
use crate::{
    AppState,
    auth::{Action, Caller, Resource, tokens},
    domain::ApiClientId,
    error::ApiError,
};

/// Replaces a client's secret (admins): 403, 404 (absent or revoked). Returns the client
/// with its new secret, shown only now; the old secret stops working at once.
pub async fn rotate(
    conn: &mut AsyncPgConnection,
    caller: &Caller,
    id: ApiClientId,
) -> Result<ApiClientWithSecret, ApiError> {
    caller.require(Action::write(Resource::ApiClients))?;
    let secret = tokens::random_token();
    let client = conn
        .transaction(async |conn| {
            let current = repo::find_for_update(conn, id).await?;
            let rotated = repo::rotate_secret(conn, id, &tokens::hash_secret(&secret)).await?;
            audit_change(conn, caller, "secret_rotated", Some(&current), &rotated).await?;
            Ok::<_, ApiError>(rotated)
        })
        .await?;
    tracing::info!(client = %client.id, by = %caller.id(), "API client secret rotated");
    Ok(ApiClientWithSecret {
        client: client.into(),
        client_secret: secret,
    })
}

/// Revokes a client (admins): 403, 404, 409 `already_revoked`.
pub async fn revoke(
    conn: &mut AsyncPgConnection,
    caller: &Caller,
    id: ApiClientId,
) -> Result<ApiClientRow, ApiError> {
    caller.require(Action::write(Resource::ApiClients))?;
    let revoked = conn
        .transaction(async |conn| {
            let current = repo::find_for_update(conn, id).await?;
            let Some(revoked) = repo::revoke(conn, id).await? else {
                return Err(ApiError::conflict(
                    "already_revoked",
                    "The API client is already revoked.",
                ));
            };
            audit_change(conn, caller, "revoked", Some(&current), &revoked).await?;
            Ok(revoked)
        })
        .await?;
    tracing::info!(client = %id, by = %caller.id(), "API client revoked");
    Ok(revoked)
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
    id: web::Path<ApiClientId>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let mut conn = state.conn().await?;
    let rotated = rotate(&mut conn, &caller, id.into_inner()).await?;
    Ok(HttpResponse::Ok()
        .insert_header(("Cache-Control", "no-store"))
        .json(rotated))
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
    id: web::Path<ApiClientId>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let mut conn = state.conn().await?;
    let revoked = revoke(&mut conn, &caller, id.into_inner()).await?;
    Ok(HttpResponse::Ok().json(ApiClient::from(revoked)))
}
