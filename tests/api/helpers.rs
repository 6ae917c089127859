//! `spawn_app()`: the real application on port 0 against a fresh database.
//!
//! The database server is `AGRUPA_TEST_DATABASE_URL` when set (a connection string to any
//! database of a server where the user may create databases), otherwise a private,
//! throw-away PostgreSQL started from the installed binaries (the mechanism of the
//! zero-config mode), shared by all tests of this process and shut down when it exits.

#![allow(dead_code)]

use std::{path::PathBuf, sync::OnceLock, time::Duration};

use agrupa::{
    Application, Database,
    config::Config,
    db::{
        self,
        embedded::{EmbeddedOptions, EmbeddedPostgres},
    },
};
use tokio::sync::OnceCell;

/// Where test databases are created.
struct Server {
    /// Connection string to the maintenance database.
    admin_url: String,
    /// Builds a connection string for another database of the same server.
    url_for: Box<dyn Fn(&str) -> String + Send + Sync>,
    _embedded: Option<EmbeddedPostgres>,
}

static SERVER: OnceLock<Server> = OnceLock::new();
static TEMPLATE: OnceCell<String> = OnceCell::const_new();

fn server() -> &'static Server {
    SERVER.get_or_init(|| {
        if let Ok(url) = std::env::var("AGRUPA_TEST_DATABASE_URL") {
            let base = url.clone();
            return Server {
                admin_url: url,
                url_for: Box::new(move |db| replace_dbname(&base, db)),
                _embedded: None,
            };
        }
        let root = test_cluster_dir();
        let pg = EmbeddedPostgres::start(&EmbeddedOptions {
            root,
            bin_dir: std::env::var_os("AGRUPA_PG_BIN").map(PathBuf::from),
            ephemeral: true,
        })
        .expect("start the test PostgreSQL (install PostgreSQL or set AGRUPA_TEST_DATABASE_URL)");
        let admin_url = pg.database_url("postgres");
        let template = pg.database_url("");
        Server {
            admin_url,
            url_for: Box::new(move |db| template.replace("dbname=", &format!("dbname={db}"))),
            _embedded: Some(pg),
        }
    })
}

/// A per-process cluster folder; folders of processes that are gone are removed.
fn test_cluster_dir() -> PathBuf {
    let base = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("test-pg");
    std::fs::create_dir_all(&base).unwrap();
    for entry in std::fs::read_dir(&base).unwrap().flatten() {
        let name = entry.file_name().to_string_lossy().to_string();
        if let Some(pid) = name.strip_prefix("pid-")
            && !PathBuf::from(format!("/proc/{pid}")).exists()
        {
            let _ = std::fs::remove_dir_all(entry.path());
        }
    }
    base.join(format!("pid-{}", std::process::id()))
}

fn replace_dbname(url: &str, db: &str) -> String {
    if url.contains("://") {
        let (head, tail) = url
            .split_once('?')
            .map_or((url, None), |(h, t)| (h, Some(t)));
        let cut = head.rfind('/').unwrap();
        let mut out = format!("{}/{db}", &head[..cut]);
        if let Some(t) = tail {
            out.push('?');
            out.push_str(t);
        }
        out
    } else {
        let mut parts: Vec<String> = url
            .split_whitespace()
            .filter(|kv| !kv.starts_with("dbname="))
            .map(str::to_owned)
            .collect();
        parts.push(format!("dbname={db}"));
        parts.join(" ")
    }
}

/// Creates (once per process) the migrated template database.
async fn template() -> &'static str {
    TEMPLATE
        .get_or_init(|| async {
            let server = server();
            let name = format!("agrupa_tpl_{}", std::process::id());
            db::create_database(&server.admin_url, &name, None)
                .await
                .unwrap();
            db::run_migrations(&(server.url_for)(&name)).await.unwrap();
            name
        })
        .await
}

/// A running application on its own database.
pub struct TestApp {
    pub address: String,
    pub port: u16,
    pub client: reqwest::Client,
    pub db_url: String,
    pub db_name: String,
}

