//! Versions of a budget: frozen once approved, revisions that carry the execution.

use super::*;

#[tokio::test]
async fn an_approved_budget_refuses_every_change() {
    let f = fixture().await;
    let (b, lines) = f.approved(2025).await;
    let t = &f.admin.token;
    for (method, path, body) in [
        ("PATCH", budget_path(b), Some(json!({"title": "Otro"}))),
        ("DELETE", budget_path(b), None),
        ("POST", lines_path(b), Some(f.income("I-2", 1))),
        (
            "PATCH",
            line_path(lines["G-1"]),
            Some(json!({"planned_cents": 1})),
        ),
        ("DELETE", line_path(lines["G-1"]), None),
    ] {
        let res = f
            .app
            .send_as(method, t, &path, Some("*"), body.as_ref())
            .await;
        let body = assert_problem(res, 409, "budget_frozen").await;
        assert!(
            body["detail"].as_str().unwrap().contains("revision"),
            "{method} {path}"
        );
    }
}

#[tokio::test]
async fn the_database_refuses_changes_to_an_approved_budget() {
    let f = fixture().await;
    let (_, lines) = f.approved(2025).await;
    let err = f
        .app
        .sql_result(&format!(
            "UPDATE budget_lines SET planned_cents = 1 WHERE id = '{}'",
            lines["G-1"]
        ))
        .await
        .unwrap_err();
    assert!(err.contains("frozen"), "{err}");
}

#[tokio::test]
async fn a_second_budget_for_a_year_with_an_approved_one_is_not_approved() {
    let f = fixture().await;
    f.approved(2025).await;
    let other = f.budget(2025).await;
    f.line(other, f.income("I-1", 1)).await;
    assert_problem(f.approve(other).await, 409, "approved_budget_exists").await;
}

/// An approved 2025 budget with 700 € spent on G-2: (fixture, budget, its lines).
async fn executed_on_g2() -> (Fixture, Uuid, HashMap<String, Uuid>) {
    let f = fixture().await;
    let (b, lines) = f.approved(2025).await;
    let res = f.entry(lines["G-2"], json!({"entry_date": "2025-02-01", "kind": "actual", "amount_cents": 70_000, "description": "Factura"})).await;
    assert_eq!(res.status(), 201);
    (f, b, lines)
}

/// A budget's lines by code.
async fn lines_by_code(f: &Fixture, budget: Uuid) -> HashMap<String, BudgetLine> {
    let lines = f.app.budget_lines(&f.admin.token, budget).await;
    lines.into_iter().map(|l| (l.code.clone(), l)).collect()
}

#[tokio::test]
async fn a_revision_carries_each_line_s_execution_and_shows_its_variance() {
    let (f, b, _) = executed_on_g2().await;
    let t = &f.admin.token;
    let rev = f.app.revise_budget(t, b).await;
    assert_eq!(rev.version_number, 2);
    let res = f.app.try_revise_budget(t, b).await;
    assert_problem(res, 409, "revision_exists").await;
    let by_code = lines_by_code(&f, rev.id).await;
    // Execution follows the line across versions.
    assert_eq!(by_code["G-2"].actual_cents, 70_000);
    let res = f
        .app
        .try_update_line(
            t,
            by_code["G-2"].id,
            Some("*"),
            &json!({"planned_cents": 250_000}),
        )
        .await;
    assert_eq!(res.status(), 200);
    let r = f.app.budget_report(t, rev.id).await;
    let g2r = r.line("G-2");
    assert_eq!(
        (g2r.approved_planned_cents, g2r.variance_cents),
        (Some(200_000), Some(50_000))
    );
}

#[tokio::test]
async fn a_revision_without_an_executed_line_is_not_approved_and_the_diff_names_it() {
    let (f, b, _) = executed_on_g2().await;
    let t = &f.admin.token;
    let rev = f.app.revise_budget(t, b).await.id;
    let by_code = lines_by_code(&f, rev).await;
    // A line with entries cannot leave the budget; one without can.
    let res = f.app.try_delete_line(t, by_code["G-2"].id).await;
    assert_eq!(res.status(), 204);
    assert_problem(f.approve(rev).await, 409, "executed_line_removed").await;
    f.line(rev, f.expense("G-9", 1, json!([]))).await;
    let diff = f.app.budget_diff(t, rev, b).await;
    assert_eq!(diff["added"][0]["code"], "G-9");
    assert_eq!(diff["removed"][0]["code"], "G-2");
    assert_eq!(diff["planned_expense_delta_cents"], 1 - 200_000);
    let res = f.app.try_delete_line(t, by_code["G-3"].id).await;
    assert_eq!(res.status(), 204);
}

#[tokio::test]
async fn an_approved_revision_supersedes_the_budget_and_takes_the_new_entries() {
    let (f, b, lines) = executed_on_g2().await;
    let t = &f.admin.token;
    // A draft revision can be deleted, and another started.
    let first = f.app.revise_budget(t, b).await.id;
    let res = f.app.try_delete_budget(t, first).await;
    assert_eq!(res.status(), 204);
    let rev = f.app.revise_budget(t, b).await.id;
    let rev_lines = lines_by_code(&f, rev).await;
    let res = f.app.try_delete_line(t, rev_lines["G-3"].id).await;
    assert_eq!(res.status(), 204);
    assert_eq!(f.approve(rev).await.status(), 200);
    let old = f.app.get_budget(t, b).await;
    assert_eq!(old.status, "superseded");
    // New entries go to the approved version's lines; the old version takes none.
    let res = f.entry(lines["G-2"], json!({"entry_date": "2025-03-01", "kind": "actual", "amount_cents": 1, "description": "x"})).await;
    assert_problem(res, 409, "budget_not_approved").await;
    let res = f.entry(rev_lines["G-2"].id, json!({"entry_date": "2025-03-01", "kind": "actual", "amount_cents": 5_000, "description": "Factura"})).await;
    assert_eq!(res.status(), 201);
    let r = f.app.budget_report(t, rev).await;
    assert_eq!(r.line("G-2").amounts.actual_cents, 75_000);
}
