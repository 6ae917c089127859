//! Funding: funders, calls, agreements, applications, their moves and documents, deadlines.

use serde::Deserialize;
use serde_json::{Value, json};
use uuid::Uuid;

use super::{Created, Page, TestApp, expect_json, with_query};

/// An application for a grant.
#[derive(Debug, Deserialize)]
pub struct Application {
    pub id: Uuid,
    pub status: String,
    pub next_statuses: Vec<String>,
    pub granted_cents: Option<i64>,
    pub decided_on: Option<String>,
    pub justification_due_on: Option<String>,
    pub submitted_at: Option<String>,
    pub actions: Vec<Value>,
    pub budget_lines: Vec<Value>,
    pub income: Vec<GrantIncome>,
}

/// An application as lists show it.
#[derive(Debug, Deserialize)]
pub struct ApplicationSummary {
    pub id: Uuid,
    pub status: String,
}

/// What a grant adds to the budget of one year.
#[derive(Debug, Deserialize)]
pub struct GrantIncome {
    pub fiscal_year: i32,
    pub amount_cents: i64,
    pub pending: bool,
    pub budget_id: Option<Uuid>,
}

/// A move in an application's history.
#[derive(Debug, Deserialize)]
pub struct Transition {
    pub from_status: String,
    pub to_status: String,
    pub actor_role: String,
    pub actor_kind: String,
    pub actor_id: Uuid,
    pub comment: Option<String>,
    pub granted_cents: Option<i64>,
    pub created_at: String,
}

/// A call for applications.
#[derive(Debug, Deserialize)]
pub struct Call {
    pub id: Uuid,
    pub status: String,
    pub opens_at: String,
}

/// An agreement with a funder.
#[derive(Debug, Deserialize)]
pub struct Agreement {
    pub id: Uuid,
    pub instalments: Vec<Value>,
}

/// A document of an application.
#[derive(Debug, Deserialize)]
pub struct Document {
    pub id: Uuid,
    pub filename: String,
    pub description: Option<String>,
    pub sha256: String,
    pub size_bytes: usize,
    pub content_url: String,
}

/// Something due by a date.
#[derive(Debug, Deserialize)]
pub struct Deadline {
    pub kind: String,
    pub date: String,
    pub resource_id: Uuid,
}

/// A file to upload.
pub struct Upload<'a> {
    pub filename: &'a str,
    pub content_type: &'a str,
    pub bytes: &'a [u8],
    pub description: Option<&'a str>,
}

/// The path of an application.
pub fn application_path(id: Uuid) -> String {
    format!("/api/v1/applications/{id}")
}

/// The path of an application's documents.
pub fn documents_path(application: Uuid) -> String {
    format!("{}/documents", application_path(application))
}

/// The path of a call.
pub fn call_path(id: Uuid) -> String {
    format!("/api/v1/calls/{id}")
}

/// The path of a funder.
pub fn funder_path(id: Uuid) -> String {
    format!("/api/v1/funders/{id}")
}

/// `body` with the fields of `extra` set.
fn with(mut body: Value, extra: &Value) -> Value {
    for (k, v) in extra.as_object().unwrap() {
        body[k] = v.clone();
    }
    body
}

/// A multipart form with `file` and, if given, `description`, between `boundary` lines.
pub fn multipart(boundary: &str, file: &Upload<'_>) -> Vec<u8> {
    let mut body = Vec::new();
    if let Some(d) = file.description {
        body.extend_from_slice(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"description\"\r\n\r\n{d}\r\n"
            )
            .as_bytes(),
        );
    }
    body.extend_from_slice(
        format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{}\"\r\nContent-Type: {}\r\n\r\n",
            file.filename, file.content_type
        )
        .as_bytes(),
    );
    body.extend_from_slice(file.bytes);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    body
}

/// Kept for the tests written against the untyped helpers.
impl TestApp {
    /// Creates a funder and returns its id.
    pub async fn funder(&self, token: &str, name: &str) -> String {
        self.new_funder(token, name).await.to_string()
    }

