//! Funding: funders, calls, agreements, applications and their state machine, money into
//! the budget, documents, deadlines and who sees what.

mod agreements;
mod applications;
mod documents;
mod grants;
mod justification;
mod rules;
mod transitions;
mod visibility;

use std::ops::Deref;

use agrupa::domain::tax_id::make_cif;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::support::{
    TestApp, TestUser,
    plans::{NodeIds, plan_doc},
    spawn_app,
};

/// A funder with an open call, and another funder.
struct Calls {
    app: TestApp,
    admin: TestUser,
    /// The ministry (funder A) and its open call.
    ministry: Uuid,
    call: Uuid,
    /// Another funder.
    council: Uuid,
}

async fn calls() -> Calls {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let ministry = app
        .new_funder(&admin.token, "Ministerio de Industria y Turismo")
        .await;
    let council = app.new_funder(&admin.token, "Ayuntamiento de Madrid").await;
    let call = app.new_call(&admin.token, ministry, -5, 30).await;
    Calls {
        app,
        admin,
        ministry,
        call,
        council,
    }
}

/// [`Calls`] with the people and plan around them.
struct World {
    calls: Calls,
    /// Partner users of each funder.
    partner_a: TestUser,
    partner_b: TestUser,
    /// A member organisation and its representative.
    member: Uuid,
    rep: TestUser,
    /// Actions of an approved plan (planned 10,000 € each), by code.
    actions: NodeIds,
}

impl Deref for World {
    type Target = Calls;

    fn deref(&self) -> &Calls {
        &self.calls
    }
}

async fn world() -> World {
    let calls = calls().await;
    let (app, admin) = (&calls.app, &calls.admin);
    let partner_a = app
        .user_with(admin, "partner", json!({"funder_id": calls.ministry}))
        .await;
    let partner_b = app
        .user_with(admin, "partner", json!({"funder_id": calls.council}))
        .await;
    let member = app
        .new_member(
            &admin.token,
            "Producciones Añil, S.L.",
            &make_cif('B', 7_100_001),
        )
        .await;
    let rep = app
        .user_with(admin, "member", json!({"member_id": member}))
        .await;
    let (_, actions) = app.new_approved_plan(admin, &plan_doc("")).await;
    World {
        calls,
        partner_a,
        partner_b,
        member,
        rep,
        actions,
    }
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

impl Calls {
    /// A new application of the open call, moved to `status` by the admin.
    async fn app_in(&self, status: &str) -> Uuid {
        let t = &self.admin.token;
        let a = self.app.new_application(t, self.call, &json!({})).await.id;
        for to in path_to(status) {
            self.app.transition_with(t, a, &body_for(to)).await;
        }
        a
    }

    /// A new application of the open call with `extra`, moved to `under_review` by the admin.
    async fn under_review(&self, extra: Value) -> Uuid {
        let t = &self.admin.token;
        let a = self.app.new_application(t, self.call, &extra).await.id;
        for to in ["submitted", "under_review"] {
            self.app.transition_to(t, a, to).await;
        }
        a
    }

    /// A draft budget of `year` with an expense line G-1 (10,000 €) and an income line I-1
    /// (3,000 €): (budget, expense line).
    async fn budget_with_expense(&self, year: i32) -> (Uuid, Uuid) {
        let t = &self.admin.token;
        let cats = self.app.budget_categories(t).await;
        let b = self
            .app
            .create_budget(
                t,
                &json!({"fiscal_year": year, "title": format!("Presupuesto {year}")}),
            )
            .await
            .id;
        let line = self
            .app
            .add_line(
                t,
                b,
                &json!({"code": "G-1", "kind": "expense", "category_id": cats["activities_events"],
                "description": "Misión comercial", "planned_cents": 1_000_000}),
            )
            .await
            .id;
        self.app
            .add_line(
                t,
                b,
                &json!({"code": "I-1", "kind": "income", "category_id": cats["membership_fees"],
                "description": "Cuotas", "planned_cents": 300_000, "source_text": "Cuotas de socios"}),
            )
            .await;
        (b, line)
    }

    /// The id of the line with `code` of a budget.
    async fn line_of(&self, budget: Uuid, code: &str) -> Uuid {
        let lines = self.app.budget_lines(&self.admin.token, budget).await;
        lines.into_iter().find(|l| l.code == code).unwrap().id
    }
}
