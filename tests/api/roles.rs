//! The role matrix: every route of the spec × every kind of caller → the expected status.
//! A route missing from the table fails the test, so new routes must declare who may use them.

use std::collections::BTreeMap;

use serde_json::{Value, json};
use uuid::Uuid;

use crate::support::{
    NewMember, TestApp, TestUser,
    funding::Upload,
    plans::{Level, plan_doc},
    spawn_app,
};

/// Expected status per caller (`admin staff member partner auditor client`); anonymous
/// callers always get 401. `None`: a public route, checked in its own tests.
fn rules() -> BTreeMap<&'static str, Option<&'static str>> {
    const ALL_200: &str = "admin:200 staff:200 member:200 partner:200 auditor:200 client:200";
    const W200: &str = "admin:200 staff:200 member:403 partner:403 auditor:403 client:403";
    const W201: &str = "admin:201 staff:201 member:403 partner:403 auditor:403 client:403";
    const R200: &str = "admin:200 staff:200 member:200 partner:200 auditor:200 client:403";
    const OWN_FUNDER: &str = "admin:200 staff:200 member:200 partner:404 auditor:200 client:403";
    const OWN_APP: &str = "admin:200 staff:200 member:404 partner:404 auditor:200 client:403";
    const W204: &str = "admin:204 staff:204 member:403 partner:403 auditor:403 client:403";
    BTreeMap::from([
        ("GET /api/v1/budget-categories", Some(ALL_200)),
        (
            "POST /api/v1/budget-categories",
            Some("admin:201 staff:403 member:403 partner:403 auditor:403 client:403"),
        ),
        (
            "PATCH /api/v1/budget-categories/{id}",
            Some("admin:200 staff:403 member:403 partner:403 auditor:403 client:403"),
        ),
        ("GET /api/v1/budgets", Some(ALL_200)),
        ("POST /api/v1/budgets", Some(W201)),
        ("GET /api/v1/budgets/{id}", Some(ALL_200)),
        ("PATCH /api/v1/budgets/{id}", Some(W200)),
        ("DELETE /api/v1/budgets/{id}", Some(W204)),
        (
            "POST /api/v1/budgets/{id}/approval",
            Some("admin:200 staff:403 member:403 partner:403 auditor:403 client:403"),
        ),
        ("POST /api/v1/budgets/{id}/revisions", Some(W201)),
        // Partners see the lines their institution funds, not whole-budget figures.
        (
            "GET /api/v1/budgets/{id}/report",
            Some("admin:200 staff:200 member:200 partner:403 auditor:200 client:403"),
        ),
        (
            "GET /api/v1/budgets/{id}/diff",
            Some("admin:200 staff:200 member:200 partner:403 auditor:200 client:403"),
        ),
        ("GET /api/v1/budgets/{id}/lines", Some(ALL_200)),
        ("POST /api/v1/budgets/{id}/lines", Some(W201)),
        (
            "GET /api/v1/budget-lines/{id}",
            Some("admin:200 staff:200 member:200 partner:404 auditor:200 client:404"),
        ),
        ("PATCH /api/v1/budget-lines/{id}", Some(W200)),
        ("DELETE /api/v1/budget-lines/{id}", Some(W204)),
        // Execution entries: staff, admins and auditors.
        (
            "GET /api/v1/budget-lines/{id}/entries",
            Some("admin:200 staff:200 member:404 partner:404 auditor:200 client:404"),
        ),
        ("POST /api/v1/budget-lines/{id}/entries", Some(W201)),
        // Funding: partner users here belong to no funder and the API client holds no
        // funding scope; members here represent no organisation.
        ("GET /api/v1/funders", Some(R200)),
        ("POST /api/v1/funders", Some(W201)),
        ("GET /api/v1/funders/{id}", Some(R200)),
        ("PATCH /api/v1/funders/{id}", Some(W200)),
        ("GET /api/v1/calls", Some(R200)),
        ("POST /api/v1/calls", Some(W201)),
        ("GET /api/v1/calls/{id}", Some(OWN_FUNDER)),
        ("PATCH /api/v1/calls/{id}", Some(W200)),
        ("GET /api/v1/agreements", Some(R200)),
        ("POST /api/v1/agreements", Some(W201)),
        // Agreements are the cluster's and the funder's business: not representatives'.
        ("GET /api/v1/agreements/{id}", Some(OWN_APP)),
        ("PATCH /api/v1/agreements/{id}", Some(W200)),
        ("GET /api/v1/applications", Some(R200)),
        ("POST /api/v1/applications", Some(W201)),
        ("GET /api/v1/applications/{id}", Some(OWN_APP)),
        ("PATCH /api/v1/applications/{id}", Some(W200)),
        (
            "POST /api/v1/applications/{id}/transitions",
            Some("admin:200 staff:200 member:403 partner:404 auditor:403 client:403"),
        ),
        ("GET /api/v1/applications/{id}/history", Some(OWN_APP)),
        ("GET /api/v1/applications/{id}/documents", Some(OWN_APP)),
        // The matrix sends JSON: the upload wants multipart (415) once the caller may upload.
        (
            "POST /api/v1/applications/{id}/documents",
            Some("admin:415 staff:415 member:403 partner:404 auditor:403 client:403"),
        ),
        (
            "GET /api/v1/applications/{id}/documents/{document_id}",
            Some(OWN_APP),
        ),
        (
            "GET /api/v1/applications/{id}/documents/{document_id}/content",
            Some(OWN_APP),
        ),
        ("GET /api/v1/deadlines", Some(R200)),
        ("GET /api/v1/plans", Some(ALL_200)),
        ("POST /api/v1/plans", Some(W201)),
        ("POST /api/v1/plans/import", Some(W201)),
        ("GET /api/v1/plans/{id}", Some(ALL_200)),
        ("PATCH /api/v1/plans/{id}", Some(W200)),
        ("DELETE /api/v1/plans/{id}", Some(W204)),
        (
            "POST /api/v1/plans/{id}/approval",
            Some("admin:200 staff:403 member:403 partner:403 auditor:403 client:403"),
        ),
        ("POST /api/v1/plans/{id}/revisions", Some(W201)),
        ("GET /api/v1/plans/{id}/tree", Some(ALL_200)),
        ("GET /api/v1/plans/{id}/progress", Some(ALL_200)),
        ("GET /api/v1/plans/{id}/export", Some(ALL_200)),
        ("GET /api/v1/plans/{id}/diff", Some(ALL_200)),
        ("GET /api/v1/plans/{id}/axes", Some(ALL_200)),
        ("POST /api/v1/plans/{id}/axes", Some(W201)),
        ("GET /api/v1/axes/{id}/areas", Some(ALL_200)),
        ("POST /api/v1/axes/{id}/areas", Some(W201)),
        ("GET /api/v1/areas/{id}/objectives", Some(ALL_200)),
        ("POST /api/v1/areas/{id}/objectives", Some(W201)),
        ("GET /api/v1/objectives/{id}/actions", Some(ALL_200)),
        ("POST /api/v1/objectives/{id}/actions", Some(W201)),
        // A four-level plan keeps actions under objectives: the level is wrong for everyone.
        (
            "GET /api/v1/areas/{id}/actions",
            Some("admin:409 staff:409 member:409 partner:409 auditor:409 client:409"),
        ),
        (
            "POST /api/v1/areas/{id}/actions",
            Some("admin:409 staff:409 member:403 partner:403 auditor:403 client:403"),
        ),
        ("GET /api/v1/axes/{id}", Some(ALL_200)),
        ("PATCH /api/v1/axes/{id}", Some(W200)),
        ("DELETE /api/v1/axes/{id}", Some(W204)),
        ("GET /api/v1/areas/{id}", Some(ALL_200)),
        ("PATCH /api/v1/areas/{id}", Some(W200)),
        ("DELETE /api/v1/areas/{id}", Some(W204)),
        ("GET /api/v1/objectives/{id}", Some(ALL_200)),
        ("PATCH /api/v1/objectives/{id}", Some(W200)),
        ("DELETE /api/v1/objectives/{id}", Some(W204)),
        ("GET /api/v1/actions", Some(ALL_200)),
        ("GET /api/v1/actions/{id}", Some(ALL_200)),
        ("PATCH /api/v1/actions/{id}", Some(W200)),
        ("DELETE /api/v1/actions/{id}", Some(W204)),
        ("GET /api/v1/indicators", Some(ALL_200)),
        ("POST /api/v1/indicators", Some(W201)),
        ("GET /api/v1/indicators/{id}", Some(ALL_200)),
        ("PATCH /api/v1/indicators/{id}", Some(W200)),
        ("DELETE /api/v1/indicators/{id}", Some(W204)),
        ("GET /api/v1/indicators/{id}/measurements", Some(ALL_200)),
        ("POST /api/v1/indicators/{id}/measurements", Some(W201)),
        ("GET /healthz", None),
        ("GET /readyz", None),
        ("GET /metrics", None),
        ("POST /api/v1/auth/token", None),
        ("POST /api/v1/auth/revoke", None),
        ("GET /api/v1/me", Some(ALL_200)),
        (
            "POST /api/v1/me/password",
            Some("admin:204 staff:204 member:204 partner:204 auditor:204 client:403"),
        ),
        (
            "GET /api/v1/users",
            Some("admin:200 staff:403 member:403 partner:403 auditor:200 client:403"),
        ),
        (
            "POST /api/v1/users",
            Some("admin:201 staff:403 member:403 partner:403 auditor:403 client:403"),
        ),
        (
            "GET /api/v1/users/{id}",
            Some("admin:200 staff:403 member:403 partner:403 auditor:200 client:403"),
        ),
        (
            "PATCH /api/v1/users/{id}",
            Some("admin:200 staff:403 member:403 partner:403 auditor:403 client:403"),
        ),
        (
            "GET /api/v1/api-clients",
            Some("admin:200 staff:403 member:403 partner:403 auditor:200 client:403"),
        ),
        (
            "POST /api/v1/api-clients",
            Some("admin:201 staff:403 member:403 partner:403 auditor:403 client:403"),
        ),
        (
            "GET /api/v1/api-clients/{id}",
            Some("admin:200 staff:403 member:403 partner:403 auditor:200 client:403"),
        ),
        (
            "PATCH /api/v1/api-clients/{id}",
            Some("admin:200 staff:403 member:403 partner:403 auditor:403 client:403"),
        ),
        (
            "POST /api/v1/api-clients/{id}/secret-rotations",
            Some("admin:200 staff:403 member:403 partner:403 auditor:403 client:403"),
        ),
        (
            "POST /api/v1/api-clients/{id}/revocation",
            Some("admin:200 staff:403 member:403 partner:403 auditor:403 client:403"),
        ),
        (
            "GET /api/v1/audit-events",
            Some("admin:200 staff:403 member:403 partner:403 auditor:200 client:403"),
        ),
        ("GET /api/v1/member-categories", Some(ALL_200)),
        (
            "POST /api/v1/member-categories",
            Some("admin:201 staff:403 member:403 partner:403 auditor:403 client:403"),
        ),
        ("GET /api/v1/member-categories/{id}", Some(ALL_200)),
        (
            "PATCH /api/v1/member-categories/{id}",
            Some("admin:200 staff:403 member:403 partner:403 auditor:403 client:403"),
        ),
        (
            "DELETE /api/v1/member-categories/{id}",
            Some("admin:204 staff:403 member:403 partner:403 auditor:403 client:403"),
        ),
        ("GET /api/v1/segments", Some(ALL_200)),
        (
            "POST /api/v1/segments",
            Some("admin:201 staff:403 member:403 partner:403 auditor:403 client:403"),
        ),
        ("GET /api/v1/segments/{id}", Some(ALL_200)),
        (
            "PATCH /api/v1/segments/{id}",
            Some("admin:200 staff:403 member:403 partner:403 auditor:403 client:403"),
        ),
        (
            "DELETE /api/v1/segments/{id}",
            Some("admin:204 staff:403 member:403 partner:403 auditor:403 client:403"),
        ),
        ("GET /api/v1/members", Some(ALL_200)),
        (
            "POST /api/v1/members",
            Some("admin:201 staff:201 member:403 partner:403 auditor:403 client:403"),
        ),
        ("GET /api/v1/members/stats", Some(ALL_200)),
        ("GET /api/v1/members/{id}", Some(ALL_200)),
        (
            "PATCH /api/v1/members/{id}",
            Some("admin:200 staff:200 member:404 partner:403 auditor:403 client:403"),
        ),
        (
            "DELETE /api/v1/members/{id}",
            Some("admin:204 staff:204 member:403 partner:403 auditor:403 client:403"),
        ),
        (
            "GET /api/v1/members/{id}/status-changes",
            Some("admin:200 staff:200 member:404 partner:404 auditor:200 client:404"),
        ),
        (
            "POST /api/v1/members/{id}/status-changes",
            Some("admin:201 staff:201 member:403 partner:403 auditor:403 client:403"),
        ),
        (
            "GET /api/v1/members/{id}/contacts",
            Some("admin:200 staff:200 member:404 partner:404 auditor:200 client:404"),
        ),
        (
            "POST /api/v1/members/{id}/contacts",
            Some("admin:201 staff:201 member:404 partner:403 auditor:403 client:403"),
        ),
        (
            "PATCH /api/v1/members/{id}/contacts/{contact_id}",
            Some("admin:200 staff:200 member:404 partner:403 auditor:403 client:403"),
        ),
        (
            "DELETE /api/v1/members/{id}/contacts/{contact_id}",
            Some("admin:204 staff:204 member:404 partner:403 auditor:403 client:403"),
        ),
        (
            "GET /api/v1/members/{id}/dues",
            Some("admin:200 staff:200 member:404 partner:404 auditor:200 client:404"),
        ),
        (
            "PATCH /api/v1/members/{id}/dues/{year}",
            Some("admin:200 staff:200 member:403 partner:403 auditor:403 client:403"),
        ),
        (
            "POST /api/v1/dues-issuances",
            Some("admin:201 staff:201 member:403 partner:403 auditor:403 client:403"),
        ),
    ])
}

