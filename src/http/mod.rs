//! Cross-cutting HTTP machinery shared by every module: request ids, access logs,
//! problem+json for every error (including actix's own), and the 404/405 fallback.

pub mod client_addr;
pub mod csv;
pub mod etag;
pub mod extract;
pub mod fallback;
pub mod guard;
pub mod idempotency;
pub mod json;
pub mod listing;
pub mod metrics;
pub mod pagination;
pub mod patch;
pub mod pdf;
pub mod rate_limit;
pub mod request_id;
pub mod routes;
pub mod telemetry;

pub use request_id::RequestId;

use actix_web::{HttpMessage, dev::ServiceRequest, http::header};

/// Who is calling, cheaply, before any handler runs (for rate limits and idempotency
/// scopes): the subject of a valid bearer token, else the client address
/// ([`client_addr::client_address`]). The database is not consulted; handlers still
/// authenticate fully through [`crate::auth::Caller`], which reuses the claims verified here
/// (kept in the request's extensions) instead of verifying the token a second time.
pub fn caller_key(req: &ServiceRequest, state: &crate::AppState) -> String {
    let keys = &state.keys;
    if let Some(claims) = req.extensions().get::<crate::auth::tokens::Claims>() {
        return format!("sub:{}", claims.sub);
    }
    let bearer = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "));
    if let Some(claims) = bearer.and_then(|t| keys.verify(t.trim()).ok()) {
        let key = format!("sub:{}", claims.sub);
        req.extensions_mut().insert(claims);
        return key;
    }
    let address = client_addr::client_address(req.request(), &state.config.trusted_proxies);
    format!("addr:{address}")
}
