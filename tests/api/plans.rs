//! The strategic plan: structure, frozen approved versions, revisions and diff,
//! import/export, roll-up, indicators, visibility.

use serde_json::{Value, json};
use uuid::Uuid;

use crate::support::{
    TestApp, TestUser, assert_problem,
    plans::{
        Level, NodeIds, Plan, PlanNode, axes_path, indicator_path, node_path, plan_doc, plan_path,
    },
    spawn_app, strs,
};

/// A test's app and admin.
async fn admin_app() -> (TestApp, TestUser) {
    let app = spawn_app().await;
    let admin = app.admin().await;
    (app, admin)
}

/// An imported, draft copy of [`plan_doc`]: (app, admin, plan).
async fn draft_plan() -> (TestApp, TestUser, Uuid) {
    let (app, admin) = admin_app().await;
    let plan = app.import_plan_doc(&admin.token, &plan_doc("")).await.id;
    (app, admin, plan)
}

/// An imported, approved copy of [`plan_doc`]: (app, admin, plan, ids by code).
async fn approved_plan() -> (TestApp, TestUser, Uuid, NodeIds) {
    let (app, admin) = admin_app().await;
    let (plan, ids) = app.new_approved_plan(&admin, &plan_doc("")).await;
    (app, admin, plan, ids)
}

#[tokio::test]
async fn export_then_import_yields_an_equal_plan() {
    let (app, admin) = admin_app().await;
    let t = &admin.token;
    let member = app
        .new_member(t, "Producciones Ñandú, S.L.", "B12345674")
        .await;
    let staff = app.user(&admin, "staff").await;
    let mut doc = plan_doc("");
    doc["axes"][0]["children"][0]["children"][0]["children"][0]["action"]["participant_ids"] =
        json!([member]);
    doc["axes"][0]["children"][0]["children"][0]["children"][0]["action"]["responsible_id"] =
        json!(staff.id);
    let first = app.import_plan_doc(t, &doc).await;
    assert_eq!(first.status, "draft");
    assert_eq!(first.labels.axis, "Eje");
    let exported = app.export_plan(t, first.id).await;
    let second = app.import_plan_doc(t, &exported).await;
    assert_ne!(first.id, second.id);
    let again = app.export_plan(t, second.id).await;
    assert_eq!(exported, again);
    // The document kept what was imported.
    let action = &again["axes"][0]["children"][0]["children"][0]["children"][0];
    assert_eq!(action["action"]["participant_ids"], json!([member]));
    assert_eq!(action["action"]["responsible_id"], json!(staff.id));
    assert_eq!(again["description"], "Plan con ñ, tildes y 🎬.");
    let ind = &again["axes"][1]["children"][0]["children"][0]["indicators"][0];
    assert_eq!(ind["higher_is_better"], false);
    assert_eq!(ind["measurements"][0]["value"], 90.0);
}

#[tokio::test]
async fn an_invalid_import_creates_nothing_and_names_every_problem() {
    let (app, admin) = admin_app().await;
    let mut doc = plan_doc("");
    let e1 = "axes[0]";
    let action = "axes[0].children[0].children[0].children[1]";
    doc["axes"][1]["code"] = json!("E1"); // duplicate of axes[0]
    doc["axes"][0]["action"] = json!({"progress": 10}); // action fields on an axis
    doc["axes"][0]["children"][0]["children"][0]["children"][1]["action"]["end_date"] =
        json!("2031-01-01"); // outside 2024–2027
    doc["axes"][0]["children"][0]["children"][0]["children"][1]["action"]["progress"] = json!(150);
    doc["axes"][0]["children"][0]["children"][0]["children"][0]["action"]["participant_ids"] =
        json!([Uuid::new_v4()]);
    doc["axes"][0]["children"][1]["indicators"] =
        json!([{"name": "En un área", "unit": "%", "baseline": 0.0}]);
    doc["axes"][0]["children"][0]["children"][0]["indicators"][0]["targets"] =
        json!([{"year": 2030, "value": 1.0}]);
    doc["axes"][0]["children"][0]["title"] = json!("   ");
    let res = app.try_import_plan(&admin.token, &doc).await;
    let body = assert_problem(res, 422, "invalid_plan_document").await;
    let fields: Vec<&str> = strs(&body["errors"], "field");
    for expected in [
        "axes[1].code".to_owned(),
        format!("{e1}.action"),
        format!("{action}.action.end_date"),
        format!("{action}.action.progress"),
        "axes[0].children[0].children[0].children[0].action.participant_ids[0]".to_owned(),
        "axes[0].children[1].indicators".to_owned(),
        "axes[0].children[0].children[0].indicators[0].targets[0].year".to_owned(),
        "axes[0].children[0].title".to_owned(),
    ] {
        assert!(
            fields.contains(&expected.as_str()),
            "{expected} in {fields:?}"
        );
    }
    assert_eq!(fields.len(), 8, "{fields:?}");
    let plans = app.list_plans(&admin.token, "").await;
    assert_eq!(plans.len(), 0, "nothing created");
}

