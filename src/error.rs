//! The one error type of the API, and the only place that builds error bodies.
//!
//! Every failure becomes an RFC 9457 `application/problem+json` document:
//! `{type, title, status, detail, code, request_id, errors}`. Handlers return
//! `Result<_, ApiError>`; extractor failures, unknown routes and actix's own errors are
//! converted here too (see [`crate::http`]), so clients only ever parse one shape.
//!
//! Past 600 lines with its unit tests (about a third): every status's constructor, the
//! problem body and its conversions stay in the one file that defines the error shape.

use std::borrow::Cow;

use actix_web::{
    HttpResponse, ResponseError,
    http::{StatusCode, header},
};
use serde::Serialize;
use utoipa::ToSchema;

use crate::i18n::{self, Lang};

/// The media type of every error body.
pub const PROBLEM_JSON: &str = "application/problem+json";

/// One problem with one input field.
#[derive(Debug, Clone, Serialize, ToSchema, PartialEq, Eq)]
pub struct FieldError {
    /// The field, as a JSON path into the request (`tax_id`, `lines[2].amount_cents`) or a
    /// query or path parameter name.
    pub field: String,
    /// Stable machine-readable code (`required`, `too_long`, `invalid_format` …).
    pub code: String,
    /// Human-readable explanation.
    pub message: String,
}

impl FieldError {
    /// Builds a field error.
    pub fn new(
        field: impl Into<String>,
        code: impl Into<String>,
        message: impl Into<String>,
    ) -> Self {
        Self {
            field: field.into(),
            code: code.into(),
            message: message.into(),
        }
    }
}

/// Collects field problems, then fails with one 422 listing all of them.
#[derive(Debug, Default)]
pub struct FieldErrors(Vec<FieldError>);

impl FieldErrors {
    /// Records a problem with `field`.
    pub fn add(&mut self, field: &str, code: &str, message: impl Into<String>) {
        self.0.push(FieldError::new(field, code, message));
    }

    /// Keeps the value of `result`, or records its error under `field` (code `invalid`).
    pub fn check<T>(&mut self, field: &str, result: Result<T, String>) -> Option<T> {
        match result {
            Ok(v) => Some(v),
            Err(message) => {
                self.add(field, "invalid", message);
                None
            }
        }
    }

    /// The parsed values when nothing was recorded, else 422 `validation_failed` with every
    /// problem. `values` is the combination (`a.zip(b)`) of what [`FieldErrors::check`] kept.
    pub fn finish_with<T>(self, values: Option<T>) -> Result<T, ApiError> {
        self.finish()?;
        values.ok_or_else(|| ApiError::internal(anyhow::anyhow!("a checked value is missing")))
    }

    /// `Ok(())` when nothing was recorded, else 422 with `code`, `detail(how many)` and
    /// every problem (for documents checked as a whole, e.g. a plan import).
    pub fn finish_as(
        self,
        code: &'static str,
        detail: impl FnOnce(usize) -> String,
    ) -> Result<(), ApiError> {
        if self.0.is_empty() {
            return Ok(());
        }
        Err(ApiError::unprocessable(code, detail(self.0.len())).with_errors(self.0))
    }

    /// Whether no problem was found yet.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// 422 `validation_failed` for one field's problem, as [`FieldErrors::finish`] words it.
    pub fn one(field: &str, code: &str, message: impl Into<String>) -> ApiError {
        let mut errors = Self::default();
        errors.add(field, code, message);
        errors.into_error()
    }

    /// `Ok(())` when nothing was recorded, else 422 `validation_failed` with every problem.
    pub fn finish(self) -> Result<(), ApiError> {
        if self.0.is_empty() {
            return Ok(());
        }
        Err(self.into_error())
    }

    fn into_error(self) -> ApiError {
        let fields: Vec<&str> = self.0.iter().map(|e| e.field.as_str()).collect();
        ApiError::unprocessable(
            "validation_failed",
            format!("Some values are not valid: {}.", fields.join(", ")),
        )
        .with_errors(self.0)
    }
}

/// 404 for a resource that does not exist or that the caller may not see (the same answer
/// for both, so existence does not leak).
pub fn not_found() -> ApiError {
    ApiError::not_found("The resource does not exist.")
}

