//! Grants: never above an action's planned cost, and income of the budget once accepted.

use serde_json::json;
use uuid::Uuid;

use super::{World, calls, world};
use crate::support::assert_problem;

#[tokio::test]
async fn an_action_is_never_funded_above_its_planned_cost() {
    let w = world().await;
    let action = w.actions["E1.1.1.1"];
    let partner = &w.partner_a.token;
    // Each asks 8,000 € of the action's 10,000 €.
    let serve = json!({"actions": [{"action_id": action, "amount_cents": 800_000}]});
    let first = w.under_review(serve.clone()).await;
    let second = w.under_review(serve).await;
    let res = w
        .app
        .try_transition(partner, first, &json!({"to": "granted"}))
        .await;
    assert_eq!(res.status(), 200);
    let res = w
        .app
        .try_transition(partner, second, &json!({"to": "granted"}))
        .await;
    let p = assert_problem(res, 409, "double_funding").await;
    let detail = p["detail"].as_str().unwrap();
    assert!(detail.contains("E1.1.1.1"), "{detail}");
    assert!(detail.contains(&first.to_string()), "{detail}");
    assert!(detail.contains("16000.00 €"), "{detail}");
    let a = w.app.get_application(&w.admin.token, second).await;
    assert_eq!(a.status, "under_review");
    // 2,000 € more fits exactly (this application's part scales with the grant).
    w.app
        .transition_with(
            partner,
            second,
            &json!({"to": "partially_granted", "granted_cents": 200_000}),
        )
        .await;
    // A third one cannot get a cent for the action.
    let third = w
        .under_review(json!({"actions": [{"action_id": action, "amount_cents": 100}]}))
        .await;
    let res = w
        .app
        .try_transition(partner, third, &json!({"to": "granted"}))
        .await;
    assert_problem(res, 409, "double_funding").await;
    // A rejected grant frees nothing it never held; a renounced one frees its part.
    let res = w
        .app
        .try_transition(
            &w.admin.token,
            first,
            &json!({"to": "renounced", "comment": "Renuncia"}),
        )
        .await;
    assert_eq!(res.status(), 200);
    let res = w
        .app
        .try_transition(partner, third, &json!({"to": "granted"}))
        .await;
    assert_eq!(res.status(), 200);
}

#[tokio::test]
async fn two_grants_decided_at_once_cannot_both_overfund_an_action() {
    let w = world().await;
    let action = w.actions["E1.2.1.1"];
    let serve = json!({"actions": [{"action_id": action, "amount_cents": 600_000}]});
    let mut apps = Vec::new();
    for _ in 0..2 {
        let a = w.under_review(serve.clone()).await;
        apps.push(a);
    }
    let granted = json!({"to": "granted"});
    let (r1, r2) = tokio::join!(
        w.app.try_transition(&w.partner_a.token, apps[0], &granted),
        w.app.try_transition(&w.partner_a.token, apps[1], &granted),
    );
    let mut statuses = [r1.status().as_u16(), r2.status().as_u16()];
    statuses.sort();
    assert_eq!(statuses, [200, 409]);
    let granted = w
        .app
        .list_applications(&w.admin.token, "status=granted")
        .await;
    assert_eq!(granted.len(), 1);
}