/// Requests that end sessions go last.
fn order(key: &str) -> u8 {
    match key {
        "POST /api/v1/api-clients/{id}/revocation" => 1,
        "POST /api/v1/me/password" => 2,
        _ => 0,
    }
}

/// The objects the routes act on; destructive routes get fresh ones each time.
struct Fixture<'a> {
    app: &'a TestApp,
    admin: &'a TestUser,
    user: String,
    client: Uuid,
    category: Uuid,
    segment: Uuid,
    member: Uuid,
    contact: Uuid,
    /// Ids by key: `a:<code>` of an approved plan, `d:<code>` of a draft (`a:plan`, `d:plan`
    /// are the plans; indicators by name), `cat:<code>` budget categories, `b:…` budgets and
    /// lines, `f:…` funding objects.
    ids: std::collections::HashMap<String, Uuid>,
    n: std::cell::Cell<u32>,
    years: std::cell::Cell<u16>,
}

impl Fixture<'_> {
    fn next(&self) -> u32 {
        self.n.set(self.n.get() + 1);
        self.n.get()
    }

    fn token(&self) -> &str {
        &self.admin.token
    }

    async fn new_member(&self) -> Uuid {
        let n = self.next();
        let (name, tax_id) = (
            format!("Víctima {n}, S.L."),
            agrupa::domain::tax_id::make_cif('B', 5_000_000 + n),
        );
        let member = NewMember::company(self.category, &name, &tax_id).active();
        self.app.create_member(self.token(), &member).await.id
    }

    /// The path and body of a plan route, with fresh objects for destructive ones.
    async fn plan_path(&self, key: &str) -> Option<(String, Value)> {
        let n = self.next();
        let a = |k: &str| self.ids[&format!("a:{k}")];
        let d = |k: &str| self.ids[&format!("d:{k}")];
        let node = json!({"code": format!("N{n}"), "title": format!("Nodo {n}")});
        let (_, template) = key.split_once(' ').unwrap();
        let at = |id: Uuid| template.replace("{id}", &id.to_string());
        let empty = json!({});
        let t = self.token();
        Some(match key {
            "GET /api/v1/plans" | "GET /api/v1/actions" | "GET /api/v1/indicators" => {
                (template.to_owned(), empty)
            }
            "POST /api/v1/plans" => (
                template.to_owned(),
                json!({"title": format!("Plan {n}"), "start_year": 2028, "end_year": 2031}),
            ),
            "POST /api/v1/plans/import" => (template.to_owned(), plan_doc("")),
            "GET /api/v1/plans/{id}"
            | "GET /api/v1/plans/{id}/tree"
            | "GET /api/v1/plans/{id}/progress"
            | "GET /api/v1/plans/{id}/export"
            | "GET /api/v1/plans/{id}/axes" => (at(a("plan")), empty),
            "GET /api/v1/plans/{id}/diff" => {
                (format!("{}?against={}", at(a("plan")), a("plan")), empty)
            }
            "PATCH /api/v1/plans/{id}" => (at(d("plan")), json!({"description": "Cambiada"})),
            "DELETE /api/v1/plans/{id}" => {
                let plan = self
                    .app
                    .create_plan(
                        t,
                        &json!({"title": "Borrador", "start_year": 2028, "end_year": 2031}),
                    )
                    .await;
                (at(plan.id), empty)
            }
            "POST /api/v1/plans/{id}/approval" => {
                let plan = self.app.import_plan_doc(t, &plan_doc("")).await;
                (at(plan.id), json!({"reference": "Acta 1"}))
            }
            "POST /api/v1/plans/{id}/revisions" => {
                let plan = self.app.import_plan_doc(t, &plan_doc("")).await.id;
                self.app.approve_plan(self.admin, &plan.to_string()).await;
                (at(plan), empty)
            }
            "POST /api/v1/plans/{id}/axes" => (at(d("plan")), node),
            "GET /api/v1/axes/{id}/areas" | "GET /api/v1/axes/{id}" => (at(a("E1")), empty),
            "POST /api/v1/axes/{id}/areas" => (at(d("E1")), node),
            "PATCH /api/v1/axes/{id}" => (at(d("E1")), json!({"title": "Cambiado"})),
            "GET /api/v1/areas/{id}/objectives"
            | "GET /api/v1/areas/{id}/actions"
            | "GET /api/v1/areas/{id}" => (at(a("E1.1")), empty),
            "POST /api/v1/areas/{id}/objectives" | "POST /api/v1/areas/{id}/actions" => {
                (at(d("E1.1")), node)
            }
            "PATCH /api/v1/areas/{id}" => (at(d("E1.1")), json!({"weight": 2})),
            "GET /api/v1/objectives/{id}/actions" | "GET /api/v1/objectives/{id}" => {
                (at(a("E1.1.1")), empty)
            }
            "POST /api/v1/objectives/{id}/actions" => (at(d("E1.1.1")), node),
            "PATCH /api/v1/objectives/{id}" => (at(d("E1.1.1")), json!({"position": 5})),
            "GET /api/v1/actions/{id}" => (at(a("E1.1.1.1")), empty),
            "PATCH /api/v1/actions/{id}" => (
                at(d("E1.1.1.2")),
                json!({"action": {"progress": 55, "status": "in_progress"}}),
            ),
            "DELETE /api/v1/axes/{id}" => {
                (at(self.app.add_axis(t, d("plan"), &node).await.id), empty)
            }
            "DELETE /api/v1/areas/{id}" => {
                let area = self
                    .app
                    .add_child(t, (Level::Axis, d("E1")), Level::Area, &node)
                    .await;
                (at(area.id), empty)
            }
            "DELETE /api/v1/objectives/{id}" => {
                let objective = self
                    .app
                    .add_child(t, (Level::Area, d("E1.1")), Level::Objective, &node)
                    .await;
                (at(objective.id), empty)
            }
            "DELETE /api/v1/actions/{id}" => {
                let action = self
                    .app
                    .add_child(t, (Level::Objective, d("E1.1.1")), Level::Action, &node)
                    .await;
                (at(action.id), empty)
            }
            "POST /api/v1/indicators" => (
                template.to_owned(),
                json!({"node_id": d("E1.1.1"), "name": format!("Indicador {n}"), "unit": "%",
                    "baseline": 0.0, "targets": [{"year": 2026, "value": 50.0}]}),
            ),
            "GET /api/v1/indicators/{id}" | "GET /api/v1/indicators/{id}/measurements" => {
                (at(a("Empresas exportadoras")), empty)
            }
            "PATCH /api/v1/indicators/{id}" => (
                at(d("Empresas exportadoras")),
                json!({"unit": "empresas socias"}),
            ),
            "DELETE /api/v1/indicators/{id}" => {
                let indicator = self
                    .app
                    .create_indicator(
                        t,
                        &json!({"node_id": d("E1.1.1"), "name": format!("Temporal {n}"),
                            "unit": "%", "baseline": 1.0}),
                    )
                    .await;
                (at(indicator.id), empty)
            }
            "POST /api/v1/indicators/{id}/measurements" => (
                at(a("Empresas exportadoras")),
                json!({"measured_on": "2025-06-30", "value": 18.0, "source": "Encuesta"}),
            ),
            _ => return None,
        })
    }

    /// A fiscal year of its own for each fresh budget (one approved budget per year).
    fn fresh_year(&self) -> u32 {
        self.years.set(self.years.get() + 1);
        1950 + u32::from(self.years.get())
    }

    /// A draft budget of a year of its own, with an income and an expense line.
    async fn new_budget(&self, year: u32) -> Uuid {
        let t = self.token();
        let id = self
            .app
            .create_budget(
                t,
                &json!({"fiscal_year": year, "title": format!("Presupuesto {year}"),
                    "plan_id": self.ids["a:plan"]}),
            )
            .await
            .id;
        for line in [
            json!({"code": "I-01", "kind": "income", "category_id": self.ids["cat:membership_fees"],
                "description": "Cuotas", "planned_cents": 100_000}),
            json!({"code": "G-01", "kind": "expense", "category_id": self.ids["cat:activities_events"],
                "description": "Jornadas", "planned_cents": 100_000,
                "actions": [{"action_id": self.ids["a:E1.1.1.1"], "share_bp": 10000}]}),
        ] {
            self.app.add_line(t, id, &line).await;
        }
        id
    }

    async fn approve_budget(&self, id: Uuid) {
        self.app
            .approve_budget(self.token(), id, &json!({"reference": "Acta"}))
            .await;
    }

    async fn first_line(&self, budget: Uuid) -> Uuid {
        self.app.budget_lines(self.token(), budget).await[1].id
    }

    /// The path and body of a budget route, with fresh objects for destructive ones.
    async fn budget_path(&self, key: &str) -> Option<(String, Value)> {
        let n = self.next();
        let b = |k: &str| self.ids[&format!("b:{k}")];
        let (_, template) = key.split_once(' ').unwrap();
        let at = |id: Uuid| template.replace("{id}", &id.to_string());
        let empty = json!({});
        Some(match key {
            "GET /api/v1/budget-categories" | "GET /api/v1/budgets" => (template.to_owned(), empty),
            "POST /api/v1/budget-categories" => (
                template.to_owned(),
                json!({"kind": "expense", "code": format!("gasto_{n}"), "name": format!("Gasto {n}")}),
            ),
            "PATCH /api/v1/budget-categories/{id}" => {
                (at(self.ids["cat:travel"]), json!({"position": 145}))
            }
            "POST /api/v1/budgets" => (
                template.to_owned(),
                json!({"fiscal_year": 2030, "title": format!("Presupuesto {n}")}),
            ),
            "GET /api/v1/budgets/{id}"
            | "GET /api/v1/budgets/{id}/lines"
            | "GET /api/v1/budgets/{id}/report" => (at(b("approved")), empty),
            "GET /api/v1/budgets/{id}/diff" => (
                format!("{}?against={}", at(b("approved")), b("approved")),
                empty,
            ),
            "PATCH /api/v1/budgets/{id}" => (at(b("draft")), json!({"description": "Cambiado"})),
            "DELETE /api/v1/budgets/{id}" => (at(self.new_budget(self.fresh_year()).await), empty),
            "POST /api/v1/budgets/{id}/approval" => (
                at(self.new_budget(self.fresh_year()).await),
                json!({"reference": "Acta"}),
            ),
            "POST /api/v1/budgets/{id}/revisions" => {
                let id = self.new_budget(self.fresh_year()).await;
                self.approve_budget(id).await;
                (at(id), empty)
            }
            "POST /api/v1/budgets/{id}/lines" => (
                at(b("draft")),
                json!({"code": format!("G-{n}"), "kind": "expense",
                    "category_id": self.ids["cat:travel"], "description": "Viajes", "planned_cents": 5000}),
            ),
            "GET /api/v1/budget-lines/{id}" | "GET /api/v1/budget-lines/{id}/entries" => {
                (at(b("approved_line")), empty)
            }
            "PATCH /api/v1/budget-lines/{id}" => {
                (at(b("draft_line")), json!({"planned_cents": 150_000}))
            }
            "DELETE /api/v1/budget-lines/{id}" => {
                let id = self.new_budget(self.fresh_year()).await;
                (at(self.first_line(id).await), empty)
            }
            "POST /api/v1/budget-lines/{id}/entries" => (
                at(b("approved_line")),
                json!({"entry_date": "2025-05-01", "kind": "actual", "amount_cents": 1000,
                    "description": "Factura", "document_ref": format!("F-{n}")}),
            ),
            _ => return None,
        })
    }

    /// The path and body of a funding route (`f:` objects made in the test's setup).
    async fn funding_path(&self, key: &str) -> Option<(String, Value)> {
        let f = |k: &str| self.ids[&format!("f:{k}")];
        let (_, template) = key.split_once(' ').unwrap();
        let n = self.next();
        let empty = json!({});
        let object = |k: &str| Some(template.replace("{id}", &f(k).to_string()));
        let path = match template {
            "/api/v1/funders"
            | "/api/v1/calls"
            | "/api/v1/agreements"
            | "/api/v1/applications"
            | "/api/v1/deadlines" => Some(template.to_owned()),
            t if t.starts_with("/api/v1/funders/") => object("funder"),
            t if t.starts_with("/api/v1/calls/") => object("call"),
            t if t.starts_with("/api/v1/agreements/") => object("agreement"),
            "/api/v1/applications/{id}/transitions" => {
                let a = self
                    .app
                    .new_application(self.token(), f("call"), &empty)
                    .await;
                Some(template.replace("{id}", &a.id.to_string()))
            }
            t if t.starts_with("/api/v1/applications/") => Some(
                template
                    .replace("{id}", &f("application").to_string())
                    .replace("{document_id}", &f("document").to_string()),
            ),
            _ => None,
        }?;
        let body = match key {
            "POST /api/v1/funders" => json!({"name": format!("Entidad {n}"), "kind": "private"}),
            "PATCH /api/v1/funders/{id}" => json!({"website": "https://www.mintur.gob.es"}),
            "POST /api/v1/calls" => json!({"funder_id": f("funder"), "title": "Convocatoria",
                "opens_at": "2030-01-01T09:00:00+01:00", "closes_at": "2030-02-01T14:00:00+01:00",
                "cofinancing_rate_bp": 5000}),
            "PATCH /api/v1/calls/{id}" => json!({"programme": "Programa AEI"}),
            "POST /api/v1/agreements" => {
                json!({"funder_id": f("funder"), "title": format!("Convenio {n}"),
                "starts_on": "2030-01-01", "ends_on": "2030-12-31", "total_cents": 100})
            }
            "PATCH /api/v1/agreements/{id}" => json!({"obligations": "Memoria anual"}),
            "POST /api/v1/applications" => json!({"call_id": f("call"), "title": "Solicitud",
                "eligible_cost_cents": 100, "requested_cents": 50, "own_funding_cents": 50, "other_aid_cents": 0}),
            "PATCH /api/v1/applications/{id}" => json!({"summary": "Resumen ñ"}),
            "POST /api/v1/applications/{id}/transitions" => json!({"to": "submitted"}),
            _ => empty,
        };
        Some((path, body))
    }

    async fn path_and_body(&self, key: &str, password: &str) -> (String, Value) {
        if let Some(found) = self.funding_path(key).await {
            return found;
        }
        if let Some(found) = self.plan_path(key).await {
            return found;
        }
        if let Some(found) = self.budget_path(key).await {
            return found;
        }
        let n = self.next();
        let t = self.token();
        let (_, template) = key.split_once(' ').unwrap();
        let fill = |member: Uuid, contact: Option<Uuid>, other: &str| {
            let contact = contact.map(|c| c.to_string()).unwrap_or_default();
            template
                .replace("{contact_id}", &contact)
                .replace("{year}", "2025")
                .replace(
                    "{id}",
                    &if template.starts_with("/api/v1/members/") {
                        member.to_string()
                    } else {
                        other.to_owned()
                    },
                )
        };
        let other = if template.starts_with("/api/v1/users/") {
            self.user.clone()
        } else if template.starts_with("/api/v1/api-clients/") {
            self.client.to_string()
        } else if template.starts_with("/api/v1/member-categories/") {
            self.category.to_string()
        } else {
            self.segment.to_string()
        };
        let path = match key {
            "DELETE /api/v1/members/{id}" | "POST /api/v1/members/{id}/status-changes" => {
                fill(self.new_member().await, None, "")
            }
            "DELETE /api/v1/members/{id}/contacts/{contact_id}" => {
                let c = self
                    .app
                    .add_contact(t, self.member, &json!({"name": "Temporal"}))
                    .await;
                fill(self.member, Some(c.id), "")
            }
            "DELETE /api/v1/member-categories/{id}" => {
                let c = self
                    .app
                    .create_category(
                        t,
                        &json!({"name": format!("Temporal {n}"), "annual_fee_cents": 0}),
                    )
                    .await;
                fill(self.member, None, &c.to_string())
            }
            "DELETE /api/v1/segments/{id}" => {
                let s = self
                    .app
                    .create_segment(t, &format!("temp-{n}"), &format!("Temporal {n}"))
                    .await;
                fill(self.member, None, &s.to_string())
            }
            _ => fill(self.member, Some(self.contact), &other),
        };
        let body = match key {
            "POST /api/v1/users" => {
                json!({"email": format!("u{n}@x.es"), "display_name": "Nueva", "role": "staff",
                "password": "una contraseña muy larga"})
            }
            "PATCH /api/v1/users/{id}" => json!({"display_name": "Otro nombre"}),
            "POST /api/v1/api-clients" => json!({"name": "Otro cliente"}),
            "PATCH /api/v1/api-clients/{id}" => json!({"name": "Renombrado"}),
            "POST /api/v1/me/password" => {
                json!({"current_password": password, "new_password": "la nueva contraseña larga"})
            }
            "POST /api/v1/member-categories" => {
                json!({"name": format!("Categoría {n}"), "annual_fee_cents": 1000})
            }
            "PATCH /api/v1/member-categories/{id}" => json!({"description": "Con cuota"}),
            "POST /api/v1/segments" => {
                json!({"code": format!("seg-{n}"), "name": format!("Segmento {n}")})
            }
            "PATCH /api/v1/segments/{id}" => json!({"position": 3}),
            "POST /api/v1/members" => {
                json!({"legal_name": format!("Nueva {n}, S.L."), "kind": "company",
                "tax_id": agrupa::domain::tax_id::make_cif('B', 6_000_000 + n), "category_id": self.category})
            }
            "PATCH /api/v1/members/{id}" => json!({"website": "https://nueva.es"}),
            "POST /api/v1/members/{id}/status-changes" => {
                json!({"to": "suspended", "reason": "Cuotas pendientes"})
            }
            "POST /api/v1/members/{id}/contacts" => json!({"name": "Contacto nuevo"}),
            "PATCH /api/v1/members/{id}/contacts/{contact_id}" => json!({"position": "Gerente"}),
            "PATCH /api/v1/members/{id}/dues/{year}" => json!({"status": "paid"}),
            "POST /api/v1/dues-issuances" => dues_of_2025(),
            _ => json!({}),
        };
        (path, body)
    }
}