#[tokio::test]
async fn an_import_names_a_field_the_document_does_not_know() {
    let (app, admin) = admin_app().await;
    let mut doc = plan_doc("");
    doc["axes"][0]["colour"] = json!("rojo");
    let res = app.try_import_plan(&admin.token, &doc).await;
    let body: Value = res.json().await.unwrap();
    assert!(body.to_string().contains("axes[0]"), "{body}");
}

#[tokio::test]
async fn codes_are_unique_in_a_plan_but_not_across_plans() {
    let (app, admin, plan) = draft_plan().await;
    let t = &admin.token;
    let res = app
        .try_add_axis(t, plan, &json!({"code": "E1", "title": "Otro eje"}))
        .await;
    assert_problem(res, 409, "code_taken").await;
    let ids = app.node_ids(t, plan).await;
    // Renaming a node to a taken code is refused too.
    let res = app
        .try_update_node(
            t,
            (Level::Area, ids["E1.2"]),
            Some("*"),
            &json!({"code": "E1.1"}),
        )
        .await;
    assert_problem(res, 409, "code_taken").await;
    let other = app
        .create_plan(
            t,
            &json!({"title": "Otro plan", "start_year": 2028, "end_year": 2031}),
        )
        .await;
    let res = app
        .try_add_axis(
            t,
            other.id,
            &json!({"code": "E1", "title": "Internacionalización"}),
        )
        .await;
    assert_eq!(res.status(), 201);
    assert_eq!(res.headers()["etag"], "\"1\"");
}

#[tokio::test]
async fn the_tree_is_read_in_a_fixed_number_of_queries() {
    let (app, admin) = admin_app().await;
    let t = &admin.token;
    let route = "/api/v1/plans/{id}/tree";
    let small = app
        .create_plan(
            t,
            &json!({"title": "Pequeño", "start_year": 2024, "end_year": 2027}),
        )
        .await;
    assert_eq!(app.try_plan_tree(t, small.id).await.status(), 200);
    let before = app.statements_of(route).await.unwrap_or(0);
    let big = app.import_plan_doc(t, &plan_doc("")).await;
    let tree = app.plan_tree(t, big.id).await;
    assert_eq!(tree.axes.len(), 2);
    let action = &tree.axes[0].children[0].children[0].children[1];
    assert_eq!(action.code, "E1.1.1.2");
    assert_eq!(action.action.as_ref().unwrap().status, "in_progress");
    let after = app.statements_of(route).await.unwrap_or(0);
    // An empty plan and one with 13 nodes and 2 indicators cost the same.
    assert_eq!(before, after - before, "{before} then {}", after - before);
    assert!(before <= 8, "{before} statements");
}

