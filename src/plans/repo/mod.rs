//! Queries of the strategic plan. A whole plan (tree, progress, export, diff) is read in a
//! fixed number of statements, one per table, never one per node.
//!
//! One file past 600 lines, on purpose: every query on the plan's six tables stays in one
//! place (one home per table), and the functions other modules (budgets, funding) read the
//! plan with are added at its end, under `// Read by other modules`.

use chrono::{DateTime, NaiveDate, Utc};
use diesel::{dsl::exists, prelude::*};
use diesel_async::{AsyncPgConnection, RunQueryDsl};

use super::{
    model::{
        ActionStatus, IndicatorRow, Indicators, MeasurementRow, NodeChanges, NodeKind, NodeRow,
        ParticipantRow, PlanChanges, PlanRow, PlanStatus, TargetRow,
    },
    transfer::Rows,
};
use crate::{
    domain::{IndicatorId, MemberId, NodeId, PlanId, UserId},
    schema::{
        action_participants, indicator_measurements, indicator_targets, indicators, plan_nodes,
        plans,
    },
};

mod indicator_queries;

pub use indicator_queries::*;

/// Rows per multi-row INSERT (PostgreSQL takes at most 65,535 parameters per statement).
const CHUNK: usize = 1000;

/// Inserts a plan.
pub async fn insert_plan(conn: &mut AsyncPgConnection, row: &PlanRow) -> QueryResult<PlanRow> {
    diesel::insert_into(plans::table)
        .values(row)
        .returning(PlanRow::as_returning())
        .get_result(conn)
        .await
}

/// Inserts the rows of a plan document, parents before children, in batches.
pub async fn insert_rows(conn: &mut AsyncPgConnection, rows: &Rows) -> QueryResult<()> {
    insert_plan(conn, &rows.plan).await?;
    let mut nodes: Vec<&NodeRow> = rows.nodes.iter().collect();
    nodes.sort_by_key(|n| n.kind.rank());
    for chunk in nodes.chunks(CHUNK) {
        let chunk: Vec<NodeRow> = chunk.iter().map(|n| (*n).clone()).collect();
        diesel::insert_into(plan_nodes::table)
            .values(&chunk)
            .execute(conn)
            .await?;
    }
    for chunk in rows.participants.chunks(CHUNK) {
        diesel::insert_into(action_participants::table)
            .values(chunk)
            .execute(conn)
            .await?;
    }
    for chunk in rows.indicators.chunks(CHUNK) {
        diesel::insert_into(indicators::table)
            .values(chunk)
            .execute(conn)
            .await?;
    }
    for chunk in rows.targets.chunks(CHUNK) {
        diesel::insert_into(indicator_targets::table)
            .values(chunk)
            .execute(conn)
            .await?;
    }
    for chunk in rows.measurements.chunks(CHUNK) {
        diesel::insert_into(indicator_measurements::table)
            .values(chunk)
            .execute(conn)
            .await?;
    }
    Ok(())
}

/// One plan, locked `FOR UPDATE` when `lock`.
pub async fn find_plan(
    conn: &mut AsyncPgConnection,
    id: PlanId,
    lock: bool,
) -> QueryResult<PlanRow> {
    let q = plans::table.find(id).select(PlanRow::as_select());
    if lock {
        q.for_update().first(conn).await
    } else {
        q.first(conn).await
    }
}

/// One plan, locked `FOR SHARE`: its status cannot change until the transaction ends.
pub async fn share_plan(conn: &mut AsyncPgConnection, id: PlanId) -> QueryResult<PlanRow> {
    plans::table
        .find(id)
        .select(PlanRow::as_select())
        .for_share()
        .first(conn)
        .await
}

/// How many nodes a plan has.
pub async fn count_nodes(conn: &mut AsyncPgConnection, plan_id: PlanId) -> QueryResult<i64> {
    plan_nodes::table
        .filter(plan_nodes::plan_id.eq(plan_id))
        .count()
        .get_result(conn)
        .await
}

