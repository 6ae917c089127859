//! The middleware around every route, as one layer.
//!
//! Each step (the request id and log span, metrics, security headers, rate limit,
//! idempotency, the finalising of errors, the time limit) is an async function that takes the
//! request and the rest of the chain. [`around`] runs them in that order, outermost first, as
//! one `actix_web::middleware::from_fn` layer. As six layers they cost twelve boxed futures a
//! request and a move of every inner future into its box: about 9,000 instructions of a
//! `GET /api/v1/members/{id}` (docs/BENCHMARKS.md). The span was `tracing-actix-web`'s layer
//! until the tenth session: a boxed future, three extensions and a wrapped body a request.

use actix_web::{
    body::MessageBody,
    dev::{ServiceRequest, ServiceResponse},
    middleware::Next,
};

use super::{Answer, guard, idempotency, metrics, rate_limit, request_id, telemetry};

/// The whole chain (`actix_web::middleware::from_fn`): what each step does is in its module.
pub async fn around(req: ServiceRequest, next: Next<impl MessageBody + 'static>) -> Answer {
    let routes = async |req: ServiceRequest| {
        next.call(req)
            .await
            .map(ServiceResponse::map_into_boxed_body)
    };
    let timed = async |req| guard::time_limit(req, routes).await;
    let finalized = async |req| request_id::finalize(req, timed).await;
    let idempotent = async |req| idempotency::idempotency(req, finalized).await;
    let limited = async |req| rate_limit::rate_limit(req, idempotent).await;
    let hardened = async |req| guard::security_headers(req, limited).await;
    let measured = async |req| metrics::measure(req, hardened).await;
    telemetry::span(req, measured).await
}