#[tokio::test]
async fn progress_rolls_up_by_weight_and_indicators_attain_both_ways() {
    let (app, admin, id) = draft_plan().await;
    let p = app.plan_progress(&admin.token, id).await;
    // By hand: E1.1.1 = (1×100 + 3×40) / 4 = 55; E1.2 = 0; E1 = (55 + 0) / 2 = 27.5;
    // E2.1.1 = 50 (the cancelled action is left out); E2 = 50;
    // plan = (3 × 27.5 + 1 × 50) / 4 = 33.125 → 33.13.
    assert_eq!(p.axes[0].children[0].children[0].progress, Some(55.0));
    assert_eq!(p.axes[0].progress, Some(27.5));
    assert_eq!(p.axes[1].progress, Some(50.0));
    assert_eq!(p.progress, Some(33.13));
    assert_eq!(
        p.actions,
        json!({"not_started": 1, "in_progress": 1, "completed": 1, "delayed": 1, "cancelled": 1})
    );
    // Every open action ended on 2025-06-30.
    assert_eq!(p.overdue_actions, 3);
    assert_eq!(p.axes[1].overdue_actions, 1);
    // Higher is better: 10 → 20 in 2024, measured 15: half way.
    let exports = &p.axes[0].children[0].children[0].indicators[0];
    assert_eq!(
        exports.years[0],
        json!({"year": 2024, "target": 20.0, "value": 15.0, "attainment_pct": 50.0})
    );
    assert_eq!(exports.years[1]["value"], Value::Null);
    // Lower is better: 100 → 60 in 2025, measured 90: a quarter of the way.
    let carbon = &p.axes[1].children[0].children[0].indicators[0];
    assert_eq!(carbon.years[1]["attainment_pct"], 25.0);
}

#[tokio::test]
async fn a_new_measurement_counts_in_the_progress_at_once() {
    let (app, admin, id) = draft_plan().await;
    let t = &admin.token;
    let carbon = app.node_ids(t, id).await["Huella de carbono"];
    let res = app
        .try_measure(
            t,
            carbon,
            &json!({"measured_on": "2025-12-31", "value": 60.0, "source": "Auditoría"}),
        )
        .await;
    assert_eq!(res.status(), 201);
    let p = app.plan_progress(t, id).await;
    assert_eq!(
        p.axes[1].children[0].children[0].indicators[0].years[1]["attainment_pct"],
        100.0
    );
}

#[tokio::test]
async fn the_progress_and_the_tree_as_csv_have_a_row_per_node() {
    let (app, admin, id) = draft_plan().await;
    let csv = app.plan_progress_csv(&admin.token, id).await;
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines.len(), 1 + 13, "{csv}");
    assert!(lines[0].contains("level,kind,code,title,weight,progress"));
    assert!(
        lines[1].starts_with("1,axis,E1,Internacionalización,3,27.5"),
        "{}",
        lines[1]
    );
    let tree_csv = app.plan_tree_csv(&admin.token, id).await;
    assert_eq!(tree_csv.lines().count(), 1 + 13);
}

#[tokio::test]
async fn an_approved_plan_refuses_every_change_to_its_content() {
    let (app, admin, id, ids) = approved_plan().await;
    let t = &admin.token;
    let frozen = [
        ("PATCH", plan_path(id), Some(json!({"title": "Otro"}))),
        ("DELETE", plan_path(id), None),
        (
            "POST",
            axes_path(id),
            Some(json!({"code": "E9", "title": "Nuevo"})),
        ),
        (
            "PATCH",
            node_path(Level::Axis, ids["E1"]),
            Some(json!({"weight": 9})),
        ),
        (
            "PATCH",
            node_path(Level::Action, ids["E1.1.1.2"]),
            Some(json!({"action": {"end_date": "2026-12-31"}})),
        ),
        ("DELETE", node_path(Level::Action, ids["E1.2.1.1"]), None),
        (
            "POST",
            "/api/v1/indicators".to_owned(),
            Some(json!({"node_id": ids["E1.1.1"], "name": "Nuevo", "unit": "%", "baseline": 0.0})),
        ),
        (
            "PATCH",
            indicator_path(ids["Empresas exportadoras"]),
            Some(json!({"targets": []})),
        ),
    ];
    let before = app.export_plan(t, id).await;
    for (method, path, body) in &frozen {
        let res = app.send_as(method, t, path, Some("*"), body.as_ref()).await;
        let body = assert_problem(res, 409, "plan_frozen").await;
        assert!(
            body["detail"].as_str().unwrap().contains("revision"),
            "{method} {path}"
        );
    }
    assert_eq!(before, app.export_plan(t, id).await, "nothing changed");
}

