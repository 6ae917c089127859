//! Rows the identity module reads and writes.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use uuid::Uuid;

use super::policy::Role;
use crate::schema::{refresh_tokens, revoked_access_tokens};

/// What the extractor needs to know about a user on every request.
#[derive(Debug)]
pub struct UserPrincipal {
    /// Current role.
    pub role: Role,
    /// Represented organisation.
    pub member_id: Option<Uuid>,
    /// Funder.
    pub funder_id: Option<Uuid>,
    /// Deactivated users lose access at once.
    pub active: bool,
    /// Must equal the token's `epoch`.
    pub session_epoch: i32,
    /// Whether the token's `jti` was revoked.
    pub revoked: bool,
}

/// The caller check's row: the user's standing (written as one prebuilt list) and whether
/// the token was revoked.
type PrincipalSql = (
    (
        diesel::sql_types::Text,
        diesel::sql_types::Nullable<diesel::sql_types::Uuid>,
        diesel::sql_types::Nullable<diesel::sql_types::Uuid>,
        diesel::sql_types::Bool,
        diesel::sql_types::Integer,
    ),
    diesel::sql_types::Bool,
);

impl Queryable<PrincipalSql, diesel::pg::Pg> for UserPrincipal {
    type Row = ((Role, Option<Uuid>, Option<Uuid>, bool, i32), bool);

    fn build(row: Self::Row) -> diesel::deserialize::Result<Self> {
        let ((role, member_id, funder_id, active, session_epoch), revoked) = row;
        Ok(Self {
            role,
            member_id,
            funder_id,
            active,
            session_epoch,
            revoked,
        })
    }
}

/// What the extractor needs to know about an API client on every request.
#[derive(Debug, Queryable)]
pub struct ClientPrincipal {
    /// The scopes the client holds now.
    pub scopes: Vec<String>,
    /// Funder.
    pub funder_id: Option<Uuid>,
    /// Whether the client was revoked.
    pub revoked_client: bool,
    /// Whether the token's `jti` was revoked.
    pub revoked: bool,
}

/// A user, as the password grant sees it.
#[derive(Debug, Queryable, Selectable)]
#[diesel(table_name = crate::schema::users)]
pub struct LoginUser {
    /// Id.
    pub id: Uuid,
    /// Role.
    pub role: Role,
    /// Active flag.
    pub active: bool,
    /// PHC string.
    pub password_hash: String,
    /// Session epoch.
    pub session_epoch: i32,
}

/// An API client, as the client-credentials grant sees it.
#[derive(Debug, Queryable, Selectable)]
#[diesel(table_name = crate::schema::api_clients)]
pub struct LoginClient {
    /// Id.
    pub id: Uuid,
    /// SHA-256 of the secret.
    pub secret_hash: Vec<u8>,
    /// Granted scopes.
    pub scopes: Vec<String>,
    /// Revocation time.
    pub revoked_at: Option<DateTime<Utc>>,
}

/// A stored refresh token.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = refresh_tokens)]
pub struct RefreshToken {
    /// Id.
    pub id: Uuid,
    /// The sign-in it descends from.
    pub family_id: Uuid,
    /// Owner.
    pub user_id: Uuid,
    /// SHA-256 of the token.
    pub token_hash: Vec<u8>,
    /// Granted scopes.
    pub scope: String,
    /// Issue time.
    pub created_at: DateTime<Utc>,
    /// Expiry.
    pub expires_at: DateTime<Utc>,
    /// When it was exchanged (it can be used once).
    pub used_at: Option<DateTime<Utc>>,
    /// When it was revoked.
    pub revoked_at: Option<DateTime<Utc>>,
    /// The user's session epoch when it was issued; a different epoch now means the
    /// sessions were ended (password or role change) and the token is refused.
    pub session_epoch: i32,
}

/// A revoked access token.
#[derive(Debug, Insertable)]
#[diesel(table_name = revoked_access_tokens)]
pub struct RevokedAccessToken {
    /// Token id.
    pub jti: Uuid,
    /// When the token would have expired anyway.
    pub expires_at: DateTime<Utc>,
}
