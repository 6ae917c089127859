//! One object of every kind the routes act on, and each route's path and body.

use serde_json::{Value, json};
use uuid::Uuid;

use crate::support::{
    NewMember, TestApp, TestUser,
    funding::Upload,
    plans::{Level, plan_doc},
};

/// The objects the routes act on; destructive routes get fresh ones each time.
pub(super) struct Fixture<'a> {
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

    /// Publishes a transparency year unless it already is.
    async fn publish(&self, year: i32) {
        let res = self
            .app
            .post_json(
                self.token(),
                "/api/v1/transparency-publications",
                &json!({"fiscal_year": year}),
            )
            .await;
        assert!(
            [201, 409].contains(&res.status().as_u16()),
            "publish {year}: {}",
            res.status()
        );
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
            "POST /api/v1/budget-entries/{id}/payment" => {
                let body = json!({"entry_date": "2025-05-01", "kind": "actual",
                    "amount_cents": 1000, "description": "Factura", "document_ref": format!("P-{n}")});
                let entry = self
                    .app
                    .add_entry(self.token(), b("approved_line"), &body)
                    .await;
                (at(entry.id), json!({"paid_on": "2025-05-02"}))
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
            | "/api/v1/bdns-call-imports"
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
            "/api/v1/applications/{id}/justification-account" => object("accepted"),
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
            "POST /api/v1/bdns-call-imports" => json!({"funder_id": f("funder"),
                "convocatoria": {"codigoBDNS": (700_000 + n).to_string(), "descripcion": "Convocatoria BDNS",
                    "fechaInicioSolicitud": "2030-01-01", "fechaFinSolicitud": "2030-02-01"},
                "new_call": {"cofinancing_rate_bp": 5000}}),
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

    /// A meeting of the board convened now, with one item for a resolution; constituted
    /// (its one seat present) when `constitute`.
    async fn board_meeting(&self, constitute: bool) -> (Uuid, Uuid) {
        let t = self.token();
        let item = json!([{"title": "Acuerdo", "kind": "resolution"}]);
        let m = self.app.convene(t, self.ids["g:board"], item).await;
        let meeting: Uuid = m["id"].as_str().unwrap().parse().unwrap();
        let item: Uuid = m["agenda"][0]["id"].as_str().unwrap().parse().unwrap();
        if constitute {
            let entry = &self.app.roll(t, meeting).await[0]["id"];
            let present = json!([{"roll_entry_id": entry, "attendance": "present"}]);
            let res = self.app.try_attendance(t, meeting, present).await;
            assert_eq!(res.status(), 200);
            let res = self.app.try_constitute(t, meeting, "first").await;
            assert_eq!(res.status(), 200);
        }
        (meeting, item)
    }

    /// A resolution adopted at a new board meeting, and the roll entry that voted.
    async fn board_resolution(&self) -> (Uuid, Uuid) {
        let t = self.token();
        let (meeting, item) = self.board_meeting(true).await;
        let entry: Uuid = self.app.roll(t, meeting).await[0]["id"]
            .as_str()
            .unwrap()
            .parse()
            .unwrap();
        let vote = json!({"totals": {"yes": 1, "no": 0, "abstain": 0}});
        let res = self.app.try_resolve(t, meeting, item, &vote).await;
        assert_eq!(res.status(), 201);
        let r: Value = res.json().await.unwrap();
        (r["id"].as_str().unwrap().parse().unwrap(), entry)
    }

    /// The path and body of a governance route (`g:` objects made in the test's setup).
    async fn governance_path(&self, key: &str) -> Option<(String, Value)> {
        let g = |k: &str| self.ids[&format!("g:{k}")];
        let (_, template) = key.split_once(' ').unwrap();
        let n = self.next();
        let at = |id: Uuid| template.replace("{id}", &id.to_string());
        let empty = json!({});
        Some(match key {
            "GET /api/v1/bodies" | "GET /api/v1/meetings" | "GET /api/v1/approved-accounts" => {
                (template.to_owned(), empty)
            }
            "POST /api/v1/bodies" => (
                template.to_owned(),
                json!({"kind": "committee", "name": format!("Comisión {n}")}),
            ),
            "GET /api/v1/bodies/{id}" => (at(g("assembly")), empty),
            "PATCH /api/v1/bodies/{id}" => (
                at(g("assembly")),
                json!({"statutes_reference": "Estatutos de 2024", "rules": {"notice_days": 15}}),
            ),
            "GET /api/v1/bodies/{id}/seats" => (at(g("board")), empty),
            "GET /api/v1/bodies/{id}/meetings" | "GET /api/v1/bodies/{id}/rule-versions" => {
                (at(g("assembly")), empty)
            }
            "GET /api/v1/bodies/{id}/seats/{seat_id}"
            | "PATCH /api/v1/bodies/{id}/seats/{seat_id}" => (
                at(g("board")).replace("{seat_id}", &g("seat").to_string()),
                json!({"person_name": format!("Presidenta {n}")}),
            ),
            "POST /api/v1/resolutions/{id}/dissents" => {
                let (resolution, entry) = self.board_resolution().await;
                (
                    at(resolution),
                    json!({"roll_entry_id": entry, "text": "Voto particular"}),
                )
            }
            "GET /api/v1/resolutions/{id}/certificates"
            | "POST /api/v1/resolutions/{id}/certificates" => {
                (at(g("resolution")), json!({"purpose": "pruebas"}))
            }
            "GET /api/v1/resolutions/{id}/certificates/{certificate_id}" => (
                at(g("resolution")).replace("{certificate_id}", &g("certificate").to_string()),
                empty,
            ),
            "POST /api/v1/bodies/{id}/seats" => (
                at(g("board")),
                json!({"member_id": self.member, "person_name": format!("Vocal {n}"),
                    "position": "member", "starts_on": "2025-01-01"}),
            ),
            "POST /api/v1/meetings" => (
                template.to_owned(),
                json!({"body_id": g("board"), "kind": "ordinary", "convened_by": "president",
                    "first_call_at": crate::support::governance::in_days(20)}),
            ),
            "GET /api/v1/meetings/{id}" | "GET /api/v1/meetings/{id}/roll" => {
                (at(g("meeting")), empty)
            }
            "PUT /api/v1/meetings/{id}/attendance" => (
                at(g("meeting")),
                json!({"entries": [{"roll_entry_id": g("entry"), "attendance": "remote"}]}),
            ),
            "GET /api/v1/meetings/{id}/minutes" | "POST /api/v1/meetings/{id}/minutes/approval" => {
                let (meeting, _) = self.board_meeting(true).await;
                let path = format!("/api/v1/meetings/{meeting}/minutes");
                let draft = json!({"debate_summary": "Sin debate"});
                let res = self
                    .app
                    .send_as("PUT", self.token(), &path, None, Some(&draft))
                    .await;
                assert_eq!(res.status(), 200);
                (at(meeting), empty)
            }
            "PUT /api/v1/meetings/{id}/minutes" => (
                at(self.board_meeting(true).await.0),
                json!({"debate_summary": "Resumen del debate"}),
            ),
            "POST /api/v1/meetings/{id}/constitution" => (
                at(self.board_meeting(false).await.0),
                json!({"call": "second"}),
            ),
            "POST /api/v1/meetings/{id}/items/{item_id}/resolution" => {
                let (meeting, item) = self.board_meeting(true).await;
                (
                    at(meeting).replace("{item_id}", &item.to_string()),
                    json!({"totals": {"yes": 1, "no": 0, "abstain": 0}}),
                )
            }
            _ => return None,
        })
    }

    /// The path and body of an events or webhooks route: the admin's endpoint (a fresh one
    /// to delete) and a ping delivered to it.
    async fn webhook_path(&self, key: &str) -> Option<(String, Value)> {
        let (_, template) = key.split_once(' ').unwrap();
        if !template.starts_with("/api/v1/webhook-endpoints") && template != "/api/v1/events" {
            return None;
        }
        if template == "/api/v1/events" {
            return Some((template.to_owned(), json!({})));
        }
        let t = self.token();
        let body = json!({"url": "https://receptor.example.org/agrupa", "event_types": []});
        let new_endpoint = || async {
            let res = self
                .app
                .post_json(t, "/api/v1/webhook-endpoints", &body)
                .await;
            crate::support::expect_json::<crate::support::Created>(res, 201)
                .await
                .id
        };
        let endpoint = if key.starts_with("DELETE ") {
            new_endpoint().await
        } else {
            match self.ids.get("w:endpoint") {
                Some(id) => *id,
                None => new_endpoint().await,
            }
        };
        let ping = format!("/api/v1/webhook-endpoints/{endpoint}/pings");
        let delivery = crate::support::expect_json::<crate::support::Created>(
            self.app.post_json(t, &ping, &json!({})).await,
            202,
        )
        .await
        .id;
        let path = template
            .replace("{id}", &endpoint.to_string())
            .replace("{delivery_id}", &delivery.to_string());
        let body = if key == "POST /api/v1/webhook-endpoints" {
            body
        } else {
            json!({})
        };
        Some((path, body))
    }

    pub(super) async fn path_and_body(&self, key: &str, password: &str) -> (String, Value) {
        if let Some(found) = self.webhook_path(key).await {
            return found;
        }
        if let Some(found) = self.governance_path(key).await {
            return found;
        }
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
            "GET /api/v1/reports/transparency" | "GET /api/v1/reports/bdns-grants" => {
                format!("{template}?year=2025")
            }
            // A year published for reading; a fresh one for each withdrawal and each publish.
            "POST /api/v1/transparency-publications" => {
                let year = 2030 + n % 40;
                self.app
                    .sql(&format!(
                        "DELETE FROM transparency_publications WHERE fiscal_year = {year}"
                    ))
                    .await;
                template.to_owned()
            }
            "GET /api/v1/transparency-publications/{year}" => {
                self.publish(2025).await;
                template.replace("{year}", "2025")
            }
            "DELETE /api/v1/transparency-publications/{year}" => {
                let year = 2070 + (n % 30) as i32;
                self.publish(year).await;
                template.replace("{year}", &year.to_string())
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
            "PUT /api/v1/cluster" => cluster(),
            "POST /api/v1/transparency-publications" => json!({"fiscal_year": 2030 + n % 40}),
            _ => json!({}),
        };
        (path, body)
    }
}

/// The cluster's record, as the fixture sets it up and `PUT` replaces it.
fn cluster() -> Value {
    json!({"legal_name": "Clúster de pruebas", "tax_id": agrupa::domain::tax_id::make_cif('G', 7_654_321)})
}

fn dues_of_2025() -> Value {
    json!({"year": 2025, "issued_on": "2025-01-15", "due_on": "2025-03-31"})
}

/// Sets up one object of every kind the routes act on.
pub(super) async fn fixture<'a>(
    app: &'a TestApp,
    admin: &'a TestUser,
    client: Uuid,
) -> Fixture<'a> {
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
    let res = app
        .client
        .put(app.url("/api/v1/cluster"))
        .bearer_auth(t)
        .json(&cluster())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201, "the cluster's record");
    let endpoint = app
        .post_json(
            t,
            "/api/v1/webhook-endpoints",
            &json!({"url": "https://receptor.example.org/agrupa"}),
        )
        .await;
    let endpoint = crate::support::expect_json::<crate::support::Created>(endpoint, 201)
        .await
        .id;
    fixture.ids.insert("w:endpoint".into(), endpoint);
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
    let accepted = app.new_application(t, call, &json!({})).await.id;
    for to in ["submitted", "under_review", "granted", "accepted"] {
        app.transition_to(t, accepted, to).await;
    }
    for (k, v) in [
        ("funder", funder),
        ("call", call),
        ("agreement", agreement),
        ("application", application),
        ("document", document),
        ("accepted", accepted),
    ] {
        fixture.ids.insert(format!("f:{k}"), v);
    }
    fixture.member = fixture.new_member().await;
    fixture.contact = app
        .add_contact(t, fixture.member, &json!({"name": "Principal"}))
        .await
        .id;
    governance(app, t, &mut fixture).await;
    app.issue_dues(t, &dues_of_2025()).await;
    fixture
}