#[tokio::test]
async fn an_approved_plan_still_follows_the_execution_of_its_actions() {
    let (app, admin, _, ids) = approved_plan().await;
    let res = app
        .try_update_node(
            &admin.token,
            (Level::Action, ids["E1.1.1.2"]),
            Some("*"),
            &json!({"action": {"status": "completed"}}),
        )
        .await;
    assert_eq!(res.status(), 200);
    let action: PlanNode = res.json().await.unwrap();
    assert_eq!(action.action.unwrap().progress, 100);
}

#[tokio::test]
async fn the_database_refuses_content_changes_to_an_approved_plan() {
    let (app, _, _, ids) = approved_plan().await;
    let sql = format!(
        "UPDATE plan_nodes SET title = 'x' WHERE id = '{}'",
        ids["E1"]
    );
    let err = app.sql_result(&sql).await.unwrap_err();
    assert!(err.contains("frozen"), "{err}");
}

#[tokio::test]
async fn node_changes_need_if_match_and_concurrent_edits_never_lose_an_update() {
    let (app, admin, id) = draft_plan().await;
    let t = &admin.token;
    let axis = (Level::Axis, app.node_ids(t, id).await["E1"]);
    let res = app
        .try_update_node(t, axis, None, &json!({"title": "Sin etiqueta"}))
        .await;
    assert_problem(res, 428, "precondition_required").await;
    let tag = app.etag_of(t, &node_path(axis.0, axis.1)).await;
    let (first, second) = (json!({"title": "Primera"}), json!({"title": "Segunda"}));
    let (a, b) = tokio::join!(
        app.try_update_node(t, axis, Some(&tag), &first),
        app.try_update_node(t, axis, Some(&tag), &second)
    );
    let mut statuses = [a.status().as_u16(), b.status().as_u16()];
    statuses.sort_unstable();
    assert_eq!(statuses, [200, 412]);
}

#[tokio::test]
async fn an_approval_names_the_version_of_the_plan_it_read() {
    let (app, admin, id) = draft_plan().await;
    let t = &admin.token;
    let old_tag = app.etag_of(t, &plan_path(id)).await;
    let axis = (Level::Axis, app.node_ids(t, id).await["E1"]);
    let res = app
        .try_update_node(t, axis, Some("*"), &json!({"title": "Primera"}))
        .await;
    assert_eq!(res.status(), 200);
    // A change to a node changes the plan's tag: an approval names the content it read.
    let current = app.etag_of(t, &plan_path(id)).await;
    assert_ne!(current, old_tag);
    let acta = json!({"reference": "Acta"});
    let res = app.try_approve_plan(t, id, Some("\"1\""), &acta).await;
    assert_problem(res, 412, "precondition_failed").await;
    let res = app.try_approve_plan(t, id, None, &acta).await;
    assert_problem(res, 428, "precondition_required").await;
    let staff = app.user(&admin, "staff").await;
    let res = app
        .try_approve_plan(&staff.token, id, Some(&current), &acta)
        .await;
    assert_eq!(res.status(), 403);
    let res = app
        .try_approve_plan(
            t,
            id,
            Some(&current),
            &json!({"reference": "Acta 7/2024", "approved_on": "2024-03-12"}),
        )
        .await;
    assert_eq!(res.status(), 200);
    let approved: Plan = res.json().await.unwrap();
    assert_eq!(approved.status, "approved");
    assert_eq!(approved.approved_on.as_deref(), Some("2024-03-12"));
    assert_eq!(approved.approved_by, Some(admin.uuid()));
}

