//! Response hardening and the request time limit.
//!
//! Security headers on every response (no sniffing, no framing, no referrer; a strict
//! Content-Security-Policy except for Swagger UI's own page, and kept when a handler set its
//! own), `Cache-Control: no-store`
//! on API answers that do not set their own, and a bound on handler time: a request that
//! takes longer than `AGRUPA_REQUEST_TIMEOUT_SECS` is abandoned (its transaction rolls back)
//! and answered 503 with `Retry-After`.

use actix_web::{
    dev::ServiceRequest,
    http::{
        StatusCode,
        header::{self, HeaderValue},
    },
    web,
};

use crate::{AppState, error::ApiError};

const API_CSP: &str = "default-src 'none'; frame-ancestors 'none'";
const SWAGGER_CSP: &str = "default-src 'self'; script-src 'self' 'unsafe-inline'; \
    style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'";

/// Security headers (a step of [`super::layers`]).
pub async fn security_headers(
    req: ServiceRequest,
    next: impl AsyncFnOnce(ServiceRequest) -> super::Answer,
) -> super::Answer {
    let swagger = req.path().starts_with("/swagger-ui");
    let api = req.path().starts_with("/api/");
    let mut res = next(req).await?;
    let h = res.headers_mut();
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    // A handler that serves a page of its own (the public transparency page) sets a policy
    // as strict as this one plus its own style's hash: keep it.
    if !h.contains_key(header::CONTENT_SECURITY_POLICY) {
        h.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(if swagger { SWAGGER_CSP } else { API_CSP }),
        );
    }
    if api && !h.contains_key(header::CACHE_CONTROL) {
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    Ok(res)
}

/// The request time limit (a step of [`super::layers`]).
pub async fn time_limit(
    req: ServiceRequest,
    next: impl AsyncFnOnce(ServiceRequest) -> super::Answer,
) -> super::Answer {
    let Some(limit) = req
        .app_data::<web::Data<AppState>>()
        .map(|s| s.config.request_timeout)
    else {
        return next(req).await;
    };
    // The request is gone with the abandoned future: answer with an error that the
    // finalising middleware (outside this one) renders with the request id.
    match tokio::time::timeout(limit, next(req)).await {
        Ok(result) => result,
        Err(_) => {
            tracing::error!(limit_ms = limit.as_millis() as u64, "request timed out");
            Err(ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "request_timeout",
                "The request took too long and was abandoned; nothing was changed. Retry shortly.",
            )
            .with_retry_after(1)
            .into())
        }
    }
}
