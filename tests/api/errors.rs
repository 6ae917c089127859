use crate::support::{assert_problem, spawn_app};

#[tokio::test]
async fn unknown_route_is_a_404_problem() {
    let app = spawn_app().await;
    let body = assert_problem(app.get("/api/v1/nothing-here").await, 404, "not_found").await;
    assert!(
        body["detail"]
            .as_str()
            .unwrap()
            .contains("/api/v1/nothing-here")
    );
}

#[tokio::test]
async fn trailing_slash_is_not_the_same_resource() {
    let app = spawn_app().await;
    assert_problem(app.get("/healthz/").await, 404, "not_found").await;
}

#[tokio::test]
async fn wrong_method_is_a_405_problem_with_allow() {
    let app = spawn_app().await;
    let res = app.client.delete(app.url("/readyz")).send().await.unwrap();
    assert_eq!(res.headers().get("allow").unwrap(), "GET");
    assert_problem(res, 405, "method_not_allowed").await;
}

/// Routes are registered without pattern constraints, so `/members/stats` also fits
/// `/members/{id}` until its id fails to parse: the answer must still be the router's.
#[tokio::test]
async fn a_literal_path_beside_a_parameter_keeps_its_405_and_bad_ids_are_404() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let res = app
        .client
        .patch(app.url("/api/v1/members/stats"))
        .bearer_auth(&admin.token)
        .json(&serde_json::json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.headers().get("allow").unwrap(), "GET");
    assert_problem(res, 405, "method_not_allowed").await;
    let res = app
        .client
        .post(app.url("/api/v1/plans/None/revisions"))
        .bearer_auth(&admin.token)
        .send()
        .await
        .unwrap();
    assert_problem(res, 404, "not_found").await;
    let res = app
        .client
        .get(app.url("/api/v1/members/%F0%9F%8E%AC"))
        .bearer_auth(&admin.token)
        .send()
        .await
        .unwrap();
    assert_problem(res, 404, "not_found").await;
}

#[tokio::test]
async fn a_sane_request_id_is_echoed_and_used_in_problems() {
    let app = spawn_app().await;
    let res = app
        .client
        .get(app.url("/nope"))
        .header("x-request-id", "req-ñ-1".replace('ñ', "n"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.headers().get("x-request-id").unwrap(), "req-n-1");
    let body = assert_problem(res, 404, "not_found").await;
    assert_eq!(body["request_id"], "req-n-1");
}

#[tokio::test]
async fn an_oversized_or_odd_request_id_is_replaced() {
    let app = spawn_app().await;
    let res = app
        .client
        .get(app.url("/healthz"))
        .header("x-request-id", "x".repeat(500))
        .send()
        .await
        .unwrap();
    let id = res.headers().get("x-request-id").unwrap().to_str().unwrap();
    assert_eq!(id.len(), 36, "a generated UUID");
}

#[tokio::test]
async fn each_request_gets_its_own_generated_id() {
    let app = spawn_app().await;
    let a = app.get("/healthz").await;
    let b = app.get("/healthz").await;
    assert_ne!(
        a.headers().get("x-request-id"),
        b.headers().get("x-request-id")
    );
}

#[tokio::test]
async fn a_body_that_is_not_an_object_is_a_400() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    for body in [
        serde_json::json!([null, null]),
        serde_json::json!("texto"),
        serde_json::json!(7),
    ] {
        let res = app.try_create_category(&admin.token, &body).await;
        assert_problem(res, 400, "invalid_body").await;
    }
}
