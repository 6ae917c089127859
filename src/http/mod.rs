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
pub mod layers;
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

use std::sync::Arc;

use actix_web::{
    HttpMessage,
    dev::ServiceRequest,
    http::header::{self, HeaderValue},
};

use crate::auth::tokens::Claims;

/// What a step of the middleware ([`layers`]) answers.
pub type Answer = Result<actix_web::dev::ServiceResponse, actix_web::Error>;

/// A header's value as text: what `HeaderValue::to_str` accepts (visible ASCII and tabs),
/// checked without stopping at each byte. `to_str` checks byte by byte and cost about 7,000
/// instructions on every request for a bearer token of 700 bytes (docs/BENCHMARKS.md).
pub fn header_text(value: &HeaderValue) -> Option<&str> {
    let bytes = value.as_bytes();
    // No early exit, so the compiler checks many bytes per instruction.
    let visible = bytes.iter().fold(true, |ok, &b| {
        ok & (((0x20..0x7f).contains(&b)) | (b == b'\t'))
    });
    if visible {
        std::str::from_utf8(bytes).ok()
    } else {
        None
    }
}

/// The token of an `Authorization: Bearer <token>` header: the scheme in any case (RFC 9110
/// §11.1: `bearer`, `BEARER`), one or more spaces after it, surrounding blanks trimmed; `None`
/// for another scheme, an empty token or a value that is not visible ASCII. The one reading
/// of the header, for the caller, the rate limit's key and the metrics token alike.
pub fn bearer_token(headers: &header::HeaderMap) -> Option<&str> {
    let value = header_text(headers.get(header::AUTHORIZATION)?)?.trim_start();
    let (scheme, rest) = value.split_at_checked(6)?;
    if !scheme.eq_ignore_ascii_case("bearer") || !rest.starts_with(' ') {
        return None;
    }
    Some(rest.trim()).filter(|t| !t.is_empty())
}

/// Who is calling, cheaply, before any handler runs (for rate limits and idempotency
/// scopes): the subject of a valid bearer token, else the client address
/// ([`client_addr::client_address`]). The database is not consulted; handlers still
/// authenticate fully through [`crate::auth::Caller`], which reuses the claims verified here
/// (kept in the request's extensions) instead of verifying the token a second time.
pub fn caller_key(req: &ServiceRequest, state: &crate::AppState) -> String {
    let keys = &state.keys;
    if let Some(claims) = req.extensions().get::<Arc<Claims>>() {
        return format!("sub:{}", claims.sub);
    }
    if let Some(claims) = bearer_token(req.headers()).and_then(|t| keys.verify(t).ok()) {
        let key = format!("sub:{}", claims.sub);
        req.extensions_mut().insert(claims);
        return key;
    }
    let address = client_addr::client_address(req.request(), &state.config.trusted_proxies);
    format!("addr:{address}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_text_accepts_exactly_what_to_str_accepts() {
        for b in 0..=255u8 {
            let bytes = [b'a', b, b'z'];
            let Ok(value) = HeaderValue::from_bytes(&bytes) else {
                continue;
            };
            assert_eq!(header_text(&value), value.to_str().ok(), "byte {b:#04x}");
        }
        let token = HeaderValue::from_static("Bearer eyJhbGciOiJIUzI1NiJ9.e30.c2lnbmF0dXJl");
        assert_eq!(
            header_text(&token),
            Some("Bearer eyJhbGciOiJIUzI1NiJ9.e30.c2lnbmF0dXJl")
        );
        let accented = HeaderValue::from_bytes("Bearer señal".as_bytes()).unwrap();
        assert_eq!(header_text(&accented), None);
    }

    #[test]
    fn the_bearer_scheme_is_read_in_any_case_and_nothing_else_is() {
        let token = |value: &str| {
            let mut headers = header::HeaderMap::new();
            headers.insert(
                header::AUTHORIZATION,
                HeaderValue::from_bytes(value.as_bytes()).unwrap(),
            );
            bearer_token(&headers).map(str::to_owned)
        };
        for value in ["Bearer abc", "bearer abc", "BEARER abc", "  BeArEr   abc  "] {
            assert_eq!(token(value).as_deref(), Some("abc"), "{value:?}");
        }
        for value in [
            "Basic abc",
            "Bearerabc",
            "Bearer",
            "Bearer   ",
            "Token abc",
            "Beare abc",
            "Bearer señal",
            "ñearer abc",
        ] {
            assert_eq!(token(value), None, "{value:?}");
        }
        assert_eq!(bearer_token(&header::HeaderMap::new()), None);
    }
}
