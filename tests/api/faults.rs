//! The database going away under the application: a statement cut off by a shutdown, and
//! pooled connections the server ended, answer 503 with `Retry-After` (never 500), and the
//! pool recovers by itself. (`ci/faults/pg_restart.sh` does the same with a real restart
//! under load.)

use std::time::{Duration, Instant};

use diesel::QueryableByName;
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl, SimpleAsyncConnection};

use crate::helpers::{TestApp, assert_problem, spawn_app};

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    n: i64,
}

/// Backends of the app's database (other than the asking one) matching `condition`.
async fn backends(app: &TestApp, condition: &str) -> i64 {
    let mut conn = AsyncPgConnection::establish(&app.db_url).await.unwrap();
    let sql = format!(
        "SELECT count(*) AS n FROM pg_stat_activity WHERE datname = '{}' \
         AND pid <> pg_backend_pid() AND {condition}",
        app.db_name
    );
    diesel::sql_query(sql)
        .get_result::<Count>(&mut conn)
        .await
        .unwrap()
        .n
}

/// Ends the app's backends matching `condition` the way a fast shutdown does (57P01), and
/// waits until they are gone.
async fn terminate(app: &TestApp, condition: &str) {
    app.admin_sql(&format!(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{}' \
         AND pid <> pg_backend_pid() AND {condition}",
        app.db_name
    ))
    .await;
    let deadline = Instant::now() + Duration::from_secs(10);
    while backends(app, condition).await > 0 {
        assert!(Instant::now() < deadline, "backends still there");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn a_statement_cut_off_by_a_server_shutdown_answers_503_and_the_pool_recovers() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    // Another session holds the table, so the app's INSERT waits on the server…
    let mut locker = AsyncPgConnection::establish(&app.db_url).await.unwrap();
    locker
        .batch_execute("BEGIN; LOCK TABLE member_categories")
        .await
        .unwrap();
    let pending = tokio::spawn({
        let (client, url, token) = (
            app.client.clone(),
            app.url("/api/v1/member-categories"),
            admin.token.clone(),
        );
        async move {
            client
                .post(url)
                .bearer_auth(token)
                .json(&serde_json::json!({"name": "Cortada", "annual_fee_cents": 100}))
                .send()
                .await
                .unwrap()
        }
    });
    let deadline = Instant::now() + Duration::from_secs(10);
    while backends(&app, "wait_event_type = 'Lock'").await == 0 {
        assert!(Instant::now() < deadline, "the insert never waited");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // …when the server ends its connection, as `pg_ctl stop -m fast` does.
    terminate(&app, "wait_event_type = 'Lock'").await;
    let res = pending.await.unwrap();
    assert_eq!(res.headers().get("retry-after").unwrap(), "5");
    assert_problem(res, 503, "service_unavailable").await;
    locker.batch_execute("ROLLBACK").await.unwrap();

    // The dead connection was not pooled again: what follows works, writes included.
    for _ in 0..4 {
        assert_eq!(app.get_as(&admin.token, "/api/v1/me").await.status(), 200);
    }
    let res = app
        .post_json(
            &admin.token,
            "/api/v1/member-categories",
            &serde_json::json!({"name": "Después", "annual_fee_cents": 100}),
        )
        .await;
    assert_eq!(res.status(), 201);
}

#[tokio::test]
async fn pooled_connections_the_server_ended_are_replaced_not_handed_out() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    // Fill the pool (4 connections in tests) with idle connections.
    let calls = (0..8).map(|_| app.get_as(&admin.token, "/api/v1/member-categories"));
    for res in futures_util::future::join_all(calls).await {
        assert_eq!(res.status(), 200);
    }
    assert!(backends(&app, "state = 'idle'").await > 0);

    terminate(&app, "true").await;
    // Every pooled connection is dead now; each request gets a working one.
    for _ in 0..8 {
        assert_eq!(app.get_as(&admin.token, "/api/v1/me").await.status(), 200);
    }
}
