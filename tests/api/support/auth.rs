//! Signing in, users and API clients.

use serde::Deserialize;
use serde_json::{Value, json};
use uuid::Uuid;

use super::{Page, TestApp, expect_json, with_query};

/// A signed-in user of a test.
#[derive(Debug, Clone)]
pub struct TestUser {
    pub id: String,
    pub email: String,
    pub password: String,
    pub token: String,
    pub refresh_token: String,
}

impl TestUser {
    /// The user's id, typed.
    pub fn uuid(&self) -> Uuid {
        self.id.parse().unwrap()
    }
}

pub const ADMIN_EMAIL: &str = "admin@test.agrupa.local";
pub const ADMIN_PASSWORD: &str = "contraseña-de-administración";

/// The password of every user `user()` creates.
const USER_PASSWORD: &str = "una contraseña bastante larga";

/// The token endpoint's answer.
#[derive(Debug, Deserialize)]
pub struct Tokens {
    pub access_token: String,
    pub refresh_token: Option<String>,
    pub token_type: String,
    pub expires_in: i64,
    pub scope: String,
}

/// `GET /me`.
#[derive(Debug, Deserialize)]
pub struct Me {
    pub id: Uuid,
    pub kind: String,
    pub role: String,
    pub email: Option<String>,
}

/// A user account.
#[derive(Debug, Deserialize)]
pub struct User {
    pub id: Uuid,
    pub email: String,
    pub display_name: String,
    pub role: String,
    pub member_id: Option<Uuid>,
}

/// An API client; the secret only in the answers that show it.
#[derive(Debug, Deserialize)]
pub struct ApiClient {
    pub id: Uuid,
    pub client_id: String,
    pub client_secret: Option<String>,
    pub revoked_at: Option<String>,
}

/// The path of a user.
pub fn user_path(id: impl std::fmt::Display) -> String {
    format!("/api/v1/users/{id}")
}

fn api_client_path(id: Uuid) -> String {
    format!("/api/v1/api-clients/{id}")
}

