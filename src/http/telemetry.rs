//! The request's log span and the access log line (the outermost step of [`super::layers`]).
//!
//! Every log line written while a request is handled carries the span fields
//! `request_id`, `method` and `route`; when the request ends one `access` line records
//! method, route, status and latency. Below `info` (`AGRUPA_LOG=warn`) the span is disabled
//! and the route and latency are not computed.

use std::time::Instant;

use actix_web::{HttpMessage, dev::ServiceRequest};
use tracing::Instrument;

use super::request_id::{REQUEST_ID_HEADER, RequestId};

/// Whether the access line is written (checked inside the request's span, where the line is
/// written, so that a filter by span agrees).
fn access_logged() -> bool {
    tracing::enabled!(target: "agrupa::access", tracing::Level::INFO)
}

/// Assigns the request id (the caller's `X-Request-Id` when sane), runs the rest of the
/// chain inside the request's span, and writes the access line.
pub async fn span(
    req: ServiceRequest,
    next: impl AsyncFnOnce(ServiceRequest) -> super::Answer,
) -> super::Answer {
    let started = Instant::now();
    let id = RequestId::from_header(req.headers().get(&REQUEST_ID_HEADER));
    let span = tracing::info_span!(
        "request",
        request_id = %id.as_str(),
        method = %req.method(),
        route = tracing::field::Empty,
    );
    req.extensions_mut().insert(id);
    let outcome = next(req).instrument(span.clone()).await;
    // The finalising step turns every error into a response first, so an error here has
    // no status to log.
    if let Ok(res) = &outcome
        && span.in_scope(access_logged)
    {
        let route = res.request().match_pattern();
        span.record("route", route.as_deref().unwrap_or("(unmatched)"));
        let latency_ms = started.elapsed().as_secs_f64() * 1000.0;
        let status = res.status().as_u16();
        span.in_scope(|| {
            tracing::info!(
                target: "agrupa::access",
                status,
                latency_ms = (latency_ms * 100.0).round() / 100.0,
                "access"
            );
        });
    }
    outcome
}
