//! `Idempotency-Key` hardening (issue 14, findings 1 and 3): only signed-in callers on routed
//! `/api/v1` paths claim keys, boundaries are bounded, answers that say nothing was done or
//! that carry a secret are not stored, and request hashes are keyed.

use diesel::{QueryableByName, sql_types::Bytea};
use diesel_async::RunQueryDsl;
use serde_json::json;
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::support::{TestApp, assert_problem, spawn_app};

#[derive(QueryableByName)]
struct Row {
    #[diesel(sql_type = diesel::sql_types::Text)]
    key: String,
    #[diesel(sql_type = Bytea)]
    request_hash: Vec<u8>,
    #[diesel(sql_type = diesel::sql_types::Nullable<Bytea>)]
    response_body: Option<Vec<u8>>,
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Jsonb>)]
    response_headers: Option<serde_json::Value>,
}

/// Every stored idempotency key.
async fn stored_keys(app: &TestApp) -> Vec<Row> {
    diesel::sql_query(
        "SELECT key, request_hash, response_body, response_headers FROM idempotency_keys ORDER BY key",
    )
    .load(&mut app.db().await)
    .await
    .unwrap()
}

/// A POST with a key, the token when given, and a JSON body.
async fn keyed_post(
    app: &TestApp,
    token: Option<&str>,
    path: &str,
    key: &str,
    body: &serde_json::Value,
) -> reqwest::Response {
    let mut req = app
        .client
        .post(app.url(path))
        .header("idempotency-key", key)
        .json(body);
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    req.send().await.unwrap()
}

#[tokio::test]
async fn an_anonymous_post_with_an_idempotency_key_stores_no_row() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    // A wrong password (a final 400) and a successful sign-in, both with a key.
    let form = |password: &str| {
        serde_urlencoded::to_string([
            ("grant_type", "password"),
            ("username", admin.email.as_str()),
            ("password", password),
        ])
        .unwrap()
    };
    for (password, status) in [("no es la contraseña", 400), (admin.password.as_str(), 200)] {
        let res = app
            .client
            .post(app.url("/api/v1/auth/token"))
            .header("idempotency-key", format!("anon-{status}"))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(form(password))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), status);
    }
    // An anonymous POST to an API route: 401, and no key claimed either.
    let res = keyed_post(&app, None, "/api/v1/users", "anon-users", &json!({})).await;
    assert_eq!(res.status(), 401);
    assert_eq!(stored_keys(&app).await.len(), 0);
}

#[tokio::test]
async fn a_post_to_an_unknown_path_stores_no_row() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    for path in ["/x", "/api/v1/nothing-here"] {
        let res = keyed_post(&app, Some(&admin.token), path, "unknown", &json!({})).await;
        assert_eq!(res.status(), 404, "{path}");
    }
    assert_eq!(stored_keys(&app).await.len(), 0);
}

#[tokio::test]
async fn a_multipart_boundary_longer_than_70_characters_is_refused() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let send = |boundary: String| {
        app.client
            .post(app.url("/api/v1/api-clients"))
            .bearer_auth(&admin.token)
            .header("idempotency-key", format!("b-{}", boundary.len()))
            .header(
                "content-type",
                format!("multipart/form-data; boundary={boundary}"),
            )
            .body(format!("--{boundary}\r\n\r\nx\r\n--{boundary}--\r\n"))
            .send()
    };
    let res = send("b".repeat(71)).await.unwrap();
    assert_problem(res, 400, "invalid_multipart_boundary").await;
    // At 70 the middleware lets it through (the JSON endpoint then refuses the media type).
    let res = send("b".repeat(70)).await.unwrap();
    assert_eq!(res.status(), 415);
}

#[tokio::test]
async fn a_404_answer_is_not_stored_and_a_retry_runs_again() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let path = format!("/api/v1/members/{}/contacts", Uuid::now_v7());
    let body = json!({"name": "Ana", "email": "ana@cluster.es"});
    for _ in 0..2 {
        let res = keyed_post(&app, Some(&admin.token), &path, "contact-1", &body).await;
        assert!(res.headers().get("idempotent-replayed").is_none());
        assert_eq!(res.status(), 404);
    }
    assert_eq!(stored_keys(&app).await.len(), 0);
}

#[tokio::test]
async fn answers_carrying_a_secret_are_not_stored() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let res = keyed_post(
        &app,
        Some(&admin.token),
        "/api/v1/api-clients",
        "client-1",
        &json!({"name": "Ministerio", "scopes": []}),
    )
    .await;
    assert_eq!(res.status(), 201);
    assert_eq!(res.headers()["cache-control"], "no-store");
    let created: serde_json::Value = res.json().await.unwrap();
    let secret = created["client_secret"].as_str().unwrap().to_owned();
    let rotated = keyed_post(
        &app,
        Some(&admin.token),
        &format!(
            "/api/v1/api-clients/{}/secret-rotations",
            created["id"].as_str().unwrap()
        ),
        "rotation-1",
        &json!({}),
    )
    .await;
    assert_eq!(rotated.status(), 200);
    assert_eq!(rotated.headers()["cache-control"], "no-store");
    let new_secret = rotated.json::<serde_json::Value>().await.unwrap()["client_secret"]
        .as_str()
        .unwrap()
        .to_owned();
    for row in stored_keys(&app).await {
        let stored = format!(
            "{} {:?}",
            String::from_utf8_lossy(&row.response_body.unwrap_or_default()),
            row.response_headers
        );
        assert!(!stored.contains(&secret), "{}: {stored}", row.key);
        assert!(!stored.contains(&new_secret), "{}: {stored}", row.key);
    }
    // Released, not kept: a retry creates another client (and shows its own secret).
    let again = keyed_post(
        &app,
        Some(&admin.token),
        "/api/v1/api-clients",
        "client-1",
        &json!({"name": "Ministerio", "scopes": []}),
    )
    .await;
    assert_eq!(again.status(), 201);
    assert!(again.headers().get("idempotent-replayed").is_none());
}

#[tokio::test]
async fn the_stored_request_hash_is_keyed_not_a_plain_sha256() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let body = json!({"email": "h@cluster.es", "display_name": "H", "role": "staff", "password": "una contraseña muy larga"});
    let text = serde_json::to_vec(&body).unwrap();
    let res = app
        .client
        .post(app.url("/api/v1/users"))
        .bearer_auth(&admin.token)
        .header("idempotency-key", "hash-1")
        .header("content-type", "application/json")
        .body(text.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    let rows = stored_keys(&app).await;
    assert_eq!(rows.len(), 1);
    let plain_body = Sha256::digest(&text).to_vec();
    let mut framed = b"/api/v1/users?\n".to_vec();
    framed.extend_from_slice(&text);
    let plain_framed = Sha256::digest(&framed).to_vec();
    assert_eq!(rows[0].request_hash.len(), 32);
    assert_ne!(rows[0].request_hash, plain_body);
    assert_ne!(rows[0].request_hash, plain_framed);
}