/// Plans, newest first, after `(created_at, id)`; `public` hides drafts.
pub async fn list_plans(
    conn: &mut AsyncPgConnection,
    status: Option<PlanStatus>,
    public: bool,
    after: Option<(DateTime<Utc>, PlanId)>,
    limit: i64,
) -> QueryResult<Vec<PlanRow>> {
    let mut q = plans::table.select(PlanRow::as_select()).into_boxed();
    if let Some(s) = status {
        q = q.filter(plans::status.eq(s));
    }
    if public {
        q = q.filter(plans::status.ne(PlanStatus::Draft));
    }
    if let Some((at, id)) = after {
        q = q.filter(
            plans::created_at
                .lt(at)
                .or(plans::created_at.eq(at).and(plans::id.lt(id))),
        );
    }
    q.order((plans::created_at.desc(), plans::id.desc()))
        .limit(limit)
        .load(conn)
        .await
}

/// Applies changes to a plan and bumps its version.
pub async fn update_plan(
    conn: &mut AsyncPgConnection,
    id: PlanId,
    changes: &PlanChanges,
) -> QueryResult<PlanRow> {
    diesel::update(plans::table.find(id))
        .set((changes, plans::version.eq(plans::version + 1)))
        .returning(PlanRow::as_returning())
        .get_result(conn)
        .await
}

/// Bumps a plan's version: its content changed (a node or an indicator).
pub async fn touch_plan(conn: &mut AsyncPgConnection, id: PlanId) -> QueryResult<()> {
    diesel::update(plans::table.find(id))
        .set(plans::version.eq(plans::version + 1))
        .execute(conn)
        .await
        .map(drop)
}

/// Records an approval.
pub async fn approve_plan(
    conn: &mut AsyncPgConnection,
    id: PlanId,
    on: NaiveDate,
    reference: &str,
    by: Option<UserId>,
) -> QueryResult<PlanRow> {
    diesel::update(plans::table.find(id))
        .set((
            plans::status.eq(PlanStatus::Approved),
            plans::approved_on.eq(on),
            plans::approval_reference.eq(reference),
            plans::approved_by.eq(by),
            plans::version.eq(plans::version + 1),
        ))
        .returning(PlanRow::as_returning())
        .get_result(conn)
        .await
}

/// Sets a plan's status (superseding, closing).
pub async fn set_plan_status(
    conn: &mut AsyncPgConnection,
    id: PlanId,
    status: PlanStatus,
) -> QueryResult<PlanRow> {
    diesel::update(plans::table.find(id))
        .set((
            plans::status.eq(status),
            plans::version.eq(plans::version + 1),
        ))
        .returning(PlanRow::as_returning())
        .get_result(conn)
        .await
}

/// Deletes a draft plan with everything in it.
pub async fn delete_plan(conn: &mut AsyncPgConnection, id: PlanId) -> QueryResult<usize> {
    diesel::delete(plans::table.find(id)).execute(conn).await
}

/// Every node of a plan.
pub async fn plan_nodes(
    conn: &mut AsyncPgConnection,
    plan_id: PlanId,
) -> QueryResult<Vec<NodeRow>> {
    plan_nodes::table
        .filter(plan_nodes::plan_id.eq(plan_id))
        .select(NodeRow::as_select())
        .order((plan_nodes::position, plan_nodes::code))
        .load(conn)
        .await
}

/// Every participation in a plan's actions.
pub async fn plan_participants(
    conn: &mut AsyncPgConnection,
    plan_id: PlanId,
) -> QueryResult<Vec<ParticipantRow>> {
    action_participants::table
        .inner_join(plan_nodes::table)
        .filter(plan_nodes::plan_id.eq(plan_id))
        .select(ParticipantRow::as_select())
        .load(conn)
        .await
}

/// The indicators of a plan with every target and measurement.
#[derive(Debug, Default)]
pub struct PlanIndicators {
    /// By position and name.
    pub indicators: Vec<IndicatorRow>,
    /// By indicator and year.
    pub targets: Vec<TargetRow>,
    /// By date.
    pub measurements: Vec<MeasurementRow>,
}