#[tokio::test]
async fn double_funding_is_counted_across_versions_of_the_plan() {
    let w = world().await;
    let t = &w.admin.token;
    // The plan's approved version.
    let plans = w.app.list_plans(t, "status=approved").await;
    let plan = plans[0].id;
    let old_action = w.actions["E2.1.1.1"];
    let first = w
        .under_review(json!({"actions": [{"action_id": old_action, "amount_cents": 800_000}]}))
        .await;
    assert_eq!(
        w.app
            .try_transition(&w.partner_a.token, first, &json!({"to": "granted"}))
            .await
            .status(),
        200
    );
    // A revision of the plan, approved: the same action has a new id.
    let revision = w.app.revise_plan(t, plan).await.id;
    let new_action = w.app.node_ids(t, revision).await["E2.1.1.1"];
    assert_ne!(new_action, old_action);
    // While the revision is a draft its actions are not served.
    let res = w
        .app
        .try_create_application(t, &json!({"call_id": w.call, "title": "Otra",
            "eligible_cost_cents": 1_000_000, "requested_cents": 800_000, "own_funding_cents": 200_000,
            "other_aid_cents": 0, "actions": [{"action_id": new_action, "amount_cents": 800_000}]}))
        .await;
    let p = assert_problem(res, 422, "validation_failed").await;
    assert_eq!(p["errors"][0]["code"], "not_in_approved_plan");
    w.app.approve_plan(&w.admin, &revision.to_string()).await;
    let second = w
        .under_review(json!({"actions": [{"action_id": new_action, "amount_cents": 800_000}]}))
        .await;
    let res = w
        .app
        .try_transition(&w.partner_a.token, second, &json!({"to": "granted"}))
        .await;
    let p = assert_problem(res, 409, "double_funding").await;
    assert!(
        p["detail"].as_str().unwrap().contains(&first.to_string()),
        "{p}"
    );
}

#[tokio::test]
async fn an_accepted_grant_becomes_income_of_the_draft_budget_of_its_year() {
    let w = world().await;
    let t = &w.admin.token;
    let (budget, line) = w.budget_with_expense(2031).await;
    let a = w
        .under_review(json!({"budget_lines": [{"line_id": line, "amount_cents": 800_000}]}))
        .await;
    w.app
        .transition_with(
            &w.partner_a.token,
            a,
            &json!({"to": "partially_granted", "granted_cents": 654_321}),
        )
        .await;
    // Nothing reaches the budget before the cluster accepts.
    let r = w.app.budget_report(t, budget).await;
    assert_eq!(r.totals.income.planned_cents, 300_000);
    let accepted = w.app.transition_to(t, a, "accepted").await;
    assert_eq!(accepted.income[0].fiscal_year, 2031);
    assert_eq!(accepted.income[0].amount_cents, 654_321);
    assert!(!accepted.income[0].pending);
    let r = w.app.budget_report(t, budget).await;
    assert_eq!(r.totals.income.planned_cents, 300_000 + 654_321);
    let sources = &r.income_by_source;
    let grant = sources.iter().find(|s| s.kind == "grant").unwrap();
    assert_eq!(grant.source_id, Some(a));
    assert_eq!(grant.planned_cents, 654_321);
    let sum: i64 = sources.iter().map(|s| s.planned_cents).sum();
    assert_eq!(sum, r.totals.income.planned_cents);
    // Drafts are not shown to partners at all.
    let res = w.app.try_budget_lines(&w.partner_a.token, budget).await;
    assert_eq!(res.status(), 404);
}

/// The 2032 budget, approved, and a grant accepted for its expense line (8,000 €) by the
/// ministry: (budget, line, application).
async fn grant_for_an_approved_year(w: &World) -> (Uuid, Uuid, Uuid) {
    let t = &w.admin.token;
    let (approved, line) = w.budget_with_expense(2032).await;
    w.app
        .approve_budget(
            t,
            approved,
            &json!({"approved_on": "2031-12-15", "reference": "Asamblea General 2031"}),
        )
        .await;
    let b = w
        .under_review(json!({"budget_lines": [{"line_id": line, "amount_cents": 500_000}]}))
        .await;
    w.app.transition_to(&w.partner_a.token, b, "granted").await;
    let res = w.app.try_transition(t, b, &json!({"to": "accepted"})).await;
    assert_eq!(res.status(), 200);
    (approved, line, b)
}

