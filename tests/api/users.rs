//! User management, pagination, and the JSON error paths (proved on the user resources).

use serde_json::{Value, json};
use uuid::Uuid;

use crate::support::{TestApp, assert_problem, spawn_app, spawn_app_with, strs};

fn new_user(email: &str) -> Value {
    json!({"email": email, "display_name": "Begoña Iñíguez 🎬", "role": "staff", "password": "una contraseña muy larga"})
}

#[tokio::test]
async fn admins_create_users_with_location_and_spanish_names_survive() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let res = app
        .try_create_user(&admin.token, &new_user("Begona@Cluster.ES"))
        .await;
    assert_eq!(res.status(), 201);
    let location = res
        .headers()
        .get("location")
        .unwrap()
        .to_str()
        .unwrap()
        .to_owned();
    let created: Value = res.json().await.unwrap();
    assert_eq!(
        location,
        format!("/api/v1/users/{}", created["id"].as_str().unwrap())
    );
    assert_eq!(created["email"], "begona@cluster.es");
    assert_eq!(created["display_name"], "Begoña Iñíguez 🎬");
    assert!(created.get("password").is_none() && created.get("password_hash").is_none());
    let fetched: Value = app.get_ok(&admin.token, &location).await;
    assert_eq!(fetched, created);
}

#[tokio::test]
async fn e_mails_are_unique_whatever_their_case() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    assert_eq!(
        app.try_create_user(&admin.token, &new_user("ana@cluster.es"))
            .await
            .status(),
        201
    );
    let res = app
        .try_create_user(&admin.token, &new_user("ANA@cluster.es"))
        .await;
    assert_problem(res, 409, "user_email_taken").await;
}

#[tokio::test]
async fn invalid_values_are_all_reported_at_once_and_nothing_is_created() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let res = app
        .try_create_user(
            &admin.token,
            &json!({"email": "not-an-email", "display_name": "  ", "role": "staff", "password": "corta",
                    "member_id": Uuid::now_v7()}),
        )
        .await;
    let body = assert_problem(res, 422, "validation_failed").await;
    let fields: Vec<&str> = strs(&body["errors"], "field");
    assert_eq!(fields, ["email", "display_name", "password", "member_id"]);
    let list = app.list_users(&admin.token, "").await;
    assert_eq!(list.items.len(), 1, "only the admin");
}

#[tokio::test]
async fn unknown_fields_and_wrong_types_are_rejected_with_400() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let mut body = new_user("x@cluster.es");
    body["is_superuser"] = json!(true);
    let res = app.try_create_user(&admin.token, &body).await;
    let problem = assert_problem(res, 400, "invalid_body").await;
    assert_eq!(problem["errors"][0]["field"], "is_superuser");

    let mut body = new_user("x@cluster.es");
    body["role"] = json!("root");
    assert_problem(
        app.try_create_user(&admin.token, &body).await,
        400,
        "invalid_body",
    )
    .await;
    let mut body = new_user("x@cluster.es");
    body["display_name"] = json!(42);
    assert_problem(
        app.try_create_user(&admin.token, &body).await,
        400,
        "invalid_body",
    )
    .await;
}

#[tokio::test]
async fn malformed_json_is_a_400_problem() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let res = app
        .client
        .post(app.url("/api/v1/users"))
        .bearer_auth(&admin.token)
        .header("content-type", "application/json")
        .body("{\"email\": ")
        .send()
        .await
        .unwrap();
    assert_problem(res, 400, "malformed_json").await;
}

#[tokio::test]
async fn a_body_that_is_not_json_is_a_415_problem() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let res = app
        .client
        .post(app.url("/api/v1/users"))
        .bearer_auth(&admin.token)
        .header("content-type", "text/plain")
        .body(new_user("x@cluster.es").to_string())
        .send()
        .await
        .unwrap();
    assert_problem(res, 415, "unsupported_media_type").await;
}

#[tokio::test]
async fn a_body_over_the_limit_is_a_413_problem() {
    let app = spawn_app_with(|c| c.body_limit = 4096).await;
    let admin = app.admin().await;
    let mut body = new_user("x@cluster.es");
    body["display_name"] = json!("ñ".repeat(5000));
    let res = app.try_create_user(&admin.token, &body).await;
    assert_problem(res, 413, "payload_too_large").await;
    // Just under the limit, but too long a name: a 422, not a 413.
    body["display_name"] = json!("ñ".repeat(201));
    assert_problem(
        app.try_create_user(&admin.token, &body).await,
        422,
        "validation_failed",
    )
    .await;
}

#[tokio::test]
async fn bad_path_and_query_parameters_are_problems() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let t = &admin.token;
    // A path segment that is not an id names no resource: 404, as on every route.
    assert_problem(app.try_get_user(t, "not-a-uuid").await, 404, "not_found").await;
    assert_problem(
        app.try_list_users(t, "limit=abc").await,
        400,
        "invalid_query",
    )
    .await;
    let body = assert_problem(
        app.try_list_users(t, "colour=red").await,
        400,
        "invalid_query",
    )
    .await;
    assert_eq!(body["errors"][0]["field"], "colour");
    assert_problem(
        app.try_list_users(t, "role=root").await,
        400,
        "invalid_query",
    )
    .await;
    assert_problem(app.try_list_users(t, "limit=0").await, 400, "invalid_limit").await;
    assert_problem(
        app.try_list_users(t, "limit=101").await,
        400,
        "invalid_limit",
    )
    .await;
    let unknown = Uuid::now_v7();
    assert_problem(
        app.try_get_user(t, &unknown.to_string()).await,
        404,
        "not_found",
    )
    .await;
}

