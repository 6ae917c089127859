//! Queries of the outbox: insert, and read in commit-safe order.

use diesel::{dsl::sql, prelude::*, sql_types::BigInt};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

use super::model::{EventRow, NewEvent};
use crate::schema::events;

/// Inserts an event; `None` when its `dedupe_key` was written already.
pub async fn insert(conn: &mut AsyncPgConnection, row: &NewEvent) -> QueryResult<Option<EventRow>> {
    diesel::insert_into(events::table)
        .values(row)
        .on_conflict_do_nothing()
        .returning(EventRow::as_returning())
        .get_result(conn)
        .await
        .optional()
}

/// What a reader sees of the outbox: every event, or those for every partner and those of
/// one funder (`Some(None)`: a partner without a funder, only the public ones).
#[derive(Debug, Clone, Copy)]
pub enum Visibility {
    /// Staff, admins, auditors.
    All,
    /// A partner of this funder (if any).
    Partner(Option<Uuid>),
}

/// The events after `after` (`(txid, seq)`), oldest first, of transactions that finished
/// before every transaction still running: one still running may commit events with smaller
/// keys, which a reader that moved past them would never see.
pub async fn after(
    conn: &mut AsyncPgConnection,
    visibility: Visibility,
    after: Option<(i64, i64)>,
    limit: i64,
) -> QueryResult<Vec<EventRow>> {
    let mut q = events::table
        .filter(events::txid.lt(sql::<BigInt>(
            "pg_snapshot_xmin(pg_current_snapshot())::text::bigint",
        )))
        .into_boxed();
    if let Some((txid, seq)) = after {
        q = q.filter(
            events::txid
                .gt(txid)
                .or(events::txid.eq(txid).and(events::seq.gt(seq))),
        );
    }
    if let Visibility::Partner(funder) = visibility {
        q = match funder {
            Some(f) => q.filter(
                events::audience
                    .eq("all")
                    .or(events::audience.eq("funder").and(events::funder_id.eq(f))),
            ),
            None => q.filter(events::audience.eq("all")),
        };
    }
    q.order((events::txid.asc(), events::seq.asc()))
        .limit(limit)
        .select(EventRow::as_select())
        .load(conn)
        .await
}
