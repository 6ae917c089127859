//! `Idempotency-Key` on POST: a retry with the same key and body gets the first response
//! again (status, headers, body); the same key with another body is a 422; a retry while the
//! first request is still running is a 409. Keys are scoped to the caller (the token's
//! subject), stored in PostgreSQL (so they hold across replicas), and kept 24 hours.
//!
//! Only a **signed-in caller** (a valid bearer token) posting to a **routed `/api/v1` path**
//! outside `/api/v1/auth/` claims a key; every other request passes through untouched, with
//! its body unread. This runs before authentication and outside the handlers, so anything it
//! did for anonymous callers (buffering a body, scanning it, writing a row kept for a day)
//! would be work anyone could make the server do for free.
//!
//! The request hash is an HMAC-SHA256 keyed from the signing key (`KeySet::derive`), not a
//! plain digest: the body may hold a password, and a plain hash of a guessable body is a
//! guessable hash. Multipart bodies are hashed without their boundary (a client picks a new
//! one per form), split with a linear-time search; boundaries must follow RFC 2046 (1–70
//! characters), else 400.
//!
//! Responses are stored when they are final: 2xx, and 4xx except 401, 404, 405, 408 and 429
//! (those may succeed on retry, or say nothing was done). A response marked
//! `Cache-Control: no-store` (one carrying a secret: a new API client's, a rotated secret)
//! is never stored: its key is released, so a retry runs again rather than a replay table
//! holding a second copy of the credential. A 5xx, or a crash before the response is stored,
//! releases the key so the retry runs again. Limitation: a process killed between committing the change and
//! storing its response leaves the key "in progress" for [`LEASE`]; after that a retry runs
//! the request again.

use std::time::Duration;

use actix_web::{
    HttpMessage, HttpResponse,
    body::BoxBody,
    dev::{Payload, ServiceRequest, ServiceResponse},
    http::{
        Method, StatusCode,
        header::{self, HeaderName, HeaderValue},
    },
    web,
};
use diesel::{
    OptionalExtension, QueryableByName,
    sql_types::{Bytea, Jsonb, Nullable, SmallInt, Text},
};
use diesel_async::RunQueryDsl;
use hmac::{KeyInit, Mac};
use sha2::Sha256;

use super::request_id::{REQUEST_ID_HEADER, RequestId, render};
use crate::{AppState, error::ApiError};

/// The request header.
pub const IDEMPOTENCY_KEY: HeaderName = HeaderName::from_static("idempotency-key");
/// Set on replayed responses.
pub const REPLAYED: HeaderName = HeaderName::from_static("idempotent-replayed");
/// How long keys are kept.
pub const RETENTION: Duration = Duration::from_secs(24 * 3600);
/// After this long, an "in progress" key is taken to be abandoned (its process died).
pub const LEASE: Duration = Duration::from_secs(120);
/// Response headers kept for replays.
const KEPT_HEADERS: [HeaderName; 4] = [
    header::CONTENT_TYPE,
    header::LOCATION,
    header::ETAG,
    header::CACHE_CONTROL,
];

#[derive(QueryableByName)]
struct Stored {
    #[diesel(sql_type = Bytea)]
    request_hash: Vec<u8>,
    #[diesel(sql_type = Text)]
    status: String,
    #[diesel(sql_type = Nullable<SmallInt>)]
    response_status: Option<i16>,
    #[diesel(sql_type = Nullable<Jsonb>)]
    response_headers: Option<serde_json::Value>,
    #[diesel(sql_type = Nullable<Bytea>)]
    response_body: Option<Vec<u8>>,
    #[diesel(sql_type = diesel::sql_types::Bool)]
    claimed: bool,
}

/// The middleware (a step of [`super::layers`]).
pub async fn idempotency(
    req: ServiceRequest,
    next: impl AsyncFnOnce(ServiceRequest) -> super::Answer,
) -> super::Answer {
    match claims_keys(&req) {
        // Boxed: its state (the body, the key's statements) would otherwise make every
        // request's future larger, and moving it dearer.
        Some(scope) => Box::pin(keyed(req, scope, next)).await,
        None => next(req).await,
    }
}

