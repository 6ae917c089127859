//! The answer for requests no route took: 405 with `Allow` when the path exists with other
//! methods, 404 otherwise. The table of paths and methods comes from the generated OpenAPI
//! document, which is built from the same registrations as the router, so the two agree.

use actix_web::{HttpRequest, HttpResponse, web};
use utoipa::openapi::{OpenApi, path::HttpMethod};

use crate::error::ApiError;

/// Every documented path template with the methods it accepts.
#[derive(Debug, Clone, Default)]
pub struct RouteTable {
    routes: Vec<(Vec<Segment>, Vec<&'static str>)>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Segment {
    Literal(String),
    Param,
}

const METHODS: [(HttpMethod, &str); 8] = [
    (HttpMethod::Get, "GET"),
    (HttpMethod::Head, "HEAD"),
    (HttpMethod::Post, "POST"),
    (HttpMethod::Put, "PUT"),
    (HttpMethod::Patch, "PATCH"),
    (HttpMethod::Delete, "DELETE"),
    (HttpMethod::Options, "OPTIONS"),
    (HttpMethod::Trace, "TRACE"),
];

impl RouteTable {
    /// Builds the table from an OpenAPI document.
    pub fn from_openapi(api: &OpenApi) -> Self {
        let routes = api
            .paths
            .paths
            .iter()
            .map(|(template, item)| {
                let segments = template
                    .split('/')
                    .filter(|s| !s.is_empty())
                    .map(|s| {
                        if s.starts_with('{') && s.ends_with('}') {
                            Segment::Param
                        } else {
                            Segment::Literal(s.to_owned())
                        }
                    })
                    .collect();
                let methods = METHODS
                    .iter()
                    .filter(|(m, _)| has_method(item, m))
                    .map(|(_, name)| *name)
                    .collect();
                (segments, methods)
            })
            .collect();
        Self { routes }
    }

    /// The methods accepted at `path`, or `None` when no route has this path.
    pub fn allowed(&self, path: &str) -> Option<Vec<&'static str>> {
        let parts: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
        if path.ends_with('/') && path != "/" {
            return None; // no trailing slashes
        }
        let matching: Vec<&(Vec<Segment>, Vec<&'static str>)> = self
            .routes
            .iter()
            .filter(|(segments, _)| {
                segments.len() == parts.len()
                    && segments.iter().zip(&parts).all(|(s, p)| match s {
                        Segment::Param => true,
                        Segment::Literal(l) => l == p,
                    })
            })
            .collect();
        // The most specific templates win: `/members/stats` over `/members/{id}`.
        let params = |s: &Vec<Segment>| s.iter().filter(|x| **x == Segment::Param).count();
        let fewest = matching.iter().map(|(s, _)| params(s)).min();
        let mut allowed: Vec<&'static str> = Vec::new();
        for (segments, methods) in matching {
            if Some(params(segments)) == fewest {
                for m in methods {
                    if !allowed.contains(m) {
                        allowed.push(m);
                    }
                }
            }
        }
        (!allowed.is_empty()).then_some(allowed)
    }

    /// The answer to a request no route took: 405 with `Allow` when the path exists with
    /// other methods, else 404.
    pub fn unrouted(&self, method: &str, path: &str) -> ApiError {
        match self.allowed(path) {
            Some(allowed) if !allowed.contains(&method) => ApiError::method_not_allowed(allowed),
            _ => ApiError::not_found(format!("No resource at {path}.")),
        }
    }
}

fn has_method(item: &utoipa::openapi::PathItem, method: &HttpMethod) -> bool {
    match method {
        HttpMethod::Get => item.get.is_some(),
        HttpMethod::Head => item.head.is_some(),
        HttpMethod::Post => item.post.is_some(),
        HttpMethod::Put => item.put.is_some(),
        HttpMethod::Patch => item.patch.is_some(),
        HttpMethod::Delete => item.delete.is_some(),
        HttpMethod::Options => item.options.is_some(),
        HttpMethod::Trace => item.trace.is_some(),
    }
}

/// The default service of the application.
pub async fn not_routed(
    req: HttpRequest,
    table: web::Data<RouteTable>,
) -> Result<HttpResponse, ApiError> {
    Err(table.unrouted(req.method().as_str(), req.path()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn templates_match_parameters_and_collect_methods() {
        let api: OpenApi = serde_json::from_value(serde_json::json!({
            "openapi": "3.1.0",
            "info": {"title": "t", "version": "1"},
            "paths": {
                "/api/v1/users": {"get": {"responses": {}}, "post": {"responses": {}}},
                "/api/v1/users/{id}": {"get": {"responses": {}}, "delete": {"responses": {}}},
            }
        }))
        .unwrap();
        let t = RouteTable::from_openapi(&api);
        assert_eq!(t.allowed("/api/v1/users"), Some(vec!["GET", "POST"]));
        assert_eq!(t.allowed("/api/v1/users/42"), Some(vec!["GET", "DELETE"]));
        assert_eq!(t.allowed("/api/v1/users/42/x"), None);
        assert_eq!(t.allowed("/api/v1/users/"), None);
        assert_eq!(t.allowed("/nope"), None);
        let api: OpenApi = serde_json::from_value(serde_json::json!({
            "openapi": "3.1.0", "info": {"title": "t", "version": "1"},
            "paths": {
                "/m/stats": {"get": {"responses": {}}},
                "/m/{id}": {"get": {"responses": {}}, "patch": {"responses": {}}},
            }
        }))
        .unwrap();
        let t = RouteTable::from_openapi(&api);
        assert_eq!(t.allowed("/m/stats"), Some(vec!["GET"]));
        assert_eq!(t.allowed("/m/7"), Some(vec!["GET", "PATCH"]));
    }
}
