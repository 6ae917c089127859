//! The application state machine: legal moves, who makes them, what they need, the history.

use serde_json::json;

use super::{body_for, calls, world};
use crate::support::assert_problem;

const STATUSES: [&str; 13] = [
    "draft",
    "submitted",
    "under_review",
    "changes_requested",
    "granted",
    "partially_granted",
    "rejected",
    "accepted",
    "renounced",
    "justification_submitted",
    "justified",
    "closed",
    "withdrawn",
];

const LEGAL: [(&str, &str); 16] = [
    ("draft", "submitted"),
    ("submitted", "under_review"),
    ("under_review", "changes_requested"),
    ("changes_requested", "submitted"),
    ("under_review", "granted"),
    ("under_review", "partially_granted"),
    ("under_review", "rejected"),
    ("granted", "accepted"),
    ("granted", "renounced"),
    ("partially_granted", "accepted"),
    ("partially_granted", "renounced"),
    ("accepted", "justification_submitted"),
    ("justification_submitted", "justified"),
    ("justified", "closed"),
    ("draft", "withdrawn"),
    ("submitted", "withdrawn"),
];

/// The statuses an application may move to from `from`.
fn next_of(from: &str) -> Vec<&'static str> {
    LEGAL
        .iter()
        .filter(|(f, _)| *f == from)
        .map(|(_, t)| *t)
        .collect()
}

#[tokio::test]
async fn every_other_move_is_a_409_that_changes_nothing() {
    let w = calls().await;
    let t = &w.admin.token;
    for from in STATUSES {
        let a = w.app_in(from).await;
        let before = w.app.application_json(t, a).await;
        assert_eq!(before["status"], from);
        let next = next_of(from);
        assert_eq!(
            before["next_statuses"].as_array().unwrap().len(),
            next.len(),
            "{from}: {}",
            before["next_statuses"]
        );
        for to in STATUSES {
            if next.contains(&to) {
                continue;
            }
            let res = w.app.try_transition(t, a, &body_for(to)).await;
            let problem = assert_problem(res, 409, "illegal_transition").await;
            assert!(
                problem["detail"].as_str().unwrap().contains(from),
                "{problem}"
            );
        }
        let after = w.app.application_json(t, a).await;
        assert_eq!(after, before, "an illegal move changed {from}");
    }
}

#[tokio::test]
async fn every_legal_move_works() {
    let w = calls().await;
    let t = &w.admin.token;
    for from in STATUSES {
        for to in next_of(from) {
            let a = w.app_in(from).await;
            let moved = w.app.transition_with(t, a, &body_for(to)).await;
            assert_eq!(moved.status, to, "{from} → {to}");
        }
    }
}

#[tokio::test]
async fn the_database_refuses_an_illegal_move_on_its_own() {
    let w = calls().await;
    let a = w.app_in("draft").await;
    let res = w
        .app
        .sql_result(&format!(
            "UPDATE applications SET status = 'closed' WHERE id = '{a}'"
        ))
        .await;
    assert!(
        res.unwrap_err()
            .contains("does not move from draft to closed")
    );
    let submitted = w.app_in("submitted").await;
    let res = w
        .app
        .sql_result(&format!(
            "UPDATE applications SET title = 'Cambiada' WHERE id = '{submitted}'"
        ))
        .await;
    assert!(res.unwrap_err().contains("not edited"));
}

#[tokio::test]
async fn the_cluster_s_moves_are_its_staff_s_and_the_funder_s_decisions_its_partners() {
    let w = world().await;
    let a = w.app_in("submitted").await;
    let partner = &w.partner_a.token;
    let res = w
        .app
        .try_transition(partner, a, &json!({"to": "withdrawn", "comment": "No"}))
        .await;
    assert_problem(res, 403, "forbidden").await;
    let res = w
        .app
        .try_transition(&w.rep.token, a, &json!({"to": "under_review"}))
        .await;
    assert_problem(res, 403, "forbidden").await;
    // Another funder's partner does not even see it.
    let res = w
        .app
        .try_transition(&w.partner_b.token, a, &json!({"to": "under_review"}))
        .await;
    assert_problem(res, 404, "not_found").await;
    let res = w
        .app
        .try_transition(
            partner,
            a,
            &json!({"to": "under_review", "comment": "Recibida ✅"}),
        )
        .await;
    assert_eq!(res.status(), 200);
    w.app
        .transition_with(
            partner,
            a,
            &json!({"to": "partially_granted", "granted_cents": 600_000}),
        )
        .await;
    // Accepting is the cluster's.
    let res = w
        .app
        .try_transition(partner, a, &json!({"to": "accepted"}))
        .await;
    assert_problem(res, 403, "forbidden").await;
    let res = w
        .app
        .try_transition(&w.admin.token, a, &json!({"to": "accepted"}))
        .await;
    assert_eq!(res.status(), 200);
}