/// Every indicator of a plan with every target, and every measurement when asked for;
/// nothing (no statement) for [`Indicators::Without`].
pub async fn plan_indicators(
    conn: &mut AsyncPgConnection,
    plan_id: PlanId,
    wanted: Indicators,
) -> QueryResult<PlanIndicators> {
    if wanted == Indicators::Without {
        return Ok(PlanIndicators::default());
    }
    let inds = indicators::table
        .filter(indicators::plan_id.eq(plan_id))
        .select(IndicatorRow::as_select())
        .order((indicators::position, indicators::name))
        .load(conn)
        .await?;
    let ids: Vec<IndicatorId> = inds.iter().map(|i| i.id).collect();
    let targets = targets_of(conn, &ids).await?;
    let measurements = if wanted == Indicators::WithMeasurements {
        indicator_measurements::table
            .filter(indicator_measurements::indicator_id.eq_any(&ids))
            .select(MeasurementRow::as_select())
            .order(indicator_measurements::measured_on)
            .load(conn)
            .await?
    } else {
        Vec::new()
    };
    Ok(PlanIndicators {
        indicators: inds,
        targets,
        measurements,
    })
}

/// Whether a plan has at least one action.
pub async fn has_actions(conn: &mut AsyncPgConnection, plan_id: PlanId) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(
        plan_nodes::table
            .filter(plan_nodes::plan_id.eq(plan_id))
            .filter(plan_nodes::kind.eq(NodeKind::Action)),
    ))
    .get_result(conn)
    .await
}

/// The years the indicators of a plan have targets for.
pub async fn target_years(conn: &mut AsyncPgConnection, plan_id: PlanId) -> QueryResult<Vec<i32>> {
    indicator_targets::table
        .inner_join(indicators::table)
        .filter(indicators::plan_id.eq(plan_id))
        .select(indicator_targets::year)
        .distinct()
        .load(conn)
        .await
}

/// One node, locked `FOR UPDATE` when `lock`.
pub async fn find_node(
    conn: &mut AsyncPgConnection,
    id: NodeId,
    lock: bool,
) -> QueryResult<NodeRow> {
    let q = plan_nodes::table.find(id).select(NodeRow::as_select());
    if lock {
        q.for_update().first(conn).await
    } else {
        q.first(conn).await
    }
}

/// The children of a node (or the axes of a plan, with `parent` `None`), by position and
/// code, after `(position, code)`.
pub async fn children(
    conn: &mut AsyncPgConnection,
    plan_id: PlanId,
    parent: Option<NodeId>,
    after: Option<(i32, String)>,
    limit: i64,
) -> QueryResult<Vec<NodeRow>> {
    let mut q = plan_nodes::table
        .filter(plan_nodes::plan_id.eq(plan_id))
        .select(NodeRow::as_select())
        .into_boxed();
    q = match parent {
        Some(p) => q.filter(plan_nodes::parent_id.eq(p)),
        None => q.filter(plan_nodes::parent_id.is_null()),
    };
    if let Some((pos, code)) = after {
        q = q.filter(
            plan_nodes::position
                .gt(pos)
                .or(plan_nodes::position.eq(pos).and(plan_nodes::code.gt(code))),
        );
    }
    q.order((plan_nodes::position, plan_nodes::code))
        .limit(limit)
        .load(conn)
        .await
}

/// The next free position among a parent's children.
pub async fn next_position(
    conn: &mut AsyncPgConnection,
    plan_id: PlanId,
    parent: Option<NodeId>,
) -> QueryResult<i32> {
    let mut q = plan_nodes::table
        .filter(plan_nodes::plan_id.eq(plan_id))
        .select(diesel::dsl::max(plan_nodes::position))
        .into_boxed();
    q = match parent {
        Some(p) => q.filter(plan_nodes::parent_id.eq(p)),
        None => q.filter(plan_nodes::parent_id.is_null()),
    };
    let max: Option<i32> = q.first(conn).await?;
    Ok(max.map_or(0, |m| m.saturating_add(10)))
}

/// Inserts one node.
pub async fn insert_node(conn: &mut AsyncPgConnection, row: &NodeRow) -> QueryResult<NodeRow> {
    diesel::insert_into(plan_nodes::table)
        .values(row)
        .returning(NodeRow::as_returning())
        .get_result(conn)
        .await
}

/// Applies changes to a node and bumps its version.
pub async fn update_node(
    conn: &mut AsyncPgConnection,
    id: NodeId,
    changes: &NodeChanges,
) -> QueryResult<NodeRow> {
    diesel::update(plan_nodes::table.find(id))
        .set((changes, plan_nodes::version.eq(plan_nodes::version + 1)))
        .returning(NodeRow::as_returning())
        .get_result(conn)
        .await
}

