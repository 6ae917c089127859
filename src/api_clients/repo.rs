//! Queries of the API client module.

use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};

use super::model::{ApiClientChanges, ApiClientRow, NewApiClientRow};
use crate::{domain::ApiClientId, schema::api_clients};

/// Inserts a client.
pub async fn insert(
    conn: &mut AsyncPgConnection,
    row: &NewApiClientRow,
) -> QueryResult<ApiClientRow> {
    diesel::insert_into(api_clients::table)
        .values(row)
        .returning(ApiClientRow::as_returning())
        .get_result(conn)
        .await
}

/// One client.
pub async fn find(conn: &mut AsyncPgConnection, id: ApiClientId) -> QueryResult<ApiClientRow> {
    api_clients::table
        .find(id)
        .select(ApiClientRow::as_select())
        .first(conn)
        .await
}

/// One client, locked for update until the transaction ends.
pub async fn find_for_update(
    conn: &mut AsyncPgConnection,
    id: ApiClientId,
) -> QueryResult<ApiClientRow> {
    api_clients::table
        .find(id)
        .select(ApiClientRow::as_select())
        .for_update()
        .first(conn)
        .await
}

/// A keyset page of clients in creation order.
pub async fn list(
    conn: &mut AsyncPgConnection,
    include_revoked: bool,
    after: Option<ApiClientId>,
    limit: i64,
) -> QueryResult<Vec<ApiClientRow>> {
    let mut q = api_clients::table
        .select(ApiClientRow::as_select())
        .into_boxed();
    if !include_revoked {
        q = q.filter(api_clients::revoked_at.is_null());
    }
    if let Some(after) = after {
        q = q.filter(api_clients::id.gt(after));
    }
    q.order(api_clients::id.asc()).limit(limit).load(conn).await
}

/// Applies changes and bumps the version.
pub async fn update(
    conn: &mut AsyncPgConnection,
    id: ApiClientId,
    changes: &ApiClientChanges,
) -> QueryResult<ApiClientRow> {
    diesel::update(api_clients::table.find(id))
        .set((changes, api_clients::version.eq(api_clients::version + 1)))
        .returning(ApiClientRow::as_returning())
        .get_result(conn)
        .await
}

/// Replaces the secret.
pub async fn rotate_secret(
    conn: &mut AsyncPgConnection,
    id: ApiClientId,
    hash: &[u8],
) -> QueryResult<ApiClientRow> {
    diesel::update(
        api_clients::table
            .find(id)
            .filter(api_clients::revoked_at.is_null()),
    )
    .set((
        api_clients::secret_hash.eq(hash),
        api_clients::secret_rotated_at.eq(diesel::dsl::now),
        api_clients::version.eq(api_clients::version + 1),
    ))
    .returning(ApiClientRow::as_returning())
    .get_result(conn)
    .await
}

/// Revokes a client (kept for the record); `None` when already revoked or absent.
pub async fn revoke(
    conn: &mut AsyncPgConnection,
    id: ApiClientId,
) -> QueryResult<Option<ApiClientRow>> {
    diesel::update(
        api_clients::table
            .find(id)
            .filter(api_clients::revoked_at.is_null()),
    )
    .set((
        api_clients::revoked_at.eq(diesel::dsl::now),
        api_clients::version.eq(api_clients::version + 1),
    ))
    .returning(ApiClientRow::as_returning())
    .get_result(conn)
    .await
    .optional()
}
