//! Plan rows, the enums of the plan, and its rules: the levels of the hierarchy, what an
//! approved plan freezes, the weighted progress roll-up, indicator attainment and the diff
//! of two versions. Pure functions, unit-tested here.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use diesel::prelude::*;
use uuid::Uuid;

use crate::schema::{
    action_participants, indicator_measurements, indicator_targets, indicators, plan_nodes, plans,
};

crate::text_enum!(
    /// Where a plan version stands.
    PlanStatus {
        /// Being written; the only status in which its content changes.
        Draft => "draft",
        /// Approved by the General Assembly: frozen.
        Approved => "approved",
        /// Replaced by an approved revision; still readable.
        Superseded => "superseded",
        /// Its period is over.
        Closed => "closed",
    }
);

crate::text_enum!(
    /// The level of a node in the plan.
    NodeKind {
        /// Axis (eje): the top level.
        Axis => "axis",
        /// Area of an axis.
        Area => "area",
        /// Objective of an area (absent in three-level plans).
        Objective => "objective",
        /// Action: the leaf, where work and progress happen.
        Action => "action",
    }
);

impl NodeKind {
    /// The kind of this node's children in a plan of `depth` levels; `None` for leaves.
    pub fn child(self, depth: i16) -> Option<NodeKind> {
        match self {
            NodeKind::Axis => Some(NodeKind::Area),
            NodeKind::Area if depth == 3 => Some(NodeKind::Action),
            NodeKind::Area => Some(NodeKind::Objective),
            NodeKind::Objective => Some(NodeKind::Action),
            NodeKind::Action => None,
        }
    }

    /// Whether indicators may hang on this node.
    pub fn has_indicators(self) -> bool {
        matches!(self, NodeKind::Objective | NodeKind::Action)
    }

    /// The plural used in paths (`axes`).
    pub fn plural(self) -> &'static str {
        match self {
            NodeKind::Axis => "axes",
            NodeKind::Area => "areas",
            NodeKind::Objective => "objectives",
            NodeKind::Action => "actions",
        }
    }

    /// Order from the top (0) to the leaves (3).
    pub fn rank(self) -> u8 {
        match self {
            NodeKind::Axis => 0,
            NodeKind::Area => 1,
            NodeKind::Objective => 2,
            NodeKind::Action => 3,
        }
    }
}

crate::text_enum!(
    /// Where an action stands.
    ActionStatus {
        /// Not started yet.
        NotStarted => "not_started",
        /// Under way.
        InProgress => "in_progress",
        /// Done (progress 100).
        Completed => "completed",
        /// Late against its plan.
        Delayed => "delayed",
        /// Dropped; left out of the progress roll-up.
        Cancelled => "cancelled",
    }
);

impl ActionStatus {
    /// Whether the action is still open (can be overdue).
    pub fn is_open(self) -> bool {
        !matches!(self, ActionStatus::Completed | ActionStatus::Cancelled)
    }
}

/// A plan version.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = plans, check_for_backend(diesel::pg::Pg))]
#[expect(
    missing_docs,
    reason = "columns: see the migration `plans` and the DTOs"
)]
pub struct PlanRow {
    pub id: Uuid,
    pub title: String,
    pub description: Option<String>,
    pub start_year: i32,
    pub end_year: i32,
    pub status: PlanStatus,
    pub version_number: i32,
    pub revises_id: Option<Uuid>,
    pub depth: i16,
    pub label_axis: String,
    pub label_area: String,
    pub label_objective: String,
    pub label_action: String,
    pub approved_on: Option<NaiveDate>,
    pub approval_reference: Option<String>,
    pub approved_by: Option<Uuid>,
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl PlanRow {
    /// 409 unless the plan is a draft: what the assembly approved is frozen.
    pub fn check_editable(&self) -> Result<(), String> {
        match self.status {
            PlanStatus::Draft => Ok(()),
            status => Err(format!(
                "The plan is {status} and frozen: what the assembly approved is never edited. \
                 Create a revision (POST /api/v1/plans/{}/revisions) and change that.",
                self.id
            )),
        }
    }

    /// Whether `date` falls in the plan's years.
    pub fn covers(&self, date: NaiveDate) -> bool {
        (self.start_year..=self.end_year).contains(&date.year())
    }
}

/// Changes to a draft plan.
#[derive(Debug, Default, AsChangeset)]
#[diesel(table_name = plans)]
#[expect(
    missing_docs,
    reason = "columns: see the migration `plans` and the DTOs"
)]
pub struct PlanChanges {
    pub title: Option<String>,
    pub description: Option<Option<String>>,
    pub start_year: Option<i32>,
    pub end_year: Option<i32>,
    pub label_axis: Option<String>,
    pub label_area: Option<String>,
    pub label_objective: Option<String>,
    pub label_action: Option<String>,
}

