//! The strategic plan: structure, frozen approved versions, revisions and diff,
//! import/export, roll-up, indicators, visibility.

use serde_json::{Value, json};

use crate::helpers::{TestApp, TestUser, assert_problem, plan_doc, spawn_app, strs};

async fn json_of(res: reqwest::Response) -> Value {
    res.json().await.unwrap()
}

async fn export(app: &TestApp, token: &str, id: &str) -> Value {
    let res = app
        .get_as(token, &format!("/api/v1/plans/{id}/export"))
        .await;
    assert_eq!(res.status(), 200);
    json_of(res).await
}

/// An imported, approved copy of [`plan_doc`]: (plan id, ids by code).
async fn approved_plan(
    app: &TestApp,
    admin: &TestUser,
) -> (String, std::collections::HashMap<String, String>) {
    let plan = app.import_plan(&admin.token, &plan_doc("")).await;
    let id = plan["id"].as_str().unwrap().to_owned();
    app.approve_plan(admin, &id).await;
    let ids = app.plan_ids(&admin.token, &id).await;
    (id, ids)
}

async fn etag_of(app: &TestApp, token: &str, path: &str) -> String {
    let res = app.get_as(token, path).await;
    assert_eq!(res.status(), 200, "{path}");
    res.headers()["etag"].to_str().unwrap().to_owned()
}

#[tokio::test]
async fn export_then_import_yields_an_equal_plan() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let member = app
        .member(&admin, "Producciones Ñandú, S.L.", "B12345674")
        .await;
    let staff = app.user(&admin, "staff").await;
    let mut doc = plan_doc("");
    doc["axes"][0]["children"][0]["children"][0]["children"][0]["action"]["participant_ids"] =
        json!([member]);
    doc["axes"][0]["children"][0]["children"][0]["children"][0]["action"]["responsible_id"] =
        json!(staff.id);
    let first = app.import_plan(&admin.token, &doc).await;
    assert_eq!(first["status"], "draft");
    assert_eq!(first["labels"]["axis"], "Eje");
    let exported = export(&app, &admin.token, first["id"].as_str().unwrap()).await;
    let second = app.import_plan(&admin.token, &exported).await;
    assert_ne!(first["id"], second["id"]);
    let again = export(&app, &admin.token, second["id"].as_str().unwrap()).await;
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
    let app = spawn_app().await;
    let admin = app.admin().await;
    let mut doc = plan_doc("");
    let e1 = "axes[0]";
    let action = "axes[0].children[0].children[0].children[1]";
    doc["axes"][1]["code"] = json!("E1"); // duplicate of axes[0]
    doc["axes"][0]["action"] = json!({"progress": 10}); // action fields on an axis
    doc["axes"][0]["children"][0]["children"][0]["children"][1]["action"]["end_date"] =
        json!("2031-01-01"); // outside 2024–2027
    doc["axes"][0]["children"][0]["children"][0]["children"][1]["action"]["progress"] = json!(150);
    doc["axes"][0]["children"][0]["children"][0]["children"][0]["action"]["participant_ids"] =
        json!([uuid::Uuid::new_v4()]);
    doc["axes"][0]["children"][1]["indicators"] =
        json!([{"name": "En un área", "unit": "%", "baseline": 0.0}]);
    doc["axes"][0]["children"][0]["children"][0]["indicators"][0]["targets"] =
        json!([{"year": 2030, "value": 1.0}]);
    doc["axes"][0]["children"][0]["title"] = json!("   ");
    let res = app
        .post_json(&admin.token, "/api/v1/plans/import", &doc)
        .await;
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
    let plans = json_of(app.get_as(&admin.token, "/api/v1/plans").await).await;
    assert_eq!(
        plans["items"].as_array().unwrap().len(),
        0,
        "nothing created"
    );

    // A field the document does not know is named too.
    let mut doc = plan_doc("");
    doc["axes"][0]["colour"] = json!("rojo");
    let res = app
        .post_json(&admin.token, "/api/v1/plans/import", &doc)
        .await;
    let body: Value = res.json().await.unwrap();
    assert!(body.to_string().contains("axes[0]"), "{body}");
}

