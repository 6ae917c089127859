//! Two replicas on one database share the deliveries: each message once, none lost, each
//! object's messages in order.

use std::{collections::HashMap, time::Duration};

use agrupa::{
    Application, Database,
    events::{self, Audience, Event},
};
use diesel_async::AsyncConnection;
use serde_json::json;
use uuid::Uuid;

use super::spawn_fast_app;
use crate::support::{test_config, webhooks::Receiver};

const OBJECTS: usize = 100;
const PER_OBJECT: usize = 10;

#[tokio::test]
async fn two_replicas_deliver_a_thousand_events_each_once_and_in_order_per_object() {
    let app = spawn_fast_app().await;
    let mut config = test_config();
    config.database_url = Some(app.db_url.clone());
    config.webhooks_poll = Duration::from_millis(50);
    let replica = Application::build(
        config,
        Database {
            url: app.db_url.clone(),
            embedded: None,
        },
    )
    .await
    .unwrap();
    tokio::spawn(replica.run_until_stopped());
    let admin = app.admin().await;
    let receiver = Receiver::start().await;
    let endpoint = app
        .create_endpoint(&admin.token, &receiver.url, &["application.status_changed"])
        .await;

    let objects: Vec<Uuid> = (0..OBJECTS).map(|_| Uuid::now_v7()).collect();
    let mut conn = app.db().await;
    for step in 0..PER_OBJECT {
        let objects = objects.clone();
        conn.transaction(async |conn| {
            for id in objects {
                let event = Event::new(
                    "application.status_changed",
                    "application",
                    id,
                    format!("/api/v1/applications/{id}"),
                    Audience::Partners,
                    json!({"step": step}),
                );
                events::record(conn, event).await?;
            }
            Ok::<_, agrupa::error::ApiError>(())
        })
        .await
        .unwrap();
    }

    let total = OBJECTS * PER_OBJECT;
    let got = receiver.wait_for(total, 120).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let got_now = receiver.received();
    assert_eq!(got.len(), total, "none lost");
    assert_eq!(got_now.len(), total, "none twice");
    let mut ids: Vec<String> = got_now.iter().map(|r| r.header("webhook-id")).collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), total, "each webhook-id once");
    let mut last: HashMap<String, i64> = HashMap::new();
    for message in &got_now {
        let body = message.json();
        let object = body["data"]["id"].as_str().unwrap().to_owned();
        let step = body["data"]["step"].as_i64().unwrap();
        let previous = last.insert(object.clone(), step);
        assert_eq!(previous.map_or(0, |p| p + 1), step, "{object} out of order");
    }
    let attempts = app.count_rows("webhook_attempts").await;
    assert_eq!(attempts, i64::try_from(total).unwrap(), "one attempt each");
    let _ = endpoint;
}

#[tokio::test]
async fn deliveries_older_than_thirty_days_are_swept() {
    let app = spawn_fast_app().await;
    let admin = app.admin().await;
    let endpoint = app
        .create_endpoint(&admin.token, "https://receptor.example.org/h", &[])
        .await;
    for (age, kind) in [("31 days", "viejo"), ("29 days", "reciente")] {
        app.sql(&format!(
            "INSERT INTO webhook_deliveries (id, endpoint_id, event_seq, msg_id, event_type, \
             payload, status, attempts, created_at) VALUES (gen_random_uuid(), '{}', 0, \
             'msg_{kind}', 'ping', '{{}}', 'succeeded', 1, now() - interval '{age}')",
            endpoint.id
        ))
        .await;
    }
    // A replica started now sweeps at once (then hourly).
    let mut config = test_config();
    config.database_url = Some(app.db_url.clone());
    let replica = Application::build(
        config,
        Database {
            url: app.db_url.clone(),
            embedded: None,
        },
    )
    .await
    .unwrap();
    tokio::spawn(replica.run_until_stopped());
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while app.count_rows("webhook_deliveries").await > 1 && tokio::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let kept = app.deliveries(&admin.token, endpoint.id).await;
    let ids: Vec<&str> = kept.iter().map(|d| d.msg_id.as_str()).collect();
    assert_eq!(ids, ["msg_reciente"]);
}
