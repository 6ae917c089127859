//! Enactment: adopting a resolution approves what it tabled, in the same transaction, and
//! the approval records the resolution; a version changed since convening is a 409 and
//! nothing is adopted; an effect that fails leaves nothing adopted.

use super::*;
use crate::support::{assert_problem, budgets::budget_path, expect_json};

async fn draft_budget(a: &Assembly, year: u32) -> Uuid {
    a.app
        .create_budget(
            &a.admin.token,
            &json!({"fiscal_year": year, "title": format!("Presupuesto {year}")}),
        )
        .await
        .id
}

fn approve_budget(budget: Uuid) -> Value {
    json!([{"title": "Aprobación del presupuesto", "kind": "resolution",
        "effect": "approve_budget", "target_id": budget}])
}

const YES: &str = r#"{"totals": {"yes": 3, "no": 0, "abstain": 0}}"#;

#[tokio::test]
async fn an_adopted_resolution_approves_the_budget_and_the_budget_shows_it() {
    let a = assembly(3, json!({})).await;
    let budget = draft_budget(&a, 2031).await;
    let (meeting, _, items) = constituted(&a, approve_budget(budget), 3).await;
    let yes: Value = serde_json::from_str(YES).unwrap();
    let res = a
        .app
        .try_resolve(&a.admin.token, meeting, items[0], &yes)
        .await;
    let resolution: Value = expect_json(res, 201).await;
    assert_eq!(resolution["adopted"], true);
    let shown: Value = a.app.get_ok(&a.admin.token, &budget_path(budget)).await;
    assert_eq!(shown["status"], "approved");
    assert_eq!(shown["approved_by_resolution_id"], resolution["id"]);
    assert!(
        shown["approval_reference"]
            .as_str()
            .unwrap()
            .contains("Asamblea General")
    );
}

#[tokio::test]
async fn a_budget_changed_after_convening_is_a_409_and_nothing_is_adopted() {
    let a = assembly(3, json!({})).await;
    let t = &a.admin.token;
    let budget = draft_budget(&a, 2031).await;
    let (meeting, _, items) = constituted(&a, approve_budget(budget), 3).await;
    let tag = a.app.etag_of(t, &budget_path(budget)).await;
    let res = a
        .app
        .try_update_budget(
            t,
            budget,
            Some(&tag),
            &json!({"title": "Presupuesto retocado"}),
        )
        .await;
    assert_eq!(res.status(), 200);
    let yes: Value = serde_json::from_str(YES).unwrap();
    let res = a.app.try_resolve(t, meeting, items[0], &yes).await;
    assert_problem(res, 409, "tabled_version_changed").await;
    assert_eq!(a.app.get_budget(t, budget).await.status, "draft");
    let m = a.app.meeting(t, meeting).await;
    assert!(m["agenda"][0]["resolution"].is_null(), "nothing recorded");
}

#[tokio::test]
async fn an_effect_that_fails_leaves_nothing_adopted_and_an_admission_links_its_resolution() {
    let a = assembly(3, json!({})).await;
    let t = &a.admin.token;
    // Admitting a member that is active already is an illegal move of its lifecycle.
    let agenda = json!([
        {"title": "Admisión (ya activa)", "kind": "resolution", "effect": "admit_member",
            "target_id": a.members[0]},
    ]);
    let (meeting, _, items) = constituted(&a, agenda, 3).await;
    let yes: Value = serde_json::from_str(YES).unwrap();
    let res = a.app.try_resolve(t, meeting, items[0], &yes).await;
    assert_problem(res, 409, "illegal_status_transition").await;
    let m = a.app.meeting(t, meeting).await;
    assert!(m["agenda"][0]["resolution"].is_null());
    // An applicant admitted by the assembly: its history names the resolution.
    let tax_id = agrupa::domain::tax_id::make_cif('B', 8_100_001);
    let new = crate::support::NewMember::company(a.category, "Estudio Ñandú, S.L.", &tax_id);
    let applicant = a.app.create_member(t, &new).await.id;
    let agenda = json!([
        {"title": "Admisión de socios", "kind": "resolution", "effect": "admit_member",
            "target_id": applicant},
    ]);
    let (meeting, _, items) = constituted(&a, agenda, 3).await;
    let res = a.app.try_resolve(t, meeting, items[0], &yes).await;
    let resolution: Value = expect_json(res, 201).await;
    let history: crate::support::Page<Value> = a
        .app
        .get_ok(t, &format!("/api/v1/members/{applicant}/status-changes"))
        .await;
    let last = history.items.last().unwrap();
    assert_eq!(last["to"], "active");
    assert_eq!(last["resolution_id"], resolution["id"]);
}

#[tokio::test]
async fn an_adopted_resolution_approves_the_plan_it_tabled() {
    let a = assembly(3, json!({})).await;
    let t = &a.admin.token;
    let plan = a
        .app
        .import_plan_doc(t, &crate::support::plans::plan_doc(""))
        .await
        .id;
    let agenda = json!([{"title": "Plan Estratégico 2024–2027", "kind": "resolution",
        "effect": "approve_plan", "target_id": plan}]);
    let (meeting, _, items) = constituted(&a, agenda, 3).await;
    let yes: Value = serde_json::from_str(YES).unwrap();
    let res = a.app.try_resolve(t, meeting, items[0], &yes).await;
    let resolution: Value = expect_json(res, 201).await;
    let shown: Value = a.app.get_ok(t, &format!("/api/v1/plans/{plan}")).await;
    assert_eq!(shown["status"], "approved");
    assert_eq!(shown["approved_by_resolution_id"], resolution["id"]);
}