/// The signing key every test app uses, so tests can forge tokens.
pub const TEST_JWT_SECRET: &str = "dGVzdC1rZXktdGhhdC1pcy1sb25nLWVub3VnaC0zMmJ5dGVzIQ";
pub const TEST_KID: &str = "test";

/// Test-specific settings on top of the defaults.
pub fn test_config() -> Config {
    Config {
        jwt_keys: Some(format!("{TEST_KID}:{TEST_JWT_SECRET}")),
        addr: "127.0.0.1:0".into(),
        db_pool_size: 4,
        db_timeout: Duration::from_millis(2000),
        workers: Some(1),
        shutdown_timeout: Duration::from_secs(1),
        ..Config::default()
    }
}

/// Starts the application with the default test configuration.
pub async fn spawn_app() -> TestApp {
    spawn_app_with(|_| {}).await
}

/// Starts the application after `adjust` has changed its configuration.
pub async fn spawn_app_with(adjust: impl FnOnce(&mut Config)) -> TestApp {
    agrupa::telemetry::init(
        agrupa::config::LogFormat::Pretty,
        &std::env::var("TEST_LOG").unwrap_or_else(|_| "off".into()),
    );
    let template = template().await;
    let server = server();
    let db_name = format!("agrupa_test_{}", uuid::Uuid::new_v4().simple());
    db::create_database(&server.admin_url, &db_name, Some(template))
        .await
        .unwrap();
    let db_url = (server.url_for)(&db_name);
    let mut config = test_config();
    config.database_url = Some(db_url.clone());
    adjust(&mut config);
    let app = Application::build(
        config,
        Database {
            url: db_url.clone(),
            embedded: None,
        },
    )
    .await
    .expect("build the application");
    let port = app.port();
    tokio::spawn(app.run_until_stopped());
    TestApp {
        address: format!("http://127.0.0.1:{port}"),
        port,
        client: reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap(),
        db_url,
        db_name,
    }
}

impl TestApp {
    /// A full URL for `path`.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.address)
    }

    /// GET `path`.
    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client.get(self.url(path)).send().await.unwrap()
    }

    /// Runs SQL directly on this app's database.
    pub async fn sql(&self, sql: &str) {
        use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
        let mut conn = AsyncPgConnection::establish(&self.db_url).await.unwrap();
        diesel::sql_query(sql).execute(&mut conn).await.unwrap();
    }

    /// Runs SQL on the test's database and returns the error message, if any.
    pub async fn sql_result(&self, sql: &str) -> Result<(), String> {
        use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
        let mut conn = AsyncPgConnection::establish(&self.db_url).await.unwrap();
        diesel::sql_query(sql)
            .execute(&mut conn)
            .await
            .map(|_| ())
            .map_err(|e| e.to_string())
    }

    /// Runs SQL on the server's maintenance database.
    pub async fn admin_sql(&self, sql: &str) {
        use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
        let mut conn = AsyncPgConnection::establish(&server().admin_url)
            .await
            .unwrap();
        diesel::sql_query(sql).execute(&mut conn).await.unwrap();
    }
}

/// Asserts a problem+json response and returns its body.
pub async fn assert_problem(res: reqwest::Response, status: u16, code: &str) -> serde_json::Value {
    assert_eq!(res.status().as_u16(), status, "status");
    let ct = res
        .headers()
        .get("content-type")
        .unwrap()
        .to_str()
        .unwrap()
        .to_owned();
    assert_eq!(ct, "application/problem+json");
    let header_id = res
        .headers()
        .get("x-request-id")
        .expect("x-request-id header")
        .to_str()
        .unwrap()
        .to_owned();
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!(body["status"], status);
    assert_eq!(body["code"], code, "{body}");
    assert_eq!(
        body["request_id"],
        header_id.as_str(),
        "request id in body and header"
    );
    assert!(body["type"].as_str().unwrap().ends_with(code));
    assert!(body["title"].is_string());
    body
}