/// Signing in and tokens.
impl TestApp {
    /// POST a form to the token endpoint.
    pub async fn token_form(&self, form: &[(&str, &str)]) -> reqwest::Response {
        let body = serde_urlencoded::to_string(form).unwrap();
        self.client
            .post(self.url("/api/v1/auth/token"))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body)
            .send()
            .await
            .unwrap()
    }

    /// Signs in with the password grant; panics unless it works.
    pub async fn login(&self, email: &str, password: &str) -> Value {
        let res = self
            .token_form(&[
                ("grant_type", "password"),
                ("username", email),
                ("password", password),
            ])
            .await;
        assert_eq!(res.status(), 200, "login of {email}");
        res.json().await.unwrap()
    }

    /// Signs in with the password grant; panics unless it works.
    pub async fn sign_in(&self, email: &str, password: &str) -> Tokens {
        serde_json::from_value(self.login(email, password).await).unwrap()
    }

    /// A password-grant request (raw).
    pub async fn try_sign_in(&self, email: &str, password: &str) -> reqwest::Response {
        self.token_form(&[
            ("grant_type", "password"),
            ("username", email),
            ("password", password),
        ])
        .await
    }

    /// A refresh-token request (raw).
    pub async fn try_refresh(&self, refresh_token: &str) -> reqwest::Response {
        self.token_form(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh_token),
        ])
        .await
    }

    /// A client-credentials request with the secret in the body (raw).
    pub async fn try_client_credentials(&self, client_id: &str, secret: &str) -> reqwest::Response {
        self.token_form(&[
            ("grant_type", "client_credentials"),
            ("client_id", client_id),
            ("client_secret", secret),
        ])
        .await
    }

    /// An access token for an API client (client credentials in the body).
    pub async fn client_token(&self, client: &ApiClient) -> String {
        let secret = client.client_secret.as_deref().unwrap();
        let res = self.try_client_credentials(&client.client_id, secret).await;
        expect_json::<Tokens>(res, 200).await.access_token
    }

    /// Revokes a token (RFC 7009, as a form) (raw).
    pub async fn revoke_token(&self, token: &str) -> reqwest::Response {
        self.client
            .post(self.url("/api/v1/auth/revoke"))
            .form(&[("token", token)])
            .send()
            .await
            .unwrap()
    }

    /// `GET /me`.
    pub async fn me(&self, token: &str) -> Me {
        self.get_ok(token, "/api/v1/me").await
    }

    /// `GET /me` (raw).
    pub async fn try_me(&self, token: &str) -> reqwest::Response {
        self.get_as(token, "/api/v1/me").await
    }

    /// Changes the caller's password (raw).
    pub async fn try_change_password(
        &self,
        token: &str,
        current: &str,
        new: &str,
    ) -> reqwest::Response {
        self.post_json(
            token,
            "/api/v1/me/password",
            &json!({"current_password": current, "new_password": new}),
        )
        .await
    }

    /// Creates the first admin directly (as `agrupa admin create` does) and signs in.
    pub async fn admin(&self) -> TestUser {
        agrupa::users::bootstrap_admin(
            &mut self.db().await,
            ADMIN_EMAIL,
            "Admin",
            ADMIN_PASSWORD.into(),
        )
        .await
        .unwrap();
        let tokens = self.sign_in(ADMIN_EMAIL, ADMIN_PASSWORD).await;
        let me = self.me(&tokens.access_token).await;
        TestUser {
            id: me.id.to_string(),
            email: ADMIN_EMAIL.into(),
            password: ADMIN_PASSWORD.into(),
            token: tokens.access_token,
            refresh_token: tokens.refresh_token.unwrap(),
        }
    }

    /// Creates a user with `role` through the API (as `admin`) and signs them in.
    pub async fn user(&self, admin: &TestUser, role: &str) -> TestUser {
        self.user_with(admin, role, json!({})).await
    }

    /// Creates a user with `role` and extra fields (`member_id`, `funder_id`) and signs in.
    pub async fn user_with(&self, admin: &TestUser, role: &str, extra: Value) -> TestUser {
        let email = format!("{role}-{}@test.agrupa.local", Uuid::new_v4().simple());
        let mut body = json!({
            "email": email, "display_name": format!("Usuaria {role}"), "role": role, "password": USER_PASSWORD,
        });
        for (k, v) in extra.as_object().unwrap() {
            body[k] = v.clone();
        }
        let res = self.post_json(&admin.token, "/api/v1/users", &body).await;
        assert_eq!(res.status(), 201, "create {role}");
        let user: User = res.json().await.unwrap();
        let tokens = self.sign_in(&email, USER_PASSWORD).await;
        TestUser {
            id: user.id.to_string(),
            email,
            password: USER_PASSWORD.to_owned(),
            token: tokens.access_token,
            refresh_token: tokens.refresh_token.unwrap(),
        }
    }

    /// A member organisation's representative: a `member` user linked to `member`, signed in
    /// again after the link (which ends the sessions it had).
    pub async fn representative(&self, admin: &TestUser, member: Uuid) -> TestUser {
        let mut rep = self.user(admin, "member").await;
        self.update_user(&admin.token, &rep.id, &json!({"member_id": member}))
            .await;
        rep.token = self.sign_in(&rep.email, &rep.password).await.access_token;
        rep
    }
}

/// Users.
impl TestApp {
    /// Creates a user.
    pub async fn create_user(&self, token: &str, body: &Value) -> User {
        expect_json(self.try_create_user(token, body).await, 201).await
    }

    /// Creates a user (raw).
    pub async fn try_create_user(&self, token: &str, body: &Value) -> reqwest::Response {
        self.post_json(token, "/api/v1/users", body).await
    }

