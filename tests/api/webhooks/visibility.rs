//! A partner's endpoint receives the events about what its funder may read, and never
//! another funder's or the cluster's internal ones.

use std::time::Duration;

use agrupa::events::{self, Audience, Event};
use diesel_async::AsyncConnection;
use serde_json::{Value, json};
use uuid::Uuid;

use super::{admitted_member, open_call, partner_client, spawn_fast_app, submitted_application};
use crate::support::webhooks::Receiver;

fn about(messages: &[Value], id: Uuid) -> Vec<String> {
    messages
        .iter()
        .filter(|m| m["data"]["id"] == json!(id))
        .map(|m| m["type"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn a_partners_endpoint_never_receives_another_funders_event() {
    let app = spawn_fast_app().await;
    let admin = app.admin().await;
    let (funder_a, call_a) = open_call(&app, &admin.token, "Ayuntamiento de Madrid").await;
    let (funder_b, call_b) = open_call(&app, &admin.token, "Comunidad de Madrid").await;
    let (_, token_a) = partner_client(&app, &admin, funder_a).await;
    let (_, token_b) = partner_client(&app, &admin, funder_b).await;
    let (cluster, receiver_a, receiver_b) = (
        Receiver::start().await,
        Receiver::start().await,
        Receiver::start().await,
    );
    app.create_endpoint(&admin.token, &cluster.url, &[]).await;
    app.create_endpoint(&token_a, &receiver_a.url, &[]).await;
    app.create_endpoint(&token_b, &receiver_b.url, &[]).await;

    let application_a = submitted_application(&app, &admin.token, call_a).await;
    let application_b = submitted_application(&app, &admin.token, call_b).await;
    let member = admitted_member(&app, &admin, 3).await;
    let internal = Uuid::now_v7();
    app.db()
        .await
        .transaction(async |conn| {
            let event = Event::new(
                "meeting.convened",
                "meeting",
                internal,
                format!("/api/v1/meetings/{internal}"),
                Audience::Staff,
                json!({}),
            );
            events::record(conn, event).await
        })
        .await
        .unwrap();

    // The cluster's endpoint gets everything: wait for it, then for the others' queues.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
    let all = loop {
        let got: Vec<Value> = cluster.received().iter().map(|r| r.json()).collect();
        let done = [application_a, application_b, member, internal]
            .iter()
            .all(|id| !about(&got, *id).is_empty());
        if done || tokio::time::Instant::now() > deadline {
            break got;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!(about(&all, internal), ["meeting.convened"]);
    let a: Vec<Value> = receiver_a
        .wait_for(4, 10)
        .await
        .iter()
        .map(|r| r.json())
        .collect();
    let b: Vec<Value> = receiver_b
        .wait_for(4, 10)
        .await
        .iter()
        .map(|r| r.json())
        .collect();
    tokio::time::sleep(Duration::from_millis(300)).await;
    let a_now = receiver_a.received().len();
    assert_eq!(
        about(&a, application_a),
        ["application.status_changed", "application.submitted"]
    );
    assert!(about(&a, application_b).is_empty(), "not another funder's");
    assert_eq!(
        about(&b, application_b),
        ["application.status_changed", "application.submitted"]
    );
    assert!(about(&b, application_a).is_empty(), "not another funder's");
    for got in [&a, &b] {
        assert_eq!(
            about(got, member),
            ["member.status_changed", "member.admitted"]
        );
        assert!(about(got, internal).is_empty(), "never governance");
        for m in got.iter() {
            if m["type"] == "call.opened" {
                assert!(m["data"]["id"] == json!(call_a) || m["data"]["id"] == json!(call_b));
            }
        }
    }
    let calls_heard = |got: &[Value], call: Uuid| about(got, call);
    assert!(calls_heard(&b, call_a).is_empty() && calls_heard(&a, call_b).is_empty());
    assert_eq!(
        receiver_a.received().len(),
        a_now,
        "nothing else arrives later"
    );
}