/// The e-mails of every page of users `query` selects, and the number of pages.
async fn all_pages(app: &TestApp, token: &str, query: &str) -> (Vec<String>, usize) {
    let mut emails = Vec::new();
    let mut pages = 0;
    let mut next = query.to_owned();
    loop {
        let page = app.list_users(token, &next).await;
        pages += 1;
        emails.extend(page.items.into_iter().map(|u| u.email));
        match page.next_cursor {
            Some(c) => next = format!("{query}&cursor={c}"),
            None => return (emails, pages),
        }
    }
}

#[tokio::test]
async fn cursor_pages_cover_every_user_once_in_each_sort() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    for name in ["zoe", "íñigo", "bea", "carla", "dario", "elena", "fermin"] {
        let res = app
            .try_create_user(&admin.token, &new_user(&format!("{name}@cluster.es")))
            .await;
        assert_eq!(res.status(), 201);
    }
    let (by_creation, pages) = all_pages(&app, &admin.token, "limit=3&sort=created_at").await;
    assert_eq!(pages, 3);
    assert_eq!(by_creation.len(), 8);
    assert_eq!(by_creation[1], "zoe@cluster.es");
    let (by_email, _) = all_pages(&app, &admin.token, "limit=2&sort=email").await;
    let mut sorted = by_email.clone();
    sorted.sort();
    assert_eq!(by_email, sorted);
    assert_eq!(by_email.len(), 8);
    let (desc, _) = all_pages(&app, &admin.token, "limit=5&sort=-created_at").await;
    assert_eq!(desc, by_creation.iter().rev().cloned().collect::<Vec<_>>());

    let staff_only = app.list_users(&admin.token, "role=staff&limit=100").await;
    assert_eq!(staff_only.items.len(), 7);
}

#[tokio::test]
async fn forged_or_foreign_cursors_are_400_not_500() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let t = &admin.token;
    app.try_create_user(t, &new_user("b@cluster.es")).await;
    let page = app.list_users(t, "limit=1&sort=email").await;
    let cursor = page.next_cursor.unwrap();
    // The same cursor with another sort.
    let res = app
        .try_list_users(t, &format!("limit=1&sort=-created_at&cursor={cursor}"))
        .await;
    assert_problem(res, 400, "invalid_cursor").await;
    // Another list's cursor.
    let res = app
        .try_list_api_clients(t, &format!("cursor={cursor}"))
        .await;
    assert_problem(res, 400, "invalid_cursor").await;
    // Tampered.
    let mut forged = cursor.clone();
    forged.replace_range(0..2, "ey");
    forged.insert(3, 'A');
    let res = app
        .try_list_users(t, &format!("limit=1&sort=email&cursor={forged}"))
        .await;
    assert_problem(res, 400, "invalid_cursor").await;
    let res = app.try_list_users(t, "cursor=%F0%9F%92%A5").await;
    assert_problem(res, 400, "invalid_cursor").await;
}

#[tokio::test]
async fn the_last_active_admin_cannot_be_demoted_or_deactivated() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let t = &admin.token;
    assert_problem(
        app.try_update_user(t, &admin.id, &json!({"active": false}))
            .await,
        409,
        "last_admin",
    )
    .await;
    assert_problem(
        app.try_update_user(t, &admin.id, &json!({"role": "staff"}))
            .await,
        409,
        "last_admin",
    )
    .await;
    // With a second admin it is allowed.
    let second = app.user(&admin, "admin").await;
    let user = app
        .update_user(&second.token, &admin.id, &json!({"role": "auditor"}))
        .await;
    assert_eq!(user.role, "auditor");
}

#[tokio::test]
async fn patch_changes_only_what_it_names_and_checks_affiliations() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let t = &admin.token;
    let staff = app.user(&admin, "staff").await;
    let org = app
        .new_member(t, "Producciones Ñandú, S.L.", "B12345674")
        .await;
    let res = app
        .try_update_user(t, &staff.id, &json!({"member_id": org}))
        .await;
    let body = assert_problem(res, 422, "validation_failed").await;
    assert_eq!(body["errors"][0]["field"], "member_id");
    let user = app
        .update_user(t, &staff.id, &json!({"role": "member", "member_id": org}))
        .await;
    assert_eq!(user.member_id, Some(org));
    assert_eq!(user.display_name, "Usuaria staff");
    // The role change ended the old sessions.
    assert_eq!(app.try_me(&staff.token).await.status(), 401);
    let user = app
        .update_user(t, &staff.id, &json!({"role": "staff", "member_id": null}))
        .await;
    assert!(user.member_id.is_none());
}

#[tokio::test]
async fn api_client_secrets_are_shown_once_and_never_again() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let t = &admin.token;
    let created = app
        .create_api_client(t, &json!({"name": "Ministerio", "scopes": []}))
        .await;
    let secret = created.client_secret.unwrap();
    let one = app.api_client_text(t, created.id).await;
    let list = app.try_list_api_clients(t, "").await.text().await.unwrap();
    for text in [&one, &list] {
        assert!(!text.contains(&secret));
        assert!(!text.contains("secret_hash") && !text.contains("client_secret"));
    }
    let res = app
        .try_create_api_client(t, &json!({"name": "X", "scopes": ["users:write"]}))
        .await;
    assert_problem(res, 422, "validation_failed").await;
}
