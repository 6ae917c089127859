//! The role matrix: every route of the spec × every kind of caller → the expected status.
//! A route missing from the table fails the test, so new routes must declare who may use them.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use crate::helpers::{TestApp, TestUser, spawn_app};

/// Expected status per caller (`admin staff member partner auditor client`); anonymous
/// callers always get 401. `None`: a public route, checked in its own tests.
fn rules() -> BTreeMap<&'static str, Option<&'static str>> {
    const ALL_200: &str = "admin:200 staff:200 member:200 partner:200 auditor:200 client:200";
    BTreeMap::from([
        ("GET /healthz", None),
        ("GET /readyz", None),
        ("GET /metrics", None),
        ("POST /api/v1/auth/token", None),
        ("POST /api/v1/auth/revoke", None),
        ("GET /api/v1/me", Some(ALL_200)),
        (
            "POST /api/v1/me/password",
            Some("admin:204 staff:204 member:204 partner:204 auditor:204 client:403"),
        ),
        (
            "GET /api/v1/users",
            Some("admin:200 staff:403 member:403 partner:403 auditor:200 client:403"),
        ),
        (
            "POST /api/v1/users",
            Some("admin:201 staff:403 member:403 partner:403 auditor:403 client:403"),
        ),
        (
            "GET /api/v1/users/{id}",
            Some("admin:200 staff:403 member:403 partner:403 auditor:200 client:403"),
        ),
        (
            "PATCH /api/v1/users/{id}",
            Some("admin:200 staff:403 member:403 partner:403 auditor:403 client:403"),
        ),
        (
            "GET /api/v1/api-clients",
            Some("admin:200 staff:403 member:403 partner:403 auditor:200 client:403"),
        ),
        (
            "POST /api/v1/api-clients",
            Some("admin:201 staff:403 member:403 partner:403 auditor:403 client:403"),
        ),
        (
            "GET /api/v1/api-clients/{id}",
            Some("admin:200 staff:403 member:403 partner:403 auditor:200 client:403"),
        ),
        (
            "PATCH /api/v1/api-clients/{id}",
            Some("admin:200 staff:403 member:403 partner:403 auditor:403 client:403"),
        ),
        (
            "POST /api/v1/api-clients/{id}/secret-rotations",
            Some("admin:200 staff:403 member:403 partner:403 auditor:403 client:403"),
        ),
        (
            "POST /api/v1/api-clients/{id}/revocation",
            Some("admin:200 staff:403 member:403 partner:403 auditor:403 client:403"),
        ),
        (
            "GET /api/v1/audit-events",
            Some("admin:200 staff:403 member:403 partner:403 auditor:200 client:403"),
        ),
        ("GET /api/v1/member-categories", Some(ALL_200)),
        (
            "POST /api/v1/member-categories",
            Some("admin:201 staff:403 member:403 partner:403 auditor:403 client:403"),
        ),
        ("GET /api/v1/member-categories/{id}", Some(ALL_200)),
        (
            "PATCH /api/v1/member-categories/{id}",
            Some("admin:200 staff:403 member:403 partner:403 auditor:403 client:403"),
        ),
        (
            "DELETE /api/v1/member-categories/{id}",
            Some("admin:204 staff:403 member:403 partner:403 auditor:403 client:403"),
        ),
        ("GET /api/v1/segments", Some(ALL_200)),
        (
            "POST /api/v1/segments",
            Some("admin:201 staff:403 member:403 partner:403 auditor:403 client:403"),
        ),
        ("GET /api/v1/segments/{id}", Some(ALL_200)),
        (
            "PATCH /api/v1/segments/{id}",
            Some("admin:200 staff:403 member:403 partner:403 auditor:403 client:403"),
        ),
        (
            "DELETE /api/v1/segments/{id}",
            Some("admin:204 staff:403 member:403 partner:403 auditor:403 client:403"),
        ),
        ("GET /api/v1/members", Some(ALL_200)),
        (
            "POST /api/v1/members",
            Some("admin:201 staff:201 member:403 partner:403 auditor:403 client:403"),
        ),
        ("GET /api/v1/members/stats", Some(ALL_200)),
        ("GET /api/v1/members/{id}", Some(ALL_200)),
        (
            "PATCH /api/v1/members/{id}",
            Some("admin:200 staff:200 member:404 partner:403 auditor:403 client:403"),
        ),
        (
            "DELETE /api/v1/members/{id}",
            Some("admin:204 staff:204 member:403 partner:403 auditor:403 client:403"),
        ),
        (
            "GET /api/v1/members/{id}/status-changes",
            Some("admin:200 staff:200 member:404 partner:404 auditor:200 client:404"),
        ),
        (
            "POST /api/v1/members/{id}/status-changes",
            Some("admin:201 staff:201 member:403 partner:403 auditor:403 client:403"),
        ),
        (
            "GET /api/v1/members/{id}/contacts",
            Some("admin:200 staff:200 member:404 partner:404 auditor:200 client:404"),
        ),
        (
            "POST /api/v1/members/{id}/contacts",
            Some("admin:201 staff:201 member:404 partner:403 auditor:403 client:403"),
        ),
        (
            "PATCH /api/v1/members/{id}/contacts/{contact_id}",
            Some("admin:200 staff:200 member:404 partner:403 auditor:403 client:403"),
        ),
        (
            "DELETE /api/v1/members/{id}/contacts/{contact_id}",
            Some("admin:204 staff:204 member:404 partner:403 auditor:403 client:403"),
        ),
        (
            "GET /api/v1/members/{id}/dues",
            Some("admin:200 staff:200 member:404 partner:404 auditor:200 client:404"),
        ),
        (
            "PATCH /api/v1/members/{id}/dues/{year}",
            Some("admin:200 staff:200 member:403 partner:403 auditor:403 client:403"),
        ),
        (
            "POST /api/v1/dues-issuances",
            Some("admin:201 staff:201 member:403 partner:403 auditor:403 client:403"),
        ),
    ])
}