#[tokio::test]
async fn a_decision_needs_its_fields_and_refuses_any_other() {
    let w = world().await;
    let a = w.app_in("under_review").await;
    let partner = &w.partner_a.token;
    let decide = |body: serde_json::Value| {
        let app = &w.app;
        async move { app.try_transition(partner, a, &body).await }
    };
    let res = decide(json!({"to": "rejected"})).await;
    let p = assert_problem(res, 422, "validation_failed").await;
    assert_eq!(p["errors"][0]["field"], "comment");
    let res = decide(json!({"to": "partially_granted"})).await;
    assert_problem(res, 422, "validation_failed").await;
    for g in [800_000, 900_000] {
        let res = decide(json!({"to": "partially_granted", "granted_cents": g})).await;
        assert_problem(res, 422, "validation_failed").await;
    }
    let res = decide(json!({"to": "granted", "granted_cents": 700_000})).await;
    assert_problem(res, 422, "validation_failed").await;
    let res = decide(json!({"to": "granted", "extra": 1})).await;
    assert_eq!(res.status(), 400);
    let decided = w
        .app
        .transition_with(
            partner,
            a,
            &json!({"to": "partially_granted", "granted_cents": 600_000, "decided_on": "2026-06-30",
                "justification_due_on": "2027-03-31", "comment": "Resolución parcial"}),
        )
        .await;
    assert_eq!(decided.granted_cents, Some(600_000));
    assert_eq!(decided.decided_on.as_deref(), Some("2026-06-30"));
    assert_eq!(decided.justification_due_on.as_deref(), Some("2027-03-31"));
}

#[tokio::test]
async fn the_history_keeps_every_move_with_its_actor_and_comment() {
    let w = world().await;
    let a = w.app_in("submitted").await;
    let partner = &w.partner_a.token;
    w.app
        .transition_with(
            partner,
            a,
            &json!({"to": "under_review", "comment": "Recibida ✅"}),
        )
        .await;
    w.app
        .transition_with(
            partner,
            a,
            &json!({"to": "partially_granted", "granted_cents": 600_000, "decided_on": "2026-06-30",
                "justification_due_on": "2027-03-31", "comment": "Resolución parcial"}),
        )
        .await;
    w.app.transition_to(&w.admin.token, a, "accepted").await;

    let history = w.app.application_history(&w.admin.token, a).await;
    let moves: Vec<(&str, &str, &str)> = history
        .iter()
        .map(|m| {
            (
                m.from_status.as_str(),
                m.to_status.as_str(),
                m.actor_role.as_str(),
            )
        })
        .collect();
    assert_eq!(
        moves,
        [
            ("draft", "submitted", "admin"),
            ("submitted", "under_review", "partner"),
            ("under_review", "partially_granted", "partner"),
            ("partially_granted", "accepted", "admin"),
        ]
    );
    assert_eq!(history[1].comment.as_deref(), Some("Recibida ✅"));
    assert_eq!(history[1].actor_id, w.partner_a.uuid());
    assert_eq!(history[2].granted_cents, Some(600_000));
    assert!(history[0].created_at <= history[3].created_at);
    // The funder's partner reads the history; another funder's does not.
    let res = w.app.try_application_history(partner, a).await;
    assert_eq!(res.status(), 200);
    let res = w.app.try_application_history(&w.partner_b.token, a).await;
    assert_eq!(res.status(), 404);
    // As CSV too.
    let csv = w.app.application_history_csv(&w.admin.token, a).await;
    assert_eq!(csv.lines().count(), 5);
}

#[tokio::test]
async fn an_application_s_history_is_never_rewritten_even_in_sql() {
    let w = calls().await;
    let a = w.app_in("changes_requested").await;
    let err = w
        .app
        .sql_result(&format!(
            "UPDATE application_transitions SET comment = 'x' WHERE application_id = '{a}'"
        ))
        .await
        .unwrap_err();
    assert!(err.contains("never changed"), "{err}");
}

/// An access token of an API client of the ministry that reads and writes funding.
async fn ministry_client(w: &super::Calls) -> (String, uuid::Uuid) {
    let client = w
        .app
        .create_api_client(
            &w.admin.token,
            &json!({"name": "Sede electrónica del Ministerio",
            "funder_id": w.ministry, "scopes": ["funding:read", "funding:write"]}),
        )
        .await;
    (w.app.client_token(&client).await, client.id)
}

#[tokio::test]
async fn a_funder_s_system_follows_and_decides_its_applications_by_api_client() {
    let w = calls().await;
    let (token, client) = ministry_client(&w).await;
    let a = w.app_in("submitted").await;
    let listed = w.app.list_applications(&token, "status=submitted").await;
    assert_eq!(listed[0].id, a);
    let res = w
        .app
        .try_transition(&token, a, &json!({"to": "under_review"}))
        .await;
    assert_eq!(res.status(), 200);
    let history = w.app.application_history(&w.admin.token, a).await;
    assert_eq!(history[1].actor_kind, "api_client");
    assert_eq!(history[1].actor_id, client);
}

#[tokio::test]
async fn the_forecast_and_open_call_filters_are_the_call_s_status_now() {
    let w = calls().await;
    let (token, _) = ministry_client(&w).await;
    let forecast = w.app.new_call(&w.admin.token, w.ministry, 3, 30).await;
    let listed = w.app.list_calls(&token, "status=forecast").await;
    let ids: Vec<_> = listed.iter().map(|c| c.id).collect();
    assert_eq!(ids, [forecast]);
    let listed = w.app.list_calls(&token, "status=open").await;
    assert_eq!(listed[0].id, w.call);
    assert_eq!(listed.len(), 1);
}
