//! Lines: shares of plan actions, categories, amounts, codes, If-Match.

use super::*;

/// The fixture and a draft 2025 budget.
async fn draft_budget() -> (Fixture, Uuid) {
    let f = fixture().await;
    let b = f.budget(2025).await;
    (f, b)
}

/// Expense line G-1, shared 60 % / 40 % between actions E1.1.1.1 and E1.1.1.2.
fn sixty_forty(f: &Fixture) -> Value {
    let n = &f.nodes;
    f.expense(
        "G-1",
        100,
        json!([{"action_id": n["E1.1.1.1"], "share_bp": 6000},
        {"action_id": n["E1.1.1.2"], "share_bp": 4000}]),
    )
}

async fn post_line(f: &Fixture, budget: Uuid, body: Value) -> reqwest::Response {
    f.app
        .try_add_line(&f.admin.token, budget, Some("*"), &body)
        .await
}

#[tokio::test]
async fn a_line_s_shares_of_actions_add_up_to_100_percent() {
    let (f, b) = draft_budget().await;
    let n = &f.nodes;
    let res = post_line(
        &f,
        b,
        f.expense(
            "G-1",
            100,
            json!([{"action_id": n["E1.1.1.1"], "share_bp": 6000},
            {"action_id": n["E1.1.1.2"], "share_bp": 3000}]),
        ),
    )
    .await;
    let body = assert_problem(res, 422, "validation_failed").await;
    assert_eq!(body["errors"][0]["field"], "actions");
    let ok = post_line(&f, b, sixty_forty(&f)).await;
    assert_eq!(ok.status(), 201);
}

#[tokio::test]
async fn a_line_serves_actions_of_the_budget_s_plan_only() {
    let (f, b) = draft_budget().await;
    let n = &f.nodes;
    // Not an action (an axis), or an action of another plan.
    let other = f.app.import_plan_doc(&f.admin.token, &plan_doc("X")).await;
    let other_ids = f.app.node_ids(&f.admin.token, other.id).await;
    let res = post_line(
        &f,
        b,
        f.expense(
            "G-1",
            100,
            json!([{"action_id": n["E1"], "share_bp": 5000},
            {"action_id": other_ids["XE1.1.1.1"], "share_bp": 5000}]),
        ),
    )
    .await;
    let body = assert_problem(res, 422, "validation_failed").await;
    let fields: Vec<&str> = strs(&body["errors"], "field");
    assert_eq!(fields, ["actions[0].action_id", "actions[1].action_id"]);
}

#[tokio::test]
async fn income_lines_serve_no_action_and_keep_to_income_categories_and_sane_amounts() {
    let (f, b) = draft_budget().await;
    let n = &f.nodes;
    let mut income = f.income("I-1", 100);
    income["actions"] = json!([{"action_id": n["E1.1.1.1"], "share_bp": 10000}]);
    assert_problem(post_line(&f, b, income).await, 422, "validation_failed").await;
    let mut wrong = f.income("I-1", 100);
    wrong["category_id"] = json!(f.cats["staff"]);
    assert_problem(post_line(&f, b, wrong).await, 422, "validation_failed").await;
    assert_problem(
        post_line(&f, b, f.income("I-1", -1)).await,
        422,
        "validation_failed",
    )
    .await;
    assert_problem(
        post_line(&f, b, f.income("I-1", 1_000_000_000_000_001)).await,
        422,
        "validation_failed",
    )
    .await;
}

#[tokio::test]
async fn line_codes_are_unique_in_a_budget() {
    let (f, b) = draft_budget().await;
    let ok = post_line(&f, b, sixty_forty(&f)).await;
    assert_eq!(ok.status(), 201);
    let res = post_line(&f, b, f.income("G-1", 5)).await;
    assert_problem(res, 409, "code_taken").await;
}

#[tokio::test]
async fn changes_need_if_match_and_never_lose_an_update() {
    let (f, b) = draft_budget().await;
    let t = &f.admin.token;
    let res = f.app.try_add_line(t, b, None, &f.income("I-1", 1)).await;
    assert_problem(res, 428, "precondition_required").await;
    let line = f.line(b, f.income("I-1", 100)).await.id;
    let res = f
        .app
        .try_update_line(t, line, None, &json!({"planned_cents": 5}))
        .await;
    assert_problem(res, 428, "precondition_required").await;
    let tag = f.app.etag_of(t, &line_path(line)).await;
    let (one, two) = (json!({"planned_cents": 200}), json!({"planned_cents": 300}));
    let (a, c) = tokio::join!(
        f.app.try_update_line(t, line, Some(&tag), &one),
        f.app.try_update_line(t, line, Some(&tag), &two)
    );
    let mut statuses = [a.status().as_u16(), c.status().as_u16()];
    statuses.sort_unstable();
    assert_eq!(statuses, [200, 412]);
    let res = f
        .app
        .try_update_budget(t, b, Some("\"1\""), &json!({"title": "x"}))
        .await;
    assert_problem(res, 412, "precondition_failed").await;
}
