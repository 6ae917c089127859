//! The OAuth token endpoint, token validation, refresh rotation, revocation, throttling.

use agrupa::auth::{
    Role,
    tokens::{Claims, KeySet, PrincipalKind, random_token},
};
use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::support::{
    ADMIN_EMAIL, ADMIN_PASSWORD, TEST_JWT_SECRET, TEST_KID, TestApp, assert_problem, auth::Tokens,
    spawn_app, spawn_app_with,
};

async fn oauth_error(res: reqwest::Response, status: u16, error: &str) -> Value {
    assert_eq!(res.status().as_u16(), status);
    assert_eq!(
        res.headers().get("content-type").unwrap(),
        "application/json"
    );
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["error"], error, "{body}");
    assert!(body["error_description"].is_string());
    assert!(body["request_id"].is_string());
    body
}

#[tokio::test]
async fn password_grant_issues_a_bearer_token_pair() {
    let app = spawn_app().await;
    app.admin().await;
    let res = app
        .try_sign_in("ADMIN@test.agrupa.local ", ADMIN_PASSWORD)
        .await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers().get("cache-control").unwrap(), "no-store");
    let body: Tokens = res.json().await.unwrap();
    assert_eq!(body.token_type, "Bearer");
    assert_eq!(body.expires_in, 900);
    assert_eq!(body.refresh_token.unwrap().len(), 43);
    assert!(body.scope.contains("users:write"));
    let me = app.me(&body.access_token).await;
    assert_eq!(me.email.as_deref(), Some(ADMIN_EMAIL));
    assert_eq!(me.role, "admin");
}

#[tokio::test]
async fn password_grant_accepts_json_and_can_narrow_scopes() {
    let app = spawn_app().await;
    app.admin().await;
    let res = app
        .client
        .post(app.url("/api/v1/auth/token"))
        .json(&json!({"grant_type": "password", "username": ADMIN_EMAIL, "password": ADMIN_PASSWORD, "scope": "users:read"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let body: Tokens = res.json().await.unwrap();
    assert_eq!(body.scope, "users:read");
    let token = &body.access_token;
    assert_eq!(app.try_list_users(token, "").await.status(), 200);
    let res = app.try_create_user(token, &json!({"email": "x@y.es", "display_name": "X", "role": "staff", "password": "aaaaaaaaaaaaaaaa"})).await;
    assert_problem(res, 403, "forbidden").await;

    let res = app
        .token_form(&[
            ("grant_type", "password"),
            ("username", ADMIN_EMAIL),
            ("password", ADMIN_PASSWORD),
            ("scope", "users:read root"),
        ])
        .await;
    oauth_error(res, 400, "invalid_scope").await;
}

#[tokio::test]
async fn wrong_password_and_unknown_email_get_the_same_answer() {
    let app = spawn_app().await;
    app.admin().await;
    let wrong = app.try_sign_in(ADMIN_EMAIL, "not the password").await;
    let wrong = oauth_error(wrong, 400, "invalid_grant").await;
    let unknown = app
        .try_sign_in("nadie@test.agrupa.local", "not the password")
        .await;
    let unknown = oauth_error(unknown, 400, "invalid_grant").await;
    assert_eq!(wrong["error_description"], unknown["error_description"]);
    assert_eq!(wrong["detail"], unknown["detail"]);
}

#[tokio::test]
async fn malformed_token_requests_are_oauth_errors() {
    let app = spawn_app().await;
    oauth_error(
        app.token_form(&[("grant_type", "magic")]).await,
        400,
        "unsupported_grant_type",
    )
    .await;
    oauth_error(
        app.token_form(&[("username", "a")]).await,
        400,
        "invalid_request",
    )
    .await;
    oauth_error(
        app.token_form(&[("grant_type", "password"), ("username", "a@b.es")])
            .await,
        400,
        "invalid_request",
    )
    .await;
    oauth_error(
        app.token_form(&[("grant_type", "refresh_token")]).await,
        400,
        "invalid_request",
    )
    .await;
    let res = app
        .client
        .post(app.url("/api/v1/auth/token"))
        .header("content-type", "text/plain")
        .body("grant_type=password")
        .send()
        .await
        .unwrap();
    assert_problem(res, 415, "unsupported_media_type").await;
}

/// An API client with no scopes: (id, client id, secret).
async fn new_client(app: &TestApp, admin_token: &str) -> (Uuid, String, String) {
    let client = app
        .create_api_client(
            admin_token,
            &json!({"name": "Ayuntamiento · integración 🎬", "scopes": []}),
        )
        .await;
    (client.id, client.client_id, client.client_secret.unwrap())
}

#[tokio::test]
async fn client_credentials_work_with_basic_auth() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let (id, client_id, secret) = new_client(&app, &admin.token).await;
    let res = app
        .client
        .post(app.url("/api/v1/auth/token"))
        .basic_auth(&client_id, Some(&secret))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let body: Value = res.json().await.unwrap();
    assert!(
        body.get("refresh_token").is_none(),
        "no refresh token for clients"
    );
    let token = body["access_token"].as_str().unwrap();
    let me = app.me(token).await;
    assert_eq!(me.kind, "api_client");
    assert_eq!(me.role, "partner");
    assert_eq!(me.id, id);
    // A partner system cannot manage users.
    assert_problem(app.try_list_users(token, "").await, 403, "forbidden").await;
}

#[tokio::test]
async fn client_credentials_work_in_the_body_and_a_wrong_secret_is_an_invalid_client() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let (_, client_id, secret) = new_client(&app, &admin.token).await;
    let res = app.try_client_credentials(&client_id, &secret).await;
    assert_eq!(res.status(), 200);
    let res = app.try_client_credentials(&client_id, "wrong").await;
    assert!(
        res.headers()
            .get("www-authenticate")
            .unwrap()
            .to_str()
            .unwrap()
            .starts_with("Basic")
    );
    oauth_error(res, 401, "invalid_client").await;
}

#[tokio::test]
async fn a_revoked_client_gets_no_new_token_and_the_one_it_holds_stops_at_once() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let (id, client_id, secret) = new_client(&app, &admin.token).await;
    let res = app.try_client_credentials(&client_id, &secret).await;
    let token = res.json::<Tokens>().await.unwrap().access_token;
    let revoked = app.revoke_api_client(&admin.token, id).await;
    assert!(revoked.revoked_at.is_some());
    assert_problem(app.try_me(&token).await, 401, "unauthorized").await;
    let res = app.try_client_credentials(&client_id, &secret).await;
    oauth_error(res, 401, "invalid_client").await;
}