#[tokio::test]
async fn a_revision_is_a_draft_copy_of_an_approved_plan_one_at_a_time() {
    let (app, admin, id, _) = approved_plan().await;
    let t = &admin.token;
    let rev = app.revise_plan(t, id).await;
    assert_eq!((rev.status.as_str(), rev.version_number), ("draft", 2));
    assert_eq!(rev.revises_id, Some(id));
    let res = app.try_revise_plan(t, id).await;
    assert_problem(res, 409, "revision_exists").await;
    // A revision of a draft is refused.
    let res = app.try_revise_plan(t, rev.id).await;
    assert_problem(res, 409, "plan_not_approved").await;
    let same = app.plan_diff(t, rev.id, id).await;
    assert_eq!(
        (
            same["added"].as_array().unwrap().len(),
            same["removed"].as_array().unwrap().len(),
            same["changed"].as_array().unwrap().len()
        ),
        (0, 0, 0),
        "{same}"
    );
}

/// An approved plan and a revision of it with E1 renamed, action E1.2.1.1 removed and an
/// axis E3 added: (app, admin, plan, revision).
async fn edited_revision() -> (TestApp, TestUser, Uuid, Uuid) {
    let (app, admin, id, _) = approved_plan().await;
    let t = &admin.token;
    let rev = app.revise_plan(t, id).await.id;
    let ids = app.node_ids(t, rev).await;
    let res = app
        .try_update_node(
            t,
            (Level::Axis, ids["E1"]),
            Some("*"),
            &json!({"title": "Internacionalización y mercados"}),
        )
        .await;
    assert_eq!(res.status(), 200);
    let res = app
        .try_delete_node(t, (Level::Action, ids["E1.2.1.1"]))
        .await;
    assert_eq!(res.status(), 204);
    let res = app
        .try_add_axis(t, rev, &json!({"code": "E3", "title": "Talento"}))
        .await;
    assert_eq!(res.status(), 201);
    (app, admin, id, rev)
}

#[tokio::test]
async fn the_diff_names_what_a_revision_added_removed_and_changed() {
    let (app, admin, id, rev) = edited_revision().await;
    let diff = app.plan_diff(&admin.token, rev, id).await;
    assert_eq!(
        diff["added"],
        json!([{"code": "E3", "kind": "axis", "title": "Talento"}])
    );
    assert_eq!(diff["removed"][0]["code"], "E1.2.1.1");
    assert_eq!(diff["changed"].as_array().unwrap().len(), 1, "{diff}");
    assert_eq!(diff["changed"][0]["code"], "E1");
    assert_eq!(
        diff["changed"][0]["changes"],
        json!([{"field": "title",
        "before": "Internacionalización", "after": "Internacionalización y mercados"}])
    );
}

#[tokio::test]
async fn an_approved_revision_supersedes_its_plan_which_stays_readable() {
    let (app, admin, id, rev) = edited_revision().await;
    let t = &admin.token;
    app.approve_plan(&admin, &rev.to_string()).await;
    let old = app.get_plan(t, id).await;
    assert_eq!(old.status, "superseded", "old versions stay readable");
    let tree = app.plan_tree(t, id).await;
    assert_eq!(tree.axes.len(), 2);
    // The superseded version cannot be revised again, nor its actions followed.
    let res = app.try_revise_plan(t, id).await;
    assert_problem(res, 409, "plan_not_approved").await;
}

/// A three-level plan (axis, area, action) with an axis L1 and an area L1.1:
/// (app, admin, axis, area).
async fn three_level_plan() -> (TestApp, TestUser, Uuid, Uuid) {
    let (app, admin) = admin_app().await;
    let t = &admin.token;
    let plan = app
        .create_plan(
            t,
            &json!({"title": "Plan breve",
        "start_year": 2025, "end_year": 2026, "depth": 3,
        "labels": {"axis": "Línea", "area": "Programa", "objective": "-", "action": "Proyecto"}}),
        )
        .await;
    assert_eq!(plan.depth, 3);
    let axis = app
        .add_axis(t, plan.id, &json!({"code": "L1", "title": "Línea 1"}))
        .await
        .id;
    let area = app
        .add_child(
            t,
            (Level::Axis, axis),
            Level::Area,
            &json!({"code": "L1.1", "title": "Programa 1"}),
        )
        .await
        .id;
    (app, admin, axis, area)
}