    /// Creates a call of `funder` open from `opens` to `closes` days from now (80%
    /// co-financing, at most 100,000 €), with `extra` fields, and returns its id.
    pub async fn call(
        &self,
        token: &str,
        funder: &str,
        opens: i64,
        closes: i64,
        extra: Value,
    ) -> String {
        let funder = funder.parse().unwrap();
        self.new_call_with(token, funder, (opens, closes), &extra)
            .await
            .to_string()
    }

    /// Creates a draft application to `call` (eligible 10,000 €: 8,000 requested, 2,000 own)
    /// with `extra` fields, and returns it.
    pub async fn application(&self, token: &str, call: &str, extra: Value) -> Value {
        let res = self
            .try_new_application(token, call.parse().unwrap(), &extra)
            .await;
        expect_json(res, 201).await
    }

    /// Asks for a move of an application.
    pub async fn transition(
        &self,
        token: &str,
        application: &str,
        body: Value,
    ) -> reqwest::Response {
        self.try_transition(token, application.parse().unwrap(), &body)
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
        let file = Upload {
            filename,
            content_type,
            bytes,
            description,
        };
        self.try_upload(token, application.parse().unwrap(), &file)
            .await
    }
}

/// Funders and calls.
impl TestApp {
    /// Creates a ministry.
    pub async fn new_funder(&self, token: &str, name: &str) -> Uuid {
        let res = self
            .try_create_funder(token, &json!({"name": name, "kind": "ministry"}))
            .await;
        expect_json::<Created>(res, 201).await.id
    }

    /// Creates a funder (raw).
    pub async fn try_create_funder(&self, token: &str, body: &Value) -> reqwest::Response {
        self.post_json(token, "/api/v1/funders", body).await
    }

    /// Changes a funder (raw).
    pub async fn try_update_funder(
        &self,
        token: &str,
        id: Uuid,
        if_match: Option<&str>,
        body: &Value,
    ) -> reqwest::Response {
        self.send_as("PATCH", token, &funder_path(id), if_match, Some(body))
            .await
    }

    /// The funders the caller sees.
    pub async fn list_funders(&self, token: &str) -> Vec<Created> {
        self.get_ok::<Page<_>>(token, "/api/v1/funders").await.items
    }

    /// A call of `funder` open from `opens` to `closes` days from now (80% co-financing, at
    /// most 100,000 €).
    pub async fn new_call(&self, token: &str, funder: Uuid, opens: i64, closes: i64) -> Uuid {
        self.new_call_with(token, funder, (opens, closes), &json!({}))
            .await
    }

    /// A call as [`TestApp::new_call`] makes it, with the fields of `extra`.
    pub async fn new_call_with(
        &self,
        token: &str,
        funder: Uuid,
        (opens, closes): (i64, i64),
        extra: &Value,
    ) -> Uuid {
        let at = |days: i64| (chrono::Utc::now() + chrono::Duration::days(days)).to_rfc3339();
        let body = json!({
            "funder_id": funder, "title": "Ayudas a Agrupaciones Empresariales Innovadoras",
            "programme": "Programa AEI", "opens_at": at(opens), "closes_at": at(closes),
            "max_grant_cents": 10_000_000, "cofinancing_rate_bp": 8000,
        });
        let res = self.try_create_call(token, &with(body, extra)).await;
        let status = res.status();
        let body: Value = res.json().await.unwrap();
        assert_eq!(status, 201, "create call: {body}");
        body["id"].as_str().unwrap().parse().unwrap()
    }

    /// Creates a call (raw).
    pub async fn try_create_call(&self, token: &str, body: &Value) -> reqwest::Response {
        self.post_json(token, "/api/v1/calls", body).await
    }

    /// A call.
    pub async fn get_call(&self, token: &str, id: Uuid) -> Call {
        self.get_ok(token, &call_path(id)).await
    }

