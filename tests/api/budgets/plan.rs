//! The plan a budget executes.

use super::*;

/// A budget of 2027 on a draft copy of the plan: (fixture, the draft plan's ids, the budget).
async fn budget_on_a_draft_plan() -> (Fixture, Uuid, NodeIds, Uuid) {
    let f = fixture().await;
    let t = &f.admin.token;
    let draft = f.app.import_plan_doc(t, &plan_doc("")).await.id;
    let ids = f.app.node_ids(t, draft).await;
    let b = f
        .app
        .create_budget(
            t,
            &json!({"fiscal_year": 2027, "title": "Borrador", "plan_id": draft}),
        )
        .await
        .id;
    (f, draft, ids, b)
}

#[tokio::test]
async fn a_plan_action_that_budget_lines_use_is_not_deleted() {
    let (f, _, ids, b) = budget_on_a_draft_plan().await;
    f.line(
        b,
        f.expense(
            "G-1",
            100,
            json!([{"action_id": ids["E1.2.1.1"], "share_bp": 10000}]),
        ),
    )
    .await;
    let res = f
        .app
        .try_delete_node(&f.admin.token, (Level::Action, ids["E1.2.1.1"]))
        .await;
    assert_problem(res, 409, "node_in_use").await;
}

#[tokio::test]
async fn a_budget_executes_an_approved_plan_only() {
    let (f, _, _, b) = budget_on_a_draft_plan().await;
    f.line(b, f.income("I-1", 100)).await;
    assert_problem(f.approve(b).await, 409, "plan_not_approved").await;
}

#[tokio::test]
async fn a_budget_keeps_its_plan_while_lines_share_amounts_among_its_actions() {
    let (f, draft, _, _) = budget_on_a_draft_plan().await;
    let t = &f.admin.token;
    let (approved, _) = f.approved(2025).await;
    let rev = f.app.revise_budget(t, approved).await;
    let res = f
        .app
        .try_update_budget(t, rev.id, Some("*"), &json!({"plan_id": draft}))
        .await;
    assert_problem(res, 409, "plan_in_use").await;
}
