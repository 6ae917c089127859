//! Rules of funding that hold by construction: visibility is decided before any
//! precondition (a caller who may not see an application gets 404, never 412, and takes no
//! lock), and the state machine is written once (the database trigger and
//! `ApplicationStatus::edge` agree on every pair of statuses).

use agrupa::funding::model::ApplicationStatus;
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use serde_json::{Value, json};

use crate::helpers::{TestApp, TestUser, assert_problem, spawn_app};

/// A stale ETag: no resource here is ever at version 999.
const STALE: &str = "\"999\"";

struct Setup {
    app: TestApp,
    admin: TestUser,
    /// The ministry (funder A), its open call and one of its agreements.
    ministry: String,
    call: String,
    agreement: String,
    /// Partner users of the ministry and of another funder (the city council).
    partner_a: TestUser,
    partner_b: TestUser,
}

async fn setup() -> Setup {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let ministry = app
        .funder(&admin.token, "Ministerio de Industria y Turismo")
        .await;
    let council = app.funder(&admin.token, "Ayuntamiento de Madrid").await;
    let call = app.call(&admin.token, &ministry, -5, 30, json!({})).await;
    let res = app
        .post_json(
            &admin.token,
            "/api/v1/agreements",
            &json!({"funder_id": ministry, "title": "Convenio 2025", "starts_on": "2025-01-01",
                "ends_on": "2025-12-31", "total_cents": 1_000_000}),
        )
        .await;
    assert_eq!(res.status(), 201, "create agreement");
    let agreement = res.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let partner_a = app
        .user_with(&admin, "partner", json!({"funder_id": ministry}))
        .await;
    let partner_b = app
        .user_with(&admin, "partner", json!({"funder_id": council}))
        .await;
    Setup {
        app,
        admin,
        ministry,
        call,
        agreement,
        partner_a,
        partner_b,
    }
}

impl Setup {
    /// A new application to the ministry's call, submitted when `submit`; its id.
    async fn application(&self, submit: bool) -> String {
        let a = self
            .app
            .application(&self.admin.token, &self.call, json!({}))
            .await;
        let id = a["id"].as_str().unwrap().to_owned();
        if submit {
            let res = self
                .app
                .transition(&self.admin.token, &id, json!({"to": "submitted"}))
                .await;
            assert_eq!(res.status(), 200, "submit");
        }
        id
    }

    /// The application as the admin reads it.
    async fn read(&self, id: &str) -> Value {
        let res = self
            .app
            .get_as(&self.admin.token, &format!("/api/v1/applications/{id}"))
            .await;
        assert_eq!(res.status(), 200);
        res.json().await.unwrap()
    }

    /// A move asked by `who` with `If-Match: <if_match>`.
    async fn move_as(&self, who: &TestUser, id: &str, if_match: &str) -> reqwest::Response {
        self.app
            .send_as(
                "POST",
                &who.token,
                &format!("/api/v1/applications/{id}/transitions"),
                Some(if_match),
                Some(&json!({"to": "under_review"})),
            )
            .await
    }
}

#[tokio::test]
async fn a_partner_of_another_funder_gets_404_not_412_on_a_move_with_a_stale_if_match() {
    let s = setup().await;
    let id = s.application(true).await;
    let before = s.read(&id).await;
    let res = s.move_as(&s.partner_b, &id, STALE).await;
    assert_problem(res, 404, "not_found").await;
    // The funder it was submitted to sees it: its stale tag is what fails.
    let res = s.move_as(&s.partner_a, &id, STALE).await;
    assert_problem(res, 412, "precondition_failed").await;
    assert_eq!(s.read(&id).await, before, "nothing changed");
    // Whatever its tag, the funder's move goes through.
    let res = s.move_as(&s.partner_a, &id, "*").await;
    assert_eq!(res.status(), 200);
}

#[tokio::test]
async fn a_funder_does_not_see_a_draft_of_its_call_even_with_a_stale_if_match() {
    let s = setup().await;
    let id = s.application(false).await;
    let before = s.read(&id).await;
    let res = s.move_as(&s.partner_a, &id, STALE).await;
    assert_problem(res, 404, "not_found").await;
    assert_eq!(s.read(&id).await, before, "nothing changed");
}

