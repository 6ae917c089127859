//! Funding: funders, calls, agreements, applications and their state machine, money into
//! the budget, documents, deadlines and who sees what.

use serde_json::{Value, json};

use crate::helpers::{
    TestApp, TestUser, assert_problem, plan_doc, spawn_app, spawn_app_with, strs,
};

struct World {
    app: TestApp,
    admin: TestUser,
    /// The ministry (funder A) and its open call.
    ministry: String,
    call: String,
    /// Another funder.
    council: String,
    /// Partner users of each funder.
    partner_a: TestUser,
    partner_b: TestUser,
    /// A member organisation and its representative.
    member: String,
    rep: TestUser,
    /// Actions of an approved plan (planned 10,000 € each), by code.
    actions: std::collections::HashMap<String, String>,
}

async fn world() -> World {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let ministry = app
        .funder(&admin.token, "Ministerio de Industria y Turismo")
        .await;
    let council = app.funder(&admin.token, "Ayuntamiento de Madrid").await;
    let call = app.call(&admin.token, &ministry, -5, 30, json!({})).await;
    let partner_a = app
        .user_with(&admin, "partner", json!({"funder_id": ministry}))
        .await;
    let partner_b = app
        .user_with(&admin, "partner", json!({"funder_id": council}))
        .await;
    let member = app
        .member(
            &admin,
            "Producciones Añil, S.L.",
            &agrupa::domain::tax_id::make_cif('B', 7_100_001),
        )
        .await;
    let rep = app
        .user_with(&admin, "member", json!({"member_id": member}))
        .await;
    let plan = app.import_plan(&admin.token, &plan_doc("")).await;
    let plan = plan["id"].as_str().unwrap().to_owned();
    app.approve_plan(&admin, &plan).await;
    let actions = app.plan_ids(&admin.token, &plan).await;
    World {
        app,
        admin,
        ministry,
        call,
        council,
        partner_a,
        partner_b,
        member,
        rep,
        actions,
    }
}

fn id(v: &Value) -> String {
    v["id"].as_str().unwrap().to_owned()
}

/// The body a move to `to` needs.
fn body_for(to: &str) -> Value {
    match to {
        "partially_granted" => json!({"to": to, "granted_cents": 500_000}),
        "changes_requested" | "rejected" | "renounced" | "withdrawn" => {
            json!({"to": to, "comment": "Motivo: falta la memoria técnica"})
        }
        _ => json!({"to": to}),
    }
}

/// The moves that lead from `draft` to `status`.
fn path_to(status: &str) -> Vec<&'static str> {
    let granted = vec!["submitted", "under_review", "granted"];
    let accepted = [granted.clone(), vec!["accepted"]].concat();
    let justified = [
        accepted.clone(),
        vec!["justification_submitted", "justified"],
    ]
    .concat();
    match status {
        "draft" => vec![],
        "submitted" => vec!["submitted"],
        "under_review" => vec!["submitted", "under_review"],
        "changes_requested" => vec!["submitted", "under_review", "changes_requested"],
        "granted" => granted,
        "partially_granted" => vec!["submitted", "under_review", "partially_granted"],
        "rejected" => vec!["submitted", "under_review", "rejected"],
        "accepted" => accepted,
        "renounced" => [granted, vec!["renounced"]].concat(),
        "justification_submitted" => [accepted, vec!["justification_submitted"]].concat(),
        "justified" => justified,
        "closed" => [justified, vec!["closed"]].concat(),
        "withdrawn" => vec!["withdrawn"],
        other => panic!("no path to {other}"),
    }
}

const STATUSES: [&str; 13] = [
    "draft",
    "submitted",
    "under_review",
    "changes_requested",
    "granted",
    "partially_granted",
    "rejected",
    "accepted",
    "renounced",
    "justification_submitted",
    "justified",
    "closed",
    "withdrawn",
];

const LEGAL: [(&str, &str); 16] = [
    ("draft", "submitted"),
    ("submitted", "under_review"),
    ("under_review", "changes_requested"),
    ("changes_requested", "submitted"),
    ("under_review", "granted"),
    ("under_review", "partially_granted"),
    ("under_review", "rejected"),
    ("granted", "accepted"),
    ("granted", "renounced"),
    ("partially_granted", "accepted"),
    ("partially_granted", "renounced"),
    ("accepted", "justification_submitted"),
    ("justification_submitted", "justified"),
    ("justified", "closed"),
    ("draft", "withdrawn"),
    ("submitted", "withdrawn"),
];

impl World {
    /// A new application of the open call, moved to `status` by the admin.
    async fn app_in(&self, status: &str) -> String {
        let a = self
            .app
            .application(&self.admin.token, &self.call, json!({}))
            .await;
        let a = id(&a);
        for to in path_to(status) {
            let res = self
                .app
                .transition(&self.admin.token, &a, body_for(to))
                .await;
            let code = res.status();
            assert_eq!(code, 200, "{to}: {}", res.text().await.unwrap());
        }
        a
    }

    /// A new application of the open call with `extra`, moved to `under_review` by the admin
    /// (the moves' answers are not checked here).
    async fn under_review(&self, extra: Value) -> String {
        let a = id(&self
            .app
            .application(&self.admin.token, &self.call, extra)
            .await);
        for to in ["submitted", "under_review"] {
            self.app
                .transition(&self.admin.token, &a, json!({"to": to}))
                .await;
        }
        a
    }

    async fn get(&self, token: &str, path: &str) -> Value {
        let res = self.app.get_as(token, path).await;
        assert_eq!(res.status(), 200, "GET {path}");
        res.json().await.unwrap()
    }
}

#[tokio::test]
async fn every_legal_move_works_and_every_other_is_a_409_that_changes_nothing() {
    let w = world().await;
    for from in STATUSES {
        let a = w.app_in(from).await;
        let before = w
            .get(&w.admin.token, &format!("/api/v1/applications/{a}"))
            .await;
        assert_eq!(before["status"], from);
        let next: Vec<&str> = LEGAL
            .iter()
            .filter(|(f, _)| *f == from)
            .map(|(_, t)| *t)
            .collect();
        assert_eq!(
            before["next_statuses"].as_array().unwrap().len(),
            next.len(),
            "{from}: {}",
            before["next_statuses"]
        );
        for to in STATUSES {
            if next.contains(&to) {
                continue;
            }
            let res = w.app.transition(&w.admin.token, &a, body_for(to)).await;
            let problem = assert_problem(res, 409, "illegal_transition").await;
            assert!(
                problem["detail"].as_str().unwrap().contains(from),
                "{problem}"
            );
        }
        let after = w
            .get(&w.admin.token, &format!("/api/v1/applications/{a}"))
            .await;
        assert_eq!(after, before, "an illegal move changed {from}");
        for to in next {
            let a = w.app_in(from).await;
            let res = w.app.transition(&w.admin.token, &a, body_for(to)).await;
            let status = res.status();
            let body: Value = res.json().await.unwrap();
            assert_eq!(status, 200, "{from} → {to}: {body}");
            assert_eq!(body["status"], to);
        }
    }
}

#[tokio::test]
async fn the_database_refuses_an_illegal_move_on_its_own() {
    let w = world().await;
    let a = w.app_in("draft").await;
    let res = w
        .app
        .sql_result(&format!(
            "UPDATE applications SET status = 'closed' WHERE id = '{a}'"
        ))
        .await;
    assert!(
        res.unwrap_err()
            .contains("does not move from draft to closed")
    );
    let submitted = w.app_in("submitted").await;
    let res = w
        .app
        .sql_result(&format!(
            "UPDATE applications SET title = 'Cambiada' WHERE id = '{submitted}'"
        ))
        .await;
    assert!(res.unwrap_err().contains("not edited"));
}

