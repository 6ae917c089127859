//! `Idempotency-Key` on POST: a retry with the same key and body gets the first response
//! again (status, headers, body); the same key with another body is a 422; a retry while the
//! first request is still running is a 409. Keys are scoped to the caller (token subject, or
//! client address when anonymous), stored in PostgreSQL (so they hold across replicas), and
//! kept 24 hours.
//!
//! Responses are stored when they are final: 2xx, and 4xx except 401, 408 and 429 (those
//! may succeed on retry). A 5xx, or a crash before the response is stored, releases the key
//! so the retry runs again. Limitation: a process killed between committing the change and
//! storing its response leaves the key "in progress" for [`LEASE`]; after that a retry runs
//! the request again.

use std::time::Duration;

use actix_web::{
    Error, HttpMessage, HttpResponse,
    body::{BoxBody, MessageBody},
    dev::{Payload, ServiceRequest, ServiceResponse},
    http::{
        Method, StatusCode,
        header::{self, HeaderName, HeaderValue},
    },
    middleware::Next,
    web,
};
use diesel::{
    OptionalExtension, QueryableByName,
    sql_types::{Bytea, Jsonb, Nullable, SmallInt, Text},
};
use diesel_async::RunQueryDsl;
use sha2::{Digest, Sha256};

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

/// The middleware (`actix_web::middleware::from_fn`).
pub async fn idempotency(
    mut req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    let key = req.headers().get(&IDEMPOTENCY_KEY).cloned();
    let (Some(key), true) = (key, req.method() == Method::POST) else {
        return next
            .call(req)
            .await
            .map(ServiceResponse::map_into_boxed_body);
    };
    // (No clone of the request may live across `next.call`: routing needs it unshared.)
    let fail = |req: ServiceRequest, err: ApiError| {
        let res = render(&err, req.request());
        Ok(req.into_response(res))
    };
    let key = match key.to_str() {
        Ok(k) if !k.is_empty() && k.len() <= 255 && k.bytes().all(|b| b.is_ascii_graphic()) => {
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
    let scope = super::caller_key(&req, &state.keys);
    // Multipart bodies (the only ones are document uploads, whose handler enforces the exact
    // limit) from a signed-in caller may be as large as a document; anything else as the
    // body limit.
    let boundary = multipart_boundary(&req);
    let upload = boundary.is_some() && scope.starts_with("sub:");
    let limit = if upload {
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
    let mut hasher = Sha256::new();
    hasher.update(req.path().as_bytes());
    hasher.update(b"?");
    hasher.update(req.query_string().as_bytes());
    hasher.update(b"\n");
    match &boundary {
        // A client picks a new random boundary each time it builds a form: the hash leaves
        // it out, so a retry of the same form matches.
        Some(b) if !b.is_empty() => {
            for (i, piece) in split_on(&body, b.as_bytes()).into_iter().enumerate() {
                if i > 0 {
                    hasher.update(b"\0boundary\0");
                }
                hasher.update(piece);
            }
        }
        _ => hasher.update(&body),
    }
    let hash = hasher.finalize().to_vec();
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

    let res = match next.call(req).await {
        Ok(res) => res,
        Err(err) => {
            // A timeout or another failure before a response: the retry must run again.
            release(&state, &scope, &key).await;
            return Err(err);
        }
    };
    let status = res.status();
    let keep = status.is_success()
        || (status.is_client_error() && !matches!(status.as_u16(), 401 | 408 | 429));
    if !keep {
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

/// The boundary of a `multipart/*` request, if it is one.
fn multipart_boundary(req: &ServiceRequest) -> Option<String> {
    let value = req.headers().get(header::CONTENT_TYPE)?.to_str().ok()?;
    if !value.to_ascii_lowercase().starts_with("multipart/") {
        return None;
    }
    Some(
        value
            .split(';')
            .filter_map(|p| p.trim().split_once('='))
            .find(|(k, _)| k.trim().eq_ignore_ascii_case("boundary"))
            .map(|(_, v)| v.trim().trim_matches('"').to_owned())
            .unwrap_or_default(),
    )
}

/// `haystack` split on every occurrence of `needle` (not empty).
fn split_on<'a>(haystack: &'a [u8], needle: &[u8]) -> Vec<&'a [u8]> {
    let mut pieces = Vec::new();
    let mut start = 0;
    let mut i = 0;
    while i + needle.len() <= haystack.len() {
        if &haystack[i..i + needle.len()] == needle {
            pieces.push(&haystack[start..i]);
            i += needle.len();
            start = i;
        } else {
            i += 1;
        }
    }
    pieces.push(&haystack[start..]);
    pieces
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