#[tokio::test]
async fn codes_are_unique_in_a_plan_but_not_across_plans() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let plan = app.import_plan(&admin.token, &plan_doc("")).await;
    let id = plan["id"].as_str().unwrap();
    let res = app
        .post_json(
            &admin.token,
            &format!("/api/v1/plans/{id}/axes"),
            &json!({"code": "E1", "title": "Otro eje"}),
        )
        .await;
    assert_problem(res, 409, "code_taken").await;
    let ids = app.plan_ids(&admin.token, id).await;
    // Renaming a node to a taken code is refused too.
    let path = format!("/api/v1/areas/{}", ids["E1.2"]);
    let res = app
        .send_as(
            "PATCH",
            &admin.token,
            &path,
            Some("*"),
            Some(&json!({"code": "E1.1"})),
        )
        .await;
    assert_problem(res, 409, "code_taken").await;
    let other = app
        .post_json(
            &admin.token,
            "/api/v1/plans",
            &json!({"title": "Otro plan", "start_year": 2028, "end_year": 2031}),
        )
        .await;
    let other = json_of(other).await;
    let res = app
        .post_json(
            &admin.token,
            &format!("/api/v1/plans/{}/axes", other["id"].as_str().unwrap()),
            &json!({"code": "E1", "title": "Internacionalización"}),
        )
        .await;
    assert_eq!(res.status(), 201);
    assert_eq!(res.headers()["etag"], "\"1\"");
}

#[tokio::test]
async fn the_tree_is_read_in_a_fixed_number_of_queries() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let statements = |text: &str| -> u64 {
        text.lines()
            .find_map(|l| {
                l.strip_prefix("agrupa_db_statements_total{route=\"/api/v1/plans/{id}/tree\"} ")
            })
            .map_or(0, |v| v.parse().unwrap())
    };
    let small = app
        .post_json(
            &admin.token,
            "/api/v1/plans",
            &json!({"title": "Pequeño", "start_year": 2024, "end_year": 2027}),
        )
        .await;
    let small = json_of(small).await;
    let res = app
        .get_as(
            &admin.token,
            &format!("/api/v1/plans/{}/tree", small["id"].as_str().unwrap()),
        )
        .await;
    assert_eq!(res.status(), 200);
    let before = statements(&app.get("/metrics").await.text().await.unwrap());
    let big = app.import_plan(&admin.token, &plan_doc("")).await;
    let tree = json_of(
        app.get_as(
            &admin.token,
            &format!("/api/v1/plans/{}/tree", big["id"].as_str().unwrap()),
        )
        .await,
    )
    .await;
    assert_eq!(tree["axes"].as_array().unwrap().len(), 2);
    let action = &tree["axes"][0]["children"][0]["children"][0]["children"][1];
    assert_eq!(action["code"], "E1.1.1.2");
    assert_eq!(action["action"]["status"], "in_progress");
    let after = statements(&app.get("/metrics").await.text().await.unwrap());
    // An empty plan and one with 13 nodes and 2 indicators cost the same.
    assert_eq!(before, after - before, "{before} then {}", after - before);
    assert!(before <= 8, "{before} statements");
}