/// A request that claims an idempotency key in `scope`.
async fn keyed(
    mut req: ServiceRequest,
    scope: String,
    next: impl AsyncFnOnce(ServiceRequest) -> super::Answer,
) -> super::Answer {
    // (No clone of the request may live across `next.call`: routing needs it unshared.)
    let fail = |req: ServiceRequest, err: ApiError| {
        let res = render(&err, req.request());
        Ok(req.into_response(res))
    };
    let key = match req.headers().get(&IDEMPOTENCY_KEY).map(HeaderValue::to_str) {
        Some(Ok(k))
            if !k.is_empty() && k.len() <= 255 && k.bytes().all(|b| b.is_ascii_graphic()) =>
        {
            k.to_owned()
        }
        _ => {
            return fail(
                req,
                ApiError::bad_request(
                    "invalid_idempotency_key",
                    "`Idempotency-Key` must be 1–255 visible ASCII characters.",
                ),
            );
        }
    };
    let Some(state) = req.app_data::<web::Data<AppState>>().cloned() else {
        return fail(req, ApiError::internal(anyhow::anyhow!("no app state")));
    };
    let boundary = match multipart_boundary(&req) {
        Ok(b) => b,
        Err(e) => return fail(req, e),
    };
    // Multipart bodies (the only ones are document uploads, whose handler enforces the exact
    // limit) may be as large as a document; anything else as the body limit.
    let limit = if boundary.is_some() {
        state
            .config
            .document_max_bytes
            .saturating_add(MULTIPART_OVERHEAD)
    } else {
        state.config.body_limit
    };
    let body = match read_body(req.take_payload(), limit).await {
        Ok(b) => b,
        Err(e) => return fail(req, e),
    };
    let hash = request_hash(
        &state.idempotency_key,
        req.path(),
        req.query_string(),
        boundary.as_deref(),
        &body,
    );
    req.set_payload(Payload::from(body));

    let stored = match claim(&state, &scope, &key, &hash).await {
        Ok(s) => s,
        Err(e) => return fail(req, e),
    };
    if !stored.claimed {
        if stored.request_hash != hash {
            return fail(
                req,
                ApiError::unprocessable(
                    "idempotency_key_reused",
                    "This Idempotency-Key was used with another request; use a new key.",
                ),
            );
        }
        if stored.status != "completed" {
            return fail(
                req,
                ApiError::conflict(
                    "idempotency_key_in_progress",
                    "A request with this Idempotency-Key is still running; retry shortly.",
                )
                .with_retry_after(1),
            );
        }
        let mut res = HttpResponse::build(
            StatusCode::from_u16(stored.response_status.unwrap_or(200) as u16)
                .unwrap_or(StatusCode::OK),
        );
        if let Some(serde_json::Value::Object(headers)) = &stored.response_headers {
            for (name, value) in headers {
                if let (Ok(n), Some(v)) = (HeaderName::try_from(name.as_str()), value.as_str()) {
                    res.insert_header((n, v));
                }
            }
        }
        res.insert_header((REPLAYED, "true"));
        let mut res = res.body(stored.response_body.unwrap_or_default());
        let id = req
            .extensions()
            .get::<RequestId>()
            .map(|r| r.as_str().to_owned());
        if let Some(v) = id.and_then(|i| HeaderValue::from_str(&i).ok()) {
            res.headers_mut().insert(REQUEST_ID_HEADER, v);
        }
        return Ok(req.into_response(res));
    }

    let res = match next(req).await {
        Ok(res) => res,
        Err(err) => {
            // A timeout or another failure before a response: the retry must run again.
            release(&state, &scope, &key).await;
            return Err(err);
        }
    };
    let status = res.status();
    let final_answer = status.is_success()
        || (status.is_client_error() && !matches!(status.as_u16(), 401 | 404 | 405 | 408 | 429));
    if !final_answer || carries_secret(res.headers()) {
        release(&state, &scope, &key).await;
        return Ok(res.map_into_boxed_body());
    }
    let (http, response) = res.into_parts();
    let (head, body) = response.into_parts();
    let bytes = match actix_web::body::to_bytes(body).await {
        Ok(b) => b,
        Err(_) => {
            release(&state, &scope, &key).await;
            let err = ApiError::internal(anyhow::anyhow!("response body could not be buffered"));
            let res = render(&err, &http);
            return Ok(ServiceResponse::new(http, res));
        }
    };
    let headers: serde_json::Map<String, serde_json::Value> = KEPT_HEADERS
        .iter()
        .filter_map(|name| {
            let v = head.headers().get(name)?.to_str().ok()?;
            Some((
                name.as_str().to_owned(),
                serde_json::Value::String(v.to_owned()),
            ))
        })
        .collect();
    if let Err(e) = complete(
        &state,
        &scope,
        &key,
        status.as_u16(),
        headers.into(),
        &bytes,
    )
    .await
    {
        tracing::error!(error = %e, "could not store the idempotent response");
    }
    let response = head.set_body(BoxBody::new(bytes));
    Ok(ServiceResponse::new(http, response))
}

