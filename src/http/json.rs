//! The JSON body extractor every handler uses.
//!
//! Like `actix_web::web::Json`, with three differences: errors name the offending field by
//! its JSON path (`errors[0].field = "lines[2].amount_cents"`); whole numbers written with a
//! fraction (`196.0`, which JSON Schema calls an integer) are accepted where integers are
//! expected; and the body limit is the configured `AGRUPA_BODY_LIMIT`.

use std::{future::Future, ops::Deref, pin::Pin};

use actix_web::{FromRequest, HttpRequest, dev::Payload, http::header, web};
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::{
    AppState,
    error::{ApiError, FieldError},
};

/// A JSON request body, parsed into `T`.
#[derive(Debug)]
pub struct Json<T>(pub T);

impl<T> Json<T> {
    /// The parsed body.
    pub fn into_inner(self) -> T {
        self.0
    }
}

impl<T> Deref for Json<T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.0
    }
}

/// Turns numbers like `196.0` into integers, recursively.
fn normalise(value: &mut Value) {
    match value {
        Value::Number(n) => {
            if let Some(f) = n.as_f64().filter(|_| n.is_f64())
                && f.fract() == 0.0
                && f.abs() < 9.0e15
            {
                *value = Value::from(f as i64);
            }
        }
        Value::Array(items) => items.iter_mut().for_each(normalise),
        Value::Object(map) => map.values_mut().for_each(normalise),
        _ => {}
    }
}

/// Parses a JSON body (already read) into `T`.
pub fn parse<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let mut value: Value = serde_json::from_slice(bytes).map_err(|e| {
        ApiError::bad_request(
            "malformed_json",
            format!("The request body is not valid JSON: {e}"),
        )
        .with_errors(vec![FieldError::new("body", "malformed", e.to_string())])
    })?;
    // Every request body of this API is an object; serde would also read a struct from an
    // array (`[null, null]`), which is never what a client means.
    if !value.is_object() {
        return Err(ApiError::bad_request(
            "invalid_body",
            "The request body must be a JSON object.",
        )
        .with_errors(vec![FieldError::new(
            "body",
            "invalid",
            "expected a JSON object",
        )]));
    }
    normalise(&mut value);
    serde_path_to_error::deserialize::<_, T>(value).map_err(|e| {
        let path = e.path().to_string();
        let field = if path == "." {
            super::extract::field_from_serde_message(&e.inner().to_string())
                .unwrap_or_else(|| "body".into())
        } else {
            path
        };
        let message = e.into_inner().to_string();
        ApiError::bad_request(
            "invalid_body",
            format!("The request body could not be read: {message}"),
        )
        .with_errors(vec![FieldError::new(field, "invalid", message)])
    })
}

impl<T: DeserializeOwned + 'static> FromRequest for Json<T> {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let is_json = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(';').next())
            .map(|m| m.trim().to_ascii_lowercase())
            .is_some_and(|m| {
                m == "application/json" || (m.starts_with("application/") && m.ends_with("+json"))
            });
        let limit = req
            .app_data::<web::Data<AppState>>()
            .map_or(1024 * 1024, |s| s.config.body_limit);
        let body = web::Bytes::from_request(req, payload);
        Box::pin(async move {
            if !is_json {
                return Err(ApiError::unsupported_media_type("application/json"));
            }
            let bytes = body.await.map_err(|_| ApiError::payload_too_large(limit))?;
            if bytes.len() > limit {
                return Err(ApiError::payload_too_large(limit));
            }
            parse(&bytes).map(Json)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Line {
        amount_cents: i64,
    }

    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Doc {
        lines: Vec<Line>,
    }

    #[test]
    fn integral_floats_are_integers_and_errors_have_paths() {
        let d: Doc = parse(br#"{"lines":[{"amount_cents":196.0}]}"#).unwrap();
        assert_eq!(d.lines[0].amount_cents, 196);
        let e =
            parse::<Doc>(br#"{"lines":[{"amount_cents":1},{"amount_cents":1.5}]}"#).unwrap_err();
        let p = e.problem(None);
        assert_eq!(p.errors[0].field, "lines[1].amount_cents");
        let e = parse::<Doc>(br#"{"lines":[], "role":"admin"}"#).unwrap_err();
        assert_eq!(e.problem(None).errors[0].field, "role");
        assert_eq!(parse::<Doc>(b"{").unwrap_err().code(), "malformed_json");
    }
}
