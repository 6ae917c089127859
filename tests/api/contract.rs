//! The shared API contract, proved on the user resources: ETags, Idempotency-Key, the
//! audit log, CSV, rate limits, time limits, security headers, CORS, metrics.

use std::time::Duration;

use serde_json::{Value, json};

use crate::support::{
    TestApp, TestUser, assert_problem, auth::user_path, etag, spawn_app, spawn_app_with,
};

fn staff_body(email: &str) -> Value {
    json!({"email": email, "display_name": "Íñigo Álvarez", "role": "staff", "password": "una contraseña muy larga"})
}

async fn count_users(app: &TestApp, admin: &TestUser) -> usize {
    app.list_users(&admin.token, "limit=100").await.items.len()
}

#[tokio::test]
async fn get_returns_an_etag_and_if_none_match_gives_304() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let path = user_path(&admin.id);
    let res = app.try_get_user(&admin.token, &admin.id).await;
    let etag = etag(&res);
    assert!(etag.starts_with('"') && etag.ends_with('"'));
    let res = app.get_if_none_match(&admin.token, &path, &etag).await;
    assert_eq!(res.status(), 304);
    assert_eq!(res.headers().get("etag").unwrap(), etag.as_str());
    let res = app.get_if_none_match(&admin.token, &path, "\"999\"").await;
    assert_eq!(res.status(), 200);
}

#[tokio::test]
async fn a_stale_if_match_is_412_and_changes_nothing() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let staff = app.user(&admin, "staff").await;
    let path = user_path(&staff.id);
    let tag = app.etag_of(&admin.token, &path).await;
    let patch = |name: &str| json!({"display_name": name});
    let res = app
        .try_update_user_if_match(&admin.token, &staff.id, &tag, &patch("Primera"))
        .await;
    assert_eq!(res.status(), 200);
    let new_etag = etag(&res);
    assert_ne!(new_etag, tag);
    let res = app
        .try_update_user_if_match(&admin.token, &staff.id, &tag, &patch("Segunda"))
        .await;
    assert_problem(res, 412, "precondition_failed").await;
    let user = app.get_user(&admin.token, &staff.id).await;
    assert_eq!(user.display_name, "Primera");
}

#[tokio::test]
async fn of_100_concurrent_patches_with_one_etag_exactly_one_wins() {
    let app = spawn_app_with(|c| {
        c.db_pool_size = 10;
        c.workers = Some(2);
    })
    .await;
    let admin = app.admin().await;
    let staff = app.user(&admin, "staff").await;
    let path = user_path(&staff.id);
    let etag = app.etag_of(&admin.token, &path).await;
    let bodies: Vec<Value> = (0..100)
        .map(|i| json!({"display_name": format!("Nombre {i}")}))
        .collect();
    let requests = bodies
        .iter()
        .map(|body| app.try_update_user_if_match(&admin.token, &staff.id, &etag, body));
    let responses = futures_util::future::join_all(requests).await;
    let statuses: Vec<u16> = responses.iter().map(|r| r.status().as_u16()).collect();
    assert_eq!(
        statuses.iter().filter(|s| **s == 200).count(),
        1,
        "{statuses:?}"
    );
    assert_eq!(
        statuses.iter().filter(|s| **s == 412).count(),
        99,
        "{statuses:?}"
    );
    // And the audit log saw exactly one update.
    let events = app
        .audit_events(
            &admin.token,
            &format!("resource_id={}&action=updated", staff.id),
        )
        .await;
    assert_eq!(events.len(), 1);
}

