//! Budgets: frozen approved versions, lines tied to plan actions by shares, execution by
//! entries that are never edited, reports that reconcile, revisions, If-Match, visibility.

use std::collections::HashMap;

use serde_json::{Value, json};
use uuid::Uuid;

use crate::support::{
    TestApp, TestUser, assert_problem,
    budgets::{BudgetLine, Entry, ReportRow, budget_path, entries_path, line_path, lines_path},
    plans::{Level, NodeIds, plan_doc},
    spawn_app, strs,
};

struct Fixture {
    app: TestApp,
    admin: TestUser,
    /// Budget categories by code.
    cats: HashMap<String, Uuid>,
    /// Plan node ids by code.
    nodes: NodeIds,
    plan: Uuid,
}

async fn fixture() -> Fixture {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let (plan, nodes) = app.new_approved_plan(&admin, &plan_doc("")).await;
    let cats = app.budget_categories(&admin.token).await;
    Fixture {
        app,
        admin,
        cats,
        nodes,
        plan,
    }
}

impl Fixture {
    async fn budget(&self, year: i32) -> Uuid {
        let body = json!({"fiscal_year": year, "title": format!("Presupuesto {year}"), "plan_id": self.plan});
        self.app.create_budget(&self.admin.token, &body).await.id
    }

    async fn line(&self, budget: Uuid, body: Value) -> BudgetLine {
        self.app.add_line(&self.admin.token, budget, &body).await
    }

    fn expense(&self, code: &str, planned: i64, actions: Value) -> Value {
        json!({"code": code, "kind": "expense", "category_id": self.cats["activities_events"],
            "description": format!("Gasto {code}"), "planned_cents": planned, "actions": actions})
    }

    fn income(&self, code: &str, planned: i64) -> Value {
        json!({"code": code, "kind": "income", "category_id": self.cats["public_subsidies"],
            "description": format!("Ingreso {code}"), "planned_cents": planned,
            "source_text": "Ministerio de Industria y Turismo"})
    }

    async fn approve(&self, budget: Uuid) -> reqwest::Response {
        self.app
            .try_approve_budget(
                &self.admin.token,
                budget,
                &json!({"reference": "Acta de la Asamblea General"}),
            )
            .await
    }

    async fn entry(&self, line: Uuid, body: Value) -> reqwest::Response {
        self.app.try_add_entry(&self.admin.token, line, &body).await
    }

    /// An approved budget for `year`: one income line, and expense lines G-1 (three
    /// actions, 100.01 €), G-2 (one action of the other axis) and G-3 (no action).
    async fn approved(&self, year: i32) -> (Uuid, HashMap<String, Uuid>) {
        let b = self.budget(year).await;
        let n = &self.nodes;
        let mut lines = HashMap::new();
        for body in [
            self.income("I-1", 500_000),
            self.expense(
                "G-1",
                10_001,
                json!([{"action_id": n["E1.1.1.1"], "share_bp": 3333},
                    {"action_id": n["E1.1.1.2"], "share_bp": 3333},
                    {"action_id": n["E1.2.1.1"], "share_bp": 3334}]),
            ),
            self.expense(
                "G-2",
                200_000,
                json!([{"action_id": n["E2.1.1.1"], "share_bp": 10000}]),
            ),
            self.expense("G-3", 50_000, json!([])),
        ] {
            let line = self.line(b, body).await;
            lines.insert(line.code, line.id);
        }
        assert_eq!(self.approve(b).await.status(), 200);
        (b, lines)
    }

    /// [`Fixture::approved`] for 2025 with entries: G-1 33.37 € spent and 100.01 €
    /// committed, G-2 1,500 € and G-3 600 € spent, I-1 2,500 € received.
    async fn executed(&self) -> (Uuid, HashMap<String, Uuid>) {
        let (b, lines) = self.approved(2025).await;
        for (line, kind, amount) in [
            ("G-1", "actual", 3_337),
            ("G-1", "commitment", 10_001),
            ("G-2", "actual", 150_000),
            ("G-3", "actual", 60_000),
            ("I-1", "actual", 250_000),
        ] {
            let res = self
                .entry(
                    lines[line],
                    json!({"entry_date": "2025-04-01", "kind": kind, "amount_cents": amount,
                        "description": "Factura de prueba", "document_ref": "F-1", "counterparty": "Proveedor ñ"}),
                )
                .await;
            assert_eq!(res.status(), 201);
        }
        (b, lines)
    }
}

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

/// An approved 2025 budget with an entry of 400 € on G-2: (fixture, G-2, the entry).
async fn entry_to_correct() -> (Fixture, Uuid, Uuid) {
    let f = fixture().await;
    let (_, lines) = f.approved(2025).await;
    let line = lines["G-2"];
    let first = f
        .app
        .add_entry(
            &f.admin.token,
            line,
            &json!({"entry_date": "2025-03-01", "kind": "actual", "amount_cents": 40_000,
            "description": "Factura duplicada"}),
        )
        .await;
    (f, line, first.id)
}