/// A signed-in user of a test.
#[derive(Debug, Clone)]
pub struct TestUser {
    pub id: String,
    pub email: String,
    pub password: String,
    pub token: String,
    pub refresh_token: String,
}

pub const ADMIN_EMAIL: &str = "admin@test.agrupa.local";
pub const ADMIN_PASSWORD: &str = "contraseña-de-administración";

impl TestApp {
    /// POST a form to the token endpoint.
    pub async fn token_form(&self, form: &[(&str, &str)]) -> reqwest::Response {
        let body = serde_urlencoded::to_string(form).unwrap();
        self.client
            .post(self.url("/api/v1/auth/token"))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body)
            .send()
            .await
            .unwrap()
    }

    /// Signs in with the password grant; panics unless it works.
    pub async fn login(&self, email: &str, password: &str) -> serde_json::Value {
        let res = self
            .token_form(&[
                ("grant_type", "password"),
                ("username", email),
                ("password", password),
            ])
            .await;
        assert_eq!(res.status(), 200, "login of {email}");
        res.json().await.unwrap()
    }

    /// Creates the first admin directly (as `agrupa admin create` does) and signs in.
    pub async fn admin(&self) -> TestUser {
        use diesel_async::{AsyncConnection, AsyncPgConnection};
        let mut conn = AsyncPgConnection::establish(&self.db_url).await.unwrap();
        agrupa::users::bootstrap_admin(&mut conn, ADMIN_EMAIL, "Admin", ADMIN_PASSWORD.into())
            .await
            .unwrap();
        let tokens = self.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;
        let me: serde_json::Value = self
            .client
            .get(self.url("/api/v1/me"))
            .bearer_auth(tokens["access_token"].as_str().unwrap())
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        TestUser {
            id: me["id"].as_str().unwrap().to_owned(),
            email: ADMIN_EMAIL.into(),
            password: ADMIN_PASSWORD.into(),
            token: tokens["access_token"].as_str().unwrap().to_owned(),
            refresh_token: tokens["refresh_token"].as_str().unwrap().to_owned(),
        }
    }

    /// Creates a user with `role` through the API (as `admin`) and signs them in.
    pub async fn user(&self, admin: &TestUser, role: &str) -> TestUser {
        let email = format!("{role}-{}@test.agrupa.local", uuid::Uuid::new_v4().simple());
        let password = "una contraseña bastante larga".to_owned();
        let res = self
            .post_json(&admin.token, "/api/v1/users", &serde_json::json!({
                "email": email, "display_name": format!("Usuaria {role}"), "role": role, "password": password,
            }))
            .await;
        assert_eq!(res.status(), 201, "create {role}");
        let user: serde_json::Value = res.json().await.unwrap();
        let tokens = self.login(&email, &password).await;
        TestUser {
            id: user["id"].as_str().unwrap().to_owned(),
            email,
            password,
            token: tokens["access_token"].as_str().unwrap().to_owned(),
            refresh_token: tokens["refresh_token"].as_str().unwrap().to_owned(),
        }
    }

    /// GET with a bearer token.
    pub async fn get_as(&self, token: &str, path: &str) -> reqwest::Response {
        self.client
            .get(self.url(path))
            .bearer_auth(token)
            .send()
            .await
            .unwrap()
    }

    /// GET with a bearer token and `Accept: text/csv`; the body.
    pub async fn get_csv(&self, token: &str, path: &str) -> String {
        self.client
            .get(self.url(path))
            .bearer_auth(token)
            .header("accept", "text/csv")
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap()
    }

    /// POST JSON with a bearer token.
    pub async fn post_json(
        &self,
        token: &str,
        path: &str,
        body: &serde_json::Value,
    ) -> reqwest::Response {
        self.client
            .post(self.url(path))
            .bearer_auth(token)
            .json(body)
            .send()
            .await
            .unwrap()
    }

    /// PATCH JSON with a bearer token.
    pub async fn patch_json(
        &self,
        token: &str,
        path: &str,
        body: &serde_json::Value,
    ) -> reqwest::Response {
        self.client
            .patch(self.url(path))
            .bearer_auth(token)
            .json(body)
            .send()
            .await
            .unwrap()
    }
}

