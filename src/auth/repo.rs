//! Queries of the identity module. Every function takes a connection, so callers compose
//! them in one transaction.

use chrono::{DateTime, Utc};
use diesel::{dsl::exists, prelude::*};
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

use super::model::{
    ClientPrincipal, LoginClient, LoginUser, RefreshToken, RevokedAccessToken, UserPrincipal,
};
use crate::{
    db::prebuilt::{ListText, Prebuilt},
    schema::{api_clients, refresh_tokens, revoked_access_tokens, users},
};

/// The user's standing in the caller check (role, organisation, funder, active, session
/// epoch): the columns without a bound value, so their SQL is written once
/// ([`crate::db::prebuilt`]; every request with a user's token runs it).
macro_rules! user_standing_columns {
    () => {
        (
            crate::schema::users::role,
            crate::schema::users::member_id,
            crate::schema::users::funder_id,
            crate::schema::users::active,
            crate::schema::users::session_epoch,
        )
    };
}
pub(crate) use user_standing_columns;

/// The SQL of [`user_standing_columns`], written once.
pub(crate) static STANDING_SQL: ListText =
    ListText::new(|| Prebuilt::sql(&user_standing_columns!()));

/// The caller check's select list: the user's standing and whether the token `jti` was
/// revoked, a [`UserPrincipal`]. Also folded into the member read
/// (`members::repo::find_with_user_principal`).
macro_rules! user_principal_columns {
    ($jti:expr) => {
        (
            crate::db::prebuilt::Prebuilt::new(
                crate::auth::repo::user_standing_columns!(),
                &crate::auth::repo::STANDING_SQL,
            ),
            diesel::dsl::exists(crate::schema::revoked_access_tokens::table.find($jti)),
        )
    };
}
pub(crate) use user_principal_columns;

/// The user behind a token, and whether the token was revoked, in one statement.
pub async fn load_user_principal(
    conn: &mut AsyncPgConnection,
    id: Uuid,
    jti: Uuid,
) -> QueryResult<Option<UserPrincipal>> {
    users::table
        .find(id)
        .select(user_principal_columns!(jti))
        .first(conn)
        .await
        .optional()
}

/// The API client behind a token, and whether the token was revoked, in one statement.
pub async fn load_client_principal(
    conn: &mut AsyncPgConnection,
    id: Uuid,
    jti: Uuid,
) -> QueryResult<Option<ClientPrincipal>> {
    api_clients::table
        .find(id)
        .select((
            api_clients::scopes,
            api_clients::funder_id,
            api_clients::revoked_at.is_not_null(),
            exists(revoked_access_tokens::table.find(jti)),
        ))
        .first(conn)
        .await
        .optional()
}

/// A user by normalised e-mail.
pub async fn find_login_user(
    conn: &mut AsyncPgConnection,
    email: &str,
) -> QueryResult<Option<LoginUser>> {
    users::table
        .filter(users::email.eq(email))
        .select(LoginUser::as_select())
        .first(conn)
        .await
        .optional()
}

/// Records a successful sign-in (and an upgraded password hash).
pub async fn record_login(
    conn: &mut AsyncPgConnection,
    user_id: Uuid,
    new_hash: Option<String>,
) -> QueryResult<()> {
    let target = users::table.find(user_id);
    match new_hash {
        Some(hash) => {
            diesel::update(target)
                .set((
                    users::last_login_at.eq(diesel::dsl::now),
                    users::password_hash.eq(hash),
                ))
                .execute(conn)
                .await?
        }
        None => {
            diesel::update(target)
                .set(users::last_login_at.eq(diesel::dsl::now))
                .execute(conn)
                .await?
        }
    };
    Ok(())
}

/// An API client by its public `client_id`.
pub async fn find_login_client(
    conn: &mut AsyncPgConnection,
    client_id: &str,
) -> QueryResult<Option<LoginClient>> {
    api_clients::table
        .filter(api_clients::client_id.eq(client_id))
        .select(LoginClient::as_select())
        .first(conn)
        .await
        .optional()
}

/// Notes that a client signed in.
pub async fn touch_client(conn: &mut AsyncPgConnection, id: Uuid) -> QueryResult<()> {
    diesel::update(api_clients::table.find(id))
        .set(api_clients::last_used_at.eq(diesel::dsl::now))
        .execute(conn)
        .await?;
    Ok(())
}

/// Stores a new refresh token.
pub async fn insert_refresh(conn: &mut AsyncPgConnection, token: &RefreshToken) -> QueryResult<()> {
    diesel::insert_into(refresh_tokens::table)
        .values(token)
        .execute(conn)
        .await?;
    Ok(())
}

