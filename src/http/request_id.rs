//! `X-Request-Id`: accepted from the caller when sane, generated otherwise; echoed on every
//! response, recorded on the request's log span, and written into every problem body.
//!
//! This middleware is also where every error response is finalised: it re-renders the
//! [`ApiError`] a response carries (or converts actix's own error) into problem+json with the
//! request id, and logs internal causes once.

use std::sync::Arc;

use actix_web::{
    Error, HttpMessage,
    body::BoxBody,
    dev::{ServiceRequest, ServiceResponse},
    http::header::{self, HeaderName, HeaderValue},
};

use crate::{
    error::{ApiError, PROBLEM_JSON},
    i18n::Lang,
};

/// The language the request's `Accept-Language` prefers for error messages.
pub fn language(headers: &header::HeaderMap) -> Lang {
    Lang::negotiate(
        headers
            .get(header::ACCEPT_LANGUAGE)
            .and_then(|v| v.to_str().ok()),
    )
}

/// The header carrying the request id.
pub const REQUEST_ID_HEADER: HeaderName = HeaderName::from_static("x-request-id");

/// The id of the current request, available from request extensions. Shared, not copied:
/// the caller, the finalising step and the audit log read the one text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestId(Arc<str>);

impl RequestId {
    /// Takes the caller's id when it is 1–128 visible ASCII characters; otherwise a new UUIDv7.
    pub fn from_header(value: Option<&HeaderValue>) -> Self {
        let sane = value
            .and_then(|v| v.to_str().ok())
            .map(str::trim)
            .filter(|v| !v.is_empty() && v.len() <= 128 && v.bytes().all(|b| b.is_ascii_graphic()));
        match sane {
            Some(v) => Self(Arc::from(v)),
            None => {
                let mut text = [0u8; uuid::fmt::Hyphenated::LENGTH];
                Self(Arc::from(
                    &*uuid::Uuid::now_v7().hyphenated().encode_lower(&mut text),
                ))
            }
        }
    }

    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Middleware (a step of [`super::layers`]): finalises errors and echoes the id. The id
/// itself is assigned by [`super::telemetry::span`], which runs first.
pub async fn finalize(
    req: ServiceRequest,
    next: impl AsyncFnOnce(ServiceRequest) -> super::Answer,
) -> super::Answer {
    let id = req
        .extensions()
        .get::<RequestId>()
        .cloned()
        .unwrap_or_else(|| RequestId::from_header(req.headers().get(&REQUEST_ID_HEADER)));
    let lang = language(req.headers());
    let mut res = match next(req).await {
        Ok(res) => res.map_into_boxed_body(),
        // No request left to build a response with (an inner middleware failed): hand
        // actix an error that renders itself with the id.
        Err(err) => {
            let api = err
                .as_error::<ApiError>()
                .map_or_else(|| to_api_error(&err), ApiError::clone_public);
            return Err(IdentifiedError { api, id, lang }.into());
        }
    };
    if let Some(err) = res.response().error() {
        let rendered = match err.as_error::<ApiError>() {
            Some(api) => {
                if let Some(cause) = api.source_error() {
                    if api.code() == "internal_error" {
                        tracing::error!(error = format!("{cause:#}"), "request failed");
                    } else {
                        tracing::warn!(
                            code = api.code(),
                            error = format!("{cause:#}"),
                            "request refused"
                        );
                    }
                }
                api.to_response_in(Some(id.as_str()), lang)
            }
            None => to_api_error(err).to_response_in(Some(id.as_str()), lang),
        };
        res = res.into_response(rendered);
    } else if is_unexplained_error(&res) {
        // A bare error status from a component that does not use ApiError (e.g. a static
        // file service): give it the same problem shape.
        let rendered = ApiError::from_status(res.status()).to_response_in(Some(id.as_str()), lang);
        res = res.into_response(rendered);
    }
    if let Ok(value) = HeaderValue::from_str(id.as_str()) {
        res.headers_mut().insert(REQUEST_ID_HEADER, value);
    }
    Ok(res)
}

/// A problem response for `err` carrying the request's id (body and header), for
/// middlewares that answer before the finalising middleware runs.
pub fn render(err: &ApiError, req: &actix_web::HttpRequest) -> actix_web::HttpResponse {
    let id = req
        .extensions()
        .get::<RequestId>()
        .map(|r| r.as_str().to_owned());
    let mut res = err.to_response_in(id.as_deref(), language(req.headers()));
    if let Some(v) = id.and_then(|i| HeaderValue::from_str(&i).ok()) {
        res.headers_mut().insert(REQUEST_ID_HEADER, v);
    }
    res
}

/// Converts an actix error that is not an [`ApiError`] (logging server errors once).
fn to_api_error(err: &Error) -> ApiError {
    let status = err.as_response_error().status_code();
    if status.is_server_error() {
        tracing::error!(error = %err, "request failed");
    }
    ApiError::from_status(status)
}

/// An error that renders itself as problem+json with its request id.
#[derive(Debug)]
struct IdentifiedError {
    api: ApiError,
    id: RequestId,
    lang: Lang,
}

impl std::fmt::Display for IdentifiedError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.api.fmt(f)
    }
}

impl actix_web::ResponseError for IdentifiedError {
    fn status_code(&self) -> actix_web::http::StatusCode {
        self.api.status_code()
    }

    fn error_response(&self) -> actix_web::HttpResponse {
        let mut res = self.api.to_response_in(Some(self.id.as_str()), self.lang);
        if let Ok(value) = HeaderValue::from_str(self.id.as_str()) {
            res.headers_mut().insert(REQUEST_ID_HEADER, value);
        }
        res
    }
}

fn is_unexplained_error(res: &ServiceResponse<BoxBody>) -> bool {
    let status = res.status();
    (status.is_client_error() || status.is_server_error())
        && !res
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|ct| ct.starts_with(PROBLEM_JSON) || ct.starts_with("application/json"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sane_incoming_id_is_kept() {
        let v = HeaderValue::from_static("abc-123");
        assert_eq!(RequestId::from_header(Some(&v)).as_str(), "abc-123");
    }

    #[test]
    fn an_insane_incoming_id_is_replaced() {
        let long = "x".repeat(200);
        let v = HeaderValue::from_str(&long).unwrap();
        assert_ne!(RequestId::from_header(Some(&v)).as_str(), long);
        let spaced = HeaderValue::from_static("a b");
        assert_ne!(RequestId::from_header(Some(&spaced)).as_str(), "a b");
        assert_eq!(RequestId::from_header(None).as_str().len(), 36);
    }
}
