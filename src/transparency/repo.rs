//! Every query on `transparency_publications`.

use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};

use super::model::PublicationRow;
use crate::schema::transparency_publications as p;

/// The publication of a year, if the year is published (`lock`: `FOR UPDATE`).
pub async fn find(
    conn: &mut AsyncPgConnection,
    year: i32,
    lock: bool,
) -> QueryResult<Option<PublicationRow>> {
    let q = p::table.find(year).select(PublicationRow::as_select());
    if lock {
        q.for_update().first(conn).await.optional()
    } else {
        q.first(conn).await.optional()
    }
}

/// Published years, newest first, after `after` (a year).
pub async fn list(
    conn: &mut AsyncPgConnection,
    after: Option<i32>,
    limit: i64,
) -> QueryResult<Vec<PublicationRow>> {
    let mut q = p::table
        .select(PublicationRow::as_select())
        .order(p::fiscal_year.desc())
        .limit(limit)
        .into_boxed();
    if let Some(year) = after {
        q = q.filter(p::fiscal_year.lt(year));
    }
    q.load(conn).await
}

/// Publishes a year (a duplicate fails on the primary key: 409 upstream).
pub async fn insert(
    conn: &mut AsyncPgConnection,
    row: &PublicationRow,
) -> QueryResult<PublicationRow> {
    diesel::insert_into(p::table)
        .values(row)
        .returning(PublicationRow::as_returning())
        .get_result(conn)
        .await
}

/// Withdraws a year.
pub async fn delete(conn: &mut AsyncPgConnection, year: i32) -> QueryResult<usize> {
    diesel::delete(p::table.find(year)).execute(conn).await
}
