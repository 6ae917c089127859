//! Queries of the reference data.

use diesel::{
    dsl::sql,
    prelude::*,
    sql_types::{Bool, Integer, Text},
};
use diesel_async::{AsyncPgConnection, RunQueryDsl};

use super::model::{CategoryChanges, CategoryRow, SegmentChanges, SegmentRow};
use crate::{
    domain::{MemberCategoryId, SegmentId},
    schema::{member_categories, segments},
};

/// Inserts a category.
pub async fn insert_category(
    conn: &mut AsyncPgConnection,
    row: &CategoryRow,
) -> QueryResult<CategoryRow> {
    diesel::insert_into(member_categories::table)
        .values(row)
        .returning(CategoryRow::as_returning())
        .get_result(conn)
        .await
}

/// One category.
pub async fn find_category(
    conn: &mut AsyncPgConnection,
    id: MemberCategoryId,
    lock: bool,
) -> QueryResult<CategoryRow> {
    let q = member_categories::table
        .find(id)
        .select(CategoryRow::as_select());
    if lock {
        q.for_update().first(conn).await
    } else {
        q.first(conn).await
    }
}

/// Categories by name, after `after`.
pub async fn list_categories(
    conn: &mut AsyncPgConnection,
    after: Option<String>,
    limit: i64,
) -> QueryResult<Vec<CategoryRow>> {
    let mut q = member_categories::table
        .select(CategoryRow::as_select())
        .into_boxed();
    if let Some(name) = after {
        q = q.filter(member_categories::name.gt(name));
    }
    q.order(member_categories::name.asc())
        .limit(limit)
        .load(conn)
        .await
}

/// Applies changes to a category.
pub async fn update_category(
    conn: &mut AsyncPgConnection,
    id: MemberCategoryId,
    changes: &CategoryChanges,
) -> QueryResult<CategoryRow> {
    diesel::update(member_categories::table.find(id))
        .set((
            changes,
            member_categories::version.eq(member_categories::version + 1),
        ))
        .returning(CategoryRow::as_returning())
        .get_result(conn)
        .await
}

/// Deletes a category (fails with a foreign-key violation while members use it).
pub async fn delete_category(
    conn: &mut AsyncPgConnection,
    id: MemberCategoryId,
) -> QueryResult<usize> {
    diesel::delete(member_categories::table.find(id))
        .execute(conn)
        .await
}

/// Inserts a segment.
pub async fn insert_segment(
    conn: &mut AsyncPgConnection,
    row: &SegmentRow,
) -> QueryResult<SegmentRow> {
    diesel::insert_into(segments::table)
        .values(row)
        .returning(SegmentRow::as_returning())
        .get_result(conn)
        .await
}

/// One segment.
pub async fn find_segment(
    conn: &mut AsyncPgConnection,
    id: SegmentId,
    lock: bool,
) -> QueryResult<SegmentRow> {
    let q = segments::table.find(id).select(SegmentRow::as_select());
    if lock {
        q.for_update().first(conn).await
    } else {
        q.first(conn).await
    }
}

/// Segments in value-chain order (position, then code), after `after`.
pub async fn list_segments(
    conn: &mut AsyncPgConnection,
    after: Option<(i32, String)>,
    limit: i64,
) -> QueryResult<Vec<SegmentRow>> {
    let mut q = segments::table.select(SegmentRow::as_select()).into_boxed();
    if let Some((position, code)) = after {
        q = q.filter(
            sql::<Bool>("(segments.position, segments.code) > (")
                .bind::<Integer, _>(position)
                .sql(", ")
                .bind::<Text, _>(code)
                .sql(")"),
        );
    }
    q.order((segments::position.asc(), segments::code.asc()))
        .limit(limit)
        .load(conn)
        .await
}

/// Applies changes to a segment.
pub async fn update_segment(
    conn: &mut AsyncPgConnection,
    id: SegmentId,
    changes: &SegmentChanges,
) -> QueryResult<SegmentRow> {
    diesel::update(segments::table.find(id))
        .set((changes, segments::version.eq(segments::version + 1)))
        .returning(SegmentRow::as_returning())
        .get_result(conn)
        .await
}

/// Deletes a segment (fails with a foreign-key violation while members use it).
pub async fn delete_segment(conn: &mut AsyncPgConnection, id: SegmentId) -> QueryResult<usize> {
    diesel::delete(segments::table.find(id)).execute(conn).await
}

// Read by other modules

/// The names of the member categories among `ids`, as `(id, name)`: a budget's fee income
/// is reported under its category's name.
pub async fn category_names(
    conn: &mut AsyncPgConnection,
    ids: &[MemberCategoryId],
) -> QueryResult<Vec<(MemberCategoryId, String)>> {
    member_categories::table
        .filter(member_categories::id.eq_any(ids))
        .select((member_categories::id, member_categories::name))
        .load(conn)
        .await
}
