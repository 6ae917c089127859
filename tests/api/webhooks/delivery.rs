//! Delivery: Standard Webhooks signatures checked by the `standardwebhooks` crate, retries,
//! `410 Gone`, endpoints failing for days, rotation, pings and redelivery.

use std::time::Duration;

use serde_json::json;
use standardwebhooks::Webhook;

use super::{open_call, spawn_fast_app, submitted_application};
use crate::support::{
    expect_json, expect_status,
    webhooks::{Delivery, Endpoint, Receiver, endpoint_path},
};

#[tokio::test]
async fn deliveries_are_signed_so_that_the_reference_implementation_verifies_them() {
    let app = spawn_fast_app().await;
    let admin = app.admin().await;
    let receiver = Receiver::start().await;
    let endpoint = app
        .create_endpoint(&admin.token, &receiver.url, &["application.submitted"])
        .await;
    let secret = endpoint.secret.clone().unwrap();
    let (_, call) = open_call(&app, &admin.token, "Ministerio de Industria y Turismo").await;
    let application = submitted_application(&app, &admin.token, call).await;

    let got = receiver.wait_for(1, 10).await;
    assert_eq!(got.len(), 1, "only the type asked for");
    let message = &got[0];
    let body = message.json();
    assert_eq!(body["type"], "application.submitted");
    assert_eq!(body["data"]["id"], json!(application));
    assert!(body["timestamp"].is_string());
    assert!(message.header("webhook-id").starts_with("msg_"));
    assert_eq!(message.header("content-type"), "application/json");

    let hook = Webhook::new(&secret).unwrap();
    hook.verify(message.body.as_bytes(), &message.headers)
        .expect("the reference implementation accepts our signature");
    let tampered = message.body.replace("submitted", "rejected");
    assert!(hook.verify(tampered.as_bytes(), &message.headers).is_err());
    let other = Webhook::new(&agrupa::webhooks::signature::new_secret()).unwrap();
    assert!(
        other
            .verify(message.body.as_bytes(), &message.headers)
            .is_err()
    );
    let mut empty = message.headers.clone();
    empty.insert("webhook-signature", "v1,".parse().unwrap());
    assert!(
        hook.verify(message.body.as_bytes(), &empty).is_err(),
        "an empty v1 signature is refused"
    );
}