/// Whether a node has children.
pub async fn has_children(conn: &mut AsyncPgConnection, id: NodeId) -> QueryResult<bool> {
    diesel::select(exists(
        plan_nodes::table.filter(plan_nodes::parent_id.eq(id)),
    ))
    .get_result(conn)
    .await
}

/// Deletes a node (its indicators and participations go with it).
pub async fn delete_node(conn: &mut AsyncPgConnection, id: NodeId) -> QueryResult<usize> {
    diesel::delete(plan_nodes::table.find(id))
        .execute(conn)
        .await
}

/// The participants of some actions.
pub async fn participants_of(
    conn: &mut AsyncPgConnection,
    action_ids: &[NodeId],
) -> QueryResult<Vec<ParticipantRow>> {
    action_participants::table
        .filter(action_participants::action_id.eq_any(action_ids))
        .select(ParticipantRow::as_select())
        .order((
            action_participants::action_id,
            action_participants::member_id,
        ))
        .load(conn)
        .await
}

/// Replaces the participants of an action.
pub async fn set_participants(
    conn: &mut AsyncPgConnection,
    action_id: NodeId,
    member_ids: &[MemberId],
) -> QueryResult<()> {
    diesel::delete(action_participants::table.filter(action_participants::action_id.eq(action_id)))
        .execute(conn)
        .await?;
    let rows: Vec<ParticipantRow> = member_ids
        .iter()
        .map(|m| ParticipantRow {
            action_id,
            member_id: *m,
        })
        .collect();
    diesel::insert_into(action_participants::table)
        .values(&rows)
        .execute(conn)
        .await
        .map(drop)
}

/// Filters of the action list (already narrowed to what the caller may see).
#[derive(Debug, Default, Clone)]
pub struct ActionFilter {
    /// Plan.
    pub plan_id: Option<PlanId>,
    /// Axis.
    pub axis_id: Option<NodeId>,
    /// Status.
    pub status: Option<ActionStatus>,
    /// Responsible user.
    pub responsible_id: Option<UserId>,
    /// Participating member.
    pub member_id: Option<MemberId>,
    /// Overdue (open, past its end) or not, as of `today`.
    pub overdue: Option<bool>,
    /// Today.
    pub today: Option<NaiveDate>,
    /// Leave out the actions of draft plans.
    pub public: bool,
}

/// Actions by code, after `(code, id)`.
pub async fn list_actions(
    conn: &mut AsyncPgConnection,
    f: &ActionFilter,
    after: Option<(String, NodeId)>,
    limit: i64,
) -> QueryResult<Vec<NodeRow>> {
    let mut q = plan_nodes::table
        .filter(plan_nodes::kind.eq(NodeKind::Action))
        .select(NodeRow::as_select())
        .into_boxed();
    if let Some(p) = f.plan_id {
        q = q.filter(plan_nodes::plan_id.eq(p));
    }
    if let Some(a) = f.axis_id {
        q = q.filter(plan_nodes::axis_id.eq(a));
    }
    if let Some(s) = f.status {
        q = q.filter(plan_nodes::action_status.eq(s));
    }
    if let Some(r) = f.responsible_id {
        q = q.filter(plan_nodes::responsible_id.eq(r));
    }
    if let Some(m) = f.member_id {
        q = q.filter(
            plan_nodes::id.eq_any(
                action_participants::table
                    .filter(action_participants::member_id.eq(m))
                    .select(action_participants::action_id),
            ),
        );
    }
    if let (Some(overdue), Some(today)) = (f.overdue, f.today) {
        let open = plan_nodes::action_status
            .ne_all([ActionStatus::Completed, ActionStatus::Cancelled])
            .and(plan_nodes::end_date.lt(today));
        if overdue {
            q = q.filter(open.assume_not_null());
        } else {
            q = q.filter(
                plan_nodes::action_status
                    .eq_any([ActionStatus::Completed, ActionStatus::Cancelled])
                    .or(plan_nodes::end_date.is_null())
                    .or(plan_nodes::end_date.ge(today))
                    .assume_not_null(),
            );
        }
    }
    if f.public {
        q = q.filter(
            plan_nodes::plan_id.eq_any(
                plans::table
                    .filter(plans::status.ne(PlanStatus::Draft))
                    .select(plans::id),
            ),
        );
    }
    if let Some((code, id)) = after {
        q = q.filter(
            plan_nodes::code
                .gt(code.clone())
                .or(plan_nodes::code.eq(code).and(plan_nodes::id.gt(id))),
        );
    }
    q.order((plan_nodes::code, plan_nodes::id))
        .limit(limit)
        .load(conn)
        .await
}