#[tokio::test]
async fn fifty_concurrent_posts_with_one_idempotency_key_create_one_user() {
    let app = spawn_app_with(|c| {
        c.db_pool_size = 10;
        c.workers = Some(2);
    })
    .await;
    let admin = app.admin().await;
    let body = staff_body("una.sola.vez@cluster.es");
    let key = [("idempotency-key", "alta-usuaria-001")];
    let requests = (0..50).map(|_| app.try_create_user_with(&admin.token, &key, &body));
    let mut first: Option<(String, String)> = None;
    let mut created = 0;
    for res in futures_util::future::join_all(requests).await {
        match res.status().as_u16() {
            201 => {
                let location = res
                    .headers()
                    .get("location")
                    .unwrap()
                    .to_str()
                    .unwrap()
                    .to_owned();
                let text = res.text().await.unwrap();
                match &first {
                    None => first = Some((location, text)),
                    Some((l, t)) => assert!(
                        l == &location && t == &text,
                        "every 201 is the same response"
                    ),
                }
                created += 1;
            }
            409 => {
                let body = assert_problem(res, 409, "idempotency_key_in_progress").await;
                assert!(body["detail"].is_string());
            }
            other => panic!("unexpected {other}"),
        }
    }
    assert!(created >= 1);
    assert_eq!(
        count_users(&app, &admin).await,
        2,
        "the admin and one new user"
    );

    // A retry after completion replays the first response exactly.
    let (location, text) = first.unwrap();
    let res = app.try_create_user_with(&admin.token, &key, &body).await;
    assert_eq!(res.status(), 201);
    assert_eq!(res.headers().get("idempotent-replayed").unwrap(), "true");
    assert_eq!(
        res.headers().get("location").unwrap().to_str().unwrap(),
        location
    );
    assert!(res.headers().contains_key("etag"));
    assert_eq!(res.text().await.unwrap(), text);

    // The same key with another body is refused.
    let res = app
        .try_create_user_with(&admin.token, &key, &staff_body("otra@cluster.es"))
        .await;
    assert_problem(res, 422, "idempotency_key_reused").await;
    assert_eq!(count_users(&app, &admin).await, 2);
}

#[tokio::test]
async fn idempotency_keys_are_scoped_to_the_caller_and_validated() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let other_admin = app.user(&admin, "admin").await;
    let post = |token: &str, key: &str, email: &str| {
        let (token, key, body) = (token.to_owned(), key.to_owned(), staff_body(email));
        let app = &app;
        async move {
            app.try_create_user_with(&token, &[("idempotency-key", &key)], &body)
                .await
        }
    };
    assert_eq!(
        post(&admin.token, "k-1", "a@cluster.es").await.status(),
        201
    );
    // The same key from another caller is another key.
    assert_eq!(
        post(&other_admin.token, "k-1", "b@cluster.es")
            .await
            .status(),
        201
    );
    let long = "x".repeat(256);
    let res = post(&admin.token, &long, "c@cluster.es").await;
    assert_problem(res, 400, "invalid_idempotency_key").await;
    // A validation failure is final too: replayed, not re-run.
    let bad = json!({"email": "bad", "display_name": "x", "role": "staff", "password": "corta"});
    let key = [("idempotency-key", "k-2")];
    let res = app.try_create_user_with(&admin.token, &key, &bad).await;
    let first = assert_problem(res, 422, "validation_failed").await;
    let res = app.try_create_user_with(&admin.token, &key, &bad).await;
    assert_eq!(res.headers().get("idempotent-replayed").unwrap(), "true");
    let replay: Value = res.json().await.unwrap();
    assert_eq!(replay, first, "the first response, request id included");
}

async fn events_for(app: &TestApp, admin: &TestUser, resource_id: &str) -> Vec<Value> {
    app.audit_events(
        &admin.token,
        &format!("resource_id={resource_id}&sort=occurred_at"),
    )
    .await
}