#[tokio::test]
async fn progress_rolls_up_by_weight_and_indicators_attain_both_ways() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let plan = app.import_plan(&admin.token, &plan_doc("")).await;
    let id = plan["id"].as_str().unwrap();
    let p = json_of(
        app.get_as(&admin.token, &format!("/api/v1/plans/{id}/progress"))
            .await,
    )
    .await;
    // By hand: E1.1.1 = (1×100 + 3×40) / 4 = 55; E1.2 = 0; E1 = (55 + 0) / 2 = 27.5;
    // E2.1.1 = 50 (the cancelled action is left out); E2 = 50;
    // plan = (3 × 27.5 + 1 × 50) / 4 = 33.125 → 33.13.
    assert_eq!(p["axes"][0]["children"][0]["children"][0]["progress"], 55.0);
    assert_eq!(p["axes"][0]["progress"], 27.5);
    assert_eq!(p["axes"][1]["progress"], 50.0);
    assert_eq!(p["progress"], 33.13);
    assert_eq!(
        p["actions"],
        json!({"not_started": 1, "in_progress": 1, "completed": 1, "delayed": 1, "cancelled": 1})
    );
    // Every open action ended on 2025-06-30.
    assert_eq!(p["overdue_actions"], 3);
    assert_eq!(p["axes"][1]["overdue_actions"], 1);
    // Higher is better: 10 → 20 in 2024, measured 15: half way.
    let exports = &p["axes"][0]["children"][0]["children"][0]["indicators"][0];
    assert_eq!(
        exports["years"][0],
        json!({"year": 2024, "target": 20.0, "value": 15.0, "attainment_pct": 50.0})
    );
    assert_eq!(exports["years"][1]["value"], Value::Null);
    // Lower is better: 100 → 60 in 2025, measured 90: a quarter of the way.
    let carbon = &p["axes"][1]["children"][0]["children"][0]["indicators"][0];
    assert_eq!(carbon["years"][1]["attainment_pct"], 25.0);

    // A new measurement counts at once.
    let ind = &carbon["id"];
    let res = app
        .post_json(
            &admin.token,
            &format!("/api/v1/indicators/{}/measurements", ind.as_str().unwrap()),
            &json!({"measured_on": "2025-12-31", "value": 60.0, "source": "Auditoría"}),
        )
        .await;
    assert_eq!(res.status(), 201);
    let p = json_of(
        app.get_as(&admin.token, &format!("/api/v1/plans/{id}/progress"))
            .await,
    )
    .await;
    assert_eq!(
        p["axes"][1]["children"][0]["children"][0]["indicators"][0]["years"][1]["attainment_pct"],
        100.0
    );

    // The CSV has a row per node.
    let csv = app
        .get_csv(&admin.token, &format!("/api/v1/plans/{id}/progress"))
        .await;
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines.len(), 1 + 13, "{csv}");
    assert!(lines[0].contains("level,kind,code,title,weight,progress"));
    assert!(
        lines[1].starts_with("1,axis,E1,Internacionalización,3,27.5"),
        "{}",
        lines[1]
    );
    let tree_csv = app
        .get_csv(&admin.token, &format!("/api/v1/plans/{id}/tree"))
        .await;
    assert_eq!(tree_csv.lines().count(), 1 + 13);
}

#[tokio::test]
async fn an_approved_plan_is_frozen_but_its_execution_is_followed() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let (id, ids) = approved_plan(&app, &admin).await;
    let t = &admin.token;
    let frozen = [
        (
            "PATCH",
            format!("/api/v1/plans/{id}"),
            Some(json!({"title": "Otro"})),
        ),
        ("DELETE", format!("/api/v1/plans/{id}"), None),
        (
            "POST",
            format!("/api/v1/plans/{id}/axes"),
            Some(json!({"code": "E9", "title": "Nuevo"})),
        ),
        (
            "PATCH",
            format!("/api/v1/axes/{}", ids["E1"]),
            Some(json!({"weight": 9})),
        ),
        (
            "PATCH",
            format!("/api/v1/actions/{}", ids["E1.1.1.2"]),
            Some(json!({"action": {"end_date": "2026-12-31"}})),
        ),
        (
            "DELETE",
            format!("/api/v1/actions/{}", ids["E1.2.1.1"]),
            None,
        ),
        (
            "POST",
            "/api/v1/indicators".to_owned(),
            Some(json!({"node_id": ids["E1.1.1"], "name": "Nuevo", "unit": "%", "baseline": 0.0})),
        ),
        (
            "PATCH",
            format!("/api/v1/indicators/{}", ids["Empresas exportadoras"]),
            Some(json!({"targets": []})),
        ),
    ];
    let before = export(&app, t, &id).await;
    for (method, path, body) in &frozen {
        let res = app.send_as(method, t, path, Some("*"), body.as_ref()).await;
        let body = assert_problem(res, 409, "plan_frozen").await;
        assert!(
            body["detail"].as_str().unwrap().contains("revision"),
            "{method} {path}"
        );
    }
    assert_eq!(before, export(&app, t, &id).await, "nothing changed");
    // Execution goes on: status and progress of an action, measurements.
    let path = format!("/api/v1/actions/{}", ids["E1.1.1.2"]);
    let res = app
        .send_as(
            "PATCH",
            t,
            &path,
            Some("*"),
            Some(&json!({"action": {"status": "completed"}})),
        )
        .await;
    assert_eq!(res.status(), 200);
    let action = json_of(res).await;
    assert_eq!(action["action"]["progress"], 100);
    // The database refuses content changes to an approved plan by itself too.
    use diesel_async::{AsyncConnection, RunQueryDsl};
    let mut conn = diesel_async::AsyncPgConnection::establish(&app.db_url)
        .await
        .unwrap();
    let sql = format!(
        "UPDATE plan_nodes SET title = 'x' WHERE id = '{}'",
        ids["E1"]
    );
    let err = diesel::sql_query(sql).execute(&mut conn).await.unwrap_err();
    assert!(err.to_string().contains("frozen"), "{err}");
}

