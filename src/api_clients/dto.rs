//! Request and response bodies of the API client endpoints.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use super::model::ApiClientRow;
use crate::http::{csv::CsvRow, patch::nullable};

impl CsvRow for ApiClientRow {
    fn header() -> &'static [&'static str] {
        &[
            "id",
            "client_id",
            "name",
            "scopes",
            "funder_id",
            "revoked_at",
            "secret_rotated_at",
            "last_used_at",
            "created_at",
        ]
    }

    fn cells(&self) -> Vec<String> {
        let opt = |v: Option<String>| v.unwrap_or_default();
        vec![
            self.id.to_string(),
            self.client_id.clone(),
            self.name.clone(),
            self.scopes.join(" "),
            opt(self.funder_id.map(|v| v.to_string())),
            opt(self.revoked_at.map(|v| v.to_rfc3339())),
            self.secret_rotated_at.to_rfc3339(),
            opt(self.last_used_at.map(|v| v.to_rfc3339())),
            self.created_at.to_rfc3339(),
        ]
    }
}

/// A partner institution's system, signing in with `client_credentials`.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ApiClient {
    /// Id.
    pub id: Uuid,
    /// The public `client_id` for the token endpoint.
    #[schema(example = "pc_3f9a0c2b7d1e4a5b6c7d")]
    pub client_id: String,
    /// Name.
    #[schema(example = "Ayuntamiento de Madrid · integración")]
    pub name: String,
    /// Scopes the client may request.
    pub scopes: Vec<String>,
    /// The funder the client belongs to.
    pub funder_id: Option<Uuid>,
    /// Set when revoked: it can no longer sign in and its tokens stop working.
    pub revoked_at: Option<DateTime<Utc>>,
    /// Last secret rotation.
    pub secret_rotated_at: DateTime<Utc>,
    /// Last token issued.
    pub last_used_at: Option<DateTime<Utc>>,
    /// Creation time.
    pub created_at: DateTime<Utc>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
}

impl From<ApiClientRow> for ApiClient {
    fn from(r: ApiClientRow) -> Self {
        Self {
            id: r.id,
            client_id: r.client_id,
            name: r.name,
            scopes: r.scopes,
            funder_id: r.funder_id,
            revoked_at: r.revoked_at,
            secret_rotated_at: r.secret_rotated_at,
            last_used_at: r.last_used_at,
            created_at: r.created_at,
            updated_at: r.updated_at,
        }
    }
}

/// An API client with its secret: returned once, at creation and at rotation.
#[derive(Debug, Serialize, ToSchema)]
pub struct ApiClientWithSecret {
    /// The client.
    #[serde(flatten)]
    pub client: ApiClient,
    /// The secret. Store it now: it is never shown again.
    pub client_secret: String,
}

/// A new API client.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewApiClient {
    /// Name (1–200 characters).
    #[schema(min_length = 1, max_length = 200)]
    pub name: String,
    /// Scopes (partner scopes only).
    #[serde(default)]
    pub scopes: Vec<String>,
    /// The funder it belongs to.
    pub funder_id: Option<Uuid>,
}

/// Changes to an API client.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ApiClientPatch {
    /// New name.
    pub name: Option<String>,
    /// New scopes (replace the old ones).
    pub scopes: Option<Vec<String>>,
    /// Funder; `null` clears.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<Uuid>, nullable)]
    pub funder_id: Option<Option<Uuid>>,
}