#[tokio::test]
async fn a_partner_of_another_funder_gets_404_on_an_upload_and_nothing_is_stored() {
    let s = setup().await;
    let id = s.application(true).await;
    let pdf = b"%PDF-1.7\nmemoria\n%%EOF\n";
    let res = s
        .app
        .upload(
            &s.partner_b.token,
            &id,
            "memoria.pdf",
            "application/pdf",
            pdf,
            None,
        )
        .await;
    assert_problem(res, 404, "not_found").await;
    let docs: Value = s
        .app
        .get_as(
            &s.admin.token,
            &format!("/api/v1/applications/{id}/documents"),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(docs["items"].as_array().unwrap().len(), 0);
    let res = s
        .app
        .upload(
            &s.partner_a.token,
            &id,
            "memoria.pdf",
            "application/pdf",
            pdf,
            None,
        )
        .await;
    assert_eq!(res.status(), 201, "the call's funder adds documents");
}

/// Funders, calls, agreements and applications change only by the cluster's staff, who see
/// every one of them: a partner (who may write funding, but only its decisions and
/// documents) gets the same 403 for another funder's resource, its own, or none at all,
/// with a stale `If-Match`: never a 412, never a 404 that would tell them apart.
#[tokio::test]
async fn partners_get_the_same_403_for_every_change_whatever_they_can_see() {
    let s = setup().await;
    let application = s.application(true).await;
    let nobody = uuid::Uuid::new_v4().to_string();
    for (path, id, field) in [
        ("funders", s.ministry.as_str(), "name"),
        ("calls", s.call.as_str(), "title"),
        ("agreements", s.agreement.as_str(), "title"),
        ("applications", application.as_str(), "title"),
    ] {
        for who in [&s.partner_a, &s.partner_b] {
            for target in [id, nobody.as_str()] {
                let res = s
                    .app
                    .send_as(
                        "PATCH",
                        &who.token,
                        &format!("/api/v1/{path}/{target}"),
                        Some(STALE),
                        Some(&json!({ field: "Cambiado" })),
                    )
                    .await;
                assert_problem(res, 403, "forbidden").await;
            }
        }
    }
}

/// The columns the `applications_decision` check wants for a status: an amount with a
/// grant, a date with a decision.
fn decision_columns(status: ApplicationStatus) -> (&'static str, &'static str) {
    use ApplicationStatus::*;
    let granted = matches!(
        status,
        Granted
            | PartiallyGranted
            | Accepted
            | Renounced
            | JustificationSubmitted
            | Justified
            | Closed
    );
    let undecided = matches!(
        status,
        Draft | Submitted | UnderReview | ChangesRequested | Withdrawn
    );
    (
        if granted { "800" } else { "NULL" },
        if undecided { "NULL" } else { "'2025-07-15'" },
    )
}

#[tokio::test]
async fn the_trigger_and_the_edge_table_agree_on_every_pair_of_statuses() {
    let s = setup().await;
    let mut conn = AsyncPgConnection::establish(&s.app.db_url).await.unwrap();
    let mut checked = 0;
    for &from in ApplicationStatus::ALL {
        for &to in ApplicationStatus::ALL {
            let id = uuid::Uuid::new_v4();
            let (granted, decided) = decision_columns(from);
            diesel::sql_query(format!(
                "INSERT INTO applications (id, call_id, title, status, eligible_cost_cents, \
                 requested_cents, own_funding_cents, other_aid_cents, granted_cents, \
                 decided_on, submitted_at) VALUES ('{id}', '{}', 'Pareja de estados', \
                 '{from}', 1000, 800, 200, 0, {granted}, {decided}, now())",
                s.call
            ))
            .execute(&mut conn)
            .await
            .unwrap();
            let (granted, decided) = decision_columns(to);
            let moved = diesel::sql_query(format!(
                "UPDATE applications SET status = '{to}', granted_cents = {granted}, \
                 decided_on = {decided} WHERE id = '{id}'"
            ))
            .execute(&mut conn)
            .await
            .map_err(|e| e.to_string());
            if let Err(e) = &moved {
                assert!(
                    e.contains(&format!("does not move from {from} to {to}")),
                    "{from} → {to} refused for another reason: {e}"
                );
            }
            if from == to {
                // Staying in a status is no move: the trigger lets the row be written (its
                // content, while editable) and the machine has no such edge.
                assert!(moved.is_ok(), "{from} → {from}: {moved:?}");
                assert_eq!(from.edge(to), None, "{from} → {from} is no edge");
            } else {
                assert_eq!(
                    moved.is_ok(),
                    from.edge(to).is_some(),
                    "{from} → {to}: the trigger {} it, the edge table {}",
                    if moved.is_ok() { "accepts" } else { "refuses" },
                    if from.edge(to).is_some() {
                        "has it"
                    } else {
                        "does not"
                    }
                );
            }
            checked += 1;
        }
    }
    assert_eq!(checked, 13 * 13);
}
