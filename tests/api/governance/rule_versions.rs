//! A body's rules versioned with the statutes they come from: creating a body writes
//! version 1, each change of its rules a new one; convening freezes the version, and the
//! meeting's quorum, proxies and majorities come from it whatever the body's rules become;
//! the matters that need the qualified majority are part of the rules; a version is never
//! changed (a trigger refuses it).

use super::*;
use crate::support::{assert_problem, expect_json, governance::in_days};

/// An assembly of `n` members whose version 1 of the rules comes from the 2023 statutes.
async fn with_statutes(n: u32) -> Assembly {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let category = app
        .create_category(
            &admin.token,
            &json!({"name": "De número", "annual_fee_cents": 120000}),
        )
        .await;
    let members = app.active_members(&admin.token, category, 1, n).await;
    let b = app
        .create_body(
            &admin.token,
            &json!({"kind": "assembly", "name": "Asamblea General",
                "statutes_reference": "Estatutos de 2023, arts. 10–22",
                "rules_effective_from": "2023-06-15"}),
        )
        .await;
    Assembly {
        body: id(&b),
        app,
        admin,
        category,
        members,
    }
}

/// Changes the body's rules (with its current ETag).
async fn change_rules(a: &Assembly, patch: Value) -> reqwest::Response {
    let path = format!("/api/v1/bodies/{}", a.body);
    let tag = a.app.etag_of(&a.admin.token, &path).await;
    a.app
        .send_as("PATCH", &a.admin.token, &path, Some(&tag), Some(&patch))
        .await
}

async fn versions(a: &Assembly) -> Vec<Value> {
    let path = format!("/api/v1/bodies/{}/rule-versions", a.body);
    let page: Value = a.app.get_ok(&a.admin.token, &path).await;
    page["items"].as_array().unwrap().clone()
}

