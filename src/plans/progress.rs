//! The progress report of a plan as of today: action progress rolled up the tree by weight,
//! actions by status, overdue actions, and each indicator's attainment per year. Computed
//! on every read from the plan's rows (the rules are pure functions, unit-tested here);
//! never stored.

use actix_web::{HttpRequest, HttpResponse, get, web};
use chrono::{Datelike, NaiveDate};
use diesel_async::AsyncPgConnection;
use serde::Serialize;
use utoipa::ToSchema;

use super::{
    indicators::targets_by,
    model::{ActionStatus, IndicatorRow, Indicators, MeasurementRow, NodeKind, NodeRow},
    repo::PlanIndicators,
    tree::{children_of, load_whole},
    versions::Plan,
};
use crate::{
    AppState,
    auth::{Action, Caller, Resource},
    domain::{IdMap, IndicatorId, NodeId, PlanId, calendar::today},
    error::ApiError,
    http::csv::{self, CsvRow},
};

/// Attainment of an indicator in one year of the plan.
#[derive(Debug, Clone, Serialize, ToSchema, PartialEq)]
pub struct YearAttainment {
    /// Year.
    pub year: i32,
    /// Target for the year.
    pub target: Option<f64>,
    /// The latest measurement dated in the year.
    pub value: Option<f64>,
    /// Percent of the way from the baseline to the target (100 = reached; negative =
    /// the wrong way); null without target or value.
    pub attainment_pct: Option<f64>,
}

/// An indicator with its attainment per year.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct IndicatorProgress {
    /// Id.
    pub id: IndicatorId,
    /// Name.
    pub name: String,
    /// Unit.
    pub unit: String,
    /// Direction.
    pub higher_is_better: bool,
    /// Baseline.
    pub baseline: f64,
    /// Per year of the plan.
    pub years: Vec<YearAttainment>,
}

/// Actions by status.
#[derive(Debug, Clone, Default, Serialize, ToSchema, PartialEq, Eq)]
pub struct StatusCounts {
    /// Not started.
    pub not_started: i64,
    /// In progress.
    pub in_progress: i64,
    /// Completed.
    pub completed: i64,
    /// Delayed.
    pub delayed: i64,
    /// Cancelled.
    pub cancelled: i64,
}

impl From<[i64; 5]> for StatusCounts {
    fn from(c: [i64; 5]) -> Self {
        Self {
            not_started: c[0],
            in_progress: c[1],
            completed: c[2],
            delayed: c[3],
            cancelled: c[4],
        }
    }
}

/// A node of the progress report.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ProgressNode {
    /// Id.
    pub id: NodeId,
    /// Level.
    pub kind: NodeKind,
    /// Code.
    pub code: String,
    /// Title.
    pub title: String,
    /// Weight.
    pub weight: i32,
    /// Weighted progress 0–100; null when nothing below counts.
    pub progress: Option<f64>,
    /// Actions at or below the node, by status.
    pub actions: StatusCounts,
    /// Open actions past their end date, at or below the node.
    pub overdue_actions: i64,
    /// The node's indicators with their attainment.
    pub indicators: Vec<IndicatorProgress>,
    /// Children.
    #[schema(no_recursion)]
    pub children: Vec<ProgressNode>,
}

/// The progress of a plan, rolled up from its actions by weight.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Progress {
    /// The plan.
    pub plan: Plan,
    /// As of this day (overdue actions).
    pub as_of: NaiveDate,
    /// Weighted progress of the whole plan.
    pub progress: Option<f64>,
    /// All actions by status.
    pub actions: StatusCounts,
    /// All overdue actions.
    pub overdue_actions: i64,
    /// The axes.
    pub axes: Vec<ProgressNode>,
}

/// A flat row of the progress report (CSV).
#[derive(Debug)]
struct ProgressRow {
    depth: usize,
    node: ProgressNode,
}

impl CsvRow for ProgressRow {
    fn header() -> &'static [&'static str] {
        &[
            "level",
            "kind",
            "code",
            "title",
            "weight",
            "progress",
            "not_started",
            "in_progress",
            "completed",
            "delayed",
            "cancelled",
            "overdue_actions",
        ]
    }

    fn cells(&self) -> Vec<String> {
        let n = &self.node;
        vec![
            (self.depth + 1).to_string(),
            n.kind.to_string(),
            n.code.clone(),
            n.title.clone(),
            n.weight.to_string(),
            n.progress.map(|p| p.to_string()).unwrap_or_default(),
            n.actions.not_started.to_string(),
            n.actions.in_progress.to_string(),
            n.actions.completed.to_string(),
            n.actions.delayed.to_string(),
            n.actions.cancelled.to_string(),
            n.overdue_actions.to_string(),
        ]
    }
}