impl TestApp {
    /// Creates a member category (unique name) and returns its id.
    pub async fn category(&self, admin: &TestUser, fee_cents: i64) -> String {
        let name = format!("Categoría {}", uuid::Uuid::new_v4().simple());
        let res = self
            .post_json(
                &admin.token,
                "/api/v1/member-categories",
                &serde_json::json!({"name": name, "annual_fee_cents": fee_cents}),
            )
            .await;
        assert_eq!(res.status(), 201);
        res.json::<serde_json::Value>().await.unwrap()["id"]
            .as_str()
            .unwrap()
            .to_owned()
    }

    /// Creates an active member (with a fresh category) and returns its id.
    pub async fn member(&self, admin: &TestUser, legal_name: &str, tax_id: &str) -> String {
        let category = self.category(admin, 50_000).await;
        let res = self
            .post_json(&admin.token, "/api/v1/members", &serde_json::json!({
                "legal_name": legal_name, "tax_id": tax_id, "kind": "company", "category_id": category, "status": "active",
            }))
            .await;
        assert_eq!(res.status(), 201, "create member {legal_name}");
        res.json::<serde_json::Value>().await.unwrap()["id"]
            .as_str()
            .unwrap()
            .to_owned()
    }
}

/// A small four-level plan document: 2 axes, 3 areas, 3 objectives, 5 actions, 2
/// indicators (both directions). Codes carry `prefix`.
pub fn plan_doc(prefix: &str) -> serde_json::Value {
    let action = |code: &str, status: &str, progress: i64, weight: i64| {
        serde_json::json!({"code": format!("{prefix}{code}"), "title": format!("Acción {code}"), "weight": weight,
            "action": {"status": status, "progress": progress, "start_date": "2024-02-01", "end_date": "2025-06-30",
                "planned_budget_cents": 1_000_000}})
    };
    serde_json::json!({
        "title": "Plan Estratégico de prueba 2024–2027",
        "description": "Plan con ñ, tildes y 🎬.",
        "start_year": 2024, "end_year": 2027,
        "labels": {"axis": "Eje", "area": "Área", "objective": "Objetivo", "action": "Acción"},
        "axes": [
            {"code": format!("{prefix}E1"), "title": "Internacionalización", "weight": 3, "children": [
                {"code": format!("{prefix}E1.1"), "title": "Mercados", "children": [
                    {"code": format!("{prefix}E1.1.1"), "title": "Más exportación",
                     "indicators": [{"name": "Empresas exportadoras", "unit": "empresas", "higher_is_better": true,
                        "baseline": 10.0, "targets": [{"year": 2024, "value": 20.0}, {"year": 2025, "value": 30.0}],
                        "measurements": [{"measured_on": "2024-12-31", "value": 15.0, "source": "Memoria 2024"}]}],
                     "children": [action("E1.1.1.1", "completed", 100, 1), action("E1.1.1.2", "in_progress", 40, 3)]}
                ]},
                {"code": format!("{prefix}E1.2"), "title": "Festivales", "children": [
                    {"code": format!("{prefix}E1.2.1"), "title": "Presencia en festivales",
                     "children": [action("E1.2.1.1", "not_started", 0, 1)]}
                ]}
            ]},
            {"code": format!("{prefix}E2"), "title": "Sostenibilidad", "weight": 1, "children": [
                {"code": format!("{prefix}E2.1"), "title": "Rodaje sostenible", "children": [
                    {"code": format!("{prefix}E2.1.1"), "title": "Menos emisiones",
                     "indicators": [{"name": "Huella de carbono", "unit": "t CO2e", "higher_is_better": false,
                        "baseline": 100.0, "targets": [{"year": 2025, "value": 60.0}],
                        "measurements": [{"measured_on": "2025-12-31", "value": 90.0}]}],
                     "children": [action("E2.1.1.1", "delayed", 50, 1), action("E2.1.1.2", "cancelled", 10, 1)]}
                ]}
            ]}
        ]
    })
}

