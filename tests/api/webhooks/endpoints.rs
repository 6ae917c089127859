//! Endpoints: the secret shown once, `If-Match`, who sees which endpoint, and the SSRF
//! guard.

use serde_json::json;

use super::{partner_client, spawn_fast_app};
use crate::support::{
    assert_problem, expect_json, expect_status, spawn_app_with,
    webhooks::{Delivery, Endpoint, Receiver, endpoint_path},
};

#[tokio::test]
async fn the_secret_is_shown_once_and_changes_honour_if_match() {
    let app = spawn_fast_app().await;
    let admin = app.admin().await;
    let res = app
        .try_create_endpoint(
            &admin.token,
            "https://socio.example.org/hooks",
            &["plan.approved"],
        )
        .await;
    assert_eq!(res.headers()["cache-control"], "no-store");
    let location = res.headers()["location"].to_str().unwrap().to_owned();
    let created: Endpoint = expect_json(res, 201).await;
    let secret = created.secret.unwrap();
    assert!(secret.starts_with("whsec_") && secret.len() >= 6 + 32);
    assert_eq!(location, endpoint_path(created.id));

    let read = app.get_as(&admin.token, &location).await;
    let etag = read.headers()["etag"].to_str().unwrap().to_owned();
    let body: serde_json::Value = read.json().await.unwrap();
    assert!(body.get("secret").is_none(), "never shown again");
    assert_eq!(body["event_types"], json!(["plan.approved"]));

    let patch = json!({"description": "Receptor de la intranet", "event_types": []});
    let stale = app
        .send_as(
            "PATCH",
            &admin.token,
            &location,
            Some("\"99\""),
            Some(&patch),
        )
        .await;
    assert_problem(stale, 412, "precondition_failed").await;
    let res = app
        .send_as("PATCH", &admin.token, &location, Some(&etag), Some(&patch))
        .await;
    let changed: Endpoint = expect_json(res, 200).await;
    assert!(changed.event_types.is_empty());
    let gone = app
        .send_as("DELETE", &admin.token, &location, Some(&etag), None)
        .await;
    assert_problem(gone, 412, "precondition_failed").await;
    let res = app
        .send_as("DELETE", &admin.token, &location, None, None)
        .await;
    expect_status(res, 204).await;
    assert_problem(app.get_as(&admin.token, &location).await, 404, "not_found").await;

    let unknown = app
        .try_create_endpoint(
            &admin.token,
            "https://socio.example.org/h",
            &["plan.burned"],
        )
        .await;
    assert_problem(unknown, 422, "validation_failed").await;
}

#[tokio::test]
async fn each_owner_sees_only_its_own_endpoints() {
    let app = spawn_fast_app().await;
    let admin = app.admin().await;
    let funder = app.new_funder(&admin.token, "Ayuntamiento de Madrid").await;
    let (_, client) = partner_client(&app, &admin, funder).await;
    let cluster = app
        .create_endpoint(&admin.token, "https://agrupa.example.org/h", &[])
        .await;
    let own = app
        .create_endpoint(&client, "https://ayuntamiento.example.org/h", &[])
        .await;

    assert_problem(
        app.get_as(&client, &endpoint_path(cluster.id)).await,
        404,
        "not_found",
    )
    .await;
    assert_problem(
        app.get_as(&admin.token, &endpoint_path(own.id)).await,
        404,
        "not_found",
    )
    .await;
    let listed = |v: serde_json::Value| -> Vec<String> {
        v["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["id"].as_str().unwrap().to_owned())
            .collect()
    };
    let mine: serde_json::Value = app.get_ok(&client, "/api/v1/webhook-endpoints").await;
    assert_eq!(listed(mine), [own.id.to_string()]);
    let auditor = app.user(&admin, "auditor").await;
    let all: serde_json::Value = app
        .get_ok(&auditor.token, "/api/v1/webhook-endpoints")
        .await;
    assert_eq!(listed(all).len(), 2, "auditors read every endpoint");
    let partner_user = app
        .user_with(&admin, "partner", json!({"funder_id": funder}))
        .await;
    let res = app
        .try_create_endpoint(
            &partner_user.token,
            "https://ayuntamiento.example.org/u",
            &[],
        )
        .await;
    assert_problem(res, 403, "forbidden").await;
}

#[tokio::test]
async fn in_production_only_https_to_public_addresses_is_reached() {
    let app = spawn_app_with(|c| {
        c.webhooks_poll = std::time::Duration::from_millis(50);
        c.webhooks_allow_loopback = false;
    })
    .await;
    let admin = app.admin().await;
    for url in [
        "http://127.0.0.1:9000/hook",
        "http://socio.example.org/hook",
        "https://127.0.0.1/hook",
        "https://10.0.0.8/hook",
        "https://169.254.169.254/latest/meta-data",
        "https://[::1]/hook",
        "https://[fd00:ec2::254]/",
    ] {
        let res = app.try_create_endpoint(&admin.token, url, &[]).await;
        let problem = assert_problem(res, 422, "validation_failed").await;
        assert_eq!(problem["errors"][0]["code"], "forbidden_url", "{url}");
    }
    // A name that resolves to loopback is saved, but never connected to: the address
    // actually connected to is what is checked.
    let receiver = Receiver::start().await;
    let url = format!("https://localhost:{}/hook", receiver.port);
    let endpoint = app.create_endpoint(&admin.token, &url, &[]).await;
    let ping = format!("{}/pings", endpoint_path(endpoint.id));
    expect_status(app.post_json(&admin.token, &ping, &json!({})).await, 202).await;
    let log: Vec<Delivery> = app
        .wait_deliveries(&admin.token, endpoint.id, 10, |d| {
            d.first().is_some_and(|d| !d.attempts.is_empty())
        })
        .await;
    let attempt = &log[0].attempts[0];
    assert_eq!(attempt.response_status, None);
    let error = attempt.error.as_deref().unwrap();
    assert!(error.contains("may not reach"), "{error}");
    assert!(receiver.received().is_empty());
}