#[tokio::test]
async fn changes_need_if_match_and_concurrent_edits_never_lose_an_update() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let plan = app.import_plan(&admin.token, &plan_doc("")).await;
    let id = plan["id"].as_str().unwrap();
    let ids = app.plan_ids(&admin.token, id).await;
    let old_tag = etag_of(&app, &admin.token, &format!("/api/v1/plans/{id}")).await;
    let path = format!("/api/v1/axes/{}", ids["E1"]);
    let res = app
        .send_as(
            "PATCH",
            &admin.token,
            &path,
            None,
            Some(&json!({"title": "Sin etiqueta"})),
        )
        .await;
    assert_problem(res, 428, "precondition_required").await;
    let tag = etag_of(&app, &admin.token, &path).await;
    let (first, second) = (json!({"title": "Primera"}), json!({"title": "Segunda"}));
    let (a, b) = tokio::join!(
        app.send_as("PATCH", &admin.token, &path, Some(&tag), Some(&first)),
        app.send_as("PATCH", &admin.token, &path, Some(&tag), Some(&second))
    );
    let mut statuses = [a.status().as_u16(), b.status().as_u16()];
    statuses.sort_unstable();
    assert_eq!(statuses, [200, 412]);
    // A change to a node changes the plan's tag: an approval names the content it read.
    let plan_path = format!("/api/v1/plans/{id}");
    let current = etag_of(&app, &admin.token, &plan_path).await;
    assert_ne!(current, old_tag);
    let res = app
        .send_as(
            "POST",
            &admin.token,
            &format!("{plan_path}/approval"),
            Some("\"1\""),
            Some(&json!({"reference": "Acta"})),
        )
        .await;
    assert_problem(res, 412, "precondition_failed").await;
    let res = app
        .send_as(
            "POST",
            &admin.token,
            &format!("{plan_path}/approval"),
            None,
            Some(&json!({"reference": "Acta"})),
        )
        .await;
    assert_problem(res, 428, "precondition_required").await;
    let staff = app.user(&admin, "staff").await;
    let res = app
        .send_as(
            "POST",
            &staff.token,
            &format!("{plan_path}/approval"),
            Some(&current),
            Some(&json!({"reference": "Acta"})),
        )
        .await;
    assert_eq!(res.status(), 403);
    let res = app
        .send_as(
            "POST",
            &admin.token,
            &format!("{plan_path}/approval"),
            Some(&current),
            Some(&json!({"reference": "Acta 7/2024", "approved_on": "2024-03-12"})),
        )
        .await;
    assert_eq!(res.status(), 200);
    let approved = json_of(res).await;
    assert_eq!(approved["status"], "approved");
    assert_eq!(approved["approved_on"], "2024-03-12");
    assert_eq!(approved["approved_by"], json!(admin.id));
}

