//! Queries of budgets. A report reads one row per line (with its lineage's totals), never
//! the entries themselves.

use chrono::{DateTime, NaiveDate, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

use super::model::{
    BudgetChanges, BudgetRow, BudgetStatus, CategoryChanges, CategoryRow, LineChanges, LineKind,
    LineLineage, LineRow, ShareRow,
};
use crate::{
    domain::{BudgetCategoryId, BudgetId, BudgetLineId, UserId},
    schema::{budget_categories, budget_line_actions, budget_lines, budgets},
};

mod execution;

pub use execution::*;

/// Inserts a budget.
pub async fn insert_budget(
    conn: &mut AsyncPgConnection,
    row: &BudgetRow,
) -> QueryResult<BudgetRow> {
    diesel::insert_into(budgets::table)
        .values(row)
        .returning(BudgetRow::as_returning())
        .get_result(conn)
        .await
}

/// One budget, locked `FOR UPDATE` when `lock`.
pub async fn find_budget(
    conn: &mut AsyncPgConnection,
    id: BudgetId,
    lock: bool,
) -> QueryResult<BudgetRow> {
    let q = budgets::table.find(id).select(BudgetRow::as_select());
    if lock {
        q.for_update().first(conn).await
    } else {
        q.first(conn).await
    }
}

/// One budget, locked `FOR SHARE`: its status cannot change (approval, supersession) until
/// the transaction ends, while other shares go on.
pub async fn share_budget(conn: &mut AsyncPgConnection, id: BudgetId) -> QueryResult<BudgetRow> {
    budgets::table
        .find(id)
        .select(BudgetRow::as_select())
        .for_share()
        .first(conn)
        .await
}

/// The approved budget of a fiscal year, if any.
pub async fn approved_of_year(
    conn: &mut AsyncPgConnection,
    year: i32,
) -> QueryResult<Option<BudgetRow>> {
    budgets::table
        .filter(budgets::fiscal_year.eq(year))
        .filter(budgets::status.eq(BudgetStatus::Approved))
        .select(BudgetRow::as_select())
        .first(conn)
        .await
        .optional()
}

/// The adopted version of a year that still stands: approved, or closed once the year is.
pub async fn adopted_of_year(
    conn: &mut AsyncPgConnection,
    year: i32,
) -> QueryResult<Option<BudgetRow>> {
    budgets::table
        .filter(budgets::fiscal_year.eq(year))
        .filter(budgets::status.eq_any([BudgetStatus::Approved, BudgetStatus::Closed]))
        .select(BudgetRow::as_select())
        .order(budgets::version_number.desc())
        .first(conn)
        .await
        .optional()
}

/// Budgets, newest year first, after `(fiscal_year, created_at, id)`; `public` shows only
/// approved, superseded and closed versions.
pub async fn list_budgets(
    conn: &mut AsyncPgConnection,
    year: Option<i32>,
    status: Option<BudgetStatus>,
    public: bool,
    after: Option<(i32, DateTime<Utc>, BudgetId)>,
    limit: i64,
) -> QueryResult<Vec<BudgetRow>> {
    let mut q = budgets::table.select(BudgetRow::as_select()).into_boxed();
    if let Some(y) = year {
        q = q.filter(budgets::fiscal_year.eq(y));
    }
    if let Some(s) = status {
        q = q.filter(budgets::status.eq(s));
    }
    if public {
        q = q.filter(budgets::status.eq_any([
            BudgetStatus::Approved,
            BudgetStatus::Superseded,
            BudgetStatus::Closed,
        ]));
    }
    if let Some((y, at, id)) = after {
        q = q.filter(
            budgets::fiscal_year
                .lt(y)
                .or(budgets::fiscal_year.eq(y).and(
                    budgets::created_at
                        .lt(at)
                        .or(budgets::created_at.eq(at).and(budgets::id.lt(id))),
                )),
        );
    }
    q.order((
        budgets::fiscal_year.desc(),
        budgets::created_at.desc(),
        budgets::id.desc(),
    ))
    .limit(limit)
    .load(conn)
    .await
}

/// Applies changes to a budget and bumps its version.
pub async fn update_budget(
    conn: &mut AsyncPgConnection,
    id: BudgetId,
    changes: &BudgetChanges,
) -> QueryResult<BudgetRow> {
    diesel::update(budgets::table.find(id))
        .set((changes, budgets::version.eq(budgets::version + 1)))
        .returning(BudgetRow::as_returning())
        .get_result(conn)
        .await
}

/// Bumps a budget's version: its lines changed.
pub async fn touch_budget(conn: &mut AsyncPgConnection, id: BudgetId) -> QueryResult<()> {
    diesel::update(budgets::table.find(id))
        .set(budgets::version.eq(budgets::version + 1))
        .execute(conn)
        .await
        .map(drop)
}

/// Records an approval.
pub async fn approve_budget(
    conn: &mut AsyncPgConnection,
    id: BudgetId,
    on: NaiveDate,
    reference: &str,
    by: Option<UserId>,
) -> QueryResult<BudgetRow> {
    diesel::update(budgets::table.find(id))
        .set((
            budgets::status.eq(BudgetStatus::Approved),
            budgets::approved_on.eq(on),
            budgets::approval_reference.eq(reference),
            budgets::approved_by.eq(by),
            budgets::version.eq(budgets::version + 1),
        ))
        .returning(BudgetRow::as_returning())
        .get_result(conn)
        .await
}

/// Sets a budget's status.
pub async fn set_status(
    conn: &mut AsyncPgConnection,
    id: BudgetId,
    status: BudgetStatus,
) -> QueryResult<BudgetRow> {
    diesel::update(budgets::table.find(id))
        .set((
            budgets::status.eq(status),
            budgets::version.eq(budgets::version + 1),
        ))
        .returning(BudgetRow::as_returning())
        .get_result(conn)
        .await
}

/// Deletes a draft budget with its lines.
pub async fn delete_budget(conn: &mut AsyncPgConnection, id: BudgetId) -> QueryResult<usize> {
    diesel::delete(budgets::table.find(id)).execute(conn).await
}

/// Every budget category, by kind and position.
pub async fn categories(
    conn: &mut AsyncPgConnection,
    after: Option<(i32, String)>,
    limit: i64,
) -> QueryResult<Vec<CategoryRow>> {
    let mut q = budget_categories::table
        .select(CategoryRow::as_select())
        .into_boxed();
    if let Some((pos, code)) = after {
        q = q.filter(
            budget_categories::position
                .gt(pos)
                .or(budget_categories::position
                    .eq(pos)
                    .and(budget_categories::code.gt(code))),
        );
    }
    q.order((budget_categories::position, budget_categories::code))
        .limit(limit)
        .load(conn)
        .await
}

/// One category, locked when `lock`.
pub async fn find_category(
    conn: &mut AsyncPgConnection,
    id: BudgetCategoryId,
    lock: bool,
) -> QueryResult<CategoryRow> {
    let q = budget_categories::table
        .find(id)
        .select(CategoryRow::as_select());
    if lock {
        q.for_update().first(conn).await
    } else {
        q.first(conn).await
    }
}

/// Inserts a category.
pub async fn insert_category(
    conn: &mut AsyncPgConnection,
    row: &CategoryRow,
) -> QueryResult<CategoryRow> {
    diesel::insert_into(budget_categories::table)
        .values(row)
        .returning(CategoryRow::as_returning())
        .get_result(conn)
        .await
}

/// Applies changes to a category.
pub async fn update_category(
    conn: &mut AsyncPgConnection,
    id: BudgetCategoryId,
    changes: &CategoryChanges,
) -> QueryResult<CategoryRow> {
    diesel::update(budget_categories::table.find(id))
        .set((
            changes,
            budget_categories::version.eq(budget_categories::version + 1),
        ))
        .returning(CategoryRow::as_returning())
        .get_result(conn)
        .await
}

/// Inserts lines and their shares.
pub async fn insert_lines(
    conn: &mut AsyncPgConnection,
    lines: &[LineRow],
    shares: &[ShareRow],
) -> QueryResult<()> {
    for chunk in lines.chunks(1000) {
        diesel::insert_into(budget_lines::table)
            .values(chunk)
            .execute(conn)
            .await?;
    }
    for chunk in shares.chunks(5000) {
        diesel::insert_into(budget_line_actions::table)
            .values(chunk)
            .execute(conn)
            .await?;
    }
    Ok(())
}

/// One line, locked when `lock`.
pub async fn find_line(
    conn: &mut AsyncPgConnection,
    id: BudgetLineId,
    lock: bool,
) -> QueryResult<LineRow> {
    let q = budget_lines::table.find(id).select(LineRow::as_select());
    if lock {
        q.for_update().first(conn).await
    } else {
        q.first(conn).await
    }
}

/// The lines of a budget by position and code, after `(position, code)`.
pub async fn lines(
    conn: &mut AsyncPgConnection,
    budget_id: BudgetId,
    only_keys: Option<&[Uuid]>,
    after: Option<(i32, String)>,
    limit: i64,
) -> QueryResult<Vec<LineRow>> {
    let mut q = budget_lines::table
        .filter(budget_lines::budget_id.eq(budget_id))
        .select(LineRow::as_select())
        .into_boxed();
    if let Some(keys) = only_keys {
        q = q.filter(budget_lines::line_key.eq_any(keys.to_vec()));
    }
    if let Some((pos, code)) = after {
        q = q.filter(
            budget_lines::position.gt(pos).or(budget_lines::position
                .eq(pos)
                .and(budget_lines::code.gt(code))),
        );
    }
    q.order((budget_lines::position, budget_lines::code))
        .limit(limit)
        .load(conn)
        .await
}

/// Every line of a budget.
pub async fn all_lines(
    conn: &mut AsyncPgConnection,
    budget_id: BudgetId,
) -> QueryResult<Vec<LineRow>> {
    // Not the boxed keyset query: this one is prepared once per connection.
    budget_lines::table
        .filter(budget_lines::budget_id.eq(budget_id))
        .select(LineRow::as_select())
        .order((budget_lines::position, budget_lines::code))
        .load(conn)
        .await
}

/// The next free position among a budget's lines.
pub async fn next_position(conn: &mut AsyncPgConnection, budget_id: BudgetId) -> QueryResult<i32> {
    let max: Option<i32> = budget_lines::table
        .filter(budget_lines::budget_id.eq(budget_id))
        .select(diesel::dsl::max(budget_lines::position))
        .first(conn)
        .await?;
    Ok(max.map_or(0, |m| m.saturating_add(10)))
}

/// Inserts a line.
pub async fn insert_line(conn: &mut AsyncPgConnection, row: &LineRow) -> QueryResult<LineRow> {
    diesel::insert_into(budget_lines::table)
        .values(row)
        .returning(LineRow::as_returning())
        .get_result(conn)
        .await
}

/// Applies changes to a line and bumps its version.
pub async fn update_line(
    conn: &mut AsyncPgConnection,
    id: BudgetLineId,
    changes: &LineChanges,
) -> QueryResult<LineRow> {
    diesel::update(budget_lines::table.find(id))
        .set((changes, budget_lines::version.eq(budget_lines::version + 1)))
        .returning(LineRow::as_returning())
        .get_result(conn)
        .await
}

/// Deletes a line.
pub async fn delete_line(conn: &mut AsyncPgConnection, id: BudgetLineId) -> QueryResult<usize> {
    diesel::delete(budget_lines::table.find(id))
        .execute(conn)
        .await
}

/// The shares of some lines.
pub async fn shares_of(
    conn: &mut AsyncPgConnection,
    line_ids: &[BudgetLineId],
) -> QueryResult<Vec<ShareRow>> {
    budget_line_actions::table
        .filter(budget_line_actions::line_id.eq_any(line_ids))
        .select(ShareRow::as_select())
        .order((budget_line_actions::line_id, budget_line_actions::action_id))
        .load(conn)
        .await
}

/// The shares of every line of a budget.
pub async fn budget_shares(
    conn: &mut AsyncPgConnection,
    budget_id: BudgetId,
) -> QueryResult<Vec<ShareRow>> {
    budget_line_actions::table
        .inner_join(budget_lines::table)
        .filter(budget_lines::budget_id.eq(budget_id))
        .select(ShareRow::as_select())
        .order((budget_line_actions::line_id, budget_line_actions::action_id))
        .load(conn)
        .await
}

/// Replaces the shares of a line.
pub async fn set_shares(
    conn: &mut AsyncPgConnection,
    line_id: BudgetLineId,
    rows: &[ShareRow],
) -> QueryResult<()> {
    diesel::delete(budget_line_actions::table.filter(budget_line_actions::line_id.eq(line_id)))
        .execute(conn)
        .await?;
    diesel::insert_into(budget_line_actions::table)
        .values(rows)
        .execute(conn)
        .await
        .map(drop)
}

/// The category of this kind with this code.
pub async fn category_by_code(
    conn: &mut AsyncPgConnection,
    kind: LineKind,
    code: &str,
) -> QueryResult<Option<CategoryRow>> {
    budget_categories::table
        .filter(budget_categories::kind.eq(kind))
        .filter(budget_categories::code.eq(code))
        .select(CategoryRow::as_select())
        .first(conn)
        .await
        .optional()
}

/// The line of a budget with this lineage key.
pub async fn line_by_key(
    conn: &mut AsyncPgConnection,
    budget_id: BudgetId,
    key: Uuid,
) -> QueryResult<Option<LineRow>> {
    budget_lines::table
        .filter(budget_lines::budget_id.eq(budget_id))
        .filter(budget_lines::line_key.eq(key))
        .select(LineRow::as_select())
        .first(conn)
        .await
        .optional()
}

/// The newest draft budget of a fiscal year, if any.
pub async fn newest_draft_of_year(
    conn: &mut AsyncPgConnection,
    year: i32,
) -> QueryResult<Option<BudgetId>> {
    budgets::table
        .filter(budgets::fiscal_year.eq(year))
        .filter(budgets::status.eq(BudgetStatus::Draft))
        .order((budgets::created_at.desc(), budgets::id.desc()))
        .select(budgets::id)
        .first(conn)
        .await
        .optional()
}

/// How many of `ids` are budget categories of `kind`.
pub async fn count_categories(
    conn: &mut AsyncPgConnection,
    ids: &[BudgetCategoryId],
    kind: LineKind,
) -> QueryResult<i64> {
    budget_categories::table
        .filter(budget_categories::id.eq_any(ids))
        .filter(budget_categories::kind.eq(kind))
        .count()
        .get_result(conn)
        .await
}

const LINEAGE: (
    budget_lines::id,
    budget_lines::kind,
    budget_lines::line_key,
    budgets::fiscal_year,
) = (
    budget_lines::id,
    budget_lines::kind,
    budget_lines::line_key,
    budgets::fiscal_year,
);

/// The lines among `ids`, with their kind, lineage and fiscal year.
pub async fn line_lineages(
    conn: &mut AsyncPgConnection,
    ids: &[BudgetLineId],
) -> QueryResult<Vec<LineLineage>> {
    budget_lines::table
        .inner_join(budgets::table)
        .filter(budget_lines::id.eq_any(ids))
        .select(LINEAGE)
        .load(conn)
        .await
}

/// Lines by id, each with its budget's fiscal year and its category.
pub async fn lines_with_categories(
    conn: &mut AsyncPgConnection,
    ids: &[BudgetLineId],
) -> QueryResult<Vec<(LineRow, i32, CategoryRow)>> {
    budget_lines::table
        .inner_join(budgets::table)
        .inner_join(
            budget_categories::table.on(budget_categories::id.eq(budget_lines::category_id)),
        )
        .filter(budget_lines::id.eq_any(ids))
        .select((
            LineRow::as_select(),
            budgets::fiscal_year,
            CategoryRow::as_select(),
        ))
        .order((
            budgets::fiscal_year,
            budget_lines::position,
            budget_lines::code,
        ))
        .load(conn)
        .await
}

/// Every line, in any version of its budget, of the lineages `keys`.
pub async fn lines_of_lineages(
    conn: &mut AsyncPgConnection,
    keys: &[Uuid],
) -> QueryResult<Vec<LineLineage>> {
    budget_lines::table
        .inner_join(budgets::table)
        .filter(budget_lines::line_key.eq_any(keys))
        .select(LINEAGE)
        .load(conn)
        .await
}

/// Records the General Assembly resolution that approved a budget (written once, in the
/// resolution's transaction, right after the approval; a trigger refuses rewriting it).
pub async fn set_approving_resolution(
    conn: &mut AsyncPgConnection,
    id: BudgetId,
    resolution: crate::domain::ResolutionId,
) -> QueryResult<BudgetRow> {
    diesel::update(budgets::table.find(id))
        .set(budgets::approved_by_resolution_id.eq(resolution))
        .returning(BudgetRow::as_returning())
        .get_result(conn)
        .await
}