fn flatten_progress(nodes: &[ProgressNode], depth: usize, out: &mut Vec<ProgressRow>) {
    for n in nodes {
        let mut copy = n.clone();
        copy.children = Vec::new();
        copy.indicators = Vec::new();
        out.push(ProgressRow { depth, node: copy });
        flatten_progress(&n.children, depth + 1, out);
    }
}

/// The plan's progress as of today: action progress rolled up the tree by weight
/// (cancelled actions left out), actions by status and overdue actions per node, and each
/// indicator's attainment per year of the plan (computed from the latest measurement of
/// the year; never stored). With `Accept: text/csv`, one row per node.
#[utoipa::path(tag = "plans", params(("id" = Uuid, Path, description = "Plan id")), responses(
    (status = 200, description = "The progress report (or CSV).",
        content((Progress = "application/json"), (String = "text/csv")))))]
#[get("/api/v1/plans/{id}/progress")]
pub async fn plan_progress(
    req: HttpRequest,
    caller: Caller,
    id: web::Path<PlanId>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let report = {
        let mut conn = state.conn().await?;
        progress(&mut conn, &caller, id.into_inner()).await?
    };
    if csv::wants_csv(&req) {
        let mut rows = Vec::new();
        flatten_progress(&report.axes, 0, &mut rows);
        return Ok(csv::attachment("plan-progress.csv", &rows));
    }
    Ok(HttpResponse::Ok().json(report))
}

/// The progress report of a plan the caller may see (404 otherwise), as of today.
pub async fn progress(
    conn: &mut AsyncPgConnection,
    caller: &Caller,
    id: PlanId,
) -> Result<Progress, ApiError> {
    caller.require(Action::read(Resource::Plans))?;
    let w = load_whole(conn, caller, id, Indicators::WithMeasurements).await?;
    let today = today();
    let Rollups { by_node, plan } = rollup(&w.nodes, today);
    let years: Vec<i32> = (w.plan.start_year..=w.plan.end_year).collect();
    let indicators = indicator_progress(&years, w.indicators);
    let children = children_of(&w.nodes);
    let parts = Parts {
        children: &children,
        rollups: &by_node,
        indicators: &indicators,
    };
    Ok(Progress {
        plan: Plan::from(w.plan),
        as_of: today,
        progress: plan.progress,
        actions: StatusCounts::from(plan.by_status),
        overdue_actions: plan.overdue,
        axes: parts.build(None),
    })
}

/// Each indicator's attainment in each of `years`, by node.
fn indicator_progress(years: &[i32], all: PlanIndicators) -> IdMap<NodeId, Vec<IndicatorProgress>> {
    let targets = targets_by(&all.targets);
    let mut measurements: IdMap<IndicatorId, Vec<MeasurementRow>> = IdMap::default();
    for m in all.measurements {
        measurements.entry(m.indicator_id).or_default().push(m);
    }
    let mut by_node: IdMap<NodeId, Vec<IndicatorProgress>> = IdMap::default();
    for i in &all.indicators {
        let t = targets.get(&i.id).cloned().unwrap_or_default();
        let ms = measurements.get(&i.id).map(Vec::as_slice).unwrap_or(&[]);
        let per_year = years
            .iter()
            .map(|&year| {
                let target = t.iter().find(|t| t.year == year).map(|t| t.value);
                let value = value_in_year(ms, year).map(|m| m.value);
                YearAttainment {
                    year,
                    target,
                    value,
                    attainment_pct: target
                        .zip(value)
                        .map(|(t, v)| attainment(i.higher_is_better, i.baseline, t, v)),
                }
            })
            .collect();
        by_node
            .entry(i.node_id)
            .or_default()
            .push(progress_of(i, per_year));
    }
    by_node
}

fn progress_of(i: &IndicatorRow, years: Vec<YearAttainment>) -> IndicatorProgress {
    IndicatorProgress {
        id: i.id,
        name: i.name.clone(),
        unit: i.unit.clone(),
        higher_is_better: i.higher_is_better,
        baseline: i.baseline,
        years,
    }
}

/// A plan's roll-ups and attainments, indexed for nesting.
struct Parts<'a> {
    children: &'a IdMap<Option<NodeId>, Vec<&'a NodeRow>>,
    rollups: &'a IdMap<NodeId, Rollup>,
    indicators: &'a IdMap<NodeId, Vec<IndicatorProgress>>,
}