impl TestApp {
    /// A request with a bearer token and, when given, `If-Match`.
    pub async fn send_as(
        &self,
        method: &str,
        token: &str,
        path: &str,
        if_match: Option<&str>,
        body: Option<&serde_json::Value>,
    ) -> reqwest::Response {
        let mut req = self
            .client
            .request(method.parse().unwrap(), self.url(path))
            .bearer_auth(token);
        if let Some(tag) = if_match {
            req = req.header("If-Match", tag);
        }
        if let Some(b) = body {
            req = req.json(b);
        }
        req.send().await.unwrap()
    }

    /// Imports a plan document (as `token`) and returns the created plan.
    pub async fn import_plan(&self, token: &str, doc: &serde_json::Value) -> serde_json::Value {
        let res = self.post_json(token, "/api/v1/plans/import", doc).await;
        assert_eq!(res.status(), 201, "import plan");
        res.json().await.unwrap()
    }

    /// Approves a plan (as an admin) and returns it.
    pub async fn approve_plan(&self, admin: &TestUser, plan_id: &str) -> serde_json::Value {
        let res = self
            .send_as(
                "POST",
                &admin.token,
                &format!("/api/v1/plans/{plan_id}/approval"),
                Some("*"),
                Some(&serde_json::json!({"reference": "Acta de la Asamblea General, acuerdo 4"})),
            )
            .await;
        assert_eq!(res.status(), 200, "approve plan");
        res.json().await.unwrap()
    }

    /// The ids of a plan's nodes by code, and of its indicators by name.
    pub async fn plan_ids(
        &self,
        token: &str,
        plan_id: &str,
    ) -> std::collections::HashMap<String, String> {
        let tree: serde_json::Value = self
            .get_as(token, &format!("/api/v1/plans/{plan_id}/tree"))
            .await
            .json()
            .await
            .unwrap();
        fn walk(n: &serde_json::Value, out: &mut std::collections::HashMap<String, String>) {
            out.insert(
                n["code"].as_str().unwrap().to_owned(),
                n["id"].as_str().unwrap().to_owned(),
            );
            for i in n["indicators"].as_array().unwrap() {
                out.insert(
                    i["name"].as_str().unwrap().to_owned(),
                    i["id"].as_str().unwrap().to_owned(),
                );
            }
            for c in n["children"].as_array().unwrap() {
                walk(c, out);
            }
        }
        let mut out = std::collections::HashMap::new();
        for a in tree["axes"].as_array().unwrap() {
            walk(a, &mut out);
        }
        out
    }
}

/// Funding fixtures.
impl TestApp {
    /// Creates a user with `role` and extra fields (`member_id`, `funder_id`) and signs in.
    pub async fn user_with(
        &self,
        admin: &TestUser,
        role: &str,
        extra: serde_json::Value,
    ) -> TestUser {
        let email = format!("{role}-{}@test.agrupa.local", uuid::Uuid::new_v4().simple());
        let password = "una contraseña bastante larga".to_owned();
        let mut body = serde_json::json!({
            "email": email, "display_name": format!("Usuaria {role}"), "role": role, "password": password,
        });
        for (k, v) in extra.as_object().unwrap() {
            body[k] = v.clone();
        }
        let res = self.post_json(&admin.token, "/api/v1/users", &body).await;
        assert_eq!(res.status(), 201, "create {role}");
        let user: serde_json::Value = res.json().await.unwrap();
        let tokens = self.login(&email, &password).await;
        TestUser {
            id: user["id"].as_str().unwrap().to_owned(),
            email,
            password,
            token: tokens["access_token"].as_str().unwrap().to_owned(),
            refresh_token: tokens["refresh_token"].as_str().unwrap().to_owned(),
        }
    }