#[tokio::test]
async fn rotating_a_client_secret_retires_the_old_one() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let (id, client_id, old) = new_client(&app, &admin.token).await;
    let new = app
        .rotate_api_client_secret(&admin.token, id)
        .await
        .client_secret
        .unwrap();
    assert_ne!(new, old);
    let with = |s: String| {
        let client_id = client_id.clone();
        let app = &app;
        async move { app.try_client_credentials(&client_id, &s).await.status() }
    };
    assert_eq!(with(old).await, 401);
    assert_eq!(with(new).await, 200);
}

#[tokio::test]
async fn refresh_tokens_rotate_and_reuse_revokes_the_family() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let first = admin.refresh_token.clone();
    let res = app.try_refresh(&first).await;
    assert_eq!(res.status(), 200);
    let second: Tokens = res.json().await.unwrap();
    let second_refresh = second.refresh_token.unwrap();
    assert_ne!(second_refresh, first);
    assert_eq!(app.try_me(&second.access_token).await.status(), 200);

    // The spent token is presented again: theft is assumed, the whole family is revoked.
    let reuse = app.try_refresh(&first).await;
    oauth_error(reuse, 400, "invalid_grant").await;
    let after = app.try_refresh(&second_refresh).await;
    oauth_error(after, 400, "invalid_grant").await;

    // Another sign-in is a separate family and still works.
    let other = app.sign_in(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let res = app.try_refresh(&other.refresh_token.unwrap()).await;
    assert_eq!(res.status(), 200);
}

#[tokio::test]
async fn concurrent_refreshes_of_one_token_issue_at_most_one_successor() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let form = [
        ("grant_type", "refresh_token"),
        ("refresh_token", admin.refresh_token.as_str()),
    ];
    let futures = (0..8).map(|_| app.token_form(&form));
    let statuses: Vec<u16> = futures_util::future::join_all(futures)
        .await
        .iter()
        .map(|r| r.status().as_u16())
        .collect();
    assert_eq!(
        statuses.iter().filter(|s| **s == 200).count(),
        1,
        "{statuses:?}"
    );
    assert!(
        statuses.iter().all(|s| *s == 200 || *s == 400),
        "{statuses:?}"
    );
}

#[tokio::test]
async fn revoking_an_access_token_ends_it_at_once() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let res = app.revoke_token(&admin.token).await;
    assert_eq!(res.status(), 200);
    assert_problem(app.try_me(&admin.token).await, 401, "unauthorized").await;
}