#[tokio::test]
async fn every_write_of_a_user_leaves_exactly_one_audit_event_with_before_and_after() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let res = app
        .try_create_user_with(
            &admin.token,
            &[("x-request-id", "alta-42")],
            &staff_body("auditada@cluster.es"),
        )
        .await;
    let user: Value = res.json().await.unwrap();
    let id = user["id"].as_str().unwrap();
    let events = events_for(&app, &admin, id).await;
    assert_eq!(events.len(), 1);
    let e = &events[0];
    assert_eq!(e["action"], "created");
    assert_eq!(e["resource_type"], "user");
    assert_eq!(e["actor_type"], "user");
    assert_eq!(e["actor_id"], admin.id.as_str());
    assert_eq!(e["request_id"], "alta-42");
    assert!(e["before"].is_null());
    assert_eq!(e["after"], user);
    assert!(
        !e.to_string().contains("password"),
        "no secrets in the audit log"
    );

    let res = app
        .try_update_user(&admin.token, id, &json!({"display_name": "Renombrada"}))
        .await;
    let changed: Value = res.json().await.unwrap();
    let events = events_for(&app, &admin, id).await;
    assert_eq!(events.len(), 2);
    assert_eq!(events[1]["action"], "updated");
    assert_eq!(events[1]["before"], user);
    assert_eq!(events[1]["after"], changed);

    // A refused write records nothing.
    let res = app
        .try_update_user(&admin.token, id, &json!({"display_name": ""}))
        .await;
    assert_eq!(res.status(), 422);
    assert_eq!(events_for(&app, &admin, id).await.len(), 2);
}

#[tokio::test]
async fn every_write_of_an_api_client_leaves_one_audit_event_without_its_secret() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let t = &admin.token;
    // API clients: created, updated, secret rotated, revoked: one event each.
    let client = app
        .create_api_client(t, &json!({"name": "Ministerio"}))
        .await;
    app.try_update_api_client(t, client.id, &json!({"name": "Ministerio de Industria"}))
        .await;
    app.rotate_api_client_secret(t, client.id).await;
    app.revoke_api_client(t, client.id).await;
    let cid = &client.id.to_string();
    let actions: Vec<String> = events_for(&app, &admin, cid)
        .await
        .iter()
        .map(|e| e["action"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(actions, ["created", "updated", "secret_rotated", "revoked"]);
    for e in events_for(&app, &admin, cid).await {
        assert!(
            !e.to_string().contains("secret\":"),
            "no client secret in {e}"
        );
    }
}

#[tokio::test]
async fn the_audit_log_cannot_be_changed_even_in_sql() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    app.try_create_user(&admin.token, &staff_body("x@cluster.es"))
        .await;
    for sql in [
        "UPDATE audit_events SET action = 'forged'",
        "DELETE FROM audit_events",
        "TRUNCATE audit_events",
    ] {
        let err = app.sql_result(sql).await.unwrap_err();
        assert!(err.contains("append-only"), "{sql}: {err}");
    }
}

#[tokio::test]
async fn audit_events_filter_by_actor_resource_type_and_time() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let before = chrono::Utc::now();
    app.try_create_user(&admin.token, &staff_body("uno@cluster.es"))
        .await;
    app.try_create_api_client(&admin.token, &json!({"name": "Cliente"}))
        .await;
    let get = |q: String| {
        let app = &app;
        let token = admin.token.clone();
        async move { app.audit_events(&token, &q).await.len() }
    };
    assert_eq!(get(format!("actor_id={}", admin.id)).await, 2);
    assert_eq!(get("resource_type=api_client".into()).await, 1);
    let from = before
        .to_rfc3339_opts(chrono::SecondsFormat::Micros, true)
        .replace('+', "%2B");
    assert_eq!(get(format!("from={from}")).await, 2);
    assert_eq!(get(format!("to={from}")).await, 0);
    let res = app
        .try_audit_events(&admin.token, "resource_type=DROP%20TABLE")
        .await;
    assert_problem(res, 400, "invalid_query").await;
}

