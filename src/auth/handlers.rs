//! HTTP handlers of the OAuth endpoints: parse, delegate to [`super::grants`], answer.

use actix_web::{HttpRequest, HttpResponse, http::header, post, web};
use base64::{Engine, engine::general_purpose::STANDARD};
use serde::de::DeserializeOwned;

use super::{
    dto::{RevokeRequest, TokenRequest, TokenResponse},
    grants,
};
use crate::{AppState, error::ApiError};

/// Reads an OAuth request body: form-encoded (RFC 6749) or JSON.
fn parse_body<T: DeserializeOwned>(req: &HttpRequest, body: &[u8]) -> Result<T, ApiError> {
    let content_type = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("application/x-www-form-urlencoded");
    let media = content_type
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    match media.as_str() {
        "application/x-www-form-urlencoded" => serde_urlencoded::from_bytes(body)
            .map_err(|e| grants::invalid_request(&format!("The form could not be read: {e}."))),
        "application/json" => serde_json::from_slice(body).map_err(|e| {
            grants::invalid_request(&format!("The JSON body could not be read: {e}."))
        }),
        _ => Err(ApiError::unsupported_media_type(
            "application/x-www-form-urlencoded",
        )),
    }
}

/// 400 `invalid_request` for a parameter past its documented length (RFC 6749 §5.2 has no
/// 422: a malformed token request is an `invalid_request`).
fn too_long(name: &str, max: usize) -> ApiError {
    grants::invalid_request(&format!("`{name}` is longer than {max} characters."))
}

/// HTTP Basic client credentials (RFC 6749 §2.3.1), when present and non-empty.
fn basic_credentials(req: &HttpRequest) -> Option<(String, String)> {
    let value = crate::http::header_text(req.headers().get(header::AUTHORIZATION)?)?;
    let encoded = value
        .strip_prefix("Basic ")
        .or_else(|| value.strip_prefix("basic "))?;
    let decoded = String::from_utf8(STANDARD.decode(encoded.trim()).ok()?).ok()?;
    let (id, secret) = decoded.split_once(':')?;
    let id = percent_decode(id);
    (!id.is_empty()).then(|| (id, percent_decode(secret)))
}

/// RFC 6749 §2.3.1 form-encodes the id and secret before Basic encoding.
fn percent_decode(s: &str) -> String {
    serde_urlencoded::from_str::<Vec<(String, String)>>(&format!("v={s}"))
        .ok()
        .and_then(|mut v| v.pop())
        .map_or_else(|| s.to_owned(), |(_, v)| v)
}

/// Issues tokens (OAuth 2.0, RFC 6749).
///
/// Grants: `password` (username = e-mail; for people, e.g. from Swagger UI's *Authorize*),
/// `client_credentials` (partner systems; HTTP Basic or `client_id`/`client_secret` in the
/// body), `refresh_token` (single use: each refresh returns a new refresh token; presenting a
/// spent one revokes the whole sign-in). Errors follow RFC 6749 §5.2 (`error`,
/// `error_description`) and also carry the problem members (`code`, `request_id`). Repeated
/// failures from one account or address answer 429 with `Retry-After`.
#[utoipa::path(
    tag = "auth",
    security(()),
    request_body(content(
        (TokenRequest = "application/x-www-form-urlencoded"),
        (TokenRequest = "application/json"),
    )),
    responses(
        (status = 200, description = "Tokens issued.", body = TokenResponse),
        (status = 400, description = "RFC 6749 §5.2 `error`: `invalid_request`, `invalid_grant`, `unsupported_grant_type` or `invalid_scope` (with the problem members too).", body = crate::error::Problem, content_type = "application/json"),
        (status = 401, description = "`invalid_client`: client authentication failed.", body = crate::error::Problem, content_type = "application/json"),
        (status = 413, description = "Body too large.", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 415, description = "Neither form-encoded nor JSON.", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many failed attempts; see `Retry-After`.", body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
#[post("/api/v1/auth/token")]
pub async fn token(
    req: HttpRequest,
    body: web::Bytes,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let form: TokenRequest = parse_body(&req, &body)?;
    if let Some((name, max)) = form.too_long() {
        return Err(too_long(name, max));
    }
    let address = crate::http::client_addr::client_address(&req, &state.config.trusted_proxies);
    let issued = match form.grant_type.as_str() {
        "password" => {
            grants::password(&state, form.username, form.password, form.scope, &address).await?
        }
        "client_credentials" => {
            grants::client_credentials(
                &state,
                basic_credentials(&req),
                form.client_id,
                form.client_secret,
                form.scope,
                &address,
            )
            .await?
        }
        "refresh_token" => grants::refresh(&state, form.refresh_token, form.scope).await?,
        "" => return Err(grants::invalid_request("`grant_type` is required.")),
        _ => {
            return Err(ApiError::oauth(
                actix_web::http::StatusCode::BAD_REQUEST,
                "unsupported_grant_type",
                "Supported grants: password, client_credentials, refresh_token.",
            ));
        }
    };
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .insert_header((header::PRAGMA, "no-cache"))
        .json(issued))
}

/// Revokes a token (RFC 7009): an access token stops working at once; a refresh token is
/// revoked with every token of its sign-in (this is how to sign out). Answers 200 also for
/// unknown or already invalid tokens, as RFC 7009 requires.
#[utoipa::path(
    tag = "auth",
    security(()),
    request_body(content(
        (RevokeRequest = "application/x-www-form-urlencoded"),
        (RevokeRequest = "application/json"),
    )),
    responses(
        (status = 200, description = "Revoked (or nothing to revoke)."),
        (status = 400, description = "`invalid_request`: `token` missing.", body = crate::error::Problem, content_type = "application/json"),
        (status = 415, description = "Neither form-encoded nor JSON.", body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
#[post("/api/v1/auth/revoke")]
pub async fn revoke(
    req: HttpRequest,
    body: web::Bytes,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let form: RevokeRequest = parse_body(&req, &body)?;
    if let Some((name, max)) = form.too_long() {
        return Err(too_long(name, max));
    }
    if form.token.is_empty() {
        return Err(grants::invalid_request("`token` is required."));
    }
    grants::revoke(&state, &form.token).await?;
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .finish())
}