#[tokio::test]
async fn three_level_plans_hang_actions_from_areas() {
    let (app, admin, _, area) = three_level_plan().await;
    let t = &admin.token;
    let res = app
        .try_add_child(
            t,
            (Level::Area, area),
            Level::Objective,
            &json!({"code": "X", "title": "No"}),
        )
        .await;
    assert_problem(res, 409, "wrong_level").await;
    let res = app.try_add_child(t, (Level::Area, area), Level::Action,
        &json!({"code": "L1.1.1", "title": "Proyecto 1", "action": {"start_date": "2025-01-01", "end_date": "2024-12-31"}})).await;
    let body = assert_problem(res, 422, "validation_failed").await;
    assert_eq!(body["errors"][0]["field"], "action.end_date");
    let action = app
        .add_child(
            t,
            (Level::Area, area),
            Level::Action,
            &json!({"code": "L1.1.1", "title": "Proyecto 1", "action": {"status": "completed"}}),
        )
        .await;
    assert_eq!(action.action.unwrap().progress, 100);
}

#[tokio::test]
async fn a_three_level_plan_keeps_action_fields_to_actions_and_areas_with_children() {
    let (app, admin, axis, area) = three_level_plan().await;
    let t = &admin.token;
    app.add_child(
        t,
        (Level::Area, area),
        Level::Action,
        &json!({"code": "L1.1.1", "title": "Proyecto 1", "action": {"status": "completed"}}),
    )
    .await;
    // Action fields on an area are refused.
    let res = app
        .try_add_child(
            t,
            (Level::Axis, axis),
            Level::Area,
            &json!({"code": "L1.2", "title": "Programa 2", "action": {"progress": 5}}),
        )
        .await;
    assert_problem(res, 422, "validation_failed").await;
    // An area with children is not deleted.
    let res = app.try_delete_node(t, (Level::Area, area)).await;
    assert_problem(res, 409, "node_has_children").await;
    // A node of another level is not found at this path.
    let res = app.try_get_node(t, Level::Axis, area).await;
    assert_eq!(res.status(), 404);
}

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

/// An approved plan and a draft of the same document with codes prefixed `B-`.
async fn two_plans() -> (TestApp, TestUser, Uuid, NodeIds) {
    let (app, admin, id, ids) = approved_plan().await;
    app.import_plan_doc(&admin.token, &plan_doc("B-")).await;
    (app, admin, id, ids)
}

#[tokio::test]
async fn actions_filter_by_plan_axis_status_and_overdue() {
    let (app, admin, id, ids) = two_plans().await;
    let t = &admin.token;
    let count = |q: String| {
        let app = &app;
        async move { app.list_actions(t, &q).await.items.len() }
    };
    assert_eq!(count(format!("plan_id={id}")).await, 5);
    assert_eq!(count(format!("axis_id={}", ids["E2"])).await, 2);
    assert_eq!(count("status=delayed".into()).await, 2);
    assert_eq!(count(format!("plan_id={id}&overdue=true")).await, 3);
    assert_eq!(count(format!("plan_id={id}&overdue=false")).await, 2);
    let res = app.try_list_actions(t, "status=finished").await;
    assert_eq!(res.status(), 400);
}

#[tokio::test]
async fn action_pages_cover_every_action_once() {
    let (app, admin, _, _) = two_plans().await;
    let t = &admin.token;
    let first = app.list_actions(t, "limit=4").await;
    let cursor = first.next_cursor.unwrap();
    let mut seen: Vec<Uuid> = first.items.iter().map(|a| a.id).collect();
    let mut next = app
        .list_actions(t, &format!("limit=4&cursor={cursor}"))
        .await;
    loop {
        seen.extend(next.items.iter().map(|a| a.id));
        let Some(c) = next.next_cursor else {
            break;
        };
        next = app.list_actions(t, &format!("limit=4&cursor={c}")).await;
    }
    let total = seen.len();
    seen.sort();
    seen.dedup();
    assert_eq!((total, seen.len()), (10, 10));
}