#[tokio::test]
async fn csv_exports_every_matching_row_safely() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    // 2,500 users: more than two batches.
    app.sql(
        "INSERT INTO users (id, email, display_name, role, password_hash) \
         SELECT gen_random_uuid(), 'u' || i || '@cluster.es', 'Usuaria ' || i, 'staff', 'x' \
         FROM generate_series(1, 2500) AS i",
    )
    .await;
    let formula = json!({"email": "formula@cluster.es", "display_name": "=HYPERLINK(\"http://x\",\"clic\")",
        "role": "auditor", "password": "una contraseña muy larga"});
    assert_eq!(
        app.try_create_user(&admin.token, &formula).await.status(),
        201
    );

    let res = app.try_users_csv(&admin.token, "sort=email").await;
    assert_eq!(res.status(), 200);
    assert_eq!(
        res.headers().get("content-type").unwrap(),
        "text/csv; charset=utf-8"
    );
    assert!(
        res.headers()
            .get("content-disposition")
            .unwrap()
            .to_str()
            .unwrap()
            .contains("users.csv")
    );
    let text = res.text().await.unwrap();
    assert!(text.starts_with('\u{feff}'), "BOM for Excel");
    let lines: Vec<&str> = text
        .trim_start_matches('\u{feff}')
        .split("\r\n")
        .filter(|l| !l.is_empty())
        .collect();
    assert_eq!(
        lines[0],
        "id,email,display_name,role,member_id,funder_id,active,last_login_at,created_at,updated_at"
    );
    assert_eq!(lines.len(), 1 + 2502);
    let mut emails: Vec<&str> = lines[1..]
        .iter()
        .map(|l| l.split(',').nth(1).unwrap())
        .collect();
    let sorted = {
        let mut s = emails.clone();
        s.sort();
        s
    };
    assert_eq!(emails, sorted, "in the requested order");
    emails.dedup();
    assert_eq!(emails.len(), 2502, "no row twice");
    let row = lines
        .iter()
        .find(|l| l.contains("formula@cluster.es"))
        .unwrap();
    assert!(
        row.contains("\"'=HYPERLINK(\"\"http://x\"\",\"\"clic\"\")\""),
        "{row}"
    );

    // The same filters as the JSON list.
    let res = app.try_users_csv(&admin.token, "role=auditor").await;
    let text = res.text().await.unwrap();
    assert_eq!(text.split("\r\n").filter(|l| !l.is_empty()).count(), 2);
}

/// Rate limits count per wall-clock minute: start a limit test well inside a minute, so a
/// window rolling over mid-test cannot make it flaky.
pub(crate) async fn away_from_a_minute_boundary() {
    let second = chrono::Utc::now().timestamp() % 60;
    if second >= 55 {
        tokio::time::sleep(Duration::from_secs((61 - second) as u64)).await;
    }
}

#[tokio::test]
async fn rate_limits_answer_429_with_headers() {
    away_from_a_minute_boundary().await;
    let app = spawn_app_with(|c| c.rate_limit = 3).await;
    let admin = app.admin().await; // signs in and reads /api/v1/me once
    let mut last = None;
    for _ in 0..2 {
        let res = app.try_me(&admin.token).await;
        assert_eq!(res.status(), 200);
        assert!(res.headers().contains_key("ratelimit-remaining"));
        last = Some(res);
    }
    assert_eq!(
        last.unwrap().headers().get("ratelimit-remaining").unwrap(),
        "0"
    );
    let res = app.try_me(&admin.token).await;
    assert_eq!(res.headers().get("ratelimit-limit").unwrap(), "3");
    // The IETF draft's fields: the policy (quota, window) and what remains.
    assert_eq!(
        res.headers().get("ratelimit-policy").unwrap(),
        "\"minute\";q=3;w=60"
    );
    let remaining = res.headers().get("ratelimit").unwrap().to_str().unwrap();
    assert!(remaining.starts_with("\"minute\";r=0;t="), "{remaining}");
    assert!(res.headers().contains_key("retry-after"));
    assert_problem(res, 429, "too_many_requests").await;
    // Health probes are never limited.
    assert_eq!(app.get("/healthz").await.status(), 200);
}

#[tokio::test]
async fn the_token_endpoint_has_its_own_strict_limit() {
    away_from_a_minute_boundary().await;
    let app = spawn_app_with(|c| c.token_rate_limit = 2).await;
    for _ in 0..2 {
        assert_eq!(
            app.token_form(&[("grant_type", "magic")]).await.status(),
            400
        );
    }
    assert_problem(
        app.token_form(&[("grant_type", "magic")]).await,
        429,
        "too_many_requests",
    )
    .await;
}

