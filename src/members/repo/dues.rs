//! Queries of members' yearly dues and their bulk issuance.

use chrono::NaiveDate;
use diesel::{prelude::*, sql_types::Date};
use diesel_async::{AsyncPgConnection, RunQueryDsl};

use crate::members::model::{DueRow, DueStatus};
use crate::{
    domain::{Cents, DueId, MemberId},
    schema::member_dues,
};

/// A member's dues, by year.
pub async fn dues(
    conn: &mut AsyncPgConnection,
    member_id: MemberId,
    after: Option<i32>,
    limit: i64,
) -> QueryResult<Vec<DueRow>> {
    let mut q = member_dues::table
        .filter(member_dues::member_id.eq(member_id))
        .select(DueRow::as_select())
        .into_boxed();
    if let Some(y) = after {
        q = q.filter(member_dues::year.gt(y));
    }
    q.order(member_dues::year.asc())
        .limit(limit)
        .load(conn)
        .await
}

/// One due, locked.
pub async fn lock_due(
    conn: &mut AsyncPgConnection,
    member_id: MemberId,
    year: i32,
) -> QueryResult<DueRow> {
    member_dues::table
        .filter(member_dues::member_id.eq(member_id))
        .filter(member_dues::year.eq(year))
        .select(DueRow::as_select())
        .for_update()
        .first(conn)
        .await
}

/// Settles a due.
pub async fn set_due(
    conn: &mut AsyncPgConnection,
    id: DueId,
    status: DueStatus,
    paid_on: Option<NaiveDate>,
) -> QueryResult<DueRow> {
    diesel::update(member_dues::table.find(id))
        .set((
            member_dues::status.eq(status),
            member_dues::paid_on.eq(paid_on),
            member_dues::version.eq(member_dues::version + 1),
        ))
        .returning(DueRow::as_returning())
        .get_result(conn)
        .await
}

/// What an issuance of dues did.
#[derive(Debug, QueryableByName)]
pub struct Issued {
    /// Dues created.
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    pub issued: i64,
    /// Active members that already had the year's due.
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    pub already: i64,
    /// The amount of the dues created.
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    pub amount: Cents,
}

/// Issues `year`'s due, at each member's category fee, to every active member that has
/// none for the year.
pub async fn issue_dues(
    conn: &mut AsyncPgConnection,
    year: i32,
    issued_on: NaiveDate,
    due_on: NaiveDate,
) -> QueryResult<Issued> {
    diesel::sql_query(
        "WITH active AS ( \
           SELECT m.id, c.annual_fee_cents FROM members m JOIN member_categories c ON c.id = m.category_id \
           WHERE m.status = 'active' AND m.archived_at IS NULL), \
         ins AS ( \
           INSERT INTO member_dues (id, member_id, year, amount_cents, issued_on, due_on) \
           SELECT gen_random_uuid(), a.id, $1, a.annual_fee_cents, $2, $3 FROM active a \
           ON CONFLICT (member_id, year) DO NOTHING RETURNING amount_cents) \
         SELECT (SELECT count(*) FROM ins) AS issued, \
                (SELECT count(*) FROM active) - (SELECT count(*) FROM ins) AS already, \
                (SELECT coalesce(sum(amount_cents), 0) FROM ins)::bigint AS amount",
    )
    .bind::<diesel::sql_types::Integer, _>(year)
    .bind::<Date, _>(issued_on)
    .bind::<Date, _>(due_on)
    .get_result(conn)
    .await
}
