//! The role matrix: every route of the spec × every kind of caller → the expected status.
//! A route missing from the table fails the test, so new routes must declare who may use them.

use std::collections::BTreeMap;

use serde_json::json;

use crate::support::spawn_app_with;

mod fixture;
mod rules;

use fixture::fixture;
use rules::rules;

/// Requests that end sessions go last.
fn order(key: &str) -> u8 {
    match key {
        "POST /api/v1/api-clients/{id}/revocation" => 1,
        "POST /api/v1/me/password" => 2,
        _ => 0,
    }
}

/// Every route of the spec, those that end sessions last.
fn routes(rules: &BTreeMap<&str, Option<&str>>) -> Vec<String> {
    let spec = agrupa::openapi_spec();
    let mut routes: Vec<String> = Vec::new();
    for (path, item) in &spec.paths.paths {
        for (method, present) in [
            ("GET", item.get.is_some()),
            ("POST", item.post.is_some()),
            ("PATCH", item.patch.is_some()),
            ("PUT", item.put.is_some()),
            ("DELETE", item.delete.is_some()),
        ] {
            if present {
                let key = format!("{method} {path}");
                assert!(
                    rules.contains_key(key.as_str()),
                    "no role rule for {key}: add it to tests/api/roles/rules.rs"
                );
                routes.push(key);
            }
        }
    }
    routes.sort_by_key(|k| order(k));
    routes
}

#[tokio::test]
async fn every_route_answers_every_caller_as_the_policy_says() {
    // Six callers on every route, from one address, are more requests in a minute than the
    // per-address limit allows: the limit is off here (tested in its own tests).
    let app = spawn_app_with(|c| c.rate_limit = 0).await;
    let admin = app.admin().await;
    let rules = rules();
    let routes = routes(&rules);
    let client = app
        .create_api_client(
            &admin.token,
            &json!({"name": "Cliente de pruebas",
        "scopes": ["members:read", "reference:read", "plans:read", "budgets:read"]}),
        )
        .await;
    let fixture = fixture(&app, &admin, client.id).await;

    let mut callers: Vec<(&str, Option<String>, String)> = vec![("anonymous", None, String::new())];
    for role in ["staff", "member", "partner", "auditor"] {
        let u = app.user(&admin, role).await;
        callers.push((role, Some(u.token), u.password));
    }
    callers.push((
        "client",
        Some(app.client_token(&client).await),
        String::new(),
    ));
    callers.push(("admin", Some(admin.token.clone()), admin.password.clone()));

    let mut failures = Vec::new();
    for (caller, token, password) in &callers {
        for key in &routes {
            let Some(expectations) = rules[key.as_str()] else {
                continue;
            };
            let (method, _) = key.split_once(' ').unwrap();
            let (path, body) = fixture.path_and_body(key, password).await;
            let mut req = app.client.request(method.parse().unwrap(), app.url(&path));
            if let Some(t) = token {
                req = req.bearer_auth(t);
            }
            // Plans need `If-Match` on changes; `*` passes it, as any current tag would.
            req = req.header("If-Match", "*");
            if method != "GET" && method != "DELETE" {
                req = req.json(&body);
            }
            let status = req.send().await.unwrap().status().as_u16();
            let expected: u16 = match token {
                None => 401,
                Some(_) => expectations
                    .split_whitespace()
                    .find_map(|e| e.strip_prefix(&format!("{caller}:")))
                    .unwrap_or_else(|| panic!("{key}: no expectation for {caller}"))
                    .parse()
                    .unwrap(),
            };
            if status != expected {
                failures.push(format!(
                    "{caller:>9} {key}: got {status}, expected {expected}"
                ));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "role matrix mismatches:\n{}",
        failures.join("\n")
    );
}