/// A node of a plan: axis, area, objective or action (action fields only on actions).
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = plan_nodes, check_for_backend(diesel::pg::Pg))]
#[expect(
    missing_docs,
    reason = "columns: see the migration `plans` and the DTOs"
)]
pub struct NodeRow {
    pub id: Uuid,
    pub plan_id: Uuid,
    pub kind: NodeKind,
    pub parent_id: Option<Uuid>,
    pub parent_kind: Option<NodeKind>,
    pub axis_id: Uuid,
    pub code: String,
    pub title: String,
    pub description: Option<String>,
    pub position: i32,
    pub weight: i32,
    pub responsible_id: Option<Uuid>,
    pub start_date: Option<NaiveDate>,
    pub end_date: Option<NaiveDate>,
    pub action_status: Option<ActionStatus>,
    pub progress: Option<i16>,
    pub planned_budget_cents: Option<i64>,
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl NodeRow {
    /// Whether an open action's end date has passed.
    pub fn is_overdue(&self, today: NaiveDate) -> bool {
        self.action_status.is_some_and(ActionStatus::is_open)
            && self.end_date.is_some_and(|end| end < today)
    }
}

/// Changes to a node. Content fields need a draft plan; `responsible_id`, `action_status`
/// and `progress` are execution and change on approved plans too.
#[derive(Debug, Default, Clone, AsChangeset)]
#[diesel(table_name = plan_nodes)]
#[expect(
    missing_docs,
    reason = "columns: see the migration `plans` and the DTOs"
)]
pub struct NodeChanges {
    pub code: Option<String>,
    pub title: Option<String>,
    pub description: Option<Option<String>>,
    pub position: Option<i32>,
    pub weight: Option<i32>,
    pub start_date: Option<Option<NaiveDate>>,
    pub end_date: Option<Option<NaiveDate>>,
    pub planned_budget_cents: Option<Option<i64>>,
    pub responsible_id: Option<Option<Uuid>>,
    pub action_status: Option<ActionStatus>,
    pub progress: Option<i16>,
}

impl NodeChanges {
    /// Whether the change touches the plan's content (not only its execution).
    pub fn changes_content(&self) -> bool {
        self.code.is_some()
            || self.title.is_some()
            || self.description.is_some()
            || self.position.is_some()
            || self.weight.is_some()
            || self.start_date.is_some()
            || self.end_date.is_some()
            || self.planned_budget_cents.is_some()
    }
}

/// A member organisation taking part in an action.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = action_participants, check_for_backend(diesel::pg::Pg))]
#[expect(
    missing_docs,
    reason = "columns: see the migration `plans` and the DTOs"
)]
pub struct ParticipantRow {
    pub action_id: Uuid,
    pub member_id: Uuid,
}

/// An indicator of an objective or an action.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = indicators, check_for_backend(diesel::pg::Pg))]
#[expect(
    missing_docs,
    reason = "columns: see the migration `plans` and the DTOs"
)]
pub struct IndicatorRow {
    pub id: Uuid,
    pub plan_id: Uuid,
    pub node_id: Uuid,
    pub node_kind: NodeKind,
    pub name: String,
    pub unit: String,
    pub higher_is_better: bool,
    pub baseline: f64,
    pub position: i32,
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// Changes to an indicator (draft plans only).
#[derive(Debug, Default, AsChangeset)]
#[diesel(table_name = indicators)]
#[expect(
    missing_docs,
    reason = "columns: see the migration `plans` and the DTOs"
)]
pub struct IndicatorChanges {
    pub name: Option<String>,
    pub unit: Option<String>,
    pub higher_is_better: Option<bool>,
    pub baseline: Option<f64>,
    pub position: Option<i32>,
}

