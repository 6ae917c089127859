//! The member register: categories, segments, members, their status moves, contacts and dues.

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use uuid::Uuid;

use super::{Created, Page, TestApp, TestUser, expect_json, expect_status, with_query};

/// A member as the caller sees it (partners see the public fields only).
#[derive(Debug, Deserialize)]
pub struct Member {
    pub id: Uuid,
    pub visibility: String,
    pub legal_name: String,
    pub kind: String,
    pub municipality: Option<String>,
    pub tax_id: Option<String>,
    pub category_id: Option<Uuid>,
    pub category_name: Option<String>,
    pub status: Option<String>,
    pub in_good_standing: Option<bool>,
    pub annual_turnover_cents: Option<i64>,
    pub joined_on: Option<String>,
}

/// The body of a new member: a company of `category` by default, other fields when set.
#[derive(Debug, Clone, Serialize)]
pub struct NewMember<'a> {
    pub legal_name: &'a str,
    pub tax_id: &'a str,
    pub kind: &'a str,
    pub category_id: Uuid,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub size: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub municipality: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub annual_turnover_cents: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub segment_ids: Option<Vec<Uuid>>,
}

impl<'a> NewMember<'a> {
    /// A company of `category`, an applicant until admitted.
    pub fn company(category_id: Uuid, legal_name: &'a str, tax_id: &'a str) -> Self {
        Self {
            legal_name,
            tax_id,
            kind: "company",
            category_id,
            status: None,
            size: None,
            description: None,
            municipality: None,
            annual_turnover_cents: None,
            segment_ids: None,
        }
    }

    /// The same member, already active.
    pub fn active(self) -> Self {
        Self {
            status: Some("active"),
            ..self
        }
    }
}

/// A move in a member's status history.
#[derive(Debug, Deserialize)]
pub struct StatusChange {
    pub from: String,
    pub to: String,
    pub reason: String,
}

/// A contact person of a member.
#[derive(Debug, Deserialize)]
pub struct Contact {
    pub id: Uuid,
    pub is_primary: bool,
    pub email: Option<String>,
}

/// A member's due of a year.
#[derive(Debug, Deserialize)]
pub struct Due {
    pub year: i32,
    pub status: String,
    pub amount_cents: i64,
}

/// A count of one group of a breakdown.
#[derive(Debug, Deserialize)]
pub struct Counted {
    pub count: i64,
}

/// `GET /members/stats`.
#[derive(Debug, Deserialize)]
pub struct MemberStats {
    pub total: i64,
    pub sme_count: i64,
    pub sme_share_bp: i64,
    pub knowledge_providers: i64,
    pub in_good_standing: i64,
    pub by_status: Vec<Counted>,
    pub by_category: Vec<Counted>,
    pub by_kind: Vec<Counted>,
    pub by_size: Vec<Counted>,
    pub joined_per_year: Vec<Counted>,
}

/// A member category.
#[derive(Debug, Deserialize)]
pub struct Category {
    pub id: Uuid,
    pub annual_fee_cents: i64,
}

/// The path of a member.
pub fn member_path(id: Uuid) -> String {
    format!("/api/v1/members/{id}")
}

fn contacts_path(member: Uuid) -> String {
    format!("{}/contacts", member_path(member))
}

fn due_path(member: Uuid, year: i32) -> String {
    format!("{}/dues/{year}", member_path(member))
}

/// Fixtures.
impl TestApp {
    /// Creates a member category (unique name) and returns its id.
    pub async fn category(&self, admin: &TestUser, fee_cents: i64) -> String {
        self.new_category(&admin.token, fee_cents).await.to_string()
    }

    /// Creates a member category with a unique name.
    pub async fn new_category(&self, token: &str, fee_cents: i64) -> Uuid {
        let name = format!("Categoría {}", Uuid::new_v4().simple());
        self.create_category(token, &json!({"name": name, "annual_fee_cents": fee_cents}))
            .await
    }

    /// Creates a member category.
    pub async fn create_category(&self, token: &str, body: &Value) -> Uuid {
        let res = self.try_create_category(token, body).await;
        expect_json::<Created>(res, 201).await.id
    }

    /// Creates a member category (raw).
    pub async fn try_create_category(&self, token: &str, body: &Value) -> reqwest::Response {
        self.post_json(token, "/api/v1/member-categories", body)
            .await
    }

    /// The first 100 member categories.
    pub async fn member_categories(&self, token: &str) -> Vec<Category> {
        let path = "/api/v1/member-categories?limit=100";
        self.get_ok::<Page<_>>(token, path).await.items
    }

    /// Creates a segment.
    pub async fn create_segment(&self, token: &str, code: &str, name: &str) -> Uuid {
        let res = self
            .post_json(
                token,
                "/api/v1/segments",
                &json!({"code": code, "name": name}),
            )
            .await;
        expect_json::<Created>(res, 201).await.id
    }

    /// Creates an active member (with a fresh category) and returns its id.
    pub async fn member(&self, admin: &TestUser, legal_name: &str, tax_id: &str) -> String {
        self.new_member(&admin.token, legal_name, tax_id)
            .await
            .to_string()
    }

    /// Creates an active company (of a fresh category).
    pub async fn new_member(&self, token: &str, legal_name: &str, tax_id: &str) -> Uuid {
        let category = self.new_category(token, 50_000).await;
        let member = NewMember::company(category, legal_name, tax_id).active();
        self.create_member(token, &member).await.id
    }
}

/// Members.
impl TestApp {
    /// Creates a member.
    pub async fn create_member(&self, token: &str, member: &NewMember<'_>) -> Member {
        expect_json(self.try_create_member(token, member).await, 201).await
    }

