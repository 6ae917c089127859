//! Versions of a plan: frozen once approved, If-Match, approval, revisions and their diff.

use super::*;

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
