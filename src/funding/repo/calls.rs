//! Calls.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};

use super::super::model::{CallChanges, CallRow, CallStatus};
use crate::{
    domain::{BudgetCategoryId, CallId, FunderId},
    schema::{call_cost_categories, calls},
};

/// Inserts a call.
pub async fn insert_call(conn: &mut AsyncPgConnection, row: &CallRow) -> QueryResult<CallRow> {
    diesel::insert_into(calls::table)
        .values(row)
        .returning(CallRow::as_returning())
        .get_result(conn)
        .await
}

/// One call (`lock`: `FOR UPDATE`).
pub async fn find_call(
    conn: &mut AsyncPgConnection,
    id: CallId,
    lock: bool,
) -> QueryResult<CallRow> {
    let q = calls::table.find(id).select(CallRow::as_select());
    if lock {
        q.for_update().first(conn).await
    } else {
        q.first(conn).await
    }
}

/// The call with a BDNS code (`lock`: `FOR UPDATE`).
pub async fn find_call_by_bdns_code(
    conn: &mut AsyncPgConnection,
    code: &str,
    lock: bool,
) -> QueryResult<CallRow> {
    let q = calls::table
        .filter(calls::bdns_code.eq(code))
        .select(CallRow::as_select());
    if lock {
        q.for_update().first(conn).await
    } else {
        q.first(conn).await
    }
}

/// The calls open at `at` (for the `call.opened` scan; a handful at any time).
pub async fn open_calls(
    conn: &mut AsyncPgConnection,
    at: DateTime<Utc>,
) -> QueryResult<Vec<CallRow>> {
    calls::table
        .filter(calls::opens_at.le(at).and(calls::closes_at.gt(at)))
        .select(CallRow::as_select())
        .load(conn)
        .await
}

/// Filters of the call list.
#[derive(Debug, Clone, Copy, Default)]
pub struct CallFilter {
    /// Only this funder's calls.
    pub funder_id: Option<FunderId>,
    /// Only calls in this status at the instant given.
    pub status: Option<(CallStatus, DateTime<Utc>)>,
}

/// Calls, most recently closing first, after the key `(closes_at, id)`.
pub async fn list_calls(
    conn: &mut AsyncPgConnection,
    filter: CallFilter,
    after: Option<(DateTime<Utc>, CallId)>,
    limit: i64,
) -> QueryResult<Vec<CallRow>> {
    let mut q = calls::table.select(CallRow::as_select()).into_boxed();
    if let Some(f) = filter.funder_id {
        q = q.filter(calls::funder_id.eq(f));
    }
    match filter.status {
        Some((CallStatus::Forecast, at)) => q = q.filter(calls::opens_at.gt(at)),
        Some((CallStatus::Open, at)) => {
            q = q.filter(calls::opens_at.le(at).and(calls::closes_at.gt(at)));
        }
        Some((CallStatus::Closed, at)) => q = q.filter(calls::closes_at.le(at)),
        None => {}
    }
    if let Some((at, id)) = after {
        q = q.filter(
            calls::closes_at
                .lt(at)
                .or(calls::closes_at.eq(at).and(calls::id.lt(id))),
        );
    }
    q.order((calls::closes_at.desc(), calls::id.desc()))
        .limit(limit)
        .load(conn)
        .await
}

/// Changes a call and bumps its version.
pub async fn update_call(
    conn: &mut AsyncPgConnection,
    id: CallId,
    changes: &CallChanges,
) -> QueryResult<CallRow> {
    diesel::update(calls::table.find(id))
        .set((changes, calls::version.eq(calls::version + 1)))
        .returning(CallRow::as_returning())
        .get_result(conn)
        .await
}

/// The eligible cost categories of calls, as `(call, category)`.
pub async fn call_categories(
    conn: &mut AsyncPgConnection,
    call_ids: &[CallId],
) -> QueryResult<Vec<(CallId, BudgetCategoryId)>> {
    call_cost_categories::table
        .filter(call_cost_categories::call_id.eq_any(call_ids))
        .select((
            call_cost_categories::call_id,
            call_cost_categories::category_id,
        ))
        .order((
            call_cost_categories::call_id,
            call_cost_categories::category_id,
        ))
        .load(conn)
        .await
}

/// Replaces a call's eligible cost categories (expense categories; the foreign key checks
/// the kind).
pub async fn set_call_categories(
    conn: &mut AsyncPgConnection,
    call_id: CallId,
    categories: &[BudgetCategoryId],
) -> QueryResult<()> {
    diesel::delete(call_cost_categories::table.filter(call_cost_categories::call_id.eq(call_id)))
        .execute(conn)
        .await?;
    let rows: Vec<_> = categories
        .iter()
        .map(|c| {
            (
                call_cost_categories::call_id.eq(call_id),
                call_cost_categories::category_id.eq(*c),
            )
        })
        .collect();
    diesel::insert_into(call_cost_categories::table)
        .values(&rows)
        .execute(conn)
        .await?;
    Ok(())
}