/// An RFC 9457 problem document, as sent to clients.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Problem {
    /// URI reference identifying the problem type (`/problems/<code>`).
    #[serde(rename = "type")]
    #[schema(example = "/problems/not_found")]
    pub type_: String,
    /// Short summary of the problem type.
    #[schema(example = "Not Found")]
    pub title: String,
    /// HTTP status code.
    #[schema(example = 404)]
    pub status: u16,
    /// Explanation specific to this occurrence.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    /// Stable machine-readable error code.
    #[schema(example = "not_found")]
    pub code: String,
    /// The request id (also in the `X-Request-Id` header); quote it when reporting a problem.
    pub request_id: Option<String>,
    /// Problems with individual fields, when there are any.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldError>,
    /// OAuth endpoints only: the RFC 6749 §5.2 error code (`invalid_grant` …).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// OAuth endpoints only: the RFC 6749 §5.2 description.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error_description: Option<String>,
}

/// Every error the API can answer with (boxed: errors are rare, results stay small).
#[derive(Debug)]
pub struct ApiError(Box<Inner>);

#[derive(Debug)]
struct Inner {
    status: StatusCode,
    code: Cow<'static, str>,
    detail: Option<String>,
    errors: Vec<FieldError>,
    retry_after: Option<u64>,
    allow: Option<String>,
    /// Values the Spanish detail of the code quotes (`{limit}`, `{seconds}` …).
    params: Vec<(&'static str, String)>,
    /// For the OAuth endpoints: the RFC 6749 §5.2 `error` code.
    oauth_error: Option<&'static str>,
    /// The internal cause, logged once and never sent to clients.
    source: Option<anyhow::Error>,
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", self.0.status.as_u16(), self.0.code)?;
        if let Some(d) = &self.0.detail {
            write!(f, ": {d}")?;
        }
        Ok(())
    }
}

impl std::error::Error for ApiError {}

impl ApiError {
    /// An error with a status, a stable code and a human-readable detail.
    pub fn new(
        status: StatusCode,
        code: impl Into<Cow<'static, str>>,
        detail: impl Into<String>,
    ) -> Self {
        Self(Box::new(Inner {
            status,
            code: code.into(),
            detail: Some(detail.into()),
            errors: Vec::new(),
            retry_after: None,
            allow: None,
            params: Vec::new(),
            oauth_error: None,
            source: None,
        }))
    }

    /// An OAuth 2.0 error (RFC 6749 §5.2): the body carries `error` and `error_description`
    /// beside the problem members, as `application/json`; `error` is also the `code`.
    pub fn oauth(status: StatusCode, error: &'static str, description: impl Into<String>) -> Self {
        let mut e = Self::new(status, error, description);
        e.0.oauth_error = Some(error);
        e
    }

    /// 400: malformed or unknown input.
    pub fn bad_request(code: impl Into<Cow<'static, str>>, detail: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, code, detail)
    }