impl Parts<'_> {
    /// The children of `parent` (`None`: the axes), each with everything below it.
    fn build(&self, parent: Option<NodeId>) -> Vec<ProgressNode> {
        self.children
            .get(&parent)
            .map(|list| {
                list.iter()
                    .map(|n| {
                        let r = self.rollups.get(&n.id).cloned().unwrap_or_default();
                        ProgressNode {
                            id: n.id,
                            kind: n.kind,
                            code: n.code.clone(),
                            title: n.title.clone(),
                            weight: n.weight,
                            progress: r.progress,
                            actions: StatusCounts::from(r.by_status),
                            overdue_actions: r.overdue,
                            indicators: self.indicators.get(&n.id).cloned().unwrap_or_default(),
                            children: self.build(Some(n.id)),
                        }
                    })
                    .collect()
            })
            .unwrap_or_default()
    }
}

// ---------------------------------------------------------------------------------------
// The rules

/// Progress, action counts and overdue actions of one node, rolled up from its actions.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Rollup {
    /// Weighted progress 0–100 (two decimals); `None` when nothing counts below the node.
    pub progress: Option<f64>,
    /// Actions below the node by status, in [`ActionStatus::ALL`] order.
    pub by_status: [i64; 5],
    /// Open actions whose end date has passed.
    pub overdue: i64,
}

/// The roll-up of every node, and of the whole plan.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Rollups {
    /// By node.
    pub by_node: IdMap<NodeId, Rollup>,
    /// The whole plan: the weighted mean of its axes.
    pub plan: Rollup,
}

fn round2(v: f64) -> f64 {
    (v * 100.0).round() / 100.0
}

/// Rolls action progress up the tree: an action counts with its own progress (a cancelled
/// one not at all); every other node is the weighted mean of its children that count,
/// by their weights (weight 0 leaves a child out). Returns the roll-up of every node and
/// of the whole plan (the weighted mean of its axes).
pub fn rollup(nodes: &[NodeRow], today: NaiveDate) -> Rollups {
    let mut order: Vec<&NodeRow> = nodes.iter().collect();
    // Leaves first, so every child is done before its parent.
    order.sort_by_key(|n| std::cmp::Reverse(n.kind.rank()));
    // (Σ weight × progress, Σ weight) of the children that count, per parent.
    let mut sums: IdMap<Option<NodeId>, (f64, f64)> = IdMap::default();
    let mut out: IdMap<NodeId, Rollup> = IdMap::default();
    let mut plan = Rollup::default();
    for node in order {
        let mut r = out.remove(&node.id).unwrap_or_default();
        if let Some(status) = node.action_status {
            let i = ActionStatus::ALL
                .iter()
                .position(|s| *s == status)
                .unwrap_or(0);
            r.by_status[i] += 1;
            r.overdue += i64::from(node.is_overdue(today));
            r.progress =
                (status != ActionStatus::Cancelled).then(|| f64::from(node.progress.unwrap_or(0)));
        } else {
            r.progress = sums
                .get(&Some(node.id))
                .filter(|(_, w)| *w > 0.0)
                .map(|(wp, w)| round2(wp / w));
        }
        if let Some(p) = r.progress
            && node.weight > 0
        {
            let e = sums.entry(node.parent_id).or_default();
            e.0 += f64::from(node.weight) * p;
            e.1 += f64::from(node.weight);
        }
        let parent = match node.parent_id {
            Some(parent) => out.entry(parent).or_default(),
            None => &mut plan,
        };
        for (a, b) in parent.by_status.iter_mut().zip(r.by_status) {
            *a += b;
        }
        parent.overdue += r.overdue;
        out.insert(node.id, r);
    }
    plan.progress = sums
        .get(&None)
        .filter(|(_, w)| *w > 0.0)
        .map(|(wp, w)| round2(wp / w));
    Rollups { by_node: out, plan }
}

/// How far a measured value went from the baseline toward the target, in percent (one
/// decimal): 100 is the target reached, more is beyond it, negative is the wrong way. When
/// the target equals the baseline (keep the level), 100 if the value is at least as good,
/// else 0.
pub fn attainment(higher_is_better: bool, baseline: f64, target: f64, value: f64) -> f64 {
    let (gained, needed) = if higher_is_better {
        (value - baseline, target - baseline)
    } else {
        (baseline - value, baseline - target)
    };
    if needed == 0.0 {
        return if gained >= 0.0 { 100.0 } else { 0.0 };
    }
    (gained / needed * 1000.0).round() / 10.0
}