/// The scope of the caller's keys when this request claims one: a POST with
/// `Idempotency-Key` from a signed-in caller to a routed `/api/v1` path other than the token
/// and revocation endpoints (`None`: the request passes through untouched).
fn claims_keys(req: &ServiceRequest) -> Option<String> {
    if req.method() != Method::POST || !req.headers().contains_key(&IDEMPOTENCY_KEY) {
        return None;
    }
    // The path as the router will see it (percent-decoded), matched against the routes.
    let pattern = req
        .resource_map()
        .match_pattern(req.match_info().as_str())?;
    if !pattern.starts_with("/api/v1/") || pattern.starts_with("/api/v1/auth/") {
        return None;
    }
    let state = req.app_data::<web::Data<AppState>>()?;
    let scope = super::caller_key(req, state);
    scope.starts_with("sub:").then_some(scope)
}

/// Whether a response is marked as not to be kept anywhere (it carries a secret).
fn carries_secret(headers: &header::HeaderMap) -> bool {
    headers
        .get_all(header::CACHE_CONTROL)
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|d| d.trim().eq_ignore_ascii_case("no-store"))
}

/// The keyed hash of a request: path, query and body (without a multipart boundary, which a
/// client picks anew for each form, so a retry of the same form matches).
pub fn request_hash(
    key: &[u8],
    path: &str,
    query: &str,
    boundary: Option<&str>,
    body: &[u8],
) -> Vec<u8> {
    let Ok(mut mac) = hmac::Hmac::<Sha256>::new_from_slice(key) else {
        // (HMAC takes keys of any length; this branch is unreachable.)
        return Vec::new();
    };
    mac.update(path.as_bytes());
    mac.update(b"?");
    mac.update(query.as_bytes());
    mac.update(b"\n");
    match boundary {
        Some(b) => {
            let mut start = 0;
            for at in memchr::memmem::find_iter(body, b.as_bytes()) {
                mac.update(&body[start..at]);
                mac.update(b"\0boundary\0");
                start = at + b.len();
            }
            mac.update(&body[start..]);
        }
        None => mac.update(body),
    }
    mac.finalize().into_bytes().to_vec()
}

/// The boundary of a `multipart/*` request, if it is one; 400 unless it is a boundary as
/// RFC 2046 §5.1.1 defines it: 1–70 characters of its set, not ending in a space.
fn multipart_boundary(req: &ServiceRequest) -> Result<Option<String>, ApiError> {
    let Some(value) = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
    else {
        return Ok(None);
    };
    if !value
        .trim_start()
        .to_ascii_lowercase()
        .starts_with("multipart/")
    {
        return Ok(None);
    }
    let boundary = value
        .split(';')
        .filter_map(|p| p.trim().split_once('='))
        .find(|(k, _)| k.trim().eq_ignore_ascii_case("boundary"))
        .map(|(_, v)| v.trim().trim_matches('"'))
        .unwrap_or_default();
    if is_rfc2046_boundary(boundary) {
        Ok(Some(boundary.to_owned()))
    } else {
        Err(ApiError::bad_request(
            "invalid_multipart_boundary",
            "The multipart boundary must be 1–70 characters (RFC 2046).",
        ))
    }
}

/// RFC 2046 §5.1.1: `boundary := 0*69<bchars> bcharsnospace`.
pub fn is_rfc2046_boundary(b: &str) -> bool {
    let allowed = |c: u8| c.is_ascii_alphanumeric() || b"'()+_,-./:=? ".contains(&c);
    (1..=70).contains(&b.len()) && b.bytes().all(allowed) && !b.ends_with(' ')
}

/// Room for a multipart form's boundaries and headers beyond the document itself.
const MULTIPART_OVERHEAD: usize = 64 * 1024;

/// Reads a whole request body, refusing more than `limit` bytes (413).
async fn read_body(mut payload: Payload, limit: usize) -> Result<web::Bytes, ApiError> {
    use futures_util::StreamExt;
    let mut body = web::BytesMut::new();
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|e| {
            ApiError::bad_request(
                "invalid_body",
                format!("The request body could not be read: {e}."),
            )
        })?;
        if body.len() + chunk.len() > limit {
            return Err(ApiError::payload_too_large(limit));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body.freeze())
}

