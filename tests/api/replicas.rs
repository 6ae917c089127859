//! Two replicas on one database behave as one instance for everything kept in PostgreSQL:
//! idempotency keys, ETags, list cursors, the sign-in throttle and refresh-token reuse
//! detection. (The request rate limit is per instance, in memory: see the README.)

use agrupa::{Application, Database};
use serde_json::{Value, json};

use crate::helpers::{
    ADMIN_EMAIL, ADMIN_PASSWORD, TestApp, assert_problem, spawn_app, spawn_app_with, strs,
    test_config,
};

/// A second instance of the application on `app`'s database, with the same signing keys.
async fn replica_of(app: &TestApp, adjust: impl FnOnce(&mut agrupa::config::Config)) -> TestApp {
    let mut config = test_config();
    config.database_url = Some(app.db_url.clone());
    adjust(&mut config);
    let replica = Application::build(
        config,
        Database {
            url: app.db_url.clone(),
            embedded: None,
        },
    )
    .await
    .expect("build the replica");
    let port = replica.port();
    tokio::spawn(replica.run_until_stopped());
    TestApp {
        metrics_port: None,
        address: format!("http://127.0.0.1:{port}"),
        port,
        client: app.client.clone(),
        db_url: app.db_url.clone(),
        db_name: app.db_name.clone(),
    }
}

#[tokio::test]
async fn an_idempotency_key_used_on_one_replica_is_replayed_by_the_other() {
    let a = spawn_app().await;
    let b = replica_of(&a, |_| {}).await;
    let admin = a.admin().await;
    let post = |app: &TestApp, body: Value| {
        app.client
            .post(app.url("/api/v1/member-categories"))
            .bearer_auth(&admin.token)
            .header("idempotency-key", "alta-categoria-7")
            .json(&body)
            .send()
    };
    let body = json!({"name": "Socia fundadora", "annual_fee_cents": 90_000});
    let first = post(&a, body.clone()).await.unwrap();
    assert_eq!(first.status(), 201);
    assert!(first.headers().get("idempotent-replayed").is_none());
    let first: Value = first.json().await.unwrap();

    let again = post(&b, body).await.unwrap();
    assert_eq!(again.status(), 201);
    assert_eq!(again.headers().get("idempotent-replayed").unwrap(), "true");
    let again: Value = again.json().await.unwrap();
    assert_eq!(
        again["id"], first["id"],
        "the same category, not a second one"
    );

    let other = post(&b, json!({"name": "Otra", "annual_fee_cents": 1}))
        .await
        .unwrap();
    assert_problem(other, 422, "idempotency_key_reused").await;
}

#[tokio::test]
async fn an_etag_from_one_replica_is_honoured_by_the_other() {
    let a = spawn_app().await;
    let b = replica_of(&a, |_| {}).await;
    let admin = a.admin().await;
    let id = a.category(&admin, 50_000).await;
    let path = format!("/api/v1/member-categories/{id}");
    let etag = a.get_as(&admin.token, &path).await.headers()["etag"]
        .to_str()
        .unwrap()
        .to_owned();

    let change = json!({"annual_fee_cents": 60_000});
    let res = b
        .send_as("PATCH", &admin.token, &path, Some(&etag), Some(&change))
        .await;
    assert_eq!(res.status(), 200, "b accepts a's ETag");
    let newer = res.headers()["etag"].to_str().unwrap().to_owned();

    // The old ETag is stale on both now; the new one from b is current on a.
    let res = a
        .send_as("PATCH", &admin.token, &path, Some(&etag), Some(&change))
        .await;
    assert_problem(res, 412, "precondition_failed").await;
    let res = a
        .client
        .get(a.url(&path))
        .bearer_auth(&admin.token)
        .header("if-none-match", &newer)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 304);
}

