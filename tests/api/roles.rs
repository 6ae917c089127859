//! The role matrix: every route of the spec × every kind of caller → the expected status.
//! A route missing from the table fails the test, so new routes must declare who may use them.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use crate::helpers::spawn_app;

/// Who may call a route, and what success looks like.
struct Rule {
    allowed: &'static [&'static str],
    success: u16,
}

const EVERYONE: &[&str] = &["admin", "staff", "member", "partner", "auditor", "client"];
const PEOPLE: &[&str] = &["admin", "staff", "member", "partner", "auditor"];
const ADMIN_AUDITOR: &[&str] = &["admin", "auditor"];
const ADMIN: &[&str] = &["admin"];

fn rules() -> BTreeMap<&'static str, Option<Rule>> {
    let r = |allowed, success| Some(Rule { allowed, success });
    BTreeMap::from([
        // Public: no token needed (checked in their own tests).
        ("GET /healthz", None),
        ("GET /readyz", None),
        ("GET /metrics", None),
        ("POST /api/v1/auth/token", None),
        ("POST /api/v1/auth/revoke", None),
        ("GET /api/v1/me", r(EVERYONE, 200)),
        ("POST /api/v1/me/password", r(PEOPLE, 204)),
        ("GET /api/v1/users", r(ADMIN_AUDITOR, 200)),
        ("POST /api/v1/users", r(ADMIN, 201)),
        ("GET /api/v1/users/{id}", r(ADMIN_AUDITOR, 200)),
        ("PATCH /api/v1/users/{id}", r(ADMIN, 200)),
        ("GET /api/v1/api-clients", r(ADMIN_AUDITOR, 200)),
        ("POST /api/v1/api-clients", r(ADMIN, 201)),
        ("GET /api/v1/api-clients/{id}", r(ADMIN_AUDITOR, 200)),
        ("PATCH /api/v1/api-clients/{id}", r(ADMIN, 200)),
        (
            "POST /api/v1/api-clients/{id}/secret-rotations",
            r(ADMIN, 200),
        ),
        ("DELETE /api/v1/api-clients/{id}", r(ADMIN, 204)),
        ("GET /api/v1/audit-events", r(ADMIN_AUDITOR, 200)),
    ])
}

/// Requests that end sessions or revoke things go last.
fn order(key: &str) -> u8 {
    match key {
        "DELETE /api/v1/api-clients/{id}" => 1,
        "POST /api/v1/me/password" => 2,
        _ => 0,
    }
}

#[tokio::test]
async fn every_route_answers_every_caller_as_the_policy_says() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let spec = agrupa::openapi_spec();
    let rules = rules();

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
                    "no role rule for {key}: add it to tests/api/roles.rs"
                );
                routes.push(key);
            }
        }
    }
    routes.sort_by_key(|k| order(k));

    // The objects the routes act on.
    let victim = app.user(&admin, "staff").await;
    let res = app
        .post_json(
            &admin.token,
            "/api/v1/api-clients",
            &json!({"name": "Cliente de pruebas"}),
        )
        .await;
    let client: Value = res.json().await.unwrap();
    let client_row = client["id"].as_str().unwrap().to_owned();
    let client_token: Value = app
        .token_form(&[
            ("grant_type", "client_credentials"),
            ("client_id", client["client_id"].as_str().unwrap()),
            ("client_secret", client["client_secret"].as_str().unwrap()),
        ])
        .await
        .json()
        .await
        .unwrap();
    let mut callers: Vec<(&str, Option<String>, String)> = vec![("anonymous", None, String::new())];
    for role in ["staff", "member", "partner", "auditor"] {
        let u = app.user(&admin, role).await;
        callers.push((role, Some(u.token), u.password));
    }
    callers.push((
        "client",
        Some(client_token["access_token"].as_str().unwrap().to_owned()),
        String::new(),
    ));
    callers.push(("admin", Some(admin.token.clone()), admin.password.clone()));

    let mut failures = Vec::new();
    for (caller, token, password) in &callers {
        for key in &routes {
            let Some(rule) = rules[key.as_str()].as_ref() else {
                continue;
            };
            let (method, template) = key.split_once(' ').unwrap();
            let path = if template.starts_with("/api/v1/users/") {
                template.replace("{id}", &victim.id)
            } else {
                template.replace("{id}", &client_row)
            };
            let body = match key.as_str() {
                "POST /api/v1/users" => {
                    json!({"email": format!("{}@x.es", uuid::Uuid::new_v4().simple()),
                    "display_name": "Nueva", "role": "staff", "password": "una contraseña muy larga"})
                }
                "PATCH /api/v1/users/{id}" => json!({"display_name": "Otro nombre"}),
                "POST /api/v1/api-clients" => json!({"name": "Otro cliente"}),
                "PATCH /api/v1/api-clients/{id}" => json!({"name": "Renombrado"}),
                "POST /api/v1/me/password" => {
                    json!({"current_password": password, "new_password": "la nueva contraseña larga"})
                }
                _ => json!({}),
            };
            let mut req = app.client.request(method.parse().unwrap(), app.url(&path));
            if let Some(t) = token {
                req = req.bearer_auth(t);
            }
            if method != "GET" && method != "DELETE" {
                req = req.json(&body);
            }
            let status = req.send().await.unwrap().status().as_u16();
            let expected = match (token, rule.allowed.contains(caller)) {
                (None, _) => 401,
                (Some(_), true) => rule.success,
                (Some(_), false) => 403,
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