/// Inserts the key as in progress, or returns what is stored (`claimed` tells which). An
/// abandoned in-progress key (older than the lease) with the same request is taken over.
async fn claim(state: &AppState, scope: &str, key: &str, hash: &[u8]) -> Result<Stored, ApiError> {
    let mut conn = state.conn().await?;
    let stored: Option<Stored> = diesel::sql_query(
        "WITH ins AS ( \
           INSERT INTO idempotency_keys AS k (scope, key, request_hash, status, expires_at) \
           VALUES ($1, $2, $3, 'in_progress', now() + make_interval(secs => $4)) \
           ON CONFLICT (scope, key) DO UPDATE SET created_at = now() \
             WHERE k.status = 'in_progress' AND k.request_hash = EXCLUDED.request_hash \
               AND k.created_at < now() - make_interval(secs => $5) \
           RETURNING request_hash, status, response_status, response_headers, response_body, true AS claimed) \
         SELECT * FROM ins \
         UNION ALL \
         SELECT request_hash, status, response_status, response_headers, response_body, false AS claimed \
           FROM idempotency_keys WHERE scope = $1 AND key = $2 AND NOT EXISTS (SELECT 1 FROM ins)",
    )
    .bind::<Text, _>(scope)
    .bind::<Text, _>(key)
    .bind::<Bytea, _>(hash)
    .bind::<diesel::sql_types::Double, _>(RETENTION.as_secs_f64())
    .bind::<diesel::sql_types::Double, _>(LEASE.as_secs_f64())
    .get_result(&mut conn)
    .await
    .optional()?;
    if let Some(stored) = stored {
        return Ok(stored);
    }
    // A concurrent request committed the key after this statement's snapshot was taken: the
    // upsert found its row but the fallback SELECT could not see it. Read it again.
    let stored: Option<Stored> = diesel::sql_query(
        "SELECT request_hash, status, response_status, response_headers, response_body, false AS claimed \
         FROM idempotency_keys WHERE scope = $1 AND key = $2",
    )
    .bind::<Text, _>(scope)
    .bind::<Text, _>(key)
    .get_result(&mut conn)
    .await
    .optional()?;
    stored.ok_or_else(|| {
        ApiError::conflict(
            "idempotency_key_in_progress",
            "A request with this Idempotency-Key is still running; retry shortly.",
        )
        .with_retry_after(1)
    })
}

async fn complete(
    state: &AppState,
    scope: &str,
    key: &str,
    status: u16,
    headers: serde_json::Value,
    body: &[u8],
) -> Result<(), ApiError> {
    let mut conn = state.conn().await?;
    diesel::sql_query(
        "UPDATE idempotency_keys SET status = 'completed', response_status = $3, \
         response_headers = $4, response_body = $5 WHERE scope = $1 AND key = $2",
    )
    .bind::<Text, _>(scope)
    .bind::<Text, _>(key)
    .bind::<SmallInt, _>(i16::try_from(status).unwrap_or(500))
    .bind::<Jsonb, _>(headers)
    .bind::<Bytea, _>(body)
    .execute(&mut conn)
    .await?;
    Ok(())
}

async fn release(state: &AppState, scope: &str, key: &str) {
    let result = async {
        let mut conn = state.conn().await?;
        diesel::sql_query(
            "DELETE FROM idempotency_keys WHERE scope = $1 AND key = $2 AND status = 'in_progress'",
        )
        .bind::<Text, _>(scope)
        .bind::<Text, _>(key)
        .execute(&mut conn)
        .await?;
        Ok::<_, ApiError>(())
    }
    .await;
    if let Err(e) = result {
        tracing::error!(error = %e, "could not release an idempotency key");
    }
}

/// Deletes expired keys (housekeeping); returns how many.
pub async fn purge_expired(
    conn: &mut diesel_async::AsyncPgConnection,
) -> diesel::QueryResult<usize> {
    diesel::sql_query("DELETE FROM idempotency_keys WHERE expires_at < now()")
        .execute(conn)
        .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn boundaries_follow_rfc_2046() {
        assert!(is_rfc2046_boundary("agrupa-test-boundary-7d1f"));
        assert!(is_rfc2046_boundary(&"b".repeat(70)));
        assert!(!is_rfc2046_boundary(&"b".repeat(71)));
        assert!(!is_rfc2046_boundary(""));
        assert!(!is_rfc2046_boundary("ends with space "));
        assert!(!is_rfc2046_boundary("no;semicolons"));
    }

    #[test]
    fn the_hash_ignores_the_boundary_and_depends_on_the_key() {
        let form = |b: &str| format!("--{b}\r\nx\r\n--{b}--\r\n").into_bytes();
        let h = |key: &[u8], b: &str| request_hash(key, "/p", "", Some(b), &form(b));
        assert_eq!(h(b"k", "one"), h(b"k", "other"));
        assert_ne!(h(b"k", "one"), h(b"k2", "one"));
        assert_ne!(
            request_hash(b"k", "/p", "", None, b"a"),
            request_hash(b"k", "/p", "", None, b"b")
        );
    }
}
