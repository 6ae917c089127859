//! Who sees what of funding, funders, and the demo data.

use std::collections::BTreeSet;

use agrupa::domain::tax_id::make_cif;
use serde_json::json;
use uuid::Uuid;

use super::{World, calls, world};
use crate::support::{
    assert_problem,
    funding::{ApplicationSummary, funder_path},
    spawn_app,
};

/// Applications to the ministry's open call led by the world's member (`led`) or joined by
/// it (`joined`), and one to a call of the council (`unrelated`), all drafts.
struct Applications {
    council_call: Uuid,
    led: Uuid,
    joined: Uuid,
    unrelated: Uuid,
}

async fn applications(w: &World) -> Applications {
    let t = &w.admin.token;
    let council_call = w.app.new_call(t, w.council, -1, 10).await;
    let other = w
        .app
        .new_member(t, "Estudio Ñandú, S.L.", &make_cif('B', 7_100_002))
        .await;
    let new = |call: Uuid, extra: serde_json::Value| {
        let app = &w.app;
        async move { app.new_application(t, call, &extra).await.id }
    };
    let led = new(w.call, json!({"lead_member_id": w.member})).await;
    let joined = new(
        w.call,
        json!({"lead_member_id": other, "participant_ids": [w.member]}),
    )
    .await;
    let unrelated = new(council_call, json!({"lead_member_id": other})).await;
    Applications {
        council_call,
        led,
        joined,
        unrelated,
    }
}

/// The ids of a list, sorted.
fn sorted(list: &[ApplicationSummary]) -> Vec<Uuid> {
    let mut ids: Vec<Uuid> = list.iter().map(|a| a.id).collect();
    ids.sort();
    ids
}

#[tokio::test]
async fn representatives_see_the_applications_their_organisation_leads_or_joins() {
    let w = world().await;
    let apps = applications(&w).await;
    let rep = &w.rep.token;
    // The representative: what their organisation leads or takes part in.
    let seen = sorted(&w.app.list_applications(rep, "").await);
    let mut expected = vec![apps.led, apps.joined];
    expected.sort();
    assert_eq!(seen, expected);
    assert_eq!(
        w.app
            .try_get_application(rep, apps.unrelated)
            .await
            .status(),
        404
    );
    assert_eq!(
        w.app.try_get_application(rep, apps.joined).await.status(),
        200
    );
}

#[tokio::test]
async fn partners_see_applications_to_their_funder_s_calls_once_submitted() {
    let w = world().await;
    let apps = applications(&w).await;
    let (partner_a, partner_b) = (&w.partner_a.token, &w.partner_b.token);
    // Partners: nothing while drafts; then only applications to their funder's calls.
    assert!(w.app.list_applications(partner_a, "").await.is_empty());
    assert_eq!(
        w.app
            .try_get_application(partner_a, apps.led)
            .await
            .status(),
        404
    );
    for a in [apps.led, apps.joined, apps.unrelated] {
        assert_eq!(
            w.app
                .try_transition(&w.admin.token, a, &json!({"to": "submitted"}))
                .await
                .status(),
            200
        );
    }
    let mut expected = vec![apps.led, apps.joined];
    expected.sort();
    assert_eq!(
        sorted(&w.app.list_applications(partner_a, "").await),
        expected
    );
    let theirs: Vec<Uuid> = w
        .app
        .list_applications(partner_b, "")
        .await
        .iter()
        .map(|a| a.id)
        .collect();
    assert_eq!(theirs, [apps.unrelated]);
    assert_eq!(
        w.app
            .try_get_application(partner_b, apps.led)
            .await
            .status(),
        404
    );
    // Filters.
    let by_call: Vec<Uuid> = w
        .app
        .list_applications(&w.admin.token, &format!("call_id={}", apps.council_call))
        .await
        .iter()
        .map(|a| a.id)
        .collect();
    assert_eq!(by_call, [apps.unrelated]);
}

#[tokio::test]
async fn partners_see_their_funder_s_calls_everyone_else_all_and_only_staff_create_them() {
    let w = world().await;
    let council_call = w.app.new_call(&w.admin.token, w.council, -1, 10).await;
    let partner_b = &w.partner_b.token;
    // Calls: partners see their own; everyone else all.
    let calls: Vec<Uuid> = w
        .app
        .list_calls(partner_b, "")
        .await
        .iter()
        .map(|c| c.id)
        .collect();
    assert_eq!(calls, [council_call]);
    let ministry_s = w
        .app
        .list_calls(partner_b, &format!("funder_id={}", w.ministry))
        .await;
    assert!(ministry_s.is_empty());
    assert_eq!(w.app.try_get_call(partner_b, w.call).await.status(), 404);
    assert_eq!(w.app.list_calls(&w.rep.token, "").await.len(), 2);
    // Only staff create or change funding records.
    let res = w.app.try_create_call(&w.partner_a.token, &json!({})).await;
    assert!(res.status() == 403 || res.status() == 400);
}

