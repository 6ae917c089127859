//! Queries of the user module.

use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};

use super::{
    accounts::UserSort,
    model::{NewUserRow, UserChanges, UserRow},
};
use crate::{
    auth::Role,
    domain::{Email, UserId},
    schema::users,
};

/// Inserts a user.
pub async fn insert(conn: &mut AsyncPgConnection, row: &NewUserRow) -> QueryResult<UserRow> {
    diesel::insert_into(users::table)
        .values(row)
        .returning(UserRow::as_returning())
        .get_result(conn)
        .await
}

/// One user.
pub async fn find(conn: &mut AsyncPgConnection, id: UserId) -> QueryResult<UserRow> {
    users::table
        .find(id)
        .select(UserRow::as_select())
        .first(conn)
        .await
}

/// One user, locked for update until the transaction ends.
pub async fn find_for_update(conn: &mut AsyncPgConnection, id: UserId) -> QueryResult<UserRow> {
    users::table
        .find(id)
        .select(UserRow::as_select())
        .for_update()
        .first(conn)
        .await
}

/// Filters of the list.
#[derive(Debug, Default, Clone, Copy)]
pub struct Filter {
    /// Role.
    pub role: Option<Role>,
    /// Active flag.
    pub active: Option<bool>,
}

/// The sort key after which a page starts.
#[derive(Debug, serde::Serialize, serde::Deserialize)]
#[serde(untagged)]
pub enum After {
    /// Id (creation order: ids are UUIDv7).
    Id(UserId),
    /// E-mail (unique).
    Email(String),
}

/// A keyset page of users: `limit` rows after `after` in `sort` order.
pub async fn list(
    conn: &mut AsyncPgConnection,
    filter: &Filter,
    sort: UserSort,
    after: Option<After>,
    limit: i64,
) -> QueryResult<Vec<UserRow>> {
    let mut q = users::table.select(UserRow::as_select()).into_boxed();
    if let Some(role) = filter.role {
        q = q.filter(users::role.eq(role));
    }
    if let Some(active) = filter.active {
        q = q.filter(users::active.eq(active));
    }
    q = match (sort, after) {
        (UserSort::CreatedAt, Some(After::Id(id))) => q.filter(users::id.gt(id)),
        (UserSort::CreatedAtDesc, Some(After::Id(id))) => q.filter(users::id.lt(id)),
        (UserSort::Email, Some(After::Email(e))) => q.filter(users::email.gt(e)),
        (UserSort::EmailDesc, Some(After::Email(e))) => q.filter(users::email.lt(e)),
        (_, None) => q,
        // A cursor's sort is checked when it is decoded; a mismatch cannot reach here.
        (_, Some(_)) => return Ok(Vec::new()),
    };
    q = match sort {
        UserSort::CreatedAt => q.order(users::id.asc()),
        UserSort::CreatedAtDesc => q.order(users::id.desc()),
        UserSort::Email => q.order(users::email.asc()),
        UserSort::EmailDesc => q.order(users::email.desc()),
    };
    q.limit(limit).load(conn).await
}

/// Applies changes and bumps the version.
pub async fn update(
    conn: &mut AsyncPgConnection,
    id: UserId,
    changes: &UserChanges,
) -> QueryResult<UserRow> {
    diesel::update(users::table.find(id))
        .set((changes, users::version.eq(users::version + 1)))
        .returning(UserRow::as_returning())
        .get_result(conn)
        .await
}

/// Active admins other than `except`.
pub async fn other_active_admins(conn: &mut AsyncPgConnection, except: UserId) -> QueryResult<i64> {
    users::table
        .filter(users::role.eq(Role::Admin))
        .filter(users::active.eq(true))
        .filter(users::id.ne(except))
        .count()
        .get_result(conn)
        .await
}

/// Whether any user exists.
pub async fn any(conn: &mut AsyncPgConnection) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(users::table.select(users::id)))
        .get_result(conn)
        .await
}

/// A user by normalised e-mail.
pub async fn find_by_email(
    conn: &mut AsyncPgConnection,
    email: &Email,
) -> QueryResult<Option<UserRow>> {
    users::table
        .filter(users::email.eq(email))
        .select(UserRow::as_select())
        .first(conn)
        .await
        .optional()
}

/// The stored password hash.
pub async fn password_hash(conn: &mut AsyncPgConnection, id: UserId) -> QueryResult<String> {
    users::table
        .find(id)
        .select(users::password_hash)
        .first(conn)
        .await
}

// Read by other modules

/// Which of `ids` are active staff or admin users: who may be responsible for a plan action.
pub async fn active_staff(
    conn: &mut AsyncPgConnection,
    ids: &[crate::domain::UserId],
) -> QueryResult<std::collections::HashSet<crate::domain::UserId>> {
    if ids.is_empty() {
        return Ok(std::collections::HashSet::new());
    }
    let found: Vec<crate::domain::UserId> = users::table
        .filter(users::id.eq_any(ids))
        .filter(users::active.eq(true))
        .filter(users::role.eq_any([Role::Staff, Role::Admin]))
        .select(users::id)
        .load(conn)
        .await?;
    Ok(found.into_iter().collect())
}
