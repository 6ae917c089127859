//! Funders.

use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};

use super::super::model::{FunderChanges, FunderRow};
use crate::{domain::FunderId, schema::funders};

/// Inserts a funder.
pub async fn insert_funder(
    conn: &mut AsyncPgConnection,
    row: &FunderRow,
) -> QueryResult<FunderRow> {
    diesel::insert_into(funders::table)
        .values(row)
        .returning(FunderRow::as_returning())
        .get_result(conn)
        .await
}

/// One funder (`lock`: `FOR UPDATE`).
pub async fn find_funder(
    conn: &mut AsyncPgConnection,
    id: FunderId,
    lock: bool,
) -> QueryResult<FunderRow> {
    let q = funders::table.find(id).select(FunderRow::as_select());
    if lock {
        q.for_update().first(conn).await
    } else {
        q.first(conn).await
    }
}

/// Every funder, by name (a few dozen: the BDNS import matches names among them).
pub async fn all_funders(conn: &mut AsyncPgConnection) -> QueryResult<Vec<FunderRow>> {
    funders::table
        .select(FunderRow::as_select())
        .order((funders::name, funders::id))
        .load(conn)
        .await
}

/// Funders by name, after the key `(name, id)`.
pub async fn list_funders(
    conn: &mut AsyncPgConnection,
    after: Option<(String, FunderId)>,
    limit: i64,
) -> QueryResult<Vec<FunderRow>> {
    let mut q = funders::table.select(FunderRow::as_select()).into_boxed();
    if let Some((name, id)) = after {
        q = q.filter(
            funders::name
                .gt(name.clone())
                .or(funders::name.eq(name).and(funders::id.gt(id))),
        );
    }
    q.order((funders::name, funders::id))
        .limit(limit)
        .load(conn)
        .await
}

/// Changes a funder and bumps its version.
pub async fn update_funder(
    conn: &mut AsyncPgConnection,
    id: FunderId,
    changes: &FunderChanges,
) -> QueryResult<FunderRow> {
    diesel::update(funders::table.find(id))
        .set((changes, funders::version.eq(funders::version + 1)))
        .returning(FunderRow::as_returning())
        .get_result(conn)
        .await
}
