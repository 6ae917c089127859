//! Budgets: frozen approved versions, lines tied to plan actions by shares, execution by
//! entries that are never edited, reports that reconcile, revisions, If-Match, visibility.

use std::collections::HashMap;

use serde_json::{Value, json};

use crate::helpers::{TestApp, TestUser, assert_problem, plan_doc, spawn_app, strs};

async fn json_of(res: reqwest::Response) -> Value {
    res.json().await.unwrap()
}

/// Categories by code.
async fn categories(app: &TestApp, token: &str) -> HashMap<String, String> {
    let page = json_of(
        app.get_as(token, "/api/v1/budget-categories?limit=100")
            .await,
    )
    .await;
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["code"].as_str().unwrap().to_owned(),
                c["id"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

struct Fixture {
    app: TestApp,
    admin: TestUser,
    cats: HashMap<String, String>,
    /// Plan node ids by code.
    nodes: HashMap<String, String>,
    plan: String,
}

async fn fixture() -> Fixture {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let plan = app.import_plan(&admin.token, &plan_doc("")).await;
    let plan = plan["id"].as_str().unwrap().to_owned();
    app.approve_plan(&admin, &plan).await;
    let nodes = app.plan_ids(&admin.token, &plan).await;
    let cats = categories(&app, &admin.token).await;
    Fixture {
        app,
        admin,
        cats,
        nodes,
        plan,
    }
}

impl Fixture {
    async fn budget(&self, year: i32) -> String {
        let res = self
            .app
            .post_json(
                &self.admin.token,
                "/api/v1/budgets",
                &json!({"fiscal_year": year, "title": format!("Presupuesto {year}"), "plan_id": self.plan}),
            )
            .await;
        assert_eq!(res.status(), 201);
        json_of(res).await["id"].as_str().unwrap().to_owned()
    }

    async fn line(&self, budget: &str, body: Value) -> Value {
        let res = self
            .app
            .send_as(
                "POST",
                &self.admin.token,
                &format!("/api/v1/budgets/{budget}/lines"),
                Some("*"),
                Some(&body),
            )
            .await;
        let status = res.status();
        let body = json_of(res).await;
        assert_eq!(status, 201, "{body}");
        body
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

    async fn approve(&self, budget: &str) -> reqwest::Response {
        self.app
            .send_as(
                "POST",
                &self.admin.token,
                &format!("/api/v1/budgets/{budget}/approval"),
                Some("*"),
                Some(&json!({"reference": "Acta de la Asamblea General"})),
            )
            .await
    }

    async fn entry(&self, line: &str, body: Value) -> reqwest::Response {
        self.app
            .post_json(
                &self.admin.token,
                &format!("/api/v1/budget-lines/{line}/entries"),
                &body,
            )
            .await
    }

    async fn report(&self, budget: &str) -> Value {
        let res = self
            .app
            .get_as(
                &self.admin.token,
                &format!("/api/v1/budgets/{budget}/report"),
            )
            .await;
        assert_eq!(res.status(), 200);
        json_of(res).await
    }

    /// An approved budget for `year`: one income line, and expense lines G-1 (three
    /// actions, 100.01 €), G-2 (one action of the other axis) and G-3 (no action).
    async fn approved(&self, year: i32) -> (String, HashMap<String, String>) {
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
            let line = self.line(&b, body).await;
            lines.insert(
                line["code"].as_str().unwrap().to_owned(),
                line["id"].as_str().unwrap().to_owned(),
            );
        }
        assert_eq!(self.approve(&b).await.status(), 200);
        (b, lines)
    }
}

fn sum(rows: &Value, field: &str) -> i64 {
    rows.as_array()
        .unwrap()
        .iter()
        .map(|r| r[field].as_i64().unwrap())
        .sum()
}

#[tokio::test]
async fn the_report_reconciles_to_the_cent_and_rolls_up_by_axis() {
    let f = fixture().await;
    let (b, lines) = f.approved(2025).await;
    for (line, kind, amount) in [
        ("G-1", "actual", 3_337),
        ("G-1", "commitment", 10_001),
        ("G-2", "actual", 150_000),
        ("G-3", "actual", 60_000),
        ("I-1", "actual", 250_000),
    ] {
        let res = f
            .entry(
                &lines[line],
                json!({"entry_date": "2025-04-01", "kind": kind, "amount_cents": amount,
                    "description": "Factura de prueba", "document_ref": "F-1", "counterparty": "Proveedor ñ"}),
            )
            .await;
        assert_eq!(res.status(), 201);
    }
    let r = f.report(&b).await;
    let t = &r["totals"];
    assert_eq!(t["income"]["planned_cents"], 500_000);
    assert_eq!(t["expense"]["planned_cents"], 260_001);
    assert_eq!(t["expense"]["actual_cents"], 213_337);
    assert_eq!(t["planned_balance_cents"], 500_000 - 260_001);
    assert_eq!(t["actual_balance_cents"], 250_000 - 213_337);
    // G-3 spent more than planned.
    let g3 = r["lines"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["code"] == "G-3")
        .unwrap();
    assert_eq!(g3["remaining_cents"], -10_000);
    assert_eq!(g3["execution_pct"], 120.0);
    // Lines → categories → totals.
    for field in [
        "planned_cents",
        "committed_cents",
        "actual_cents",
        "remaining_cents",
    ] {
        let lines_sum = sum(&r["lines"], field);
        assert_eq!(sum(&r["categories"], field), lines_sum, "{field}");
        assert_eq!(
            t["income"][field].as_i64().unwrap() + t["expense"][field].as_i64().unwrap(),
            lines_sum,
            "{field}"
        );
        // Expense → actions + unallocated, and → axes + unallocated.
        let unallocated = r["unallocated"][field].as_i64().unwrap();
        assert_eq!(
            sum(&r["actions"], field) + unallocated,
            t["expense"][field].as_i64().unwrap(),
            "{field}"
        );
        assert_eq!(
            sum(&r["axes"], field) + unallocated,
            t["expense"][field].as_i64().unwrap(),
            "{field}"
        );
    }
    // 100.01 € shared 33.33 % / 33.33 % / 33.34 %: 33.33 + 33.33 + 33.35 (the cent left
    // goes to the largest remainder).
    let planned: HashMap<String, i64> = r["actions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            (
                a["code"].as_str().unwrap().to_owned(),
                a["planned_cents"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        planned["E1.1.1.1"] + planned["E1.1.1.2"] + planned["E1.2.1.1"],
        10_001
    );
    assert_eq!(planned["E1.2.1.1"], 3_335);
    let axes: Vec<(&str, i64)> = r["axes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            (
                a["code"].as_str().unwrap(),
                a["planned_cents"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(axes, [("E1", 10_001), ("E2", 200_000)]);
    assert_eq!(r["unallocated"]["planned_cents"], 50_000);

    // The CSV has the same figures as the JSON.
    let csv = f
        .app
        .get_csv(&f.admin.token, &format!("/api/v1/budgets/{b}/report"))
        .await;
    let rows: Vec<&str> = csv.trim_start_matches('\u{feff}').lines().collect();
    assert_eq!(rows.len(), 1 + 4);
    for (row, line) in rows[1..].iter().zip(r["lines"].as_array().unwrap()) {
        let cells: Vec<&str> = row.split(',').collect();
        assert_eq!(cells[0], line["code"].as_str().unwrap());
        assert_eq!(cells[4], line["planned_cents"].to_string());
        assert_eq!(cells[6], line["actual_cents"].to_string());
        assert_eq!(cells[7], line["remaining_cents"].to_string());
    }
}

#[tokio::test]
async fn entries_are_never_edited_a_correction_is_a_reversal() {
    let f = fixture().await;
    let (b, lines) = f.approved(2025).await;
    let line = &lines["G-2"];
    let first = json_of(
        f.entry(
            line,
            json!({"entry_date": "2025-03-01", "kind": "actual", "amount_cents": 40_000,
            "description": "Factura duplicada"}),
        )
        .await,
    )
    .await;
    let id = first["id"].as_str().unwrap();
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
    let reversal = json_of(res).await;
    assert_eq!(
        (reversal["amount_cents"].as_i64(), reversal["kind"].as_str()),
        (Some(-40_000), Some("actual"))
    );
    let res = f
        .entry(
            line,
            json!({"entry_date": "2025-03-03", "description": "Otra vez", "reverses_id": id}),
        )
        .await;
    assert_problem(res, 409, "already_reversed").await;
    let res = f
        .entry(line, json!({"entry_date": "2025-03-03", "description": "Otra vez", "reverses_id": reversal["id"]}))
        .await;
    assert_problem(res, 409, "not_reversible").await;
    let l = json_of(
        f.app
            .get_as(&f.admin.token, &format!("/api/v1/budget-lines/{line}"))
            .await,
    )
    .await;
    assert_eq!(l["actual_cents"], 0);
    let list = json_of(
        f.app
            .get_as(
                &f.admin.token,
                &format!("/api/v1/budget-lines/{line}/entries"),
            )
            .await,
    )
    .await;
    assert_eq!(list["items"].as_array().unwrap().len(), 2, "both stay");
    // No route edits or deletes an entry, and the database refuses it too.
    let res = f
        .app
        .send_as(
            "DELETE",
            &f.admin.token,
            &format!("/api/v1/budget-lines/{line}/entries"),
            None,
            None,
        )
        .await;
    assert_eq!(res.status(), 405);
    use diesel_async::{AsyncConnection, RunQueryDsl};
    let mut conn = diesel_async::AsyncPgConnection::establish(&f.app.db_url)
        .await
        .unwrap();
    let err = diesel::sql_query(format!(
        "UPDATE budget_entries SET amount_cents = 1 WHERE id = '{id}'"
    ))
    .execute(&mut conn)
    .await
    .unwrap_err();
    assert!(err.to_string().contains("never changed"), "{err}");
    // Dates outside the fiscal year, zero amounts, and lines of drafts are refused.
    let res = f.entry(line, json!({"entry_date": "2026-01-01", "kind": "actual", "amount_cents": 1, "description": "x"})).await;
    assert_problem(res, 422, "validation_failed").await;
    let res = f.entry(line, json!({"entry_date": "2025-01-01", "kind": "actual", "amount_cents": 0, "description": "x"})).await;
    assert_problem(res, 422, "validation_failed").await;
    let draft = f.budget(2026).await;
    let draft_line = f.line(&draft, f.income("I-9", 1)).await;
    let res = f
        .entry(draft_line["id"].as_str().unwrap(), json!({"entry_date": "2026-01-01", "kind": "actual", "amount_cents": 1, "description": "x"}))
        .await;
    assert_problem(res, 409, "budget_not_approved").await;
    let _ = b;
}

#[tokio::test]
async fn an_approved_budget_is_frozen() {
    let f = fixture().await;
    let (b, lines) = f.approved(2025).await;
    let t = &f.admin.token;
    for (method, path, body) in [
        (
            "PATCH",
            format!("/api/v1/budgets/{b}"),
            Some(json!({"title": "Otro"})),
        ),
        ("DELETE", format!("/api/v1/budgets/{b}"), None),
        (
            "POST",
            format!("/api/v1/budgets/{b}/lines"),
            Some(f.income("I-2", 1)),
        ),
        (
            "PATCH",
            format!("/api/v1/budget-lines/{}", lines["G-1"]),
            Some(json!({"planned_cents": 1})),
        ),
        (
            "DELETE",
            format!("/api/v1/budget-lines/{}", lines["G-1"]),
            None,
        ),
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
    use diesel_async::{AsyncConnection, RunQueryDsl};
    let mut conn = diesel_async::AsyncPgConnection::establish(&f.app.db_url)
        .await
        .unwrap();
    let err = diesel::sql_query(format!(
        "UPDATE budget_lines SET planned_cents = 1 WHERE id = '{}'",
        lines["G-1"]
    ))
    .execute(&mut conn)
    .await
    .unwrap_err();
    assert!(err.to_string().contains("frozen"), "{err}");
    // A second, unrelated budget for the same year cannot be approved.
    let other = f.budget(2025).await;
    f.line(&other, f.income("I-1", 1)).await;
    assert_problem(f.approve(&other).await, 409, "approved_budget_exists").await;
}

#[tokio::test]
async fn shares_add_up_to_100_percent_of_actions_of_the_plan() {
    let f = fixture().await;
    let b = f.budget(2025).await;
    let n = &f.nodes;
    let post = |body: Value| {
        let app = &f.app;
        let t = f.admin.token.clone();
        let path = format!("/api/v1/budgets/{b}/lines");
        async move { app.send_as("POST", &t, &path, Some("*"), Some(&body)).await }
    };
    let res = post(f.expense(
        "G-1",
        100,
        json!([{"action_id": n["E1.1.1.1"], "share_bp": 6000},
        {"action_id": n["E1.1.1.2"], "share_bp": 3000}]),
    ))
    .await;
    let body = assert_problem(res, 422, "validation_failed").await;
    assert_eq!(body["errors"][0]["field"], "actions");
    // Not an action (an axis), or an action of another plan.
    let other = f.app.import_plan(&f.admin.token, &plan_doc("X")).await;
    let other_ids = f
        .app
        .plan_ids(&f.admin.token, other["id"].as_str().unwrap())
        .await;
    let res = post(f.expense(
        "G-1",
        100,
        json!([{"action_id": n["E1"], "share_bp": 5000},
        {"action_id": other_ids["XE1.1.1.1"], "share_bp": 5000}]),
    ))
    .await;
    let body = assert_problem(res, 422, "validation_failed").await;
    let fields: Vec<&str> = strs(&body["errors"], "field");
    assert_eq!(fields, ["actions[0].action_id", "actions[1].action_id"]);
    // Income lines serve no action; categories keep to their kind; amounts are ≥ 0.
    let mut income = f.income("I-1", 100);
    income["actions"] = json!([{"action_id": n["E1.1.1.1"], "share_bp": 10000}]);
    assert_problem(post(income).await, 422, "validation_failed").await;
    let mut wrong = f.income("I-1", 100);
    wrong["category_id"] = json!(f.cats["staff"]);
    assert_problem(post(wrong).await, 422, "validation_failed").await;
    assert_problem(post(f.income("I-1", -1)).await, 422, "validation_failed").await;
    assert_problem(
        post(f.income("I-1", 1_000_000_000_000_001)).await,
        422,
        "validation_failed",
    )
    .await;
    let ok = post(f.expense(
        "G-1",
        100,
        json!([{"action_id": n["E1.1.1.1"], "share_bp": 6000},
        {"action_id": n["E1.1.1.2"], "share_bp": 4000}]),
    ))
    .await;
    assert_eq!(ok.status(), 201);
    let res = post(f.income("G-1", 5)).await;
    assert_problem(res, 409, "code_taken").await;
}

#[tokio::test]
async fn changes_need_if_match_and_never_lose_an_update() {
    let f = fixture().await;
    let b = f.budget(2025).await;
    let t = &f.admin.token;
    let res = f
        .app
        .send_as(
            "POST",
            t,
            &format!("/api/v1/budgets/{b}/lines"),
            None,
            Some(&f.income("I-1", 1)),
        )
        .await;
    assert_problem(res, 428, "precondition_required").await;
    let line = f.line(&b, f.income("I-1", 100)).await;
    let path = format!("/api/v1/budget-lines/{}", line["id"].as_str().unwrap());
    let res = f
        .app
        .send_as("PATCH", t, &path, None, Some(&json!({"planned_cents": 5})))
        .await;
    assert_problem(res, 428, "precondition_required").await;
    let tag = f.app.get_as(t, &path).await.headers()["etag"]
        .to_str()
        .unwrap()
        .to_owned();
    let (one, two) = (json!({"planned_cents": 200}), json!({"planned_cents": 300}));
    let (a, c) = tokio::join!(
        f.app.send_as("PATCH", t, &path, Some(&tag), Some(&one)),
        f.app.send_as("PATCH", t, &path, Some(&tag), Some(&two))
    );
    let mut statuses = [a.status().as_u16(), c.status().as_u16()];
    statuses.sort_unstable();
    assert_eq!(statuses, [200, 412]);
    let res = f
        .app
        .send_as(
            "PATCH",
            t,
            &format!("/api/v1/budgets/{b}"),
            Some("\"1\""),
            Some(&json!({"title": "x"})),
        )
        .await;
    assert_problem(res, 412, "precondition_failed").await;
}

#[tokio::test]
async fn a_revision_supersedes_the_budget_and_execution_follows_its_lines() {
    let f = fixture().await;
    let (b, lines) = f.approved(2025).await;
    let t = &f.admin.token;
    let res = f.entry(&lines["G-2"], json!({"entry_date": "2025-02-01", "kind": "actual", "amount_cents": 70_000, "description": "Factura"})).await;
    assert_eq!(res.status(), 201);
    let rev = json_of(
        f.app
            .post_json(t, &format!("/api/v1/budgets/{b}/revisions"), &json!({}))
            .await,
    )
    .await;
    let rev_id = rev["id"].as_str().unwrap();
    assert_eq!(rev["version_number"], 2);
    let res = f
        .app
        .post_json(t, &format!("/api/v1/budgets/{b}/revisions"), &json!({}))
        .await;
    assert_problem(res, 409, "revision_exists").await;
    let rev_lines = json_of(
        f.app
            .get_as(t, &format!("/api/v1/budgets/{rev_id}/lines"))
            .await,
    )
    .await;
    let by_code: HashMap<String, Value> = rev_lines["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| (l["code"].as_str().unwrap().to_owned(), l.clone()))
        .collect();
    // Execution follows the line across versions.
    assert_eq!(by_code["G-2"]["actual_cents"], 70_000);
    let g2 = by_code["G-2"]["id"].as_str().unwrap();
    let res = f
        .app
        .send_as(
            "PATCH",
            t,
            &format!("/api/v1/budget-lines/{g2}"),
            Some("*"),
            Some(&json!({"planned_cents": 250_000})),
        )
        .await;
    assert_eq!(res.status(), 200);
    let r = f.report(rev_id).await;
    let g2r = r["lines"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["code"] == "G-2")
        .unwrap();
    assert_eq!(
        (
            g2r["approved_planned_cents"].as_i64(),
            g2r["variance_cents"].as_i64()
        ),
        (Some(200_000), Some(50_000))
    );
    // A line with entries cannot leave the budget; one without can.
    let res = f
        .app
        .send_as(
            "DELETE",
            t,
            &format!("/api/v1/budget-lines/{g2}"),
            Some("*"),
            None,
        )
        .await;
    assert_eq!(res.status(), 204);
    assert_problem(f.approve(rev_id).await, 409, "executed_line_removed").await;
    let back = f.line(rev_id, f.expense("G-9", 1, json!([]))).await;
    let _ = back;
    let g3 = by_code["G-3"]["id"].as_str().unwrap();
    let diff = json_of(
        f.app
            .get_as(t, &format!("/api/v1/budgets/{rev_id}/diff?against={b}"))
            .await,
    )
    .await;
    assert_eq!(diff["added"][0]["code"], "G-9");
    assert_eq!(diff["removed"][0]["code"], "G-2");
    assert_eq!(diff["planned_expense_delta_cents"], 1 - 200_000);
    let res = f
        .app
        .send_as(
            "DELETE",
            t,
            &format!("/api/v1/budget-lines/{g3}"),
            Some("*"),
            None,
        )
        .await;
    assert_eq!(res.status(), 204);
    // Put G-2 back by making a new revision instead: here, delete the draft and start again.
    let res = f
        .app
        .send_as(
            "DELETE",
            t,
            &format!("/api/v1/budgets/{rev_id}"),
            Some("*"),
            None,
        )
        .await;
    assert_eq!(res.status(), 204);
    let rev = json_of(
        f.app
            .post_json(t, &format!("/api/v1/budgets/{b}/revisions"), &json!({}))
            .await,
    )
    .await;
    let rev_id = rev["id"].as_str().unwrap();
    let rev_lines = json_of(
        f.app
            .get_as(t, &format!("/api/v1/budgets/{rev_id}/lines"))
            .await,
    )
    .await;
    let g3 = rev_lines["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["code"] == "G-3")
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let res = f
        .app
        .send_as(
            "DELETE",
            t,
            &format!("/api/v1/budget-lines/{g3}"),
            Some("*"),
            None,
        )
        .await;
    assert_eq!(res.status(), 204);
    assert_eq!(f.approve(rev_id).await.status(), 200);
    let old = json_of(f.app.get_as(t, &format!("/api/v1/budgets/{b}")).await).await;
    assert_eq!(old["status"], "superseded");
    // New entries go to the approved version's lines; the old version takes none.
    let res = f.entry(&lines["G-2"], json!({"entry_date": "2025-03-01", "kind": "actual", "amount_cents": 1, "description": "x"})).await;
    assert_problem(res, 409, "budget_not_approved").await;
    let new_g2 = rev_lines["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["code"] == "G-2")
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let res = f.entry(&new_g2, json!({"entry_date": "2025-03-01", "kind": "actual", "amount_cents": 5_000, "description": "Factura"})).await;
    assert_eq!(res.status(), 201);
    let r = f.report(rev_id).await;
    let g2r = r["lines"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["code"] == "G-2")
        .unwrap();
    assert_eq!(g2r["actual_cents"], 75_000);
}

#[tokio::test]
async fn members_read_the_approved_budget_partners_only_what_they_fund() {
    let f = fixture().await;
    let (b, lines) = f.approved(2025).await;
    let draft = f.budget(2026).await;
    let member = f.app.user(&f.admin, "member").await;
    let partner = f.app.user(&f.admin, "partner").await;
    let m = &member.token;
    assert_eq!(
        f.app
            .get_as(m, &format!("/api/v1/budgets/{b}/report"))
            .await
            .status(),
        200
    );
    assert_eq!(
        f.app
            .get_as(m, &format!("/api/v1/budgets/{draft}"))
            .await
            .status(),
        404
    );
    assert_eq!(
        f.app
            .get_as(m, &format!("/api/v1/budget-lines/{}/entries", lines["G-1"]))
            .await
            .status(),
        404
    );
    let list = json_of(f.app.get_as(m, "/api/v1/budgets").await).await;
    assert_eq!(list["items"].as_array().unwrap().len(), 1);
    let p = &partner.token;
    assert_eq!(
        f.app
            .get_as(p, &format!("/api/v1/budgets/{b}"))
            .await
            .status(),
        200
    );
    assert_eq!(
        f.app
            .get_as(p, &format!("/api/v1/budgets/{b}/report"))
            .await
            .status(),
        403
    );
    let l = json_of(f.app.get_as(p, &format!("/api/v1/budgets/{b}/lines")).await).await;
    assert_eq!(l["items"].as_array().unwrap().len(), 0);
    assert_eq!(
        f.app
            .get_as(p, &format!("/api/v1/budget-lines/{}", lines["G-1"]))
            .await
            .status(),
        404
    );
}

#[tokio::test]
async fn the_demo_budget_2025_is_approved_and_consistent_with_the_register() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    use diesel_async::AsyncConnection;
    let mut conn = diesel_async::AsyncPgConnection::establish(&app.db_url)
        .await
        .unwrap();
    let seeded = agrupa::seed::demo::seed(&mut conn).await.unwrap();
    assert_eq!(seeded.budgets, 1);
    let again = agrupa::seed::demo::seed(&mut conn).await.unwrap();
    assert!(again.is_empty());
    let list = json_of(
        app.get_as(&admin.token, "/api/v1/budgets?fiscal_year=2025")
            .await,
    )
    .await;
    let budget = &list["items"][0];
    assert_eq!(budget["status"], "approved");
    let r = json_of(
        app.get_as(
            &admin.token,
            &format!("/api/v1/budgets/{}/report", budget["id"].as_str().unwrap()),
        )
        .await,
    )
    .await;
    // Fee income equals the fees of the active members' categories.
    let members = json_of(
        app.get_as(&admin.token, "/api/v1/members?status=active&limit=100")
            .await,
    )
    .await;
    let cats = json_of(
        app.get_as(&admin.token, "/api/v1/member-categories?limit=100")
            .await,
    )
    .await;
    let fee: HashMap<&str, i64> = cats["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["id"].as_str().unwrap(),
                c["annual_fee_cents"].as_i64().unwrap(),
            )
        })
        .collect();
    let expected: i64 = members["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| fee[m["category_id"].as_str().unwrap()])
        .sum();
    let fees: i64 = r["categories"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["code"] == "membership_fees")
        .map(|c| c["planned_cents"].as_i64().unwrap())
        .sum();
    assert_eq!(fees, expected);
    assert!(r["totals"]["expense"]["actual_cents"].as_i64().unwrap() > 0);
    assert!(r["axes"].as_array().unwrap().len() >= 5, "{}", r["axes"]);
}

#[tokio::test]
async fn a_plan_action_that_budget_lines_use_is_not_deleted() {
    let f = fixture().await;
    let t = &f.admin.token;
    let draft = f.app.import_plan(t, &plan_doc("")).await;
    let draft_id = draft["id"].as_str().unwrap();
    let ids = f.app.plan_ids(t, draft_id).await;
    let res = f
        .app
        .post_json(
            t,
            "/api/v1/budgets",
            &json!({"fiscal_year": 2027, "title": "Borrador", "plan_id": draft_id}),
        )
        .await;
    let b = json_of(res).await["id"].as_str().unwrap().to_owned();
    f.line(
        &b,
        f.expense(
            "G-1",
            100,
            json!([{"action_id": ids["E1.2.1.1"], "share_bp": 10000}]),
        ),
    )
    .await;
    let res = f
        .app
        .send_as(
            "DELETE",
            t,
            &format!("/api/v1/actions/{}", ids["E1.2.1.1"]),
            Some("*"),
            None,
        )
        .await;
    assert_problem(res, 409, "node_in_use").await;
}

#[tokio::test]
async fn a_budget_executes_an_approved_plan_and_keeps_it_while_lines_use_it() {
    let f = fixture().await;
    let t = &f.admin.token;
    let draft = f.app.import_plan(t, &plan_doc("")).await;
    let draft_id = draft["id"].as_str().unwrap();
    let res = f
        .app
        .post_json(
            t,
            "/api/v1/budgets",
            &json!({"fiscal_year": 2027, "title": "Borrador", "plan_id": draft_id}),
        )
        .await;
    let b = json_of(res).await["id"].as_str().unwrap().to_owned();
    f.line(&b, f.income("I-1", 100)).await;
    assert_problem(f.approve(&b).await, 409, "plan_not_approved").await;
    // Lines that share amounts among the plan's actions keep the budget on that plan.
    let (approved, _) = f.approved(2025).await;
    let rev = json_of(
        f.app
            .post_json(
                t,
                &format!("/api/v1/budgets/{approved}/revisions"),
                &json!({}),
            )
            .await,
    )
    .await;
    let res = f
        .app
        .send_as(
            "PATCH",
            t,
            &format!("/api/v1/budgets/{}", rev["id"].as_str().unwrap()),
            Some("*"),
            Some(&json!({"plan_id": draft_id})),
        )
        .await;
    assert_problem(res, 409, "plan_in_use").await;
}