#[tokio::test]
async fn a_grant_for_a_year_whose_budget_is_approved_is_pending_income() {
    let w = world().await;
    let (approved, _, b) = grant_for_an_approved_year(&w).await;
    let r = w.app.budget_report(&w.admin.token, approved).await;
    assert_eq!(
        r.totals.income.planned_cents, 300_000,
        "the approved budget is frozen"
    );
    assert_eq!(r.pending_income[0].application_id, b);
    assert_eq!(r.pending_income[0].amount_cents, 800_000);
    assert_eq!(r.pending_income[0].variance_cents, 800_000);
}

#[tokio::test]
async fn a_partner_sees_the_approved_lines_its_grant_funds_and_no_other() {
    let w = world().await;
    let (approved, line, _) = grant_for_an_approved_year(&w).await;
    let lines = w.app.budget_lines(&w.partner_a.token, approved).await;
    let codes: Vec<&str> = lines.iter().map(|l| l.code.as_str()).collect();
    assert_eq!(codes, ["G-1"]);
    let lines = w.app.budget_lines(&w.partner_b.token, approved).await;
    assert!(lines.is_empty());
    let res = w.app.try_get_line(&w.partner_b.token, line).await;
    assert_eq!(res.status(), 404);
    let res = w.app.try_get_line(&w.partner_a.token, line).await;
    assert_eq!(res.status(), 200);
}

#[tokio::test]
async fn a_revision_of_the_year_s_budget_takes_a_pending_grant_in_as_an_income_line() {
    let w = world().await;
    let t = &w.admin.token;
    let (approved, _, b) = grant_for_an_approved_year(&w).await;
    let revision = w.app.revise_budget(t, approved).await.id;
    let r = w.app.budget_report(t, revision).await;
    assert_eq!(r.totals.income.planned_cents, 300_000 + 800_000);
    assert!(r.pending_income.is_empty(), "{:?}", r.pending_income);
    let a = w.app.get_application(t, b).await;
    assert!(!a.income[0].pending);
    assert_eq!(a.income[0].budget_id, Some(revision));
    // The line the grant wrote is in the audit log.
    let audit = w
        .app
        .audit_events(t, "resource_type=budget_line&limit=100")
        .await;
    assert!(
        audit.iter().any(|e| e["after"]["planned_cents"] == 800_000),
        "{audit:?}"
    );
}

#[tokio::test]
async fn grants_naming_one_income_line_add_up_on_it() {
    let w = world().await;
    let t = &w.admin.token;
    let (budget, _) = w.budget_with_expense(2034).await;
    let income = w.line_of(budget, "I-1").await;
    for granted in [300_000, 250_000] {
        let a = w
            .under_review(json!({"budget_lines": [{"line_id": income, "amount_cents": 800_000}]}))
            .await;
        let res = w
            .app
            .try_transition(
                &w.partner_a.token,
                a,
                &json!({"to": "partially_granted", "granted_cents": granted}),
            )
            .await;
        assert_eq!(res.status(), 200);
        let res = w.app.try_transition(t, a, &json!({"to": "accepted"})).await;
        assert_eq!(res.status(), 200);
    }
    let line = w.app.get_line(t, income).await;
    assert_eq!(line.planned_cents, 550_000);
    let r = w.app.budget_report(t, budget).await;
    let grants = r
        .income_by_source
        .iter()
        .filter(|s| s.kind == "grant")
        .count();
    assert_eq!(grants, 1, "one line, one source: {:?}", r.income_by_source);
}

#[tokio::test]
async fn a_line_an_application_funds_is_not_deleted_under_it() {
    let w = calls().await;
    let t = &w.admin.token;
    let (budget, line) = w.budget_with_expense(2035).await;
    w.app
        .new_application(
            t,
            w.call,
            &json!({"budget_lines": [{"line_id": line, "amount_cents": 100_000}]}),
        )
        .await;
    let res = w.app.try_delete_line(t, line).await;
    assert_problem(res, 409, "line_in_use").await;
    let res = w.app.try_delete_budget(t, budget).await;
    assert_problem(res, 409, "line_in_use").await;
    assert_eq!(w.app.try_get_line(t, line).await.status(), 200);
}