/// The Assembly, a board with one seat, and a meeting of the Assembly (convened before the
/// dues of 2025 fall overdue, so the fixture's member is on its roll).
async fn governance(app: &TestApp, t: &str, fixture: &mut Fixture<'_>) {
    let assembly = app.assembly(t, json!({})).await;
    let board = app
        .create_body(t, &json!({"kind": "board", "name": "Junta Directiva"}))
        .await;
    let board: Uuid = board["id"].as_str().unwrap().parse().unwrap();
    let mut seat_id = None;
    for (person, position) in [("Presidenta", "president"), ("Secretario", "secretary")] {
        let seat = json!({"member_id": fixture.member, "person_name": person,
            "position": position, "starts_on": "2024-01-01"});
        let res = app
            .post_json(t, &format!("/api/v1/bodies/{board}/seats"), &seat)
            .await;
        assert_eq!(res.status(), 201);
        let created: Value = res.json().await.unwrap();
        seat_id.get_or_insert(created["id"].as_str().unwrap().parse::<Uuid>().unwrap());
    }
    fixture.ids.insert("g:seat".to_owned(), seat_id.unwrap());
    let meeting = app.convene(t, assembly, json!([])).await;
    let meeting: Uuid = meeting["id"].as_str().unwrap().parse().unwrap();
    let entry: Uuid = app.roll(t, meeting).await[0]["id"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    for (k, v) in [
        ("assembly", assembly),
        ("board", board),
        ("meeting", meeting),
        ("entry", entry),
    ] {
        fixture.ids.insert(format!("g:{k}"), v);
    }
    let (resolution, _) = fixture.board_resolution().await;
    let path = format!("/api/v1/resolutions/{resolution}/certificates");
    let certificate = app.post_json(t, &path, &json!({})).await;
    assert_eq!(certificate.status(), 201);
    let certificate: Value = certificate.json().await.unwrap();
    fixture.ids.insert("g:resolution".to_owned(), resolution);
    fixture.ids.insert(
        "g:certificate".to_owned(),
        certificate["id"].as_str().unwrap().parse().unwrap(),
    );
}
