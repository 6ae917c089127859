//! The queries on execution: entries (append-only, but for the payment date) and the
//! per-line totals their trigger keeps.

use chrono::NaiveDate;
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

use crate::{
    budgets::model::{EntryKind, EntryRow, TotalsRow},
    domain::{BudgetId, EntryId},
    schema::{budget_entries, budget_line_totals, budget_lines},
};

/// The execution totals of a fiscal year's line lineages.
pub async fn totals(
    conn: &mut AsyncPgConnection,
    year: i32,
    keys: &[Uuid],
) -> QueryResult<Vec<TotalsRow>> {
    budget_line_totals::table
        .filter(budget_line_totals::fiscal_year.eq(year))
        .filter(budget_line_totals::line_key.eq_any(keys))
        .select(TotalsRow::as_select())
        .load(conn)
        .await
}

/// The execution totals of every line of a budget (one join, whatever the number of lines).
pub async fn budget_totals(
    conn: &mut AsyncPgConnection,
    budget_id: BudgetId,
    year: i32,
) -> QueryResult<Vec<TotalsRow>> {
    budget_line_totals::table
        .inner_join(
            budget_lines::table.on(budget_lines::line_key
                .eq(budget_line_totals::line_key)
                .and(budget_lines::budget_id.eq(budget_id))),
        )
        .filter(budget_line_totals::fiscal_year.eq(year))
        .select(TotalsRow::as_select())
        .load(conn)
        .await
}

/// The line lineages of a fiscal year that have entries.
pub async fn keys_with_entries(conn: &mut AsyncPgConnection, year: i32) -> QueryResult<Vec<Uuid>> {
    budget_line_totals::table
        .filter(budget_line_totals::fiscal_year.eq(year))
        .filter(budget_line_totals::entries.gt(0))
        .select(budget_line_totals::line_key)
        .load(conn)
        .await
}

/// Inserts an entry (the totals follow, by trigger, in the same transaction).
pub async fn insert_entry(conn: &mut AsyncPgConnection, row: &EntryRow) -> QueryResult<EntryRow> {
    diesel::insert_into(budget_entries::table)
        .values(row)
        .returning(EntryRow::as_returning())
        .get_result(conn)
        .await
}

/// One entry.
pub async fn find_entry(conn: &mut AsyncPgConnection, id: EntryId) -> QueryResult<EntryRow> {
    budget_entries::table
        .find(id)
        .select(EntryRow::as_select())
        .first(conn)
        .await
}

/// One entry, locked for its payment date.
pub async fn lock_entry(conn: &mut AsyncPgConnection, id: EntryId) -> QueryResult<EntryRow> {
    budget_entries::table
        .find(id)
        .select(EntryRow::as_select())
        .for_update()
        .first(conn)
        .await
}

/// Records when an entry was paid (the one change the table's trigger allows, once).
pub async fn set_paid_on(
    conn: &mut AsyncPgConnection,
    id: EntryId,
    paid_on: NaiveDate,
) -> QueryResult<EntryRow> {
    diesel::update(budget_entries::table.find(id))
        .set(budget_entries::paid_on.eq(paid_on))
        .returning(EntryRow::as_returning())
        .get_result(conn)
        .await
}

/// The actual (not committed) entries of the line lineages `keys`, in any fiscal year, by
/// date: what a grant's justification account lists.
pub async fn actual_entries_of(
    conn: &mut AsyncPgConnection,
    keys: &[Uuid],
) -> QueryResult<Vec<EntryRow>> {
    budget_entries::table
        .filter(budget_entries::line_key.eq_any(keys))
        .filter(budget_entries::kind.eq(EntryKind::Actual))
        .select(EntryRow::as_select())
        .order((budget_entries::entry_date, budget_entries::id))
        .load(conn)
        .await
}

/// The entries of a line lineage in a fiscal year, by date, after `(entry_date, id)`.
pub async fn entries(
    conn: &mut AsyncPgConnection,
    year: i32,
    line_key: Uuid,
    after: Option<(NaiveDate, EntryId)>,
    limit: i64,
) -> QueryResult<Vec<EntryRow>> {
    let mut q = budget_entries::table
        .filter(budget_entries::fiscal_year.eq(year))
        .filter(budget_entries::line_key.eq(line_key))
        .select(EntryRow::as_select())
        .into_boxed();
    if let Some((d, id)) = after {
        q = q.filter(
            budget_entries::entry_date
                .gt(d)
                .or(budget_entries::entry_date
                    .eq(d)
                    .and(budget_entries::id.gt(id))),
        );
    }
    q.order((budget_entries::entry_date, budget_entries::id))
        .limit(limit)
        .load(conn)
        .await
}