/// The target of an indicator for one year.
#[derive(Debug, Clone, Copy, PartialEq, Queryable, Selectable, Insertable)]
#[diesel(table_name = indicator_targets, check_for_backend(diesel::pg::Pg))]
#[expect(
    missing_docs,
    reason = "columns: see the migration `plans` and the DTOs"
)]
pub struct TargetRow {
    pub indicator_id: Uuid,
    pub year: i32,
    pub value: f64,
}

/// One measurement of an indicator.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = indicator_measurements, check_for_backend(diesel::pg::Pg))]
#[expect(
    missing_docs,
    reason = "columns: see the migration `plans` and the DTOs"
)]
pub struct MeasurementRow {
    pub id: Uuid,
    pub indicator_id: Uuid,
    pub measured_on: NaiveDate,
    pub value: f64,
    pub source: Option<String>,
    pub note: Option<String>,
    pub recorded_by: Option<Uuid>,
    pub created_at: DateTime<Utc>,
}

/// Checks a node code: 1–30 characters, letters, digits, `.`, `_`, `-`, starting with a
/// letter or digit (`E1`, `E1.2`, `E1.2.1.3`).
pub fn check_code(raw: &str) -> Result<String, String> {
    let code = raw.trim();
    let mut chars = code.chars();
    let first_ok = chars.next().is_some_and(|c| c.is_ascii_alphanumeric());
    if !first_ok
        || code.len() > 30
        || !code
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
    {
        return Err(
            "1–30 letters, digits, `.`, `_` or `-`, starting with a letter or digit (e.g. E1.2)"
                .into(),
        );
    }
    Ok(code.to_owned())
}

/// Checks a finite indicator value within ±10^15.
pub fn check_value(v: f64) -> Result<f64, String> {
    if v.is_finite() && v.abs() <= 1e15 {
        Ok(v)
    } else {
        Err("must be a finite number between -1e15 and 1e15".into())
    }
}

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

fn round2(v: f64) -> f64 {
    (v * 100.0).round() / 100.0
}

/// Rolls action progress up the tree: an action counts with its own progress (a cancelled
/// one not at all); every other node is the weighted mean of its children that count,
/// by their weights (weight 0 leaves a child out). Returns the roll-up of every node and
/// of the whole plan (the weighted mean of its axes).
pub fn rollup(nodes: &[NodeRow], today: NaiveDate) -> (HashMap<Uuid, Rollup>, Rollup) {
    let mut order: Vec<&NodeRow> = nodes.iter().collect();
    // Leaves first, so every child is done before its parent.
    order.sort_by_key(|n| std::cmp::Reverse(n.kind.rank()));
    // (Σ weight × progress, Σ weight) of the children that count, per parent.
    let mut sums: HashMap<Option<Uuid>, (f64, f64)> = HashMap::new();
    let mut out: HashMap<Uuid, Rollup> = HashMap::new();
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
    (out, plan)
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

/// What differs between two versions of a node (by field name), as (field, before, after)
/// with JSON values. Nodes are matched by code across versions.
pub type FieldDiff = (String, serde_json::Value, serde_json::Value);

/// The comparable content of a node: everything but ids and timestamps.
pub fn comparable(
    node: &NodeRow,
    parent_code: Option<&str>,
    participants: &[Uuid],
) -> BTreeMap<&'static str, serde_json::Value> {
    use serde_json::json;
    let mut m = BTreeMap::new();
    m.insert("kind", json!(node.kind));
    m.insert("parent_code", json!(parent_code));
    m.insert("title", json!(node.title));
    m.insert("description", json!(node.description));
    m.insert("position", json!(node.position));
    m.insert("weight", json!(node.weight));
    if node.kind == NodeKind::Action {
        let mut p = participants.to_vec();
        p.sort();
        m.insert("responsible_id", json!(node.responsible_id));
        m.insert("start_date", json!(node.start_date));
        m.insert("end_date", json!(node.end_date));
        m.insert("status", json!(node.action_status));
        m.insert("progress", json!(node.progress));
        m.insert("planned_budget_cents", json!(node.planned_budget_cents));
        m.insert("participant_ids", json!(p));
    }
    m
}