/// What presenting a refresh token led to.
#[derive(Debug)]
pub enum Exchange {
    /// Valid and now spent: issue its successor.
    Spent(RefreshToken),
    /// Already spent or revoked: a sign of theft; its family must be revoked.
    Reused(Uuid),
    /// Unknown or expired.
    Invalid,
}

/// Spends a refresh token atomically (two concurrent exchanges cannot both succeed).
pub async fn exchange_refresh(conn: &mut AsyncPgConnection, hash: &[u8]) -> QueryResult<Exchange> {
    let spent: Option<RefreshToken> = diesel::update(
        refresh_tokens::table
            .filter(refresh_tokens::token_hash.eq(hash))
            .filter(refresh_tokens::used_at.is_null())
            .filter(refresh_tokens::revoked_at.is_null())
            .filter(refresh_tokens::expires_at.gt(diesel::dsl::now)),
    )
    .set(refresh_tokens::used_at.eq(diesel::dsl::now))
    .returning(RefreshToken::as_returning())
    .get_result(conn)
    .await
    .optional()?;
    if let Some(token) = spent {
        return Ok(Exchange::Spent(token));
    }
    let existing: Option<RefreshToken> = refresh_tokens::table
        .filter(refresh_tokens::token_hash.eq(hash))
        .select(RefreshToken::as_select())
        .first(conn)
        .await
        .optional()?;
    Ok(match existing {
        Some(t) if t.used_at.is_some() || t.revoked_at.is_some() => Exchange::Reused(t.family_id),
        _ => Exchange::Invalid,
    })
}

/// Finds the family of a refresh token (for revocation).
pub async fn refresh_family(
    conn: &mut AsyncPgConnection,
    hash: &[u8],
) -> QueryResult<Option<Uuid>> {
    refresh_tokens::table
        .filter(refresh_tokens::token_hash.eq(hash))
        .select(refresh_tokens::family_id)
        .first(conn)
        .await
        .optional()
}

/// Revokes every token of a family, including one a concurrent refresh is issuing.
///
/// A refresh holds the row of the token it spends until it commits its successor. A plain
/// UPDATE of the family would wait for that row but, working from the snapshot it started
/// with, miss the successor (a sign-out racing a refresh left the new token alive). So the
/// family's rows are locked first, which waits for any refresh in flight, and the UPDATE
/// that follows, a new statement, sees what it committed. A refresh that comes after the lock
/// finds its token revoked.
pub async fn revoke_family(conn: &mut AsyncPgConnection, family_id: Uuid) -> QueryResult<usize> {
    conn.transaction(async |conn| {
        refresh_tokens::table
            .filter(refresh_tokens::family_id.eq(family_id))
            .select(refresh_tokens::id)
            .for_update()
            .load::<Uuid>(conn)
            .await?;
        diesel::update(
            refresh_tokens::table
                .filter(refresh_tokens::family_id.eq(family_id))
                .filter(refresh_tokens::revoked_at.is_null()),
        )
        .set(refresh_tokens::revoked_at.eq(diesel::dsl::now))
        .execute(conn)
        .await
    })
    .await
}

/// Ends every session of a user: refresh tokens are revoked and the session epoch moves on,
/// so access tokens already issued stop working too.
pub async fn end_user_sessions(conn: &mut AsyncPgConnection, user_id: Uuid) -> QueryResult<()> {
    diesel::update(
        refresh_tokens::table
            .filter(refresh_tokens::user_id.eq(user_id))
            .filter(refresh_tokens::revoked_at.is_null()),
    )
    .set(refresh_tokens::revoked_at.eq(diesel::dsl::now))
    .execute(conn)
    .await?;
    diesel::update(users::table.find(user_id))
        .set(users::session_epoch.eq(users::session_epoch + 1))
        .execute(conn)
        .await?;
    Ok(())
}

/// Revokes one access token until it would have expired.
pub async fn revoke_access_token(
    conn: &mut AsyncPgConnection,
    jti: Uuid,
    expires_at: DateTime<Utc>,
) -> QueryResult<()> {
    diesel::insert_into(revoked_access_tokens::table)
        .values(&RevokedAccessToken { jti, expires_at })
        .on_conflict_do_nothing()
        .execute(conn)
        .await?;
    Ok(())
}

/// Removes expired refresh tokens and revocations (housekeeping).
pub async fn purge_expired(conn: &mut AsyncPgConnection) -> QueryResult<usize> {
    let a = diesel::delete(
        refresh_tokens::table.filter(refresh_tokens::expires_at.lt(diesel::dsl::now)),
    )
    .execute(conn)
    .await?;
    let b = diesel::delete(
        revoked_access_tokens::table.filter(revoked_access_tokens::expires_at.lt(diesel::dsl::now)),
    )
    .execute(conn)
    .await?;
    Ok(a + b)
}
