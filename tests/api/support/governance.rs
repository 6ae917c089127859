//! Governance helpers: bodies, meetings, attendance, constitution and resolutions.

use serde_json::{Value, json};
use uuid::Uuid;

use super::{NewMember, Page, TestApp, expect_json};

/// An instant `days` from now, RFC 3339.
pub fn in_days(days: i64) -> String {
    (chrono::Utc::now() + chrono::Duration::days(days)).to_rfc3339()
}

/// The path of a meeting.
pub fn meeting_path(id: Uuid) -> String {
    format!("/api/v1/meetings/{id}")
}

impl TestApp {
    /// `n` active members of `category`, numbered from `from` (names sort in order).
    pub async fn active_members(
        &self,
        token: &str,
        category: Uuid,
        from: u32,
        n: u32,
    ) -> Vec<Uuid> {
        let mut ids = Vec::new();
        for i in from..from + n {
            let name = format!("Socia {i:03}, S.L.");
            let tax_id = agrupa::domain::tax_id::make_cif('B', 8_000_000 + i);
            let m = NewMember::company(category, &name, &tax_id).active();
            ids.push(self.create_member(token, &m).await.id);
        }
        ids
    }

    /// Creates a body.
    pub async fn create_body(&self, token: &str, body: &Value) -> Value {
        expect_json(self.post_json(token, "/api/v1/bodies", body).await, 201).await
    }

    /// The General Assembly with the law's default rules, plus `rules`.
    pub async fn assembly(&self, token: &str, rules: Value) -> Uuid {
        let b = self
            .create_body(
                token,
                &json!({"kind": "assembly", "name": "Asamblea General", "rules": rules}),
            )
            .await;
        b["id"].as_str().unwrap().parse().unwrap()
    }

    /// Convenes a meeting (raw).
    pub async fn try_convene(&self, token: &str, body: &Value) -> reqwest::Response {
        self.post_json(token, "/api/v1/meetings", body).await
    }

    /// Convenes an ordinary meeting of `body` 16 days ahead with `agenda`.
    pub async fn convene(&self, token: &str, body: Uuid, agenda: Value) -> Value {
        let req = json!({"body_id": body, "kind": "ordinary", "convened_by": "board",
            "first_call_at": in_days(16), "place": "Sede de la agrupación", "agenda": agenda});
        expect_json(self.try_convene(token, &req).await, 201).await
    }

    /// A meeting with its agenda.
    pub async fn meeting(&self, token: &str, id: Uuid) -> Value {
        self.get_ok(token, &meeting_path(id)).await
    }

    /// A meeting's roll (up to 100 entries), by member name.
    pub async fn roll(&self, token: &str, meeting: Uuid) -> Vec<Value> {
        let path = format!("{}/roll?limit=100", meeting_path(meeting));
        self.get_ok::<Page<Value>>(token, &path).await.items
    }

    /// Records attendance (raw).
    pub async fn try_attendance(
        &self,
        token: &str,
        meeting: Uuid,
        entries: Value,
    ) -> reqwest::Response {
        let path = format!("{}/attendance", meeting_path(meeting));
        self.send_as(
            "PUT",
            token,
            &path,
            None,
            Some(&json!({"entries": entries})),
        )
        .await
    }

    /// Records the constitution at `call` (raw).
    pub async fn try_constitute(
        &self,
        token: &str,
        meeting: Uuid,
        call: &str,
    ) -> reqwest::Response {
        let path = format!("{}/constitution", meeting_path(meeting));
        self.post_json(token, &path, &json!({"call": call})).await
    }

    /// Records an item's vote (raw).
    pub async fn try_resolve(
        &self,
        token: &str,
        meeting: Uuid,
        item: Uuid,
        body: &Value,
    ) -> reqwest::Response {
        let path = format!("{}/items/{item}/resolution", meeting_path(meeting));
        self.post_json(token, &path, body).await
    }
}