/// The fields whose values differ between two comparable nodes.
pub fn field_diff(
    before: &BTreeMap<&'static str, serde_json::Value>,
    after: &BTreeMap<&'static str, serde_json::Value>,
) -> Vec<FieldDiff> {
    let mut keys: Vec<&&str> = before.keys().chain(after.keys()).collect();
    keys.sort();
    keys.dedup();
    keys.into_iter()
        .filter_map(|k| {
            let b = before.get(*k).cloned().unwrap_or(serde_json::Value::Null);
            let a = after.get(*k).cloned().unwrap_or(serde_json::Value::Null);
            (a != b).then(|| ((*k).to_owned(), b, a))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn node(
        id: u128,
        parent: Option<u128>,
        kind: NodeKind,
        weight: i32,
        action: Option<(ActionStatus, i16, Option<NaiveDate>)>,
    ) -> NodeRow {
        let now = Utc::now();
        NodeRow {
            id: Uuid::from_u128(id),
            plan_id: Uuid::nil(),
            kind,
            parent_id: parent.map(Uuid::from_u128),
            parent_kind: None,
            axis_id: Uuid::nil(),
            code: format!("N{id}"),
            title: "t".into(),
            description: None,
            position: 0,
            weight,
            responsible_id: None,
            start_date: None,
            end_date: action.and_then(|a| a.2),
            action_status: action.map(|a| a.0),
            progress: action.map(|a| a.1),
            planned_budget_cents: None,
            version: 1,
            created_at: now,
            updated_at: now,
        }
    }

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
            node(1, None, NodeKind::Axis, 3, None),
            node(10, Some(1), NodeKind::Area, 1, None),
            node(
                100,
                Some(10),
                NodeKind::Action,
                1,
                Some((InProgress, 80, None)),
            ),
            node(
                101,
                Some(10),
                NodeKind::Action,
                3,
                Some((InProgress, 20, None)),
            ),
            node(11, Some(1), NodeKind::Area, 1, None),
            node(
                110,
                Some(11),
                NodeKind::Action,
                1,
                Some((Completed, 100, None)),
            ),
            node(2, None, NodeKind::Axis, 1, None),
            node(20, Some(2), NodeKind::Area, 1, None),
            node(
                200,
                Some(20),
                NodeKind::Action,
                5,
                Some((Cancelled, 50, None)),
            ),
            node(
                201,
                Some(20),
                NodeKind::Action,
                1,
                Some((NotStarted, 0, Some(d(2026, 1, 1)))),
            ),
        ];
        let (by_node, plan) = rollup(&nodes, today);
        let p = |id: u128| by_node[&Uuid::from_u128(id)].progress;
        assert_eq!(p(10), Some(35.0));
        assert_eq!(p(11), Some(100.0));
        assert_eq!(p(1), Some(67.5));
        assert_eq!(p(200), None);
        assert_eq!(p(2), Some(0.0));
        assert_eq!(plan.progress, Some(50.63));
        assert_eq!(plan.by_status, [1, 2, 1, 0, 1]);
        assert_eq!(plan.overdue, 1);
        assert_eq!(by_node[&Uuid::from_u128(2)].overdue, 1);
        assert_eq!(by_node[&Uuid::from_u128(1)].by_status, [0, 2, 1, 0, 0]);
    }

    #[test]
    fn nodes_without_counting_children_have_no_progress() {
        let nodes = vec![
            node(1, None, NodeKind::Axis, 1, None),
            node(10, Some(1), NodeKind::Area, 0, None),
        ];
        let (by_node, plan) = rollup(&nodes, d(2026, 1, 1));
        assert_eq!(by_node[&Uuid::from_u128(1)].progress, None);
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

    #[test]
    fn codes_are_checked() {
        assert_eq!(check_code(" E1.2.1 ").unwrap(), "E1.2.1");
        for bad in ["", ".E1", "E 1", "É1", &"E".repeat(31)] {
            assert!(check_code(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn children_follow_the_depth() {
        assert_eq!(NodeKind::Area.child(4), Some(NodeKind::Objective));
        assert_eq!(NodeKind::Area.child(3), Some(NodeKind::Action));
        assert_eq!(NodeKind::Action.child(4), None);
    }

    #[test]
    fn diff_lists_changed_fields() {
        let a = node(1, None, NodeKind::Axis, 1, None);
        let mut b = a.clone();
        b.title = "otro".into();
        let diff = field_diff(&comparable(&a, None, &[]), &comparable(&b, None, &[]));
        assert_eq!(diff.len(), 1);
        assert_eq!(diff[0].0, "title");
    }
}