#[tokio::test]
async fn funder_names_are_unique_and_tax_ids_valid() {
    let w = calls().await;
    let t = &w.admin.token;
    let res = w
        .app
        .try_create_funder(
            t,
            &json!({"name": "Ayuntamiento de Madrid", "kind": "city_council"}),
        )
        .await;
    assert_problem(res, 409, "name_taken").await;
    let res = w
        .app
        .try_create_funder(t,
            &json!({"name": "Comunidad de Madrid", "kind": "regional_government", "tax_id": "no vale"}))
        .await;
    assert_problem(res, 422, "validation_failed").await;
    let res = w
        .app
        .try_create_funder(t,
            &json!({"name": "Comisión Europea", "kind": "eu", "tax_id": "BE0949383342", "website": "https://commission.europa.eu"}))
        .await;
    assert_eq!(res.status(), 201);
}

#[tokio::test]
async fn a_partner_cannot_belong_to_a_funder_that_does_not_exist() {
    let w = calls().await;
    let res = w
        .app
        .try_create_user(&w.admin.token, &json!({"email": "p@x.es", "display_name": "P",
            "role": "partner", "password": "una contraseña bastante larga", "funder_id": Uuid::new_v4()}))
        .await;
    assert_eq!(res.status(), 422);
}

#[tokio::test]
async fn funder_changes_need_the_current_if_match() {
    let w = calls().await;
    let t = &w.admin.token;
    let etag = w.app.etag_of(t, &funder_path(w.council)).await;
    let website = json!({"website": "https://www.madrid.es"});
    let res = w.app.try_update_funder(t, w.council, None, &website).await;
    assert_eq!(res.status(), 428);
    let res = w
        .app
        .try_update_funder(t, w.council, Some(&etag), &website)
        .await;
    assert_eq!(res.status(), 200);
    let res = w
        .app
        .try_update_funder(
            t,
            w.council,
            Some(&etag),
            &json!({"website": "https://otra.es"}),
        )
        .await;
    assert_eq!(res.status(), 412);
}

#[tokio::test]
async fn the_demo_funding_is_consistent_with_the_demo_plan_and_budget() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let t = &admin.token;
    agrupa::seed::demo::seed(&mut app.db().await).await.unwrap();
    assert_eq!(app.list_funders(t).await.len(), 2);
    let apps = app.list_applications(t, "").await;
    let statuses: BTreeSet<&str> = apps.iter().map(|a| a.status.as_str()).collect();
    assert_eq!(
        statuses,
        ["accepted", "draft", "rejected", "submitted"]
            .into_iter()
            .collect()
    );
    let accepted = apps.iter().find(|a| a.status == "accepted").unwrap();
    let a = app.get_application(t, accepted.id).await;
    assert_eq!(a.actions.len(), 2);
    // Activities (G-02) and promotion (G-03), and the income line (I-20).
    assert_eq!(a.budget_lines.len(), 3);
    assert_eq!(a.income[0].fiscal_year, 2025);
    let history = app.application_history(t, a.id).await;
    assert_eq!(history.len(), 4);
    let docs = app.documents(t, a.id).await;
    let content = app.download(t, &docs[0]).await;
    assert_eq!(content.status(), 200);
    // The 2025 budget's income: fees, the council's agreement, the AEI grant, services.
    let budgets = app.list_budgets(t, "fiscal_year=2025").await;
    let r = app.budget_report(t, budgets[0].id).await;
    let kinds: BTreeSet<&str> = r.income_by_source.iter().map(|s| s.kind.as_str()).collect();
    assert_eq!(
        kinds,
        ["agreement", "fees", "grant", "other"]
            .into_iter()
            .collect()
    );
    let sum: i64 = r.income_by_source.iter().map(|s| s.planned_cents).sum();
    assert_eq!(sum, r.totals.income.planned_cents);
    let grant = r
        .income_by_source
        .iter()
        .find(|s| s.kind == "grant")
        .unwrap();
    assert_eq!(grant.source_id, Some(a.id));
    assert_eq!(Some(grant.planned_cents), a.granted_cents);
    assert!(r.pending_income.is_empty());
}