fn dues_of_2025() -> Value {
    json!({"year": 2025, "issued_on": "2025-01-15", "due_on": "2025-03-31"})
}

/// Every route of the spec, those that end sessions last.
fn routes(rules: &BTreeMap<&str, Option<&str>>) -> Vec<String> {
    let spec = agrupa::openapi_spec();
    let mut routes: Vec<String> = Vec::new();
    for (path, item) in &spec.paths.paths {
        for (method, present) in [
            ("GET", item.get.is_some()),
            ("POST", item.post.is_some()),
            ("PATCH", item.patch.is_some()),
            ("PUT", item.put.is_some()),
            ("DELETE", item.delete.is_some()),
        ] {
            if present {
                let key = format!("{method} {path}");
                assert!(
                    rules.contains_key(key.as_str()),
                    "no role rule for {key}: add it to tests/api/roles.rs"
                );
                routes.push(key);
            }
        }
    }
    routes.sort_by_key(|k| order(k));
    routes
}

/// Sets up one object of every kind the routes act on.
async fn fixture<'a>(app: &'a TestApp, admin: &'a TestUser, client: Uuid) -> Fixture<'a> {
    let t = &admin.token;
    let user = app.user(admin, "staff").await.id;
    let category = app
        .create_category(t, &json!({"name": "De número", "annual_fee_cents": 120000}))
        .await;
    let segment = app.create_segment(t, "produccion", "Producción").await;
    let mut fixture = Fixture {
        app,
        admin,
        user,
        client,
        category,
        segment,
        member: Uuid::nil(),
        contact: Uuid::nil(),
        ids: std::collections::HashMap::new(),
        n: std::cell::Cell::new(0),
        years: std::cell::Cell::new(0),
    };
    let approved = app.import_plan_doc(t, &plan_doc("")).await.id;
    app.approve_plan(admin, &approved.to_string()).await;
    let draft = app.import_plan_doc(t, &plan_doc("")).await.id;
    for (prefix, plan) in [("a", approved), ("d", draft)] {
        fixture.ids.insert(format!("{prefix}:plan"), plan);
        for (k, v) in app.node_ids(t, plan).await {
            fixture.ids.insert(format!("{prefix}:{k}"), v);
        }
    }
    for (code, id) in app.budget_categories(t).await {
        fixture.ids.insert(format!("cat:{code}"), id);
    }
    let approved_budget = fixture.new_budget(2025).await;
    fixture.approve_budget(approved_budget).await;
    let approved_line = fixture.first_line(approved_budget).await;
    let draft_budget = fixture.new_budget(2026).await;
    let draft_line = fixture.first_line(draft_budget).await;
    for (k, v) in [
        ("approved", approved_budget),
        ("approved_line", approved_line),
        ("draft", draft_budget),
        ("draft_line", draft_line),
    ] {
        fixture.ids.insert(format!("b:{k}"), v);
    }
    let funder = app.new_funder(t, "Ministerio de Industria y Turismo").await;
    let call = app.new_call(t, funder, -1, 30).await;
    let agreement = app
        .create_agreement(
            t,
            &json!({"funder_id": funder, "title": "Convenio 2023/2024", "starts_on": "2023-01-01",
                "ends_on": "2024-12-31", "total_cents": 100}),
        )
        .await
        .id;
    let application = app.new_application(t, call, &json!({})).await.id;
    let memoria = Upload {
        filename: "memoria.txt",
        content_type: "text/plain",
        bytes: b"Memoria",
        description: None,
    };
    let document = app.upload_document(t, application, &memoria).await.id;
    for (k, v) in [
        ("funder", funder),
        ("call", call),
        ("agreement", agreement),
        ("application", application),
        ("document", document),
    ] {
        fixture.ids.insert(format!("f:{k}"), v);
    }
    fixture.member = fixture.new_member().await;
    fixture.contact = app
        .add_contact(t, fixture.member, &json!({"name": "Principal"}))
        .await
        .id;
    app.issue_dues(t, &dues_of_2025()).await;
    fixture
}

