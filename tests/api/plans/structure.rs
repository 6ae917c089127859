//! A plan's structure: import and export, codes, the tree, three-level plans, years.

use super::*;

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