#[tokio::test]
async fn our_signature_is_the_reference_implementations_on_the_published_example() {
    let (secret, id, ts, body) = (
        "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
        "msg_p5jXN8AQM9LWM0D4loKWxJek",
        1_614_265_330,
        r#"{"test": 2432232314}"#,
    );
    let ours = agrupa::webhooks::signature::sign(secret, id, ts, body).unwrap();
    let theirs = Webhook::new(secret)
        .unwrap()
        .sign(id, ts, body.as_bytes())
        .unwrap();
    assert_eq!(ours, theirs);
    assert_eq!(ours, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
}

#[tokio::test]
async fn a_receiver_answering_500_then_200_gets_the_retry_with_the_same_id() {
    let app = spawn_fast_app().await;
    let admin = app.admin().await;
    let receiver = Receiver::start().await;
    receiver.answer(&[(500, Some("1"))]);
    let endpoint = app
        .create_endpoint(&admin.token, &receiver.url, &["application.submitted"])
        .await;
    let (_, call) = open_call(&app, &admin.token, "Ministerio de Industria y Turismo").await;
    submitted_application(&app, &admin.token, call).await;

    let got = receiver.wait_for(2, 15).await;
    assert_eq!(got.len(), 2, "retried after Retry-After: 1");
    assert_eq!(got[0].header("webhook-id"), got[1].header("webhook-id"));
    let log = app
        .wait_deliveries(&admin.token, endpoint.id, 5, |d| {
            d.first().is_some_and(|d| d.status == "succeeded")
        })
        .await;
    assert_eq!(log.len(), 1);
    let statuses: Vec<Option<i32>> = log[0].attempts.iter().map(|a| a.response_status).collect();
    assert_eq!(statuses, [Some(500), Some(200)]);
    assert_eq!(
        log[0].attempts[0].response_body.as_deref(),
        Some("recibido (500)")
    );
    assert_eq!(log[0].msg_id, got[0].header("webhook-id"));
    let endpoint = app.get_endpoint(&admin.token, endpoint.id).await;
    assert!(endpoint.enabled);
}

#[tokio::test]
async fn a_410_disables_the_endpoint_with_its_reason_and_nothing_more_is_sent() {
    let app = spawn_fast_app().await;
    let admin = app.admin().await;
    let receiver = Receiver::start().await;
    receiver.answer(&[(410, None)]);
    let endpoint = app
        .create_endpoint(&admin.token, &receiver.url, &["application.submitted"])
        .await;
    let (_, call) = open_call(&app, &admin.token, "Ministerio de Industria y Turismo").await;
    submitted_application(&app, &admin.token, call).await;
    receiver.wait_for(1, 10).await;
    let log = app
        .wait_deliveries(&admin.token, endpoint.id, 5, |d| {
            d.first().is_some_and(|d| d.status == "failed")
        })
        .await;
    assert_eq!(log[0].status, "failed");
    let disabled = app.get_endpoint(&admin.token, endpoint.id).await;
    assert!(!disabled.enabled);
    assert!(disabled.disabled_reason.unwrap().contains("410"));

    submitted_application(&app, &admin.token, call).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(
        receiver.received().len(),
        1,
        "a disabled endpoint gets nothing"
    );
    assert_eq!(app.deliveries(&admin.token, endpoint.id).await.len(), 1);

    let res = app
        .send_as(
            "PATCH",
            &admin.token,
            &endpoint_path(endpoint.id),
            None,
            Some(&json!({"enabled": true})),
        )
        .await;
    let enabled: Endpoint = expect_json(res, 200).await;
    assert!(enabled.enabled && enabled.disabled_reason.is_none());
}

#[tokio::test]
async fn an_endpoint_failing_for_five_days_is_disabled_and_says_why() {
    let app = spawn_fast_app().await;
    let admin = app.admin().await;
    let receiver = Receiver::start().await;
    receiver.answer(&[(503, None)]);
    let endpoint = app
        .create_endpoint(&admin.token, &receiver.url, &["application.submitted"])
        .await;
    app.sql(&format!(
        "UPDATE webhook_endpoints SET failing_since = now() - interval '5 days 1 minute' \
         WHERE id = '{}'",
        endpoint.id
    ))
    .await;
    let (_, call) = open_call(&app, &admin.token, "Ministerio de Industria y Turismo").await;
    submitted_application(&app, &admin.token, call).await;
    receiver.wait_for(1, 10).await;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    let endpoint = loop {
        let e = app.get_endpoint(&admin.token, endpoint.id).await;
        if !e.enabled || tokio::time::Instant::now() > deadline {
            break e;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert!(!endpoint.enabled);
    let reason = endpoint.disabled_reason.unwrap();
    assert!(
        reason.contains("failing since") && reason.contains("5 days"),
        "{reason}"
    );
}

#[tokio::test]
async fn a_rotated_secret_signs_together_with_the_new_one() {
    let app = spawn_fast_app().await;
    let admin = app.admin().await;
    let receiver = Receiver::start().await;
    let endpoint = app.create_endpoint(&admin.token, &receiver.url, &[]).await;
    let old = endpoint.secret.clone().unwrap();
    let path = format!("{}/secret-rotations", endpoint_path(endpoint.id));
    let res = app.post_json(&admin.token, &path, &json!({})).await;
    assert_eq!(res.headers()["cache-control"], "no-store");
    let rotated: Endpoint = expect_json(res, 200).await;
    let new = rotated.secret.unwrap();
    assert_ne!(new, old);

    let ping = format!("{}/pings", endpoint_path(endpoint.id));
    expect_status(app.post_json(&admin.token, &ping, &json!({})).await, 202).await;
    let got = receiver.wait_for(1, 10).await;
    let message = &got[0];
    assert_eq!(message.json()["type"], "ping");
    assert_eq!(message.header("webhook-signature").split(' ').count(), 2);
    for secret in [&old, &new] {
        Webhook::new(secret)
            .unwrap()
            .verify(message.body.as_bytes(), &message.headers)
            .expect("both secrets verify during the rotation");
    }
}

#[tokio::test]
async fn a_redelivery_reaches_the_receiver_again_with_the_same_id() {
    let app = spawn_fast_app().await;
    let admin = app.admin().await;
    let receiver = Receiver::start().await;
    let endpoint = app.create_endpoint(&admin.token, &receiver.url, &[]).await;
    let ping = format!("{}/pings", endpoint_path(endpoint.id));
    let queued: Delivery =
        expect_json(app.post_json(&admin.token, &ping, &json!({})).await, 202).await;
    assert_eq!(queued.event_type, "ping");
    receiver.wait_for(1, 10).await;
    app.wait_deliveries(&admin.token, endpoint.id, 5, |d| {
        d.first().is_some_and(|d| d.status == "succeeded")
    })
    .await;
    let again = format!(
        "{}/deliveries/{}/attempts",
        endpoint_path(endpoint.id),
        queued.id
    );
    expect_status(app.post_json(&admin.token, &again, &json!({})).await, 202).await;
    let got = receiver.wait_for(2, 10).await;
    assert_eq!(got.len(), 2);
    assert_eq!(got[0].header("webhook-id"), got[1].header("webhook-id"));
    assert_eq!(got[1].header("webhook-id"), queued.msg_id);
    let log = app
        .wait_deliveries(&admin.token, endpoint.id, 5, |d| {
            d.first().is_some_and(|d| d.attempts.len() == 2)
        })
        .await;
    assert_eq!(log[0].attempts.len(), 2);
    assert!(
        log[0]
            .attempts
            .iter()
            .all(|a| a.duration_ms >= 0 && a.error.is_none())
    );
}