#[tokio::test]
async fn changing_the_rules_after_convening_does_not_change_the_meetings_outcome() {
    let a = with_statutes(6).await;
    let t = &a.admin.token;
    let v1 = versions(&a).await;
    assert_eq!(v1.len(), 1);
    assert_eq!(v1[0]["number"], 1);
    assert_eq!(v1[0]["effective_from"], "2023-06-15");
    assert_eq!(
        v1[0]["statutes_reference"],
        "Estatutos de 2023, arts. 10–22"
    );
    assert_eq!(v1[0]["rules"]["quorum_first"], json!({"num": 1, "den": 3}));

    let agenda = json!([
        {"title": "Plan de actividades", "kind": "resolution", "majority": "simple"},
        {"title": "Cuota extraordinaria", "kind": "resolution", "majority": "qualified"},
    ]);
    let m = a.app.convene(t, a.body, agenda).await;
    let meeting = id(&m);
    assert_eq!(m["rules_version_id"], v1[0]["id"]);
    assert_eq!(m["rules"]["number"], 1);
    let items: Vec<Uuid> = m["agenda"].as_array().unwrap().iter().map(id).collect();

    // The statutes are reformed after convening: a stricter quorum and majorities, no
    // proxies.
    let reform = json!({"statutes_reference": "Estatutos reformados de 2026, arts. 10–24",
        "rules_effective_from": "2026-01-01",
        "rules": {"quorum_first": {"num": 2, "den": 3}, "proxies_allowed": false,
            "simple_majority": {"num": 2, "den": 3, "base": "votes_cast"},
            "qualified_majority": {"num": 2, "den": 3, "base": "whole_roll"}}});
    let body: Value = expect_json(change_rules(&a, reform).await, 200).await;
    assert_eq!(body["rules"]["quorum_first"], json!({"num": 2, "den": 3}));
    let v = versions(&a).await;
    assert_eq!(v.len(), 2);
    assert_eq!(
        (v[0]["number"].as_i64(), v[1]["number"].as_i64()),
        (Some(2), Some(1))
    );
    assert_eq!(
        v[0]["statutes_reference"],
        "Estatutos reformados de 2026, arts. 10–24"
    );
    assert_eq!(v[0]["rules"]["proxies_allowed"], false);
    assert_eq!(
        v[1]["rules"]["proxies_allowed"], true,
        "version 1 unchanged"
    );

    // Attendance under the frozen rules: a proxy is still allowed.
    let roll = roll_ids(&a, meeting).await;
    let mut entries = present(&roll[..2]);
    entries.push(proxy(roll[2], roll[0]));
    let res = a.app.try_attendance(t, meeting, json!(entries)).await;
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
    // 3 of 6 present or represented: quorate at 1/3 (2 needed), not at the new 2/3 (4).
    let res = a.app.try_constitute(t, meeting, "first").await;
    let constituted: Value = expect_json(res, 200).await;
    assert_eq!(constituted["status"], "constituted_first");
    assert_eq!(constituted["quorum"]["required_count"], 2);

    // 2 yes, 1 no: above 1/2 of the votes cast (frozen), not above the new 2/3.
    let simple: Value = expect_json(
        a.app
            .try_resolve(
                t,
                meeting,
                items[0],
                &json!({"totals": {"yes": 2, "no": 1, "abstain": 0}}),
            )
            .await,
        201,
    )
    .await;
    assert_eq!(simple["adopted"], true);
    assert_eq!(simple["majority_rule"], "yes above 1/2 of votes_cast");
    // 2 yes of 3 present: above 1/2 of present and represented (frozen); the new rule
    // would need above 2/3 of the whole roll of 6.
    let qualified: Value = expect_json(
        a.app
            .try_resolve(
                t,
                meeting,
                items[1],
                &json!({"totals": {"yes": 2, "no": 0, "abstain": 1}}),
            )
            .await,
        201,
    )
    .await;
    assert_eq!(qualified["adopted"], true);
    assert_eq!(
        qualified["majority_rule"],
        "yes above 1/2 of present_and_represented"
    );

    // The meeting states the version it applied, and so do its minutes.
    let detail = a.app.meeting(t, meeting).await;
    assert_eq!(detail["rules"]["number"], 1);
    assert_eq!(
        detail["rules"]["statutes_reference"],
        "Estatutos de 2023, arts. 10–22"
    );
    let path = format!("/api/v1/meetings/{meeting}/minutes");
    let draft: Value = expect_json(
        a.app
            .send_as(
                "PUT",
                t,
                &path,
                None,
                Some(&json!({"debate_summary": "Sin debate."})),
            )
            .await,
        200,
    )
    .await;
    assert_eq!(draft["content"]["rules"]["number"], 1);
    assert_eq!(
        draft["content"]["rules"]["rules"]["quorum_first"],
        json!({"num": 1, "den": 3})
    );
    assert_eq!(
        draft["content"]["body"]["statutes_reference"],
        "Estatutos de 2023, arts. 10–22"
    );
    assert_eq!(draft["content"]["meeting"]["rules_version_id"], v1[0]["id"]);
    let approved: Value = expect_json(
        a.app
            .post_json(t, &format!("{path}/approval"), &json!({}))
            .await,
        200,
    )
    .await;
    assert_eq!(approved["content"]["rules"]["number"], 1);

    // A meeting convened now applies version 2: the proxy is refused.
    let next = a
        .app
        .convene(
            t,
            a.body,
            json!([{"title": "Informe", "kind": "informative"}]),
        )
        .await;
    assert_eq!(next["rules"]["number"], 2);
    assert_eq!(next["rules_version_id"], v[0]["id"]);
    let roll = roll_ids(&a, id(&next)).await;
    let res = a
        .app
        .try_attendance(t, id(&next), json!([proxy(roll[1], roll[0])]))
        .await;
    let problem = assert_problem(res, 422, "validation_failed").await;
    assert!(
        problem["errors"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["code"] == "proxies_not_allowed")
    );
}

#[tokio::test]
async fn only_a_change_of_the_rules_writes_a_version_and_never_before_the_previous_one() {
    let a = with_statutes(2).await;
    // A new name is no change of the rules.
    let res = change_rules(&a, json!({"name": "Asamblea General de Socios"})).await;
    assert_eq!(res.status(), 200);
    // Neither are the same rules sent again.
    let res = change_rules(&a, json!({"rules": {"notice_days": 15}})).await;
    assert_eq!(res.status(), 200);
    assert_eq!(versions(&a).await.len(), 1);
    // A version cannot take effect before the previous one; nothing is written.
    let res = change_rules(
        &a,
        json!({"rules": {"notice_days": 20}, "rules_effective_from": "2020-01-01"}),
    )
    .await;
    let problem = assert_problem(res, 422, "validation_failed").await;
    assert_eq!(problem["errors"][0]["code"], "effective_before_previous");
    let body: Value = a
        .app
        .get_ok(&a.admin.token, &format!("/api/v1/bodies/{}", a.body))
        .await;
    assert_eq!(body["rules"]["notice_days"], 15);
    // A signed year past 9999 (chrono reads it; the schema's date does not): 422, not a
    // database error.
    let res = change_rules(
        &a,
        json!({"rules": {"notice_days": 20}, "rules_effective_from": "+12345-01-01"}),
    )
    .await;
    assert!(
        matches!(res.status().as_u16(), 400 | 422),
        "{}",
        res.status()
    );
    // A statutes reference alone is a new version (the rules come from other statutes).
    let res = change_rules(&a, json!({"statutes_reference": "Estatutos de 2025"})).await;
    assert_eq!(res.status(), 200);
    let v = versions(&a).await;
    assert_eq!(v.len(), 2);
    assert_eq!(v[0]["statutes_reference"], "Estatutos de 2025");
    // Paginated, and as CSV.
    let path = format!("/api/v1/bodies/{}/rule-versions", a.body);
    let page: Value = a
        .app
        .get_ok(&a.admin.token, &format!("{path}?limit=1"))
        .await;
    assert_eq!(page["items"][0]["number"], 2);
    let cursor = page["next_cursor"].as_str().unwrap();
    let page: Value = a
        .app
        .get_ok(&a.admin.token, &format!("{path}?limit=1&cursor={cursor}"))
        .await;
    assert_eq!(page["items"][0]["number"], 1);
    assert!(page["next_cursor"].is_null());
    let csv = a.app.get_csv(&a.admin.token, &path).await;
    assert_eq!(csv.lines().count(), 3, "{csv}");
    assert!(csv.contains("Estatutos de 2025"));
}

