//! What the black-box tests stand on: `spawn_app()` (the real application on port 0 against
//! a fresh database), raw requests, and one file of typed helpers per capability.
//!
//! The helpers are methods of [`TestApp`] that take the caller's token first. Their names say
//! what they expect:
//! - `create_x`, `get_x`, `update_x`, `list_x`…: a request that must succeed; they assert the
//!   status (showing the body when it differs) and return a small test-side struct with the
//!   fields tests read (ids as `Uuid`, amounts as `i64`), never the library's own types;
//! - `try_x`: the same request, answered raw, for tests that check an error;
//! - `new_x`: a fixture with defaults (a category, a member, a funder…), its id.
//!
//! Raw helpers (`get_as`, `post_json`, `send_as`…) stay for the contract tests, which are
//! about the requests themselves.

#![allow(dead_code)]

pub mod auth;
pub mod budgets;
mod database;
pub mod funding;
pub mod governance;
pub mod members;
pub mod pdf;
pub mod plans;
pub mod webhooks;

use std::time::Duration;

use agrupa::{Application, Database, config::Config};
use serde::{Deserialize, de::DeserializeOwned};
use uuid::Uuid;

pub use auth::{ADMIN_EMAIL, ADMIN_PASSWORD, TestUser};
pub use members::NewMember;
// Reached as `crate::helpers::plan_doc` by tests written against the old helpers.
#[allow(unused_imports)]
pub use plans::plan_doc;

/// A running application on its own database.
pub struct TestApp {
    pub address: String,
    pub port: u16,
    pub client: reqwest::Client,
    pub db_url: String,
    pub db_name: String,
    /// The separate metrics port, when the test set `metrics_addr`.
    pub metrics_port: Option<u16>,
}

/// The signing key every test app uses, so tests can forge tokens.
pub const TEST_JWT_SECRET: &str = "dGVzdC1rZXktdGhhdC1pcy1sb25nLWVub3VnaC0zMmJ5dGVzIQ";
pub const TEST_KID: &str = "test";
/// The metrics bearer token every test app accepts.
pub const TEST_METRICS_TOKEN: &str = "metrics-token-for-tests";

/// Test-specific settings on top of the defaults.
pub fn test_config() -> Config {
    Config {
        jwt_keys: Some(format!("{TEST_KID}:{TEST_JWT_SECRET}")),
        addr: "127.0.0.1:0".into(),
        db_pool_size: 4,
        db_timeout: Duration::from_millis(2000),
        workers: Some(1),
        shutdown_timeout: Duration::from_secs(1),
        metrics_token: Some(TEST_METRICS_TOKEN.into()),
        // The tests run the application in their own process, which cannot render: the
        // documents are rendered by the built `agrupa`, as the server renders them.
        pdf_renderer: Some(env!("CARGO_BIN_EXE_agrupa").into()),
        ..Config::default()
    }
}

/// Starts the application with the default test configuration.
pub async fn spawn_app() -> TestApp {
    spawn_app_with(|_| {}).await
}