#[tokio::test]
async fn revoking_a_refresh_token_ends_it_and_an_unknown_token_is_no_error() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let res = app
        .client
        .post(app.url("/api/v1/auth/revoke"))
        .json(&json!({"token": admin.refresh_token, "token_type_hint": "refresh_token"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let res = app.try_refresh(&admin.refresh_token).await;
    oauth_error(res, 400, "invalid_grant").await;
    // Unknown tokens are not an error (RFC 7009 §2.2).
    let res = app.revoke_token("nonsense").await;
    assert_eq!(res.status(), 200);
}

fn claims_for(sub: &str, role: Role) -> Claims {
    let now = chrono::Utc::now().timestamp();
    Claims {
        iss: "agrupa".into(),
        aud: "agrupa-api".into(),
        sub: sub.parse().unwrap(),
        exp: now + 600,
        nbf: now,
        iat: now,
        jti: uuid::Uuid::now_v7(),
        role,
        scope: "users:read".into(),
        kind: PrincipalKind::User,
        epoch: 0,
    }
}

fn test_keys() -> KeySet {
    KeySet::parse(
        &format!("{TEST_KID}:{TEST_JWT_SECRET}"),
        "agrupa",
        "agrupa-api",
    )
    .unwrap()
}

fn encode_unsigned(header: Value, claims: &Claims) -> String {
    format!(
        "{}.{}.",
        URL_SAFE_NO_PAD.encode(header.to_string()),
        URL_SAFE_NO_PAD.encode(serde_json::to_string(claims).unwrap())
    )
}

#[tokio::test]
async fn every_kind_of_bad_token_gets_401() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let keys = test_keys();
    let good = keys.sign(&claims_for(&admin.id, Role::Admin)).unwrap();
    assert_eq!(
        app.try_list_users(&good, "").await.status(),
        200,
        "a forged-but-valid token works"
    );

    let now = chrono::Utc::now().timestamp();
    let mut cases: Vec<(&str, String)> = Vec::new();
    let mut c = claims_for(&admin.id, Role::Admin);
    c.exp = now - 120;
    c.iat = now - 1000;
    c.nbf = now - 1000;
    cases.push(("expired", keys.sign(&c).unwrap()));
    let mut c = claims_for(&admin.id, Role::Admin);
    c.nbf = now + 600;
    cases.push(("not yet valid", keys.sign(&c).unwrap()));
    let mut c = claims_for(&admin.id, Role::Admin);
    c.aud = "another-api".into();
    cases.push(("wrong audience", keys.sign(&c).unwrap()));
    let mut c = claims_for(&admin.id, Role::Admin);
    c.iss = "evil".into();
    cases.push(("wrong issuer", keys.sign(&c).unwrap()));
    let (h, rest) = good.split_once('.').unwrap();
    let (_, sig) = rest.split_once('.').unwrap();
    let mut c = claims_for(&admin.id, Role::Admin);
    c.role = Role::Admin;
    c.scope = "users:read users:write".into();
    cases.push((
        "tampered payload",
        format!(
            "{h}.{}.{sig}",
            URL_SAFE_NO_PAD.encode(serde_json::to_string(&c).unwrap())
        ),
    ));
    cases.push((
        "alg none",
        encode_unsigned(
            json!({"alg": "none", "typ": "at+jwt", "kid": TEST_KID}),
            &claims_for(&admin.id, Role::Admin),
        ),
    ));
    let other_key =
        KeySet::parse(&format!("other:{}", random_token()), "agrupa", "agrupa-api").unwrap();
    cases.push((
        "unknown kid",
        other_key.sign(&claims_for(&admin.id, Role::Admin)).unwrap(),
    ));
    let same_kid_other_secret = KeySet::parse(
        &format!("{TEST_KID}:{}", random_token()),
        "agrupa",
        "agrupa-api",
    )
    .unwrap();
    cases.push((
        "wrong signature",
        same_kid_other_secret
            .sign(&claims_for(&admin.id, Role::Admin))
            .unwrap(),
    ));
    cases.push(("refresh token as access token", admin.refresh_token.clone()));
    cases.push(("garbage", "not-a-token".into()));
    let mut c = claims_for(&admin.id, Role::Admin);
    c.sub = uuid::Uuid::now_v7();
    cases.push(("unknown subject", keys.sign(&c).unwrap()));

    for (name, token) in cases {
        let res = app.try_list_users(&token, "").await;
        assert_eq!(res.status(), 401, "{name}");
        assert!(
            res.headers()
                .get("www-authenticate")
                .unwrap()
                .to_str()
                .unwrap()
                .starts_with("Bearer"),
            "{name}"
        );
        assert_problem(res, 401, "unauthorized").await;
    }
    assert_problem(app.get("/api/v1/users").await, 401, "unauthorized").await;
    let res = app
        .client
        .get(app.url("/api/v1/users"))
        .header("authorization", "Basic YTpi")
        .send()
        .await
        .unwrap();
    assert_problem(res, 401, "unauthorized").await;
}

/// RFC 9110 §11.1: the scheme is case-insensitive. The same reading holds for a handler that
/// checks its caller in its own statement (a member), for one that takes a `Caller` (the
/// users), and for the metrics token; another scheme or an empty token is still a 401.
#[tokio::test]
async fn the_bearer_scheme_is_accepted_in_any_case() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let member = app
        .member(&admin, "Producciones Ñandú, S.L.", "B12345674")
        .await;
    let get = async |path: &str, authorization: &str| {
        app.client
            .get(app.url(path))
            .header("authorization", authorization)
            .send()
            .await
            .unwrap()
    };
    let member_path = format!("/api/v1/members/{member}");
    for scheme in ["Bearer", "bearer", "BEARER", "bEaReR"] {
        let authorization = format!("{scheme}  {} ", admin.token);
        let res = get(&member_path, &authorization).await;
        assert_eq!(res.status(), 200, "{scheme}: member");
        let body: Value = res.json().await.unwrap();
        assert_eq!(body["legal_name"], "Producciones Ñandú, S.L.");
        assert_eq!(
            get("/api/v1/users", &authorization).await.status(),
            200,
            "{scheme}: users"
        );
        let metrics = format!("{scheme} {}", crate::support::TEST_METRICS_TOKEN);
        assert_eq!(
            get("/metrics", &metrics).await.status(),
            200,
            "{scheme}: metrics"
        );
    }
    for authorization in [
        format!("Token {}", admin.token),
        format!("Bearer{}", admin.token),
        "Bearer ".to_owned(),
    ] {
        assert_problem(get(&member_path, &authorization).await, 401, "unauthorized").await;
        assert_problem(
            get("/api/v1/users", &authorization).await,
            401,
            "unauthorized",
        )
        .await;
    }
}