#[tokio::test]
async fn indicators_belong_to_objectives_and_actions_with_targets_in_the_plan() {
    let (app, admin, plan) = draft_plan().await;
    let t = &admin.token;
    let ids = app.node_ids(t, plan).await;
    let res = app
        .try_create_indicator(
            t,
            &json!({"node_id": ids["E1"], "name": "X", "unit": "%", "baseline": 0.0}),
        )
        .await;
    let body = assert_problem(res, 422, "validation_failed").await;
    assert_eq!(body["errors"][0]["field"], "node_id");
    let res = app.try_create_indicator(t, &json!({"node_id": ids["E1.1.1.1"], "name": "Asistentes 🎬",
        "unit": "personas", "baseline": 100.0, "targets": [{"year": 2026, "value": 300.0}, {"year": 2026, "value": 1.0},
        {"year": 2031, "value": 1.0}]})).await;
    let body = assert_problem(res, 422, "validation_failed").await;
    assert_eq!(body["errors"].as_array().unwrap().len(), 2, "{body}");
    let ind = app
        .create_indicator(
            t,
            &json!({"node_id": ids["E1.1.1.1"], "name": "Asistentes 🎬",
        "unit": "personas", "baseline": 100.0, "targets": [{"year": 2026, "value": 300.0}]}),
        )
        .await;
    assert_eq!(ind.targets, json!([{"year": 2026, "value": 300.0}]));
}

#[tokio::test]
async fn indicator_names_are_unique_on_a_node_and_measurements_finite() {
    let (app, admin, plan) = draft_plan().await;
    let t = &admin.token;
    let action = app.node_ids(t, plan).await["E1.1.1.1"];
    let ind = app
        .create_indicator(
            t,
            &json!({"node_id": action, "name": "Asistentes 🎬",
        "unit": "personas", "baseline": 100.0, "targets": [{"year": 2026, "value": 300.0}]}),
        )
        .await;
    let res = app
        .try_create_indicator(
            t,
            &json!({"node_id": action, "name": "Asistentes 🎬",
        "unit": "personas", "baseline": 0.0}),
        )
        .await;
    assert_problem(res, 409, "indicator_name_taken").await;
    assert_eq!(app.node_indicators(t, action).await.len(), 1);
    let res = app
        .try_measure(
            t,
            ind.id,
            &json!({"measured_on": "2026-05-01", "value": 1e300}),
        )
        .await;
    assert_problem(res, 422, "validation_failed").await;
}

#[tokio::test]
async fn the_demo_plan_has_7_axes_17_areas_17_objectives_and_57_actions() {
    let (app, admin) = admin_app().await;
    let seeded = agrupa::seed::demo::seed(&mut app.db().await).await.unwrap();
    assert_eq!(seeded.plans, 1);
    let plans = app.list_plans(&admin.token, "").await;
    let plan = &plans[0];
    assert_eq!(plan.status, "approved");
    assert_eq!(plan.labels.axis, "Eje");
    let tree = app.plan_tree(&admin.token, plan.id).await;
    let axes = &tree.axes;
    let areas: Vec<_> = axes.iter().flat_map(|a| &a.children).collect();
    let objectives: Vec<_> = areas.iter().flat_map(|a| &a.children).collect();
    let actions: Vec<_> = objectives.iter().flat_map(|o| &o.children).collect();
    assert_eq!(
        (axes.len(), areas.len(), objectives.len(), actions.len()),
        (7, 17, 17, 57)
    );
    assert!(
        actions
            .iter()
            .any(|a| { !a.action.as_ref().unwrap().participant_ids.is_empty() })
    );
    let progress = app.plan_progress(&admin.token, plan.id).await;
    let p = progress.progress.unwrap();
    assert!(p > 0.0 && p < 100.0, "{p}");
}

#[tokio::test]
async fn a_plan_keeps_its_actions_and_targets_inside_its_years() {
    let (app, admin, id) = draft_plan().await;
    let res = app
        .try_update_plan(&admin.token, id, Some("*"), &json!({"start_year": 2025}))
        .await;
    let body = assert_problem(res, 422, "validation_failed").await;
    assert!(body["errors"].to_string().contains("E1.1.1.1"), "{body}");
    let res = app
        .try_update_plan(&admin.token, id, Some("*"), &json!({"end_year": 2028}))
        .await;
    assert_eq!(res.status(), 200);
}