    /// Changes a user.
    pub async fn update_user(&self, token: &str, id: &str, body: &Value) -> User {
        expect_json(self.try_update_user(token, id, body).await, 200).await
    }

    /// Changes a user (raw).
    pub async fn try_update_user(&self, token: &str, id: &str, body: &Value) -> reqwest::Response {
        self.patch_json(token, &user_path(id), body).await
    }

    /// Changes a user, naming with `If-Match` the version it read (raw).
    pub async fn try_update_user_if_match(
        &self,
        token: &str,
        id: &str,
        tag: &str,
        body: &Value,
    ) -> reqwest::Response {
        self.send_as("PATCH", token, &user_path(id), Some(tag), Some(body))
            .await
    }

    /// Creates a user, sending `headers` too (`Idempotency-Key`, `X-Request-Id`…) (raw).
    pub async fn try_create_user_with(
        &self,
        token: &str,
        headers: &[(&str, &str)],
        body: &Value,
    ) -> reqwest::Response {
        let mut req = self
            .client
            .post(self.url("/api/v1/users"))
            .bearer_auth(token)
            .json(body);
        for (name, value) in headers {
            req = req.header(*name, *value);
        }
        req.send().await.unwrap()
    }

    /// A user.
    pub async fn get_user(&self, token: &str, id: &str) -> User {
        self.get_ok(token, &user_path(id)).await
    }

    /// A user (raw).
    pub async fn try_get_user(&self, token: &str, id: &str) -> reqwest::Response {
        self.get_as(token, &user_path(id)).await
    }

    /// A page of users; `query` is the query string.
    pub async fn list_users(&self, token: &str, query: &str) -> Page<User> {
        self.get_ok(token, &with_query("/api/v1/users", query))
            .await
    }

    /// A page of users (raw).
    pub async fn try_list_users(&self, token: &str, query: &str) -> reqwest::Response {
        self.get_as(token, &with_query("/api/v1/users", query))
            .await
    }

    /// The users as CSV (raw).
    pub async fn try_users_csv(&self, token: &str, query: &str) -> reqwest::Response {
        self.get_csv_response(token, &with_query("/api/v1/users", query))
            .await
    }
}

/// API clients.
impl TestApp {
    /// Creates an API client; the answer shows its secret, once.
    pub async fn create_api_client(&self, token: &str, body: &Value) -> ApiClient {
        expect_json(self.try_create_api_client(token, body).await, 201).await
    }

    /// Creates an API client (raw).
    pub async fn try_create_api_client(&self, token: &str, body: &Value) -> reqwest::Response {
        self.post_json(token, "/api/v1/api-clients", body).await
    }

    /// Renames or rescopes an API client (raw).
    pub async fn try_update_api_client(
        &self,
        token: &str,
        id: Uuid,
        body: &Value,
    ) -> reqwest::Response {
        self.patch_json(token, &api_client_path(id), body).await
    }

    /// Gives an API client a new secret.
    pub async fn rotate_api_client_secret(&self, token: &str, id: Uuid) -> ApiClient {
        let path = format!("{}/secret-rotations", api_client_path(id));
        expect_json(self.post_json(token, &path, &json!({})).await, 200).await
    }

    /// Revokes an API client.
    pub async fn revoke_api_client(&self, token: &str, id: Uuid) -> ApiClient {
        let path = format!("{}/revocation", api_client_path(id));
        expect_json(self.post_json(token, &path, &json!({})).await, 200).await
    }

    /// A page of API clients (raw).
    pub async fn try_list_api_clients(&self, token: &str, query: &str) -> reqwest::Response {
        self.get_as(token, &with_query("/api/v1/api-clients", query))
            .await
    }

    /// An API client as text (raw).
    pub async fn api_client_text(&self, token: &str, id: Uuid) -> String {
        let res = self.get_as(token, &api_client_path(id)).await;
        res.text().await.unwrap()
    }
}