/// The value of an indicator for a year: its latest measurement dated in that year.
pub fn value_in_year(measurements: &[MeasurementRow], year: i32) -> Option<&MeasurementRow> {
    measurements
        .iter()
        .filter(|m| m.measured_on.year() == year)
        .max_by_key(|m| (m.measured_on, m.created_at))
}

#[cfg(test)]
mod tests {
    use uuid::Uuid;

    use super::*;
    use crate::plans::model::test_node;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn progress_rolls_up_by_weight() {
        use ActionStatus::*;
        let today = d(2026, 6, 1);
        // Axis 1 (weight 3): area 10 (weight 1) with actions 80% (w1) and 20% (w3) → 35;
        //                    area 11 (weight 1) with one completed action → 100.
        //   axis 1 = (35 + 100) / 2 = 67.5
        // Axis 2 (weight 1): area 20 with a cancelled action (left out) and one at 0%, late.
        //   axis 2 = 0
        // Plan = (3 × 67.5 + 1 × 0) / 4 = 50.625 → 50.63
        let nodes = vec![
            test_node(1, None, NodeKind::Axis, 3, None),
            test_node(10, Some(1), NodeKind::Area, 1, None),
            test_node(
                100,
                Some(10),
                NodeKind::Action,
                1,
                Some((InProgress, 80, None)),
            ),
            test_node(
                101,
                Some(10),
                NodeKind::Action,
                3,
                Some((InProgress, 20, None)),
            ),
            test_node(11, Some(1), NodeKind::Area, 1, None),
            test_node(
                110,
                Some(11),
                NodeKind::Action,
                1,
                Some((Completed, 100, None)),
            ),
            test_node(2, None, NodeKind::Axis, 1, None),
            test_node(20, Some(2), NodeKind::Area, 1, None),
            test_node(
                200,
                Some(20),
                NodeKind::Action,
                5,
                Some((Cancelled, 50, None)),
            ),
            test_node(
                201,
                Some(20),
                NodeKind::Action,
                1,
                Some((NotStarted, 0, Some(d(2026, 1, 1)))),
            ),
        ];
        let Rollups { by_node, plan } = rollup(&nodes, today);
        let p = |id: u128| by_node[&NodeId(Uuid::from_u128(id))].progress;
        assert_eq!(p(10), Some(35.0));
        assert_eq!(p(11), Some(100.0));
        assert_eq!(p(1), Some(67.5));
        assert_eq!(p(200), None);
        assert_eq!(p(2), Some(0.0));
        assert_eq!(plan.progress, Some(50.63));
        assert_eq!(plan.by_status, [1, 2, 1, 0, 1]);
        assert_eq!(plan.overdue, 1);
        assert_eq!(by_node[&NodeId(Uuid::from_u128(2))].overdue, 1);
        assert_eq!(
            by_node[&NodeId(Uuid::from_u128(1))].by_status,
            [0, 2, 1, 0, 0]
        );
    }

    #[test]
    fn nodes_without_counting_children_have_no_progress() {
        let nodes = vec![
            test_node(1, None, NodeKind::Axis, 1, None),
            test_node(10, Some(1), NodeKind::Area, 0, None),
        ];
        let Rollups { by_node, plan } = rollup(&nodes, d(2026, 1, 1));
        assert_eq!(by_node[&NodeId(Uuid::from_u128(1))].progress, None);
        assert_eq!(plan.progress, None);
    }

    #[test]
    fn attainment_works_both_ways() {
        // Higher is better: from 10 toward 30; 25 is 75% of the way.
        assert_eq!(attainment(true, 10.0, 30.0, 25.0), 75.0);
        assert_eq!(attainment(true, 10.0, 30.0, 40.0), 150.0);
        assert_eq!(attainment(true, 10.0, 30.0, 5.0), -25.0);
        // Lower is better: from 100 days down to 60; 90 is 25% of the way.
        assert_eq!(attainment(false, 100.0, 60.0, 90.0), 25.0);
        assert_eq!(attainment(false, 100.0, 60.0, 60.0), 100.0);
        assert_eq!(attainment(false, 100.0, 60.0, 110.0), -25.0);
        // Keep the level.
        assert_eq!(attainment(true, 5.0, 5.0, 5.0), 100.0);
        assert_eq!(attainment(false, 5.0, 5.0, 6.0), 0.0);
        // One decimal.
        assert_eq!(attainment(true, 0.0, 3.0, 1.0), 33.3);
    }
}
