//! The signed-in caller: who they are, and their own password.

use actix_web::{HttpResponse, get, post, web};
use diesel_async::{AsyncConnection, AsyncPgConnection};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use super::{
    accounts::{RESOURCE, User},
    hash_password,
    model::UserChanges,
    repo,
};
use crate::{
    AppState,
    audit::{self, Change},
    auth::{self, Caller, Principal, Role, password},
    domain::{ApiClientId, FunderId, MemberId, UserId},
    error::{ApiError, FieldErrors},
    http::json::Json,
};

/// A password change by the signed-in user.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PasswordChange {
    /// The current password.
    #[schema(min_length = 1, max_length = 1024)]
    pub current_password: String,
    /// The new password (12–1024 characters).
    #[schema(min_length = 12, max_length = 1024)]
    pub new_password: String,
}

/// The signed-in caller.
#[derive(Debug, Serialize, ToSchema)]
pub struct Me {
    /// `user` or `api_client`.
    #[schema(example = "user")]
    pub kind: &'static str,
    /// Id of the user or API client.
    pub id: Uuid,
    /// Role (API clients act as `partner`).
    pub role: Role,
    /// E-mail (users only).
    pub email: Option<String>,
    /// Display name or client name.
    pub display_name: String,
    /// For `member` users.
    pub member_id: Option<MemberId>,
    /// For partners.
    pub funder_id: Option<FunderId>,
    /// Scopes of the current token.
    pub scopes: Vec<String>,
}

/// Who the caller is: a user or a partner API client.
pub async fn whoami(conn: &mut AsyncPgConnection, caller: Caller) -> Result<Me, ApiError> {
    Ok(match caller.principal {
        Principal::User(id) => {
            let user = repo::find(conn, UserId(id)).await?;
            Me {
                kind: "user",
                id,
                role: user.role,
                email: Some(user.email.into()),
                display_name: user.display_name,
                member_id: user.member_id,
                funder_id: user.funder_id,
                scopes: caller.scopes.names(),
            }
        }
        Principal::Client(id) => {
            let client = crate::api_clients::repo::find(conn, ApiClientId(id)).await?;
            Me {
                kind: "api_client",
                id,
                role: Role::Partner,
                email: None,
                display_name: client.name,
                member_id: None,
                funder_id: client.funder_id,
                scopes: caller.scopes.names(),
            }
        }
    })
}

/// Changes the signed-in user's password and ends every session of the user: 403 (API
/// clients), 422 `wrong_password` or `validation_failed`, 429 after `limit.max` attempts
/// within `limit.window` (counted like sign-ins, before the password is checked, so that a
/// stolen access token cannot be used to guess the password and take the account over).
pub async fn change_own_password(
    conn: &mut AsyncPgConnection,
    caller: &Caller,
    input: PasswordChange,
    limit: auth::throttle::Limit,
) -> Result<(), ApiError> {
    let Some(user_id) = caller.user_id().map(UserId) else {
        return Err(ApiError::forbidden(
            "API clients have no password; rotate the client secret instead.",
        ));
    };
    let mut errors = FieldErrors::default();
    errors.check("new_password", password::check_policy(&input.new_password));
    errors.finish()?;
    let throttle_key = format!("password-change:{user_id}");
    if let Some(wait) =
        auth::throttle::attempt(conn, &throttle_key, limit.max, limit.window).await?
    {
        tracing::warn!(user = %user_id, "password change refused: too many wrong passwords");
        return Err(ApiError::too_many_requests(wait));
    }
    let stored = repo::password_hash(conn, user_id).await?;
    let current = input.current_password;
    let verified = password::verify(current, stored).await?;
    if verified == password::Verified::No {
        return Err(ApiError::unprocessable(
            "wrong_password",
            "The current password is not correct.",
        ));
    }
    let new_hash = hash_password(input.new_password).await?;
    conn.transaction(async |conn| {
        let before = User::from(repo::find_for_update(conn, user_id).await?);
        let changes = UserChanges {
            password_hash: Some(new_hash),
            ..Default::default()
        };
        let after = User::from(repo::update(conn, user_id, &changes).await?);
        auth::throttle::clear(conn, &throttle_key).await?;
        auth::repo::end_user_sessions(conn, user_id.uuid()).await?;
        audit::record(
            conn,
            caller,
            Change {
                action: "password_changed",
                resource_type: RESOURCE,
                resource_id: user_id.uuid(),
                before: Some(&before),
                after: Some(&after),
            },
        )
        .await
    })
    .await?;
    tracing::info!(user = %user_id, "password changed");
    Ok(())
}

/// The signed-in caller: a user or a partner API client.
#[utoipa::path(
    tag = "users",
    responses((status = 200, description = "Who you are.", body = Me))
)]
#[get("/api/v1/me")]
pub async fn me(caller: Caller, state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let mut conn = state.conn().await?;
    Ok(HttpResponse::Ok().json(whoami(&mut conn, caller).await?))
}

/// Changes the signed-in user's password. Every session of the user ends (sign in again).
#[utoipa::path(
    tag = "users",
    request_body = PasswordChange,
    responses(
        (status = 204, description = "Changed; sign in again."),
        (status = 422, description = "`wrong_password` or `validation_failed`.", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 429, description = "Rate limited, or too many wrong current passwords; see `Retry-After`.", body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
#[post("/api/v1/me/password")]
pub async fn change_password(
    caller: Caller,
    body: Json<PasswordChange>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let mut conn = state.conn().await?;
    let limit = auth::throttle::Limit {
        max: state.config.login_max_failures,
        window: state.config.login_lockout,
    };
    change_own_password(&mut conn, &caller, body.into_inner(), limit).await?;
    Ok(HttpResponse::NoContent().finish())
}
