//! Execution: progress rolled up, indicators, actions filtered and paged, the demo plan.

use super::*;

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
    // More targets than the document allows: 422 before anything is read or locked, so
    // even with a stale If-Match (it used to answer 412, checking the ETag first).
    let many: Vec<_> = (0..51)
        .map(|i| json!({"year": 2000 + i, "value": 1.0}))
        .collect();
    let res = app
        .client
        .patch(app.url(&indicator_path(ind.id)))
        .bearer_auth(t)
        .header("if-match", "\"999\"")
        .json(&json!({"targets": many}))
        .send()
        .await
        .unwrap();
    let body = assert_problem(res, 422, "validation_failed").await;
    assert_eq!(body["errors"][0]["code"], "too_many");
    let mut body =
        json!({"node_id": ids["E1.1.1.1"], "name": "Otro", "unit": "%", "baseline": 0.0});
    body["targets"] = json!(many);
    let res = app.try_create_indicator(t, &body).await;
    let body = assert_problem(res, 422, "validation_failed").await;
    assert_eq!(body["errors"][0]["field"], "targets");
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