#[tokio::test]
async fn a_revision_supersedes_its_plan_and_the_diff_names_what_changed() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let (id, _) = approved_plan(&app, &admin).await;
    let t = &admin.token;
    let res = app
        .post_json(t, &format!("/api/v1/plans/{id}/revisions"), &json!({}))
        .await;
    assert_eq!(res.status(), 201);
    let rev = json_of(res).await;
    let rev_id = rev["id"].as_str().unwrap();
    assert_eq!(
        (rev["status"].as_str(), rev["version_number"].as_i64()),
        (Some("draft"), Some(2))
    );
    assert_eq!(rev["revises_id"], json!(id));
    let res = app
        .post_json(t, &format!("/api/v1/plans/{id}/revisions"), &json!({}))
        .await;
    assert_problem(res, 409, "revision_exists").await;
    // A revision of a draft is refused.
    let res = app
        .post_json(t, &format!("/api/v1/plans/{rev_id}/revisions"), &json!({}))
        .await;
    assert_problem(res, 409, "plan_not_approved").await;
    let same = json_of(
        app.get_as(t, &format!("/api/v1/plans/{rev_id}/diff?against={id}"))
            .await,
    )
    .await;
    assert_eq!(
        (
            same["added"].as_array().unwrap().len(),
            same["removed"].as_array().unwrap().len(),
            same["changed"].as_array().unwrap().len()
        ),
        (0, 0, 0),
        "{same}"
    );

    let ids = app.plan_ids(t, rev_id).await;
    let res = app
        .send_as(
            "PATCH",
            t,
            &format!("/api/v1/axes/{}", ids["E1"]),
            Some("*"),
            Some(&json!({"title": "Internacionalización y mercados"})),
        )
        .await;
    assert_eq!(res.status(), 200);
    let res = app
        .send_as(
            "DELETE",
            t,
            &format!("/api/v1/actions/{}", ids["E1.2.1.1"]),
            Some("*"),
            None,
        )
        .await;
    assert_eq!(res.status(), 204);
    let res = app
        .post_json(
            t,
            &format!("/api/v1/plans/{rev_id}/axes"),
            &json!({"code": "E3", "title": "Talento"}),
        )
        .await;
    assert_eq!(res.status(), 201);
    let diff = json_of(
        app.get_as(t, &format!("/api/v1/plans/{rev_id}/diff?against={id}"))
            .await,
    )
    .await;
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

    app.approve_plan(&admin, rev_id).await;
    let old = json_of(app.get_as(t, &format!("/api/v1/plans/{id}")).await).await;
    assert_eq!(old["status"], "superseded", "old versions stay readable");
    let tree = json_of(app.get_as(t, &format!("/api/v1/plans/{id}/tree")).await).await;
    assert_eq!(tree["axes"].as_array().unwrap().len(), 2);
    // The superseded version cannot be revised again, nor its actions followed.
    let res = app
        .post_json(t, &format!("/api/v1/plans/{id}/revisions"), &json!({}))
        .await;
    assert_problem(res, 409, "plan_not_approved").await;
}