    /// A call (raw).
    pub async fn try_get_call(&self, token: &str, id: Uuid) -> reqwest::Response {
        self.get_as(token, &call_path(id)).await
    }

    /// Changes a call, naming the version it read.
    pub async fn update_call(&self, token: &str, id: Uuid, body: &Value) {
        let tag = self.etag_of(token, &call_path(id)).await;
        let res = self
            .send_as("PATCH", token, &call_path(id), Some(&tag), Some(body))
            .await;
        expect_json::<Value>(res, 200).await;
    }

    /// The calls the caller sees; `query` is the query string.
    pub async fn list_calls(&self, token: &str, query: &str) -> Vec<Created> {
        let path = with_query("/api/v1/calls", query);
        self.get_ok::<Page<_>>(token, &path).await.items
    }

    /// The calls the caller sees (raw).
    pub async fn try_list_calls(&self, token: &str, query: &str) -> reqwest::Response {
        self.get_as(token, &with_query("/api/v1/calls", query))
            .await
    }
}

/// Agreements.
impl TestApp {
    /// Creates an agreement.
    pub async fn create_agreement(&self, token: &str, body: &Value) -> Agreement {
        expect_json(self.try_create_agreement(token, body).await, 201).await
    }

    /// Creates an agreement (raw).
    pub async fn try_create_agreement(&self, token: &str, body: &Value) -> reqwest::Response {
        self.post_json(token, "/api/v1/agreements", body).await
    }

    /// The agreements the caller sees.
    pub async fn list_agreements(&self, token: &str) -> Vec<Created> {
        self.get_ok::<Page<_>>(token, "/api/v1/agreements")
            .await
            .items
    }

    /// An agreement (raw).
    pub async fn try_get_agreement(&self, token: &str, id: Uuid) -> reqwest::Response {
        self.get_as(token, &format!("/api/v1/agreements/{id}"))
            .await
    }
}

/// Applications and their moves.
impl TestApp {
    /// A draft application to `call` (eligible 10,000 €: 8,000 requested, 2,000 own) with the
    /// fields of `extra`.
    pub async fn new_application(&self, token: &str, call: Uuid, extra: &Value) -> Application {
        expect_json(self.try_new_application(token, call, extra).await, 201).await
    }

    /// The request [`TestApp::new_application`] makes (raw).
    pub async fn try_new_application(
        &self,
        token: &str,
        call: Uuid,
        extra: &Value,
    ) -> reqwest::Response {
        let body = json!({
            "call_id": call, "title": "Dinamización del clúster audiovisual",
            "eligible_cost_cents": 1_000_000, "requested_cents": 800_000,
            "own_funding_cents": 200_000, "other_aid_cents": 0,
        });
        self.try_create_application(token, &with(body, extra)).await
    }

    /// Creates an application from a whole body (raw).
    pub async fn try_create_application(&self, token: &str, body: &Value) -> reqwest::Response {
        self.post_json(token, "/api/v1/applications", body).await
    }

    /// An application.
    pub async fn get_application(&self, token: &str, id: Uuid) -> Application {
        self.get_ok(token, &application_path(id)).await
    }

    /// An application, as JSON (to compare it whole).
    pub async fn application_json(&self, token: &str, id: Uuid) -> Value {
        self.get_ok(token, &application_path(id)).await
    }

    /// An application (raw).
    pub async fn try_get_application(&self, token: &str, id: Uuid) -> reqwest::Response {
        self.get_as(token, &application_path(id)).await
    }

    /// Changes a draft application, naming any version.
    pub async fn update_application(&self, token: &str, id: Uuid, body: &Value) -> Application {
        let res = self
            .send_as("PATCH", token, &application_path(id), Some("*"), Some(body))
            .await;
        expect_json(res, 200).await
    }

    /// The applications the caller sees; `query` is the query string.
    pub async fn list_applications(&self, token: &str, query: &str) -> Vec<ApplicationSummary> {
        let path = with_query("/api/v1/applications", query);
        self.get_ok::<Page<_>>(token, &path).await.items
    }

