//! Rate limits per caller: the token's subject, or the client address when anonymous.
//!
//! Fixed one-minute windows counted in this process's memory: **per instance**. With N
//! replicas behind a balancer a caller may get up to N times the limit; the failed sign-in
//! throttle (in PostgreSQL) is what protects passwords across replicas. Every answer carries
//! the IETF draft's fields (draft-ietf-httpapi-ratelimit-headers): `RateLimit-Policy:
//! "minute";q=600;w=60` (the quota per window) and `RateLimit: "minute";r=599;t=42` (what
//! remains and the seconds until the window resets), named `"token"` on the token and
//! revocation endpoints; and, for clients written against the earlier drafts,
//! `RateLimit-Limit`, `RateLimit-Remaining` and `RateLimit-Reset`. Refused requests get a 429
//! problem with `Retry-After`.
//!
//! The windows are the same for every key (the minute `now / 60`), so a limiter keeps one map
//! for the current window and throws the whole map away when the next one starts: no key
//! outlives its window and no request ever scans the map (an earlier sweep rescanned every
//! key, under the lock, on each request once 50,000 callers had been seen in a minute). The
//! old map is dropped after the lock is released.
//!
//! The token and revocation endpoints are recognised by the route the router will take (the
//! percent-decoded path), so `/api/v1/auth/%74oken` is limited as the token endpoint it is.
//! Addresses are clients' addresses as [`super::client_addr`] finds them (forwarding headers
//! from trusted proxies only).

use std::{
    collections::HashMap,
    sync::Mutex,
    time::{SystemTime, UNIX_EPOCH},
};

use actix_web::{
    dev::ServiceRequest,
    http::header::{HeaderName, HeaderValue},
    web,
};

use super::request_id::render;
use crate::{AppState, error::ApiError};

const WINDOW_SECS: u64 = 60;

/// One limiter (requests per minute per key; 0 = unlimited).
#[derive(Debug)]
pub struct RateLimiter {
    limit: u32,
    /// The current window and the count of each key in it.
    current: Mutex<(u64, HashMap<String, u32>)>,
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
            current: Mutex::new((0, HashMap::new())),
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
        let mut guard = self
            .current
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        // A new window (a clock stepping back keeps counting in the newer one).
        let expired = (window > guard.0).then(|| {
            guard.0 = window;
            std::mem::take(&mut guard.1)
        });
        let count = guard.1.entry(key.to_owned()).or_insert(0);
        let allowed = *count < self.limit;
        if allowed {
            *count += 1;
        }
        let remaining = self.limit - *count;
        drop(guard);
        drop(expired);
        Some(Decision {
            allowed,
            limit: self.limit,
            remaining,
            reset,
        })
    }

    /// Keys counted in the current window.
    pub fn keys(&self) -> usize {
        self.current
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .1
            .len()
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

/// The header fields of one decision under the policy `policy`.
fn header_fields(policy: &str, d: Decision) -> [(&'static str, String); 5] {
    [
        (
            "ratelimit-policy",
            format!("\"{policy}\";q={};w={WINDOW_SECS}", d.limit),
        ),
        (
            "ratelimit",
            format!("\"{policy}\";r={};t={}", d.remaining, d.reset),
        ),
        ("ratelimit-limit", d.limit.to_string()),
        ("ratelimit-remaining", d.remaining.to_string()),
        ("ratelimit-reset", d.reset.to_string()),
    ]
}

fn set_headers(headers: &mut actix_web::http::header::HeaderMap, policy: &str, d: Decision) {
    let pairs = header_fields(policy, d);
    for (name, value) in pairs {
        if let Ok(v) = HeaderValue::from_str(&value) {
            headers.insert(HeaderName::from_static(name), v);
        }
    }
}

/// The middleware (a step of [`super::layers`]).
pub async fn rate_limit(
    req: ServiceRequest,
    next: impl AsyncFnOnce(ServiceRequest) -> super::Answer,
) -> super::Answer {
    let Some(state) = req.app_data::<web::Data<AppState>>().cloned() else {
        return next(req).await;
    };
    // The route the router will take: the path percent-decoded, as it matches it (looked up
    // only for the auth paths, the only ones with a limit of their own).
    let (policy, decision) = {
        let path = req.match_info().as_str();
        let route = path
            .starts_with("/api/v1/auth/")
            .then(|| req.resource_map().match_pattern(path))
            .flatten();
        if matches!(
            route.as_deref(),
            Some("/api/v1/auth/token" | "/api/v1/auth/revoke")
        ) {
            let address =
                super::client_addr::client_address(req.request(), &state.config.trusted_proxies);
            (
                "token",
                state.limits.token.check(&format!("token:{address}")),
            )
        } else if (path.starts_with("/api/") || path.starts_with("/public/"))
            && !state.limits.general.is_off()
        {
            // (Finding the caller costs a token verification: skip it when limits are off.)
            let key = super::caller_key(&req, &state);
            ("minute", state.limits.general.check(&key))
        } else {
            ("minute", None)
        }
    };
    match decision {
        Some(d) if !d.allowed => {
            tracing::warn!(path = %req.match_info().as_str(), "rate limited");
            let mut res = render(&ApiError::too_many_requests(d.reset.max(1)), req.request());
            set_headers(res.headers_mut(), policy, d);
            Ok(req.into_response(res))
        }
        Some(d) => {
            let mut res = next(req).await?;
            set_headers(res.headers_mut(), policy, d);
            Ok(res)
        }
        None => next(req).await,
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

    #[test]
    fn a_new_window_forgets_every_key_of_the_old_one_at_once() {
        let l = RateLimiter::new(1);
        let t = 6000;
        for i in 0..120_000 {
            assert!(l.check_at(&format!("k{i}"), t).unwrap().allowed);
        }
        assert_eq!(l.keys(), 120_000, "no sweep within the window");
        assert!(!l.check_at("k7", t + 59).unwrap().allowed);
        // Past 50,000 keys each request used to rescan the whole map under the lock; now a
        // request in the window costs one lookup, and the next window starts empty.
        let started = std::time::Instant::now();
        for i in 0..1_000 {
            l.check_at(&format!("k{i}"), t + 30);
        }
        assert!(started.elapsed() < std::time::Duration::from_millis(200));
        assert!(l.check_at("k7", t + 60).unwrap().allowed);
        assert_eq!(l.keys(), 1, "the old window's keys are gone");
        // A clock stepping back does not reopen an old window.
        assert!(!l.check_at("k7", t + 1).unwrap().allowed);
    }

    #[test]
    fn header_fields_follow_the_ietf_draft() {
        let d = Decision {
            allowed: true,
            limit: 600,
            remaining: 599,
            reset: 42,
        };
        let fields = header_fields("minute", d);
        assert_eq!(
            fields[0],
            ("ratelimit-policy", "\"minute\";q=600;w=60".to_owned())
        );
        assert_eq!(fields[1], ("ratelimit", "\"minute\";r=599;t=42".to_owned()));
        assert_eq!(fields[3], ("ratelimit-remaining", "599".to_owned()));
    }
}
