//! The order of the plan's rules: what the caller may not see (or what does not exist) is a
//! 404 before any `If-Match` is looked at, and approval is a service a General Assembly
//! resolution calls inside its own transaction.
//!
//! Every role that may change plans (admins, staff) also reads drafts, so no writer meets a
//! plan, node or indicator it may not see: the 404s below are for what does not exist, or
//! for a node asked for at another level.

use agrupa::{
    auth::{Caller, Principal, Role, policy},
    domain::PlanId,
    error::ApiError,
    http::etag::Precondition,
    plans::{self, Approval},
};
use diesel_async::{AsyncConnection, AsyncPgConnection};
use serde_json::{Value, json};

use crate::helpers::{TestUser, assert_problem, plan_doc, spawn_app};

/// A stale tag: a 412 if anything got as far as comparing it.
const STALE: &str = "\"999\"";

async fn json_of(res: reqwest::Response) -> Value {
    res.json().await.unwrap()
}

#[tokio::test]
async fn changes_to_what_does_not_exist_are_404_before_if_match() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let plan = app.import_plan(&admin.token, &plan_doc("")).await;
    let ids = app
        .plan_ids(&admin.token, plan["id"].as_str().unwrap())
        .await;
    let nobody = uuid::Uuid::now_v7();
    let axis = &ids["E1"];
    let indicator = &ids["Empresas exportadoras"];
    let patch = json!({"title": "Otro"});
    let approval = json!({"reference": "Acta"});
    let rename = json!({"name": "Otro"});
    let cases: Vec<(&str, String, Option<&Value>)> = vec![
        ("PATCH", format!("/api/v1/plans/{nobody}"), Some(&patch)),
        ("DELETE", format!("/api/v1/plans/{nobody}"), None),
        (
            "POST",
            format!("/api/v1/plans/{nobody}/approval"),
            Some(&approval),
        ),
        ("PATCH", format!("/api/v1/axes/{nobody}"), Some(&patch)),
        ("DELETE", format!("/api/v1/actions/{nobody}"), None),
        // A node asked for at another level does not exist there.
        ("PATCH", format!("/api/v1/areas/{axis}"), Some(&patch)),
        ("DELETE", format!("/api/v1/objectives/{axis}"), None),
        (
            "PATCH",
            format!("/api/v1/indicators/{nobody}"),
            Some(&rename),
        ),
        ("DELETE", format!("/api/v1/indicators/{nobody}"), None),
    ];
    for (method, path, body) in cases {
        for tag in [Some(STALE), None] {
            let res = app.send_as(method, &admin.token, &path, tag, body).await;
            assert_eq!(res.status(), 404, "{method} {path} with If-Match {tag:?}");
        }
    }
    // The real ones answer 412 to the same stale tag: the 404s above came first.
    for (path, body) in [
        (format!("/api/v1/axes/{axis}"), &patch),
        (format!("/api/v1/indicators/{indicator}"), &rename),
    ] {
        let res = app
            .send_as("PATCH", &admin.token, &path, Some(STALE), Some(body))
            .await;
        assert_problem(res, 412, "precondition_failed").await;
    }
}

/// The admin as a resolution's caller: no request behind it.
fn caller_of(admin: &TestUser) -> Caller {
    Caller {
        principal: Principal::User(admin.id.parse().unwrap()),
        role: Role::Admin,
        member_id: None,
        funder_id: None,
        scopes: policy::Scopes::all_for(Role::Admin),
        jti: uuid::Uuid::now_v7(),
        request_id: None,
    }
}

#[tokio::test]
async fn a_resolution_approves_a_plan_inside_its_own_transaction() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let plan = app.import_plan(&admin.token, &plan_doc("")).await;
    let id: PlanId = plan["id"].as_str().unwrap().parse().unwrap();
    let path = format!("/api/v1/plans/{id}");
    let res = app.get_as(&admin.token, &path).await;
    let tag = res.headers()["etag"].to_str().unwrap().to_owned();
    let caller = caller_of(&admin);
    let approval = || Approval {
        approved_on: chrono::NaiveDate::from_ymd_opt(2024, 3, 12).unwrap(),
        reference: "Asamblea General de 12/03/2024, acuerdo 4".into(),
    };
    let mut conn = AsyncPgConnection::establish(&app.db_url).await.unwrap();

    // A resolution that fails after approving leaves the plan a draft.
    let failed = conn
        .transaction::<(), ApiError, _>(async |conn| {
            let precondition = Precondition::new(Some(tag.clone()));
            let approved = plans::approve(conn, &caller, id, precondition, approval()).await?;
            assert_eq!(approved.status, plans::model::PlanStatus::Approved);
            Err(ApiError::conflict(
                "resolution_failed",
                "a later step failed",
            ))
        })
        .await;
    assert_eq!(failed.unwrap_err().code(), "resolution_failed");
    let draft = json_of(app.get_as(&admin.token, &path).await).await;
    assert_eq!(draft["status"], "draft");

    // A stale tag approves nothing.
    let stale = Precondition::new(Some(STALE.into()));
    let err = plans::approve(&mut conn, &caller, id, stale, approval())
        .await
        .unwrap_err();
    assert_eq!(err.code(), "precondition_failed");

    // One that succeeds approves it, with its date and reference, by its caller.
    conn.transaction::<(), ApiError, _>(async |conn| {
        let precondition = Precondition::new(Some(tag.clone()));
        plans::approve(conn, &caller, id, precondition, approval()).await?;
        Ok(())
    })
    .await
    .unwrap();
    let approved = json_of(app.get_as(&admin.token, &path).await).await;
    assert_eq!(approved["status"], "approved");
    assert_eq!(approved["approved_on"], "2024-03-12");
    assert_eq!(
        approved["approval_reference"],
        "Asamblea General de 12/03/2024, acuerdo 4"
    );
    assert_eq!(approved["approved_by"], json!(admin.id));
}
