//! The OAuth 2.0 grants: password, client credentials, refresh token; and revocation.

use actix_web::http::StatusCode;
use chrono::{TimeZone, Utc};
use diesel_async::{AsyncConnection, AsyncPgConnection};
use subtle::ConstantTimeEq;
use uuid::Uuid;

use super::{
    dto::TokenResponse,
    model::RefreshToken,
    password::{self, Verified},
    policy::{self, Role},
    repo::{self, Exchange},
    throttle,
    tokens::{Claims, PrincipalKind, hash_secret, random_token},
};
use crate::{AppState, domain::Email, error::ApiError};

fn invalid_grant(description: &str) -> ApiError {
    ApiError::oauth(StatusCode::BAD_REQUEST, "invalid_grant", description)
}

/// 400 `invalid_request`.
pub fn invalid_request(description: &str) -> ApiError {
    ApiError::oauth(StatusCode::BAD_REQUEST, "invalid_request", description)
}

fn invalid_scope(description: String) -> ApiError {
    ApiError::oauth(StatusCode::BAD_REQUEST, "invalid_scope", description)
}

fn invalid_client() -> ApiError {
    ApiError::oauth(
        StatusCode::UNAUTHORIZED,
        "invalid_client",
        "Client authentication failed.",
    )
}

/// The scopes to grant: all of `allowed` when none are requested, else the requested ones,
/// which must all be allowed.
fn grant_scopes(requested: Option<&str>, allowed: &[String]) -> Result<Vec<String>, ApiError> {
    let requested: Vec<&str> = requested.unwrap_or_default().split_whitespace().collect();
    if requested.is_empty() {
        return Ok(allowed.to_vec());
    }
    let refused: Vec<&str> = requested
        .iter()
        .copied()
        .filter(|s| !allowed.iter().any(|a| a == s))
        .collect();
    if !refused.is_empty() {
        return Err(invalid_scope(format!(
            "Scopes not available to you: {}.",
            refused.join(" ")
        )));
    }
    Ok(requested.into_iter().map(str::to_owned).collect())
}

/// Signs an access token for a principal.
fn access_token(
    state: &AppState,
    sub: Uuid,
    kind: PrincipalKind,
    role: Role,
    scopes: &[String],
    epoch: i32,
) -> Result<(String, u64), ApiError> {
    let now = Utc::now().timestamp();
    let ttl = state.config.access_token_ttl.as_secs();
    let claims = Claims {
        iss: state.keys.issuer().to_owned(),
        aud: state.keys.audience().to_owned(),
        sub,
        exp: now + ttl as i64,
        nbf: now,
        iat: now,
        jti: Uuid::now_v7(),
        role,
        scope: scopes.join(" "),
        kind,
        epoch,
    };
    Ok((state.keys.sign(&claims).map_err(ApiError::internal)?, ttl))
}

/// Stores a new refresh token of `family` and returns its secret.
async fn new_refresh_token(
    conn: &mut AsyncPgConnection,
    state: &AppState,
    user_id: Uuid,
    family_id: Uuid,
    scope: &str,
    session_epoch: i32,
) -> Result<String, ApiError> {
    let secret = random_token();
    let now = Utc::now();
    let ttl =
        chrono::Duration::from_std(state.config.refresh_token_ttl).map_err(ApiError::internal)?;
    repo::insert_refresh(
        conn,
        &RefreshToken {
            id: Uuid::now_v7(),
            family_id,
            user_id,
            token_hash: hash_secret(&secret),
            scope: scope.to_owned(),
            created_at: now,
            expires_at: now + ttl,
            used_at: None,
            revoked_at: None,
            session_epoch,
        },
    )
    .await?;
    Ok(secret)
}