    /// Moves an application to `to` (a body with `to` alone).
    pub async fn transition_to(&self, token: &str, id: Uuid, to: &str) -> Application {
        self.transition_with(token, id, &json!({"to": to})).await
    }

    /// Moves an application with a whole body (`to`, `comment`, `granted_cents`…).
    pub async fn transition_with(&self, token: &str, id: Uuid, body: &Value) -> Application {
        expect_json(self.try_transition(token, id, body).await, 200).await
    }

    /// Asks for a move of an application (raw).
    pub async fn try_transition(&self, token: &str, id: Uuid, body: &Value) -> reqwest::Response {
        let path = format!("{}/transitions", application_path(id));
        self.post_json(token, &path, body).await
    }

    /// An application's history, oldest first.
    pub async fn application_history(&self, token: &str, id: Uuid) -> Vec<Transition> {
        let path = format!("{}/history", application_path(id));
        self.get_ok::<Page<_>>(token, &path).await.items
    }

    /// An application's history (raw).
    pub async fn try_application_history(&self, token: &str, id: Uuid) -> reqwest::Response {
        self.get_as(token, &format!("{}/history", application_path(id)))
            .await
    }

    /// An application's history as CSV.
    pub async fn application_history_csv(&self, token: &str, id: Uuid) -> String {
        self.get_csv(token, &format!("{}/history", application_path(id)))
            .await
    }
}

/// Documents.
impl TestApp {
    /// Uploads a document.
    pub async fn upload_document(
        &self,
        token: &str,
        application: Uuid,
        file: &Upload<'_>,
    ) -> Document {
        expect_json(self.try_upload(token, application, file).await, 201).await
    }

    /// Uploads a document as `multipart/form-data` (raw).
    pub async fn try_upload(
        &self,
        token: &str,
        application: Uuid,
        file: &Upload<'_>,
    ) -> reqwest::Response {
        self.try_upload_keyed(token, application, file, "agrupa-test-boundary-7d1f", None)
            .await
    }

    /// Uploads a document with the form's `boundary` and, when given, an `Idempotency-Key`
    /// (raw).
    pub async fn try_upload_keyed(
        &self,
        token: &str,
        application: Uuid,
        file: &Upload<'_>,
        boundary: &str,
        idempotency_key: Option<&str>,
    ) -> reqwest::Response {
        let mut req = self
            .client
            .post(self.url(&documents_path(application)))
            .bearer_auth(token)
            .header(
                "content-type",
                format!("multipart/form-data; boundary={boundary}"),
            );
        if let Some(key) = idempotency_key {
            req = req.header("idempotency-key", key);
        }
        req.body(multipart(boundary, file)).send().await.unwrap()
    }

    /// An application's documents.
    pub async fn documents(&self, token: &str, application: Uuid) -> Vec<Document> {
        self.get_ok::<Page<_>>(token, &documents_path(application))
            .await
            .items
    }

    /// A document's content (raw).
    pub async fn download(&self, token: &str, document: &Document) -> reqwest::Response {
        self.get_as(token, &document.content_url).await
    }
}

/// Deadlines.
impl TestApp {
    /// What is due within `days`, for the caller.
    pub async fn deadlines(&self, token: &str, days: i64) -> Vec<Deadline> {
        let path = format!("/api/v1/deadlines?within_days={days}");
        self.get_ok::<Page<_>>(token, &path).await.items
    }

    /// Deadlines with a raw `within_days` (raw).
    pub async fn try_deadlines(&self, token: &str, within_days: &str) -> reqwest::Response {
        self.get_as(
            token,
            &format!("/api/v1/deadlines?within_days={within_days}"),
        )
        .await
    }

    /// What is due within `days`, as CSV.
    pub async fn deadlines_csv(&self, token: &str, days: i64) -> String {
        self.get_csv(token, &format!("/api/v1/deadlines?within_days={days}"))
            .await
    }
}
