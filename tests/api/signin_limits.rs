//! Limits on password guessing and the addresses they count (issue 14, findings 4 to 6): the
//! password change is throttled like sign-in; locks are per account and address, with a
//! higher limit per account; the token endpoint's rate limit cannot be dodged by encoding its
//! path; client addresses come from trusted proxies only.

use agrupa::config::Config;

use crate::support::{ADMIN_EMAIL, ADMIN_PASSWORD, TestApp, assert_problem, spawn_app_with};

#[tokio::test]
async fn wrong_current_passwords_on_a_password_change_are_throttled() {
    let app = spawn_app_with(|c| c.login_max_failures = 3).await;
    let admin = app.admin().await;
    let staff = app.user(&admin, "staff").await;
    let new = "otra contraseña muy larga";
    for _ in 0..3 {
        let res = app
            .try_change_password(&staff.token, "no es la actual, no", new)
            .await;
        assert_problem(res, 422, "wrong_password").await;
    }
    // Locked: even the right current password is refused for now.
    let res = app
        .try_change_password(&staff.token, &staff.password, new)
        .await;
    assert!(res.headers().contains_key("retry-after"));
    assert_problem(res, 429, "too_many_requests").await;
    // Another user is not affected.
    let other = app.user(&admin, "staff").await;
    let res = app
        .try_change_password(&other.token, &other.password, new)
        .await;
    assert_eq!(res.status(), 204);
}

/// A password sign-in sent through a proxy on 127.0.0.1 for the client at `address`.
async fn sign_in_from(app: &TestApp, address: &str, password: &str) -> reqwest::Response {
    app.client
        .post(app.url("/api/v1/auth/token"))
        .header("x-forwarded-for", address)
        .form(&[
            ("grant_type", "password"),
            ("username", ADMIN_EMAIL),
            ("password", password),
        ])
        .send()
        .await
        .unwrap()
}

fn behind_a_proxy(c: &mut Config) {
    c.trusted_proxies = vec!["127.0.0.1".parse().unwrap()];
}

#[tokio::test]
async fn an_attacker_locking_the_account_at_one_address_leaves_the_user_elsewhere_signed_in() {
    let app = spawn_app_with(|c| {
        behind_a_proxy(c);
        c.login_max_failures = 3;
    })
    .await;
    app.admin().await;
    let attacker = "203.0.113.66";
    for _ in 0..3 {
        let res = sign_in_from(&app, attacker, "adivinanza fallida").await;
        assert_eq!(res.status(), 400);
    }
    // The attacker's address is locked out of the account, even with the right password…
    let res = sign_in_from(&app, attacker, ADMIN_PASSWORD).await;
    assert_problem(res, 429, "too_many_requests").await;
    // …and the admin, at another address, still signs in.
    let res = sign_in_from(&app, "198.51.100.7", ADMIN_PASSWORD).await;
    assert_eq!(res.status(), 200);
}

#[tokio::test]
async fn the_account_limit_stops_guesses_spread_over_many_addresses() {
    let app = spawn_app_with(|c| {
        behind_a_proxy(c);
        c.login_max_failures = 3;
        c.login_max_failures_per_account = 6;
    })
    .await;
    app.admin().await;
    // Two guesses from each address: under the per-address-and-account limit of 3.
    let mut statuses = Vec::new();
    for i in 1..=4 {
        for _ in 0..2 {
            let res = sign_in_from(&app, &format!("192.0.2.{i}"), "adivinanza fallida").await;
            statuses.push(res.status().as_u16());
        }
    }
    assert_eq!(statuses, [400, 400, 400, 400, 400, 400, 429, 429]);
    // Locked for everybody now, the real user included: that is the account limit's price.
    let res = sign_in_from(&app, "198.51.100.7", ADMIN_PASSWORD).await;
    assert_problem(res, 429, "too_many_requests").await;
}

#[tokio::test]
async fn forwarded_addresses_count_only_from_trusted_proxies() {
    // Not configured: the header is the client's say-so and is ignored; every request is
    // the peer's, so the per-address limit catches the third failure.
    let app = spawn_app_with(|c| c.login_max_failures_per_address = 2).await;
    let mut statuses = Vec::new();
    for i in 1..=3 {
        let res = sign_in_from(&app, &format!("192.0.2.{i}"), "adivinanza fallida").await;
        statuses.push(res.status().as_u16());
    }
    assert_eq!(statuses, [400, 400, 429]);
    // Behind a trusted proxy, each client has its own address (RFC 7239 `Forwarded` too).
    let app = spawn_app_with(|c| {
        behind_a_proxy(c);
        c.login_max_failures_per_address = 2;
    })
    .await;
    let mut statuses = Vec::new();
    for i in 1..=3 {
        let res = app
            .client
            .post(app.url("/api/v1/auth/token"))
            .header("forwarded", format!("for=192.0.2.{i};proto=https"))
            .form(&[
                ("grant_type", "password"),
                ("username", ADMIN_EMAIL),
                ("password", "adivinanza fallida"),
            ])
            .send()
            .await
            .unwrap();
        statuses.push(res.status().as_u16());
    }
    assert_eq!(statuses, [400, 400, 400]);
}

#[tokio::test]
async fn a_percent_encoded_token_path_is_rate_limited_as_the_token_endpoint() {
    let app = spawn_app_with(|c| c.token_rate_limit = 2).await;
    let post = |path: &'static str| {
        app.client
            .post(app.url(path))
            .form(&[("grant_type", "password")])
            .send()
    };
    assert_eq!(post("/api/v1/auth/token").await.unwrap().status(), 400);
    assert_eq!(post("/api/v1/auth/%74oken").await.unwrap().status(), 400);
    let res = post("/api/v1/auth/%74oken").await.unwrap();
    assert!(res.headers().contains_key("retry-after"));
    assert_problem(res, 429, "too_many_requests").await;
}
