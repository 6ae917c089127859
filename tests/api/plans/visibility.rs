//! Who sees which plans and actions.

use super::*;

/// Two imported plans (the first with member "Animación Castiza" taking part in action
/// E2.1.1.1), its representative, a partner and an auditor.
struct Readers {
    app: TestApp,
    admin: TestUser,
    plan: Uuid,
    draft: Uuid,
    rep: TestUser,
    partner: TestUser,
    auditor: TestUser,
}

async fn readers() -> Readers {
    let (app, admin) = admin_app().await;
    let t = &admin.token;
    let own = app
        .new_member(t, "Animación Castiza, S.L.", "B12345674")
        .await;
    let mut doc = plan_doc("");
    doc["axes"][1]["children"][0]["children"][0]["children"][0]["action"]["participant_ids"] =
        json!([own]);
    let plan = app.import_plan_doc(t, &doc).await.id;
    let draft = app.import_plan_doc(t, &plan_doc("")).await.id;
    let rep = app.representative(&admin, own).await;
    let partner = app.user(&admin, "partner").await;
    let auditor = app.user(&admin, "auditor").await;
    Readers {
        app,
        admin,
        plan,
        draft,
        rep,
        partner,
        auditor,
    }
}

#[tokio::test]
async fn members_and_partners_see_approved_plans_only_and_auditors_drafts_too() {
    let r = readers().await;
    let app = &r.app;
    for token in [&r.rep.token, &r.partner.token] {
        assert_eq!(
            app.try_get_plan(token, r.plan).await.status(),
            404,
            "draft hidden"
        );
        assert_eq!(app.list_plans(token, "").await.len(), 0);
    }
    assert_eq!(
        app.list_plans(&r.auditor.token, "").await.len(),
        2,
        "auditors read drafts"
    );
    app.approve_plan(&r.admin, &r.plan.to_string()).await;
    for token in [&r.rep.token, &r.partner.token] {
        assert_eq!(app.try_plan_tree(token, r.plan).await.status(), 200);
        assert_eq!(app.try_plan_tree(token, r.draft).await.status(), 404);
        let res = app
            .try_update_plan(token, r.plan, Some("*"), &json!({"title": "x"}))
            .await;
        assert_eq!(res.status(), 403);
    }
}

#[tokio::test]
async fn members_see_the_actions_their_organisation_takes_part_in() {
    let r = readers().await;
    let app = &r.app;
    app.approve_plan(&r.admin, &r.plan.to_string()).await;
    let mine = app.list_actions(&r.rep.token, "").await;
    let codes: Vec<&str> = mine.items.iter().map(|a| a.code.as_str()).collect();
    assert_eq!(codes, ["E2.1.1.1"]);
    let other_member = Uuid::new_v4();
    let res = app
        .list_actions(&r.rep.token, &format!("member_id={other_member}"))
        .await;
    assert_eq!(res.items.len(), 0);
    // Partners see the actions of approved plans only; staff see every plan's.
    let theirs = app.list_actions(&r.partner.token, "limit=100").await;
    assert_eq!(theirs.items.len(), 5);
    let all = app.list_actions(&r.admin.token, "limit=100").await;
    assert_eq!(all.items.len(), 10);
}