#[tokio::test]
async fn the_matters_that_need_the_qualified_majority_are_rules() {
    let a = with_statutes(3).await;
    let t = &a.admin.token;
    let body: Value = a.app.get_ok(t, &format!("/api/v1/bodies/{}", a.body)).await;
    assert_eq!(
        body["rules"]["qualified_matters"],
        json!([
            "statutes",
            "dissolution",
            "asset_disposal",
            "board_remuneration"
        ])
    );
    let meeting = |majority: Option<&str>| {
        let mut item = json!({"title": "Venta del local", "kind": "resolution",
            "matter": "asset_disposal"});
        if let Some(m) = majority {
            item["majority"] = json!(m);
        }
        json!({"body_id": a.body, "kind": "ordinary", "convened_by": "board",
            "first_call_at": in_days(16), "agenda": [item]})
    };
    // A simple majority for the disposal of assets: 422, nothing convened.
    let problem = assert_problem(
        a.app.try_convene(t, &meeting(Some("simple"))).await,
        422,
        "validation_failed",
    )
    .await;
    assert_eq!(problem["errors"][0]["field"], "agenda[0].majority");
    assert_eq!(problem["errors"][0]["code"], "majority_below_rule");
    // Left out, the item takes the qualified one.
    let m: Value = expect_json(a.app.try_convene(t, &meeting(None)).await, 201).await;
    assert_eq!(m["agenda"][0]["majority"], "qualified");
    // Statutes that put asset disposal to a simple majority: a new version allows it.
    let res = change_rules(
        &a,
        json!({"rules": {"qualified_matters": ["statutes", "dissolution"]}}),
    )
    .await;
    assert_eq!(res.status(), 200);
    let m: Value = expect_json(a.app.try_convene(t, &meeting(None)).await, 201).await;
    assert_eq!(m["agenda"][0]["majority"], "simple");
    assert_eq!(m["rules"]["number"], 2);
    let m: Value = expect_json(a.app.try_convene(t, &meeting(Some("simple"))).await, 201).await;
    assert_eq!(m["agenda"][0]["majority"], "simple");
}

#[tokio::test]
async fn a_version_of_the_rules_is_never_changed_and_belongs_to_its_body() {
    let a = with_statutes(2).await;
    let t = &a.admin.token;
    let v = versions(&a).await;
    let version = v[0]["id"].as_str().unwrap().to_owned();
    let update = a
        .app
        .sql_result(&format!(
            "UPDATE body_rule_versions SET notice_days = 1 WHERE id = '{version}'"
        ))
        .await;
    assert!(update.unwrap_err().contains("never changed"));
    let delete = a
        .app
        .sql_result(&format!(
            "DELETE FROM body_rule_versions WHERE id = '{version}'"
        ))
        .await;
    assert!(delete.unwrap_err().contains("never changed"));
    assert_eq!(versions(&a).await[0]["rules"]["notice_days"], 15);
    // A meeting applies a version of its own body's rules.
    let board: Value = a
        .app
        .create_body(t, &json!({"kind": "board", "name": "Junta Directiva"}))
        .await;
    let m = a.app.convene(t, a.body, json!([])).await;
    let board_versions: Value = a
        .app
        .get_ok(t, &format!("/api/v1/bodies/{}/rule-versions", id(&board)))
        .await;
    let other = board_versions["items"][0]["id"].as_str().unwrap();
    let swap = a
        .app
        .sql_result(&format!(
            "UPDATE meetings SET rules_version_id = '{other}' WHERE id = '{}'",
            id(&m)
        ))
        .await;
    assert!(swap.unwrap_err().contains("meetings_rules_version_fkey"));
    let cleared = a
        .app
        .sql_result(&format!(
            "UPDATE meetings SET rules_version_id = NULL WHERE id = '{}'",
            id(&m)
        ))
        .await;
    assert!(cleared.is_err());
}
