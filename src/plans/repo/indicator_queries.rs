//! Queries of indicators, their yearly targets and their measurements.

use chrono::NaiveDate;
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

use crate::plans::model::{IndicatorChanges, IndicatorRow, MeasurementRow, PlanStatus, TargetRow};
use crate::{
    domain::{IndicatorId, NodeId, PlanId},
    schema::{indicator_measurements, indicator_targets, indicators, plans},
};

/// Inserts an indicator.
pub async fn insert_indicator(
    conn: &mut AsyncPgConnection,
    row: &IndicatorRow,
) -> QueryResult<IndicatorRow> {
    diesel::insert_into(indicators::table)
        .values(row)
        .returning(IndicatorRow::as_returning())
        .get_result(conn)
        .await
}

/// One indicator, locked `FOR UPDATE` when `lock`.
pub async fn find_indicator(
    conn: &mut AsyncPgConnection,
    id: IndicatorId,
    lock: bool,
) -> QueryResult<IndicatorRow> {
    let q = indicators::table.find(id).select(IndicatorRow::as_select());
    if lock {
        q.for_update().first(conn).await
    } else {
        q.first(conn).await
    }
}

/// Indicators by plan, node, position and name, after `(node_id, position, name)`.
pub async fn list_indicators(
    conn: &mut AsyncPgConnection,
    plan_id: Option<PlanId>,
    node_id: Option<NodeId>,
    public: bool,
    after: Option<(NodeId, i32, String)>,
    limit: i64,
) -> QueryResult<Vec<IndicatorRow>> {
    let mut q = indicators::table
        .select(IndicatorRow::as_select())
        .into_boxed();
    if let Some(p) = plan_id {
        q = q.filter(indicators::plan_id.eq(p));
    }
    if let Some(n) = node_id {
        q = q.filter(indicators::node_id.eq(n));
    }
    if public {
        q = q.filter(
            indicators::plan_id.eq_any(
                plans::table
                    .filter(plans::status.ne(PlanStatus::Draft))
                    .select(plans::id),
            ),
        );
    }
    if let Some((node, pos, name)) = after {
        q = q.filter(
            indicators::node_id
                .gt(node)
                .or(indicators::node_id.eq(node).and(
                    indicators::position
                        .gt(pos)
                        .or(indicators::position.eq(pos).and(indicators::name.gt(name))),
                )),
        );
    }
    q.order((indicators::node_id, indicators::position, indicators::name))
        .limit(limit)
        .load(conn)
        .await
}

/// Applies changes to an indicator and bumps its version.
pub async fn update_indicator(
    conn: &mut AsyncPgConnection,
    id: IndicatorId,
    changes: &IndicatorChanges,
) -> QueryResult<IndicatorRow> {
    diesel::update(indicators::table.find(id))
        .set((changes, indicators::version.eq(indicators::version + 1)))
        .returning(IndicatorRow::as_returning())
        .get_result(conn)
        .await
}

/// Deletes an indicator (its targets and measurements go with it).
pub async fn delete_indicator(conn: &mut AsyncPgConnection, id: IndicatorId) -> QueryResult<usize> {
    diesel::delete(indicators::table.find(id))
        .execute(conn)
        .await
}

/// The targets of some indicators, by year.
pub async fn targets_of(
    conn: &mut AsyncPgConnection,
    ids: &[IndicatorId],
) -> QueryResult<Vec<TargetRow>> {
    indicator_targets::table
        .filter(indicator_targets::indicator_id.eq_any(ids))
        .select(TargetRow::as_select())
        .order((indicator_targets::indicator_id, indicator_targets::year))
        .load(conn)
        .await
}

/// Replaces the targets of an indicator.
pub async fn set_targets(
    conn: &mut AsyncPgConnection,
    indicator_id: IndicatorId,
    rows: &[TargetRow],
) -> QueryResult<()> {
    diesel::delete(
        indicator_targets::table.filter(indicator_targets::indicator_id.eq(indicator_id)),
    )
    .execute(conn)
    .await?;
    diesel::insert_into(indicator_targets::table)
        .values(rows)
        .execute(conn)
        .await
        .map(drop)
}

/// Inserts a measurement.
pub async fn insert_measurement(
    conn: &mut AsyncPgConnection,
    row: &MeasurementRow,
) -> QueryResult<MeasurementRow> {
    diesel::insert_into(indicator_measurements::table)
        .values(row)
        .returning(MeasurementRow::as_returning())
        .get_result(conn)
        .await
}

/// Measurements of an indicator by date, after `(measured_on, id)`.
pub async fn list_measurements(
    conn: &mut AsyncPgConnection,
    indicator_id: IndicatorId,
    after: Option<(NaiveDate, Uuid)>,
    limit: i64,
) -> QueryResult<Vec<MeasurementRow>> {
    let mut q = indicator_measurements::table
        .filter(indicator_measurements::indicator_id.eq(indicator_id))
        .select(MeasurementRow::as_select())
        .into_boxed();
    if let Some((on, id)) = after {
        q = q.filter(
            indicator_measurements::measured_on
                .gt(on)
                .or(indicator_measurements::measured_on
                    .eq(on)
                    .and(indicator_measurements::id.gt(id))),
        );
    }
    q.order((
        indicator_measurements::measured_on,
        indicator_measurements::id,
    ))
    .limit(limit)
    .load(conn)
    .await
}

// Read by other modules