/// Starts the application after `adjust` has changed its configuration.
pub async fn spawn_app_with(adjust: impl FnOnce(&mut Config)) -> TestApp {
    // The guard is dropped at once: lines are then written directly (tests need no writer
    // thread, and a later call installs nothing).
    drop(agrupa::telemetry::init(
        agrupa::config::LogFormat::Pretty,
        &std::env::var("TEST_LOG").unwrap_or_else(|_| "off".into()),
    ));
    let (db_name, db_url) = database::fresh_database().await;
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
    let metrics_port = app.metrics_port();
    tokio::spawn(app.run_until_stopped());
    TestApp {
        metrics_port,
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

/// The `items` of a list page, and the cursor of the next one.
#[derive(Debug, Deserialize)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub next_cursor: Option<String>,
}

/// An answer whose only field tests read is its `id`.
#[derive(Debug, Clone, Copy, Deserialize)]
pub struct Created {
    pub id: Uuid,
}

/// Asserts `status` (showing the body when it differs) and decodes the body.
pub async fn expect_json<T: DeserializeOwned>(res: reqwest::Response, status: u16) -> T {
    let what = format!("{} {}", res.url().path(), res.url().query().unwrap_or(""));
    let got = res.status().as_u16();
    let text = res.text().await.unwrap();
    assert_eq!(got, status, "{what}: {text}");
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{what}: {e}: {text}"))
}

/// Asserts `status`, showing the body when it differs.
pub async fn expect_status(res: reqwest::Response, status: u16) {
    let what = res.url().path().to_owned();
    let got = res.status().as_u16();
    if got != status {
        let text = res.text().await.unwrap();
        panic!("{what}: expected {status}, got {got}: {text}");
    }
}

/// `path` with `query` as its query string, if any.
pub fn with_query(path: &str, query: &str) -> String {
    if query.is_empty() {
        path.to_owned()
    } else {
        format!("{path}?{query}")
    }
}

/// The `ETag` header of a response.
pub fn etag(res: &reqwest::Response) -> String {
    res.headers()["etag"].to_str().unwrap().to_owned()
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

    /// `GET /metrics` with the metrics token: the text.
    pub async fn metrics_text(&self) -> String {
        let res = self.get_as(TEST_METRICS_TOKEN, "/metrics").await;
        assert_eq!(res.status(), 200, "metrics");
        res.text().await.unwrap()
    }

    /// A connection to this app's database.
    pub async fn db(&self) -> diesel_async::AsyncPgConnection {
        use diesel_async::AsyncConnection;
        diesel_async::AsyncPgConnection::establish(&self.db_url)
            .await
            .unwrap()
    }

    /// Runs SQL directly on this app's database.
    pub async fn sql(&self, sql: &str) {
        self.sql_result(sql).await.unwrap();
    }

    /// Runs SQL on the test's database and returns the error message, if any.
    pub async fn sql_result(&self, sql: &str) -> Result<(), String> {
        use diesel_async::RunQueryDsl;
        diesel::sql_query(sql)
            .execute(&mut self.db().await)
            .await
            .map(|_| ())
            .map_err(|e| e.to_string())
    }

    /// Runs SQL on the server's maintenance database.
    pub async fn admin_sql(&self, sql: &str) {
        use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
        let mut conn = AsyncPgConnection::establish(database::admin_url())
            .await
            .unwrap();
        diesel::sql_query(sql).execute(&mut conn).await.unwrap();
    }

    /// Waits (at most 30 s) until `n` sessions of this app's database wait for a lock.
    pub async fn until_waiting_for_locks(&self, n: i64) {
        use diesel_async::RunQueryDsl;
        #[derive(diesel::QueryableByName)]
        struct Count {
            #[diesel(sql_type = diesel::sql_types::BigInt)]
            n: i64,
        }
        let mut conn = self.db().await;
        let deadline = std::time::Instant::now() + Duration::from_secs(30);
        loop {
            let waiting: Count = diesel::sql_query(
                "SELECT count(*) AS n FROM pg_stat_activity \
                 WHERE datname = current_database() AND wait_event_type = 'Lock'",
            )
            .get_result(&mut conn)
            .await
            .unwrap();
            if waiting.n >= n {
                return;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "{n} sessions never waited for a lock"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// The count of SQL statements the metrics give for `route` (0 before its first request).
    pub async fn statements_of(&self, route: &str) -> Option<u64> {
        let text = self.metrics_text().await;
        let prefix = format!("agrupa_db_statements_total{{route=\"{route}\"}} ");
        text.lines()
            .find_map(|l| l.strip_prefix(prefix.as_str()))
            .map(|v| v.parse().unwrap())
    }

    /// The audit events `query` selects, oldest or newest first as it asks, as JSON (tests
    /// compare their `before` and `after` whole).
    pub async fn audit_events(&self, token: &str, query: &str) -> Vec<serde_json::Value> {
        let res = self.try_audit_events(token, query).await;
        expect_json::<Page<_>>(res, 200).await.items
    }

    /// The audit events `query` selects (raw).
    pub async fn try_audit_events(&self, token: &str, query: &str) -> reqwest::Response {
        self.get_as(token, &with_query("/api/v1/audit-events", query))
            .await
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

    /// GET with a bearer token that must answer 200: the decoded body.
    pub async fn get_ok<T: DeserializeOwned>(&self, token: &str, path: &str) -> T {
        expect_json(self.get_as(token, path).await, 200).await
    }

    /// GET with a bearer token and `If-None-Match`.
    pub async fn get_if_none_match(&self, token: &str, path: &str, tag: &str) -> reqwest::Response {
        self.client
            .get(self.url(path))
            .bearer_auth(token)
            .header("if-none-match", tag)
            .send()
            .await
            .unwrap()
    }

    /// The current `ETag` of `path` (a GET that must answer 200).
    pub async fn etag_of(&self, token: &str, path: &str) -> String {
        let res = self.get_as(token, path).await;
        assert_eq!(res.status(), 200, "{path}");
        etag(&res)
    }

    /// GET with a bearer token and `Accept: text/csv`; the body.
    pub async fn get_csv(&self, token: &str, path: &str) -> String {
        self.get_csv_response(token, path)
            .await
            .text()
            .await
            .unwrap()
    }

    /// GET with a bearer token and `Accept: text/csv` (raw).
    pub async fn get_csv_response(&self, token: &str, path: &str) -> reqwest::Response {
        self.client
            .get(self.url(path))
            .bearer_auth(token)
            .header("accept", "text/csv")
            .send()
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
        self.send_as("POST", token, path, None, Some(body)).await
    }

    /// PATCH JSON with a bearer token.
    pub async fn patch_json(
        &self,
        token: &str,
        path: &str,
        body: &serde_json::Value,
    ) -> reqwest::Response {
        self.send_as("PATCH", token, path, None, Some(body)).await
    }

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

/// The string `field` of each element of a JSON array (`items` of a page, say).
pub fn strs<'a>(list: &'a serde_json::Value, field: &str) -> Vec<&'a str> {
    list.as_array()
        .unwrap()
        .iter()
        .map(|x| x[field].as_str().unwrap())
        .collect()
}
