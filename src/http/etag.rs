//! Conditional requests (RFC 9110 §13) from a resource's `version` column.
//!
//! Every single-resource GET answers with an `ETag`; `If-None-Match` with the current tag
//! answers 304. Every change honours `If-Match`: a stale tag is a 412 and changes nothing.
//! Resources that declare it required (plans, budgets, applications) answer 428 when
//! `If-Match` is missing. Callers check `If-Match` against the row locked `FOR UPDATE`, so
//! of many concurrent changes carrying the same tag exactly one wins.

use actix_web::{
    HttpRequest, HttpResponse, HttpResponseBuilder,
    http::{StatusCode, header},
};
use serde::Serialize;

use crate::error::ApiError;

/// The entity tag of a version.
pub fn tag(version: i64) -> String {
    format!("\"{version}\"")
}

/// Where a resource's JSON is written: big enough for most single resources (a member is
/// about 950 bytes), so the buffer is not grown and copied on the way (actix's `json` starts
/// at 128 bytes and doubles), and no bigger than glibc's per-thread cache serves (1,032
/// bytes; a 2 KiB buffer cost ten times as much to allocate).
const RESOURCE_JSON_CAPACITY: usize = 1024;

/// `body` as the response's JSON, written into one buffer.
fn json<T: Serialize>(mut builder: HttpResponseBuilder, body: &T) -> HttpResponse {
    let mut buf = Vec::with_capacity(RESOURCE_JSON_CAPACITY);
    match serde_json::to_writer(&mut buf, body) {
        Ok(()) => builder.insert_header(header::ContentType::json()).body(buf),
        Err(e) => HttpResponse::from_error(ApiError::internal(e)),
    }
}

/// Whether If-Match is required for changes of a resource.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IfMatch {
    /// Honoured when sent.
    Optional,
    /// 428 when missing.
    Required,
}

/// The `If-Match` precondition of a request, read before the change.
#[derive(Debug, Clone)]
pub struct Precondition(Option<String>);

impl Precondition {
    /// A precondition held outside a request: the ETag a resolution was tabled with (or
    /// `*` for any version); `None` is no precondition.
    pub fn new(if_match: Option<String>) -> Self {
        Self(if_match)
    }

    /// Reads `If-Match`.
    pub fn from_request(req: &HttpRequest) -> Self {
        Self(
            req.headers()
                .get(header::IF_MATCH)
                .and_then(|v| v.to_str().ok())
                .map(str::trim)
                // An empty header is no precondition.
                .filter(|v| !v.is_empty())
                .map(str::to_owned),
        )
    }

    /// The precondition of a change made without a request (a resolution enacting what it
    /// tabled): the resource must still be at `version`.
    pub fn version(version: i64) -> Self {
        Self(Some(tag(version)))
    }

    /// Checks the precondition of a write that creates the resource: any `If-Match` fails
    /// (412), as there is no current version for it to match (RFC 9110 §13.1.1, `*` too).
    pub fn check_absent(&self) -> Result<(), ApiError> {
        match self.0 {
            None => Ok(()),
            Some(_) => Err(ApiError::new(
                StatusCode::PRECONDITION_FAILED,
                "precondition_failed",
                "The resource does not exist yet: create it without `If-Match`.",
            )),
        }
    }

    /// Checks the precondition against the current version (call with the row locked).
    pub fn check(&self, current_version: i64, rule: IfMatch) -> Result<(), ApiError> {
        let Some(value) = &self.0 else {
            return match rule {
                IfMatch::Optional => Ok(()),
                IfMatch::Required => Err(ApiError::new(
                    StatusCode::PRECONDITION_REQUIRED,
                    "precondition_required",
                    "This resource changes only with `If-Match: <ETag>` (GET it first).",
                )),
            };
        };
        let current = tag(current_version);
        let matches = value
            .split(',')
            .map(str::trim)
            .any(|t| t == "*" || t == current);
        if matches {
            Ok(())
        } else {
            Err(ApiError::new(
                StatusCode::PRECONDITION_FAILED,
                "precondition_failed",
                format!(
                    "The resource has changed (its ETag is now {current}); GET it again and retry."
                ),
            ))
        }
    }
}

/// 200 with the body and its `ETag`, or 304 when `If-None-Match` names the current tag.
pub fn respond<T: Serialize>(req: &HttpRequest, version: i64, body: &T) -> HttpResponse {
    let current = tag(version);
    let not_modified = req
        .headers()
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.split(',')
                .map(|t| t.trim().trim_start_matches("W/"))
                .any(|t| t == "*" || t == current)
        });
    if not_modified {
        return HttpResponse::NotModified()
            .insert_header((header::ETAG, current))
            .finish();
    }
    let mut ok = HttpResponse::Ok();
    ok.insert_header((header::ETAG, current));
    json(ok, body)
}

/// 201 Created with `Location`, the body and its `ETag`.
pub fn created<T: Serialize>(location: String, version: i64, body: &T) -> HttpResponse {
    let mut created = HttpResponse::Created();
    created
        .insert_header((header::LOCATION, location))
        .insert_header((header::ETAG, tag(version)));
    json(created, body)
}

/// 200 with the changed resource and its new `ETag`.
pub fn updated<T: Serialize>(version: i64, body: &T) -> HttpResponse {
    let mut ok = HttpResponse::Ok();
    ok.insert_header((header::ETAG, tag(version)));
    json(ok, body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn if_match_compares_strong_tags() {
        let p = Precondition(Some("\"3\"".into()));
        assert!(p.check(3, IfMatch::Required).is_ok());
        assert!(p.check(4, IfMatch::Optional).is_err());
        assert!(
            Precondition(Some("W/\"3\"".into()))
                .check(3, IfMatch::Optional)
                .is_err()
        );
        assert!(
            Precondition(Some("\"1\", \"3\"".into()))
                .check(3, IfMatch::Optional)
                .is_ok()
        );
        assert!(
            Precondition(Some("*".into()))
                .check(9, IfMatch::Required)
                .is_ok()
        );
        assert!(Precondition(None).check(9, IfMatch::Optional).is_ok());
        let missing = Precondition(None).check(9, IfMatch::Required).unwrap_err();
        assert_eq!(missing.code(), "precondition_required");
    }
}