    /// Creates a member (raw).
    pub async fn try_create_member(
        &self,
        token: &str,
        member: &NewMember<'_>,
    ) -> reqwest::Response {
        let body = serde_json::to_value(member).unwrap();
        self.post_json(token, "/api/v1/members", &body).await
    }

    /// A member.
    pub async fn get_member(&self, token: &str, id: Uuid) -> Member {
        self.get_ok(token, &member_path(id)).await
    }

    /// A member (raw).
    pub async fn try_get_member(&self, token: &str, id: Uuid) -> reqwest::Response {
        self.get_as(token, &member_path(id)).await
    }

    /// Changes a member.
    pub async fn update_member(&self, token: &str, id: Uuid, body: &Value) -> Member {
        expect_json(self.try_update_member(token, id, body).await, 200).await
    }

    /// Changes a member (raw).
    pub async fn try_update_member(
        &self,
        token: &str,
        id: Uuid,
        body: &Value,
    ) -> reqwest::Response {
        self.patch_json(token, &member_path(id), body).await
    }

    /// Archives a member.
    pub async fn archive_member(&self, token: &str, id: Uuid) {
        let res = self
            .send_as("DELETE", token, &member_path(id), None, None)
            .await;
        expect_status(res, 204).await;
    }

    /// A page of the register; `query` is the query string.
    pub async fn list_members(&self, token: &str, query: &str) -> Page<Member> {
        self.get_ok(token, &with_query("/api/v1/members", query))
            .await
    }

    /// A page of the register (raw).
    pub async fn try_list_members(&self, token: &str, query: &str) -> reqwest::Response {
        self.get_as(token, &with_query("/api/v1/members", query))
            .await
    }

    /// The register as CSV.
    pub async fn members_csv(&self, token: &str) -> String {
        self.get_csv(token, "/api/v1/members").await
    }

    /// The register's figures.
    pub async fn member_stats(&self, token: &str) -> MemberStats {
        self.get_ok(token, "/api/v1/members/stats").await
    }
}

/// Status moves.
impl TestApp {
    /// Moves a member to another status.
    pub async fn change_member_status(&self, token: &str, id: Uuid, body: &Value) -> StatusChange {
        expect_json(self.try_change_member_status(token, id, body).await, 201).await
    }

    /// Moves a member to another status (raw).
    pub async fn try_change_member_status(
        &self,
        token: &str,
        id: Uuid,
        body: &Value,
    ) -> reqwest::Response {
        let path = format!("{}/status-changes", member_path(id));
        self.post_json(token, &path, body).await
    }

    /// A member's status history, oldest first.
    pub async fn member_status_changes(&self, token: &str, id: Uuid) -> Vec<StatusChange> {
        let path = format!("{}/status-changes", member_path(id));
        self.get_ok::<Page<_>>(token, &path).await.items
    }
}

/// Contacts.
impl TestApp {
    /// Adds a contact to a member.
    pub async fn add_contact(&self, token: &str, member: Uuid, body: &Value) -> Contact {
        expect_json(self.try_add_contact(token, member, body).await, 201).await
    }

    /// Adds a contact to a member (raw).
    pub async fn try_add_contact(
        &self,
        token: &str,
        member: Uuid,
        body: &Value,
    ) -> reqwest::Response {
        self.post_json(token, &contacts_path(member), body).await
    }

    /// A member's contacts.
    pub async fn contacts(&self, token: &str, member: Uuid) -> Vec<Contact> {
        self.get_ok::<Page<_>>(token, &contacts_path(member))
            .await
            .items
    }

    /// A member's contacts (raw).
    pub async fn try_contacts(&self, token: &str, member: Uuid) -> reqwest::Response {
        self.get_as(token, &contacts_path(member)).await
    }

    /// Changes a contact (raw).
    pub async fn try_update_contact(
        &self,
        token: &str,
        member: Uuid,
        contact: Uuid,
        body: &Value,
    ) -> reqwest::Response {
        let path = format!("{}/{contact}", contacts_path(member));
        self.patch_json(token, &path, body).await
    }

    /// Removes a contact.
    pub async fn delete_contact(&self, token: &str, member: Uuid, contact: Uuid) {
        let path = format!("{}/{contact}", contacts_path(member));
        let res = self.send_as("DELETE", token, &path, None, None).await;
        expect_status(res, 204).await;
    }
}

/// Dues.
impl TestApp {
    /// Issues a year's dues to every active member: the answer, as JSON.
    pub async fn issue_dues(&self, token: &str, body: &Value) -> Value {
        let res = self.post_json(token, "/api/v1/dues-issuances", body).await;
        expect_json(res, 201).await
    }

    /// A member's dues.
    pub async fn member_dues(&self, token: &str, member: Uuid) -> Vec<Due> {
        let path = format!("{}/dues", member_path(member));
        self.get_ok::<Page<_>>(token, &path).await.items
    }

    /// A member's dues (raw).
    pub async fn try_member_dues(&self, token: &str, member: Uuid) -> reqwest::Response {
        self.get_as(token, &format!("{}/dues", member_path(member)))
            .await
    }

    /// Changes a member's due of `year`.
    pub async fn update_due(&self, token: &str, member: Uuid, year: i32, body: &Value) -> Due {
        expect_json(self.try_update_due(token, member, year, body).await, 200).await
    }

    /// Changes a member's due of `year` (raw).
    pub async fn try_update_due(
        &self,
        token: &str,
        member: Uuid,
        year: i32,
        body: &Value,
    ) -> reqwest::Response {
        self.patch_json(token, &due_path(member, year), body).await
    }
}