#[tokio::test]
async fn every_route_answers_every_caller_as_the_policy_says() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let rules = rules();
    let routes = routes(&rules);
    let client = app
        .create_api_client(
            &admin.token,
            &json!({"name": "Cliente de pruebas",
        "scopes": ["members:read", "reference:read", "plans:read", "budgets:read"]}),
        )
        .await;
    let fixture = fixture(&app, &admin, client.id).await;

    let mut callers: Vec<(&str, Option<String>, String)> = vec![("anonymous", None, String::new())];
    for role in ["staff", "member", "partner", "auditor"] {
        let u = app.user(&admin, role).await;
        callers.push((role, Some(u.token), u.password));
    }
    callers.push((
        "client",
        Some(app.client_token(&client).await),
        String::new(),
    ));
    callers.push(("admin", Some(admin.token.clone()), admin.password.clone()));

    let mut failures = Vec::new();
    for (caller, token, password) in &callers {
        for key in &routes {
            let Some(expectations) = rules[key.as_str()] else {
                continue;
            };
            let (method, _) = key.split_once(' ').unwrap();
            let (path, body) = fixture.path_and_body(key, password).await;
            let mut req = app.client.request(method.parse().unwrap(), app.url(&path));
            if let Some(t) = token {
                req = req.bearer_auth(t);
            }
            // Plans need `If-Match` on changes; `*` passes it, as any current tag would.
            req = req.header("If-Match", "*");
            if method != "GET" && method != "DELETE" {
                req = req.json(&body);
            }
            let status = req.send().await.unwrap().status().as_u16();
            let expected: u16 = match token {
                None => 401,
                Some(_) => expectations
                    .split_whitespace()
                    .find_map(|e| e.strip_prefix(&format!("{caller}:")))
                    .unwrap_or_else(|| panic!("{key}: no expectation for {caller}"))
                    .parse()
                    .unwrap(),
            };
            if status != expected {
                failures.push(format!(
                    "{caller:>9} {key}: got {status}, expected {expected}"
                ));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "role matrix mismatches:\n{}",
        failures.join("\n")
    );
}