#[tokio::test]
async fn three_level_plans_hang_actions_from_areas() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let t = &admin.token;
    let plan = json_of(
        app.post_json(
            t,
            "/api/v1/plans",
            &json!({"title": "Plan breve",
        "start_year": 2025, "end_year": 2026, "depth": 3,
        "labels": {"axis": "Línea", "area": "Programa", "objective": "-", "action": "Proyecto"}}),
        )
        .await,
    )
    .await;
    assert_eq!(plan["depth"], 3);
    let id = plan["id"].as_str().unwrap();
    let axis = json_of(
        app.post_json(
            t,
            &format!("/api/v1/plans/{id}/axes"),
            &json!({"code": "L1", "title": "Línea 1"}),
        )
        .await,
    )
    .await;
    let area = json_of(
        app.post_json(
            t,
            &format!("/api/v1/axes/{}/areas", axis["id"].as_str().unwrap()),
            &json!({"code": "L1.1", "title": "Programa 1"}),
        )
        .await,
    )
    .await;
    let area_id = area["id"].as_str().unwrap();
    let res = app
        .post_json(
            t,
            &format!("/api/v1/areas/{area_id}/objectives"),
            &json!({"code": "X", "title": "No"}),
        )
        .await;
    assert_problem(res, 409, "wrong_level").await;
    let res = app.post_json(t, &format!("/api/v1/areas/{area_id}/actions"),
        &json!({"code": "L1.1.1", "title": "Proyecto 1", "action": {"start_date": "2025-01-01", "end_date": "2024-12-31"}})).await;
    let body = assert_problem(res, 422, "validation_failed").await;
    assert_eq!(body["errors"][0]["field"], "action.end_date");
    let res = app
        .post_json(
            t,
            &format!("/api/v1/areas/{area_id}/actions"),
            &json!({"code": "L1.1.1", "title": "Proyecto 1", "action": {"status": "completed"}}),
        )
        .await;
    assert_eq!(res.status(), 201);
    let action = json_of(res).await;
    assert_eq!(action["action"]["progress"], 100);
    // Action fields on an area are refused.
    let res = app
        .post_json(
            t,
            &format!("/api/v1/axes/{}/areas", axis["id"].as_str().unwrap()),
            &json!({"code": "L1.2", "title": "Programa 2", "action": {"progress": 5}}),
        )
        .await;
    assert_problem(res, 422, "validation_failed").await;
    // An area with children is not deleted.
    let res = app
        .send_as(
            "DELETE",
            t,
            &format!("/api/v1/areas/{area_id}"),
            Some("*"),
            None,
        )
        .await;
    assert_problem(res, 409, "node_has_children").await;
    // A node of another level is not found at this path.
    let res = app.get_as(t, &format!("/api/v1/axes/{area_id}")).await;
    assert_eq!(res.status(), 404);
}

#[tokio::test]
async fn members_and_partners_see_approved_plans_and_members_their_actions() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let t = &admin.token;
    let own = app
        .member(&admin, "Animación Castiza, S.L.", "B12345674")
        .await;
    let mut doc = plan_doc("");
    doc["axes"][1]["children"][0]["children"][0]["children"][0]["action"]["participant_ids"] =
        json!([own]);
    let plan = app.import_plan(t, &doc).await;
    let id = plan["id"].as_str().unwrap().to_owned();
    let draft = app.import_plan(t, &plan_doc("")).await;
    let draft_id = draft["id"].as_str().unwrap();
    let rep = app.user(&admin, "member").await;
    let res = app
        .patch_json(
            t,
            &format!("/api/v1/users/{}", rep.id),
            &json!({"member_id": own}),
        )
        .await;
    assert_eq!(res.status(), 200);
    let rep_token = app.login(&rep.email, &rep.password).await["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let partner = app.user(&admin, "partner").await;
    let auditor = app.user(&admin, "auditor").await;

    for token in [&rep_token, &partner.token] {
        assert_eq!(
            app.get_as(token, &format!("/api/v1/plans/{id}"))
                .await
                .status(),
            404,
            "draft hidden"
        );
        let list = json_of(app.get_as(token, "/api/v1/plans").await).await;
        assert_eq!(list["items"].as_array().unwrap().len(), 0);
    }
    let list = json_of(app.get_as(&auditor.token, "/api/v1/plans").await).await;
    assert_eq!(
        list["items"].as_array().unwrap().len(),
        2,
        "auditors read drafts"
    );
    app.approve_plan(&admin, &id).await;
    for token in [&rep_token, &partner.token] {
        assert_eq!(
            app.get_as(token, &format!("/api/v1/plans/{id}/tree"))
                .await
                .status(),
            200
        );
        assert_eq!(
            app.get_as(token, &format!("/api/v1/plans/{draft_id}/tree"))
                .await
                .status(),
            404
        );
        let res = app
            .send_as(
                "PATCH",
                token,
                &format!("/api/v1/plans/{id}"),
                Some("*"),
                Some(&json!({"title": "x"})),
            )
            .await;
        assert_eq!(res.status(), 403);
    }
    let mine = json_of(app.get_as(&rep_token, "/api/v1/actions").await).await;
    let codes: Vec<&str> = strs(&mine["items"], "code");
    assert_eq!(codes, ["E2.1.1.1"]);
    let other_member = uuid::Uuid::new_v4();
    let res = json_of(
        app.get_as(
            &rep_token,
            &format!("/api/v1/actions?member_id={other_member}"),
        )
        .await,
    )
    .await;
    assert_eq!(res["items"].as_array().unwrap().len(), 0);
    // Partners see the actions of approved plans only; staff see every plan's.
    let theirs = json_of(
        app.get_as(&partner.token, "/api/v1/actions?limit=100")
            .await,
    )
    .await;
    assert_eq!(theirs["items"].as_array().unwrap().len(), 5);
    let all = json_of(app.get_as(t, "/api/v1/actions?limit=100").await).await;
    assert_eq!(all["items"].as_array().unwrap().len(), 10);
}

