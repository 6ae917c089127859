//! The bounds the OpenAPI document states on request inputs, which the server did not check
//! before the document stated them: each is refused past its limit (422 problem+json; the
//! OAuth endpoints answer RFC 6749's 400 `invalid_request`).

use serde_json::{Value, json};
use uuid::Uuid;

use crate::support::{NewMember, assert_problem, plan_doc, spawn_app};

#[tokio::test]
async fn a_tax_id_longer_than_20_characters_is_refused_even_with_separators() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let cat = app.new_category(&admin.token, 120_000).await;
    // 20 characters: a valid CIF with separators is read.
    let res = app
        .try_create_member(
            &admin.token,
            &NewMember::company(cat, "Veinte", "ES-B-1234-5674 ....."),
        )
        .await;
    assert_eq!(res.status(), 201);
    let res = app
        .try_create_member(
            &admin.token,
            &NewMember::company(cat, "Veintiuno", "B.1.2.3.4.5.6.7.4 ...."),
        )
        .await;
    let body = assert_problem(res, 422, "validation_failed").await;
    assert_eq!(body["errors"][0]["field"], "tax_id");
}

#[tokio::test]
async fn a_plan_document_past_its_counts_and_amounts_is_refused_with_every_field() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let mut doc = plan_doc("");
    let objective = &mut doc["axes"][0]["children"][0]["children"][0];
    let indicator = objective["indicators"][0].clone();
    let measurements: Vec<Value> = (0..1001)
        .map(|_| json!({"measured_on": "2024-12-31", "value": 1.0}))
        .collect();
    objective["indicators"][0]["measurements"] = json!(measurements);
    let targets: Vec<Value> = (0..51)
        .map(|_| json!({"year": 2024, "value": 1.0}))
        .collect();
    objective["indicators"][0]["targets"] = json!(targets);
    let many: Vec<Value> = (0..101)
        .map(|i| {
            let mut ind = indicator.clone();
            ind["name"] = json!(format!("Indicador {i}"));
            ind
        })
        .collect();
    let action = &mut objective["children"][0]["action"];
    action["planned_budget_cents"] = json!(1_000_000_000_000_001_i64);
    let participants: Vec<Uuid> = (0..501).map(|_| Uuid::now_v7()).collect();
    action["participant_ids"] = json!(participants);
    doc["axes"][1]["children"][0]["children"][0]["indicators"] = json!(many);
    let res = app.try_import_plan(&admin.token, &doc).await;
    let body = assert_problem(res, 422, "invalid_plan_document").await;
    let fields: Vec<(&str, &str)> = body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["field"].as_str().unwrap(), e["code"].as_str().unwrap()))
        .collect();
    for expected in [
        (
            "axes[0].children[0].children[0].indicators[0].measurements",
            "too_many",
        ),
        (
            "axes[0].children[0].children[0].indicators[0].targets",
            "too_many",
        ),
        ("axes[1].children[0].children[0].indicators", "too_many"),
        (
            "axes[0].children[0].children[0].children[0].action.planned_budget_cents",
            "out_of_range",
        ),
        (
            "axes[0].children[0].children[0].children[0].action.participant_ids",
            "too_many",
        ),
    ] {
        assert!(fields.contains(&expected), "{expected:?} not in {fields:?}");
    }
}

#[tokio::test]
async fn more_than_50_scopes_are_refused_even_when_repeated() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let scopes = vec!["members:read"; 51];
    let res = app
        .try_create_api_client(&admin.token, &json!({"name": "Socio", "scopes": scopes}))
        .await;
    let body = assert_problem(res, 422, "validation_failed").await;
    assert_eq!(body["errors"][0]["field"], "scopes");
    assert_eq!(body["errors"][0]["code"], "too_many");
}

#[tokio::test]
async fn more_than_10000_named_votes_are_refused_before_anything_is_read() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let votes: Vec<Value> = (0..10_001)
        .map(|_| json!({"roll_entry_id": Uuid::now_v7(), "choice": "yes"}))
        .collect();
    let res = app
        .try_resolve(
            &admin.token,
            Uuid::now_v7(),
            Uuid::now_v7(),
            &json!({"votes": votes}),
        )
        .await;
    let body = assert_problem(res, 422, "validation_failed").await;
    assert_eq!(body["errors"][0]["field"], "votes");
}

#[tokio::test]
async fn token_and_revocation_parameters_past_their_length_are_invalid_requests() {
    let app = spawn_app().await;
    let long = "x".repeat(1025);
    let res = app
        .token_form(&[
            ("grant_type", "password"),
            ("username", "a@b.es"),
            ("password", &long),
        ])
        .await;
    assert_eq!(res.status(), 400);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["error"], "invalid_request");
    assert!(
        body["error_description"]
            .as_str()
            .unwrap()
            .contains("`password`")
    );
    let res = app
        .client
        .post(app.url("/api/v1/auth/revoke"))
        .form(&[("token", "y".repeat(4097))])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["error"], "invalid_request");
}