    /// 401: no valid credentials.
    pub fn unauthorized(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "unauthorized", detail)
    }

    /// 403: authenticated, but this action is not allowed for the caller.
    pub fn forbidden(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, "forbidden", detail)
    }

    /// 404: the resource does not exist, or is not the caller's to see.
    pub fn not_found(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, "not_found", detail)
    }

    /// 405 with the `Allow` header listing what the resource accepts.
    pub fn method_not_allowed(allow: Vec<&str>) -> Self {
        let allow = allow.join(", ");
        let mut e = Self::new(
            StatusCode::METHOD_NOT_ALLOWED,
            "method_not_allowed",
            format!("This resource accepts: {allow}."),
        );
        e.0.params.push(("allow", allow.clone()));
        e.0.allow = Some(allow);
        e
    }

    /// 409: the request conflicts with the current state.
    pub fn conflict(code: impl Into<Cow<'static, str>>, detail: impl Into<String>) -> Self {
        Self::new(StatusCode::CONFLICT, code, detail)
    }

    /// 413: the request body is larger than allowed.
    pub fn payload_too_large(limit: usize) -> Self {
        Self::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload_too_large",
            format!("The request body is larger than the limit of {limit} bytes."),
        )
        .with_param("limit", limit.to_string())
    }

    /// 415: the request body is not in a media type this endpoint reads.
    pub fn unsupported_media_type(expected: &str) -> Self {
        Self::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            format!("The request body must be sent as `{expected}`."),
        )
        .with_param("media_type", expected.to_owned())
    }

    /// 422: well-formed but invalid values.
    pub fn unprocessable(code: impl Into<Cow<'static, str>>, detail: impl Into<String>) -> Self {
        Self::new(StatusCode::UNPROCESSABLE_ENTITY, code, detail)
    }

    /// 429 with `Retry-After`.
    pub fn too_many_requests(retry_after_secs: u64) -> Self {
        Self::new(
            StatusCode::TOO_MANY_REQUESTS,
            "too_many_requests",
            format!("Too many requests; retry in {retry_after_secs} s."),
        )
        .with_param("seconds", retry_after_secs.to_string())
        .with_retry_after(retry_after_secs)
    }

    /// 503 with `Retry-After`: the database (or another dependency) is not available.
    pub fn unavailable(detail: impl Into<String>) -> Self {
        Self::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "service_unavailable",
            detail,
        )
        .with_retry_after(5)
    }

    /// 500: an unexpected failure. The cause is logged with the request id, never sent.
    pub fn internal(source: impl Into<anyhow::Error>) -> Self {
        let mut e = Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal_error",
            "An unexpected error occurred. Quote the request id when reporting it.",
        );
        e.0.source = Some(source.into());
        e
    }

    /// An error for a bare status (used for actix's own errors).
    pub fn from_status(status: StatusCode) -> Self {
        let code = match status {
            StatusCode::NOT_FOUND => "not_found",
            StatusCode::METHOD_NOT_ALLOWED => "method_not_allowed",
            StatusCode::PAYLOAD_TOO_LARGE => "payload_too_large",
            StatusCode::UNSUPPORTED_MEDIA_TYPE => "unsupported_media_type",
            StatusCode::REQUEST_TIMEOUT => "request_timeout",
            StatusCode::UNAUTHORIZED => "unauthorized",
            StatusCode::FORBIDDEN => "forbidden",
            StatusCode::SERVICE_UNAVAILABLE => "service_unavailable",
            s if s.is_server_error() => "internal_error",
            _ => "bad_request",
        };
        let detail = status.canonical_reason().unwrap_or("Error").to_owned();
        Self::new(status, code, detail)
    }

    /// Adds field-level problems.
    #[must_use]
    pub fn with_errors(mut self, errors: Vec<FieldError>) -> Self {
        self.0.errors = errors;
        self
    }

    /// Adds a value the Spanish detail of the code quotes as `{name}` (see [`crate::i18n`]).
    #[must_use]
    pub fn with_param(mut self, name: &'static str, value: impl Into<String>) -> Self {
        self.0.params.push((name, value.into()));
        self
    }

    /// Sets the `Retry-After` header (seconds).
    #[must_use]
    pub fn with_retry_after(mut self, secs: u64) -> Self {
        self.0.retry_after = Some(secs);
        self
    }

    /// Keeps an internal cause for the log (never sent to clients).
    #[must_use]
    pub fn with_source(mut self, source: impl Into<anyhow::Error>) -> Self {
        self.0.source = Some(source.into());
        self
    }

    /// A copy of everything clients see (the internal cause is not copied).
    pub fn clone_public(&self) -> Self {
        let i = &self.0;
        Self(Box::new(Inner {
            status: i.status,
            code: i.code.clone(),
            detail: i.detail.clone(),
            errors: i.errors.clone(),
            retry_after: i.retry_after,
            allow: i.allow.clone(),
            params: i.params.clone(),
            oauth_error: i.oauth_error,
            source: None,
        }))
    }

    /// The stable code.
    pub fn code(&self) -> &str {
        &self.0.code
    }

    /// The internal cause, if any.
    pub fn source_error(&self) -> Option<&anyhow::Error> {
        self.0.source.as_ref()
    }

    /// The problem document for this error, in English.
    pub fn problem(&self, request_id: Option<&str>) -> Problem {
        self.problem_in(request_id, Lang::En)
    }

    /// The problem document for this error, its `title`, `detail` and field messages in
    /// `lang` (the `code`, `type`, field names and the OAuth members never change).
    pub fn problem_in(&self, request_id: Option<&str>, lang: Lang) -> Problem {
        let i = &self.0;
        let (detail, errors) = match lang {
            Lang::En => (i.detail.clone(), i.errors.clone()),
            Lang::Es => (Some(self.detail_es()), self.field_errors_es()),
        };
        Problem {
            type_: format!("/problems/{}", i.code),
            title: i18n::title(i.status.as_u16(), lang).to_owned(),
            status: i.status.as_u16(),
            detail,
            code: i.code.to_string(),
            request_id: request_id.map(str::to_owned),
            errors,
            error: i.oauth_error.map(str::to_owned),
            // RFC 6749 §5.2 allows only ASCII here: always the English text.
            error_description: i.oauth_error.and(i.detail.clone()),
        }
    }

    /// The code's Spanish detail with this error's parameters; a code missing from the
    /// catalogue (a unit test of [`crate::i18n`] prevents it) falls back to its title's.
    fn detail_es(&self) -> String {
        let i = &self.0;
        let fields: Vec<&str> = i.errors.iter().map(|e| e.field.as_str()).collect();
        let mut params = i.params.clone();
        params.push(("fields", fields.join(", ")));
        i18n::detail_es(&i.code).map_or_else(
            || format!("{}.", i18n::title(i.status.as_u16(), Lang::Es)),
            |template| i18n::fill(template, &params),
        )
    }

    fn field_errors_es(&self) -> Vec<FieldError> {
        self.0
            .errors
            .iter()
            .map(|e| FieldError {
                message: i18n::field_message_es(&e.code)
                    .unwrap_or("El valor no es válido.")
                    .to_owned(),
                ..e.clone()
            })
            .collect()
    }

    /// The full HTTP response in English, with the request id in the body.
    pub fn to_response(&self, request_id: Option<&str>) -> HttpResponse {
        self.to_response_in(request_id, Lang::En)
    }

    /// The full HTTP response in `lang` (with `Content-Language`), with the request id in
    /// the body.
    pub fn to_response_in(&self, request_id: Option<&str>, lang: Lang) -> HttpResponse {
        let mut builder = HttpResponse::build(self.0.status);
        builder.insert_header((header::CONTENT_LANGUAGE, lang.tag()));
        builder.insert_header((header::VARY, "Accept-Language"));
        if self.0.oauth_error.is_some() {
            builder.content_type("application/json");
            builder.insert_header((header::CACHE_CONTROL, "no-store"));
        } else {
            builder.content_type(PROBLEM_JSON);
        }
        if let Some(secs) = self.0.retry_after {
            builder.insert_header((header::RETRY_AFTER, secs.to_string()));
        }
        if let Some(allow) = &self.0.allow {
            builder.insert_header((header::ALLOW, allow.as_str()));
        }
        if self.0.status == StatusCode::UNAUTHORIZED {
            let challenge = if self.0.oauth_error == Some("invalid_client") {
                "Basic realm=\"agrupa\""
            } else {
                "Bearer realm=\"agrupa\", error=\"invalid_token\""
            };
            builder.insert_header((header::WWW_AUTHENTICATE, challenge));
        }
        let body = serde_json::to_vec(&self.problem_in(request_id, lang))
            .unwrap_or_else(|_| b"{\"status\":500,\"code\":\"internal_error\"}".to_vec());
        builder.body(body)
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        self.0.status
    }

    fn error_response(&self) -> HttpResponse {
        // The request id is filled in by the request-id middleware, which re-renders
        // every error response from the `ApiError` it carries.
        self.to_response(None)
    }
}