#[tokio::test]
async fn a_list_cursor_from_one_replica_pages_on_the_other() {
    let a = spawn_app().await;
    let b = replica_of(&a, |_| {}).await;
    let admin = a.admin().await;
    for fee in [1, 2, 3] {
        a.category(&admin, fee).await;
    }
    let page: Value = a
        .get_as(&admin.token, "/api/v1/member-categories?limit=2")
        .await
        .json()
        .await
        .unwrap();
    let cursor = page["next_cursor"].as_str().unwrap();
    let rest = b
        .get_as(
            &admin.token,
            &format!("/api/v1/member-categories?limit=100&cursor={cursor}"),
        )
        .await;
    assert_eq!(rest.status(), 200, "b accepts a's cursor");
    let rest: Value = rest.json().await.unwrap();
    let all: Value = b
        .get_as(&admin.token, "/api/v1/member-categories?limit=100")
        .await
        .json()
        .await
        .unwrap();
    let mut paged = strs(&page["items"], "id");
    paged.extend(strs(&rest["items"], "id"));
    assert_eq!(paged, strs(&all["items"], "id"));
}

#[tokio::test]
async fn failed_sign_ins_on_one_replica_count_on_the_other() {
    let a = spawn_app_with(|c| c.login_max_failures = 3).await;
    let b = replica_of(&a, |c| c.login_max_failures = 3).await;
    a.admin().await;
    let wrong = [
        ("grant_type", "password"),
        ("username", ADMIN_EMAIL),
        ("password", "no es esta"),
    ];
    assert_eq!(a.token_form(&wrong).await.status(), 400);
    assert_eq!(b.token_form(&wrong).await.status(), 400);
    assert_eq!(a.token_form(&wrong).await.status(), 400);
    // Three failures across the two: the account is locked on both, right password or not.
    let right = [
        ("grant_type", "password"),
        ("username", ADMIN_EMAIL),
        ("password", ADMIN_PASSWORD),
    ];
    for app in [&b, &a] {
        let res = app.token_form(&right).await;
        assert!(res.headers().contains_key("retry-after"));
        assert_problem(res, 429, "too_many_requests").await;
    }
}

async fn refresh(app: &TestApp, token: &str) -> reqwest::Response {
    app.token_form(&[("grant_type", "refresh_token"), ("refresh_token", token)])
        .await
}

#[tokio::test]
async fn a_refresh_token_spent_on_one_replica_is_caught_reused_on_the_other() {
    let a = spawn_app().await;
    let b = replica_of(&a, |_| {}).await;
    let admin = a.admin().await;
    let res = refresh(&a, &admin.refresh_token).await;
    assert_eq!(res.status(), 200);
    let successor: Value = res.json().await.unwrap();
    let successor = successor["refresh_token"].as_str().unwrap().to_owned();

    // The spent token shown to b: reuse, so the whole family is revoked, on a too.
    let reuse = refresh(&b, &admin.refresh_token).await;
    assert_eq!(reuse.status(), 400);
    let body: Value = reuse.json().await.unwrap();
    assert_eq!(body["error"], "invalid_grant", "{body}");
    let after = refresh(&a, &successor).await;
    assert_eq!(after.status(), 400, "the successor died with its family");
}

/// Each replica remembers the access tokens it has verified (their signature and claims,
/// never whether they are still good): a token revoked, or a user deactivated, through one
/// replica is refused by the other on its very next request, although the other had
/// verified that token before.
#[tokio::test]
async fn a_token_one_replica_has_verified_is_refused_there_once_revoked_through_the_other() {
    let a = spawn_app().await;
    let b = replica_of(&a, |_| {}).await;
    let admin = a.admin().await;
    let staff = a.user(&admin, "staff").await;
    let auditor = a.user(&admin, "auditor").await;
    let id = a.category(&admin, 50_000).await;
    let path = format!("/api/v1/member-categories/{id}");
    for token in [&staff.token, &auditor.token] {
        for _ in 0..2 {
            assert_eq!(b.get_as(token, &path).await.status(), 200);
        }
    }
    assert_eq!(a.revoke_token(&auditor.token).await.status(), 200);
    a.update_user(&admin.token, &staff.id, &json!({"active": false}))
        .await;
    assert_problem(b.get_as(&auditor.token, &path).await, 401, "unauthorized").await;
    assert_problem(b.get_as(&staff.token, &path).await, 401, "unauthorized").await;
    // The admin's token, verified on both, still reads on both.
    assert_eq!(a.get_as(&admin.token, &path).await.status(), 200);
    assert_eq!(b.get_as(&admin.token, &path).await.status(), 200);
}