/// `grant_type=password`.
pub async fn password(
    state: &AppState,
    username: Option<String>,
    secret: Option<String>,
    scope: Option<String>,
    address: &str,
) -> Result<TokenResponse, ApiError> {
    let (Some(username), Some(secret)) = (
        username.filter(|u| !u.trim().is_empty()),
        secret.filter(|p| !p.is_empty()),
    ) else {
        return Err(invalid_request("`username` and `password` are required."));
    };
    let account = username.trim().to_lowercase();
    let pair_key = format!("pair:{account}|{address}");
    let account_key = format!("account:{account}");
    let address_key = format!("address:{address}");
    let mut conn = state.conn().await?;
    let config = &state.config;
    // Counted before the password is checked, so parallel guesses cannot slip past the limit.
    // Three counts (see `throttle`): this account from this address (the low limit), this
    // account from anywhere (a much higher one), this address for any account.
    let mut wait = None;
    for (key, max) in [
        (&pair_key, config.login_max_failures),
        (&account_key, config.login_max_failures_per_account),
        (&address_key, config.login_max_failures_per_address),
    ] {
        let w = throttle::attempt(&mut conn, key, max, config.login_lockout).await?;
        wait = wait.max(w);
    }
    if let Some(wait) = wait {
        tracing::warn!(address, "sign-in refused: too many failures");
        return Err(ApiError::too_many_requests(wait));
    }

    let user = match Email::parse(&username) {
        Ok(email) => repo::find_login_user(&mut conn, email.as_str()).await?,
        Err(_) => None,
    };
    // Unknown e-mail: verify against a dummy hash, so both failures take the same time.
    let stored = user
        .as_ref()
        .map_or_else(|| state.dummy_hash.to_string(), |u| u.password_hash.clone());
    let too_long = secret.chars().count() > password::MAX_LENGTH;
    let verified = if too_long {
        Verified::No
    } else {
        password::verify(secret, stored).await?
    };

    let user = match (user, verified) {
        (Some(user), Verified::Yes) if user.active => (user, None),
        (Some(user), Verified::YesRehashed(hash)) if user.active => (user, Some(hash)),
        _ => {
            tracing::warn!(address, "sign-in failed");
            return Err(invalid_grant("The e-mail or password is incorrect."));
        }
    };
    let (user, rehash) = user;
    let scopes = grant_scopes(scope.as_deref(), policy::scopes_for(user.role))?;
    let scope = scopes.join(" ");
    let refresh = conn
        .transaction::<_, ApiError, _>(async move |conn| {
            // The pair's failures are the user's own typos: forgotten. The account's and the
            // address's counts may hold an attacker's: only this attempt is taken back.
            throttle::clear(conn, &pair_key).await?;
            throttle::forgive(conn, &account_key).await?;
            throttle::forgive(conn, &address_key).await?;
            repo::record_login(conn, user.id, rehash).await?;
            new_refresh_token(
                conn,
                state,
                user.id,
                Uuid::now_v7(),
                &scope,
                user.session_epoch,
            )
            .await
        })
        .await?;
    let (access, expires_in) = access_token(
        state,
        user.id,
        PrincipalKind::User,
        user.role,
        &scopes,
        user.session_epoch,
    )?;
    tracing::info!(user = %user.id, "signed in");
    Ok(TokenResponse {
        access_token: access,
        token_type: "Bearer",
        expires_in,
        refresh_token: Some(refresh),
        scope: scopes.join(" "),
    })
}

/// `grant_type=client_credentials`; `basic` holds HTTP Basic credentials when sent.
pub async fn client_credentials(
    state: &AppState,
    basic: Option<(String, String)>,
    body_id: Option<String>,
    body_secret: Option<String>,
    scope: Option<String>,
    address: &str,
) -> Result<TokenResponse, ApiError> {
    let (client_id, secret) = match (basic, body_id, body_secret) {
        (Some(pair), _, _) => pair,
        (None, Some(id), Some(secret)) => (id, secret),
        _ => return Err(invalid_client()),
    };
    let address_key = format!("address:{address}");
    let mut conn = state.conn().await?;
    if let Some(wait) = throttle::locked_for(&mut conn, std::slice::from_ref(&address_key)).await? {
        return Err(ApiError::too_many_requests(wait));
    }
    let client = repo::find_login_client(&mut conn, &client_id).await?;
    let presented = hash_secret(&secret);
    let client = match client {
        Some(c) if bool::from(c.secret_hash.ct_eq(&presented)) && c.revoked_at.is_none() => c,
        _ => {
            throttle::record_failure(
                &mut conn,
                &address_key,
                state.config.login_max_failures_per_address,
                state.config.login_lockout,
            )
            .await?;
            tracing::warn!(address, "client authentication failed");
            return Err(invalid_client());
        }
    };
    let scopes = grant_scopes(scope.as_deref(), &client.scopes)?;
    repo::touch_client(&mut conn, client.id).await?;
    let (access, expires_in) = access_token(
        state,
        client.id,
        PrincipalKind::Client,
        Role::Partner,
        &scopes,
        0,
    )?;
    tracing::info!(client = %client.id, "client signed in");
    Ok(TokenResponse {
        access_token: access,
        token_type: "Bearer",
        expires_in,
        refresh_token: None,
        scope: scopes.join(" "),
    })
}

