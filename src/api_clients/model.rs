//! API client rows and the rules about them.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use uuid::Uuid;

use crate::{
    auth::{Role, policy},
    domain::{ApiClientId, FunderId},
    error::FieldErrors,
    schema::api_clients,
};

/// An API client as stored (without the secret hash).
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = api_clients)]
pub struct ApiClientRow {
    /// Id.
    pub id: ApiClientId,
    /// Public client id.
    pub client_id: String,
    /// Name.
    pub name: String,
    /// Granted scopes.
    pub scopes: Vec<String>,
    /// Funder.
    pub funder_id: Option<FunderId>,
    /// Revocation time.
    pub revoked_at: Option<DateTime<Utc>>,
    /// Last secret rotation.
    pub secret_rotated_at: DateTime<Utc>,
    /// Last token issued.
    pub last_used_at: Option<DateTime<Utc>>,
    /// Version.
    pub version: i64,
    /// Creation time.
    pub created_at: DateTime<Utc>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
}

/// A new API client.
#[derive(Debug, Insertable)]
#[diesel(table_name = api_clients)]
pub struct NewApiClientRow {
    /// Id.
    pub id: ApiClientId,
    /// Public client id.
    pub client_id: String,
    /// Name.
    pub name: String,
    /// SHA-256 of the secret.
    pub secret_hash: Vec<u8>,
    /// Scopes.
    pub scopes: Vec<String>,
    /// Funder.
    pub funder_id: Option<FunderId>,
}

/// Changes to an API client.
#[derive(Debug, Default, AsChangeset)]
#[diesel(table_name = api_clients)]
pub struct ApiClientChanges {
    /// New name.
    pub name: Option<String>,
    /// New scopes.
    pub scopes: Option<Vec<String>>,
    /// New funder (`Some(None)` clears).
    pub funder_id: Option<Option<FunderId>>,
}

/// The most scopes a request may list (duplicates included), as the OpenAPI document says.
pub const MAX_SCOPES: usize = 50;

/// The scopes of a request as the OpenAPI document describes them: partner scopes, at most
/// [`MAX_SCOPES`].
pub fn scopes_schema() -> utoipa::openapi::schema::Array {
    use utoipa::openapi::{ArrayBuilder, ObjectBuilder, Type};
    ArrayBuilder::new()
        .items(
            ObjectBuilder::new()
                .schema_type(Type::String)
                .enum_values(Some(policy::scopes_for(Role::Partner).iter().cloned())),
        )
        .max_items(Some(MAX_SCOPES))
        .build()
}

/// [`scopes_schema`] for a change, where `null` (as absent) leaves the scopes as they are.
pub fn nullable_scopes_schema() -> utoipa::openapi::schema::Array {
    crate::openapi::or_null(scopes_schema())
}

/// Scopes must be ones a partner may hold, at most [`MAX_SCOPES`]; duplicates are dropped,
/// order kept.
pub fn check_scopes(errors: &mut FieldErrors, requested: &[String]) -> Vec<String> {
    if requested.len() > MAX_SCOPES {
        errors.add("scopes", "too_many", format!("at most {MAX_SCOPES} scopes"));
        return Vec::new();
    }
    let allowed = policy::scopes_for(Role::Partner);
    let mut scopes: Vec<String> = Vec::new();
    for s in requested {
        if !allowed.contains(s) {
            errors.add(
                "scopes",
                "not_allowed",
                format!(
                    "`{s}` is not a partner scope (allowed: {})",
                    allowed.join(", ")
                ),
            );
        } else if !scopes.contains(s) {
            scopes.push(s.clone());
        }
    }
    scopes
}

/// A new public client id: `pc_` and 20 hex characters.
pub fn new_client_id() -> String {
    let hex = Uuid::new_v4().simple().to_string();
    format!("pc_{}", &hex[..20])
}
