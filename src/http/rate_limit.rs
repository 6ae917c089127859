//! Rate limits per caller: the token's subject, or the client address when anonymous.
//!
//! Fixed one-minute windows counted in this process's memory: **per instance**. With N
//! replicas behind a balancer a caller may get up to N times the limit; the failed sign-in
//! throttle (in PostgreSQL) is what protects passwords across replicas. Every answer carries
//! `RateLimit-Limit`, `RateLimit-Remaining`, `RateLimit-Reset` and `RateLimit-Policy`;
//! refused requests get a 429 problem with `Retry-After`.

use std::{
    collections::HashMap,
    sync::Mutex,
    time::{SystemTime, UNIX_EPOCH},
};

use actix_web::{
    Error,
    body::{BoxBody, MessageBody},
    dev::{ServiceRequest, ServiceResponse},
    http::header::{HeaderName, HeaderValue},
    middleware::Next,
    web,
};

use super::request_id::render;
use crate::{AppState, error::ApiError};

const WINDOW_SECS: u64 = 60;
/// Entries kept before stale windows are swept.
const SWEEP_AT: usize = 50_000;

/// One limiter (requests per minute per key; 0 = unlimited).
#[derive(Debug)]
pub struct RateLimiter {
    limit: u32,
    windows: Mutex<HashMap<String, (u64, u32)>>,
}

/// The outcome of counting one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Decision {
    /// Whether the request may go on.
    pub allowed: bool,
    /// The limit.
    pub limit: u32,
    /// Requests left in this window.
    pub remaining: u32,
    /// Seconds until the window resets.
    pub reset: u64,
}

impl RateLimiter {
    /// A limiter of `limit` requests per minute per key.
    pub fn new(limit: u32) -> Self {
        Self {
            limit,
            windows: Mutex::new(HashMap::new()),
        }
    }

    /// Whether this limiter is off (`0`).
    pub fn is_off(&self) -> bool {
        self.limit == 0
    }

    /// Counts a request of `key` at `now` (seconds since the epoch); `None` when unlimited.
    pub fn check_at(&self, key: &str, now: u64) -> Option<Decision> {
        if self.limit == 0 {
            return None;
        }
        let window = now / WINDOW_SECS;
        let reset = WINDOW_SECS - now % WINDOW_SECS;
        let mut windows = self
            .windows
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if windows.len() > SWEEP_AT {
            windows.retain(|_, (w, _)| *w == window);
        }
        let entry = windows.entry(key.to_owned()).or_insert((window, 0));
        if entry.0 != window {
            *entry = (window, 0);
        }
        let allowed = entry.1 < self.limit;
        if allowed {
            entry.1 += 1;
        }
        Some(Decision {
            allowed,
            limit: self.limit,
            remaining: self.limit - entry.1,
            reset,
        })
    }

    /// Counts a request of `key` now.
    pub fn check(&self, key: &str) -> Option<Decision> {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0);
        self.check_at(key, now)
    }
}

/// The limiters of one application.
#[derive(Debug)]
pub struct Limits {
    /// Every request (`AGRUPA_RATE_LIMIT`).
    pub general: RateLimiter,
    /// The token and revocation endpoints, per address (`AGRUPA_TOKEN_RATE_LIMIT`).
    pub token: RateLimiter,
}

fn set_headers(headers: &mut actix_web::http::header::HeaderMap, d: Decision) {
    let pairs = [
        ("ratelimit-limit", d.limit.to_string()),
        ("ratelimit-remaining", d.remaining.to_string()),
        ("ratelimit-reset", d.reset.to_string()),
        ("ratelimit-policy", format!("{};w={WINDOW_SECS}", d.limit)),
    ];
    for (name, value) in pairs {
        if let Ok(v) = HeaderValue::from_str(&value) {
            headers.insert(HeaderName::from_static(name), v);
        }
    }
}

/// The middleware (`actix_web::middleware::from_fn`).
pub async fn rate_limit(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    let Some(state) = req.app_data::<web::Data<AppState>>().cloned() else {
        return next
            .call(req)
            .await
            .map(ServiceResponse::map_into_boxed_body);
    };
    let path = req.path();
    let decision = if path == "/api/v1/auth/token" || path == "/api/v1/auth/revoke" {
        let address = req
            .peer_addr()
            .map(|a| a.ip().to_string())
            .unwrap_or_default();
        state.limits.token.check(&format!("token:{address}"))
    } else if path.starts_with("/api/") && !state.limits.general.is_off() {
        // (Finding the caller costs a token verification: skip it when limits are off.)
        state
            .limits
            .general
            .check(&super::caller_key(&req, &state.keys))
    } else {
        None
    };
    match decision {
        Some(d) if !d.allowed => {
            tracing::warn!(path, "rate limited");
            let mut res = render(&ApiError::too_many_requests(d.reset.max(1)), req.request());
            set_headers(res.headers_mut(), d);
            Ok(req.into_response(res))
        }
        Some(d) => {
            let mut res = next.call(req).await?.map_into_boxed_body();
            set_headers(res.headers_mut(), d);
            Ok(res)
        }
        None => next
            .call(req)
            .await
            .map(ServiceResponse::map_into_boxed_body),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_count_and_reset() {
        let l = RateLimiter::new(2);
        let t = 6000; // start of a window
        assert!(l.check_at("a", t).unwrap().allowed);
        let second = l.check_at("a", t + 1).unwrap();
        assert!(second.allowed && second.remaining == 0);
        let third = l.check_at("a", t + 2).unwrap();
        assert!(!third.allowed);
        assert_eq!(third.reset, 58);
        assert!(l.check_at("b", t + 2).unwrap().allowed, "keys are separate");
        assert!(l.check_at("a", t + 60).unwrap().allowed, "a new window");
        assert!(
            RateLimiter::new(0).check_at("a", t).is_none(),
            "0 turns it off"
        );
    }
}