/// Requests that end sessions go last.
fn order(key: &str) -> u8 {
    match key {
        "POST /api/v1/api-clients/{id}/revocation" => 1,
        "POST /api/v1/me/password" => 2,
        _ => 0,
    }
}

async fn id_of(res: reqwest::Response) -> String {
    let body: Value = res.json().await.unwrap();
    body["id"]
        .as_str()
        .unwrap_or_else(|| panic!("{body}"))
        .to_owned()
}

/// The objects the routes act on; destructive routes get fresh ones each time.
struct Fixture<'a> {
    app: &'a TestApp,
    admin: &'a TestUser,
    user: String,
    client: String,
    category: String,
    segment: String,
    member: String,
    contact: String,
    n: std::cell::Cell<u32>,
}

impl Fixture<'_> {
    fn next(&self) -> u32 {
        self.n.set(self.n.get() + 1);
        self.n.get()
    }

    async fn new_member(&self) -> String {
        let n = self.next();
        let body = json!({"legal_name": format!("Víctima {n}, S.L."), "tax_id": agrupa::domain::tax_id::make_cif('B', 5_000_000 + n),
            "kind": "company", "category_id": self.category, "status": "active"});
        id_of(
            self.app
                .post_json(&self.admin.token, "/api/v1/members", &body)
                .await,
        )
        .await
    }

    async fn path_and_body(&self, key: &str, password: &str) -> (String, Value) {
        let n = self.next();
        let (_, template) = key.split_once(' ').unwrap();
        let fill = |member: &str, contact: &str, other: &str| {
            template
                .replace("{contact_id}", contact)
                .replace("{year}", "2025")
                .replace(
                    "{id}",
                    if template.starts_with("/api/v1/members/") {
                        member
                    } else {
                        other
                    },
                )
        };
        let other = if template.starts_with("/api/v1/users/") {
            self.user.clone()
        } else if template.starts_with("/api/v1/api-clients/") {
            self.client.clone()
        } else if template.starts_with("/api/v1/member-categories/") {
            self.category.clone()
        } else {
            self.segment.clone()
        };
        let path = match key {
            "DELETE /api/v1/members/{id}" | "POST /api/v1/members/{id}/status-changes" => {
                fill(&self.new_member().await, "", "")
            }
            "DELETE /api/v1/members/{id}/contacts/{contact_id}" => {
                let c = id_of(
                    self.app
                        .post_json(
                            &self.admin.token,
                            &format!("/api/v1/members/{}/contacts", self.member),
                            &json!({"name": "Temporal"}),
                        )
                        .await,
                )
                .await;
                fill(&self.member, &c, "")
            }
            "DELETE /api/v1/member-categories/{id}" => {
                let c = id_of(
                    self.app
                        .post_json(
                            &self.admin.token,
                            "/api/v1/member-categories",
                            &json!({"name": format!("Temporal {n}"), "annual_fee_cents": 0}),
                        )
                        .await,
                )
                .await;
                fill("", "", &c)
            }
            "DELETE /api/v1/segments/{id}" => {
                let s = id_of(
                    self.app
                        .post_json(
                            &self.admin.token,
                            "/api/v1/segments",
                            &json!({"code": format!("temp-{n}"), "name": format!("Temporal {n}")}),
                        )
                        .await,
                )
                .await;
                fill("", "", &s)
            }
            _ => fill(&self.member, &self.contact, &other),
        };
        let body = match key {
            "POST /api/v1/users" => {
                json!({"email": format!("u{n}@x.es"), "display_name": "Nueva", "role": "staff",
                "password": "una contraseña muy larga"})
            }
            "PATCH /api/v1/users/{id}" => json!({"display_name": "Otro nombre"}),
            "POST /api/v1/api-clients" => json!({"name": "Otro cliente"}),
            "PATCH /api/v1/api-clients/{id}" => json!({"name": "Renombrado"}),
            "POST /api/v1/me/password" => {
                json!({"current_password": password, "new_password": "la nueva contraseña larga"})
            }
            "POST /api/v1/member-categories" => {
                json!({"name": format!("Categoría {n}"), "annual_fee_cents": 1000})
            }
            "PATCH /api/v1/member-categories/{id}" => json!({"description": "Con cuota"}),
            "POST /api/v1/segments" => {
                json!({"code": format!("seg-{n}"), "name": format!("Segmento {n}")})
            }
            "PATCH /api/v1/segments/{id}" => json!({"position": 3}),
            "POST /api/v1/members" => {
                json!({"legal_name": format!("Nueva {n}, S.L."), "kind": "company",
                "tax_id": agrupa::domain::tax_id::make_cif('B', 6_000_000 + n), "category_id": self.category})
            }
            "PATCH /api/v1/members/{id}" => json!({"website": "https://nueva.es"}),
            "POST /api/v1/members/{id}/status-changes" => {
                json!({"to": "suspended", "reason": "Cuotas pendientes"})
            }
            "POST /api/v1/members/{id}/contacts" => json!({"name": "Contacto nuevo"}),
            "PATCH /api/v1/members/{id}/contacts/{contact_id}" => json!({"position": "Gerente"}),
            "PATCH /api/v1/members/{id}/dues/{year}" => json!({"status": "paid"}),
            "POST /api/v1/dues-issuances" => {
                json!({"year": 2025, "issued_on": "2025-01-15", "due_on": "2025-03-31"})
            }
            _ => json!({}),
        };
        (path, body)
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

    let user = app.user(&admin, "staff").await.id;
    let client: Value = app
        .post_json(
            &admin.token,
            "/api/v1/api-clients",
            &json!({"name": "Cliente de pruebas",
        "scopes": ["members:read", "reference:read"]}),
        )
        .await
        .json()
        .await
        .unwrap();
    let category = id_of(
        app.post_json(
            &admin.token,
            "/api/v1/member-categories",
            &json!({"name": "De número", "annual_fee_cents": 120000}),
        )
        .await,
    )
    .await;
    let segment = id_of(
        app.post_json(
            &admin.token,
            "/api/v1/segments",
            &json!({"code": "produccion", "name": "Producción"}),
        )
        .await,
    )
    .await;
    let mut fixture = Fixture {
        app: &app,
        admin: &admin,
        user,
        client: client["id"].as_str().unwrap().to_owned(),
        category,
        segment,
        member: String::new(),
        contact: String::new(),
        n: std::cell::Cell::new(0),
    };
    fixture.member = fixture.new_member().await;
    fixture.contact = id_of(
        app.post_json(
            &admin.token,
            &format!("/api/v1/members/{}/contacts", fixture.member),
            &json!({"name": "Principal"}),
        )
        .await,
    )
    .await;
    let res = app
        .post_json(
            &admin.token,
            "/api/v1/dues-issuances",
            &json!({"year": 2025, "issued_on": "2025-01-15", "due_on": "2025-03-31"}),
        )
        .await;
    assert_eq!(res.status(), 201);

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
            let Some(expectations) = rules[key.as_str()] else {
                continue;
            };
            let (method, _) = key.split_once(' ').unwrap();
            let (path, body) = fixture.path_and_body(key, password).await;
            let mut req = app.client.request(method.parse().unwrap(), app.url(&path));
            if let Some(t) = token {
                req = req.bearer_auth(t);
            }
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
