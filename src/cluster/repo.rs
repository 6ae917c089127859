//! Every query on `cluster_profile`.

use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};

use super::model::{ClusterRow, ID};
use crate::schema::cluster_profile;

/// The record, if it was set up; `lock` takes it `FOR UPDATE`.
pub async fn find(conn: &mut AsyncPgConnection, lock: bool) -> QueryResult<Option<ClusterRow>> {
    let q = cluster_profile::table
        .find(ID)
        .select(ClusterRow::as_select());
    if lock {
        q.for_update().first(conn).await.optional()
    } else {
        q.first(conn).await.optional()
    }
}

/// Writes the record: inserted the first time (version 1), then replaced with the version
/// bumped. Two first writes racing: the second fails on the primary key (a 409 upstream).
pub async fn save(conn: &mut AsyncPgConnection, row: &ClusterRow) -> QueryResult<ClusterRow> {
    if row.version == 1 {
        return diesel::insert_into(cluster_profile::table)
            .values(row)
            .returning(ClusterRow::as_returning())
            .get_result(conn)
            .await;
    }
    diesel::update(cluster_profile::table.find(ID))
        .set(row)
        .returning(ClusterRow::as_returning())
        .get_result(conn)
        .await
}
