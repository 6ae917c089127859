//! User rows, forms and the rules about them.

use chrono::{DateTime, Utc};
use diesel::prelude::*;

use crate::{
    auth::Role,
    domain::{Email, FunderId, MemberId, UserId},
    error::FieldErrors,
    schema::users,
};

/// A user as stored (without the password hash).
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = users)]
pub struct UserRow {
    /// Id.
    pub id: UserId,
    /// Normalised e-mail.
    pub email: Email,
    /// Display name.
    pub display_name: String,
    /// Role.
    pub role: Role,
    /// Represented member organisation.
    pub member_id: Option<MemberId>,
    /// Funder.
    pub funder_id: Option<FunderId>,
    /// Active flag.
    pub active: bool,
    /// Last successful sign-in.
    pub last_login_at: Option<DateTime<Utc>>,
    /// Optimistic-concurrency version.
    pub version: i64,
    /// Creation time.
    pub created_at: DateTime<Utc>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
}

/// A new user.
#[derive(Debug, Insertable)]
#[diesel(table_name = users)]
pub struct NewUserRow {
    /// Id (UUIDv7).
    pub id: UserId,
    /// Normalised e-mail.
    pub email: Email,
    /// Display name.
    pub display_name: String,
    /// Role.
    pub role: Role,
    /// Represented member organisation.
    pub member_id: Option<MemberId>,
    /// Funder.
    pub funder_id: Option<FunderId>,
    /// Active flag.
    pub active: bool,
    /// argon2id PHC string.
    pub password_hash: String,
}

/// Changes to a user (`None` = leave as is).
#[derive(Debug, Default, AsChangeset)]
#[diesel(table_name = users)]
pub struct UserChanges {
    /// New e-mail.
    pub email: Option<Email>,
    /// New display name.
    pub display_name: Option<String>,
    /// New role.
    pub role: Option<Role>,
    /// New organisation (`Some(None)` clears).
    pub member_id: Option<Option<MemberId>>,
    /// New funder (`Some(None)` clears).
    pub funder_id: Option<Option<FunderId>>,
    /// New active flag.
    pub active: Option<bool>,
    /// New password hash.
    pub password_hash: Option<String>,
}

impl UserChanges {
    /// Whether nothing would change.
    pub fn is_empty(&self) -> bool {
        self.email.is_none()
            && self.display_name.is_none()
            && self.role.is_none()
            && self.member_id.is_none()
            && self.funder_id.is_none()
            && self.active.is_none()
            && self.password_hash.is_none()
    }
}

/// The one place that says which role may carry which affiliation: a member organisation
/// only for `member` users, a funder only for `partner` users. (The database's CHECK
/// constraints back this rule.)
pub fn check_affiliation(
    errors: &mut FieldErrors,
    role: Role,
    member_id: Option<MemberId>,
    funder_id: Option<FunderId>,
) {
    if member_id.is_some() && role != Role::Member {
        errors.add(
            "member_id",
            "not_allowed",
            "only `member` users represent a member organisation",
        );
    }
    if funder_id.is_some() && role != Role::Partner {
        errors.add(
            "funder_id",
            "not_allowed",
            "only `partner` users belong to a funder",
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn affiliations_follow_roles() {
        let (member, funder) = (Some(MemberId::new()), Some(FunderId::new()));
        let mut e = FieldErrors::default();
        check_affiliation(&mut e, Role::Member, member, None);
        check_affiliation(&mut e, Role::Partner, None, funder);
        assert!(e.finish().is_ok());
        let mut e = FieldErrors::default();
        check_affiliation(&mut e, Role::Staff, member, funder);
        assert!(e.finish().is_err());
    }
}