#[tokio::test]
async fn actions_are_filtered_and_paged() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let t = &admin.token;
    let (id, ids) = approved_plan(&app, &admin).await;
    app.import_plan(t, &plan_doc("B-")).await;
    async fn count(app: &TestApp, t: &str, q: String) -> usize {
        let page = json_of(app.get_as(t, &format!("/api/v1/actions?{q}")).await).await;
        page["items"]
            .as_array()
            .unwrap_or_else(|| panic!("{page}"))
            .len()
    }
    assert_eq!(count(&app, t, format!("plan_id={id}")).await, 5);
    assert_eq!(count(&app, t, format!("axis_id={}", ids["E2"])).await, 2);
    assert_eq!(count(&app, t, "status=delayed".into()).await, 2);
    assert_eq!(
        count(&app, t, format!("plan_id={id}&overdue=true")).await,
        3
    );
    assert_eq!(
        count(&app, t, format!("plan_id={id}&overdue=false")).await,
        2
    );
    let first = json_of(app.get_as(t, "/api/v1/actions?limit=4").await).await;
    let cursor = first["next_cursor"].as_str().unwrap();
    let mut seen: Vec<String> = first["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["id"].to_string())
        .collect();
    let mut next = json_of(
        app.get_as(t, &format!("/api/v1/actions?limit=4&cursor={cursor}"))
            .await,
    )
    .await;
    loop {
        seen.extend(
            next["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|a| a["id"].to_string()),
        );
        let Some(c) = next["next_cursor"].as_str() else {
            break;
        };
        next = json_of(
            app.get_as(t, &format!("/api/v1/actions?limit=4&cursor={c}"))
                .await,
        )
        .await;
    }
    let total = seen.len();
    seen.sort();
    seen.dedup();
    assert_eq!((total, seen.len()), (10, 10));
    let res = app.get_as(t, "/api/v1/actions?status=finished").await;
    assert_eq!(res.status(), 400);
}

#[tokio::test]
async fn indicators_belong_to_objectives_and_actions_with_targets_in_the_plan() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let t = &admin.token;
    let plan = app.import_plan(t, &plan_doc("")).await;
    let ids = app.plan_ids(t, plan["id"].as_str().unwrap()).await;
    let res = app
        .post_json(
            t,
            "/api/v1/indicators",
            &json!({"node_id": ids["E1"], "name": "X", "unit": "%", "baseline": 0.0}),
        )
        .await;
    let body = assert_problem(res, 422, "validation_failed").await;
    assert_eq!(body["errors"][0]["field"], "node_id");
    let res = app.post_json(t, "/api/v1/indicators", &json!({"node_id": ids["E1.1.1.1"], "name": "Asistentes 🎬",
        "unit": "personas", "baseline": 100.0, "targets": [{"year": 2026, "value": 300.0}, {"year": 2026, "value": 1.0},
        {"year": 2031, "value": 1.0}]})).await;
    let body = assert_problem(res, 422, "validation_failed").await;
    assert_eq!(body["errors"].as_array().unwrap().len(), 2, "{body}");
    let res = app
        .post_json(
            t,
            "/api/v1/indicators",
            &json!({"node_id": ids["E1.1.1.1"], "name": "Asistentes 🎬",
        "unit": "personas", "baseline": 100.0, "targets": [{"year": 2026, "value": 300.0}]}),
        )
        .await;
    assert_eq!(res.status(), 201);
    let ind = json_of(res).await;
    assert_eq!(ind["targets"], json!([{"year": 2026, "value": 300.0}]));
    let res = app
        .post_json(
            t,
            "/api/v1/indicators",
            &json!({"node_id": ids["E1.1.1.1"], "name": "Asistentes 🎬",
        "unit": "personas", "baseline": 0.0}),
        )
        .await;
    assert_problem(res, 409, "indicator_name_taken").await;
    let list = json_of(
        app.get_as(
            t,
            &format!("/api/v1/indicators?node_id={}", ids["E1.1.1.1"]),
        )
        .await,
    )
    .await;
    assert_eq!(list["items"].as_array().unwrap().len(), 1);
    let res = app
        .post_json(
            t,
            &format!(
                "/api/v1/indicators/{}/measurements",
                ind["id"].as_str().unwrap()
            ),
            &json!({"measured_on": "2026-05-01", "value": 1e300}),
        )
        .await;
    assert_problem(res, 422, "validation_failed").await;
}

