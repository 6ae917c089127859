//! Extractor configuration: every failure to read a body, a query string or a path
//! parameter becomes a problem+json [`ApiError`] instead of actix's plain-text default.

use actix_web::{
    HttpRequest,
    error::{PathError, QueryPayloadError, UrlencodedError},
    web,
};

use super::fallback::RouteTable;
use crate::error::{ApiError, FieldError};

/// Form bodies (the OAuth token endpoint).
pub fn form_config(limit: usize) -> web::FormConfig {
    web::FormConfig::default()
        .limit(limit)
        .error_handler(|err, _req| form_error(err).into())
}

/// Query strings.
pub fn query_config() -> web::QueryConfig {
    web::QueryConfig::default().error_handler(|err, _req: &HttpRequest| query_error(&err).into())
}

/// Path parameters.
pub fn path_config() -> web::PathConfig {
    web::PathConfig::default().error_handler(|err, req| path_error(&err, req).into())
}

/// Raw bodies.
pub fn payload_config(limit: usize) -> web::PayloadConfig {
    web::PayloadConfig::default().limit(limit)
}

fn form_error(err: UrlencodedError) -> ApiError {
    match err {
        UrlencodedError::Overflow { limit, .. } => ApiError::payload_too_large(limit),
        UrlencodedError::ContentType => {
            ApiError::unsupported_media_type("application/x-www-form-urlencoded")
        }
        other => ApiError::bad_request(
            "invalid_body",
            format!("The form could not be read: {other}"),
        ),
    }
}

/// A query parameter kept within the range the OpenAPI document gives it: `None` stays
/// `None`, a value outside `range` is a 400 `invalid_query` naming the parameter.
pub fn query_in_range<T>(
    name: &str,
    value: Option<T>,
    range: std::ops::RangeInclusive<T>,
) -> Result<Option<T>, ApiError>
where
    T: PartialOrd + std::fmt::Display + Copy,
{
    match value {
        Some(v) if !range.contains(&v) => {
            let bounds = format!("{}..={}", range.start(), range.end());
            Err(ApiError::bad_request(
                "invalid_query",
                format!(
                    "`{name}` must be between {} and {}.",
                    range.start(),
                    range.end()
                ),
            )
            .with_errors(vec![FieldError::new(name, "out_of_range", bounds)]))
        }
        other => Ok(other),
    }
}

fn query_error(err: &QueryPayloadError) -> ApiError {
    let message = err.to_string();
    let field = field_from_serde_message(&message).unwrap_or_else(|| "query".to_owned());
    ApiError::bad_request(
        "invalid_query",
        format!("The query string is invalid: {message}"),
    )
    .with_errors(vec![FieldError::new(field, "invalid", message)])
}

/// A path parameter that does not parse (`/members/stats` reaching `PATCH /members/{id}`,
/// `/plans/none/revisions`) means no route takes the request: the answer is the one the
/// router gives for unrouted requests (405 when a more specific path exists with other
/// methods, else 404), so it does not depend on whether a route is registered with or
/// without a pattern constraint.
fn path_error(err: &PathError, req: &HttpRequest) -> ApiError {
    match req.app_data::<web::Data<RouteTable>>() {
        Some(table) => table.unrouted(req.method().as_str(), req.path()),
        None => ApiError::bad_request(
            "invalid_path_parameter",
            format!("A path parameter is invalid: {err}"),
        ),
    }
}

/// serde names the offending field in backticks (`unknown field `role``, `missing field
/// `name``); take it from there when present.
pub fn field_from_serde_message(message: &str) -> Option<String> {
    let start = message.find('`')? + 1;
    let len = message[start..].find('`')?;
    let is_field_message = message.starts_with("unknown field")
        || message.starts_with("missing field")
        || message.contains("field `");
    is_field_message.then(|| message[start..start + len].to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn field_names_are_taken_from_serde_messages() {
        assert_eq!(
            field_from_serde_message("unknown field `role`, expected `name` at line 1 column 8"),
            Some("role".into())
        );
        assert_eq!(
            field_from_serde_message("missing field `email`"),
            Some("email".into())
        );
        assert_eq!(
            field_from_serde_message("expected value at line 1 column 2"),
            None
        );
    }
}