#[tokio::test]
async fn a_correction_is_a_reversal_of_the_same_kind_and_the_opposite_amount() {
    let (f, line, id) = entry_to_correct().await;
    // A reversal takes the opposite amount and the same kind.
    let res = f
        .entry(line, json!({"entry_date": "2025-03-02", "amount_cents": 40_000, "description": "Anulación", "reverses_id": id}))
        .await;
    assert_problem(res, 422, "validation_failed").await;
    let res = f
        .entry(
            line,
            json!({"entry_date": "2025-03-02", "description": "Anulación", "reverses_id": id}),
        )
        .await;
    assert_eq!(res.status(), 201);
    let reversal: Entry = res.json().await.unwrap();
    assert_eq!(
        (reversal.amount_cents, reversal.kind.as_str()),
        (-40_000, "actual")
    );
    let res = f
        .entry(
            line,
            json!({"entry_date": "2025-03-03", "description": "Otra vez", "reverses_id": id}),
        )
        .await;
    assert_problem(res, 409, "already_reversed").await;
    let res = f
        .entry(line, json!({"entry_date": "2025-03-03", "description": "Otra vez", "reverses_id": reversal.id}))
        .await;
    assert_problem(res, 409, "not_reversible").await;
    let l = f.app.get_line(&f.admin.token, line).await;
    assert_eq!(l.actual_cents, 0);
    let list = f.app.line_entries(&f.admin.token, line).await;
    assert_eq!(list.len(), 2, "both stay");
}

#[tokio::test]
async fn entries_are_never_edited_or_deleted_even_in_sql() {
    let (f, line, id) = entry_to_correct().await;
    // No route edits or deletes an entry, and the database refuses it too.
    let res = f
        .app
        .send_as("DELETE", &f.admin.token, &entries_path(line), None, None)
        .await;
    assert_eq!(res.status(), 405);
    let err = f
        .app
        .sql_result(&format!(
            "UPDATE budget_entries SET amount_cents = 1 WHERE id = '{id}'"
        ))
        .await
        .unwrap_err();
    assert!(err.contains("never changed"), "{err}");
}

#[tokio::test]
async fn entries_outside_the_year_of_zero_or_on_drafts_are_refused() {
    let (f, line, _) = entry_to_correct().await;
    let res = f.entry(line, json!({"entry_date": "2026-01-01", "kind": "actual", "amount_cents": 1, "description": "x"})).await;
    assert_problem(res, 422, "validation_failed").await;
    let res = f.entry(line, json!({"entry_date": "2025-01-01", "kind": "actual", "amount_cents": 0, "description": "x"})).await;
    assert_problem(res, 422, "validation_failed").await;
    let draft = f.budget(2026).await;
    let draft_line = f.line(draft, f.income("I-9", 1)).await;
    let res = f
        .entry(draft_line.id, json!({"entry_date": "2026-01-01", "kind": "actual", "amount_cents": 1, "description": "x"}))
        .await;
    assert_problem(res, 409, "budget_not_approved").await;
}

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

/// The fixture and a draft 2025 budget.
async fn draft_budget() -> (Fixture, Uuid) {
    let f = fixture().await;
    let b = f.budget(2025).await;
    (f, b)
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
    let ok = post_line(
        &f,
        b,
        f.expense(
            "G-1",
            100,
            json!([{"action_id": n["E1.1.1.1"], "share_bp": 6000},
            {"action_id": n["E1.1.1.2"], "share_bp": 4000}]),
        ),
    )
    .await;
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
    let n = &f.nodes;
    let ok = post_line(
        &f,
        b,
        f.expense(
            "G-1",
            100,
            json!([{"action_id": n["E1.1.1.1"], "share_bp": 6000},
            {"action_id": n["E1.1.1.2"], "share_bp": 4000}]),
        ),
    )
    .await;
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

/// An approved 2025 budget and a draft for 2026: (fixture, approved, its lines, draft).
async fn approved_and_draft() -> (Fixture, Uuid, HashMap<String, Uuid>, Uuid) {
    let f = fixture().await;
    let (b, lines) = f.approved(2025).await;
    let draft = f.budget(2026).await;
    (f, b, lines, draft)
}

#[tokio::test]
async fn members_read_the_approved_budget_but_not_drafts_or_entries() {
    let (f, b, lines, draft) = approved_and_draft().await;
    let member = f.app.user(&f.admin, "member").await;
    let m = &member.token;
    assert_eq!(f.app.try_budget_report(m, b).await.status(), 200);
    assert_eq!(f.app.try_get_budget(m, draft).await.status(), 404);
    assert_eq!(f.app.try_line_entries(m, lines["G-1"]).await.status(), 404);
    assert_eq!(f.app.list_budgets(m, "").await.len(), 1);
}

#[tokio::test]
async fn partners_read_only_the_budget_lines_they_fund() {
    let (f, b, lines, _) = approved_and_draft().await;
    let partner = f.app.user(&f.admin, "partner").await;
    let p = &partner.token;
    assert_eq!(f.app.try_get_budget(p, b).await.status(), 200);
    assert_eq!(f.app.try_budget_report(p, b).await.status(), 403);
    assert_eq!(f.app.budget_lines(p, b).await.len(), 0);
    assert_eq!(f.app.try_get_line(p, lines["G-1"]).await.status(), 404);
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
