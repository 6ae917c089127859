//! The request's log span and the access log line, on top of `tracing-actix-web`.
//!
//! Every log line written while a request is handled carries the span fields
//! `request_id`, `method` and `route`; when the request ends one `access` line records
//! method, route, status and latency.

use std::time::Instant;

use actix_web::{
    Error, HttpMessage,
    body::MessageBody,
    dev::{ServiceRequest, ServiceResponse},
};
use tracing::Span;
use tracing_actix_web::RootSpanBuilder;

use super::request_id::{REQUEST_ID_HEADER, RequestId};

/// When the request started (for the latency in the access log).
#[derive(Debug, Clone, Copy)]
struct Started(Instant);

/// Whether the access line is written (checked inside the request's span, where the line is
/// written, so that a filter by span agrees).
fn access_logged() -> bool {
    tracing::enabled!(target: "agrupa::access", tracing::Level::INFO)
}

/// Root span builder: assigns the request id and builds the request span.
#[derive(Debug, Clone, Copy)]
pub struct AgrupaRootSpan;

impl RootSpanBuilder for AgrupaRootSpan {
    fn on_request_start(request: &ServiceRequest) -> Span {
        let id = RequestId::from_header(request.headers().get(&REQUEST_ID_HEADER));
        let span = tracing::info_span!(
            "request",
            request_id = %id.as_str(),
            method = %request.method(),
            route = tracing::field::Empty,
        );
        let mut extensions = request.extensions_mut();
        extensions.insert(id);
        extensions.insert(Started(Instant::now()));
        drop(extensions);
        span
    }

    fn on_request_end<B: MessageBody>(span: Span, outcome: &Result<ServiceResponse<B>, Error>) {
        let Ok(res) = outcome else {
            // The finalising middleware turns every error into a response first.
            return;
        };
        // Below `info` (AGRUPA_LOG=warn) there is no line to write: skip the route and the
        // latency too.
        if !access_logged() {
            return;
        }
        let req = res.request();
        let route = req
            .match_pattern()
            .unwrap_or_else(|| "(unmatched)".to_owned());
        span.record("route", route.as_str());
        let latency_ms = req
            .extensions()
            .get::<Started>()
            .map_or(0.0, |s| s.0.elapsed().as_secs_f64() * 1000.0);
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
}