#[tokio::test]
async fn an_access_token_carrying_a_higher_role_does_not_raise_privileges() {
    // The role is re-read from the database on every request.
    let app = spawn_app().await;
    let admin = app.admin().await;
    let staff = app.user(&admin, "staff").await;
    let mut c = claims_for(&staff.id, Role::Admin);
    c.scope = "users:read users:write".into();
    let token = test_keys().sign(&c).unwrap();
    assert_problem(app.try_list_users(&token, "").await, 403, "forbidden").await;
}

#[tokio::test]
async fn repeated_failures_lock_the_account_with_retry_after() {
    let app = spawn_app_with(|c| c.login_max_failures = 3).await;
    app.admin().await;
    for _ in 0..3 {
        let res = app.try_sign_in(ADMIN_EMAIL, "wrong wrong wrong").await;
        assert_eq!(res.status(), 400);
    }
    // Locked: even the right password is refused for now.
    let res = app.try_sign_in(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let retry: u64 = res
        .headers()
        .get("retry-after")
        .unwrap()
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(retry > 0 && retry <= 900);
    assert_problem(res, 429, "too_many_requests").await;
}

#[tokio::test]
async fn repeated_failures_from_one_address_are_throttled_across_accounts() {
    let app = spawn_app_with(|c| c.login_max_failures_per_address = 4).await;
    for i in 0..4 {
        let user = format!("nadie{i}@test.agrupa.local");
        let res = app.try_sign_in(&user, "wrong wrong wrong").await;
        assert_eq!(res.status(), 400);
    }
    let res = app.try_sign_in("otra@test.agrupa.local", "x").await;
    assert!(res.headers().contains_key("retry-after"));
    assert_problem(res, 429, "too_many_requests").await;
}

#[tokio::test]
async fn deactivated_users_lose_access_at_once() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let staff = app.user(&admin, "staff").await;
    assert_eq!(app.try_me(&staff.token).await.status(), 200);
    app.update_user(&admin.token, &staff.id, &json!({"active": false}))
        .await;
    assert_problem(app.try_me(&staff.token).await, 401, "unauthorized").await;
    let res = app.try_refresh(&staff.refresh_token).await;
    oauth_error(res, 400, "invalid_grant").await;
    let res = app.try_sign_in(&staff.email, &staff.password).await;
    oauth_error(res, 400, "invalid_grant").await;
}