/// The 409 a trigger's named check violation stands for.
fn trigger_conflict(constraint: Option<&str>) -> Option<(&'static str, &'static str)> {
    const FROZEN: &str = "What the assembly approved is frozen: change a revision instead.";
    match constraint? {
        "budget_frozen" => Some(("budget_frozen", FROZEN)),
        "plan_frozen" => Some(("plan_frozen", FROZEN)),
        "application_state_machine" => Some((
            "illegal_transition",
            "A subsidy application only moves along its state machine.",
        )),
        _ => None,
    }
}

impl From<diesel::result::Error> for ApiError {
    fn from(err: diesel::result::Error) -> Self {
        use diesel::result::{DatabaseErrorKind as K, Error as E};
        // A connection that died with the server (a restart, a failover): retrying works.
        if crate::db::connection_lost(&err) {
            return Self::unavailable("The database is not available; retry shortly.")
                .with_source(err);
        }
        match err {
            E::NotFound => Self::not_found("The resource does not exist."),
            E::DatabaseError(K::UniqueViolation, ref info) => Self::conflict(
                "conflict",
                format!(
                    "A resource with these values already exists ({}).",
                    info.constraint_name().unwrap_or("unique constraint")
                ),
            )
            .with_source(err),
            // Raised by the triggers that back the domain's own checks: frozen approved
            // budgets and plans, and the subsidy application state machine.
            E::DatabaseError(K::CheckViolation, ref info)
                if let Some((code, detail)) = trigger_conflict(info.constraint_name()) =>
            {
                Self::conflict(code, detail).with_source(err)
            }
            E::DatabaseError(K::CheckViolation, ref info) => Self::unprocessable(
                "constraint_violated",
                format!(
                    "A value breaks a rule of the register ({}).",
                    info.constraint_name().unwrap_or("check constraint")
                ),
            )
            .with_source(err),
            E::DatabaseError(K::ForeignKeyViolation, ref info) => Self::unprocessable(
                "unknown_reference",
                format!(
                    "A referenced resource does not exist or is still in use ({}).",
                    info.constraint_name().unwrap_or("foreign key")
                ),
            )
            .with_source(err),
            E::DatabaseError(K::SerializationFailure, _) => Self::conflict(
                "concurrent_update",
                "The resource was changed by another request at the same time; retry.",
            )
            .with_source(err),
            // A sum past 64 bits (e.g. a line's execution totals).
            E::DatabaseError(K::Unknown, ref info) if info.message().contains("out of range") => {
                Self::unprocessable(
                    "value_out_of_range",
                    "An amount or a total would go past what can be stored.",
                )
                .with_source(err)
            }
            other => Self::internal(other),
        }
    }
}