#[tokio::test]
async fn the_demo_plan_has_7_axes_17_areas_17_objectives_and_57_actions() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let mut conn = {
        use diesel_async::AsyncConnection;
        diesel_async::AsyncPgConnection::establish(&app.db_url)
            .await
            .unwrap()
    };
    let seeded = agrupa::seed::demo::seed(&mut conn).await.unwrap();
    assert_eq!(seeded.plans, 1);
    let plans = json_of(app.get_as(&admin.token, "/api/v1/plans").await).await;
    let plan = &plans["items"][0];
    assert_eq!(plan["status"], "approved");
    assert_eq!(plan["labels"]["axis"], "Eje");
    let tree = json_of(
        app.get_as(
            &admin.token,
            &format!("/api/v1/plans/{}/tree", plan["id"].as_str().unwrap()),
        )
        .await,
    )
    .await;
    let axes = tree["axes"].as_array().unwrap();
    let areas: Vec<&Value> = axes
        .iter()
        .flat_map(|a| a["children"].as_array().unwrap())
        .collect();
    let objectives: Vec<&Value> = areas
        .iter()
        .flat_map(|a| a["children"].as_array().unwrap())
        .collect();
    let actions: Vec<&Value> = objectives
        .iter()
        .flat_map(|o| o["children"].as_array().unwrap())
        .collect();
    assert_eq!(
        (axes.len(), areas.len(), objectives.len(), actions.len()),
        (7, 17, 17, 57)
    );
    assert!(actions.iter().any(|a| {
        !a["action"]["participant_ids"]
            .as_array()
            .unwrap()
            .is_empty()
    }));
    let progress = json_of(
        app.get_as(
            &admin.token,
            &format!("/api/v1/plans/{}/progress", plan["id"].as_str().unwrap()),
        )
        .await,
    )
    .await;
    let p = progress["progress"].as_f64().unwrap();
    assert!(p > 0.0 && p < 100.0, "{p}");
}

#[tokio::test]
async fn a_plan_keeps_its_actions_and_targets_inside_its_years() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let plan = app.import_plan(&admin.token, &plan_doc("")).await;
    let id = plan["id"].as_str().unwrap();
    let res = app
        .send_as(
            "PATCH",
            &admin.token,
            &format!("/api/v1/plans/{id}"),
            Some("*"),
            Some(&json!({"start_year": 2025})),
        )
        .await;
    let body = assert_problem(res, 422, "validation_failed").await;
    assert!(body["errors"].to_string().contains("E1.1.1.1"), "{body}");
    let res = app
        .send_as(
            "PATCH",
            &admin.token,
            &format!("/api/v1/plans/{id}"),
            Some("*"),
            Some(&json!({"end_year": 2028})),
        )
        .await;
    assert_eq!(res.status(), 200);
}