#[tokio::test]
async fn a_request_over_the_time_limit_is_abandoned_with_503_and_changes_nothing() {
    let app = spawn_app_with(|c| c.request_timeout = Duration::from_secs(1)).await;
    let admin = app.admin().await;
    let staff = app.user(&admin, "staff").await;
    // Another session holds the user's row, so the PATCH waits on its lock.
    use diesel_async::SimpleAsyncConnection;
    let mut blocker = app.db().await;
    blocker
        .batch_execute(&format!(
            "BEGIN; SELECT * FROM users WHERE id = '{}' FOR UPDATE",
            staff.id
        ))
        .await
        .unwrap();
    let res = app
        .try_update_user(&admin.token, &staff.id, &json!({"display_name": "Nunca"}))
        .await;
    assert!(res.headers().contains_key("retry-after"));
    assert_problem(res, 503, "request_timeout").await;
    blocker.batch_execute("ROLLBACK").await.unwrap();
    let user = app.get_user(&admin.token, &staff.id).await;
    assert_eq!(user.display_name, "Usuaria staff");
}

#[tokio::test]
async fn responses_carry_security_headers() {
    let app = spawn_app().await;
    let res = app.get("/api/v1/me").await;
    let h = res.headers();
    assert_eq!(h.get("x-content-type-options").unwrap(), "nosniff");
    assert_eq!(h.get("x-frame-options").unwrap(), "DENY");
    assert_eq!(h.get("referrer-policy").unwrap(), "no-referrer");
    assert!(
        h.get("content-security-policy")
            .unwrap()
            .to_str()
            .unwrap()
            .contains("default-src 'none'")
    );
    assert_eq!(h.get("cache-control").unwrap(), "no-store");
    let ui = app.get("/swagger-ui/").await;
    assert!(
        ui.headers()
            .get("content-security-policy")
            .unwrap()
            .to_str()
            .unwrap()
            .contains("script-src 'self'")
    );
}

#[tokio::test]
async fn cors_allows_only_configured_origins_without_credentials() {
    let app = spawn_app_with(|c| c.cors_origins = vec!["https://app.cluster.es".into()]).await;
    let preflight = |origin: &'static str| {
        app.client
            .request(reqwest::Method::OPTIONS, app.url("/api/v1/users"))
            .header("origin", origin)
            .header("access-control-request-method", "POST")
            .header(
                "access-control-request-headers",
                "authorization, content-type, idempotency-key",
            )
            .send()
    };
    let ok = preflight("https://app.cluster.es").await.unwrap();
    assert_eq!(
        ok.headers().get("access-control-allow-origin").unwrap(),
        "https://app.cluster.es"
    );
    assert!(
        ok.headers()
            .get("access-control-allow-credentials")
            .is_none()
    );
    let bad = preflight("https://evil.example").await.unwrap();
    assert!(bad.headers().get("access-control-allow-origin").is_none());
    let res = app
        .client
        .get(app.url("/healthz"))
        .header("origin", "https://app.cluster.es")
        .send()
        .await
        .unwrap();
    assert!(
        res.headers()
            .get("access-control-expose-headers")
            .unwrap()
            .to_str()
            .unwrap()
            .to_lowercase()
            .contains("etag")
    );
}

#[tokio::test]
async fn metrics_expose_request_histograms_and_pool_gauges() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    app.try_list_users(&admin.token, "").await;
    let text = app.metrics_text().await;
    assert!(text.contains("agrupa_http_request_duration_seconds_bucket{method=\"GET\",route=\"/api/v1/users\",status=\"200\",le=\"+Inf\"} 1"), "{text}");
    assert!(text.contains("agrupa_http_requests_in_flight"));
    assert!(text.contains("agrupa_db_pool_max_size 4"));
    assert!(text.contains("agrupa_db_pool_wait_seconds_count"));
}

#[tokio::test]
async fn deeply_nested_json_is_a_400_not_a_crash() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let deep = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
    let res = app
        .client
        .post(app.url("/api/v1/users"))
        .bearer_auth(&admin.token)
        .header("content-type", "application/json")
        .body(deep)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
}
