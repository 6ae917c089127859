//! Applications: submitted while their call is open, within its limits.

use serde_json::{Value, json};
use uuid::Uuid;

use super::{calls, world};
use crate::support::assert_problem;

#[tokio::test]
async fn submitting_to_a_closed_or_forecast_call_is_a_409_that_changes_nothing() {
    let w = calls().await;
    let t = &w.admin.token;
    let closed = w.app.new_call(t, w.ministry, -30, -1).await;
    let forecast = w.app.new_call(t, w.ministry, 3, 30).await;
    for (call, status) in [(closed, "closed"), (forecast, "forecast")] {
        let c = w.app.get_call(t, call).await;
        assert_eq!(c.status, status);
        let a = w.app.new_application(t, call, &json!({})).await.id;
        let res = w
            .app
            .try_transition(t, a, &json!({"to": "submitted"}))
            .await;
        let p = assert_problem(res, 409, "call_not_open").await;
        assert!(p["detail"].as_str().unwrap().contains(status));
        let a = w.app.get_application(t, a).await;
        assert_eq!(a.status, "draft");
        assert!(a.submitted_at.is_none());
    }
}

#[tokio::test]
async fn an_open_call_shows_its_instants_in_madrid_time() {
    let w = calls().await;
    let open = w.app.get_call(&w.admin.token, w.call).await;
    assert_eq!(open.status, "open");
    let opens = &open.opens_at;
    assert!(
        opens.ends_with("+01:00") || opens.ends_with("+02:00"),
        "{opens}"
    );
}

#[tokio::test]
async fn calls_are_listed_by_status() {
    let w = calls().await;
    let t = &w.admin.token;
    let closed = w.app.new_call(t, w.ministry, -30, -1).await;
    w.app.new_call(t, w.ministry, 3, 30).await;
    let listed = w.app.list_calls(t, "status=closed").await;
    let ids: Vec<Uuid> = listed.iter().map(|c| c.id).collect();
    assert_eq!(ids, [closed]);
}

/// A request of 8,000 € of an eligible 10,000.01 € (2,000.01 € own funding) to the open call,
/// with the fields of `patch`.
fn request(call: Uuid, patch: Value) -> Value {
    let mut b = json!({"call_id": call, "title": "Solicitud", "eligible_cost_cents": 1_000_001,
        "requested_cents": 800_000, "own_funding_cents": 200_001, "other_aid_cents": 0});
    for (k, v) in patch.as_object().unwrap() {
        b[k] = v.clone();
    }
    b
}

#[tokio::test]
async fn a_request_keeps_to_the_call_s_co_financing_rate_and_maximum_and_balances() {
    let w = calls().await;
    let t = &w.admin.token;
    let with = |patch: Value| request(w.call, patch);
    // 80% of 10,000.01 € is 8,000.008 €: 8,000.00 € fits, 8,000.01 € does not.
    let res = w.app.try_create_application(t, &with(json!({}))).await;
    assert_eq!(res.status(), 201);
    let res = w
        .app
        .try_create_application(
            t,
            &with(json!({"requested_cents": 800_001, "own_funding_cents": 200_000})),
        )
        .await;
    let p = assert_problem(res, 422, "validation_failed").await;
    assert_eq!(p["errors"][0]["code"], "above_cofinancing_rate");
    // Above the call's maximum (100,000 €).
    let res = w
        .app
        .try_create_application(t,
            &with(json!({"eligible_cost_cents": 20_000_000, "requested_cents": 10_000_001, "own_funding_cents": 9_999_999})))
        .await;
    let p = assert_problem(res, 422, "validation_failed").await;
    assert_eq!(p["errors"][0]["code"], "above_call_maximum");
    // requested + own + other must be the eligible cost.
    let res = w
        .app
        .try_create_application(t, &with(json!({"other_aid_cents": 1})))
        .await;
    let p = assert_problem(res, 422, "validation_failed").await;
    assert_eq!(p["errors"][0]["code"], "unbalanced");
}

#[tokio::test]
async fn huge_amounts_wrong_types_and_unknown_actions_are_refused() {
    let w = calls().await;
    let t = &w.admin.token;
    let with = |patch: Value| request(w.call, patch);
    let res = w
        .app
        .try_create_application(
            t,
            &with(json!({"eligible_cost_cents": i64::MAX, "requested_cents": i64::MAX})),
        )
        .await;
    assert_eq!(res.status(), 422);
    let res = w
        .app
        .try_create_application(t, &with(json!({"requested_cents": "mucho"})))
        .await;
    assert_eq!(res.status(), 400);
    let res = w
        .app
        .try_create_application(
            t,
            &with(json!({"actions": [{"action_id": Uuid::new_v4(), "amount_cents": 1}]})),
        )
        .await;
    let p = assert_problem(res, 422, "validation_failed").await;
    assert_eq!(p["errors"][0]["field"], "actions[0].action_id");
}

#[tokio::test]
async fn a_submission_is_held_to_a_call_lowered_after_the_draft() {
    let w = calls().await;
    let t = &w.admin.token;
    let a = w.app.new_application(t, w.call, &json!({})).await.id;
    w.app
        .update_call(t, w.call, &json!({"max_grant_cents": 500_000}))
        .await;
    let res = w
        .app
        .try_transition(t, a, &json!({"to": "submitted"}))
        .await;
    assert_problem(res, 409, "above_call_limits").await;
    let submitted = w.app.list_applications(t, "status=submitted").await;
    assert_eq!(submitted.len(), 0);
}

/// Closes the open call an hour ago.
async fn close_call(w: &super::Calls) {
    let closed = (chrono::Utc::now() - chrono::Duration::hours(1)).to_rfc3339();
    w.app
        .update_call(&w.admin.token, w.call, &json!({"closes_at": closed}))
        .await;
}

#[tokio::test]
async fn a_funder_may_ask_for_changes_after_its_call_closed() {
    let w = calls().await;
    let t = &w.admin.token;
    let a = w.app_in("changes_requested").await;
    close_call(&w).await;
    // The cluster makes the changes and submits again.
    w.app
        .update_application(t, a, &json!({"summary": "Memoria técnica completada"}))
        .await;
    w.app.transition_to(t, a, "submitted").await;
}

#[tokio::test]
async fn a_closed_call_takes_no_new_submission_and_a_withdrawn_draft_stays_unseen() {
    let w = world().await;
    let t = &w.admin.token;
    close_call(&w).await;
    // A new application to the closed call cannot be submitted.
    let late = w.app.new_application(t, w.call, &json!({})).await.id;
    let res = w
        .app
        .try_transition(t, late, &json!({"to": "submitted"}))
        .await;
    assert_problem(res, 409, "call_not_open").await;
    // Withdrawn before ever being submitted: the funder never sees it.
    let res = w
        .app
        .try_transition(
            t,
            late,
            &json!({"to": "withdrawn", "comment": "No llegamos"}),
        )
        .await;
    assert_eq!(res.status(), 200);
    assert_eq!(
        w.app
            .try_get_application(&w.partner_a.token, late)
            .await
            .status(),
        404
    );
    let listed = w
        .app
        .list_applications(&w.partner_a.token, "status=withdrawn")
        .await;
    assert!(listed.is_empty());
}
