//! The register's rules on who may change what: visibility comes before every other answer
//! (a representative learns nothing about another organisation, not even that its ETag
//! changed), and If-Match is honoured once the caller may see the resource.

use serde_json::{Value, json};

use crate::helpers::{TestApp, TestUser, assert_problem, spawn_app};

const STALE: &str = "\"999\"";

/// Two active members, a representative of the first, and a contact of each.
struct World {
    app: TestApp,
    admin: TestUser,
    rep: TestUser,
    own: String,
    other: String,
    own_contact: String,
    other_contact: String,
}

async fn contact(app: &TestApp, admin: &TestUser, member: &str, name: &str) -> String {
    let res = app
        .post_json(
            &admin.token,
            &format!("/api/v1/members/{member}/contacts"),
            &json!({"name": name, "email": "persona@example.es"}),
        )
        .await;
    assert_eq!(res.status(), 201);
    res.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

async fn world() -> World {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let own = app.member(&admin, "Mi Productora, S.L.", "B12345674").await;
    let other = app
        .member(&admin, "La Competencia, S.L.", "A58818501")
        .await;
    let rep = app
        .user_with(&admin, "member", json!({"member_id": own}))
        .await;
    let own_contact = contact(&app, &admin, &own, "Yo misma").await;
    let other_contact = contact(&app, &admin, &other, "Ella misma").await;
    World {
        app,
        admin,
        rep,
        own,
        other,
        own_contact,
        other_contact,
    }
}

async fn contact_names(w: &World, member: &str) -> Vec<String> {
    let page: Value = w
        .app
        .get_as(
            &w.admin.token,
            &format!("/api/v1/members/{member}/contacts"),
        )
        .await
        .json()
        .await
        .unwrap();
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn a_stale_etag_on_another_organisations_member_is_a_404_not_a_412() {
    let w = world().await;
    let body = json!({"website": "https://robada.es"});
    for (member, status, code) in [
        (&w.other, 404, "not_found"),
        (&w.own, 412, "precondition_failed"),
    ] {
        let res = w
            .app
            .send_as(
                "PATCH",
                &w.rep.token,
                &format!("/api/v1/members/{member}"),
                Some(STALE),
                Some(&body),
            )
            .await;
        assert_problem(res, status, code).await;
    }
    let other: Value = w
        .app
        .get_as(&w.admin.token, &format!("/api/v1/members/{}", w.other))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(other["website"], Value::Null);
}

#[tokio::test]
async fn a_stale_etag_on_another_organisations_contact_is_a_404_not_a_412() {
    let w = world().await;
    let body = json!({"position": "Gerencia"});
    let theirs = format!("/api/v1/members/{}/contacts/{}", w.other, w.other_contact);
    // Their contact through their member, and through the representative's own member.
    let through_own = format!("/api/v1/members/{}/contacts/{}", w.own, w.other_contact);
    for path in [&theirs, &through_own] {
        let res = w
            .app
            .send_as("PATCH", &w.rep.token, path, Some(STALE), Some(&body))
            .await;
        assert_problem(res, 404, "not_found").await;
        let res = w
            .app
            .send_as("DELETE", &w.rep.token, path, Some(STALE), None)
            .await;
        assert_problem(res, 404, "not_found").await;
    }
    assert_eq!(contact_names(&w, &w.other).await, ["Ella misma"]);

    let mine = format!("/api/v1/members/{}/contacts/{}", w.own, w.own_contact);
    let res = w
        .app
        .send_as("PATCH", &w.rep.token, &mine, Some(STALE), Some(&body))
        .await;
    assert_problem(res, 412, "precondition_failed").await;
    let res = w
        .app
        .send_as("DELETE", &w.rep.token, &mine, Some(STALE), None)
        .await;
    assert_problem(res, 412, "precondition_failed").await;
    let res = w
        .app
        .send_as("PATCH", &w.rep.token, &mine, Some("\"1\""), Some(&body))
        .await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers().get("etag").unwrap(), "\"2\"");
    assert_eq!(contact_names(&w, &w.own).await, ["Yo misma"]);
}

#[tokio::test]
async fn representatives_cannot_settle_dues_or_move_statuses_whatever_their_etag() {
    let w = world().await;
    let res = w
        .app
        .post_json(
            &w.admin.token,
            "/api/v1/dues-issuances",
            &json!({"year": 2025, "issued_on": "2025-01-15", "due_on": "2025-03-31"}),
        )
        .await;
    assert_eq!(res.status(), 201);
    for member in [&w.other, &w.own] {
        let res = w
            .app
            .send_as(
                "PATCH",
                &w.rep.token,
                &format!("/api/v1/members/{member}/dues/2025"),
                Some(STALE),
                Some(&json!({"status": "waived"})),
            )
            .await;
        assert_problem(res, 403, "forbidden").await;
        let res = w
            .app
            .send_as(
                "POST",
                &w.rep.token,
                &format!("/api/v1/members/{member}/status-changes"),
                Some(STALE),
                Some(&json!({"to": "suspended", "reason": "no"})),
            )
            .await;
        assert_problem(res, 403, "forbidden").await;
    }
    // Staff see every due: a stale tag is a 412 and changes nothing.
    let due = format!("/api/v1/members/{}/dues/2025", w.other);
    let res = w
        .app
        .send_as(
            "PATCH",
            &w.admin.token,
            &due,
            Some(STALE),
            Some(&json!({"status": "waived"})),
        )
        .await;
    assert_problem(res, 412, "precondition_failed").await;
    let res = w
        .app
        .send_as(
            "PATCH",
            &w.admin.token,
            &due,
            Some("\"1\""),
            Some(&json!({"status": "waived"})),
        )
        .await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.json::<Value>().await.unwrap()["status"], "waived");
}

#[tokio::test]
async fn a_status_change_honours_the_members_etag() {
    let w = world().await;
    let path = format!("/api/v1/members/{}", w.other);
    let res = w.app.get_as(&w.admin.token, &path).await;
    let tag = res
        .headers()
        .get("etag")
        .unwrap()
        .to_str()
        .unwrap()
        .to_owned();
    let moves = format!("{path}/status-changes");
    let body = json!({"to": "expelled", "reason": "Acuerdo de la Asamblea General"});
    let res = w
        .app
        .send_as("POST", &w.admin.token, &moves, Some(STALE), Some(&body))
        .await;
    assert_problem(res, 412, "precondition_failed").await;
    let member: Value = w
        .app
        .get_as(&w.admin.token, &path)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(member["status"], "active");
    let res = w
        .app
        .send_as("POST", &w.admin.token, &moves, Some(&tag), Some(&body))
        .await;
    assert_eq!(res.status(), 201);
    let member: Value = w
        .app
        .get_as(&w.admin.token, &path)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(member["status"], "expelled");
}