/// Turns the violation of one named unique constraint into a 409 with a specific code;
/// any other error converts as usual.
pub fn on_unique(
    err: diesel::result::Error,
    constraint: &str,
    code: &'static str,
    detail: &str,
) -> ApiError {
    on_violation(
        err,
        diesel::result::DatabaseErrorKind::UniqueViolation,
        constraint,
        code,
        detail,
    )
}

/// Turns the violation of one named foreign key (a row still referenced) into a 409 with a
/// specific code; any other error converts as usual.
pub fn on_reference(
    err: diesel::result::Error,
    constraint: &str,
    code: &'static str,
    detail: &str,
) -> ApiError {
    on_violation(
        err,
        diesel::result::DatabaseErrorKind::ForeignKeyViolation,
        constraint,
        code,
        detail,
    )
}

fn on_violation(
    err: diesel::result::Error,
    kind: diesel::result::DatabaseErrorKind,
    constraint: &str,
    code: &'static str,
    detail: &str,
) -> ApiError {
    match &err {
        diesel::result::Error::DatabaseError(k, info)
            if std::mem::discriminant(k) == std::mem::discriminant(&kind)
                && info.constraint_name() == Some(constraint) =>
        {
            ApiError::conflict(code, detail)
        }
        _ => err.into(),
    }
}

impl From<diesel_async::pooled_connection::deadpool::PoolError> for ApiError {
    fn from(err: diesel_async::pooled_connection::deadpool::PoolError) -> Self {
        Self::unavailable("The database is not available; retry shortly.").with_source(err)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn internal_errors_hide_their_cause() {
        let e = ApiError::internal(anyhow::anyhow!("password=hunter2 at db.internal"));
        let body = serde_json::to_string(&e.problem(Some("r1"))).unwrap();
        assert!(!body.contains("hunter2"));
        assert!(body.contains("\"request_id\":\"r1\""));
        assert!(body.contains("\"status\":500"));
    }

    #[test]
    fn method_not_allowed_lists_the_methods() {
        let r = ApiError::method_not_allowed(vec!["GET", "POST"]).to_response(None);
        assert_eq!(r.headers().get("allow").unwrap(), "GET, POST");
        assert_eq!(r.status(), 405);
    }

    #[test]
    fn diesel_not_found_is_404() {
        let e = ApiError::from(diesel::result::Error::NotFound);
        assert_eq!(e.status_code(), 404);
    }

    #[test]
    fn a_connection_lost_with_the_server_is_503_with_retry_after() {
        use diesel::result::{DatabaseErrorKind as K, Error as E};
        let lost = |kind, message: &str| E::DatabaseError(kind, Box::new(message.to_owned()));
        for err in [
            // tokio-postgres, on a pooled connection whose server went away
            lost(K::UnableToSendCommand, "connection closed"),
            lost(
                K::UnableToSendCommand,
                "error communicating with the server: Broken pipe (os error 32)",
            ),
            // the server's FATAL to the statement it was running (57P01, 57P03)
            lost(
                K::Unknown,
                "terminating connection due to administrator command",
            ),
            lost(K::Unknown, "the database system is shutting down"),
            E::BrokenTransactionManager,
            E::RollbackErrorOnCommit {
                rollback_error: Box::new(lost(K::UnableToSendCommand, "connection closed")),
                commit_error: Box::new(lost(
                    K::Unknown,
                    "terminating connection due to administrator command",
                )),
            },
        ] {
            let shown = err.to_string();
            let res = ApiError::from(err).to_response(None);
            assert_eq!(res.status(), 503, "{shown}");
            assert_eq!(res.headers().get("retry-after").unwrap(), "5", "{shown}");
        }
        // A statement the server refused for what it is stays a 500.
        let e = ApiError::from(lost(K::Unknown, "column \"nope\" does not exist"));
        assert_eq!(e.status_code(), 500);
        let e = ApiError::from(lost(
            K::UnableToSendCommand,
            "expected 2 parameters but got 1",
        ));
        assert_eq!(e.status_code(), 500);
    }
}