/// The nodes among `ids` (any plan, any kind), for modules that name them: budget lines'
/// shares, subsidy applications' actions, reports.
pub async fn nodes_by_ids(
    conn: &mut AsyncPgConnection,
    ids: &[NodeId],
) -> QueryResult<Vec<NodeRow>> {
    plan_nodes::table
        .filter(plan_nodes::id.eq_any(ids))
        .select(NodeRow::as_select())
        .load(conn)
        .await
}

/// The actions among `ids`, each with the status of its plan (what a subsidy application
/// may serve: actions of an approved plan, with a planned budget).
pub async fn action_costs(
    conn: &mut AsyncPgConnection,
    ids: &[NodeId],
) -> QueryResult<Vec<(NodeRow, PlanStatus)>> {
    plan_nodes::table
        .inner_join(plans::table)
        .filter(plan_nodes::id.eq_any(ids))
        .filter(plan_nodes::kind.eq(NodeKind::Action))
        .select((NodeRow::as_select(), plans::status))
        .load(conn)
        .await
}

/// Locks the nodes `ids` (`FOR NO KEY UPDATE`, in id order, so that concurrent lockers
/// never deadlock): what funding holds while it counts the grants on actions.
pub async fn lock_nodes(conn: &mut AsyncPgConnection, ids: &[NodeId]) -> QueryResult<()> {
    let mut ids = ids.to_vec();
    ids.sort();
    plan_nodes::table
        .filter(plan_nodes::id.eq_any(&ids))
        .select(plan_nodes::id)
        .order(plan_nodes::id)
        .for_no_key_update()
        .load::<NodeId>(conn)
        .await
        .map(drop)
}

#[derive(QueryableByName)]
struct Twin {
    #[diesel(sql_type = diesel::sql_types::Uuid)]
    id: NodeId,
    #[diesel(sql_type = diesel::sql_types::Text)]
    code: String,
}

/// The same actions (by code) in every version of `plan_id`'s lineage (the plan, the
/// versions it revises and the revisions of those): a revision copies nodes with new ids,
/// so double funding is counted per lineage and code, not per node id. Returns
/// `(node id, code)`, the given plan's own nodes included.
pub async fn action_twins(
    conn: &mut AsyncPgConnection,
    plan_id: PlanId,
    codes: &[String],
) -> QueryResult<Vec<(NodeId, String)>> {
    let rows: Vec<Twin> = diesel::sql_query(
        "WITH RECURSIVE up (id, revises_id) AS ( \
             SELECT id, revises_id FROM plans WHERE id = $1 \
             UNION SELECT p.id, p.revises_id FROM plans p JOIN up ON p.id = up.revises_id), \
         down (id) AS ( \
             SELECT id FROM up WHERE revises_id IS NULL \
             UNION SELECT p.id FROM plans p JOIN down ON p.revises_id = down.id) \
         SELECT n.id, n.code FROM plan_nodes n \
         WHERE n.plan_id IN (SELECT id FROM down) AND n.kind = 'action' AND n.code = ANY($2) \
         ORDER BY n.id",
    )
    .bind::<diesel::sql_types::Uuid, _>(plan_id)
    .bind::<diesel::sql_types::Array<diesel::sql_types::Text>, _>(codes)
    .load(conn)
    .await?;
    Ok(rows.into_iter().map(|t| (t.id, t.code)).collect())
}

/// Records the General Assembly resolution that approved a plan version (written once, in
/// the resolution's transaction, right after the approval; a trigger refuses rewriting it).
pub async fn set_approving_resolution(
    conn: &mut AsyncPgConnection,
    id: PlanId,
    resolution: crate::domain::ResolutionId,
) -> QueryResult<PlanRow> {
    diesel::update(plans::table.find(id))
        .set(plans::approved_by_resolution_id.eq(resolution))
        .returning(PlanRow::as_returning())
        .get_result(conn)
        .await
}
