//! Reports: totals that reconcile to the cent, shares of actions, CSV, the demo budget.

use super::*;

fn sum(rows: &[ReportRow], field: &str) -> i64 {
    rows.iter().map(|r| r.amounts.get(field)).sum()
}

#[tokio::test]
async fn the_report_totals_income_expense_and_balances() {
    let f = fixture().await;
    let (b, _) = f.executed().await;
    let r = f.app.budget_report(&f.admin.token, b).await;
    let t = &r.totals;
    assert_eq!(t.income.planned_cents, 500_000);
    assert_eq!(t.expense.planned_cents, 260_001);
    assert_eq!(t.expense.actual_cents, 213_337);
    assert_eq!(t.planned_balance_cents, 500_000 - 260_001);
    assert_eq!(t.actual_balance_cents, 250_000 - 213_337);
    // G-3 spent more than planned.
    let g3 = &r.line("G-3").amounts;
    assert_eq!(g3.remaining_cents, -10_000);
    assert_eq!(g3.execution_pct, Some(120.0));
}

#[tokio::test]
async fn the_report_reconciles_to_the_cent_from_lines_to_totals_actions_and_axes() {
    let f = fixture().await;
    let (b, _) = f.executed().await;
    let r = f.app.budget_report(&f.admin.token, b).await;
    let t = &r.totals;
    // Lines → categories → totals.
    for field in [
        "planned_cents",
        "committed_cents",
        "actual_cents",
        "remaining_cents",
    ] {
        let lines_sum = sum(&r.lines, field);
        assert_eq!(sum(&r.categories, field), lines_sum, "{field}");
        assert_eq!(
            t.income.get(field) + t.expense.get(field),
            lines_sum,
            "{field}"
        );
        // Expense → actions + unallocated, and → axes + unallocated.
        let unallocated = r.unallocated.get(field);
        assert_eq!(
            sum(&r.actions, field) + unallocated,
            t.expense.get(field),
            "{field}"
        );
        assert_eq!(
            sum(&r.axes, field) + unallocated,
            t.expense.get(field),
            "{field}"
        );
    }
}

#[tokio::test]
async fn a_line_shared_among_actions_gives_the_cent_left_to_the_largest_remainder() {
    let f = fixture().await;
    let (b, _) = f.executed().await;
    let r = f.app.budget_report(&f.admin.token, b).await;
    // 100.01 € shared 33.33 % / 33.33 % / 33.34 %: 33.33 + 33.33 + 33.35 (the cent left
    // goes to the largest remainder).
    let planned: HashMap<&str, i64> = r
        .actions
        .iter()
        .map(|a| (a.code.as_str(), a.amounts.planned_cents))
        .collect();
    assert_eq!(
        planned["E1.1.1.1"] + planned["E1.1.1.2"] + planned["E1.2.1.1"],
        10_001
    );
    assert_eq!(planned["E1.2.1.1"], 3_335);
    let axes: Vec<(&str, i64)> = r
        .axes
        .iter()
        .map(|a| (a.code.as_str(), a.amounts.planned_cents))
        .collect();
    assert_eq!(axes, [("E1", 10_001), ("E2", 200_000)]);
    assert_eq!(r.unallocated.planned_cents, 50_000);
}

#[tokio::test]
async fn the_report_as_csv_has_the_figures_of_the_json() {
    let f = fixture().await;
    let (b, _) = f.executed().await;
    let r = f.app.budget_report(&f.admin.token, b).await;
    let csv = f.app.budget_report_csv(&f.admin.token, b).await;
    let rows: Vec<&str> = csv.trim_start_matches('\u{feff}').lines().collect();
    assert_eq!(rows.len(), 1 + 4);
    for (row, line) in rows[1..].iter().zip(&r.lines) {
        let cells: Vec<&str> = row.split(',').collect();
        assert_eq!(cells[0], line.code);
        assert_eq!(cells[4], line.amounts.planned_cents.to_string());
        assert_eq!(cells[6], line.amounts.actual_cents.to_string());
        assert_eq!(cells[7], line.amounts.remaining_cents.to_string());
    }
}

#[tokio::test]
async fn the_demo_budget_2025_is_approved_and_consistent_with_the_register() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let mut conn = app.db().await;
    let seeded = agrupa::seed::demo::seed(&mut conn).await.unwrap();
    assert_eq!(seeded.budgets, 1);
    let again = agrupa::seed::demo::seed(&mut conn).await.unwrap();
    assert!(again.is_empty());
    let t = &admin.token;
    let list = app.list_budgets(t, "fiscal_year=2025").await;
    let budget = &list[0];
    assert_eq!(budget.status, "approved");
    let r = app.budget_report(t, budget.id).await;
    // Fee income equals the fees of the active members' categories.
    let members = app.list_members(t, "status=active&limit=100").await;
    let cats = app.member_categories(t).await;
    let fee: HashMap<Uuid, i64> = cats.iter().map(|c| (c.id, c.annual_fee_cents)).collect();
    let expected: i64 = members
        .items
        .iter()
        .map(|m| fee[&m.category_id.unwrap()])
        .sum();
    let fees: i64 = r
        .categories
        .iter()
        .filter(|c| c.code == "membership_fees")
        .map(|c| c.amounts.planned_cents)
        .sum();
    assert_eq!(fees, expected);
    assert!(r.totals.expense.actual_cents > 0);
    assert!(r.axes.len() >= 5, "{:?}", r.axes);
}
