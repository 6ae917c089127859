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

mod entries;
mod lines;
mod plan;
mod reports;
mod versions;
mod visibility;

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
