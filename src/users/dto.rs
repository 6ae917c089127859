//! Request and response bodies of the user endpoints.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::model::UserRow;
use crate::{
    auth::Role,
    http::{csv::CsvRow, patch::nullable},
};

impl CsvRow for UserRow {
    fn header() -> &'static [&'static str] {
        &[
            "id",
            "email",
            "display_name",
            "role",
            "member_id",
            "funder_id",
            "active",
            "last_login_at",
            "created_at",
            "updated_at",
        ]
    }

    fn cells(&self) -> Vec<String> {
        let opt = |v: Option<String>| v.unwrap_or_default();
        vec![
            self.id.to_string(),
            self.email.clone(),
            self.display_name.clone(),
            self.role.to_string(),
            opt(self.member_id.map(|v| v.to_string())),
            opt(self.funder_id.map(|v| v.to_string())),
            self.active.to_string(),
            opt(self.last_login_at.map(|v| v.to_rfc3339())),
            self.created_at.to_rfc3339(),
            self.updated_at.to_rfc3339(),
        ]
    }
}

/// A user account.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct User {
    /// Id.
    pub id: Uuid,
    /// E-mail (sign-in name), normalised to lowercase.
    #[schema(example = "lucia.fernandez@clusteraudiovisual.es")]
    pub email: String,
    /// Display name.
    #[schema(example = "Lucía Fernández")]
    pub display_name: String,
    /// Role.
    pub role: Role,
    /// For `member` users: the member organisation they represent.
    pub member_id: Option<Uuid>,
    /// For `partner` users: the funder they belong to.
    pub funder_id: Option<Uuid>,
    /// Inactive users cannot sign in; their tokens stop working at once.
    pub active: bool,
    /// Last successful sign-in.
    pub last_login_at: Option<DateTime<Utc>>,
    /// Creation time.
    pub created_at: DateTime<Utc>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
}

impl From<UserRow> for User {
    fn from(r: UserRow) -> Self {
        Self {
            id: r.id,
            email: r.email,
            display_name: r.display_name,
            role: r.role,
            member_id: r.member_id,
            funder_id: r.funder_id,
            active: r.active,
            last_login_at: r.last_login_at,
            created_at: r.created_at,
            updated_at: r.updated_at,
        }
    }
}

/// A new user (admins only).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewUser {
    /// E-mail; unique, case-insensitive.
    #[schema(example = "lucia.fernandez@clusteraudiovisual.es")]
    pub email: String,
    /// Display name (1–200 characters).
    #[schema(example = "Lucía Fernández", min_length = 1, max_length = 200)]
    pub display_name: String,
    /// Role.
    pub role: Role,
    /// Initial password (12–1024 characters).
    #[schema(
        example = "una contraseña larga y segura",
        min_length = 12,
        max_length = 1024
    )]
    pub password: String,
    /// For `member` users.
    pub member_id: Option<Uuid>,
    /// For `partner` users.
    pub funder_id: Option<Uuid>,
    /// Defaults to `true`.
    pub active: Option<bool>,
}

/// Changes to a user (admins only); absent fields stay as they are. Changing the role,
/// the password or deactivating ends the user's sessions.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UserPatch {
    /// New e-mail.
    pub email: Option<String>,
    /// New display name.
    pub display_name: Option<String>,
    /// New role.
    pub role: Option<Role>,
    /// `false` deactivates (sessions end), `true` reactivates.
    pub active: Option<bool>,
    /// A new password set by an admin.
    #[schema(min_length = 12, max_length = 1024)]
    pub password: Option<String>,
    /// Member organisation; `null` clears.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<Uuid>, nullable)]
    pub member_id: Option<Option<Uuid>>,
    /// Funder; `null` clears.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<Uuid>, nullable)]
    pub funder_id: Option<Option<Uuid>>,
}

/// Sort orders of the user list.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, ToSchema)]
pub enum UserSort {
    /// Oldest first (default).
    #[default]
    #[serde(rename = "created_at")]
    CreatedAt,
    /// Newest first.
    #[serde(rename = "-created_at")]
    CreatedAtDesc,
    /// By e-mail, A–Z.
    #[serde(rename = "email")]
    Email,
    /// By e-mail, Z–A.
    #[serde(rename = "-email")]
    EmailDesc,
}

impl UserSort {
    /// The name used in cursors.
    pub fn as_str(self) -> &'static str {
        match self {
            UserSort::CreatedAt => "created_at",
            UserSort::CreatedAtDesc => "-created_at",
            UserSort::Email => "email",
            UserSort::EmailDesc => "-email",
        }
    }
}

/// Filters and paging of the user list.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct UserQuery {
    /// Only users with this role.
    pub role: Option<Role>,
    /// Only active (`true`) or inactive (`false`) users.
    pub active: Option<bool>,
    /// `created_at` (default), `-created_at`, `email`, `-email`.
    #[param(inline)]
    pub sort: Option<UserSort>,
    /// Page size, 1–100 (default 25).
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<i64>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// A password change by the signed-in user.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PasswordChange {
    /// The current password.
    #[schema(min_length = 1, max_length = 1024)]
    pub current_password: String,
    /// The new password (12–1024 characters).
    #[schema(min_length = 12, max_length = 1024)]
    pub new_password: String,
}

/// The signed-in caller.
#[derive(Debug, Serialize, ToSchema)]
pub struct Me {
    /// `user` or `api_client`.
    #[schema(example = "user")]
    pub kind: &'static str,
    /// Id of the user or API client.
    pub id: Uuid,
    /// Role (API clients act as `partner`).
    pub role: Role,
    /// E-mail (users only).
    pub email: Option<String>,
    /// Display name or client name.
    pub display_name: String,
    /// For `member` users.
    pub member_id: Option<Uuid>,
    /// For partners.
    pub funder_id: Option<Uuid>,
    /// Scopes of the current token.
    pub scopes: Vec<String>,
}
