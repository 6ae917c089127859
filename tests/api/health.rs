use std::time::{Duration, Instant};

use crate::support::{assert_problem, spawn_app, spawn_app_with};

#[tokio::test]
async fn healthz_answers_200_ok() {
    let app = spawn_app().await;
    let res = app.get("/healthz").await;
    assert_eq!(res.status(), 200);
    assert!(res.headers().contains_key("x-request-id"));
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!(body["status"], "ok");
}

#[tokio::test]
async fn readyz_answers_200_when_database_and_migrations_are_current() {
    let app = spawn_app().await;
    let res = app.get("/readyz").await;
    assert_eq!(res.status(), 200);
}

#[tokio::test]
async fn readyz_answers_503_when_a_migration_is_missing() {
    let app = spawn_app().await;
    app.sql("DELETE FROM __diesel_schema_migrations WHERE version = (SELECT max(version) FROM __diesel_schema_migrations)")
        .await;
    let res = app.get("/readyz").await;
    assert!(res.headers().contains_key("retry-after"));
    let body = assert_problem(res, 503, "service_unavailable").await;
    assert!(
        body["detail"].as_str().unwrap().contains("migration"),
        "{body}"
    );
}

#[tokio::test]
async fn a_vanished_database_gives_503_with_retry_after_quickly_not_a_hang() {
    let app = spawn_app_with(|c| c.db_timeout = Duration::from_millis(500)).await;
    assert_eq!(app.get("/readyz").await.status(), 200);
    app.admin_sql(&format!("DROP DATABASE {} WITH (FORCE)", app.db_name))
        .await;

    let started = Instant::now();
    let res = app.get("/readyz").await;
    let waited = started.elapsed();
    assert_eq!(res.headers().get("retry-after").unwrap(), "5");
    assert_problem(res, 503, "service_unavailable").await;
    // Bounded by the pool timeout (0.5 s), with generous slack for a loaded machine.
    assert!(waited < Duration::from_secs(10), "waited {waited:?}");
    // Liveness does not depend on the database.
    assert_eq!(app.get("/healthz").await.status(), 200);
}

#[tokio::test]
async fn every_migration_reverts_and_reapplies_cleanly() {
    use diesel_migrations::MigrationHarness;
    let app = spawn_app().await;
    let url = app.db_url.clone();
    tokio::task::spawn_blocking(move || {
        use diesel::Connection;
        let mut conn = diesel_async::async_connection_wrapper::AsyncConnectionWrapper::<
            diesel_async::AsyncPgConnection,
        >::establish(&url)
        .unwrap();
        let reverted = conn
            .revert_all_migrations(agrupa::db::MIGRATIONS)
            .unwrap()
            .len();
        assert_eq!(reverted, agrupa::db::expected_migrations().len());
        let applied = conn
            .run_pending_migrations(agrupa::db::MIGRATIONS)
            .unwrap()
            .len();
        assert_eq!(applied, reverted);
    })
    .await
    .unwrap();
    assert_eq!(app.get("/readyz").await.status(), 200);
}

#[tokio::test]
async fn metrics_need_the_metrics_token_or_an_admin() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let staff = app.user(&admin, "staff").await;
    assert_problem(app.get("/metrics").await, 401, "unauthorized").await;
    let res = app.get_as("not-the-metrics-token", "/metrics").await;
    assert_problem(res, 401, "unauthorized").await;
    assert_problem(app.get_as(&staff.token, "/metrics").await, 403, "forbidden").await;
    assert_eq!(app.get_as(&admin.token, "/metrics").await.status(), 200);
    let text = app.metrics_text().await;
    assert!(text.contains("agrupa_http_requests_in_flight"));
}

#[tokio::test]
async fn metrics_on_their_own_address_leave_the_api_address() {
    let app = spawn_app_with(|c| c.metrics_addr = Some("127.0.0.1:0".into())).await;
    let admin = app.admin().await;
    assert_problem(app.get_as(&admin.token, "/metrics").await, 404, "not_found").await;
    let port = app.metrics_port.expect("a metrics port");
    let res = app
        .client
        .get(format!("http://127.0.0.1:{port}/metrics"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert!(
        res.text()
            .await
            .unwrap()
            .contains("agrupa_db_pool_max_size")
    );
}

/// The number after `name ` in the metrics text.
fn gauge(text: &str, name: &str) -> u64 {
    let prefix = format!("{name} ");
    text.lines()
        .find_map(|l| l.strip_prefix(prefix.as_str()))
        .unwrap_or_else(|| panic!("no {name} in the metrics"))
        .parse()
        .unwrap()
}

#[tokio::test]
async fn connections_unused_past_the_idle_timeout_are_closed_but_one() {
    use diesel_async::RunQueryDsl;
    let app = spawn_app_with(|c| c.db_idle_timeout = Duration::from_secs(1)).await;
    let admin = app.admin().await;
    // Four requests held on a lock take all four of the pool's connections at once.
    let mut lock = app.db().await;
    for sql in ["BEGIN", "LOCK TABLE members IN ACCESS EXCLUSIVE MODE"] {
        diesel::sql_query(sql).execute(&mut lock).await.unwrap();
    }
    let requests: Vec<_> = (0..4)
        .map(|_| {
            let (client, url, token) = (
                app.client.clone(),
                app.url("/api/v1/members"),
                admin.token.clone(),
            );
            tokio::spawn(async move { client.get(url).bearer_auth(token).send().await })
        })
        .collect();
    app.until_waiting_for_locks(4).await;
    // All four are open and handed out (connections in use are never closed).
    let text = app.metrics_text().await;
    assert_eq!(gauge(&text, "agrupa_db_pool_size"), 4, "{text}");
    diesel::sql_query("COMMIT")
        .execute(&mut lock)
        .await
        .unwrap();
    for request in requests {
        assert_eq!(request.await.unwrap().unwrap().status(), 200);
    }

    // Unused for the idle timeout (1 s), all but the most recently used are closed.
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let open = gauge(&app.metrics_text().await, "agrupa_db_pool_size");
        if open == 1 {
            break;
        }
        assert!(Instant::now() < deadline, "still {open} connections open");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    // The one kept still serves (which one is kept: `db::tests`).
    assert_eq!(
        app.get_as(&admin.token, "/api/v1/members").await.status(),
        200
    );
}