#[tokio::test]
async fn changing_the_password_ends_every_session() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let staff = app.user(&admin, "staff").await;
    let res = app
        .try_change_password(&staff.token, "wrong", "otra contraseña muy larga")
        .await;
    assert_problem(res, 422, "wrong_password").await;
    let res = app
        .try_change_password(&staff.token, &staff.password, "corta")
        .await;
    let body = assert_problem(res, 422, "validation_failed").await;
    assert_eq!(body["errors"][0]["field"], "new_password");

    let res = app
        .try_change_password(&staff.token, &staff.password, "otra contraseña muy larga")
        .await;
    assert_eq!(res.status(), 204);
    assert_eq!(app.try_me(&staff.token).await.status(), 401);
    let res = app.try_refresh(&staff.refresh_token).await;
    assert_eq!(res.status(), 400);
    let res = app.try_sign_in(&staff.email, &staff.password).await;
    assert_eq!(res.status(), 400);
    app.sign_in(&staff.email, "otra contraseña muy larga").await;
}

#[tokio::test]
async fn a_refresh_token_from_an_ended_session_epoch_is_refused() {
    // A refresh racing a password change can leave a token the revocation did not see; the
    // epoch it carries no longer matches, so it is refused anyway.
    let app = spawn_app().await;
    let admin = app.admin().await;
    app.sql(&format!(
        "UPDATE users SET session_epoch = session_epoch + 1 WHERE id = '{}'",
        admin.id
    ))
    .await;
    let res = app.try_refresh(&admin.refresh_token).await;
    oauth_error(res, 400, "invalid_grant").await;
}

#[tokio::test]
async fn parallel_guesses_cannot_slip_past_the_limit() {
    let app = spawn_app_with(|c| c.login_max_failures = 3).await;
    app.admin().await;
    let form = [
        ("grant_type", "password"),
        ("username", ADMIN_EMAIL),
        ("password", "adivina adivinanza"),
    ];
    let answers = futures_util::future::join_all((0..10).map(|_| app.token_form(&form))).await;
    let statuses: Vec<u16> = answers.iter().map(|r| r.status().as_u16()).collect();
    assert_eq!(
        statuses.iter().filter(|s| **s == 400).count(),
        3,
        "{statuses:?}"
    );
    assert_eq!(
        statuses.iter().filter(|s| **s == 429).count(),
        7,
        "{statuses:?}"
    );
}

#[tokio::test]
async fn successful_sign_ins_do_not_use_up_the_address_limit() {
    let app = spawn_app_with(|c| c.login_max_failures_per_address = 3).await;
    app.admin().await;
    for _ in 0..6 {
        app.sign_in(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    }
}

/// A hash stored with the parameters used before issue 14 (m = 19 MiB, t = 2) still signs in,
/// and the sign-in replaces it with one of the current parameters (m = 7 MiB, t = 5).
#[tokio::test]
async fn a_hash_with_older_parameters_signs_in_and_is_replaced() {
    use argon2::{Algorithm, Argon2, Params, PasswordHasher, Version};
    use diesel::{QueryableByName, sql_types::Text};
    use diesel_async::RunQueryDsl;

    #[derive(QueryableByName)]
    struct Stored {
        #[diesel(sql_type = Text)]
        password_hash: String,
    }
    async fn stored(app: &TestApp) -> String {
        diesel::sql_query(format!(
            "SELECT password_hash FROM users WHERE email = '{}'",
            ADMIN_EMAIL.to_lowercase()
        ))
        .get_result::<Stored>(&mut app.db().await)
        .await
        .unwrap()
        .password_hash
    }

    let app = spawn_app().await;
    app.admin().await;
    let old = Argon2::new(
        Algorithm::Argon2id,
        Version::V0x13,
        Params::new(19_456, 2, 1, None).unwrap(),
    )
    .hash_password(ADMIN_PASSWORD.as_bytes())
    .unwrap()
    .to_string();
    app.sql(&format!(
        "UPDATE users SET password_hash = '{old}' WHERE email = '{}'",
        ADMIN_EMAIL.to_lowercase()
    ))
    .await;
    assert_eq!(stored(&app).await, old);

    let wrong = app
        .try_sign_in(ADMIN_EMAIL, "not-the-password-at-all")
        .await;
    assert_eq!(wrong.status(), 400);
    assert_eq!(stored(&app).await, old, "a wrong password changes nothing");

    let res = app.try_sign_in(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    assert_eq!(res.status(), 200);
    let now = stored(&app).await;
    assert!(now.starts_with("$argon2id$v=19$m=7168,t=5,p=1$"), "{now}");
    assert_eq!(
        app.try_sign_in(ADMIN_EMAIL, ADMIN_PASSWORD).await.status(),
        200
    );
    assert_eq!(stored(&app).await, now, "a current hash is not rewritten");
}