/// The outcome of a refresh inside its transaction (a reuse must commit its revocation).
enum Refreshed {
    Issued(TokenResponse),
    Refused(&'static str),
}

/// `grant_type=refresh_token`: spends the token and issues its successor in the same family;
/// presenting a spent token revokes the whole family.
pub async fn refresh(
    state: &AppState,
    token: Option<String>,
    scope: Option<String>,
) -> Result<TokenResponse, ApiError> {
    let token = token
        .filter(|t| !t.is_empty())
        .ok_or_else(|| invalid_request("`refresh_token` is required."))?;
    let hash = hash_secret(&token);
    let mut conn = state.conn().await?;
    let outcome = conn
        .transaction::<_, ApiError, _>(async move |conn| {
                let spent = match repo::exchange_refresh(conn, &hash).await? {
                    Exchange::Spent(t) => t,
                    Exchange::Reused(family) => {
                        let n = repo::revoke_family(conn, family).await?;
                        tracing::warn!(family = %family, revoked = n, "refresh token reused: family revoked");
                        return Ok(Refreshed::Refused("The refresh token was already used; sign in again."));
                    }
                    Exchange::Invalid => {
                        return Ok(Refreshed::Refused("The refresh token is invalid or expired."));
                    }
                };
                let Some(user) = super::repo::load_user_principal(conn, spent.user_id, Uuid::nil()).await?
                else {
                    return Ok(Refreshed::Refused("The refresh token is invalid or expired."));
                };
                if !user.active {
                    return Ok(Refreshed::Refused("The account is deactivated."));
                }
                if user.session_epoch != spent.session_epoch {
                    return Ok(Refreshed::Refused("The sessions of this account were ended; sign in again."));
                }
                // Scopes can only narrow, and never beyond what the current role allows.
                let held: Vec<String> = spent
                    .scope
                    .split_whitespace()
                    .filter(|s| policy::scopes_for(user.role).iter().any(|a| a == s))
                    .map(str::to_owned)
                    .collect();
                let scopes = grant_scopes(scope.as_deref(), &held)?;
                let new_refresh =
                    new_refresh_token(
                conn,
                state,
                spent.user_id,
                spent.family_id,
                &scopes.join(" "),
                user.session_epoch,
            )
            .await?;
                let (access, expires_in) = access_token(
                    state,
                    spent.user_id,
                    PrincipalKind::User,
                    user.role,
                    &scopes,
                    user.session_epoch,
                )?;
                Ok(Refreshed::Issued(TokenResponse {
                    access_token: access,
                    token_type: "Bearer",
                    expires_in,
                    refresh_token: Some(new_refresh),
                    scope: scopes.join(" "),
                }))
        })
        .await?;
    match outcome {
        Refreshed::Issued(response) => Ok(response),
        Refreshed::Refused(why) => Err(invalid_grant(why)),
    }
}

/// RFC 7009: revokes an access token (until it expires) or a refresh token (with its
/// family). Unknown or invalid tokens are not an error.
pub async fn revoke(state: &AppState, token: &str) -> Result<(), ApiError> {
    let mut conn = state.conn().await?;
    if token.matches('.').count() == 2 {
        if let Ok(claims) = state.keys.verify(token) {
            let expires = Utc
                .timestamp_opt(claims.exp, 0)
                .single()
                .unwrap_or_else(Utc::now);
            repo::revoke_access_token(&mut conn, claims.jti, expires).await?;
            tracing::info!(jti = %claims.jti, "access token revoked");
        }
        return Ok(());
    }
    if let Some(family) = repo::refresh_family(&mut conn, &hash_secret(token)).await? {
        repo::revoke_family(&mut conn, family).await?;
        tracing::info!(family = %family, "refresh token family revoked");
    }
    Ok(())
}