    /// Creates a funder and returns its id.
    pub async fn funder(&self, token: &str, name: &str) -> String {
        let res = self
            .post_json(
                token,
                "/api/v1/funders",
                &serde_json::json!({"name": name, "kind": "ministry"}),
            )
            .await;
        assert_eq!(res.status(), 201, "create funder {name}");
        res.json::<serde_json::Value>().await.unwrap()["id"]
            .as_str()
            .unwrap()
            .to_owned()
    }

    /// Creates a call of `funder` open from `opens` to `closes` days from now (80%
    /// co-financing, at most 100,000 €), with `extra` fields, and returns its id.
    pub async fn call(
        &self,
        token: &str,
        funder: &str,
        opens: i64,
        closes: i64,
        extra: serde_json::Value,
    ) -> String {
        let at = |days: i64| (chrono::Utc::now() + chrono::Duration::days(days)).to_rfc3339();
        let mut body = serde_json::json!({
            "funder_id": funder, "title": "Ayudas a Agrupaciones Empresariales Innovadoras",
            "programme": "Programa AEI", "opens_at": at(opens), "closes_at": at(closes),
            "max_grant_cents": 10_000_000, "cofinancing_rate_bp": 8000,
        });
        for (k, v) in extra.as_object().unwrap() {
            body[k] = v.clone();
        }
        let res = self.post_json(token, "/api/v1/calls", &body).await;
        let status = res.status();
        let body: serde_json::Value = res.json().await.unwrap();
        assert_eq!(status, 201, "create call: {body}");
        body["id"].as_str().unwrap().to_owned()
    }

    /// Creates a draft application to `call` (eligible 10,000 €: 8,000 requested, 2,000 own)
    /// with `extra` fields, and returns it.
    pub async fn application(
        &self,
        token: &str,
        call: &str,
        extra: serde_json::Value,
    ) -> serde_json::Value {
        let mut body = serde_json::json!({
            "call_id": call, "title": "Dinamización del clúster audiovisual",
            "eligible_cost_cents": 1_000_000, "requested_cents": 800_000,
            "own_funding_cents": 200_000, "other_aid_cents": 0,
        });
        for (k, v) in extra.as_object().unwrap() {
            body[k] = v.clone();
        }
        let res = self.post_json(token, "/api/v1/applications", &body).await;
        let status = res.status();
        let body: serde_json::Value = res.json().await.unwrap();
        assert_eq!(status, 201, "create application: {body}");
        body
    }

    /// Asks for a move of an application.
    pub async fn transition(
        &self,
        token: &str,
        application: &str,
        body: serde_json::Value,
    ) -> reqwest::Response {
        self.post_json(
            token,
            &format!("/api/v1/applications/{application}/transitions"),
            &body,
        )
        .await
    }

    /// Uploads a document as `multipart/form-data` (`file` and, if given, `description`).
    pub async fn upload(
        &self,
        token: &str,
        application: &str,
        filename: &str,
        content_type: &str,
        bytes: &[u8],
        description: Option<&str>,
    ) -> reqwest::Response {
        let boundary = "agrupa-test-boundary-7d1f";
        let mut body = Vec::new();
        if let Some(d) = description {
            body.extend_from_slice(
                format!(
                    "--{boundary}\r\nContent-Disposition: form-data; name=\"description\"\r\n\r\n{d}\r\n"
                )
                .as_bytes(),
            );
        }
        body.extend_from_slice(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{filename}\"\r\nContent-Type: {content_type}\r\n\r\n"
            )
            .as_bytes(),
        );
        body.extend_from_slice(bytes);
        body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
        self.client
            .post(self.url(&format!("/api/v1/applications/{application}/documents")))
            .bearer_auth(token)
            .header(
                "content-type",
                format!("multipart/form-data; boundary={boundary}"),
            )
            .body(body)
            .send()
            .await
            .unwrap()
    }
}

/// The string `field` of each element of a JSON array (`items` of a page, say).
pub fn strs<'a>(list: &'a serde_json::Value, field: &str) -> Vec<&'a str> {
    list.as_array()
        .unwrap()
        .iter()
        .map(|x| x[field].as_str().unwrap())
        .collect()
}