#[tokio::test]
async fn moves_check_who_makes_them_and_what_they_need_and_are_kept_in_the_history() {
    let w = world().await;
    let a = w.app_in("submitted").await;
    // The cluster's moves are staff's; the funder's decisions its partners'.
    let res = w
        .app
        .transition(
            &w.partner_a.token,
            &a,
            json!({"to": "withdrawn", "comment": "No"}),
        )
        .await;
    assert_problem(res, 403, "forbidden").await;
    let res = w
        .app
        .transition(&w.rep.token, &a, json!({"to": "under_review"}))
        .await;
    assert_problem(res, 403, "forbidden").await;
    // Another funder's partner does not even see it.
    let res = w
        .app
        .transition(&w.partner_b.token, &a, json!({"to": "under_review"}))
        .await;
    assert_problem(res, 404, "not_found").await;
    let res = w
        .app
        .transition(
            &w.partner_a.token,
            &a,
            json!({"to": "under_review", "comment": "Recibida ✅"}),
        )
        .await;
    assert_eq!(res.status(), 200);
    // Required and forbidden fields.
    let res = w
        .app
        .transition(&w.partner_a.token, &a, json!({"to": "rejected"}))
        .await;
    let p = assert_problem(res, 422, "validation_failed").await;
    assert_eq!(p["errors"][0]["field"], "comment");
    let res = w
        .app
        .transition(&w.partner_a.token, &a, json!({"to": "partially_granted"}))
        .await;
    assert_problem(res, 422, "validation_failed").await;
    for g in [800_000, 900_000] {
        let res = w
            .app
            .transition(
                &w.partner_a.token,
                &a,
                json!({"to": "partially_granted", "granted_cents": g}),
            )
            .await;
        assert_problem(res, 422, "validation_failed").await;
    }
    let res = w
        .app
        .transition(
            &w.partner_a.token,
            &a,
            json!({"to": "granted", "granted_cents": 700_000}),
        )
        .await;
    assert_problem(res, 422, "validation_failed").await;
    let res = w
        .app
        .transition(&w.partner_a.token, &a, json!({"to": "granted", "extra": 1}))
        .await;
    assert_eq!(res.status(), 400);
    let res = w
        .app
        .transition(
            &w.partner_a.token,
            &a,
            json!({"to": "partially_granted", "granted_cents": 600_000, "decided_on": "2026-06-30",
                "justification_due_on": "2027-03-31", "comment": "Resolución parcial"}),
        )
        .await;
    let status = res.status();
    let body: Value = res.json().await.unwrap();
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["granted_cents"], 600_000);
    assert_eq!(body["decided_on"], "2026-06-30");
    assert_eq!(body["justification_due_on"], "2027-03-31");
    // Accepting is the cluster's.
    let res = w
        .app
        .transition(&w.partner_a.token, &a, json!({"to": "accepted"}))
        .await;
    assert_problem(res, 403, "forbidden").await;
    let res = w
        .app
        .transition(&w.admin.token, &a, json!({"to": "accepted"}))
        .await;
    assert_eq!(res.status(), 200);

    let history = w
        .get(&w.admin.token, &format!("/api/v1/applications/{a}/history"))
        .await;
    let moves: Vec<(String, String, String)> = history["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            (
                m["from_status"].as_str().unwrap().to_owned(),
                m["to_status"].as_str().unwrap().to_owned(),
                m["actor_role"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    let expected = [
        ("draft", "submitted", "admin"),
        ("submitted", "under_review", "partner"),
        ("under_review", "partially_granted", "partner"),
        ("partially_granted", "accepted", "admin"),
    ];
    assert_eq!(
        moves,
        expected
            .map(|(a, b, c)| (a.to_owned(), b.to_owned(), c.to_owned()))
            .to_vec()
    );
    let items = history["items"].as_array().unwrap();
    assert_eq!(items[1]["comment"], "Recibida ✅");
    assert_eq!(items[1]["actor_id"], w.partner_a.id.as_str());
    assert_eq!(items[2]["granted_cents"], 600_000);
    assert!(items[0]["created_at"].as_str().unwrap() <= items[3]["created_at"].as_str().unwrap());
    // The funder's partner reads the history; another funder's does not.
    let res = w
        .app
        .get_as(
            &w.partner_a.token,
            &format!("/api/v1/applications/{a}/history"),
        )
        .await;
    assert_eq!(res.status(), 200);
    let res = w
        .app
        .get_as(
            &w.partner_b.token,
            &format!("/api/v1/applications/{a}/history"),
        )
        .await;
    assert_eq!(res.status(), 404);
    // As CSV too.
    let csv = w
        .app
        .get_csv(&w.admin.token, &format!("/api/v1/applications/{a}/history"))
        .await;
    assert_eq!(csv.lines().count(), 5);
}

#[tokio::test]
async fn submissions_are_accepted_only_while_the_call_is_open() {
    let w = world().await;
    let closed = w
        .app
        .call(&w.admin.token, &w.ministry, -30, -1, json!({}))
        .await;
    let forecast = w
        .app
        .call(&w.admin.token, &w.ministry, 3, 30, json!({}))
        .await;
    for (call, status) in [(&closed, "closed"), (&forecast, "forecast")] {
        let c = w
            .get(&w.admin.token, &format!("/api/v1/calls/{call}"))
            .await;
        assert_eq!(c["status"], status);
        let a = id(&w.app.application(&w.admin.token, call, json!({})).await);
        let res = w
            .app
            .transition(&w.admin.token, &a, json!({"to": "submitted"}))
            .await;
        let p = assert_problem(res, 409, "call_not_open").await;
        assert!(p["detail"].as_str().unwrap().contains(status));
        let a = w
            .get(&w.admin.token, &format!("/api/v1/applications/{a}"))
            .await;
        assert_eq!(a["status"], "draft");
        assert!(a["submitted_at"].is_null());
    }
    let open = w
        .get(&w.admin.token, &format!("/api/v1/calls/{}", w.call))
        .await;
    assert_eq!(open["status"], "open");
    // Instants are shown in Madrid time.
    let opens = open["opens_at"].as_str().unwrap();
    assert!(
        opens.ends_with("+01:00") || opens.ends_with("+02:00"),
        "{opens}"
    );
    let listed = w.get(&w.admin.token, "/api/v1/calls?status=closed").await;
    let ids: Vec<&str> = strs(&listed["items"], "id");
    assert_eq!(ids, [closed.as_str()]);
}

#[tokio::test]
async fn requests_keep_to_the_call_s_maximum_and_co_financing_rate_and_balance() {
    let w = world().await;
    let base = json!({"call_id": w.call, "title": "Solicitud", "eligible_cost_cents": 1_000_001,
        "requested_cents": 800_000, "own_funding_cents": 200_001, "other_aid_cents": 0});
    let with = |patch: Value| {
        let mut b = base.clone();
        for (k, v) in patch.as_object().unwrap() {
            b[k] = v.clone();
        }
        b
    };
    // 80% of 10,000.01 € is 8,000.008 €: 8,000.00 € fits, 8,000.01 € does not.
    let res = w
        .app
        .post_json(&w.admin.token, "/api/v1/applications", &base)
        .await;
    assert_eq!(res.status(), 201);
    let res = w
        .app
        .post_json(
            &w.admin.token,
            "/api/v1/applications",
            &with(json!({"requested_cents": 800_001, "own_funding_cents": 200_000})),
        )
        .await;
    let p = assert_problem(res, 422, "validation_failed").await;
    assert_eq!(p["errors"][0]["code"], "above_cofinancing_rate");
    // Above the call's maximum (100,000 €).
    let res = w
        .app
        .post_json(&w.admin.token, "/api/v1/applications",
            &with(json!({"eligible_cost_cents": 20_000_000, "requested_cents": 10_000_001, "own_funding_cents": 9_999_999})))
        .await;
    let p = assert_problem(res, 422, "validation_failed").await;
    assert_eq!(p["errors"][0]["code"], "above_call_maximum");
    // requested + own + other must be the eligible cost.
    let res = w
        .app
        .post_json(
            &w.admin.token,
            "/api/v1/applications",
            &with(json!({"other_aid_cents": 1})),
        )
        .await;
    let p = assert_problem(res, 422, "validation_failed").await;
    assert_eq!(p["errors"][0]["code"], "unbalanced");
    // Huge values, wrong types, unknown references.
    let res = w
        .app
        .post_json(
            &w.admin.token,
            "/api/v1/applications",
            &with(json!({"eligible_cost_cents": i64::MAX, "requested_cents": i64::MAX})),
        )
        .await;
    assert_eq!(res.status(), 422);
    let res = w
        .app
        .post_json(
            &w.admin.token,
            "/api/v1/applications",
            &with(json!({"requested_cents": "mucho"})),
        )
        .await;
    assert_eq!(res.status(), 400);
    let res = w
        .app
        .post_json(
            &w.admin.token,
            "/api/v1/applications",
            &with(json!({"actions": [{"action_id": uuid::Uuid::new_v4(), "amount_cents": 1}]})),
        )
        .await;
    let p = assert_problem(res, 422, "validation_failed").await;
    assert_eq!(p["errors"][0]["field"], "actions[0].action_id");
    // A grant is held to the same limits: a call lowered after submission.
    let a = id(&w.app.application(&w.admin.token, &w.call, json!({})).await);
    let call = w
        .app
        .get_as(&w.admin.token, &format!("/api/v1/calls/{}", w.call))
        .await;
    let etag = call.headers()["etag"].to_str().unwrap().to_owned();
    let res = w
        .app
        .send_as(
            "PATCH",
            &w.admin.token,
            &format!("/api/v1/calls/{}", w.call),
            Some(&etag),
            Some(&json!({"max_grant_cents": 500_000})),
        )
        .await;
    assert_eq!(res.status(), 200);
    let res = w
        .app
        .transition(&w.admin.token, &a, json!({"to": "submitted"}))
        .await;
    assert_problem(res, 409, "above_call_limits").await;
    let count: Value = w
        .get(&w.admin.token, "/api/v1/applications?status=submitted")
        .await;
    assert_eq!(count["items"].as_array().unwrap().len(), 0);
}

#[tokio::test]
async fn an_action_is_never_funded_above_its_planned_cost() {
    let w = world().await;
    let action = &w.actions["E1.1.1.1"];
    // Each asks 8,000 € of the action's 10,000 €.
    let serve = json!({"actions": [{"action_id": action, "amount_cents": 800_000}]});
    let first = id(&w
        .app
        .application(&w.admin.token, &w.call, serve.clone())
        .await);
    let second = id(&w.app.application(&w.admin.token, &w.call, serve).await);
    for a in [&first, &second] {
        for to in ["submitted", "under_review"] {
            assert_eq!(
                w.app
                    .transition(&w.admin.token, a, json!({"to": to}))
                    .await
                    .status(),
                200
            );
        }
    }
    let res = w
        .app
        .transition(&w.partner_a.token, &first, json!({"to": "granted"}))
        .await;
    assert_eq!(res.status(), 200);
    let res = w
        .app
        .transition(&w.partner_a.token, &second, json!({"to": "granted"}))
        .await;
    let p = assert_problem(res, 409, "double_funding").await;
    let detail = p["detail"].as_str().unwrap();
    assert!(detail.contains("E1.1.1.1"), "{detail}");
    assert!(detail.contains(&first), "{detail}");
    assert!(detail.contains("16000.00 €"), "{detail}");
    let a = w
        .get(&w.admin.token, &format!("/api/v1/applications/{second}"))
        .await;
    assert_eq!(a["status"], "under_review");
    // 2,000 € more fits exactly (this application's part scales with the grant).
    let res = w
        .app
        .transition(
            &w.partner_a.token,
            &second,
            json!({"to": "partially_granted", "granted_cents": 200_000}),
        )
        .await;
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
    // A third one cannot get a cent for the action.
    let third = w
        .under_review(json!({"actions": [{"action_id": action, "amount_cents": 100}]}))
        .await;
    let res = w
        .app
        .transition(&w.partner_a.token, &third, json!({"to": "granted"}))
        .await;
    assert_problem(res, 409, "double_funding").await;
    // A rejected grant frees nothing it never held; a renounced one frees its part.
    let res = w
        .app
        .transition(
            &w.admin.token,
            &first,
            json!({"to": "renounced", "comment": "Renuncia"}),
        )
        .await;
    assert_eq!(res.status(), 200);
    let res = w
        .app
        .transition(&w.partner_a.token, &third, json!({"to": "granted"}))
        .await;
    assert_eq!(res.status(), 200);
}

/// A draft budget of `year` with an expense line; returns (budget, line).
async fn budget_with_expense(w: &World, year: i32) -> (String, String) {
    let cats: Value = w
        .get(&w.admin.token, "/api/v1/budget-categories?limit=100")
        .await;
    let cat = |code: &str| {
        cats["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["code"] == code)
            .unwrap()["id"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    let res = w
        .app
        .post_json(
            &w.admin.token,
            "/api/v1/budgets",
            &json!({"fiscal_year": year, "title": format!("Presupuesto {year}")}),
        )
        .await;
    assert_eq!(res.status(), 201);
    let b = id(&res.json().await.unwrap());
    let res = w
        .app
        .send_as(
            "POST",
            &w.admin.token,
            &format!("/api/v1/budgets/{b}/lines"),
            Some("*"),
            Some(
                &json!({"code": "G-1", "kind": "expense", "category_id": cat("activities_events"),
                "description": "Misión comercial", "planned_cents": 1_000_000}),
            ),
        )
        .await;
    assert_eq!(res.status(), 201);
    let line = id(&res.json().await.unwrap());
    let res = w
        .app
        .send_as("POST", &w.admin.token, &format!("/api/v1/budgets/{b}/lines"), Some("*"),
            Some(&json!({"code": "I-1", "kind": "income", "category_id": cat("membership_fees"),
                "description": "Cuotas", "planned_cents": 300_000, "source_text": "Cuotas de socios"})))
        .await;
    assert_eq!(res.status(), 201);
    (b, line)
}

#[tokio::test]
async fn an_accepted_grant_becomes_income_of_the_years_it_funds() {
    let w = world().await;
    let (budget, line) = budget_with_expense(&w, 2031).await;
    let a = w
        .under_review(json!({"budget_lines": [{"line_id": line, "amount_cents": 800_000}]}))
        .await;
    w.app
        .transition(
            &w.partner_a.token,
            &a,
            json!({"to": "partially_granted", "granted_cents": 654_321}),
        )
        .await;
    // Nothing reaches the budget before the cluster accepts.
    let r = w
        .get(&w.admin.token, &format!("/api/v1/budgets/{budget}/report"))
        .await;
    assert_eq!(r["totals"]["income"]["planned_cents"], 300_000);
    let res = w
        .app
        .transition(&w.admin.token, &a, json!({"to": "accepted"}))
        .await;
    let status = res.status();
    let body: Value = res.json().await.unwrap();
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["income"][0]["fiscal_year"], 2031);
    assert_eq!(body["income"][0]["amount_cents"], 654_321);
    assert_eq!(body["income"][0]["pending"], false);
    let r = w
        .get(&w.admin.token, &format!("/api/v1/budgets/{budget}/report"))
        .await;
    assert_eq!(r["totals"]["income"]["planned_cents"], 300_000 + 654_321);
    let sources = r["income_by_source"].as_array().unwrap();
    let grant = sources.iter().find(|s| s["kind"] == "grant").unwrap();
    assert_eq!(grant["source_id"], a.as_str());
    assert_eq!(grant["planned_cents"], 654_321);
    let sum: i64 = sources
        .iter()
        .map(|s| s["planned_cents"].as_i64().unwrap())
        .sum();
    assert_eq!(
        sum,
        r["totals"]["income"]["planned_cents"].as_i64().unwrap()
    );
    // Drafts are not shown to partners at all.
    let res = w
        .app
        .get_as(
            &w.partner_a.token,
            &format!("/api/v1/budgets/{budget}/lines"),
        )
        .await;
    assert_eq!(res.status(), 404);

    // A year whose only budget is approved: the grant is a pending variance.
    let (approved, line_2032) = budget_with_expense(&w, 2032).await;
    let res = w
        .app
        .send_as(
            "POST",
            &w.admin.token,
            &format!("/api/v1/budgets/{approved}/approval"),
            Some("*"),
            Some(&json!({"approved_on": "2031-12-15", "reference": "Asamblea General 2031"})),
        )
        .await;
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
    let b = w
        .under_review(json!({"budget_lines": [{"line_id": line_2032, "amount_cents": 500_000}]}))
        .await;
    w.app
        .transition(&w.partner_a.token, &b, json!({"to": "granted"}))
        .await;
    let res = w
        .app
        .transition(&w.admin.token, &b, json!({"to": "accepted"}))
        .await;
    assert_eq!(res.status(), 200);
    let r = w
        .get(
            &w.admin.token,
            &format!("/api/v1/budgets/{approved}/report"),
        )
        .await;
    assert_eq!(
        r["totals"]["income"]["planned_cents"], 300_000,
        "the approved budget is frozen"
    );
    assert_eq!(r["pending_income"][0]["application_id"], b.as_str());
    assert_eq!(r["pending_income"][0]["amount_cents"], 800_000);
    assert_eq!(r["pending_income"][0]["variance_cents"], 800_000);
    // The partner sees the approved budget's lines its grant funds, and no other.
    let lines = w
        .get(
            &w.partner_a.token,
            &format!("/api/v1/budgets/{approved}/lines"),
        )
        .await;
    let codes: Vec<&str> = strs(&lines["items"], "code");
    assert_eq!(codes, ["G-1"]);
    let lines = w
        .get(
            &w.partner_b.token,
            &format!("/api/v1/budgets/{approved}/lines"),
        )
        .await;
    assert!(lines["items"].as_array().unwrap().is_empty());
    let res = w
        .app
        .get_as(
            &w.partner_b.token,
            &format!("/api/v1/budget-lines/{line_2032}"),
        )
        .await;
    assert_eq!(res.status(), 404);
    let res = w
        .app
        .get_as(
            &w.partner_a.token,
            &format!("/api/v1/budget-lines/{line_2032}"),
        )
        .await;
    assert_eq!(res.status(), 200);
    // A revision of the year's budget takes the pending grant in as an income line.
    let res = w
        .app
        .post_json(
            &w.admin.token,
            &format!("/api/v1/budgets/{approved}/revisions"),
            &json!({}),
        )
        .await;
    assert_eq!(res.status(), 201);
    let revision = id(&res.json().await.unwrap());
    let r = w
        .get(
            &w.admin.token,
            &format!("/api/v1/budgets/{revision}/report"),
        )
        .await;
    assert_eq!(r["totals"]["income"]["planned_cents"], 300_000 + 800_000);
    assert!(
        r["pending_income"].as_array().unwrap().is_empty(),
        "{}",
        r["pending_income"]
    );
    let a = w
        .get(&w.admin.token, &format!("/api/v1/applications/{b}"))
        .await;
    assert_eq!(a["income"][0]["pending"], false);
    assert_eq!(a["income"][0]["budget_id"], revision.as_str());
    // The line the grant wrote is in the audit log.
    let audit = w
        .get(
            &w.admin.token,
            "/api/v1/audit-events?resource_type=budget_line&limit=100",
        )
        .await;
    assert!(
        audit["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["after"]["planned_cents"] == 800_000),
        "{audit}"
    );
}

#[tokio::test]
async fn grants_naming_one_income_line_add_up_on_it() {
    let w = world().await;
    let (budget, _) = budget_with_expense(&w, 2034).await;
    let lines = w
        .get(&w.admin.token, &format!("/api/v1/budgets/{budget}/lines"))
        .await;
    let income = lines["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["code"] == "I-1")
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    for granted in [300_000, 250_000] {
        let a = w
            .under_review(json!({"budget_lines": [{"line_id": income, "amount_cents": 800_000}]}))
            .await;
        let res = w
            .app
            .transition(
                &w.partner_a.token,
                &a,
                json!({"to": "partially_granted", "granted_cents": granted}),
            )
            .await;
        assert_eq!(res.status(), 200);
        let res = w
            .app
            .transition(&w.admin.token, &a, json!({"to": "accepted"}))
            .await;
        assert_eq!(res.status(), 200);
    }
    let line = w
        .get(&w.admin.token, &format!("/api/v1/budget-lines/{income}"))
        .await;
    assert_eq!(line["planned_cents"], 550_000);
    let r = w
        .get(&w.admin.token, &format!("/api/v1/budgets/{budget}/report"))
        .await;
    let grants: Vec<&Value> = r["income_by_source"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["kind"] == "grant")
        .collect();
    assert_eq!(
        grants.len(),
        1,
        "one line, one source: {}",
        r["income_by_source"]
    );
}

#[tokio::test]
async fn a_funder_may_ask_for_changes_after_its_call_closed() {
    let w = world().await;
    let a = w.app_in("changes_requested").await;
    // The call closes.
    let call = w
        .app
        .get_as(&w.admin.token, &format!("/api/v1/calls/{}", w.call))
        .await;
    let etag = call.headers()["etag"].to_str().unwrap().to_owned();
    let closed = (chrono::Utc::now() - chrono::Duration::hours(1)).to_rfc3339();
    let res = w
        .app
        .send_as(
            "PATCH",
            &w.admin.token,
            &format!("/api/v1/calls/{}", w.call),
            Some(&etag),
            Some(&json!({"closes_at": closed})),
        )
        .await;
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
    // The cluster makes the changes and submits again.
    let res = w
        .app
        .send_as(
            "PATCH",
            &w.admin.token,
            &format!("/api/v1/applications/{a}"),
            Some("*"),
            Some(&json!({"summary": "Memoria técnica completada"})),
        )
        .await;
    assert_eq!(res.status(), 200);
    let res = w
        .app
        .transition(&w.admin.token, &a, json!({"to": "submitted"}))
        .await;
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
    // A new application to the closed call cannot be submitted.
    let late = id(&w.app.application(&w.admin.token, &w.call, json!({})).await);
    let res = w
        .app
        .transition(&w.admin.token, &late, json!({"to": "submitted"}))
        .await;
    assert_problem(res, 409, "call_not_open").await;
    // Withdrawn before ever being submitted: the funder never sees it.
    let res = w
        .app
        .transition(
            &w.admin.token,
            &late,
            json!({"to": "withdrawn", "comment": "No llegamos"}),
        )
        .await;
    assert_eq!(res.status(), 200);
    assert_eq!(
        w.app
            .get_as(&w.partner_a.token, &format!("/api/v1/applications/{late}"))
            .await
            .status(),
        404
    );
    let listed = w
        .get(&w.partner_a.token, "/api/v1/applications?status=withdrawn")
        .await;
    assert!(listed["items"].as_array().unwrap().is_empty());
    // The history is never rewritten, even in SQL.
    let err = w
        .app
        .sql_result(&format!(
            "UPDATE application_transitions SET comment = 'x' WHERE application_id = '{a}'"
        ))
        .await
        .unwrap_err();
    assert!(err.contains("never changed"), "{err}");
}

#[tokio::test]
async fn double_funding_is_counted_across_versions_of_the_plan() {
    let w = world().await;
    // The plan's approved version.
    let plans = w.get(&w.admin.token, "/api/v1/plans?status=approved").await;
    let plan = plans["items"][0]["id"].as_str().unwrap().to_owned();
    let old_action = w.actions["E2.1.1.1"].clone();
    let first = w
        .under_review(json!({"actions": [{"action_id": old_action, "amount_cents": 800_000}]}))
        .await;
    assert_eq!(
        w.app
            .transition(&w.partner_a.token, &first, json!({"to": "granted"}))
            .await
            .status(),
        200
    );
    // A revision of the plan, approved: the same action has a new id.
    let res = w
        .app
        .send_as(
            "POST",
            &w.admin.token,
            &format!("/api/v1/plans/{plan}/revisions"),
            Some("*"),
            None,
        )
        .await;
    assert_eq!(res.status(), 201);
    let revision = id(&res.json().await.unwrap());
    let new_action = w.app.plan_ids(&w.admin.token, &revision).await["E2.1.1.1"].clone();
    assert_ne!(new_action, old_action);
    // While the revision is a draft its actions are not served.
    let res = w
        .app
        .post_json(&w.admin.token, "/api/v1/applications", &json!({"call_id": w.call, "title": "Otra",
            "eligible_cost_cents": 1_000_000, "requested_cents": 800_000, "own_funding_cents": 200_000,
            "other_aid_cents": 0, "actions": [{"action_id": new_action, "amount_cents": 800_000}]}))
        .await;
    let p = assert_problem(res, 422, "validation_failed").await;
    assert_eq!(p["errors"][0]["code"], "not_in_approved_plan");
    w.app.approve_plan(&w.admin, &revision).await;
    let second = w
        .under_review(json!({"actions": [{"action_id": new_action, "amount_cents": 800_000}]}))
        .await;
    let res = w
        .app
        .transition(&w.partner_a.token, &second, json!({"to": "granted"}))
        .await;
    let p = assert_problem(res, 409, "double_funding").await;
    assert!(p["detail"].as_str().unwrap().contains(&first), "{p}");
}

#[tokio::test]
async fn agreements_link_instalments_to_income_lines_and_show_as_a_source() {
    let w = world().await;
    let (budget, _) = budget_with_expense(&w, 2033).await;
    let lines = w
        .get(&w.admin.token, &format!("/api/v1/budgets/{budget}/lines"))
        .await;
    let income = lines["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["code"] == "I-1")
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let expense = lines["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["code"] == "G-1")
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let body = json!({"funder_id": w.council, "title": "Convenio 2032/2033", "reference": "CONV-2032",
        "starts_on": "2032-01-01", "ends_on": "2033-12-31", "total_cents": 600_000,
        "instalments": [{"fiscal_year": 2032, "amount_cents": 300_000},
                        {"fiscal_year": 2033, "amount_cents": 300_000, "budget_line_id": income,
                         "justification_due_on": "2034-03-31"}]});
    // An expense line, a line of another year, instalments above the total: 422.
    for (i, key, value) in [
        (1, "budget_line_id", json!(expense)),
        (0, "budget_line_id", json!(income)),
        (1, "amount_cents", json!(300_001)),
        (1, "fiscal_year", json!(2034)),
    ] {
        let mut bad = body.clone();
        bad["instalments"][i][key] = value;
        let res = w
            .app
            .post_json(&w.admin.token, "/api/v1/agreements", &bad)
            .await;
        assert_problem(res, 422, "validation_failed").await;
    }
    let res = w
        .app
        .post_json(&w.admin.token, "/api/v1/agreements", &body)
        .await;
    let status = res.status();
    let agreement: Value = res.json().await.unwrap();
    assert_eq!(status, 201, "{agreement}");
    assert_eq!(agreement["instalments"].as_array().unwrap().len(), 2);
    let res = w
        .app
        .post_json(&w.admin.token, "/api/v1/agreements", &body)
        .await;
    assert_problem(res, 409, "reference_taken").await;
    let r = w
        .get(&w.admin.token, &format!("/api/v1/budgets/{budget}/report"))
        .await;
    let sources = r["income_by_source"].as_array().unwrap();
    assert_eq!(sources.len(), 1);
    assert_eq!(sources[0]["kind"], "agreement");
    assert_eq!(sources[0]["source_id"], agreement["id"]);
    // Partners see their own agreements only.
    let mine = w.get(&w.partner_b.token, "/api/v1/agreements").await;
    assert_eq!(mine["items"].as_array().unwrap().len(), 1);
    let theirs = w.get(&w.partner_a.token, "/api/v1/agreements").await;
    assert!(theirs["items"].as_array().unwrap().is_empty());
    let res = w
        .app
        .get_as(
            &w.partner_a.token,
            &format!("/api/v1/agreements/{}", agreement["id"].as_str().unwrap()),
        )
        .await;
    assert_eq!(res.status(), 404);
    // Member representatives do not see agreements.
    let listed = w.get(&w.rep.token, "/api/v1/agreements").await;
    assert!(listed["items"].as_array().unwrap().is_empty());
    let path = format!("/api/v1/agreements/{}", agreement["id"].as_str().unwrap());
    assert_eq!(w.app.get_as(&w.rep.token, &path).await.status(), 404);
}

#[tokio::test]
async fn partners_and_members_see_only_what_concerns_them() {
    let w = world().await;
    let council_call = w
        .app
        .call(&w.admin.token, &w.council, -1, 10, json!({}))
        .await;
    let other = w
        .app
        .member(
            &w.admin,
            "Estudio Ñandú, S.L.",
            &agrupa::domain::tax_id::make_cif('B', 7_100_002),
        )
        .await;
    let led = id(&w
        .app
        .application(&w.admin.token, &w.call, json!({"lead_member_id": w.member}))
        .await);
    let joined = id(&w
        .app
        .application(
            &w.admin.token,
            &w.call,
            json!({"lead_member_id": other, "participant_ids": [w.member]}),
        )
        .await);
    let unrelated = id(&w
        .app
        .application(
            &w.admin.token,
            &council_call,
            json!({"lead_member_id": other}),
        )
        .await);
    let listed = |v: Value| -> Vec<String> {
        v["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a["id"].as_str().unwrap().to_owned())
            .collect()
    };
    // The representative: what their organisation leads or takes part in.
    let mut seen = listed(w.get(&w.rep.token, "/api/v1/applications").await);
    seen.sort();
    let mut expected = vec![led.clone(), joined.clone()];
    expected.sort();
    assert_eq!(seen, expected);
    assert_eq!(
        w.app
            .get_as(&w.rep.token, &format!("/api/v1/applications/{unrelated}"))
            .await
            .status(),
        404
    );
    assert_eq!(
        w.app
            .get_as(&w.rep.token, &format!("/api/v1/applications/{joined}"))
            .await
            .status(),
        200
    );
    // Partners: nothing while drafts; then only applications to their funder's calls.
    assert!(listed(w.get(&w.partner_a.token, "/api/v1/applications").await).is_empty());
    assert_eq!(
        w.app
            .get_as(&w.partner_a.token, &format!("/api/v1/applications/{led}"))
            .await
            .status(),
        404
    );
    for a in [&led, &joined, &unrelated] {
        assert_eq!(
            w.app
                .transition(&w.admin.token, a, json!({"to": "submitted"}))
                .await
                .status(),
            200
        );
    }
    let mut seen = listed(w.get(&w.partner_a.token, "/api/v1/applications").await);
    seen.sort();
    assert_eq!(seen, expected);
    assert_eq!(
        listed(w.get(&w.partner_b.token, "/api/v1/applications").await),
        std::slice::from_ref(&unrelated)
    );
    assert_eq!(
        w.app
            .get_as(&w.partner_b.token, &format!("/api/v1/applications/{led}"))
            .await
            .status(),
        404
    );
    // Calls: partners see their own; everyone else all.
    let calls = listed(w.get(&w.partner_b.token, "/api/v1/calls").await);
    assert_eq!(calls, std::slice::from_ref(&council_call));
    let res = w
        .app
        .get_as(
            &w.partner_b.token,
            &format!("/api/v1/calls?funder_id={}", w.ministry),
        )
        .await;
    assert!(listed(res.json().await.unwrap()).is_empty());
    assert_eq!(
        w.app
            .get_as(&w.partner_b.token, &format!("/api/v1/calls/{}", w.call))
            .await
            .status(),
        404
    );
    assert_eq!(listed(w.get(&w.rep.token, "/api/v1/calls").await).len(), 2);
    // Filters.
    let by_call = listed(
        w.get(
            &w.admin.token,
            &format!("/api/v1/applications?call_id={council_call}"),
        )
        .await,
    );
    assert_eq!(by_call, [unrelated]);
    // Only staff create or change funding records.
    let res = w
        .app
        .post_json(&w.partner_a.token, "/api/v1/calls", &json!({}))
        .await;
    assert!(res.status() == 403 || res.status() == 400);
}

#[tokio::test]
async fn documents_are_checked_stored_with_their_checksum_and_downloaded_intact() {
    let app = spawn_app_with(|c| c.document_max_bytes = 64 * 1024).await;
    let admin = app.admin().await;
    let funder = app.funder(&admin.token, "Ministerio").await;
    let other = app.funder(&admin.token, "Otra entidad").await;
    let call = app.call(&admin.token, &funder, -1, 10, json!({})).await;
    let a = id(&app.application(&admin.token, &call, json!({})).await);
    let pdf = b"%PDF-1.7\n% Memoria t\xc3\xa9cnica\n%%EOF\n".to_vec();
    let res = app
        .upload(
            &admin.token,
            &a,
            "Memoria técnica 🎬.pdf",
            "application/pdf",
            &pdf,
            Some("Memoria ñ"),
        )
        .await;
    let status = res.status();
    let doc: Value = res.json().await.unwrap();
    assert_eq!(status, 201, "{doc}");
    let sha = {
        use sha2::Digest;
        sha2::Sha256::digest(&pdf)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect::<String>()
    };
    assert_eq!(doc["sha256"], sha.as_str());
    assert_eq!(doc["size_bytes"], pdf.len());
    assert_eq!(doc["filename"], "Memoria técnica 🎬.pdf");
    assert_eq!(doc["description"], "Memoria ñ");
    let res = app
        .get_as(&admin.token, doc["content_url"].as_str().unwrap())
        .await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["content-type"], "application/pdf");
    assert_eq!(
        res.headers()["etag"].to_str().unwrap(),
        format!("\"{sha}\"")
    );
    assert!(
        res.headers()["repr-digest"]
            .to_str()
            .unwrap()
            .starts_with("sha-256=:")
    );
    assert!(
        res.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .contains("UTF-8''Memoria%20t%C3%A9cnica")
    );
    assert_eq!(res.bytes().await.unwrap().to_vec(), pdf);
    // Limits and checks; none leaves anything behind.
    let big = [b"%PDF-".to_vec(), vec![b'x'; 64 * 1024]].concat();
    let res = app
        .upload(
            &admin.token,
            &a,
            "grande.pdf",
            "application/pdf",
            &big,
            None,
        )
        .await;
    assert_problem(res, 413, "document_too_large").await;
    let res = app
        .upload(
            &admin.token,
            &a,
            "falso.pdf",
            "application/pdf",
            b"MZ\x90\x00",
            None,
        )
        .await;
    assert_problem(res, 422, "content_mismatch").await;
    let res = app
        .upload(
            &admin.token,
            &a,
            "virus.exe",
            "application/x-msdownload",
            b"MZ\x90\x00",
            None,
        )
        .await;
    assert_problem(res, 415, "unsupported_document_type").await;
    let res = app
        .post_json(
            &admin.token,
            &format!("/api/v1/applications/{a}/documents"),
            &json!({}),
        )
        .await;
    assert_eq!(res.status(), 415);
    let listed: Value = app
        .get_as(&admin.token, &format!("/api/v1/applications/{a}/documents"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(listed["items"].as_array().unwrap().len(), 1);
    // The call's funder may add and read documents; another funder sees nothing.
    let partner = app
        .user_with(&admin, "partner", json!({"funder_id": funder}))
        .await;
    let stranger = app
        .user_with(&admin, "partner", json!({"funder_id": other}))
        .await;
    app.transition(&admin.token, &a, json!({"to": "submitted"}))
        .await;
    let res = app
        .upload(
            &partner.token,
            &a,
            "requerimiento.txt",
            "text/plain",
            "Falta la memoria económica.".as_bytes(),
            None,
        )
        .await;
    assert_eq!(res.status(), 201);
    let res = app
        .get_as(&stranger.token, doc["content_url"].as_str().unwrap())
        .await;
    assert_eq!(res.status(), 404);
    let res = app
        .upload(&stranger.token, &a, "x.txt", "text/plain", b"x", None)
        .await;
    assert_eq!(res.status(), 404);
}

#[tokio::test]
async fn documents_can_live_on_disk_behind_the_same_interface() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().to_path_buf();
    let app = spawn_app_with(move |c| c.document_dir = Some(path)).await;
    let admin = app.admin().await;
    let funder = app.funder(&admin.token, "Ministerio").await;
    let call = app.call(&admin.token, &funder, -1, 10, json!({})).await;
    let a = id(&app.application(&admin.token, &call, json!({})).await);
    let png = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR".to_vec();
    let res = app
        .upload(&admin.token, &a, "logo.png", "image/png", &png, None)
        .await;
    let doc: Value = res.json().await.unwrap();
    let stored = std::fs::read(dir.path().join(doc["id"].as_str().unwrap())).unwrap();
    assert_eq!(stored, png);
    let res = app
        .get_as(&admin.token, doc["content_url"].as_str().unwrap())
        .await;
    assert_eq!(res.bytes().await.unwrap().to_vec(), png);
    // An altered copy is never served as the original.
    std::fs::write(
        dir.path().join(doc["id"].as_str().unwrap()),
        b"\x89PNG\r\n\x1a\nalterado",
    )
    .unwrap();
    let res = app
        .get_as(&admin.token, doc["content_url"].as_str().unwrap())
        .await;
    assert_eq!(res.status(), 500);
}

#[tokio::test]
async fn deadlines_list_what_is_due_in_the_window_by_date_for_the_caller() {
    let w = world().await;
    let today = chrono::Utc::now().date_naive();
    let day = |n: u64| (today + chrono::Days::new(n)).to_string();
    // A call closing in 5 days, an agreement instalment due in 10, a grant due in 20.
    let call = w
        .app
        .call(&w.admin.token, &w.ministry, -1, 5, json!({}))
        .await;
    let res = w
        .app
        .post_json(&w.admin.token, "/api/v1/agreements", &json!({"funder_id": w.council,
            "title": "Convenio con plazos", "starts_on": "2020-01-01", "ends_on": day(400), "total_cents": 100,
            "instalments": [{"fiscal_year": 2020, "amount_cents": 100, "justification_due_on": day(10)}]}))
        .await;
    assert_eq!(res.status(), 201);
    let a = w.app_in("under_review").await;
    let res = w
        .app
        .transition(
            &w.partner_a.token,
            &a,
            json!({"to": "granted", "justification_due_on": day(20)}),
        )
        .await;
    assert_eq!(res.status(), 200);
    let res = w
        .app
        .transition(&w.admin.token, &a, json!({"to": "accepted"}))
        .await;
    assert_eq!(res.status(), 200);
    let d = w
        .get(&w.admin.token, "/api/v1/deadlines?within_days=15")
        .await;
    let kinds: Vec<&str> = strs(&d["items"], "kind");
    assert_eq!(kinds, ["call_closes", "instalment_justification"], "{d}");
    assert_eq!(d["items"][0]["resource_id"], call.as_str());
    let d = w
        .get(&w.admin.token, "/api/v1/deadlines?within_days=25")
        .await;
    let kinds: Vec<&str> = strs(&d["items"], "kind");
    assert_eq!(
        kinds,
        [
            "call_closes",
            "instalment_justification",
            "application_justification"
        ]
    );
    let dates: Vec<&str> = strs(&d["items"], "date");
    let mut sorted = dates.clone();
    sorted.sort();
    assert_eq!(dates, sorted);
    // Each partner sees its own institution's.
    let d = w
        .get(&w.partner_b.token, "/api/v1/deadlines?within_days=25")
        .await;
    let kinds: Vec<&str> = strs(&d["items"], "kind");
    assert_eq!(kinds, ["instalment_justification"]);
    let d = w
        .get(&w.partner_a.token, "/api/v1/deadlines?within_days=25")
        .await;
    let kinds: Vec<&str> = strs(&d["items"], "kind");
    assert_eq!(kinds, ["call_closes", "application_justification"]);
    let csv = w
        .app
        .get_csv(&w.admin.token, "/api/v1/deadlines?within_days=25")
        .await;
    let rows: Vec<&str> = csv.lines().collect();
    assert_eq!(rows.len(), 4, "{csv}");
    assert!(rows[1].contains("call_closes"), "{csv}");
    let res = w
        .app
        .get_as(&w.admin.token, "/api/v1/deadlines?within_days=-1")
        .await;
    assert_eq!(res.status(), 400);
    let res = w
        .app
        .get_as(
            &w.admin.token,
            "/api/v1/deadlines?within_days=99999999999999999999",
        )
        .await;
    assert_eq!(res.status(), 400);
}

#[tokio::test]
async fn funders_are_unique_and_link_partner_users() {
    let w = world().await;
    let res = w
        .app
        .post_json(
            &w.admin.token,
            "/api/v1/funders",
            &json!({"name": "Ayuntamiento de Madrid", "kind": "city_council"}),
        )
        .await;
    assert_problem(res, 409, "name_taken").await;
    let res = w
        .app
        .post_json(&w.admin.token, "/api/v1/funders",
            &json!({"name": "Comunidad de Madrid", "kind": "regional_government", "tax_id": "no vale"}))
        .await;
    assert_problem(res, 422, "validation_failed").await;
    let res = w
        .app
        .post_json(&w.admin.token, "/api/v1/funders",
            &json!({"name": "Comisión Europea", "kind": "eu", "tax_id": "BE0949383342", "website": "https://commission.europa.eu"}))
        .await;
    assert_eq!(res.status(), 201);
    // A partner cannot belong to a funder that does not exist.
    let res = w
        .app
        .post_json(&w.admin.token, "/api/v1/users", &json!({"email": "p@x.es", "display_name": "P",
            "role": "partner", "password": "una contraseña bastante larga", "funder_id": uuid::Uuid::new_v4()}))
        .await;
    assert_eq!(res.status(), 422);
    let f = w
        .app
        .get_as(&w.admin.token, &format!("/api/v1/funders/{}", w.council))
        .await;
    let etag = f.headers()["etag"].to_str().unwrap().to_owned();
    let res = w
        .app
        .send_as(
            "PATCH",
            &w.admin.token,
            &format!("/api/v1/funders/{}", w.council),
            None,
            Some(&json!({"website": "https://www.madrid.es"})),
        )
        .await;
    assert_eq!(res.status(), 428);
    let res = w
        .app
        .send_as(
            "PATCH",
            &w.admin.token,
            &format!("/api/v1/funders/{}", w.council),
            Some(&etag),
            Some(&json!({"website": "https://www.madrid.es"})),
        )
        .await;
    assert_eq!(res.status(), 200);
    let res = w
        .app
        .send_as(
            "PATCH",
            &w.admin.token,
            &format!("/api/v1/funders/{}", w.council),
            Some(&etag),
            Some(&json!({"website": "https://otra.es"})),
        )
        .await;
    assert_eq!(res.status(), 412);
}

#[tokio::test]
async fn the_demo_funding_is_consistent_with_the_demo_plan_and_budget() {
    use diesel_async::AsyncConnection;
    let app = spawn_app().await;
    let admin = app.admin().await;
    let mut conn = diesel_async::AsyncPgConnection::establish(&app.db_url)
        .await
        .unwrap();
    agrupa::seed::demo::seed(&mut conn).await.unwrap();
    let get = |path: String| {
        let app = &app;
        let token = admin.token.clone();
        async move {
            let res = app.get_as(&token, &path).await;
            assert_eq!(res.status(), 200, "{path}");
            res.json::<Value>().await.unwrap()
        }
    };
    let funders = get("/api/v1/funders".into()).await;
    assert_eq!(funders["items"].as_array().unwrap().len(), 2);
    let apps = get("/api/v1/applications".into()).await;
    let statuses: std::collections::BTreeSet<&str> =
        strs(&apps["items"], "status").into_iter().collect();
    assert_eq!(
        statuses,
        ["accepted", "draft", "rejected", "submitted"]
            .into_iter()
            .collect()
    );
    let accepted = apps["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["status"] == "accepted")
        .unwrap();
    let a = get(format!(
        "/api/v1/applications/{}",
        accepted["id"].as_str().unwrap()
    ))
    .await;
    assert_eq!(a["actions"].as_array().unwrap().len(), 2);
    assert_eq!(a["budget_lines"].as_array().unwrap().len(), 2);
    assert_eq!(a["income"][0]["fiscal_year"], 2025);
    let history = get(format!(
        "/api/v1/applications/{}/history",
        a["id"].as_str().unwrap()
    ))
    .await;
    assert_eq!(history["items"].as_array().unwrap().len(), 4);
    let docs = get(format!(
        "/api/v1/applications/{}/documents",
        a["id"].as_str().unwrap()
    ))
    .await;
    let content = app
        .get_as(
            &admin.token,
            docs["items"][0]["content_url"].as_str().unwrap(),
        )
        .await;
    assert_eq!(content.status(), 200);
    // The 2025 budget's income: fees, the council's agreement, the AEI grant, services.
    let budgets = get("/api/v1/budgets?fiscal_year=2025".into()).await;
    let b = budgets["items"][0]["id"].as_str().unwrap().to_owned();
    let r = get(format!("/api/v1/budgets/{b}/report")).await;
    let kinds: std::collections::BTreeSet<&str> =
        strs(&r["income_by_source"], "kind").into_iter().collect();
    assert_eq!(
        kinds,
        ["agreement", "fees", "grant", "other"]
            .into_iter()
            .collect()
    );
    let sum: i64 = r["income_by_source"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["planned_cents"].as_i64().unwrap())
        .sum();
    assert_eq!(
        sum,
        r["totals"]["income"]["planned_cents"].as_i64().unwrap()
    );
    let grant = r["income_by_source"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["kind"] == "grant")
        .unwrap();
    assert_eq!(grant["source_id"], a["id"]);
    assert_eq!(grant["planned_cents"], a["granted_cents"]);
    assert!(r["pending_income"].as_array().unwrap().is_empty());
}

#[tokio::test]
async fn a_retried_upload_with_an_idempotency_key_stores_one_document() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let funder = app.funder(&admin.token, "Ministerio").await;
    let call = app.call(&admin.token, &funder, -1, 10, json!({})).await;
    let a = id(&app.application(&admin.token, &call, json!({})).await);
    // Larger than the JSON body limit (1 MiB), within the document limit (10 MiB).
    let pdf = [b"%PDF-1.7\n".to_vec(), vec![b'0'; 2 * 1024 * 1024]].concat();
    let mut ids = Vec::new();
    // A client builds the form again for the retry, with a new random boundary.
    for boundary in ["b-7d1f", "b-0c3e9a"] {
        let mut body = format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"memoria.pdf\"\r\nContent-Type: application/pdf\r\n\r\n"
        )
        .into_bytes();
        body.extend_from_slice(&pdf);
        body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
        let res = app
            .client
            .post(app.url(&format!("/api/v1/applications/{a}/documents")))
            .bearer_auth(&admin.token)
            .header(
                "content-type",
                format!("multipart/form-data; boundary={boundary}"),
            )
            .header("idempotency-key", "subida-memoria-1")
            .body(body)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 201);
        ids.push(res.json::<Value>().await.unwrap()["id"].clone());
    }
    assert_eq!(ids[0], ids[1]);
    let listed: Value = app
        .get_as(&admin.token, &format!("/api/v1/applications/{a}/documents"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(listed["items"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn two_grants_decided_at_once_cannot_both_overfund_an_action() {
    let w = world().await;
    let action = &w.actions["E1.2.1.1"];
    let serve = json!({"actions": [{"action_id": action, "amount_cents": 600_000}]});
    let mut apps = Vec::new();
    for _ in 0..2 {
        let a = w.under_review(serve.clone()).await;
        apps.push(a);
    }
    let (r1, r2) = tokio::join!(
        w.app
            .transition(&w.partner_a.token, &apps[0], json!({"to": "granted"})),
        w.app
            .transition(&w.partner_a.token, &apps[1], json!({"to": "granted"})),
    );
    let mut statuses = [r1.status().as_u16(), r2.status().as_u16()];
    statuses.sort();
    assert_eq!(statuses, [200, 409]);
    let granted: Value = w
        .get(&w.admin.token, "/api/v1/applications?status=granted")
        .await;
    assert_eq!(granted["items"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn a_funder_s_system_follows_and_decides_its_applications_by_api_client() {
    let w = world().await;
    let res = w
        .app
        .post_json(
            &w.admin.token,
            "/api/v1/api-clients",
            &json!({"name": "Sede electrónica del Ministerio",
            "funder_id": w.ministry, "scopes": ["funding:read", "funding:write"]}),
        )
        .await;
    assert_eq!(res.status(), 201);
    let client: Value = res.json().await.unwrap();
    let tokens: Value = w
        .app
        .token_form(&[
            ("grant_type", "client_credentials"),
            ("client_id", client["client_id"].as_str().unwrap()),
            ("client_secret", client["client_secret"].as_str().unwrap()),
        ])
        .await
        .json()
        .await
        .unwrap();
    let token = tokens["access_token"].as_str().unwrap();
    let a = w.app_in("submitted").await;
    let listed = w.get(token, "/api/v1/applications?status=submitted").await;
    assert_eq!(listed["items"][0]["id"], a.as_str());
    let res = w
        .app
        .transition(token, &a, json!({"to": "under_review"}))
        .await;
    assert_eq!(res.status(), 200);
    let history = w
        .get(&w.admin.token, &format!("/api/v1/applications/{a}/history"))
        .await;
    assert_eq!(history["items"][1]["actor_kind"], "api_client");
    assert_eq!(history["items"][1]["actor_id"], client["id"]);
    // The forecast and open filters are the call's status now.
    let forecast = w
        .app
        .call(&w.admin.token, &w.ministry, 3, 30, json!({}))
        .await;
    let listed = w.get(token, "/api/v1/calls?status=forecast").await;
    let ids: Vec<&str> = strs(&listed["items"], "id");
    assert_eq!(ids, [forecast.as_str()]);
    let listed = w.get(token, "/api/v1/calls?status=open").await;
    assert_eq!(listed["items"][0]["id"], w.call.as_str());
    assert_eq!(listed["items"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn a_line_an_application_funds_is_not_deleted_under_it() {
    let w = world().await;
    let (budget, line) = budget_with_expense(&w, 2035).await;
    w.app
        .application(
            &w.admin.token,
            &w.call,
            json!({"budget_lines": [{"line_id": line, "amount_cents": 100_000}]}),
        )
        .await;
    let res = w
        .app
        .send_as(
            "DELETE",
            &w.admin.token,
            &format!("/api/v1/budget-lines/{line}"),
            Some("*"),
            None,
        )
        .await;
    assert_problem(res, 409, "line_in_use").await;
    let res = w
        .app
        .send_as(
            "DELETE",
            &w.admin.token,
            &format!("/api/v1/budgets/{budget}"),
            Some("*"),
            None,
        )
        .await;
    assert_problem(res, 409, "line_in_use").await;
    assert_eq!(
        w.app
            .get_as(&w.admin.token, &format!("/api/v1/budget-lines/{line}"))
            .await
            .status(),
        200
    );
}
